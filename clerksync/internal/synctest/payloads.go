package synctest

import (
	"encoding/json"
	"fmt"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
)

// Realistic payloads: the test kit's fixtures (whole Clerk envelopes, with
// every field Clerk sends) with the fields a test is about changed, and
// fields no version of Clerk sends added, which the service must ignore.

// Fixture returns the named fixture's envelope, decoded for a test to
// change.
func Fixture(name clerkwebhook.EventType) map[string]any {
	var v map[string]any
	if err := json.Unmarshal(clerkwebhooktest.Fixture(name), &v); err != nil {
		panic(err)
	}
	return v
}

// Envelope returns the body of an event of type typ with data and the
// envelope timestamp ts (Clerk's milliseconds), on the fixture's envelope,
// with a key Clerk does not send.
func Envelope(typ clerkwebhook.EventType, ts int64, data map[string]any) []byte {
	env := Fixture(typ)
	env["type"] = string(typ)
	env["timestamp"] = ts
	env["data"] = data
	env["clerksync_test_unknown"] = map[string]any{"added": "by a later Clerk"}
	b, err := json.Marshal(env)
	if err != nil {
		panic(err)
	}
	return b
}

// A UserVersion is one state of a user, as a test sets it; the other fields
// are the user.created fixture's.
type UserVersion struct {
	ID                  string
	FirstName, LastName *string
	ImageURL            string
	Emails              []string // the addresses
	Primary             int      // the index in Emails of the primary address, or -1
	Plan                string   // public_metadata.plan
	CreatedAt           int64
	UpdatedAt           int64
}

// body returns the body of a user.created or user.updated event for u, sent
// a few milliseconds after the change.
func (u UserVersion) Body(typ clerkwebhook.EventType) []byte {
	data := Fixture(clerkwebhook.UserCreated)["data"].(map[string]any)
	data["id"] = u.ID
	data["first_name"] = nullable(u.FirstName)
	data["last_name"] = nullable(u.LastName)
	data["image_url"] = u.ImageURL
	data["public_metadata"] = map[string]any{"plan": u.Plan}
	emails := []any{}
	data["primary_email_address_id"] = nil
	for i, addr := range u.Emails {
		id := fmt.Sprintf("idn_%s_%d", u.ID, i)
		emails = append(emails, map[string]any{
			"id": id, "object": "email_address", "email_address": addr, "reserved": false,
			"verification": map[string]any{"status": "verified", "strategy": "email_code", "attempts": 1, "expire_at": nil},
			"linked_to":    []any{},
		})
		if i == u.Primary {
			data["primary_email_address_id"] = id
		}
	}
	data["email_addresses"] = emails
	data["created_at"] = u.CreatedAt
	data["updated_at"] = u.UpdatedAt
	data["clerksync_test_unknown"] = []any{1, "two", map[string]any{"three": 3}}
	return Envelope(typ, u.UpdatedAt+3, data)
}

// An OrganizationVersion is one state of an organization.
type OrganizationVersion struct {
	ID, Name, Slug       string
	CreatedAt, UpdatedAt int64
}

// Data returns o as Clerk's organization object, on the fixture's.
func (o OrganizationVersion) Data() map[string]any {
	data := Fixture(clerkwebhook.OrganizationCreated)["data"].(map[string]any)
	data["id"] = o.ID
	data["name"] = o.Name
	data["slug"] = o.Slug
	data["created_at"] = o.CreatedAt
	data["updated_at"] = o.UpdatedAt
	data["clerksync_test_unknown"] = true
	return data
}

// body returns the body of an organization.created or .updated event.
func (o OrganizationVersion) Body(typ clerkwebhook.EventType) []byte {
	return Envelope(typ, o.UpdatedAt+3, o.Data())
}

// A MembershipVersion is one state of an organization membership.
type MembershipVersion struct {
	ID           string
	Organization OrganizationVersion // as it was when the membership changed
	UserID, Role string
	CreatedAt    int64
	UpdatedAt    int64
}

// body returns the body of an organizationMembership event sent at ts: for
// .created and .updated, a few milliseconds after UpdatedAt; .deleted
// carries the whole membership as it was last changed, and ts is the
// deletion's time.
func (m MembershipVersion) Body(typ clerkwebhook.EventType, ts int64) []byte {
	data := Fixture(clerkwebhook.OrganizationMembershipCreated)["data"].(map[string]any)
	data["id"] = m.ID
	data["role"] = m.Role
	data["organization"] = m.Organization.Data()
	pud := data["public_user_data"].(map[string]any)
	pud["user_id"] = m.UserID
	data["created_at"] = m.CreatedAt
	data["updated_at"] = m.UpdatedAt
	data["clerksync_test_unknown"] = "ignored"
	return Envelope(typ, ts, data)
}

// DeletedBody returns the body of a user.deleted or organization.deleted
// event at ts: Clerk's stub, with the slug for an organization.
func DeletedBody(typ clerkwebhook.EventType, id string, slug *string, ts int64) []byte {
	data := Fixture(typ)["data"].(map[string]any)
	data["id"] = id
	delete(data, "external_id")
	delete(data, "slug")
	if slug != nil {
		data["slug"] = *slug
	}
	return Envelope(typ, ts, data)
}

func nullable(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
