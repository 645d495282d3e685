package fakeclerk_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"github.com/clerk/clerk-sdk-go/v2/user"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/fakeclerk"
)

// Offset pagination shifts when records change at low offsets while a
// client pages: a deletion makes the listing skip a user that was live
// throughout, an insertion makes it list one twice. The hook reproduces
// both, which is why absence from a listing must never delete a user.
func TestChurnShiftsOffsets(t *testing.T) {
	t.Parallel()
	t.Run("a deletion skips a live user", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		srv.Generate(11, 30, 0, 0)
		all := srv.Users() // oldest first; the listing is newest first
		var pages []fakeclerk.Page
		srv.BeforePage(func(p fakeclerk.Page) {
			pages = append(pages, p)
			if p.Offset == 10 {
				_, ok := srv.DeleteUser(all[29].ID) // listed on page 1
				require.True(t, ok)
			}
		})
		ids, _ := listAllUsers(t, user.NewClient(srv.Config()), 10, "")
		assert.Len(t, ids, 29)
		assert.NotContains(t, ids, all[19].ID, "moved from page 2 to page 1 after page 1 was served")
		_, live := srv.User(all[19].ID)
		assert.True(t, live)
		assert.Equal(t, []fakeclerk.Page{{"/v1/users", 0, 10}, {"/v1/users", 10, 10}, {"/v1/users", 20, 10}}, pages,
			"the hook runs for list calls, not for count calls")
	})
	t.Run("an insertion lists a user twice", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		srv.Generate(12, 30, 0, 0)
		all := srv.Users()
		var added fakeclerk.User
		srv.BeforePage(func(p fakeclerk.Page) {
			if p.Offset == 10 {
				added = srv.PutUser(fakeclerk.User{FirstName: "New"})
			}
		})
		ids, _ := listAllUsers(t, user.NewClient(srv.Config()), 10, "")
		assert.Len(t, ids, 31)
		assert.Equal(t, 2, countOf(ids, all[20].ID))
		assert.NotContains(t, ids, added.ID, "created after the first page")
		srv.BeforePage(nil)
		ids, _ = listAllUsers(t, user.NewClient(srv.Config()), 10, "")
		assert.Len(t, ids, 31)
		assert.Equal(t, added.ID, ids[0])
	})
	t.Run("memberships", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		srv.Generate(13, 40, 1, 30)
		org := srv.Organizations()[0]
		mems := srv.Memberships() // oldest first
		srv.BeforePage(func(p fakeclerk.Page) {
			if p.Path == "/v1/organizations/"+org.ID+"/memberships" && p.Offset == 10 {
				srv.DeleteMembership(mems[len(mems)-1].ID)
			}
		})
		c := organizationmembership.NewClient(srv.Config())
		var ids []string
		for offset := int64(0); ; offset += 10 {
			page, err := c.List(context.Background(), &organizationmembership.ListParams{
				OrganizationID: org.ID, ListParams: clerk.ListParams{Limit: clerk.Int64(10), Offset: clerk.Int64(offset)}})
			require.NoError(t, err)
			for _, m := range page.OrganizationMemberships {
				ids = append(ids, m.ID)
			}
			if len(page.OrganizationMemberships) < 10 {
				break
			}
		}
		assert.Len(t, ids, 29)
		assert.NotContains(t, ids, mems[len(mems)-11].ID)
	})
}

func countOf(ids []string, id string) int {
	n := 0
	for _, x := range ids {
		if x == id {
			n++
		}
	}
	return n
}

// State changes from other goroutines while clients list: every page is
// whole and decodes (run with -race).
func TestConcurrentChanges(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Generate(14, 400, 10, 20)
	var stop atomic.Bool
	var writers, readers sync.WaitGroup
	for w := range 2 {
		writers.Go(func() {
			for i := 0; i < 300 && !stop.Load(); i++ {
				// A user comes and goes; an existing one changes.
				u := srv.PutUser(fakeclerk.User{FirstName: fmt.Sprint("w", w, "-", i)})
				users := srv.Users()
				srv.PutUser(users[i%len(users)])
				_ = srv.Event("user.updated", users[i%len(users)].ID)
				srv.DeleteUser(u.ID)
				_ = srv.Event("user.deleted", u.ID)
				runtime.Gosched()
			}
		})
	}
	for range 3 {
		readers.Go(func() {
			c := user.NewClient(srv.Config())
			for range 5 {
				listed := 0
				for offset := int64(0); ; offset += 100 {
					page, err := c.List(context.Background(), &user.ListParams{OrderBy: clerk.String("-updated_at"),
						ListParams: clerk.ListParams{Limit: clerk.Int64(100), Offset: clerk.Int64(offset)}})
					if !assert.NoError(t, err) {
						return
					}
					for _, u := range page.Users {
						assert.NotEmpty(t, u.ID)
						assert.NotZero(t, u.UpdatedAt)
					}
					listed += len(page.Users)
					if len(page.Users) < 100 {
						break
					}
				}
				assert.GreaterOrEqual(t, listed, 390)
			}
		})
	}
	org := srv.Organizations()[0].ID
	for range 5 {
		_, err := organizationmembership.NewClient(srv.Config()).List(context.Background(),
			&organizationmembership.ListParams{OrganizationID: org})
		require.NoError(t, err)
	}
	readers.Wait()
	stop.Store(true)
	writers.Wait()
	users, _, _ := srv.Count()
	assert.Equal(t, 400, users)
	assert.True(t, slices.IsSortedFunc(srv.Users(), func(a, b fakeclerk.User) int { return int(a.CreatedAt - b.CreatedAt) }))
}
