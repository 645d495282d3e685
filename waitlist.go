package clerkwebhook

import "encoding/json"

// WaitlistEntry is the data of waitlistEntry.created and
// waitlistEntry.updated.
type WaitlistEntry struct {
	ID string `json:"id"` // "wle_..."
	// Object is "waitlist_entry" per @clerk/backend and the catalog's
	// schema, but "waitlistEntry" in the catalog's examples; accept both.
	Object       string `json:"object"`
	EmailAddress string `json:"email_address"`
	// Status is one of "pending", "invited", "completed" or "rejected";
	// treat other values as possible.
	Status string `json:"status"`
	// IsLocked is true while a batch action is running on the entry.
	IsLocked bool `json:"is_locked"`
	// Invitation is the invitation sent to the entry, or nil before one is.
	Invitation *Invitation `json:"invitation"`
	CreatedAt  UnixMillis  `json:"created_at"`
	UpdatedAt  UnixMillis  `json:"updated_at"`
}

// Invitation is an application (not organization) invitation, as nested in
// WaitlistEntry.Invitation.
type Invitation struct {
	ID           string `json:"id"`     // "inv_..."
	Object       string `json:"object"` // "invitation"
	EmailAddress string `json:"email_address"`
	// PublicMetadata is a free-form JSON object; it may be null.
	PublicMetadata json.RawMessage `json:"public_metadata"`
	// Revoked may be absent.
	Revoked *bool `json:"revoked,omitempty"`
	// Status is one of "pending", "accepted", "revoked" or "expired";
	// treat other values as possible.
	Status string `json:"status"`
	// URL is the sign-up link carrying the invitation ticket, when sent.
	URL *string `json:"url,omitempty"`
	// ExpiresAt is when the invitation expires; it may be null or absent
	// (catalog only).
	ExpiresAt *UnixMillis `json:"expires_at,omitempty"`
	CreatedAt UnixMillis  `json:"created_at"`
	UpdatedAt UnixMillis  `json:"updated_at"`
}
