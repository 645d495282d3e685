package clerkwebhook

import (
	"encoding/json"
	"time"
)

// Organization is the data of organization.created and organization.updated,
// and the organization nested in an OrganizationMembership.
// organization.deleted carries a DeletedObject instead.
type Organization struct {
	ID     string `json:"id"`
	Object string `json:"object"` // "organization"
	Name   string `json:"name"`
	Slug   string `json:"slug"`
	// ImageURL is optional; it is never null when present.
	ImageURL *string `json:"image_url,omitempty"`
	HasImage bool    `json:"has_image"`
	// MembersCount, PendingInvitationsCount and
	// MissingMemberWithElevatedPermissions are optional: nil when Clerk
	// leaves them out.
	MembersCount                         *int  `json:"members_count,omitempty"`
	PendingInvitationsCount              *int  `json:"pending_invitations_count,omitempty"`
	MissingMemberWithElevatedPermissions *bool `json:"missing_member_with_elevated_permissions,omitempty"`
	MaxAllowedMemberships                int   `json:"max_allowed_memberships"`
	AdminDeleteEnabled                   bool  `json:"admin_delete_enabled"`
	// MembershipLimitSetBy says what set MaxAllowedMemberships, or is nil
	// (null or absent). Typed by clerk-sdk-go v2.5 and later, which
	// documents no values.
	MembershipLimitSetBy *string `json:"membership_limit_set_by,omitempty"`
	// PublicMetadata is the raw JSON object, or null (Clerk's JS SDK types
	// it as nullable).
	PublicMetadata json.RawMessage `json:"public_metadata"`
	// PrivateMetadata is the raw JSON object; it is optional.
	PrivateMetadata json.RawMessage `json:"private_metadata,omitempty"`
	// CreatedBy is the id of the user who created the organization; optional.
	CreatedBy *string    `json:"created_by,omitempty"`
	CreatedAt UnixMillis `json:"created_at"`
	UpdatedAt UnixMillis `json:"updated_at"`
	// LastActiveAt is optional.
	LastActiveAt *UnixMillis `json:"last_active_at,omitempty"`
	// RoleSetKey is optional and may be null.
	RoleSetKey *string `json:"role_set_key,omitempty"`
}

// OrganizationMembership is the data of organizationMembership.created,
// .updated and .deleted (the deleted event carries the full membership, not a
// DeletedObject).
type OrganizationMembership struct {
	ID     string `json:"id"`
	Object string `json:"object"` // "organization_membership"
	// Role is the role key, such as "org:admin", "org:member" or a custom key.
	Role string `json:"role"`
	// RoleName is the role's display name, such as "Member". Only Clerk's
	// event catalog (and clerk-sdk-go) has it; its JS SDK does not.
	RoleName *string `json:"role_name,omitempty"`
	// Permissions are permission keys, such as "org:posts:read".
	Permissions    []string        `json:"permissions"`
	PublicMetadata json.RawMessage `json:"public_metadata"`
	// PrivateMetadata is optional.
	PrivateMetadata json.RawMessage `json:"private_metadata,omitempty"`
	Organization    Organization    `json:"organization"`
	// PublicUserData is the member; always sent per Clerk's JS SDK, optional
	// per its event catalog.
	PublicUserData *PublicUserData `json:"public_user_data,omitempty"`
	CreatedAt      UnixMillis      `json:"created_at"`
	UpdatedAt      UnixMillis      `json:"updated_at"`
}

// PublicUserData is the public profile of an organization member.
type PublicUserData struct {
	UserID    string  `json:"user_id"`
	FirstName *string `json:"first_name"`
	LastName  *string `json:"last_name"`
	ImageURL  string  `json:"image_url"`
	HasImage  bool    `json:"has_image"`
	// Identifier is the member's email address, phone number or username;
	// null is allowed by Clerk's event catalog.
	Identifier *string `json:"identifier"`
	// ProfileImageURL is deprecated and may be null; event catalog only.
	ProfileImageURL *string `json:"profile_image_url,omitempty"`
	// Username may be null; event catalog only.
	Username *string `json:"username,omitempty"`
	// Banned is in the event catalog only.
	Banned *bool `json:"banned,omitempty"`
}

