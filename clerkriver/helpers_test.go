package clerkriver_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkriver"
	"github.com/seed77920f6a/clerkwebhook/internal/storetest"
)

// What the test files share: a fresh River database for each test, on each
// driver (PostgreSQL from scripts/with-services, in a schema of its own;
// SQLite in a temporary file), clients configured to be quick, and waiting
// for jobs.

const envPostgres = "CLERKWEBHOOK_TEST_POSTGRES"

// A backend is one River database, empty and migrated, on one driver.
type backend[TTx any] struct {
	name   string
	schema string // River's Config.Schema: a schema of its own on PostgreSQL, "" on SQLite
	driver riverdriver.Driver[TTx]
	// dsn is what another process needs to reach the same database (with
	// schema): a PostgreSQL URL or an SQLite file name.
	dsn string
	// begin opens a transaction of the app's own.
	begin func(ctx context.Context) (TTx, error)
	// commit and rollback end one.
	commit, rollback func(ctx context.Context, tx TTx) error
	// down makes the database unreachable for this backend's driver until
	// the function it returns is called.
	down func(t *testing.T) (up func())
	// setFinalizedAt changes when River recorded job id as finalized, as
	// if it had been then.
	setFinalizedAt func(ctx context.Context, id int64, at time.Time) error
	// setAttemptedAt changes when job id's attempt began, as if it had
	// been then.
	setAttemptedAt func(ctx context.Context, id int64, at time.Time) error
}

// eachDriver runs the test once per River driver, as subtests "pgx" and
// "sqlite", in parallel (each has a database of its own). The PostgreSQL
// subtest needs scripts/with-services.
func eachDriver(t *testing.T, pg func(*testing.T, *backend[pgx.Tx]), lite func(*testing.T, *backend[*sql.Tx])) {
	t.Run("pgx", func(t *testing.T) { t.Parallel(); pg(t, newPostgres(t)) })
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); lite(t, newSQLite(t, 10*time.Second)) })
}

var schemas atomic.Int64

// newPostgres returns a backend on the test server, in a new schema that is
// dropped when the test ends. Its pool's connections go through a dialer
// that down can turn off, as if the server were unreachable.
func newPostgres(t *testing.T) *backend[pgx.Tx] {
	t.Helper()
	url := storetest.Service(t, envPostgres)
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	cfg.MaxConns = 20
	var unreachable atomic.Bool
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if unreachable.Load() {
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		closed := make(chan struct{})
		go func() { pool.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(cleanupTimeout):
			t.Errorf("the pool did not close in %v: a connection was never released", cleanupTimeout)
		}
	})

	schema := fmt.Sprintf("clerkriver_test_%x_%d", time.Now().UnixNano(), schemas.Add(1))
	_, err = pool.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
	require.NoError(t, err)
	t.Cleanup(func() {
		unreachable.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if _, err := pool.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
		}
	})

	b := &backend[pgx.Tx]{
		name:     "pgx",
		schema:   schema,
		driver:   riverpgxv5.New(pool),
		dsn:      url,
		begin:    func(ctx context.Context) (pgx.Tx, error) { return pool.Begin(ctx) },
		commit:   func(ctx context.Context, tx pgx.Tx) error { return tx.Commit(ctx) },
		rollback: func(ctx context.Context, tx pgx.Tx) error { return tx.Rollback(ctx) },
		setFinalizedAt: func(ctx context.Context, id int64, at time.Time) error {
			_, err := pool.Exec(ctx, "UPDATE "+pgx.Identifier{schema, "river_job"}.Sanitize()+" SET finalized_at = $1 WHERE id = $2", at, id)
			return err
		},
		setAttemptedAt: func(ctx context.Context, id int64, at time.Time) error {
			_, err := pool.Exec(ctx, "UPDATE "+pgx.Identifier{schema, "river_job"}.Sanitize()+" SET attempted_at = $1 WHERE id = $2", at, id)
			return err
		},
		down: func(*testing.T) func() {
			unreachable.Store(true)
			pool.Reset() // the open connections go too
			return func() { unreachable.Store(false) }
		},
	}
	migrate(t, b)
	return b
}

// sqliteDSN is the data source name the tests (and the child process) open
// an SQLite file with: WAL, a busy timeout for the moments another
// connection writes, and BEGIN IMMEDIATE so that a transaction waits for
// the write lock up front instead of failing to upgrade to it.
func sqliteDSN(file string, busy time.Duration) string {
	return fmt.Sprintf("file:%s?_journal_mode=WAL&_busy_timeout=%d&_txlock=immediate", file, busy.Milliseconds())
}

