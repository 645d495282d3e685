package clerkwebhook

// Role is the data of role.created and role.updated. Clerk's JS SDK also types
// role.deleted as a Role, while its event catalog sends a DeletedObject; see
// DeletedObject.
type Role struct {
	ID     string `json:"id"`
	Object string `json:"object"` // "role"
	// Key is the role key, such as "org:content_manager".
	Key  string `json:"key"`
	Name string `json:"name"`
	// Description may be null.
	Description       *string      `json:"description"`
	IsCreatorEligible bool         `json:"is_creator_eligible"`
	Permissions       []Permission `json:"permissions"`
	CreatedAt         UnixMillis   `json:"created_at"`
	UpdatedAt         UnixMillis   `json:"updated_at"`
}

// Permission is the data of permission.created and permission.updated, and an
// element of Role.Permissions. As with roles, permission.deleted may carry a
// DeletedObject instead.
type Permission struct {
	ID     string `json:"id"`
	Object string `json:"object"` // "permission"
	// Key is the permission key, such as "org:posts:create".
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Type is, for example, "system" or "custom"; event catalog only.
	Type      *string    `json:"type,omitempty"`
	CreatedAt UnixMillis `json:"created_at"`
	UpdatedAt UnixMillis `json:"updated_at"`
}
