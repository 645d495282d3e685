package clerkwebhook

import "encoding/json"

// Source notes used in the comments below: "@clerk/backend" is Clerk's
// JavaScript backend SDK (3.x), whose types are the primary description of
// webhook payloads; "the catalog" is Clerk's webhook OpenAPI document (the
// Dashboard's event catalog); "clerk-sdk-go" is github.com/clerk/clerk-sdk-go/v2.
// A field documented by only one of them is a pointer with omitempty, so that
// a payload without it decodes to nil and re-encodes without it.

// User is the data of user.created and user.updated, and the "user" of a
// session.* event.
//
// Pointer fields are nullable or may be absent; nil means JSON null or a
// missing key. Metadata stays raw JSON: unmarshal it into your own type.
// Keys this package does not know (such as the legacy "birthday" and
// "gender") are ignored when decoding.
type User struct {
	ID     string `json:"id"`
	Object string `json:"object"` // "user"
	// ExternalID is the id the user has in your own system, if you set one.
	ExternalID *string `json:"external_id"`

	// The primary identifiers are ids of elements of EmailAddresses,
	// PhoneNumbers and Web3Wallets; see PrimaryEmailAddress and friends.
	PrimaryEmailAddressID *string `json:"primary_email_address_id"`
	PrimaryPhoneNumberID  *string `json:"primary_phone_number_id"`
	PrimaryWeb3WalletID   *string `json:"primary_web3_wallet_id"`

	Username  *string `json:"username"`
	FirstName *string `json:"first_name"`
	LastName  *string `json:"last_name"`

	ImageURL string `json:"image_url"`
	HasImage bool   `json:"has_image"`
	// ProfileImageURL is the deprecated predecessor of ImageURL, still sent
	// in the catalog's and the docs' examples; not in @clerk/backend.
	ProfileImageURL *string `json:"profile_image_url,omitempty"`
	// Locale is a BCP 47 language tag such as "en-GB".
	Locale *string `json:"locale"`
	// Timezone is an IANA zone name such as "Europe/London"
	// (@clerk/backend only).
	Timezone *string `json:"timezone,omitempty"`

	// PublicMetadata, PrivateMetadata and UnsafeMetadata are free-form JSON
	// objects. The catalog allows private_metadata to be null, in which case
	// PrivateMetadata holds the JSON text null.
	PublicMetadata  json.RawMessage `json:"public_metadata"`
	PrivateMetadata json.RawMessage `json:"private_metadata"`
	UnsafeMetadata  json.RawMessage `json:"unsafe_metadata"`

	EmailAddresses []EmailAddress `json:"email_addresses"`
	PhoneNumbers   []PhoneNumber  `json:"phone_numbers"`
	Web3Wallets    []Web3Wallet   `json:"web3_wallets"`
	// Passkeys is documented by the catalog only.
	Passkeys           []Passkey           `json:"passkeys"`
	ExternalAccounts   []ExternalAccount   `json:"external_accounts"`
	EnterpriseAccounts []EnterpriseAccount `json:"enterprise_accounts"`
	// SAMLAccounts is legacy: @clerk/backend 3.x replaced it with
	// EnterpriseAccounts, but the catalog still requires it (usually []).
	// A payload may carry either or both.
	SAMLAccounts []SAMLAccount `json:"saml_accounts"`
	// OrganizationMemberships may be null (nil); Clerk's webhook examples
	// do not include memberships.
	OrganizationMemberships []OrganizationMembership `json:"organization_memberships"`

	PasswordEnabled   bool `json:"password_enabled"`
	TwoFactorEnabled  bool `json:"two_factor_enabled"`
	TOTPEnabled       bool `json:"totp_enabled"`
	BackupCodeEnabled bool `json:"backup_code_enabled"`
	// MFAEnabledAt and MFADisabledAt record the last time MFA was turned on
	// and off; neither is reset by the other. Both are nullable and
	// documented by the catalog only.
	MFAEnabledAt          *UnixMillis `json:"mfa_enabled_at,omitempty"`
	MFADisabledAt         *UnixMillis `json:"mfa_disabled_at,omitempty"`
	PasswordLastUpdatedAt *UnixMillis `json:"password_last_updated_at"`
	LastSignInAt          *UnixMillis `json:"last_sign_in_at"`

	Banned        bool `json:"banned"`
	Locked        bool `json:"locked"`
	Deprovisioned bool `json:"deprovisioned"`
	// LockoutExpiresInSeconds is a duration in seconds, not a timestamp.
	// Nil while Locked means the lockout does not expire.
	LockoutExpiresInSeconds       *int64 `json:"lockout_expires_in_seconds"`
	VerificationAttemptsRemaining *int   `json:"verification_attempts_remaining"`

	CreatedAt UnixMillis `json:"created_at"`
	UpdatedAt UnixMillis `json:"updated_at"`
	// LastActiveAt has day precision.
	LastActiveAt    *UnixMillis `json:"last_active_at"`
	LegalAcceptedAt *UnixMillis `json:"legal_accepted_at"`

	CreateOrganizationEnabled bool `json:"create_organization_enabled"`
	// CreateOrganizationsLimit is the most organizations the user may
	// create; the catalog says 0 means unlimited.
	CreateOrganizationsLimit *int `json:"create_organizations_limit"`
	DeleteSelfEnabled        bool `json:"delete_self_enabled"`
	// BypassClientTrust is documented by the catalog only (default false).
	BypassClientTrust *bool `json:"bypass_client_trust,omitempty"`
	// SCIM is set only on user.created and user.updated for users
	// provisioned through SCIM (catalog only). Nil does not prove that the
	// user is not SCIM-managed.
	SCIM *SCIM `json:"scim,omitempty"`
}

