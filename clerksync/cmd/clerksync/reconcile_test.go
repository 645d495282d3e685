package main

import (
	"database/sql"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/fakeclerk"
	"github.com/seed77920f6a/clerkwebhook/internal/storetest"
)

// reconcileArgs returns the command line of a reconcile of db against srv,
// with extra flags.
func reconcileCmd(db string, srv *fakeclerk.Server, extra ...string) []string {
	return append([]string{"reconcile", "--db", db, "--api-url", srv.URL()}, extra...)
}

// liveCounts counts the live users, organizations and memberships of the
// mirror in db.
func liveCounts(t *testing.T, conn *sql.DB) (users, orgs, memberships int) {
	t.Helper()
	require.NoError(t, conn.QueryRow(`SELECT
		(SELECT count(*) FROM users WHERE deleted_at IS NULL),
		(SELECT count(*) FROM organizations WHERE deleted_at IS NULL),
		(SELECT count(*) FROM organization_memberships WHERE deleted_at IS NULL)`).Scan(&users, &orgs, &memberships))
	return users, orgs, memberships
}

// requireCountsMatch fails unless the mirror has as many live records of
// each kind as Clerk, and holds each of Clerk's users at its version.
func requireCountsMatch(t *testing.T, conn *sql.DB, srv *fakeclerk.Server) {
	t.Helper()
	u, o, m := srv.Count()
	gu, go_, gm := liveCounts(t, conn)
	require.Equal(t, []int{u, o, m}, []int{gu, go_, gm}, "live users, organizations, memberships")
	rows, err := conn.Query(`SELECT id, updated_at FROM users WHERE deleted_at IS NULL`)
	require.NoError(t, err)
	defer rows.Close()
	have := map[string]int64{}
	for rows.Next() {
		var id string
		var at int64
		require.NoError(t, rows.Scan(&id, &at))
		have[id] = at
	}
	require.NoError(t, rows.Err())
	for _, u := range srv.Users() {
		require.Equal(t, u.UpdatedAt, have[u.ID], "user %s", u.ID)
	}
}

var summaryLine = regexp.MustCompile(`(?m)^  (users|organizations|memberships) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+)$`)

// The README's first command on a new instance: reconcile copies every
// user, organization and membership into an empty database, printing its
// progress in plain lines (stdout is not a terminal) and a summary, and
// exits 0; then serve, on the same database, answers from the mirror with
// no request to the API. The key appears nowhere in the output.
func TestReconcileThenServe(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) string) {
		srv := newFake(t)
		srv.Generate(31, 2000, 50, 10)
		db := newDB(t)
		var stdout, stderr strings.Builder
		status := run(reconcileCmd(db, srv, "--api-rate", "100000"), env(map[string]string{EnvSecretKey: srv.Key()}), &stdout, &stderr)
		require.Equal(t, 0, status, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		out := stdout.String()
		t.Logf("reconcile's output:\n%s", out)
		assert.Contains(t, out, "clerksync: reconcile complete: run 1 in ")
		assert.Regexp(t, `users +\[#+\] 2000 of 2000 listed`, out)
		assert.Regexp(t, `memberships +\[#+\] 500 of 500 listed`, out)
		want := map[string][]string{"users": {"2000", "2000"}, "organizations": {"50", "50"}, "memberships": {"500", "500"}}
		got := map[string][]string{}
		for _, m := range summaryLine.FindAllStringSubmatch(out, -1) {
			got[m[1]] = m[2:4]
			assert.Equal(t, []string{"0", "0", "0", "0"}, m[4:], "%s: updated, unchanged, stale, deleted", m[1])
		}
		assert.Equal(t, want, got, "listed and inserted")
		assert.NotContains(t, out+stderr.String(), srv.Key())

		sent := len(srv.Requests())
		_, _, reads, stop := serveInProcess(t, []string{"--db", db, "--secret", secret, "--api-url", srv.URL(), "--reconcile-every", "0"},
			env(map[string]string{EnvSecretKey: srv.Key()}))
		client := &http.Client{Timeout: 10 * time.Second}
		for _, u := range srv.Users()[:50] {
			status, body := get(t, client, reads, "/users/"+u.ID)
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, u.EmailAddress, body.(map[string]any)["email"])
		}
		assert.Equal(t, sent, len(srv.Requests()), "requests by serve")
		require.NoError(t, stop())
	})
}

