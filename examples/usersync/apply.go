package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
)

// The callbacks: each turns one event into one version of a row (store.go
// says which version wins). River's workers run them (clerkriver.NewWorker),
// after the Handler has acknowledged the delivery. An error makes River
// retry the job; clerkwebhook.Permanent marks an event no retry can apply
// (one that does not decode, or has no id or no stamp): River cancels its
// job, which stays in river_job for inspection.

// applier applies events to a store.
type applier struct {
	store *store
	// delay, for tests only (USERSYNC_TEST_APPLY_DELAY), makes every
	// apply wait first, so that a test can kill the process while jobs
	// run. Zero in production.
	delay time.Duration
}

// register makes h apply the user, organization and membership events;
// every other type is acknowledged and dropped, since only the types with
// a callback are queued.
func (a *applier) register(h *clerkwebhook.Handler) {
	h.On(clerkwebhook.UserCreated, a.user)
	h.On(clerkwebhook.UserUpdated, a.user)
	h.On(clerkwebhook.UserDeleted, a.userDeleted)
	h.On(clerkwebhook.OrganizationCreated, a.organization)
	h.On(clerkwebhook.OrganizationUpdated, a.organization)
	h.On(clerkwebhook.OrganizationDeleted, a.organizationDeleted)
	h.On(clerkwebhook.OrganizationMembershipCreated, a.membership)
	h.On(clerkwebhook.OrganizationMembershipUpdated, a.membership)
	h.On(clerkwebhook.OrganizationMembershipDeleted, a.membership)
}

func (a *applier) user(ctx context.Context, e clerkwebhook.Event) error {
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
	if err := a.wait(ctx); err != nil {
		return err
	}
	return a.store.putUser(ctx, row)
}

func (a *applier) userDeleted(ctx context.Context, e clerkwebhook.Event) error {
	d, at, err := deleted(e)
	if err != nil {
		return err
	}
	if err := a.wait(ctx); err != nil {
		return err
	}
	return a.store.putUser(ctx, userRow{ID: *d.ID, DeletedAt: &at})
}

func (a *applier) organization(ctx context.Context, e clerkwebhook.Event) error {
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
	if err := a.wait(ctx); err != nil {
		return err
	}
	return a.store.putOrganization(ctx, row)
}

func (a *applier) organizationDeleted(ctx context.Context, e clerkwebhook.Event) error {
	d, at, err := deleted(e)
	if err != nil {
		return err
	}
	if err := a.wait(ctx); err != nil {
		return err
	}
	return a.store.putOrganization(ctx, organizationRow{ID: *d.ID, Slug: d.Slug, DeletedAt: &at})
}

// membership applies all three membership events: the deleted one carries
// the whole membership too, and is stamped with the envelope's timestamp,
// as every deletion is (its updated_at is that of the last change before
// it).
func (a *applier) membership(ctx context.Context, e clerkwebhook.Event) error {
	m, err := e.OrganizationMembership()
	if err != nil {
		return clerkwebhook.Permanent(err)
	}
	if err := versioned(e, m.ID, m.UpdatedAt); err != nil {
		return err
	}
	if m.Organization.ID == "" || m.PublicUserData == nil || m.PublicUserData.UserID == "" {
		return clerkwebhook.Permanent(fmt.Errorf("%s %s: membership %s has no organization id or user id", e.Type, e.ID, m.ID))
	}
	row := membershipRow{
		ID:             m.ID,
		OrganizationID: m.Organization.ID,
		UserID:         m.PublicUserData.UserID,
		Role:           m.Role,
		CreatedAt:      ptr(int64(m.CreatedAt)),
		UpdatedAt:      ptr(int64(m.UpdatedAt)),
	}
	if e.Type == clerkwebhook.OrganizationMembershipDeleted {
		row.DeletedAt = ptr(deletedAt(e))
	}
	if err := a.wait(ctx); err != nil {
		return err
	}
	return a.store.putMembership(ctx, row)
}

// versioned checks that a created or updated object can be ordered: it has
// an id and an updated_at, as Clerk always sends.
func versioned(e clerkwebhook.Event, id string, updatedAt clerkwebhook.UnixMillis) error {
	if id == "" || updatedAt == 0 {
		return clerkwebhook.Permanent(fmt.Errorf("%s %s: the data has no id or no updated_at", e.Type, e.ID))
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
		return nil, 0, clerkwebhook.Permanent(fmt.Errorf("%s %s: the deleted object has no id", e.Type, e.ID))
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

// wait is the test-only delay.
func (a *applier) wait(ctx context.Context) error {
	if a.delay <= 0 {
		return nil
	}
	select {
	case <-time.After(a.delay):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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

func ptr[T any](v T) *T { return &v }