// PrimaryEmailAddress returns the element of EmailAddresses whose ID is
// PrimaryEmailAddressID, or nil when the user (or the id) is nil or no
// element matches. The result points into u.EmailAddresses.
func (u *User) PrimaryEmailAddress() *EmailAddress {
	if u == nil {
		return nil
	}
	return byID(u.EmailAddresses, u.PrimaryEmailAddressID, func(e *EmailAddress) string { return e.ID })
}

// PrimaryPhoneNumber returns the element of PhoneNumbers whose ID is
// PrimaryPhoneNumberID, or nil when the user (or the id) is nil or no
// element matches. The result points into u.PhoneNumbers.
func (u *User) PrimaryPhoneNumber() *PhoneNumber {
	if u == nil {
		return nil
	}
	return byID(u.PhoneNumbers, u.PrimaryPhoneNumberID, func(p *PhoneNumber) string { return p.ID })
}

// PrimaryWeb3Wallet returns the element of Web3Wallets whose ID is
// PrimaryWeb3WalletID, or nil when the user (or the id) is nil or no
// element matches. The result points into u.Web3Wallets.
func (u *User) PrimaryWeb3Wallet() *Web3Wallet {
	if u == nil {
		return nil
	}
	return byID(u.Web3Wallets, u.PrimaryWeb3WalletID, func(w *Web3Wallet) string { return w.ID })
}

// byID returns the element of items whose id is *id, or nil.
func byID[T any](items []T, id *string, idOf func(*T) string) *T {
	if id == nil {
		return nil
	}
	for i := range items {
		if idOf(&items[i]) == *id {
			return &items[i]
		}
	}
	return nil
}

// FullName returns the first and last names joined by a space, leaving out
// a name that is null or empty. It returns "" when both are missing or the
// user is nil.
func (u *User) FullName() string {
	if u == nil {
		return ""
	}
	var first, last string
	if u.FirstName != nil {
		first = *u.FirstName
	}
	if u.LastName != nil {
		last = *u.LastName
	}
	switch {
	case first == "":
		return last
	case last == "":
		return first
	}
	return first + " " + last
}

// EmailAddress is an element of User.EmailAddresses.
type EmailAddress struct {
	ID           string `json:"id"`     // "idn_..."
	Object       string `json:"object"` // "email_address"
	EmailAddress string `json:"email_address"`
	// Verification is nil when the address has no verification.
	Verification *IdentifierVerification `json:"verification"`
	// LinkedTo lists the external accounts this address came from.
	LinkedTo []IdentificationLink `json:"linked_to"`
	// Reserved is documented by the catalog and clerk-sdk-go but not by
	// @clerk/backend.
	Reserved *bool `json:"reserved,omitempty"`
	// MatchesSSOConnection reports whether the address's domain has an
	// enterprise SSO connection (catalog only).
	MatchesSSOConnection *bool `json:"matches_sso_connection,omitempty"`
	// CreatedAt and UpdatedAt are documented by the catalog only.
	CreatedAt *UnixMillis `json:"created_at,omitempty"`
	UpdatedAt *UnixMillis `json:"updated_at,omitempty"`
}

