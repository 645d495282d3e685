package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/fakeclerk"
	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/synctest"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
	"github.com/seed77920f6a/clerkwebhook/internal/storetest"
)

// What the test files share: a fresh database on each engine, the service
// running on it in this process, signed deliveries, waiting for River to
// have applied everything, and a fake Backend API.

const envPostgres = "CLERKWEBHOOK_TEST_POSTGRES"

// secret signs every delivery of these tests. It is a test value.
var secret = clerkwebhooktest.NewSecret()

// eachDatabase runs the test once per engine, as subtests "sqlite" and
// "postgres", one after the other; newDB returns the --db of a new, empty
// database each time it is called. The PostgreSQL subtest needs
// scripts/with-services.
//
// Not in parallel: the tests themselves are, and subtests in parallel
// would take two of go test's -parallel slots (GOMAXPROCS by default) for
// the long waits of the restart tests, keeping TestHistoriesInAnyOrder,
// which needs the CPU, waiting meanwhile.
func eachDatabase(t *testing.T, test func(t *testing.T, newDB func(t *testing.T) string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, newSQLite) })
	t.Run("postgres", func(t *testing.T) {
		storetest.Service(t, envPostgres)
		test(t, newPostgres)
	})
}

// eachDatabaseAtOnce is eachDatabase with the two subtests running at
// once, in the test's one -parallel slot, for a test that spends most of
// its time waiting, not using the CPU (TestRestartAfterSIGKILL: about 20
// seconds each for River's leader lease and rescuer;
// TestReconcileKilledAndRestarted: 20 seconds for the dead reconcile's
// lease).
func eachDatabaseAtOnce(t *testing.T, test func(t *testing.T, newDB func(t *testing.T) string)) {
	var both sync.WaitGroup
	both.Go(func() { t.Run("sqlite", func(t *testing.T) { test(t, newSQLite) }) })
	both.Go(func() {
		t.Run("postgres", func(t *testing.T) {
			storetest.Service(t, envPostgres)
			test(t, newPostgres)
		})
	})
	both.Wait()
}

// newSQLite returns the --db of a new SQLite file. Its commits are synced
// at checkpoints only (_synchronous=NORMAL, safe in WAL mode against a
// process's crash, not an OS's): the default syncs each commit, which
// costs about 7 ms here and would make the test of 20 histories slow
// without testing anything more. TestRestartAfterSIGKILL uses the default.
func newSQLite(t *testing.T) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "clerksync.db") + "?_synchronous=NORMAL"
}

var schemas atomic.Int64