// openSQLite opens file with one connection, as riversqlite requires.
func openSQLite(file string, busy time.Duration) (*sql.DB, error) {
	db, err := sql.Open("sqlite", sqliteDSN(file, busy))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// newSQLite returns a backend on a new SQLite file in a temporary directory,
// whose connection waits up to busy for a lock held elsewhere. down holds
// the file's write lock from another connection, as another process would.
func newSQLite(t *testing.T, busy time.Duration) *backend[*sql.Tx] {
	t.Helper()
	file := filepath.Join(t.TempDir(), "river.sqlite3")
	db, err := openSQLite(file, busy)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	b := &backend[*sql.Tx]{
		name:     "sqlite",
		driver:   riversqlite.New(db),
		dsn:      file,
		begin:    func(ctx context.Context) (*sql.Tx, error) { return db.BeginTx(ctx, nil) },
		commit:   func(_ context.Context, tx *sql.Tx) error { return tx.Commit() },
		rollback: func(_ context.Context, tx *sql.Tx) error { return tx.Rollback() },
		setFinalizedAt: func(ctx context.Context, id int64, at time.Time) error {
			// riversqlite's format: its times are text, compared as text.
			_, err := db.ExecContext(ctx, "UPDATE river_job SET finalized_at = ? WHERE id = ?", at.UTC().Format("2006-01-02 15:04:05.000"), id)
			return err
		},
		setAttemptedAt: func(ctx context.Context, id int64, at time.Time) error {
			_, err := db.ExecContext(ctx, "UPDATE river_job SET attempted_at = ? WHERE id = ?", at.UTC().Format("2006-01-02 15:04:05.000"), id)
			return err
		},
		down: func(t *testing.T) func() {
			locker, err := sql.Open("sqlite", sqliteDSN(file, time.Second))
			require.NoError(t, err)
			conn, err := locker.Conn(context.Background())
			require.NoError(t, err)
			_, err = conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE")
			require.NoError(t, err)
			return func() {
				_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
				_ = conn.Close()
				_ = locker.Close()
			}
		},
	}
	migrate(t, b)
	return b
}

// migrate creates River's tables with rivermigrate, as an app does at start-up.
func migrate[TTx any](t *testing.T, b *backend[TTx]) {
	t.Helper()
	m, err := rivermigrate.New(b.driver, &rivermigrate.Config{Schema: b.schema, Logger: quietLogger()})
	require.NoError(t, err)
	_, err = m.Migrate(context.Background(), rivermigrate.DirectionUp, nil)
	require.NoError(t, err)
}

// cleanupTimeout bounds each step of a test's cleanup.
const cleanupTimeout = 10 * time.Second

// quietLogger drops River's logs (a failing job is a warning it logs),
// unless CLERKRIVER_TEST_LOG=1 sends them to stderr.
func quietLogger() *slog.Logger {
	if os.Getenv("CLERKRIVER_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// retryAfter is the test's retry policy: a failed job is retried quickly
// instead of after River's ATTEMPT^4 seconds.
type retryAfter time.Duration

func (d retryAfter) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Duration(d)) }

// testConfig is the River configuration the tests share: the retention this
// package requires, quick polling and retries, and the test's schema.
func testConfig[TTx any](b *backend[TTx]) *river.Config {
	return &river.Config{
		CompletedJobRetentionPeriod: clerkriver.CompletedJobRetention,
		FetchCooldown:               10 * time.Millisecond,
		FetchPollInterval:           50 * time.Millisecond,
		Logger:                      quietLogger(),
		RetryPolicy:                 retryAfter(50 * time.Millisecond),
		Schema:                      b.schema,
		TestOnly:                    true,
	}
}

// insertClient returns a River client that only inserts jobs, as a web
// process that leaves the work to others would have.
func insertClient[TTx any](t *testing.T, b *backend[TTx]) *river.Client[TTx] {
	t.Helper()
	c, err := river.NewClient(b.driver, testConfig(b))
	require.NoError(t, err)
	return c
}

// workerClient returns a River client that works Args with NewWorker(h) on
// up to maxWorkers jobs at once, after each configure function has changed
// its configuration. It is not started; start does that.
func workerClient[TTx any](t *testing.T, b *backend[TTx], h *clerkwebhook.Handler, maxWorkers int, configure ...func(*river.Config)) *river.Client[TTx] {
	t.Helper()
	cfg := testConfig(b)
	cfg.Workers = river.NewWorkers()
	river.AddWorker(cfg.Workers, clerkriver.NewWorker(h))
	cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}}
	for _, fn := range configure {
		fn(cfg)
	}
	c, err := river.NewClient(b.driver, cfg)
	require.NoError(t, err)
	return c
}