// IdentificationLink links an identification to the external account it
// came from.
type IdentificationLink struct {
	// Type is the provider, matching "oauth_<name>" such as "oauth_google".
	Type string `json:"type"`
	// ID is the linked identification's id.
	ID string `json:"id"`
	// Object is allowed by @clerk/backend's type but not seen in payloads.
	Object *string `json:"object,omitempty"`
}

// IdentifierVerification is Clerk's "verification" object: the state of
// verifying an email address, phone number, Web3 wallet, passkey, external,
// enterprise or SAML account. Which of the optional fields appear depends
// on the strategy. (The name keeps it apart from this package's own
// VerificationError, which is about webhook signatures.)
type IdentifierVerification struct {
	// Status is one of "unverified", "verified", "transferable", "failed"
	// or "expired"; treat other values as possible.
	Status string `json:"status"`
	// Strategy is how the identifier was (or is being) verified, such as
	// "email_code", "phone_code", "email_link", "admin", "ticket", "saml",
	// "passkey", "google_one_tap", "web3_metamask_signature",
	// "oauth_<provider>" or "from_oauth_<provider>". The set is open.
	Strategy string `json:"strategy"`
	// Attempts is the number of attempts made, when counted.
	Attempts *int `json:"attempts"`
	// ExpireAt is when the pending verification expires (note the spelling
	// "expire_at").
	ExpireAt *UnixMillis `json:"expire_at"`
	// Object names the variant in the catalog, such as "verification_otp",
	// "verification_oauth" or "verification_saml". Often absent.
	Object *string `json:"object,omitempty"`
	// ID is allowed by @clerk/backend's type but not seen in payloads.
	ID *string `json:"id,omitempty"`
	// VerifiedAtClient is the id of the client ("client_...") that
	// completed the verification.
	VerifiedAtClient *string `json:"verified_at_client,omitempty"`
	// ExternalVerificationRedirectURL is where the user is sent to verify
	// with an OAuth or SAML provider.
	ExternalVerificationRedirectURL *string `json:"external_verification_redirect_url,omitempty"`
	// Nonce and Message are the signed challenge of Web3 and passkey
	// verifications.
	Nonce   *string `json:"nonce,omitempty"`
	Message *string `json:"message,omitempty"`
	// Error is why an OAuth, SAML or Google One Tap verification failed.
	Error *IdentifierVerificationFailure `json:"error,omitempty"`
	// Channel is how a code was sent, such as "sms" or "whatsapp" for a
	// phone number; nil (null or absent) otherwise. Typed by clerk-sdk-go
	// v2.5 and later.
	Channel *string `json:"channel,omitempty"`
}

// IdentifierVerificationFailure is the "error" object of a failed
// verification, in Clerk's API error format. It is data from Clerk, not a Go
// error.
type IdentifierVerificationFailure struct {
	Message     string `json:"message"`
	LongMessage string `json:"long_message"`
	// Code is a machine-readable code such as "oauth_access_denied".
	Code string `json:"code"`
	// Meta is free-form JSON with details, when present.
	Meta json.RawMessage `json:"meta,omitempty"`
}

// PhoneNumber is an element of User.PhoneNumbers.
type PhoneNumber struct {
	ID     string `json:"id"`     // "idn_..."
	Object string `json:"object"` // "phone_number"
	// PhoneNumber is in E.164 form, such as "+447700900418".
	PhoneNumber             string `json:"phone_number"`
	ReservedForSecondFactor bool   `json:"reserved_for_second_factor"`
	DefaultSecondFactor     bool   `json:"default_second_factor"`
	Reserved                bool   `json:"reserved"`
	// Verification is nil when the number has no verification.
	Verification *IdentifierVerification `json:"verification"`
	LinkedTo     []IdentificationLink    `json:"linked_to"`
	// BackupCodes is usually null (nil).
	BackupCodes []string `json:"backup_codes"`
	// CreatedAt and UpdatedAt are documented by the catalog only.
	CreatedAt *UnixMillis `json:"created_at,omitempty"`
	UpdatedAt *UnixMillis `json:"updated_at,omitempty"`
}

