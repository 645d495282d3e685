package clerksync

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/fakeclerk"
)

// At the default pace, a reconcile of more requests than Clerk allows in
// 10 seconds is never answered 429 by an API that enforces Clerk's limit
// (100 per 10 seconds, a sliding window), and never starts more than
// DefaultRequestsPer10s in any 10 seconds: one every 125 ms.
func TestDefaultPaceStaysUnderClerksLimit(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	srv.Generate(7, 600, 100, 2)
	srv.RateLimit(100, 10*time.Second)
	db := newSQLite(t)
	rec := newRecorder()
	m := newMirror(t, db, srv, WithTransport(rec), WithRequestRate(DefaultRequestsPer10s, 10*time.Second))
	began := time.Now()
	sum, err := m.Reconcile(context.Background(), nil)
	require.NoError(t, err)
	requireMirrorsClerk(t, db, srv)
	assert.Greater(t, sum.Requests, int64(100))
	assert.Equal(t, map[int]int{http.StatusOK: int(sum.Requests)}, statuses(srv))
	attempts := rec.all()
	for i := range attempts {
		j := i
		for j < len(attempts) && attempts[j].start.Sub(attempts[i].start) < 10*time.Second {
			j++
		}
		// The recorder sees each start a moment after the pacer, a
		// moment that varies: one more is a measurement's error.
		require.LessOrEqual(t, j-i, DefaultRequestsPer10s+1, "requests started within 10s of request %d", i)
	}
	t.Logf("%d requests in %v, none answered 429", sum.Requests, time.Since(began).Round(100*time.Millisecond))
}

// A 429 stops every request of the Mirror until its Retry-After has
// elapsed, the retry and a lookup made meanwhile alike; then the reconcile
// completes.
func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		srv := newFake(t)
		srv.Generate(8, 700, 3, 2)
		srv.Fail(fakeclerk.Fault{Path: "/v1/users", Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"2"}}})
		db := newDB(t)
		rec := newRecorder()
		m := newMirror(t, db, srv, WithTransport(rec))
		// The lookup starts once the Mirror has taken in the 429 (its
		// pacer paused): a request already past the pacer when the answer
		// arrives cannot be held back, by this client or any other.
		limited := make(chan struct{})
		go func() {
			defer close(limited)
			for stop := time.Now().Add(30 * time.Second); time.Now().Before(stop); time.Sleep(5 * time.Millisecond) {
				p := m.api.t.pacer
				p.mu.Lock()
				paused := !p.paused.IsZero()
				p.mu.Unlock()
				if paused {
					return
				}
			}
			t.Error("the Mirror never paused for the 429's Retry-After")
		}()
		lookup := make(chan error, 1)
		go func() {
			<-limited
			_, err := m.LookupUser(context.Background(), "user_neverseen0000000000000000")
			lookup <- err
		}()
		_, err := m.Reconcile(context.Background(), nil)
		require.NoError(t, err)
		require.ErrorIs(t, <-lookup, ErrNotFound)
		requireMirrorsClerk(t, db, srv)
		attempts := rec.all()
		require.Equal(t, http.StatusTooManyRequests, attempts[0].status)
		for _, a := range attempts[1:] {
			assert.GreaterOrEqual(t, a.start.Sub(attempts[0].end), 2*time.Second, "%s %s sent before Retry-After elapsed", a.method, a.path)
		}
		lookups := 0
		for _, a := range attempts {
			if strings.Contains(a.path, "user_neverseen") {
				lookups++
			}
		}
		assert.Equal(t, 1, lookups, "the lookup's requests")
		assert.EqualValues(t, len(attempts), m.api.t.sent.Load())
	})
}

// Against Clerk's sliding-window limit at a pace above it, each 429 is
// waited out: the request after a 429 is admitted, never answered 429
// again, and the reconcile completes.
func TestRateLimitedReconcileCompletes(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	srv.Generate(9, 1000, 40, 5)
	srv.RateLimit(25, 2*time.Second)
	db := newSQLite(t)
	m := newMirror(t, db, srv)
	sum, err := m.Reconcile(context.Background(), nil)
	require.NoError(t, err)
	requireMirrorsClerk(t, db, srv)
	reqs := srv.Requests()
	limited := 0
	for i, r := range reqs {
		if r.Status == http.StatusTooManyRequests {
			limited++
			require.Less(t, i+1, len(reqs))
			assert.NotEqual(t, http.StatusTooManyRequests, reqs[i+1].Status, "request %d after a 429 was sent before Retry-After elapsed", i+1)
		}
	}
	assert.Positive(t, limited)
	t.Logf("%d requests, %d answered 429", sum.Requests, limited)
}

