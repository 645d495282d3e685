package clerksync

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/fakeclerk"
	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/synctest"
)

// LookupUser answers from the mirror when it can: a user it holds, and a
// user it holds as deleted (ErrDeleted), cost no request.
func TestLookupAnswersFromTheMirror(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		srv := newFake(t)
		srv.Generate(20, 50, 0, 0)
		db := newDB(t)
		m := newMirror(t, db, srv)
		ctx := context.Background()
		_, err := m.Reconcile(ctx, nil)
		require.NoError(t, err)
		users := srv.Users()
		srv.DeleteUser(users[1].ID)
		require.NoError(t, newWebhooks(t, m).deliver(ctx, srv.Event("user.deleted", users[1].ID)))
		sent := len(srv.Requests())

		u, err := m.LookupUser(ctx, users[0].ID)
		require.NoError(t, err)
		assert.Equal(t, users[0].ID, u.ID)
		assert.Equal(t, users[0].EmailAddress, *u.Email)
		assert.Equal(t, users[0].UpdatedAt, u.UpdatedAt)
		_, err = m.LookupUser(ctx, users[1].ID)
		require.ErrorIs(t, err, ErrDeleted)
		assert.Equal(t, sent, len(srv.Requests()), "requests")
	})
}

// A user the mirror never saw (the first request of a user who just signed
// up, before user.created arrives) is fetched, stored, and returned; the
// next lookup, and User, find it in the mirror.
func TestLookupFetchesAMissingUser(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		srv := newFake(t)
		db := newDB(t)
		m := newMirror(t, db, srv)
		ctx := context.Background()
		created := srv.PutUser(fakeclerk.User{FirstName: "Amara", LastName: "Okafor", EmailAddress: "amara@example.com"})
		_, err := m.User(ctx, created.ID)
		require.ErrorIs(t, err, ErrNotFound)
		u, err := m.LookupUser(ctx, created.ID)
		require.NoError(t, err)
		assert.Equal(t, "amara@example.com", *u.Email)
		assert.Equal(t, "Amara", *u.FirstName)
		assert.Equal(t, created.UpdatedAt, u.UpdatedAt)
		again, err := m.User(ctx, created.ID)
		require.NoError(t, err)
		assert.Equal(t, u, again)
		_, err = m.LookupUser(ctx, created.ID)
		require.NoError(t, err)
		assert.Equal(t, 1, srv.RequestCount("GET /v1/users/{user_id}"))
		// The webhook that arrives later changes nothing: the same version.
		require.NoError(t, newWebhooks(t, m).deliver(ctx, srv.Event("user.created", created.ID)))
		after, err := m.User(ctx, created.ID)
		require.NoError(t, err)
		assert.Equal(t, u, after)
	})
}

// Concurrent lookups of one missing id make one request, all of them
// waiting for it: here 20, counted waiting before the request is let go.
func TestLookupSingleFlight(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		srv := newFake(t)
		db := newDB(t)
		m := newMirror(t, db, srv)
		created := srv.PutUser(fakeclerk.User{FirstName: "Wei", EmailAddress: "wei@example.com"})
		unknown := "user_2zzzzzzzzzzzzzzzzzzzzzzzzzz"
		for _, id := range []string{created.ID, unknown} {
			hold := make(chan struct{})
			srv.Fail(fakeclerk.Fault{Path: "/v1/users/" + id, Hold: hold})
			const n = 20
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() { _, errs[i] = m.LookupUser(context.Background(), id) })
			}
			require.Eventually(t, func() bool { return m.lookups.waiting(id) == n }, 10*time.Second, time.Millisecond)
			close(hold)
			wg.Wait()
			for _, err := range errs {
				if id == unknown {
					assert.ErrorIs(t, err, ErrNotFound)
				} else {
					assert.NoError(t, err)
				}
			}
			assert.Equal(t, 1, srv.RequestCount("GET /v1/users/"+id), "requests for %s", id)
		}
	})
}

// waiting returns how many lookups wait for the fetch of id.
func (l *lookups) waiting(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f := l.inflight[id]; f != nil {
		return f.waiters
	}
	return 0
}

