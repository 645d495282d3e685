package clerksync

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An empty mirror of thousands of users, hundreds of organizations and
// thousands of memberships reconciles to exactly Clerk's state, with one
// request a page (and one count), and a second reconcile finds everything
// unchanged.
func TestReconcileEmptyMirror(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		const users, orgs, perOrg = 3000, 200, 15
		srv := newFake(t)
		srv.Generate(1, users, orgs, perOrg)
		db := newDB(t)
		m := newMirror(t, db, srv)
		ctx := context.Background()
		var reports []Progress
		sum, err := m.Reconcile(ctx, func(p Progress) { reports = append(reports, p) })
		require.NoError(t, err)
		requireMirrorsClerk(t, db, srv)
		assert.True(t, sum.Complete)
		assert.Equal(t, Counts{Listed: users, Inserted: users}, sum.Users)
		assert.Equal(t, Counts{Listed: orgs, Inserted: orgs}, sum.Organizations)
		assert.Equal(t, Counts{Listed: orgs * perOrg, Inserted: orgs * perOrg}, sum.Memberships)
		// A count, 7 pages of users (the 7th empty), one of organizations,
		// one of memberships per organization; nothing to confirm.
		want := 1 + users/500 + 1 + 1 + orgs
		assert.EqualValues(t, want, sum.Requests)
		assert.Equal(t, want, len(srv.Requests()))
		require.NotEmpty(t, reports)
		last := reports[len(reports)-1]
		assert.Equal(t, Memberships, last.Kind)

		again, err := m.Reconcile(ctx, nil)
		require.NoError(t, err)
		assert.Equal(t, Counts{Listed: users, Unchanged: users}, again.Users)
		assert.Equal(t, Counts{Listed: orgs, Unchanged: orgs}, again.Organizations)
		assert.Equal(t, Counts{Listed: orgs * perOrg, Unchanged: orgs * perOrg}, again.Memberships)
		assert.NotEqual(t, sum.Run, again.Run)
		requireMirrorsClerk(t, db, srv)
	})
}

// With a share of the webhook deliveries missed (40% of the changes since
// the last reconcile never arrive), a reconcile after the changes gives
// exactly Clerk's state.
func TestReconcileAfterMissedWebhooks(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		srv := newFake(t)
		srv.Generate(2, 1500, 100, 10)
		db := newDB(t)
		m := newMirror(t, db, srv)
		ctx := context.Background()
		_, err := m.Reconcile(ctx, nil)
		require.NoError(t, err)

		c := newChanger(srv, 2)
		for range 600 {
			c.step()
		}
		events := c.take()
		rng := rand.New(rand.NewPCG(2, 2))
		rng.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
		w := newWebhooks(t, m)
		delivered := 0
		for _, body := range events {
			if rng.IntN(10) < 6 {
				require.NoError(t, w.deliver(ctx, body))
				delivered++
			}
		}
		missed := differences(t, db, srv)
		require.NotEmpty(t, missed, "the missed deliveries left the mirror as Clerk is")

		sum, err := m.Reconcile(ctx, nil)
		require.NoError(t, err)
		requireMirrorsClerk(t, db, srv)
		assert.Positive(t, sum.Users.Inserted+sum.Users.Updated)
		assert.Positive(t, sum.Users.Deleted)
		assert.Positive(t, sum.Memberships.Deleted)
		t.Logf("%d changes, %d delivered (shuffled), %d differences before the reconcile; users %+v, organizations %+v, memberships %+v; %d requests",
			len(events), delivered, len(missed), sum.Users, sum.Organizations, sum.Memberships, sum.Requests)
	})
}

