package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/seed77920f6a/clerkwebhook/internal/storetest"
	"github.com/seed77920f6a/clerkwebhook/pgstore"
	"github.com/stretchr/testify/require"
)

// What the test files share: the servers from scripts/with-services and a
// table of its own for each test.

// serviceEnv returns the value of the environment variable name, which
// scripts/with-services sets to a server's address (or to an executable
// for the outage tests): storetest.Service skips the test without it, or
// fails it when CLERKWEBHOOK_REQUIRE_SERVICES=1, as CI sets it.
func serviceEnv(tb testing.TB, name string) string { return storetest.Service(tb, name) }

// testPool returns a pool on the PostgreSQL server at the address in the
// environment variable env, closed when the test ends. It holds up to 32
// connections, so that concurrent callers meet in the database and not in
// the pool's queue. Each configure function may change the configuration
// further.
func testPool(tb testing.TB, env string, configure ...func(*pgxpool.Config)) *pgxpool.Pool {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(serviceEnv(tb, env))
	require.NoError(tb, err)
	cfg.MaxConns = 32
	for _, fn := range configure {
		fn(cfg)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(tb, err)
	tb.Cleanup(func() {
		// Close waits for every connection to come back: a transaction
		// left open by a failed test would make it wait for ever.
		closed := make(chan struct{})
		go func() { pool.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(cleanupTimeout):
			tb.Errorf("the pool did not close in %v: a connection was never released", cleanupTimeout)
		}
	})
	return pool
}

// cleanupTimeout bounds each step of a test's cleanup, which a transaction
// left open by a failure could otherwise block for ever.
const cleanupTimeout = 10 * time.Second

var tables atomic.Int64

// uniqueTable returns a table name no other test, run or process uses.
func uniqueTable() string {
	return fmt.Sprintf("pgstore_test_%x_%d", time.Now().UnixNano(), tables.Add(1))
}

// newStore returns a migrated Store on a table of its own in pool, dropped
// when the test ends, and the table's name.
func newStore(tb testing.TB, pool *pgxpool.Pool, opts ...pgstore.Option) (*pgstore.Store, string) {
	tb.Helper()
	table := uniqueTable()
	store := pgstore.New(pool, append([]pgstore.Option{pgstore.WithTable(table)}, opts...)...)
	dropAfter(tb, pool, table)
	require.NoError(tb, store.Migrate(context.Background()))
	return store, table
}

// dropAfter drops table ("name" or "schema.name") when the test ends
// (before the pool closes).
func dropAfter(tb testing.TB, pool *pgxpool.Pool, table string) {
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		_, err := pool.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier(strings.Split(table, ".")).Sanitize())
		if err != nil {
			tb.Logf("dropping %s: %v", table, err)
		}
	})
}

// stateOf reads the store's row for id straight from its table: its state,
// or "" when there is none.
func stateOf(tb testing.TB, pool *pgxpool.Pool, table, id string) string {
	tb.Helper()
	var state string
	err := pool.QueryRow(context.Background(), "SELECT state FROM "+pgx.Identifier{table}.Sanitize()+" WHERE id = $1", []byte(id)).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return ""
	}
	require.NoError(tb, err)
	return state
}

// backdate moves the row of message id back in time by d, as if it had
// been written d earlier. The Store keeps every time in expires_at, on the
// database's clock, so this is how a test sees a lease or a retention end
// without waiting it out.
func backdate(tb testing.TB, pool *pgxpool.Pool, table, id string, d time.Duration) {
	tb.Helper()
	tag, err := pool.Exec(context.Background(), "UPDATE "+pgx.Identifier{table}.Sanitize()+
		" SET expires_at = expires_at - $2 * interval '1 microsecond' WHERE id = $1", []byte(id), d.Microseconds())
	require.NoError(tb, err)
	require.EqualValues(tb, 1, tag.RowsAffected(), "backdating %s", id)
}

// countRows returns the number of rows of table, with a WHERE clause if
// where is not empty.
func countRows(tb testing.TB, pool *pgxpool.Pool, table, where string, args ...any) int {
	tb.Helper()
	q := "SELECT count(*) FROM " + pgx.Identifier{table}.Sanitize()
	if where != "" {
		q += " WHERE " + where
	}
	var n int
	require.NoError(tb, pool.QueryRow(context.Background(), q, args...).Scan(&n))
	return n
}

// requireNoTxOpen fails the test if a connection of pool is still in use:
// a transaction that was neither committed nor rolled back, holding its
// connection and its row locks.
func requireNoTxOpen(tb testing.TB, pool *pgxpool.Pool) {
	tb.Helper()
	require.Zero(tb, pool.Stat().AcquiredConns(), "a transaction was left open (its connection is still acquired)")
}