// An id Clerk does not know is asked about at most once a minute: a lookup
// within the minute answers ErrNotFound from memory, one after it asks
// again. A failed request is not remembered: the next lookup asks again.
func TestLookupRemembersUnknownIDs(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	db := newSQLite(t)
	m := newMirror(t, db, srv, WithRetryLimit(time.Second))
	now := time.Now()
	var mu sync.Mutex
	m.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	ctx := context.Background()
	const unknown = "user_2yyyyyyyyyyyyyyyyyyyyyyyyyy"
	route := "GET /v1/users/" + unknown
	for i, step := range []struct {
		advance  time.Duration
		requests int
	}{{0, 1}, {0, 1}, {30 * time.Second, 1}, {29 * time.Second, 1}, {time.Second, 2}, {59 * time.Second, 2}, {time.Minute, 3}} {
		advance(step.advance)
		_, err := m.LookupUser(ctx, unknown)
		require.ErrorIs(t, err, ErrNotFound, "lookup %d", i)
		assert.Equal(t, step.requests, srv.RequestCount(route), "requests after lookup %d", i)
	}

	const failing = "user_2xxxxxxxxxxxxxxxxxxxxxxxxxx"
	srv.Fail(fakeclerk.Fault{Path: "/v1/users/" + failing, Status: http.StatusServiceUnavailable, Times: 100})
	_, err := m.LookupUser(ctx, failing)
	require.ErrorIs(t, err, ErrUnavailable)
	n := srv.RequestCount("GET /v1/users/" + failing)
	assert.Greater(t, n, 1)
	_, err = m.LookupUser(ctx, failing)
	require.ErrorIs(t, err, ErrUnavailable)
	assert.Greater(t, srv.RequestCount("GET /v1/users/"+failing), n)
}

// Without a secret key, an id the mirror never saw is ErrNotFound, with no
// request; an id not of Clerk's form is ErrNotFound with no request even
// with one (it could name another endpoint).
func TestLookupWithoutAKeyOrWithABadID(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	created := srv.PutUser(fakeclerk.User{FirstName: "Noah"})
	db := newSQLite(t)
	m, err := New(db.DB, db.dialect, WithAPIURL(srv.URL()))
	require.NoError(t, err)
	assert.False(t, m.HasAPI())
	_, err = m.LookupUser(context.Background(), created.ID)
	require.ErrorIs(t, err, ErrNotFound)
	_, err = m.Reconcile(context.Background(), nil)
	require.ErrorIs(t, err, ErrNoSecretKey)

	withKey := newMirror(t, db, srv)
	for _, id := range []string{"", "user_", "user_../../organizations", "user_x/memberships", "org_2abc", "user_a b", "user_\x00"} {
		_, err := withKey.LookupUser(context.Background(), id)
		assert.ErrorIs(t, err, ErrNotFound, "%q", id)
	}
	assert.Empty(t, srv.Requests())
}

// A deletion that arrives while the user is being fetched wins: the
// fetched version, read before it, does not bring the user back, and the
// lookup answers ErrDeleted. Here the deletion's webhook is applied after
// Clerk answered and before the Mirror reads the answer; its stamp is the
// deletion's, or (another clock's) one before the version's updated_at.
func TestLookupRacingADeletion(t *testing.T) {
	t.Parallel()
	for _, skewed := range []bool{false, true} {
		t.Run(map[bool]string{false: "deletion stamped after", true: "deletion stamped before"}[skewed], func(t *testing.T) {
			t.Parallel()
			eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
				srv := newFake(t)
				db := newDB(t)
				rec := newRecorder()
				m := newMirror(t, db, srv, WithTransport(rec))
				w := newWebhooks(t, m)
				created := srv.PutUser(fakeclerk.User{FirstName: "Sofia"})
				rec.setRewrite(func(req *http.Request, body []byte) []byte {
					deletion := synctest.DeletedBody(clerkwebhook.UserDeleted, created.ID, nil, created.UpdatedAt-1000)
					if !skewed {
						srv.DeleteUser(created.ID)
						deletion = srv.Event("user.deleted", created.ID)
					}
					require.NoError(t, w.deliver(req.Context(), deletion))
					return body
				})
				_, err := m.LookupUser(context.Background(), created.ID)
				require.ErrorIs(t, err, ErrDeleted)
				_, err = m.User(context.Background(), created.ID)
				require.ErrorIs(t, err, ErrDeleted)
			})
		})
	}
}