// A live row that a listing leaves out (as shifting offsets do) is never
// deleted for that: Clerk is asked, answers it, and it stays, its version
// read again. Here every tenth user and membership of each page is
// replaced by a copy of another of the page (so the pages keep their
// length, and the offsets their meaning).
func TestAbsenceFromAListingDeletesNothing(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		srv := newFake(t)
		srv.Generate(3, 1200, 40, 10)
		db := newDB(t)
		rec := newRecorder()
		m := newMirror(t, db, srv, WithTransport(rec))
		ctx := context.Background()
		_, err := m.Reconcile(ctx, nil)
		require.NoError(t, err)

		var cutUsers, cutMemberships atomic.Int64
		cut := func(items []json.RawMessage, n *atomic.Int64) {
			for i := 1; i < len(items); i += 10 {
				items[i] = items[0]
				n.Add(1)
			}
		}
		var mu sync.Mutex
		listed := map[string]bool{} // the users the listing returned
		rec.setRewrite(func(req *http.Request, body []byte) []byte {
			switch {
			case req.URL.Path == "/v1/users":
				var page []json.RawMessage
				require.NoError(t, json.Unmarshal(body, &page))
				cut(page, &cutUsers)
				body, _ = json.Marshal(page)
				var ids []struct{ ID string }
				require.NoError(t, json.Unmarshal(body, &ids))
				mu.Lock()
				for _, u := range ids {
					listed[u.ID] = true
				}
				mu.Unlock()
			case strings.HasSuffix(req.URL.Path, "/memberships") && !req.URL.Query().Has("user_id"):
				var list struct {
					Data       []json.RawMessage `json:"data"`
					TotalCount int               `json:"total_count"`
				}
				require.NoError(t, json.Unmarshal(body, &list))
				cut(list.Data, &cutMemberships)
				body, _ = json.Marshal(list)
			}
			return body
		})
		sum, err := m.Reconcile(ctx, nil)
		require.NoError(t, err)
		requireMirrorsClerk(t, db, srv)
		assert.Zero(t, sum.Users.Deleted)
		assert.Zero(t, sum.Memberships.Deleted)
		gets := srv.RequestCount("GET /v1/users/{user_id}")
		assert.Equal(t, 1200-len(listed), gets, "one get a user the listing left out")
		assert.Equal(t, sum.Users.Listed+int64(gets), sum.Users.Unchanged, "each version read, listed or got")
		assert.EqualValues(t, 400+cutMemberships.Load(), sum.Memberships.Unchanged)
		t.Logf("cut %d users and %d memberships out of the listings; users %+v, memberships %+v; %d requests",
			cutUsers.Load(), cutMemberships.Load(), sum.Users, sum.Memberships, sum.Requests)
	})
}

// Deletions Clerk made while no webhook arrived: each is confirmed before
// the row becomes a tombstone, a user and an organization with a get, a
// membership with its organization's list filtered by its user (one
// request for the organization's memberships asked about), and a membership
// of a deleted user or organization with none.
func TestReconcileConfirmsDeletions(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		srv := newFake(t)
		srv.Generate(4, 600, 30, 8)
		db := newDB(t)
		m := newMirror(t, db, srv)
		ctx := context.Background()
		_, err := m.Reconcile(ctx, nil)
		require.NoError(t, err)

		rng := rand.New(rand.NewPCG(4, 4))
		users := srv.Users()
		orgs := srv.Organizations()
		var deletedMemberships int
		for _, u := range users[:7] {
			mids, _ := srv.DeleteUser(u.ID)
			deletedMemberships += len(mids)
		}
		for _, o := range orgs[:3] {
			mids, _ := srv.DeleteOrganization(o.ID)
			deletedMemberships += len(mids)
		}
		asked := map[string]bool{}
		for _, mb := range srv.Memberships() {
			if len(asked) < 11 && !asked[mb.OrganizationID] && rng.IntN(3) == 0 {
				srv.DeleteMembership(mb.ID)
				asked[mb.OrganizationID] = true
				deletedMemberships++
			}
		}
		before := len(srv.Requests())
		sum, err := m.Reconcile(ctx, nil)
		require.NoError(t, err)
		requireMirrorsClerk(t, db, srv)
		assert.EqualValues(t, 7, sum.Users.Deleted)
		assert.EqualValues(t, 3, sum.Organizations.Deleted)
		assert.EqualValues(t, deletedMemberships, sum.Memberships.Deleted)
		assert.Equal(t, 7, srv.RequestCount("GET /v1/users/{user_id}"))
		assert.Equal(t, 3, srv.RequestCount("GET /v1/organizations/{organization_id}"))
		filtered := 0
		for _, r := range srv.Requests()[before:] {
			if r.Query.Has("user_id") {
				filtered++
			}
		}
		assert.Equal(t, len(asked), filtered, "filtered membership lists")
		_, tombstones := countRows(t, db, "users")
		assert.Equal(t, 7, tombstones)
	})
}

// The progress of a reconcile: for each kind, the listing's count of
// records seen rises to Clerk's total (for memberships, the sum of the
// organizations' members counts), and the rate is positive.
func TestReconcileProgress(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	srv.Generate(17, 1700, 600, 2)
	m := newMirror(t, newSQLite(t), srv)
	last := map[Kind]Progress{}
	_, err := m.Reconcile(context.Background(), func(p Progress) {
		if p.Phase == Listing {
			assert.GreaterOrEqual(t, p.Seen, last[p.Kind].Seen, "%s went back", p.Kind)
			last[p.Kind] = p
		}
	})
	require.NoError(t, err)
	for kind, want := range map[Kind]int64{Users: 1700, Organizations: 600, Memberships: 1200} {
		p := last[kind]
		assert.Equal(t, want, p.Seen, "%s seen", kind)
		assert.Equal(t, want, p.Total, "%s total", kind)
		assert.Positive(t, p.Rate, "%s rate", kind)
	}
}
