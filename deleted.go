package clerkwebhook

// DeletedObject is the data of user.deleted, organization.deleted and
// organizationDomain.deleted, and of role.deleted and permission.deleted in
// the form Clerk's event catalog documents. (Clerk's JS SDK types the last
// two as a full Role or Permission; Event.Payload picks the type by the
// payload's "deleted" key.)
type DeletedObject struct {
	// Object is the type of the deleted resource: "user", "organization",
	// "organization_domain", "role" or "permission".
	Object string `json:"object"`
	// ID is optional in Clerk's types, though sent in every known example.
	ID *string `json:"id,omitempty"`
	// Slug is sent for organizations; optional, and may be null (the
	// catalog's role.deleted example has "slug": null).
	Slug    *string `json:"slug,omitempty"`
	Deleted bool    `json:"deleted"` // always true
	// ExternalID is sent on user.deleted only, when the user had one.
	ExternalID *string `json:"external_id,omitempty"`
}