// Web3Wallet is an element of User.Web3Wallets.
type Web3Wallet struct {
	ID     string `json:"id"`
	Object string `json:"object"` // "web3_wallet"
	// Web3Wallet is the wallet address, such as "0x8124...".
	Web3Wallet   string                  `json:"web3_wallet"`
	Verification *IdentifierVerification `json:"verification"`
	// CreatedAt and UpdatedAt are documented by the catalog only.
	CreatedAt *UnixMillis `json:"created_at,omitempty"`
	UpdatedAt *UnixMillis `json:"updated_at,omitempty"`
}

// Passkey is an element of User.Passkeys. The type is documented by the
// catalog only.
type Passkey struct {
	ID     string `json:"id"`
	Object string `json:"object"` // "passkey"
	// Name is the label the user gave the passkey.
	Name       string     `json:"name"`
	LastUsedAt UnixMillis `json:"last_used_at"`
	// Verification has strategy "passkey" when present.
	Verification *IdentifierVerification `json:"verification"`
	// CreatedAt and UpdatedAt are typed by clerk-sdk-go v2.5 and later; zero
	// when absent.
	CreatedAt UnixMillis `json:"created_at,omitempty"`
	UpdatedAt UnixMillis `json:"updated_at,omitempty"`
}

// ExternalAccount is an OAuth account linked to the user, an element of
// User.ExternalAccounts. The catalog allows further keys on this object;
// they are ignored when decoding.
type ExternalAccount struct {
	ID string `json:"id"`
	// Object is "external_account"; the catalog also allows
	// "google_account" and "facebook_account".
	Object string `json:"object"`
	// ExternalAccountID ("eac_...") is sent only for Google and Facebook
	// accounts (@clerk/backend only).
	ExternalAccountID *string `json:"external_account_id,omitempty"`
	// Provider is such as "oauth_google" or "oauth_github".
	Provider         string `json:"provider"`
	IdentificationID string `json:"identification_id"`
	ProviderUserID   string `json:"provider_user_id"`
	// ApprovedScopes is a space-separated list of OAuth scopes.
	ApprovedScopes string `json:"approved_scopes"`
	EmailAddress   string `json:"email_address"`
	// EmailAddressVerified is whether the provider verified the address;
	// nil means unknown or absent (catalog only).
	EmailAddressVerified *bool  `json:"email_address_verified,omitempty"`
	FirstName            string `json:"first_name"`
	LastName             string `json:"last_name"`
	// ImageURL may be null or absent.
	ImageURL *string `json:"image_url,omitempty"`
	// AvatarURL is deprecated in favour of ImageURL (catalog and
	// clerk-sdk-go only).
	AvatarURL   *string `json:"avatar_url,omitempty"`
	Username    *string `json:"username"`
	PhoneNumber *string `json:"phone_number"`
	// PublicMetadata is a free-form JSON object; it may be null or absent.
	PublicMetadata json.RawMessage `json:"public_metadata,omitempty"`
	Label          *string         `json:"label"`
	// Verification has an "oauth_<provider>" or "google_one_tap" strategy.
	Verification *IdentifierVerification `json:"verification"`
	// CreatedAt and UpdatedAt are documented by the catalog only.
	CreatedAt *UnixMillis `json:"created_at,omitempty"`
	UpdatedAt *UnixMillis `json:"updated_at,omitempty"`
}

// EnterpriseAccount is an enterprise SSO (SAML or OIDC) account of the user,
// an element of User.EnterpriseAccounts.
type EnterpriseAccount struct {
	ID     string `json:"id"`
	Object string `json:"object"` // "enterprise_account"
	// Protocol is "saml" or "oauth".
	Protocol string `json:"protocol"`
	// Provider is such as "saml_okta".
	Provider       string          `json:"provider"`
	Active         bool            `json:"active"`
	EmailAddress   string          `json:"email_address"`
	FirstName      *string         `json:"first_name"`
	LastName       *string         `json:"last_name"`
	ProviderUserID *string         `json:"provider_user_id"`
	PublicMetadata json.RawMessage `json:"public_metadata"`
	// Verification has a "saml", "ticket" or "oauth_..." strategy.
	Verification           *IdentifierVerification `json:"verification"`
	EnterpriseConnectionID *string                 `json:"enterprise_connection_id"`
	EnterpriseConnection   *EnterpriseConnection   `json:"enterprise_connection"`
	LastAuthenticatedAt    *UnixMillis             `json:"last_authenticated_at"`
}