// start starts c and stops it when the test ends, cancelling the jobs
// still running.
func start[TTx any](t *testing.T, c *river.Client[TTx]) {
	t.Helper()
	require.NoError(t, c.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := c.StopAndCancel(ctx); err != nil {
			t.Errorf("stopping the River client: %v", err)
		}
	})
}

// stopWorking stops c gracefully: the jobs running finish, and no other
// starts. After it, how often the callbacks ran is final, so a test can
// check that nothing more ran without waiting to see.
func stopWorking[TTx any](t *testing.T, c *river.Client[TTx]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	require.NoError(t, c.Stop(ctx))
}

// newHandler returns a Handler verifying storetest's deliveries, with q as
// its Queue (if not nil), reporting its errors to errs (if not nil).
func newHandler(t *testing.T, q clerkwebhook.Queue, errs *errorLog) *clerkwebhook.Handler {
	t.Helper()
	v, err := clerkwebhook.NewVerifier(storetest.Secret)
	require.NoError(t, err)
	opts := []clerkwebhook.HandlerOption{clerkwebhook.WithObserver(errs.observe)}
	if q != nil {
		opts = append(opts, clerkwebhook.WithQueue(q))
	}
	return clerkwebhook.NewHandler(v, opts...)
}

// errorLog keeps the errors of the deliveries a Handler observed.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) observe(_ *http.Request, d clerkwebhook.Delivery) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range []error{d.Err, d.DedupErr} {
		if err != nil {
			l.errs = append(l.errs, err)
		}
	}
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

var messages atomic.Int64

// newEvent returns a user.created event with a message id no other test
// uses, signed now (to the second, as the header carries it).
func newEvent() clerkwebhook.Event {
	return clerkwebhook.Event{
		ID:       fmt.Sprintf("msg_clerkriver_%x_%d", time.Now().UnixNano(), messages.Add(1)),
		Type:     clerkwebhook.UserCreated,
		Object:   "event",
		Data:     json.RawMessage(`{"id":"user_2g7np7Hrk0SN6kj5EDMLDaKNL0S","object":"user"}`),
		SignedAt: time.Now().UTC().Truncate(time.Second),
	}
}

// jobs returns every job of Args in the backend's database, oldest first.
func jobs[TTx any](t *testing.T, c *river.Client[TTx]) []*rivertype.JobRow {
	t.Helper()
	res, err := c.JobList(context.Background(), river.NewJobListParams().Kinds(clerkriver.Kind).First(10_000))
	require.NoError(t, err)
	return res.Jobs
}

// onlyJob returns the one job of Args in the database, failing otherwise.
func onlyJob[TTx any](t *testing.T, c *river.Client[TTx]) *rivertype.JobRow {
	t.Helper()
	all := jobs(t, c)
	require.Len(t, all, 1, "jobs in the database")
	return all[0]
}

// waitForState waits until job id is in state want, and returns it. It
// fails the test after within, showing the job as it last was.
func waitForState[TTx any](t *testing.T, c *river.Client[TTx], id int64, want rivertype.JobState, within time.Duration) *rivertype.JobRow {
	t.Helper()
	stop := time.Now().Add(within)
	for {
		job, err := c.JobGet(context.Background(), id)
		require.NoError(t, err)
		if job.State == want {
			return job
		}
		if time.Now().After(stop) {
			t.Fatalf("job %d is %s after %v, want %s (attempt %d of %d, errors %v)", id, job.State, within, want, job.Attempt, job.MaxAttempts, job.Errors)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runs counts how often each message's callback ran, and how often it
// succeeded.
type runs struct {
	mu        sync.Mutex
	calls     map[string]int
	successes map[string]int
}

func (r *runs) called(id string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls, r.successes = map[string]int{}, map[string]int{}
	}
	r.calls[id]++
	if ok {
		r.successes[id]++
	}
}

// of returns how often message id's callback was called and how often it
// succeeded.
func (r *runs) of(id string) (calls, successes int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[id], r.successes[id]
}