// 5xx answers and dropped connections are retried with backoff; the
// reconcile completes as if they had not happened.
func TestServerErrorsAreRetried(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		srv := newFake(t)
		srv.Generate(10, 800, 10, 4)
		orgs := srv.Organizations()
		srv.Fail(fakeclerk.Fault{Path: "/v1/users", Status: http.StatusServiceUnavailable, Times: 3})
		srv.Fail(fakeclerk.Fault{Path: "/v1/organizations", Status: http.StatusInternalServerError, Times: 2})
		srv.Fail(fakeclerk.Fault{Path: "/v1/organizations/" + orgs[3].ID + "/memberships", Drop: true, Times: 2})
		srv.Fail(fakeclerk.Fault{Path: "/v1/organizations/" + orgs[5].ID + "/memberships", Status: http.StatusBadGateway,
			Body: "<html><body>502 Bad Gateway</body></html>"})
		db := newDB(t)
		m := newMirror(t, db, srv)
		sum, err := m.Reconcile(context.Background(), nil)
		require.NoError(t, err)
		requireMirrorsClerk(t, db, srv)
		got := statuses(srv)
		assert.Equal(t, 3, got[http.StatusServiceUnavailable])
		assert.Equal(t, 2, got[http.StatusInternalServerError])
		assert.Equal(t, 1, got[http.StatusBadGateway])
		t.Logf("%d requests, by status %v", sum.Requests, got)
	})
}

// baseline reconciles a new fake instance into a new mirror and returns
// them, with the number of live users.
func baseline(t *testing.T, newDB func(*testing.T) *testDB, seed uint64) (*fakeclerk.Server, *testDB) {
	t.Helper()
	srv := newFake(t)
	srv.Generate(seed, 700, 10, 5)
	db := newDB(t)
	_, err := newMirror(t, db, srv).Reconcile(context.Background(), nil)
	require.NoError(t, err)
	return srv, db
}

// requireIntact fails unless every row of the mirror is as it was: the
// failure of a reconcile loses nothing already mirrored.
func requireIntact(t *testing.T, db *testDB, before map[string]map[string]mirrorRow) {
	t.Helper()
	for table, rows := range before {
		assert.Equal(t, rows, readMirror(t, db, table), "%s changed", table)
	}
}

func snapshot(t *testing.T, db *testDB) map[string]map[string]mirrorRow {
	t.Helper()
	out := map[string]map[string]mirrorRow{}
	for _, table := range []string{"users", "organizations", "organization_memberships"} {
		out[table] = readMirror(t, db, table)
	}
	return out
}

// A bad secret key: the first request is refused with 401, the reconcile
// stops at once with ErrUnauthorized (no retry), its message names Clerk's
// code and not the key, and the mirror is as it was, although Clerk has
// deleted users since.
func TestReconcileWithABadKey(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		srv, db := baseline(t, newDB, 11)
		for _, u := range srv.Users()[:20] {
			srv.DeleteUser(u.ID)
		}
		before := snapshot(t, db)
		sent := len(srv.Requests())
		const wrong = "sk_test_wrongwrongwrongwrongwrongwrongwrong"
		m := newMirror(t, db, srv, WithSecretKey(wrong))
		_, err := m.Reconcile(context.Background(), nil)
		require.ErrorIs(t, err, ErrUnauthorized)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusUnauthorized, apiErr.Status)
		assert.Equal(t, "clerk_key_invalid", apiErr.Code)
		assert.Contains(t, err.Error(), "clerk_key_invalid")
		assert.NotContains(t, err.Error(), wrong)
		assert.NotContains(t, err.Error(), srv.Key())
		assert.Equal(t, 1, len(srv.Requests())-sent, "requests after a 401")
		requireIntact(t, db, before)
		t.Logf("%v", err)
	})
}

// An API that cannot be reached: the requests are retried with backoff
// until the retry limit, then the reconcile fails with ErrUnavailable,
// within the limit; the mirror is as it was. The same for an API that
// answers 503 to everything.
func TestReconcileWithTheAPIUnreachable(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		srv, db := baseline(t, newDB, 12)
		for _, u := range srv.Users()[:20] {
			srv.DeleteUser(u.ID)
		}
		before := snapshot(t, db)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		closed := "http://" + ln.Addr().String() + "/v1"
		require.NoError(t, ln.Close())
		const limit = 3 * time.Second
		for name, opts := range map[string][]Option{
			"refused":     {WithAPIURL(closed)},
			"503 forever": {},
		} {
			t.Run(name, func(t *testing.T) {
				if name == "503 forever" {
					srv.Fail(fakeclerk.Fault{Status: http.StatusServiceUnavailable, Times: 1000})
				}
				m := newMirror(t, db, srv, append(opts, WithRetryLimit(limit))...)
				began := time.Now()
				_, err := m.Reconcile(context.Background(), nil)
				took := time.Since(began)
				require.ErrorIs(t, err, ErrUnavailable)
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Greater(t, apiErr.Attempts, 2)
				assert.LessOrEqual(t, took, limit+time.Second)
				if name == "503 forever" {
					assert.Equal(t, http.StatusServiceUnavailable, apiErr.Status)
					assert.Equal(t, "maintenance_mode", apiErr.Code)
				} else {
					assert.Zero(t, apiErr.Status)
					assert.Contains(t, err.Error(), "unreachable")
				}
				requireIntact(t, db, before)
				t.Logf("after %v: %v", took.Round(10*time.Millisecond), err)
			})
		}
	})
}

