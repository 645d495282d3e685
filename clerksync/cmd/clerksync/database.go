package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkriver"
	"github.com/seed77920f6a/clerkwebhook/clerksync"
)

// River's settings for serve: what they are and why.
const (
	// applyTimeout is River's JobTimeout: an apply is one statement of a
	// few milliseconds, so 5 seconds covers waiting behind a burst for the
	// one SQLite connection (or the pool), and a job still running then
	// is cancelled and retried. (The reconcile job has a timeout of its
	// own: reconcileJobTimeout.)
	applyTimeout = 5 * time.Second
	// rescueAfter is River's RescueStuckJobsAfter (1 hour by default): a
	// job still "running" after it is taken for one whose process died
	// and is run again. River's rescuer runs on the leader as soon as it
	// is elected (within about 20 seconds of a restart: the dead
	// leader's lease lasts 15) and then every 30 seconds, so with 10
	// seconds the jobs a killed process was running all complete within
	// about 30 seconds of the restart, instead of an hour. The cost, a
	// job still really running after 10 seconds running twice, is none
	// here: applying a version twice changes nothing. The reconcile job
	// is rescued only after its own timeout.
	rescueAfter = 10 * time.Second
	// maxWorkers is how many applies run at once, and fetchCooldown
	// River's FetchCooldown, the least time between two fetches of jobs
	// (100 ms by default). A fetch takes at most maxWorkers jobs, so with
	// River's default a backlog of applies of a millisecond each drains at
	// 100 a second; with 10 ms, the database sets the pace.
	maxWorkers    = 10
	fetchCooldown = 10 * time.Millisecond
	// sqliteBusyTimeout is how long an SQLite statement waits for the
	// write lock another process holds (reconcile beside serve) before
	// failing.
	sqliteBusyTimeout = "5000"
)

// A database is the one database that --db names, holding the mirror's
// tables and, for serve, River's jobs: SQLite through one connection
// shared by River and the mirror, or PostgreSQL through one pool.
type database struct {
	dialect clerksync.Dialect
	sql     *sql.DB // the mirror's statements
	// river returns a River client on the database, its tables migrated,
	// not started, and the Queue that inserts events with it.
	river func(ctx context.Context, cfg *river.Config) (riverClient, clerkwebhook.Queue, error)
	close func()
}

// riverClient is what serve uses of a *river.Client, whichever its
// driver's transaction type.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
}

// openDatabase opens the database named by dsn ("sqlite:FILE[?PARAMS]" or
// "postgres://…"), with a pool of poolSize on PostgreSQL, and creates or
// upgrades the mirror's tables.
func openDatabase(ctx context.Context, dsn string, poolSize int, logger *slog.Logger) (*database, error) {
	var db *database
	var err error
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		db, err = openSQLite(strings.TrimPrefix(dsn, "sqlite:"), logger)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err = openPostgres(ctx, dsn, poolSize, logger)
	default:
		return nil, errors.New(`--db must be sqlite:FILE or a postgres:// URL`)
	}
	if err != nil {
		return nil, err
	}
	if err := clerksync.Migrate(ctx, db.sql, db.dialect); err != nil {
		db.close()
		return nil, fmt.Errorf("the database %s: %w", redact(dsn), err)
	}
	return db, nil
}

// openSQLite opens an SQLite file as riversqlite advises: one connection
// (SQLite has one writer; River and the mirror take turns on it, so they
// never wait for each other's locks), WAL, a wait of up to 5 seconds for a
// lock another process holds (a reconcile beside serve), and BEGIN
// IMMEDIATE, so that a transaction takes the write lock up front instead of
// failing to upgrade to it. PARAMS (the driver's, such as
// _synchronous=NORMAL) are added to these.
func openSQLite(spec string, logger *slog.Logger) (*database, error) {
	file, params, _ := strings.Cut(spec, "?")
	if file == "" {
		return nil, errors.New("--db sqlite: needs a file name, as in sqlite:clerksync.db")
	}
	q, err := url.ParseQuery(params)
	if err != nil {
		return nil, fmt.Errorf("--db: the parameters after ?: %w", err)
	}
	for k, v := range map[string]string{"_journal_mode": "WAL", "_busy_timeout": sqliteBusyTimeout, "_txlock": "immediate"} {
		if !q.Has(k) {
			q.Set(k, v)
		}
	}
	db, err := sql.Open("sqlite", "file:"+file+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &database{
		dialect: clerksync.SQLite, sql: db,
		river: func(ctx context.Context, cfg *river.Config) (riverClient, clerkwebhook.Queue, error) {
			client, err := newRiver(ctx, riversqlite.New(db), cfg, logger)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", file, err)
			}
			return client, clerkriver.NewQueue(client), nil
		},
		close: func() { _ = db.Close() },
	}, nil
}

// openPostgres opens a pool on url, shared by River (riverpgxv5) and the
// mirror (through pgx's database/sql adapter). Tables go to the first
// schema of the search_path, which a URL can set (…?search_path=clerksync).
// A URL without pool_max_conns gets a pool of poolSize.
func openPostgres(ctx context.Context, url string, poolSize int, logger *slog.Logger) (*database, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("--db: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns=") {
		cfg.MaxConns = int32(poolSize)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	return &database{
		dialect: clerksync.PostgreSQL, sql: db,
		river: func(ctx context.Context, rc *river.Config) (riverClient, clerkwebhook.Queue, error) {
			client, err := newRiver(ctx, riverpgxv5.New(pool), rc, logger)
			if err != nil {
				return nil, nil, fmt.Errorf("postgres: %w", err)
			}
			return client, clerkriver.NewQueue(client), nil
		},
		close: func() { _ = db.Close(); pool.Close() },
	}, nil
}

// newRiver migrates River's tables and returns a client on driver with
// cfg, completed with the settings above.
func newRiver[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], cfg *river.Config, logger *slog.Logger) (*river.Client[TTx], error) {
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: logger})
	if err != nil {
		return nil, err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("migrating River's tables: %w", err)
	}
	// A completed job is what makes a retry of its message a duplicate:
	// keep it longer than Svix retries (about 28 hours).
	cfg.CompletedJobRetentionPeriod = clerkriver.CompletedJobRetention
	cfg.FetchCooldown = fetchCooldown
	cfg.JobTimeout = applyTimeout
	cfg.RescueStuckJobsAfter = rescueAfter
	cfg.Logger = logger
	return river.NewClient(driver, cfg)
}

// redact hides a PostgreSQL URL's password.
func redact(db string) string {
	if u, err := url.Parse(db); err == nil && u.User != nil {
		return u.Redacted()
	}
	return db
}