// OrganizationInvitation is the data of organizationInvitation.created,
// .accepted and .revoked.
type OrganizationInvitation struct {
	ID             string `json:"id"`
	Object         string `json:"object"` // "organization_invitation"
	EmailAddress   string `json:"email_address"`
	Role           string `json:"role"`
	RoleName       string `json:"role_name"`
	OrganizationID string `json:"organization_id"`
	// Status is optional. Known values: "pending", "accepted", "revoked",
	// "expired".
	Status          *string         `json:"status,omitempty"`
	PublicMetadata  json.RawMessage `json:"public_metadata"`
	PrivateMetadata json.RawMessage `json:"private_metadata"`
	// URL is the accept link; null once the invitation is no longer usable.
	URL *string `json:"url"`
	// ExpiresAt may be null.
	ExpiresAt *UnixMillis `json:"expires_at"`
	CreatedAt UnixMillis  `json:"created_at"`
	UpdatedAt UnixMillis  `json:"updated_at"`
	// PublicOrganizationData is optional and may be null. It is read from the
	// top level of data, where Clerk's JS SDK puts it; the event catalog's
	// schema nests it under "data" again, which no example shows.
	PublicOrganizationData *PublicOrganizationData `json:"public_organization_data,omitempty"`
	// InviterID is the inviting user's id, or null; event catalog only.
	InviterID *string `json:"inviter_id,omitempty"`
	// PublicInviterData is the inviting user, or null; event catalog only.
	PublicInviterData *PublicInviterData `json:"public_inviter_data,omitempty"`
	// UserID is the accepting user. It is sent on
	// organizationInvitation.accepted only.
	UserID *string `json:"user_id,omitempty"`
}

// PublicOrganizationData is the public summary of an organization attached to
// invitations and domains.
type PublicOrganizationData struct {
	ID string `json:"id"`
	// Object is "organization" when present (clerk-sdk-go v2.5 and later).
	Object *string `json:"object,omitempty"`
	Name   string  `json:"name"`
	Slug   string  `json:"slug"`
	// ImageURL is optional.
	ImageURL *string `json:"image_url,omitempty"`
	HasImage bool    `json:"has_image"`
}

// PublicInviterData is the public profile of the user who sent an
// organization invitation.
type PublicInviterData struct {
	UserID     string  `json:"user_id"`
	FirstName  *string `json:"first_name"`
	LastName   *string `json:"last_name"`
	ImageURL   string  `json:"image_url"`
	HasImage   bool    `json:"has_image"`
	Identifier string  `json:"identifier"`
}

// OrganizationDomain is the data of organizationDomain.created and .updated.
// organizationDomain.deleted carries a DeletedObject instead.
type OrganizationDomain struct {
	ID             string `json:"id"`
	Object         string `json:"object"` // "organization_domain"
	OrganizationID string `json:"organization_id"`
	// Name is the domain, such as "example.com".
	Name string `json:"name"`
	// EnrollmentMode is one of "manual_invitation", "automatic_invitation",
	// "automatic_suggestion" (an open set).
	EnrollmentMode string `json:"enrollment_mode"`
	// AffiliationEmailAddress may be null.
	AffiliationEmailAddress *string `json:"affiliation_email_address"`
	// Verification may be null.
	Verification            *OrganizationDomainVerification `json:"verification"`
	TotalPendingInvitations int                             `json:"total_pending_invitations"`
	TotalPendingSuggestions int                             `json:"total_pending_suggestions"`
	// PublicOrganizationData is optional and may be null; event catalog only.
	PublicOrganizationData *PublicOrganizationData `json:"public_organization_data,omitempty"`
	CreatedAt              UnixMillis              `json:"created_at"`
	UpdatedAt              UnixMillis              `json:"updated_at"`
}

// OrganizationDomainVerification is the verification state of an
// organization domain.
//
// Clerk's sources disagree on the expiry key: its event catalog and
// clerk-sdk-go send "expire_at", its JS SDK types "expires_at". Both are
// kept as sent; Expiry reads whichever is set.
type OrganizationDomainVerification struct {
	// Status is "unverified" or "verified" ("failed" and "expired" also
	// exist; an open set).
	Status string `json:"status"`
	// Strategy is "email_code".
	Strategy string `json:"strategy"`
	// Attempts may be null.
	Attempts *int `json:"attempts"`
	// ExpireAt is the event catalog's spelling of the expiry (may be null).
	ExpireAt *UnixMillis `json:"expire_at,omitempty"`
	// ExpiresAt is the JS SDK's spelling of the expiry (may be null).
	ExpiresAt *UnixMillis `json:"expires_at,omitempty"`
}

// Expiry returns when the verification expires, or the zero time if neither
// "expires_at" nor "expire_at" is set (or v is nil). If both are set,
// "expires_at" wins. Like every optional time in this package, absent is the
// zero time.Time.
func (v *OrganizationDomainVerification) Expiry() time.Time {
	switch {
	case v == nil:
		return time.Time{}
	case v.ExpiresAt != nil:
		return v.ExpiresAt.Time()
	case v.ExpireAt != nil:
		return v.ExpireAt.Time()
	}
	return time.Time{}
}
