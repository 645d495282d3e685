package fakeclerk

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// The wire types: Clerk's JSON objects, with the keys in the order Clerk
// sends them (see internal/fixtures/events in the core module), every key
// of the Backend API's OpenAPI document (2026-05-12, the version
// clerk-sdk-go v2.7.0 asks for) that clerk-sdk-go decodes, and the nulls and
// empty arrays Clerk sends for what the double does not model.

type userJSON struct {
	ID                            string          `json:"id"`
	Object                        string          `json:"object"`
	ExternalID                    *string         `json:"external_id"`
	PrimaryEmailAddressID         *string         `json:"primary_email_address_id"`
	PrimaryPhoneNumberID          *string         `json:"primary_phone_number_id"`
	PrimaryWeb3WalletID           *string         `json:"primary_web3_wallet_id"`
	Username                      *string         `json:"username"`
	FirstName                     *string         `json:"first_name"`
	LastName                      *string         `json:"last_name"`
	ImageURL                      string          `json:"image_url"`
	HasImage                      bool            `json:"has_image"`
	ProfileImageURL               string          `json:"profile_image_url"`
	Locale                        *string         `json:"locale"`
	PublicMetadata                json.RawMessage `json:"public_metadata"`
	PrivateMetadata               json.RawMessage `json:"private_metadata"`
	UnsafeMetadata                json.RawMessage `json:"unsafe_metadata"`
	EmailAddresses                []emailJSON     `json:"email_addresses"`
	PhoneNumbers                  []struct{}      `json:"phone_numbers"`
	Web3Wallets                   []struct{}      `json:"web3_wallets"`
	Passkeys                      []struct{}      `json:"passkeys"`
	ExternalAccounts              []struct{}      `json:"external_accounts"`
	EnterpriseAccounts            []struct{}      `json:"enterprise_accounts"`
	SAMLAccounts                  []struct{}      `json:"saml_accounts"`
	PasswordEnabled               bool            `json:"password_enabled"`
	TwoFactorEnabled              bool            `json:"two_factor_enabled"`
	TOTPEnabled                   bool            `json:"totp_enabled"`
	BackupCodeEnabled             bool            `json:"backup_code_enabled"`
	MFAEnabledAt                  *int64          `json:"mfa_enabled_at"`
	MFADisabledAt                 *int64          `json:"mfa_disabled_at"`
	PasswordLastUpdatedAt         *int64          `json:"password_last_updated_at"`
	LastSignInAt                  *int64          `json:"last_sign_in_at"`
	Banned                        bool            `json:"banned"`
	Locked                        bool            `json:"locked"`
	Deprovisioned                 bool            `json:"deprovisioned"`
	LockoutExpiresInSeconds       *int64          `json:"lockout_expires_in_seconds"`
	VerificationAttemptsRemaining int64           `json:"verification_attempts_remaining"`
	CreatedAt                     int64           `json:"created_at"`
	UpdatedAt                     int64           `json:"updated_at"`
	LastActiveAt                  *int64          `json:"last_active_at"`
	LegalAcceptedAt               *int64          `json:"legal_accepted_at"`
	CreateOrganizationEnabled     bool            `json:"create_organization_enabled"`
	CreateOrganizationsLimit      *int64          `json:"create_organizations_limit"`
	DeleteSelfEnabled             bool            `json:"delete_self_enabled"`
	BypassClientTrust             bool            `json:"bypass_client_trust"`
}

type emailJSON struct {
	ID                   string            `json:"id"`
	Object               string            `json:"object"`
	EmailAddress         string            `json:"email_address"`
	Reserved             bool              `json:"reserved"`
	Verification         *verificationJSON `json:"verification"`
	LinkedTo             []struct{}        `json:"linked_to"`
	MatchesSSOConnection bool              `json:"matches_sso_connection"`
	CreatedAt            int64             `json:"created_at"`
	UpdatedAt            int64             `json:"updated_at"`
}

type verificationJSON struct {
	Object   string `json:"object"`
	Status   string `json:"status"`
	Strategy string `json:"strategy"`
	Attempts *int64 `json:"attempts"`
	ExpireAt *int64 `json:"expire_at"`
}

