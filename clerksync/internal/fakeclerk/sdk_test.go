package fakeclerk_test

// These tests drive the double with clerk-sdk-go v2.7.0's own clients, so
// what they pin is what the SDK sends and decodes: the paths, the query
// parameters, the JSON shapes and the errors.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"github.com/clerk/clerk-sdk-go/v2/user"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/fakeclerk"
)

func newServer(t *testing.T, opts ...fakeclerk.Option) *fakeclerk.Server {
	t.Helper()
	srv := fakeclerk.New(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// apiError returns err as the SDK's error response, failing the test when it
// is not one.
func apiError(t *testing.T, err error) *clerk.APIErrorResponse {
	t.Helper()
	var e *clerk.APIErrorResponse
	require.ErrorAs(t, err, &e)
	require.NotEmpty(t, e.Errors)
	return e
}

// listAllUsers pages through every user with the SDK's user.List (a list
// call and a count call per page).
func listAllUsers(t *testing.T, c *user.Client, limit int64, orderBy string) (ids []string, users []*clerk.User) {
	t.Helper()
	ctx := context.Background()
	for offset := int64(0); ; offset += limit {
		p := &user.ListParams{ListParams: clerk.ListParams{Limit: clerk.Int64(limit), Offset: clerk.Int64(offset)}}
		if orderBy != "" {
			p.OrderBy = clerk.String(orderBy)
		}
		page, err := c.List(ctx, p)
		require.NoError(t, err)
		for _, u := range page.Users {
			ids = append(ids, u.ID)
			users = append(users, u)
		}
		if int64(len(page.Users)) < limit {
			return ids, users
		}
	}
}

func TestUsersListToTheEnd(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Generate(1, 1234, 0, 0)
	c := user.NewClient(srv.Config())

	ids, users := listAllUsers(t, c, 500, "")
	require.Len(t, ids, 1234)
	assert.Len(t, slices.Compact(slices.Sorted(slices.Values(ids))), 1234, "an id listed twice")
	assert.True(t, slices.IsSortedFunc(users, func(a, b *clerk.User) int { return int(b.CreatedAt - a.CreatedAt) }),
		"the default order is newest first")

	// 3 pages, each a list call and a count call.
	assert.Equal(t, 3, srv.RequestCount("GET /v1/users"))
	assert.Equal(t, 3, srv.RequestCount("GET /v1/users/count"))
	assert.Equal(t, 6, srv.RequestCount(""))

	page, err := c.List(context.Background(), &user.ListParams{})
	require.NoError(t, err)
	assert.Len(t, page.Users, 10, "the default limit")
	assert.EqualValues(t, 1234, page.TotalCount)
	count, err := c.Count(context.Background(), &user.ListParams{})
	require.NoError(t, err)
	assert.Equal(t, "total_count", count.Object)
	assert.EqualValues(t, 1234, count.TotalCount)
}

func TestUsersOrderBy(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Generate(2, 120, 0, 0)
	c := user.NewClient(srv.Config())
	for _, tc := range []struct {
		orderBy string
		cmp     func(a, b *clerk.User) int
	}{
		{"created_at", func(a, b *clerk.User) int { return int(a.CreatedAt - b.CreatedAt) }},
		{"+created_at", func(a, b *clerk.User) int { return int(a.CreatedAt - b.CreatedAt) }},
		{"-created_at", func(a, b *clerk.User) int { return int(b.CreatedAt - a.CreatedAt) }},
		{"updated_at", func(a, b *clerk.User) int { return int(a.UpdatedAt - b.UpdatedAt) }},
		{"-updated_at", func(a, b *clerk.User) int { return int(b.UpdatedAt - a.UpdatedAt) }},
	} {
		t.Run(tc.orderBy, func(t *testing.T) {
			_, users := listAllUsers(t, c, 50, tc.orderBy)
			require.Len(t, users, 120)
			assert.True(t, slices.IsSortedFunc(users, tc.cmp))
		})
	}

	for _, tc := range []struct{ orderBy, code string }{
		{"-bogus", "form_param_value_invalid"},
		{"-first_name", "fakeclerk_unsupported"}, // Clerk orders by it; the double does not
	} {
		_, err := c.List(context.Background(), &user.ListParams{OrderBy: clerk.String(tc.orderBy)})
		e := apiError(t, err)
		assert.Equal(t, 422, e.HTTPStatusCode, tc.orderBy)
		assert.Equal(t, tc.code, e.Errors[0].Code, tc.orderBy)
	}
}

func TestUsersListParameters(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Generate(3, 30, 0, 0)
	c := user.NewClient(srv.Config())
	ctx := context.Background()
	all := srv.Users()

	// user_id: included ids, or everyone but the excluded ones; the count
	// call is filtered alike.
	page, err := c.List(ctx, &user.ListParams{UserIDs: []string{all[0].ID, "+" + all[5].ID, "user_unknown"}})
	require.NoError(t, err)
	require.Len(t, page.Users, 2)
	assert.ElementsMatch(t, []string{all[0].ID, all[5].ID}, []string{page.Users[0].ID, page.Users[1].ID})
	assert.EqualValues(t, 2, page.TotalCount)
	page, err = c.List(ctx, &user.ListParams{ListParams: clerk.ListParams{Limit: clerk.Int64(100)}, UserIDs: []string{"-" + all[0].ID}})
	require.NoError(t, err)
	assert.Len(t, page.Users, 29)
	assert.EqualValues(t, 29, page.TotalCount)

	for _, tc := range []struct {
		name   string
		params user.ListParams
		code   string
	}{
		{"limit 0", user.ListParams{ListParams: clerk.ListParams{Limit: clerk.Int64(0)}}, "form_param_value_invalid"},
		{"limit 501", user.ListParams{ListParams: clerk.ListParams{Limit: clerk.Int64(501)}}, "form_param_value_invalid"},
		{"offset -1", user.ListParams{ListParams: clerk.ListParams{Offset: clerk.Int64(-1)}}, "form_param_value_invalid"},
		{"101 ids", user.ListParams{UserIDs: make([]string, 101)}, "form_param_value_invalid"},
		{"query", user.ListParams{Query: clerk.String("ada")}, "fakeclerk_unsupported"},
		{"email_address", user.ListParams{EmailAddresses: []string{"a@example.com"}}, "fakeclerk_unsupported"},
	} {
		_, err := c.List(ctx, &tc.params)
		e := apiError(t, err)
		assert.Equal(t, 422, e.HTTPStatusCode, tc.name)
		assert.Equal(t, tc.code, e.Errors[0].Code, tc.name)
	}

	// Past the end: an empty array, not null.
	page, err = c.List(ctx, &user.ListParams{ListParams: clerk.ListParams{Offset: clerk.Int64(30)}})
	require.NoError(t, err)
	assert.Empty(t, page.Users)
	assert.EqualValues(t, 30, page.TotalCount)
}

func TestUserGetDecodes(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	put := srv.PutUser(fakeclerk.User{
		FirstName:       "Elodie",
		LastName:        "Marchetti",
		Username:        "elodie_m",
		ExternalID:      "nw-legacy-000418223",
		EmailAddress:    "elodie.marchetti@example.com",
		PublicMetadata:  json.RawMessage(`{"plan":"pro"}`),
		PrivateMetadata: json.RawMessage(`{"legacy_id":418223}`),
	})
	require.Regexp(t, `^user_[0-9A-Za-z]{27}$`, put.ID)
	require.Regexp(t, `^idn_[0-9A-Za-z]{27}$`, put.EmailAddressID)

	u, err := user.NewClient(srv.Config()).Get(context.Background(), put.ID)
	require.NoError(t, err)
	assert.Equal(t, "user", u.Object)
	assert.Equal(t, put.ID, u.ID)
	assert.Equal(t, "Elodie", *u.FirstName)
	assert.Equal(t, "Marchetti", *u.LastName)
	assert.Equal(t, "elodie_m", *u.Username)
	assert.Equal(t, "nw-legacy-000418223", *u.ExternalID)
	assert.Regexp(t, `^https://img\.clerk\.com/`, *u.ImageURL)
	assert.False(t, u.HasImage)
	require.Len(t, u.EmailAddresses, 1)
	email := u.EmailAddresses[0]
	assert.Equal(t, put.EmailAddressID, email.ID)
	assert.Equal(t, "email_address", email.Object)
	assert.Equal(t, "elodie.marchetti@example.com", email.EmailAddress)
	require.NotNil(t, email.Verification)
	assert.Equal(t, "verified", email.Verification.Status)
	assert.Equal(t, "admin", email.Verification.Strategy)
	assert.Equal(t, put.EmailAddressID, *u.PrimaryEmailAddressID)
	assert.JSONEq(t, `{"plan":"pro"}`, string(u.PublicMetadata))
	assert.JSONEq(t, `{"legacy_id":418223}`, string(u.PrivateMetadata))
	assert.JSONEq(t, `{}`, string(u.UnsafeMetadata))
	assert.Equal(t, fakeclerk.Epoch+1, u.CreatedAt)
	assert.Equal(t, u.CreatedAt, u.UpdatedAt, "a new user's updated_at is its created_at")
	assert.NotNil(t, u.PhoneNumbers)
	assert.NotNil(t, u.ExternalAccounts)
	assert.Nil(t, u.LastSignInAt)
	assert.NotNil(t, u.Response, "the SDK keeps the raw response")
}

func TestUserNotFound(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	_, err := user.NewClient(srv.Config()).Get(context.Background(), "user_2NNEqL2nrIRdJ194ndJqAHwEfxC")
	e := apiError(t, err)
	assert.Equal(t, 404, e.HTTPStatusCode)
	assert.Equal(t, "resource_not_found", e.Errors[0].Code)
	assert.Equal(t, "not found", e.Errors[0].Message)
	assert.Equal(t, "No user was found with id user_2NNEqL2nrIRdJ194ndJqAHwEfxC", e.Errors[0].LongMessage)
	assert.Regexp(t, `^[0-9a-f]{32}$`, e.TraceID)

	// A deleted user is gone from the API, as from Clerk.
	u := srv.PutUser(fakeclerk.User{FirstName: "Gone"})
	_, ok := srv.DeleteUser(u.ID)
	require.True(t, ok)
	_, err = user.NewClient(srv.Config()).Get(context.Background(), u.ID)
	assert.Equal(t, 404, apiError(t, err).HTTPStatusCode)
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	u := srv.PutUser(fakeclerk.User{FirstName: "Ada"})
	for _, tc := range []struct{ name, key, code string }{
		{"wrong key", "sk_test_wrong", "clerk_key_invalid"},
		{"no key", "", "authorization_header_format_invalid"},
	} {
		cfg := srv.Config()
		cfg.Key = clerk.String(tc.key)
		_, err := user.NewClient(cfg).Get(context.Background(), u.ID)
		e := apiError(t, err)
		assert.Equal(t, 401, e.HTTPStatusCode, tc.name)
		assert.Equal(t, tc.code, e.Errors[0].Code, tc.name)
		_, err = organization.NewClient(cfg).List(context.Background(), &organization.ListParams{})
		assert.Equal(t, 401, apiError(t, err).HTTPStatusCode, tc.name)
	}
	assert.Equal(t, 4, srv.RequestCount(""), "refused requests are counted")
	_, err := user.NewClient(srv.Config()).Get(context.Background(), u.ID)
	require.NoError(t, err)
}

func TestOrganizations(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Generate(4, 60, 23, 5)
	c := organization.NewClient(srv.Config())
	ctx := context.Background()

	var listed []*clerk.Organization
	for offset := int64(0); ; offset += 10 {
		page, err := c.List(ctx, &organization.ListParams{
			ListParams:          clerk.ListParams{Limit: clerk.Int64(10), Offset: clerk.Int64(offset)},
			IncludeMembersCount: clerk.Bool(true),
		})
		require.NoError(t, err)
		assert.EqualValues(t, 23, page.TotalCount)
		listed = append(listed, page.Organizations...)
		if len(page.Organizations) < 10 {
			break
		}
	}
	require.Len(t, listed, 23)
	assert.Equal(t, 3, srv.RequestCount("GET /v1/organizations"))
	assert.True(t, slices.IsSortedFunc(listed, func(a, b *clerk.Organization) int { return int(b.CreatedAt - a.CreatedAt) }))
	o := listed[0]
	assert.Equal(t, "organization", o.Object)
	assert.Regexp(t, `^org_[0-9A-Za-z]{27}$`, o.ID)
	assert.NotEmpty(t, o.Name)
	assert.NotEmpty(t, o.Slug)
	assert.Regexp(t, `^https://img\.clerk\.com/`, *o.ImageURL)
	require.NotNil(t, o.MembersCount)
	assert.EqualValues(t, 5, *o.MembersCount)
	assert.Regexp(t, `^user_`, o.CreatedBy)
	assert.NotZero(t, o.CreatedAt)
	assert.GreaterOrEqual(t, o.UpdatedAt, o.CreatedAt)
	assert.NotNil(t, o.PublicMetadata)

	// Without include_members_count, no count.
	page, err := c.List(ctx, &organization.ListParams{})
	require.NoError(t, err)
	assert.Len(t, page.Organizations, 10)
	assert.Nil(t, page.Organizations[0].MembersCount)

	byName, err := c.List(ctx, &organization.ListParams{ListParams: clerk.ListParams{Limit: clerk.Int64(100)}, OrderBy: clerk.String("name")})
	require.NoError(t, err)
	assert.True(t, slices.IsSortedFunc(byName.Organizations, func(a, b *clerk.Organization) int {
		return compareStrings(a.Name, b.Name)
	}))
	_, err = c.List(ctx, &organization.ListParams{OrderBy: clerk.String("-updated_at")})
	assert.Equal(t, "form_param_value_invalid", apiError(t, err).Errors[0].Code, "Clerk does not order organizations by updated_at")

	// user_id: the organizations the user is a member of.
	m := srv.Memberships()[0]
	mine, err := c.List(ctx, &organization.ListParams{UserIDs: []string{m.UserID}})
	require.NoError(t, err)
	assert.NotEmpty(t, mine.Organizations)
	for _, o := range mine.Organizations {
		assert.True(t, slices.ContainsFunc(srv.Memberships(), func(x fakeclerk.Membership) bool {
			return x.OrganizationID == o.ID && x.UserID == m.UserID
		}))
	}

	// Get by id and by slug; 404 otherwise.
	got, err := c.Get(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, o.Name, got.Name)
	assert.Nil(t, got.MembersCount)
	got, err = c.GetWithParams(ctx, o.Slug, &organization.GetParams{IncludeMembersCount: clerk.Bool(true)})
	require.NoError(t, err)
	assert.Equal(t, o.ID, got.ID)
	assert.EqualValues(t, 5, *got.MembersCount)
	_, err = c.Get(ctx, "org_2NNEqL2nrIRdJ194ndJqAHwEfxC")
	e := apiError(t, err)
	assert.Equal(t, 404, e.HTTPStatusCode)
	assert.Equal(t, "resource_not_found", e.Errors[0].Code)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestMemberships(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Generate(5, 80, 3, 25)
	c := organizationmembership.NewClient(srv.Config())
	ctx := context.Background()
	org := srv.Organizations()[1]

	var listed []*clerk.OrganizationMembership
	for offset := int64(0); ; offset += 10 {
		page, err := c.List(ctx, &organizationmembership.ListParams{
			OrganizationID: org.ID,
			ListParams:     clerk.ListParams{Limit: clerk.Int64(10), Offset: clerk.Int64(offset)},
		})
		require.NoError(t, err)
		assert.EqualValues(t, 25, page.TotalCount)
		listed = append(listed, page.OrganizationMemberships...)
		if len(page.OrganizationMemberships) < 10 {
			break
		}
	}
	require.Len(t, listed, 25)
	assert.Equal(t, 3, srv.RequestCount("GET /v1/organizations/{organization_id}/memberships"))
	assert.Equal(t, 3, srv.RequestCount("GET /v1/organizations/"+org.ID+"/memberships"))
	assert.True(t, slices.IsSortedFunc(listed, func(a, b *clerk.OrganizationMembership) int { return int(b.CreatedAt - a.CreatedAt) }))

	admins := 0
	for _, m := range listed {
		assert.Equal(t, "organization_membership", m.Object)
		assert.Regexp(t, `^orgmem_[0-9A-Za-z]{27}$`, m.ID)
		require.NotNil(t, m.Organization)
		assert.Equal(t, org.ID, m.Organization.ID)
		assert.Equal(t, org.Name, m.Organization.Name)
		assert.EqualValues(t, 25, *m.Organization.MembersCount)
		require.NotNil(t, m.PublicUserData)
		u, ok := srv.User(m.PublicUserData.UserID)
		require.True(t, ok)
		assert.Equal(t, u.EmailAddress, m.PublicUserData.Identifier)
		assert.NotEmpty(t, *m.PublicUserData.ImageURL)
		if u.FirstName != "" {
			assert.Equal(t, u.FirstName, *m.PublicUserData.FirstName)
		}
		assert.NotEmpty(t, m.Permissions)
		assert.NotZero(t, m.CreatedAt)
		assert.GreaterOrEqual(t, m.UpdatedAt, m.CreatedAt)
		switch m.Role {
		case "org:admin":
			admins++
			assert.Equal(t, "Admin", m.RoleName)
			assert.Equal(t, org.CreatedBy, m.PublicUserData.UserID)
		case "org:member":
			assert.Equal(t, "Member", m.RoleName)
		default:
			t.Errorf("role %q", m.Role)
		}
	}
	assert.Equal(t, 1, admins)

	// The membership list filtered by user: how to confirm one is gone, as
	// Clerk has no get of a single membership.
	who := listed[3].PublicUserData.UserID
	one, err := c.List(ctx, &organizationmembership.ListParams{OrganizationID: org.ID, UserIDs: []string{who}})
	require.NoError(t, err)
	require.Len(t, one.OrganizationMemberships, 1)
	assert.Equal(t, listed[3].ID, one.OrganizationMemberships[0].ID)
	assert.EqualValues(t, 1, one.TotalCount)
	require.True(t, srv.DeleteMembership(listed[3].ID))
	none, err := c.List(ctx, &organizationmembership.ListParams{OrganizationID: org.ID, UserIDs: []string{who}})
	require.NoError(t, err)
	assert.Empty(t, none.OrganizationMemberships)
	assert.Zero(t, none.TotalCount)

	// A user's memberships, across organizations.
	mine, err := user.NewClient(srv.Config()).ListOrganizationMemberships(ctx, listed[0].PublicUserData.UserID,
		&user.ListOrganizationMembershipsParams{})
	require.NoError(t, err)
	assert.NotZero(t, mine.TotalCount)
	assert.True(t, slices.ContainsFunc(mine.OrganizationMemberships, func(m *clerk.OrganizationMembership) bool { return m.ID == listed[0].ID }))

	// An organization that does not exist.
	_, err = c.List(ctx, &organizationmembership.ListParams{OrganizationID: "org_2NNEqL2nrIRdJ194ndJqAHwEfxC"})
	assert.Equal(t, 404, apiError(t, err).HTTPStatusCode)
	_, err = c.List(ctx, &organizationmembership.ListParams{OrganizationID: org.ID, OrderBy: clerk.String("-updated_at")})
	assert.Equal(t, 422, apiError(t, err).HTTPStatusCode)
}

func TestDeleteCascades(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Generate(6, 10, 2, 10)
	users, orgs, mems := srv.Count()
	require.Equal(t, []int{10, 2, 20}, []int{users, orgs, mems})

	u := srv.Users()[4]
	gone, ok := srv.DeleteUser(u.ID)
	require.True(t, ok)
	assert.Len(t, gone, 2, "a user's memberships go with the user")
	_, _, mems = srv.Count()
	assert.Equal(t, 18, mems)

	o := srv.Organizations()[0]
	gone, ok = srv.DeleteOrganization(o.ID)
	require.True(t, ok)
	assert.Len(t, gone, 9)
	users, orgs, mems = srv.Count()
	assert.Equal(t, []int{9, 1, 9}, []int{users, orgs, mems})
	_, ok = srv.DeleteOrganization(o.ID)
	assert.False(t, ok)

	assert.PanicsWithValue(t, fmt.Sprintf("fakeclerk: user %s was deleted, and Clerk never brings an id back", u.ID),
		func() { srv.PutUser(u) })
}

func TestStampsMoveForward(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Generate(7, 5, 1, 5)
	u := srv.Users()[2]
	last := u.UpdatedAt
	for range 3 {
		// Putting a user unchanged, or with its old updated_at, bumps it.
		next := srv.PutUser(u)
		assert.Greater(t, next.UpdatedAt, last)
		assert.Equal(t, u.CreatedAt, next.CreatedAt)
		last = next.UpdatedAt
	}
	u.UpdatedAt = last + 1000
	assert.Equal(t, last+1000, srv.PutUser(u).UpdatedAt, "a later updated_at is kept")

	o := srv.Organizations()[0]
	o.Name = "Renamed"
	o2 := srv.PutOrganization(o)
	assert.Greater(t, o2.UpdatedAt, o.UpdatedAt)
	m := srv.Memberships()[0]
	m.Role = "org:billing"
	m2 := srv.PutMembership(m)
	assert.Greater(t, m2.UpdatedAt, m.UpdatedAt)

	srv.DeleteMembership(m.ID)
	at, ok := srv.DeletedAt(m.ID)
	require.True(t, ok)
	assert.Greater(t, at, m2.UpdatedAt, "a deletion is stamped after the record's last change")
	_, ok = srv.DeletedAt(o.ID)
	assert.False(t, ok)
}

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := newServer(t), newServer(t)
	a.Generate(42, 200, 10, 7)
	b.Generate(42, 200, 10, 7)
	assert.Equal(t, a.Users(), b.Users())
	assert.Equal(t, a.Organizations(), b.Organizations())
	assert.Equal(t, a.Memberships(), b.Memberships())
	assert.Equal(t, a.Key(), b.Key())
	c := newServer(t)
	c.Generate(43, 200, 10, 7)
	assert.NotEqual(t, a.Users()[0].ID, c.Users()[0].ID)

	// Ids sort by creation time, as Clerk's KSUIDs do (to the second).
	users := a.Users()
	for i := 1; i < len(users); i++ {
		if users[i].CreatedAt/1000 > users[i-1].CreatedAt/1000 {
			assert.Greater(t, users[i].ID, users[i-1].ID)
		}
	}
	assert.PanicsWithValue(t, fmt.Sprintf("fakeclerk: Generate: id %s exists; was the seed used twice?", users[0].ID),
		func() { a.Generate(42, 200, 10, 7) })
}

func TestGenerateWithoutErrors(t *testing.T) {
	t.Parallel()
	// Every generated record is served without error by the SDK.
	srv := newServer(t)
	srv.Generate(8, 300, 40, 12)
	_, users := listAllUsers(t, user.NewClient(srv.Config()), 500, "")
	require.Len(t, users, 300)
	for _, u := range users {
		require.NotEmpty(t, u.EmailAddresses, u.ID)
		assert.Regexp(t, `^[a-z]+\.[a-z]+\.\d+@example\.com$`, u.EmailAddresses[0].EmailAddress)
	}
	_, _, mems := srv.Count()
	assert.Equal(t, 40*12, mems)
}

// pageParams are limit and offset, for a request the SDK has no method for.
type pageParams struct {
	clerk.APIParams
	clerk.ListParams
}

func (p *pageParams) ToQuery() url.Values { return p.ListParams.ToQuery() }

// GET /v1/organization_memberships, every membership of the instance in
// one list, is in the API but has no method in clerk-sdk-go v2.7.0; a
// client calls it through the SDK's Backend.
func TestInstanceMemberships(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Generate(15, 50, 7, 9)
	backend := clerk.NewBackend(&srv.Config().BackendConfig)
	var ids []string
	for offset := int64(0); ; offset += 20 {
		req := clerk.NewAPIRequest(http.MethodGet, "/organization_memberships")
		req.SetParams(&pageParams{ListParams: clerk.ListParams{Limit: clerk.Int64(20), Offset: clerk.Int64(offset)}})
		list := &clerk.OrganizationMembershipList{}
		require.NoError(t, backend.Call(context.Background(), req, list))
		assert.EqualValues(t, 63, list.TotalCount)
		for _, m := range list.OrganizationMemberships {
			require.NotNil(t, m.Organization)
			require.NotNil(t, m.PublicUserData)
			ids = append(ids, m.ID)
		}
		if len(list.OrganizationMemberships) < 20 {
			break
		}
	}
	require.Len(t, ids, 63)
	assert.Equal(t, 4, srv.RequestCount("GET /v1/organization_memberships"))
	all := srv.Memberships()
	slices.SortFunc(all, func(a, b fakeclerk.Membership) int { return int(b.CreatedAt - a.CreatedAt) })
	assert.Equal(t, all[0].ID, ids[0], "newest first")
}