// EnterpriseConnection is the SSO connection of an EnterpriseAccount.
type EnterpriseConnection struct {
	ID string `json:"id"`
	// Object ("enterprise_connection") is typed by @clerk/backend only.
	Object *string `json:"object,omitempty"`
	// EnterpriseConnectionID is the id of the enterprise connection, where
	// ID is the underlying SAML connection's or OAuth configuration's
	// (clerk-sdk-go v2.5 and later); "" when absent.
	EnterpriseConnectionID string `json:"enterprise_connection_id,omitempty"`
	Protocol               string `json:"protocol"`
	Provider               string `json:"provider"`
	Name                   string `json:"name"`
	// LogoPublicURL may be null.
	LogoPublicURL *string `json:"logo_public_url"`
	// Domain is deprecated in favour of Domains; the catalog requires at
	// least one of the two.
	Domain *string `json:"domain,omitempty"`
	// Domains is documented by the catalog only.
	Domains                          []string   `json:"domains"`
	Active                           bool       `json:"active"`
	SyncUserAttributes               bool       `json:"sync_user_attributes"`
	AllowSubdomains                  bool       `json:"allow_subdomains"`
	AllowIdPInitiated                bool       `json:"allow_idp_initiated"`
	DisableAdditionalIdentifications bool       `json:"disable_additional_identifications"`
	CreatedAt                        UnixMillis `json:"created_at"`
	UpdatedAt                        UnixMillis `json:"updated_at"`
}

// SAMLAccount is a legacy SAML account of the user, an element of
// User.SAMLAccounts. Newer payloads describe the same accounts in
// User.EnterpriseAccounts.
type SAMLAccount struct {
	ID     string `json:"id"`
	Object string `json:"object"` // "saml_account"
	// Provider is such as "saml_okta".
	Provider            string          `json:"provider"`
	Active              bool            `json:"active"`
	EmailAddress        string          `json:"email_address"`
	FirstName           *string         `json:"first_name"`
	LastName            *string         `json:"last_name"`
	ProviderUserID      *string         `json:"provider_user_id"`
	LastAuthenticatedAt *UnixMillis     `json:"last_authenticated_at"`
	PublicMetadata      json.RawMessage `json:"public_metadata"`
	// Verification has a "saml" or "ticket" strategy.
	Verification   *IdentifierVerification `json:"verification"`
	SAMLConnection *SAMLConnection         `json:"saml_connection"`
	// EnterpriseConnectionID is typed by @clerk/backend 2.x only.
	EnterpriseConnectionID *string `json:"enterprise_connection_id,omitempty"`
}

// SAMLConnection is the connection of a legacy SAMLAccount. It has no
// "object" key.
type SAMLConnection struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Domain is deprecated in favour of Domains; at least one is sent.
	Domain                           *string    `json:"domain,omitempty"`
	Domains                          []string   `json:"domains"`
	Active                           bool       `json:"active"`
	Provider                         string     `json:"provider"`
	SyncUserAttributes               bool       `json:"sync_user_attributes"`
	AllowSubdomains                  bool       `json:"allow_subdomains"`
	AllowIdPInitiated                bool       `json:"allow_idp_initiated"`
	DisableAdditionalIdentifications bool       `json:"disable_additional_identifications"`
	CreatedAt                        UnixMillis `json:"created_at"`
	UpdatedAt                        UnixMillis `json:"updated_at"`
}

// SCIM is User.SCIM: the directory that provisioned the user (catalog only).
type SCIM struct {
	DirectoryID string `json:"directory_id"`
	// DirectoryEnabled is left out by Clerk when false, so nil means false.
	DirectoryEnabled *bool `json:"directory_enabled,omitempty"`
	// ExternalID is the user's id in the directory.
	ExternalID *string `json:"external_id"`
}