// reconcile exits 1 with a clear message, and no key, when the key is
// refused, when the API cannot be reached (after its retries, here cut to
// two seconds), when it answers nonsense, and when the database fails.
func TestReconcileFailures(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	srv.Generate(32, 100, 2, 2)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String() + "/v1"
	require.NoError(t, ln.Close())
	const wrong = "sk_test_wrongwrongwrongwrongwrong000"
	for _, tc := range []struct {
		name  string
		args  []string
		key   string
		fault *fakeclerk.Fault
		want  []string
	}{
		{"bad key", reconcileCmd(newSQLite(t), srv), wrong, nil,
			[]string{"refused the secret key (401): clerk_key_invalid", "check CLERK_SECRET_KEY"}},
		{"unreachable", []string{"reconcile", "--db", newSQLite(t), "--api-url", closed}, srv.Key(), nil,
			[]string{"the Backend API is unreachable after", "did not answer with anything but errors until the retry limit; nothing was deleted"}},
		{"5xx forever", reconcileCmd(newSQLite(t), srv), srv.Key(), &fakeclerk.Fault{Status: http.StatusBadGateway, Times: 1000},
			[]string{"answered 502 on each of", "did not answer"}},
		{"malformed", reconcileCmd(newSQLite(t), srv), srv.Key(), &fakeclerk.Fault{Path: "/v1/users/count", Status: 200, Body: "<html>"},
			[]string{"malformed response", "is --api-url right?"}},
		{"database unreachable", reconcileCmd("postgres://clerksync@"+ln.Addr().String()+"/x?connect_timeout=2", srv), srv.Key(), nil,
			[]string{"database error"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fault != nil {
				// A fake of its own, since the fault stays queued.
				faulty := newFake(t)
				faulty.Fail(*tc.fault)
				tc.args = reconcileCmd(newSQLite(t), faulty)
				tc.key = faulty.Key()
			}
			var stdout, stderr strings.Builder
			began := time.Now()
			status := run(tc.args, env(map[string]string{EnvSecretKey: tc.key, envRetryLimit: "2s"}), &stdout, &stderr)
			assert.Equal(t, 1, status)
			for _, w := range tc.want {
				assert.Contains(t, stderr.String(), w)
			}
			assert.NotContains(t, stdout.String()+stderr.String(), tc.key)
			assert.Less(t, time.Since(began), 10*time.Second)
			t.Logf("stdout:\n%sstderr:\n%s", stdout.String(), stderr.String())
		})
	}
}

// The periodic reconcile: serve with a key reconciles on its own at start
// (a River job), with no webhook at all the mirror becomes Clerk's; a
// deletion no webhook reports is found by the next one, and the read
// endpoint answers it as deleted.
func TestPeriodicReconcile(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) string) {
		srv := newFake(t)
		srv.Generate(33, 600, 10, 4)
		svc := startService(t, newDB(t), withAPI(srv, time.Second))
		conn := svc.db.sql
		require.Eventually(t, func() bool {
			u, _, _ := liveCounts(t, conn)
			return u == 600
		}, 60*time.Second, 50*time.Millisecond, "the first reconcile did not happen")
		gone := srv.Users()[7].ID
		srv.DeleteUser(gone)
		client := &http.Client{Timeout: 10 * time.Second}
		require.Eventually(t, func() bool {
			status, body := get(t, client, svc.ReadURL, "/users/"+gone)
			return status == http.StatusNotFound && body.(map[string]any)["error"] == "deleted"
		}, 60*time.Second, 50*time.Millisecond, "no later reconcile confirmed the deletion")
		// The run that confirmed it ends with the membership sweep.
		require.Eventually(t, func() bool {
			var completed int
			require.NoError(t, conn.QueryRow(`SELECT count(*) FROM clerksync_reconcile_runs WHERE outcome = 'completed'`).Scan(&completed))
			return completed >= 2
		}, 60*time.Second, 50*time.Millisecond, "the second reconcile did not complete")
		requireCountsMatch(t, conn, srv)
	})
}