// newPostgres returns the --db of a new schema on the test server, first on
// the URL's search_path, and drops the schema when the test ends.
func newPostgres(t *testing.T) string {
	t.Helper()
	base := storetest.Service(t, envPostgres)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	defer conn.Close(ctx)
	schema := fmt.Sprintf("clerksync_cmd_test_%x_%d", time.Now().UnixNano(), schemas.Add(1))
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
	require.NoError(t, err)
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// A logBuffer keeps what a service logged.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A testService is the service running in this process on loopback
// servers.
type testService struct {
	*service
	URL     string     // the webhook server's, without the path
	ReadURL string     // the read endpoints' server
	logs    *logBuffer // what it and River logged; also on stderr with CLERKSYNC_TEST_LOG=1
}

// startService starts serve's service on db, as start does for the
// command, after each configure has changed its configuration, and stops it
// when the test ends. Without a configure setting a key, it has none.
func startService(t *testing.T, db string, configure ...func(*serveConfig)) *testService {
	t.Helper()
	logs := &logBuffer{}
	var out io.Writer = logs
	if os.Getenv("CLERKSYNC_TEST_LOG") == "1" {
		out = io.MultiWriter(logs, os.Stderr)
	}
	cfg := serveConfig{path: "/webhooks/clerk", db: db, secret: secret, api: apiFlags{url: "https://api.clerk.com/v1", rate: 80}}
	for _, fn := range configure {
		fn(&cfg)
	}
	svc, err := start(context.Background(), cfg, slog.New(slog.NewTextHandler(out, nil)))
	require.NoError(t, err)
	srv, reads := httptest.NewServer(svc.webhooks), httptest.NewServer(svc.reads)
	t.Cleanup(func() {
		srv.Close()
		reads.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := svc.stop(ctx); err != nil {
			t.Errorf("stopping the service: %v", err)
		}
	})
	return &testService{service: svc, URL: srv.URL, ReadURL: reads.URL, logs: logs}
}

// withAPI gives the service the fake's URL and key, at a pace for tests,
// and the periodic reconcile every (0: none).
func withAPI(srv *fakeclerk.Server, every time.Duration) func(*serveConfig) {
	return func(c *serveConfig) {
		c.key, c.api, c.every = srv.Key(), apiFlags{url: srv.URL(), rate: 100000}, every
	}
}

// post delivers m to the webhook endpoint at base once, signed now with the
// tests' secret, and returns the status, or 0 on a transport error.
func post(client *http.Client, base string, m synctest.Message) int {
	return postSigned(client, base, secret, m)
}

// postSigned is post with a signature under key.
func postSigned(client *http.Client, base, key string, m synctest.Message) int {
	header := clerkwebhooktest.Sign(key, m.ID, time.Now(), m.Body)
	req, err := http.NewRequest(http.MethodPost, base+"/webhooks/clerk", bytes.NewReader(m.Body))
	if err != nil {
		return 0
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// unfinishedJobs counts River's jobs that are still to run or running,
// those of the reconcile left out.
func unfinishedJobs(ctx context.Context, db *sql.DB) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM river_job
		WHERE state IN ('available', 'pending', 'running', 'retryable', 'scheduled') AND kind <> 'clerksync.reconcile'`).Scan(&n)
	return n, err
}

// waitDrained waits until River has run every webhook's job in db, then
// fails the test for any job that did not complete: River's states,
// counted, must be want completed jobs and nothing else.
func waitDrained(t *testing.T, db *sql.DB, want int, within time.Duration) {
	t.Helper()
	ctx := context.Background()
	stop := time.Now().Add(within)
	for {
		n, err := unfinishedJobs(ctx, db)
		require.NoError(t, err)
		if n == 0 {
			break
		}
		if time.Now().After(stop) {
			t.Fatalf("%d jobs still unfinished after %v", n, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.Equal(t, map[string]int{"completed": want}, jobStates(t, db), "River's jobs by state")
}

// jobStates counts River's webhook jobs by state.
func jobStates(t *testing.T, db *sql.DB) map[string]int {
	t.Helper()
	rows, err := db.Query(`SELECT state, count(*) FROM river_job WHERE kind <> 'clerksync.reconcile' GROUP BY state`)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var state string
		var n int
		require.NoError(t, rows.Scan(&state, &n))
		out[state] = n
	}
	require.NoError(t, rows.Err())
	return out
}

// get fetches base+path and returns the status and the decoded JSON body.
func get(t *testing.T, client *http.Client, base, path string) (int, any) {
	t.Helper()
	resp, err := client.Get(base + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	var v any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v), "GET %s", path)
	return resp.StatusCode, v
}

// getter reads the read endpoints at base, for synctest.CheckState.
func getter(t *testing.T, base string) synctest.Getter {
	client := &http.Client{Timeout: 10 * time.Second}
	return func(path string) (int, any) { return get(t, client, base, path) }
}

// newFake starts a fakeclerk server, closed when the test ends.
func newFake(t *testing.T) *fakeclerk.Server {
	t.Helper()
	srv := fakeclerk.New()
	t.Cleanup(srv.Close)
	return srv
}

var messages atomic.Int64

// eventMessage is the webhook Clerk sends for a change of the fake's
// record id, as a new message.
func eventMessage(srv *fakeclerk.Server, typ, id string) synctest.Message {
	return synctest.Message{ID: fmt.Sprintf("msg_event_%d", messages.Add(1)), Body: srv.Event(typ, id)}
}
