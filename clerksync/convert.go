package clerksync

import (
	"context"
	"errors"
	"strings"

	"github.com/clerk/clerk-sdk-go/v2"
)

// Records read from the Backend API, as versions of rows. A record without
// an id or an updated_at cannot be ordered against the webhooks' versions:
// the answer it came in is malformed, and nothing of it is stored.

// A version is one version of a row, from the API.
type version interface {
	key() string
	stamp() int64
	put(ctx context.Context, q querier, src source) error
}

func (r userRow) key() string  { return r.ID }
func (r userRow) stamp() int64 { return deref(r.UpdatedAt) }
func (r userRow) put(ctx context.Context, q querier, src source) error {
	return putUser(ctx, q, src, r)
}

func (r organizationRow) key() string  { return r.ID }
func (r organizationRow) stamp() int64 { return deref(r.UpdatedAt) }
func (r organizationRow) put(ctx context.Context, q querier, src source) error {
	return putOrganization(ctx, q, src, r)
}

func (r membershipRow) key() string  { return r.ID }
func (r membershipRow) stamp() int64 { return deref(r.UpdatedAt) }
func (r membershipRow) put(ctx context.Context, q querier, src source) error {
	return putMembership(ctx, q, src, r)
}

var errIncomplete = errors.New("a record has no id (or one with a NUL character) or no updated_at")

// usableID reports whether id can key a row: not empty, no NUL character.
func usableID(id string) bool { return id != "" && !strings.ContainsRune(id, 0) }

func userFromAPI(u *clerk.User) (userRow, error) {
	if u == nil || !usableID(u.ID) || u.UpdatedAt <= 0 {
		return userRow{}, errIncomplete
	}
	r := userRow{
		ID:             u.ID,
		FirstName:      u.FirstName,
		LastName:       u.LastName,
		ImageURL:       u.ImageURL,
		PublicMetadata: jsonText(u.PublicMetadata),
		CreatedAt:      ptr(u.CreatedAt),
		UpdatedAt:      ptr(u.UpdatedAt),
	}
	if u.PrimaryEmailAddressID != nil {
		for _, e := range u.EmailAddresses {
			if e != nil && e.ID == *u.PrimaryEmailAddressID {
				r.Email = ptr(e.EmailAddress)
			}
		}
	}
	return r, nil
}

func organizationFromAPI(o *clerk.Organization) (organizationRow, error) {
	if o == nil || !usableID(o.ID) || o.UpdatedAt <= 0 {
		return organizationRow{}, errIncomplete
	}
	return organizationRow{
		ID:             o.ID,
		Name:           ptr(o.Name),
		Slug:           ptr(o.Slug),
		ImageURL:       o.ImageURL,
		PublicMetadata: jsonText(o.PublicMetadata),
		CreatedAt:      ptr(o.CreatedAt),
		UpdatedAt:      ptr(o.UpdatedAt),
	}, nil
}

var errNoOrgOrUser = errors.New("a membership has no usable organization id or user id")

func membershipFromAPI(m *clerk.OrganizationMembership) (membershipRow, error) {
	if m == nil || !usableID(m.ID) || m.UpdatedAt <= 0 {
		return membershipRow{}, errIncomplete
	}
	if m.Organization == nil || !usableID(m.Organization.ID) || m.PublicUserData == nil || !usableID(m.PublicUserData.UserID) {
		return membershipRow{}, errNoOrgOrUser
	}
	return membershipRow{
		ID:             m.ID,
		OrganizationID: m.Organization.ID,
		UserID:         m.PublicUserData.UserID,
		Role:           m.Role,
		CreatedAt:      ptr(m.CreatedAt),
		UpdatedAt:      ptr(m.UpdatedAt),
	}, nil
}