// Several replicas of serve on one PostgreSQL reconcile one at a time: the
// runs recorded never overlap, though each replica is due to reconcile
// every second and a reconcile takes longer than that.
func TestReplicasReconcileOneAtATime(t *testing.T) {
	t.Parallel()
	storetest.Service(t, envPostgres)
	srv := newFake(t)
	srv.Generate(34, 1200, 20, 3)
	db := newPostgres(t)
	slow := func(c *serveConfig) { c.api.rate = 20 } // 20 requests in 10 s: a reconcile takes seconds
	var replicas []*testService
	for range 3 {
		replicas = append(replicas, startService(t, db, withAPI(srv, time.Second), slow))
	}
	conn := replicas[0].db.sql
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, conn.QueryRow(`SELECT count(*) FROM clerksync_reconcile_runs WHERE outcome = 'completed'`).Scan(&n))
		return n >= 2
	}, 2*time.Minute, 100*time.Millisecond, "two reconciles did not complete")
	rows, err := conn.Query(`SELECT id, started_at, COALESCE(finished_at, 0) FROM clerksync_reconcile_runs ORDER BY started_at`)
	require.NoError(t, err)
	defer rows.Close()
	var lastEnd int64
	for rows.Next() {
		var id, started, finished int64
		require.NoError(t, rows.Scan(&id, &started, &finished))
		assert.GreaterOrEqual(t, started, lastEnd, "run %d started before the previous one finished", id)
		lastEnd = finished
	}
	require.NoError(t, rows.Err())
	requireCountsMatch(t, conn, srv)
}

// GET /users/{id} on the read listener fetches a user the mirror never
// saw (once: the second read comes from the mirror), remembers an id Clerk
// does not know, answers a deleted one from its tombstone, and says 502
// when the API cannot be asked.
func TestFetchOnMissThroughTheReadEndpoint(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) string) {
		srv := newFake(t)
		svc := startService(t, newDB(t), withAPI(srv, 0), func(c *serveConfig) { c.retryLimit = time.Second })
		client := &http.Client{Timeout: 10 * time.Second}
		u := srv.PutUser(fakeclerk.User{FirstName: "Priya", LastName: "Haddad", EmailAddress: "priya@example.com"})
		for range 2 {
			status, body := get(t, client, svc.ReadURL, "/users/"+u.ID)
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, map[string]any{"id": u.ID, "email": "priya@example.com", "first_name": "Priya", "last_name": "Haddad",
				"image_url": body.(map[string]any)["image_url"], "updated_at": float64(u.UpdatedAt)}, body)
		}
		assert.Equal(t, 1, srv.RequestCount("GET /v1/users/"+u.ID))

		const unknown = "user_2unknown0000000000000000"
		for range 3 {
			status, body := get(t, client, svc.ReadURL, "/users/"+unknown)
			assert.Equal(t, http.StatusNotFound, status)
			assert.Equal(t, map[string]any{"error": "not found"}, body)
		}
		assert.Equal(t, 1, srv.RequestCount("GET /v1/users/"+unknown))

		srv.DeleteUser(u.ID)
		require.Equal(t, http.StatusOK, post(client, svc.URL, eventMessage(srv, "user.deleted", u.ID)))
		require.Eventually(t, func() bool {
			status, body := get(t, client, svc.ReadURL, "/users/"+u.ID)
			return status == http.StatusNotFound && body.(map[string]any)["error"] == "deleted"
		}, 30*time.Second, 20*time.Millisecond)
		assert.Equal(t, 1, srv.RequestCount("GET /v1/users/"+u.ID))

		srv.Fail(fakeclerk.Fault{Status: http.StatusServiceUnavailable, Times: 1000})
		status, _ := get(t, client, svc.ReadURL, "/users/user_2another000000000000000000")
		assert.Equal(t, http.StatusBadGateway, status)
		assert.Contains(t, svc.logs.String(), "asking Clerk's Backend API")
	})
}
