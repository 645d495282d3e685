package clerksync

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/seed77920f6a/clerkwebhook"
)

// Webhook events: each turns into one version of one row (store.go says
// which version wins). An error makes a queue's worker retry the event;
// clerkwebhook.Permanent marks an event no retry can apply (one that does
// not decode, or has no id or no stamp): clerkriver's worker cancels its
// job, which stays in river_job for inspection.

// Register makes h apply the user, organization and membership events to
// the mirror:
//
//	user.created, user.updated, user.deleted
//	organization.created, organization.updated, organization.deleted
//	organizationMembership.created, organizationMembership.updated, organizationMembership.deleted
//
// replacing any callbacks h had for them. The other types have no callback
// from Register: a Handler acknowledges and drops them (or, with a queue,
// does not queue them). Register several Mirrors' callbacks on one Handler
// and only the last one's stay.
func (m *Mirror) Register(h *clerkwebhook.Handler) {
	h.On(clerkwebhook.UserCreated, m.applyUser)
	h.On(clerkwebhook.UserUpdated, m.applyUser)
	h.On(clerkwebhook.UserDeleted, m.applyUserDeleted)
	h.On(clerkwebhook.OrganizationCreated, m.applyOrganization)
	h.On(clerkwebhook.OrganizationUpdated, m.applyOrganization)
	h.On(clerkwebhook.OrganizationDeleted, m.applyOrganizationDeleted)
	h.On(clerkwebhook.OrganizationMembershipCreated, m.applyMembership)
	h.On(clerkwebhook.OrganizationMembershipUpdated, m.applyMembership)
	h.On(clerkwebhook.OrganizationMembershipDeleted, m.applyMembership)
}

func (m *Mirror) applyUser(ctx context.Context, e clerkwebhook.Event) error {
	u, err := e.User()
	if err != nil {
		return clerkwebhook.Permanent(err)
	}
	if err := versioned(e, u.ID, u.UpdatedAt); err != nil {
		return err
	}
	row := userRow{
		ID:             u.ID,
		FirstName:      u.FirstName,
		LastName:       u.LastName,
		ImageURL:       &u.ImageURL,
		PublicMetadata: jsonText(u.PublicMetadata),
		CreatedAt:      ptr(int64(u.CreatedAt)),
		UpdatedAt:      ptr(int64(u.UpdatedAt)),
	}
	if email := u.PrimaryEmailAddress(); email != nil {
		row.Email = &email.EmailAddress
	}
	return putUser(ctx, m.db, fromWebhook, row)
}

func (m *Mirror) applyUserDeleted(ctx context.Context, e clerkwebhook.Event) error {
	d, at, err := deleted(e)
	if err != nil {
		return err
	}
	return putUser(ctx, m.db, fromWebhook, userRow{ID: *d.ID, DeletedAt: &at})
}

func (m *Mirror) applyOrganization(ctx context.Context, e clerkwebhook.Event) error {
	o, err := e.Organization()
	if err != nil {
		return clerkwebhook.Permanent(err)
	}
	if err := versioned(e, o.ID, o.UpdatedAt); err != nil {
		return err
	}
	row := organizationRow{
		ID:             o.ID,
		Name:           &o.Name,
		Slug:           &o.Slug,
		ImageURL:       o.ImageURL,
		PublicMetadata: jsonText(o.PublicMetadata),
		CreatedAt:      ptr(int64(o.CreatedAt)),
		UpdatedAt:      ptr(int64(o.UpdatedAt)),
	}
	return putOrganization(ctx, m.db, fromWebhook, row)
}

func (m *Mirror) applyOrganizationDeleted(ctx context.Context, e clerkwebhook.Event) error {
	d, at, err := deleted(e)
	if err != nil {
		return err
	}
	return putOrganization(ctx, m.db, fromWebhook, organizationRow{ID: *d.ID, Slug: d.Slug, DeletedAt: &at})
}

// applyMembership applies all three membership events: the deleted one
// carries the whole membership too, and is stamped with the envelope's
// timestamp, as every deletion is (its updated_at is that of the last
// change before it).
func (m *Mirror) applyMembership(ctx context.Context, e clerkwebhook.Event) error {
	mb, err := e.OrganizationMembership()
	if err != nil {
		return clerkwebhook.Permanent(err)
	}
	if err := versioned(e, mb.ID, mb.UpdatedAt); err != nil {
		return err
	}
	if mb.Organization.ID == "" || mb.PublicUserData == nil || mb.PublicUserData.UserID == "" {
		return clerkwebhook.Permanent(fmt.Errorf("clerksync: %s %s: membership %s has no organization id or user id", e.Type, e.ID, mb.ID))
	}
	row := membershipRow{
		ID:             mb.ID,
		OrganizationID: mb.Organization.ID,
		UserID:         mb.PublicUserData.UserID,
		Role:           mb.Role,
		CreatedAt:      ptr(int64(mb.CreatedAt)),
		UpdatedAt:      ptr(int64(mb.UpdatedAt)),
	}
	if e.Type == clerkwebhook.OrganizationMembershipDeleted {
		row.DeletedAt = ptr(deletedAt(e))
	}
	return putMembership(ctx, m.db, fromWebhook, row)
}

// versioned checks that a created or updated object can be ordered: it has
// an id and an updated_at, as Clerk always sends.
func versioned(e clerkwebhook.Event, id string, updatedAt clerkwebhook.UnixMillis) error {
	if id == "" || updatedAt == 0 {
		return clerkwebhook.Permanent(fmt.Errorf("clerksync: %s %s: the data has no id or no updated_at", e.Type, e.ID))
	}
	return nil
}

// deleted returns the stub of a *.deleted event, whose ID is set, and the
// deletion's stamp.
func deleted(e clerkwebhook.Event) (*clerkwebhook.DeletedObject, int64, error) {
	d, err := e.DeletedObject()
	if err != nil {
		return nil, 0, clerkwebhook.Permanent(err)
	}
	if d.ID == nil || *d.ID == "" {
		return nil, 0, clerkwebhook.Permanent(fmt.Errorf("clerksync: %s %s: the deleted object has no id", e.Type, e.ID))
	}
	return d, deletedAt(e), nil
}

// deletedAt is a deletion's stamp, in Clerk's milliseconds: the envelope's
// timestamp (OccurredAt reads it in milliseconds, or in seconds when it is
// that small). A body without one is stamped with the delivery's signing
// time, which is later than the deletion: since Clerk never brings a
// deleted object back, erring late is safe.
func deletedAt(e clerkwebhook.Event) int64 {
	if e.Timestamp != 0 {
		return e.OccurredAt().UnixMilli()
	}
	return e.SignedAt.UnixMilli()
}

// jsonText returns the JSON as text for a TEXT column, or nil (NULL) when
// the key was absent.
func jsonText(raw json.RawMessage) *string {
	if len(raw) == 0 {
		return nil
	}
	s := string(raw)
	return &s
}