// Answers the SDK or the package cannot read stop the reconcile with
// ErrMalformedResponse, and nothing is changed on their strength: not a
// listing that is not JSON or of the wrong shape, a record without an id,
// a membership of another organization, nor a 404 that is not Clerk's (a
// proxy's page), which confirms no deletion. Each next reconcile resumes
// the run, until Clerk's answers let it end.
func TestReconcileWithMalformedAnswers(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		srv, db := baseline(t, newDB, 13)
		users, orgs := srv.Users(), srv.Organizations()
		before := snapshot(t, db)
		otherOrg := `{"data":[{"object":"organization_membership","id":"orgmem_x","role":"org:member","created_at":1,"updated_at":2,` +
			`"organization":{"object":"organization","id":"` + orgs[1].ID + `","name":"x","slug":"x","created_at":1,"updated_at":2},` +
			`"public_user_data":{"user_id":"` + users[1].ID + `"}}],"total_count":1}`
		// A fault for /v1/users applies to /v1/users/count too, which
		// comes first: this one lets it through.
		count := fakeclerk.Fault{Path: "/v1/users/count"}
		for _, c := range []struct {
			name  string
			fault fakeclerk.Fault
			want  string
		}{
			{"the count as HTML", fakeclerk.Fault{Path: "/v1/users/count", Status: 200, Body: "<html>Welcome</html>"}, "invalid character"},
			{"HTML with 200", fakeclerk.Fault{Path: "/v1/users", Status: 200, Body: "<html>Welcome</html>"}, "invalid character"},
			{"users as an object", fakeclerk.Fault{Path: "/v1/users", Status: 200, Body: `{"data":[]}`}, "cannot unmarshal"},
			{"a user without an id", fakeclerk.Fault{Path: "/v1/users", Status: 200, Body: `[{"object":"user","updated_at":5}]`}, "no id"},
			{"an id with a NUL", fakeclerk.Fault{Path: "/v1/users", Status: 200, Body: `[{"object":"user","id":"user_\u0000x","updated_at":5}]`}, "NUL character"},
			{"organizations truncated", fakeclerk.Fault{Path: "/v1/organizations", Status: 200, Body: `{"data":[{"id":"org_`}, "unexpected end"},
			{"a membership of another organization", fakeclerk.Fault{Path: "/v1/organizations/" + orgs[0].ID + "/memberships", Status: 200, Body: otherOrg}, "of organization"},
		} {
			t.Run(c.name, func(t *testing.T) {
				if c.fault.Path == "/v1/users" {
					srv.Fail(count)
				}
				srv.Fail(c.fault)
				_, err := newMirror(t, db, srv).Reconcile(context.Background(), nil)
				require.ErrorIs(t, err, ErrMalformedResponse)
				assert.Contains(t, err.Error(), c.want)
				requireIntact(t, db, before)
				t.Logf("%v", err)
			})
		}
		_, err := newMirror(t, db, srv).Reconcile(context.Background(), nil)
		require.NoError(t, err)
		requireMirrorsClerk(t, db, srv)

		t.Run("a proxy's 404 for a user", func(t *testing.T) {
			gone := users[0].ID
			srv.DeleteUser(gone) // so that the sweep asks about it
			srv.Fail(fakeclerk.Fault{Path: "/v1/users/" + gone, Status: 404, Body: "<html>Not Found</html>"})
			_, err := newMirror(t, db, srv).Reconcile(context.Background(), nil)
			require.ErrorIs(t, err, ErrMalformedResponse)
			assert.Contains(t, err.Error(), "not Clerk's error JSON")
			assert.False(t, readMirror(t, db, "users")[gone].deleted)
			t.Logf("%v", err)
			_, err = newMirror(t, db, srv).Reconcile(context.Background(), nil)
			require.NoError(t, err)
			assert.True(t, readMirror(t, db, "users")[gone].deleted)
			requireMirrorsClerk(t, db, srv)
		})
	})
}

// A filtered membership list that holds memberships of users the filter
// excludes (a filter the API ignored) is malformed: the membership asked
// about is not deleted for being absent from it.
func TestIgnoredFilterDeletesNothing(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		srv, db := baseline(t, newDB, 14)
		gone := srv.Memberships()[0]
		srv.DeleteMembership(gone.ID) // so that the sweep asks about it
		before := snapshot(t, db)
		rec := newRecorder()
		rec.setRewrite(func(req *http.Request, body []byte) []byte {
			if !req.URL.Query().Has("user_id") {
				return body
			}
			// What an API ignoring the filter answers: the whole list.
			unfiltered := req.Clone(req.Context())
			q := unfiltered.URL.Query()
			q.Del("user_id")
			unfiltered.URL.RawQuery = q.Encode()
			resp, err := http.DefaultTransport.RoundTrip(unfiltered)
			require.NoError(t, err)
			defer resp.Body.Close()
			all, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			return all
		})
		_, err := newMirror(t, db, srv, WithTransport(rec)).Reconcile(context.Background(), nil)
		require.ErrorIs(t, err, ErrMalformedResponse)
		assert.Contains(t, err.Error(), "not one the filter asked for")
		requireIntact(t, db, before)
		assert.False(t, readMirror(t, db, "organization_memberships")[gone.ID].deleted)
	})
}