type organizationJSON struct {
	ID                                   string          `json:"id"`
	Object                               string          `json:"object"`
	Name                                 string          `json:"name"`
	Slug                                 string          `json:"slug"`
	ImageURL                             string          `json:"image_url"`
	HasImage                             bool            `json:"has_image"`
	MembersCount                         *int64          `json:"members_count,omitempty"`
	PendingInvitationsCount              *int64          `json:"pending_invitations_count,omitempty"`
	MissingMemberWithElevatedPermissions *bool           `json:"missing_member_with_elevated_permissions,omitempty"`
	MaxAllowedMemberships                int64           `json:"max_allowed_memberships"`
	AdminDeleteEnabled                   bool            `json:"admin_delete_enabled"`
	MembershipLimitSetBy                 *string         `json:"membership_limit_set_by"` // null: the instance's default limit
	PublicMetadata                       json.RawMessage `json:"public_metadata"`
	PrivateMetadata                      json.RawMessage `json:"private_metadata"`
	CreatedBy                            string          `json:"created_by,omitempty"`
	CreatedAt                            int64           `json:"created_at"`
	UpdatedAt                            int64           `json:"updated_at"`
	RoleSetKey                           *string         `json:"role_set_key"`
}

type membershipJSON struct {
	ID              string            `json:"id"`
	Object          string            `json:"object"`
	Role            string            `json:"role"`
	RoleName        string            `json:"role_name"`
	Permissions     []string          `json:"permissions"`
	PublicMetadata  json.RawMessage   `json:"public_metadata"`
	PrivateMetadata json.RawMessage   `json:"private_metadata"`
	Organization    *organizationJSON `json:"organization"`
	PublicUserData  publicUserJSON    `json:"public_user_data"`
	CreatedAt       int64             `json:"created_at"`
	UpdatedAt       int64             `json:"updated_at"`
}

type publicUserJSON struct {
	UserID          string  `json:"user_id"`
	FirstName       *string `json:"first_name"`
	LastName        *string `json:"last_name"`
	ImageURL        string  `json:"image_url"`
	HasImage        bool    `json:"has_image"`
	Identifier      *string `json:"identifier"`
	ProfileImageURL *string `json:"profile_image_url"`
	Username        *string `json:"username"`
	Banned          bool    `json:"banned"`
}

// listJSON is the {"data":[…],"total_count":N} of the organization and
// membership lists.
type listJSON[T any] struct {
	Data       []T `json:"data"`
	TotalCount int `json:"total_count"`
}

type totalCountJSON struct {
	Object     string `json:"object"`
	TotalCount int    `json:"total_count"`
}

var (
	emptyObject   = json.RawMessage(`{}`)
	none          = []struct{}{}
	adminVerified = &verificationJSON{Object: "verification_admin", Status: "verified", Strategy: "admin"}
	defaultRoles  = "default"
	// gravatar is the profile_image_url Clerk sends for a user without an image.
	gravatar = "https://www.gravatar.com/avatar?d=mp"
)

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func metadata(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return emptyObject
	}
	return raw
}

// defaultImage is the URL of Clerk's generated image for a resource without
// one: img.clerk.com and the base64 of a small JSON document naming the
// instance and the resource.
func (s *Server) defaultImage(id string) string {
	doc, _ := json.Marshal(struct {
		Type string `json:"type"`
		IID  string `json:"iid"`
		RID  string `json:"rid"`
	}{"default", s.instance, id})
	return "https://img.clerk.com/" + base64.RawURLEncoding.EncodeToString(doc)
}

func (s *Server) userImage(u *User) (imageURL string, hasImage bool, profileURL string) {
	if u.ImageURL != "" {
		return u.ImageURL, true, u.ImageURL
	}
	return s.defaultImage(u.ID), false, gravatar
}

func (s *Server) renderUser(u *User) userJSON {
	image, hasImage, profile := s.userImage(u)
	out := userJSON{
		ID:                            u.ID,
		Object:                        "user",
		ExternalID:                    nullable(u.ExternalID),
		Username:                      nullable(u.Username),
		FirstName:                     nullable(u.FirstName),
		LastName:                      nullable(u.LastName),
		ImageURL:                      image,
		HasImage:                      hasImage,
		ProfileImageURL:               profile,
		PublicMetadata:                metadata(u.PublicMetadata),
		PrivateMetadata:               metadata(u.PrivateMetadata),
		UnsafeMetadata:                emptyObject,
		EmailAddresses:                []emailJSON{},
		PhoneNumbers:                  none,
		Web3Wallets:                   none,
		Passkeys:                      none,
		ExternalAccounts:              none,
		EnterpriseAccounts:            none,
		SAMLAccounts:                  none,
		VerificationAttemptsRemaining: 100,
		CreatedAt:                     u.CreatedAt,
		UpdatedAt:                     u.UpdatedAt,
		CreateOrganizationEnabled:     true,
		DeleteSelfEnabled:             true,
	}
	if u.EmailAddress != "" {
		out.PrimaryEmailAddressID = &u.EmailAddressID
		out.EmailAddresses = []emailJSON{{
			ID:           u.EmailAddressID,
			Object:       "email_address",
			EmailAddress: u.EmailAddress,
			Verification: adminVerified,
			LinkedTo:     none,
			CreatedAt:    u.CreatedAt,
			UpdatedAt:    u.CreatedAt,
		}}
	}
	return out
}

