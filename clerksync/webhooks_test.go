package clerksync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/fakeclerk"
	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/synctest"
)

// getter reads the mirror as the command's read endpoints answer (the
// same JSON), for synctest.CheckState.
func getter(t *testing.T, m *Mirror) synctest.Getter {
	return func(path string) (int, any) {
		t.Helper()
		ctx := context.Background()
		var v any
		var err error
		switch parts := strings.Split(strings.TrimPrefix(path, "/"), "/"); {
		case len(parts) == 2 && parts[0] == "users":
			var u *User
			if u, err = m.User(ctx, parts[1]); err == nil {
				v = map[string]any{"id": u.ID, "email": u.Email, "first_name": u.FirstName, "last_name": u.LastName,
					"image_url": u.ImageURL, "updated_at": u.UpdatedAt}
			}
		case len(parts) == 2 && parts[0] == "organizations":
			var o *Organization
			if o, err = m.Organization(ctx, parts[1]); err == nil {
				v = map[string]any{"id": o.ID, "name": o.Name, "slug": o.Slug, "updated_at": o.UpdatedAt}
			}
		case len(parts) == 3 && parts[2] == "members":
			var ms []Member
			if ms, err = m.Members(ctx, parts[1]); err == nil {
				list := []any{}
				for _, mb := range ms {
					list = append(list, map[string]any{"user_id": mb.UserID, "role": mb.Role})
				}
				v = list
			}
		default:
			t.Fatalf("no such path %s", path)
		}
		switch {
		case errors.Is(err, ErrNotFound), errors.Is(err, ErrDeleted):
			return http.StatusNotFound, map[string]any{"error": "not found"}
		case err != nil:
			t.Fatalf("GET %s: %v", path, err)
		}
		b, err := json.Marshal(v)
		require.NoError(t, err)
		var decoded any
		require.NoError(t, json.Unmarshal(b, &decoded))
		return http.StatusOK, decoded
	}
}

// The order rule, case by case: each short history is applied in every
// order its events could arrive in (all permutations), through the
// callbacks Register makes, and must leave the state of the history applied
// in order.
func TestOrderRule(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		m := newMirror(t, newDB(t), nil)
		w := newWebhooks(t, m)
		get := getter(t, m)
		ctx := context.Background()
		for i, c := range synctest.OrderCases {
			t.Run(c.Name, func(t *testing.T) {
				n := len(c.History("").Messages)
				for j, order := range synctest.Permutations(n) {
					hist := c.History(fmt.Sprintf("c%dp%d", i, j))
					for _, k := range order {
						require.NoError(t, w.deliver(ctx, hist.Messages[k].Body), "%s", hist.Messages[k].Type)
					}
					if !synctest.CheckState(t, get, hist) {
						t.Fatalf("the events arrived in the order %v of the history (%d orders tried)", order, j+1)
					}
				}
			})
		}
	})
}

// A version read from the API never changes a tombstone, even one stamped
// before it (a deletion whose envelope time is earlier than the version's
// updated_at, as different clocks may make): the reconcile's listing and
// the lookup's fetch cannot bring a deleted user back. A webhook's version
// stamped after the deletion still does: only Clerk sends those, and it
// never does for a deleted id.
func TestAPIVersionsNeverReviveATombstone(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		srv := newFake(t)
		db := newDB(t)
		m := newMirror(t, db, srv)
		w := newWebhooks(t, m)
		ctx := context.Background()
		u := srv.PutUser(fakeclerk.User{FirstName: "Ada"})
		early := synctest.DeletedBody(clerkwebhook.UserDeleted, u.ID, nil, u.UpdatedAt-1000)
		require.NoError(t, w.deliver(ctx, early))

		sum, err := m.Reconcile(ctx, nil)
		require.NoError(t, err)
		assert.EqualValues(t, 1, sum.Users.Stale)
		_, err = m.User(ctx, u.ID)
		require.ErrorIs(t, err, ErrDeleted)
		_, err = m.LookupUser(ctx, u.ID)
		require.ErrorIs(t, err, ErrDeleted)

		require.NoError(t, w.deliver(ctx, srv.Event("user.updated", u.ID)))
		back, err := m.User(ctx, u.ID)
		require.NoError(t, err, "a webhook's later version")
		assert.Equal(t, "Ada", *back.FirstName)
	})
}

// A NUL character in a user's name, an organization's name or a
// membership's role, whether from a webhook or from the API, is stored as
// U+FFFD on both databases; an id with one is refused, permanently.
func TestNULCharacters(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		srv := newFake(t)
		m := newMirror(t, newDB(t), srv)
		w := newWebhooks(t, m)
		ctx := context.Background()

		u := synctest.CaseUser("nul", synctest.T0)
		first, last := "A\x00da", "\x00"
		u.FirstName, u.LastName = &first, &last
		u.Emails = []string{"ada\x00@example.com"}
		u.Primary = 0
		o := synctest.CaseOrg("nul", synctest.T0)
		o.Name = "Acme\x00 Inc"
		mb := synctest.CaseMembership("orgmem", "nul", "org:\x00admin", synctest.T0)
		mb.Organization = o
		require.NoError(t, w.deliver(ctx, u.Body(clerkwebhook.UserCreated)))
		require.NoError(t, w.deliver(ctx, o.Body(clerkwebhook.OrganizationCreated)))
		require.NoError(t, w.deliver(ctx, mb.Body(clerkwebhook.OrganizationMembershipCreated, synctest.T0)))
		bad := synctest.CaseUser("nul\x00id", synctest.T0)
		err := w.deliver(ctx, bad.Body(clerkwebhook.UserCreated))
		require.ErrorIs(t, err, clerkwebhook.ErrPermanent)

		got, err := m.User(ctx, u.ID)
		require.NoError(t, err)
		assert.Equal(t, "A\uFFFDda", *got.FirstName)
		assert.Equal(t, "\uFFFD", *got.LastName)
		assert.Equal(t, "ada\uFFFD@example.com", *got.Email)
		org, err := m.Organization(ctx, o.ID)
		require.NoError(t, err)
		assert.Equal(t, "Acme\uFFFD Inc", *org.Name)
		members, err := m.Members(ctx, o.ID)
		require.NoError(t, err)
		require.Len(t, members, 1)
		assert.Equal(t, "org:\uFFFDadmin", members[0].Role)

		fromAPI := srv.PutUser(fakeclerk.User{FirstName: "Zo\x00e", EmailAddress: "zoe@example.com"})
		_, err = m.Reconcile(ctx, nil)
		require.NoError(t, err)
		got, err = m.User(ctx, fromAPI.ID)
		require.NoError(t, err)
		assert.Equal(t, "Zo\uFFFDe", *got.FirstName)
	})
}