// renderOrganization renders o; counts adds members_count and
// pending_invitations_count, which Clerk sends in lists and gets only when
// asked (include_members_count), and always in memberships and events.
func (s *Server) renderOrganization(o *Organization, counts bool) *organizationJSON {
	image, hasImage := o.ImageURL, true
	if image == "" {
		image, hasImage = s.defaultImage(o.ID), false
	}
	out := &organizationJSON{
		ID:                    o.ID,
		Object:                "organization",
		Name:                  o.Name,
		Slug:                  o.Slug,
		ImageURL:              image,
		HasImage:              hasImage,
		MaxAllowedMemberships: o.MaxAllowedMemberships,
		AdminDeleteEnabled:    true,
		PublicMetadata:        metadata(o.PublicMetadata),
		PrivateMetadata:       metadata(o.PrivateMetadata),
		CreatedBy:             o.CreatedBy,
		CreatedAt:             o.CreatedAt,
		UpdatedAt:             o.UpdatedAt,
		RoleSetKey:            &defaultRoles,
	}
	if counts {
		n, zero, no := int64(0), int64(0), false
		if l := s.st.memsByOrg[o.ID]; l != nil {
			n = int64(len(l.items))
		}
		out.MembersCount, out.PendingInvitationsCount, out.MissingMemberWithElevatedPermissions = &n, &zero, &no
	}
	return out
}

// The system permissions of Clerk's default roles.
var (
	adminPermissions = []string{
		"org:sys_profile:manage", "org:sys_profile:delete", "org:sys_memberships:read",
		"org:sys_memberships:manage", "org:sys_domains:read", "org:sys_domains:manage",
	}
	memberPermissions = []string{"org:sys_profile:read", "org:sys_memberships:read"}
)

func roleName(role string) (string, []string) {
	switch role {
	case "org:admin":
		return "Admin", adminPermissions
	case "org:member":
		return "Member", memberPermissions
	}
	name := strings.TrimPrefix(role, "org:")
	if name != "" {
		name = strings.ToUpper(name[:1]) + name[1:]
	}
	return name, []string{}
}

// renderMembership renders m with its organization and its user's public
// data as they are now; the user may be deleted already (for an event).
func (s *Server) renderMembership(m *Membership) membershipJSON {
	name, perms := roleName(m.Role)
	out := membershipJSON{
		ID:              m.ID,
		Object:          "organization_membership",
		Role:            m.Role,
		RoleName:        name,
		Permissions:     perms,
		PublicMetadata:  metadata(m.PublicMetadata),
		PrivateMetadata: metadata(m.PrivateMetadata),
		PublicUserData:  publicUserJSON{UserID: m.UserID},
		CreatedAt:       m.CreatedAt,
		UpdatedAt:       m.UpdatedAt,
	}
	if o := s.org(m.OrganizationID); o != nil {
		out.Organization = s.renderOrganization(o, true)
	} else if d, ok := s.st.gone[m.OrganizationID]; ok {
		o := d.record.(Organization)
		out.Organization = s.renderOrganization(&o, true)
	}
	u := s.st.userByID[m.UserID]
	if u == nil {
		if d, ok := s.st.gone[m.UserID]; ok {
			gone := d.record.(User)
			u = &gone
		}
	}
	if u != nil {
		image, hasImage, profile := s.userImage(u)
		identifier := u.EmailAddress
		if identifier == "" {
			identifier = u.Username
		}
		out.PublicUserData = publicUserJSON{
			UserID:          u.ID,
			FirstName:       nullable(u.FirstName),
			LastName:        nullable(u.LastName),
			ImageURL:        image,
			HasImage:        hasImage,
			Identifier:      nullable(identifier),
			ProfileImageURL: &profile,
			Username:        nullable(u.Username),
		}
	}
	return out
}
