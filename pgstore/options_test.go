package pgstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/pgstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idlePool is a pool that never connects: New does not touch the database,
// so the option checks need no server.
func idlePool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), "postgres://nobody@127.0.0.1:1/none?sslmode=disable")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// A value an option can never use panics where the option is made, naming
// the option (the repository's rule for configuration mistakes).
func TestBadOptionsPanic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		do   func()
	}{
		{"nil pool", func() { pgstore.New(nil) }},
		{"empty table", func() { pgstore.WithTable("") }},
		{"statement injection", func() { pgstore.WithTable("x; DROP TABLE y") }},
		{"comment injection", func() { pgstore.WithTable("x--") }},
		{"quoted", func() { pgstore.WithTable(`"quoted"`) }},
		{"quote inside", func() { pgstore.WithTable(`x"y`) }},
		{"space", func() { pgstore.WithTable("x y") }},
		{"hyphen", func() { pgstore.WithTable("x-y") }},
		{"leading digit", func() { pgstore.WithTable("1x") }},
		{"non-ASCII", func() { pgstore.WithTable("tablé") }},
		{"NUL", func() { pgstore.WithTable("x\x00y") }},
		{"64 bytes", func() { pgstore.WithTable(strings.Repeat("a", 64)) }},
		{"64-byte schema", func() { pgstore.WithTable(strings.Repeat("s", 64) + ".x") }},
		{"64-byte name after a schema", func() { pgstore.WithTable("s." + strings.Repeat("a", 64)) }},
		{"three parts", func() { pgstore.WithTable("db.schema.name") }},
		{"empty schema", func() { pgstore.WithTable(".x") }},
		{"empty name after a schema", func() { pgstore.WithTable("x.") }},
		{"dot only", func() { pgstore.WithTable(".") }},
		{"zero lease", func() { pgstore.WithLease(0) }},
		{"negative lease", func() { pgstore.WithLease(-time.Second) }},
		{"zero retention", func() { pgstore.WithRetention(0) }},
		{"negative retention", func() { pgstore.WithRetention(-time.Hour) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				p := recover()
				require.NotNil(t, p, "no panic")
				assert.True(t, strings.HasPrefix(fmt.Sprint(p), "pgstore: "), "the panic does not name the package: %v", p)
			}()
			tc.do()
		})
	}
}

func TestNewAcceptsGoodOptions(t *testing.T) {
	t.Parallel()
	pool := idlePool(t)
	for _, opt := range []pgstore.Option{
		nil, // ignored
		pgstore.WithTable("clerk_webhook_messages"),
		pgstore.WithTable("_x"),
		pgstore.WithTable("Mixed_Case_9"),
		pgstore.WithTable(strings.Repeat("a", 63)),
		pgstore.WithTable("public.x"),
		pgstore.WithTable(strings.Repeat("s", 63) + "." + strings.Repeat("a", 63)),
		pgstore.WithLease(time.Nanosecond),
		pgstore.WithRetention(time.Nanosecond),
	} {
		store := pgstore.New(pool, opt)
		require.NotNil(t, store)
	}
}

// A table in a schema, and one whose name is as long as PostgreSQL allows
// (its index name is shortened), work end to end.
func TestTableNames(t *testing.T) {
	t.Parallel()
	pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES")
	long := uniqueTable() + "_"
	long += strings.Repeat("x", 63-len(long))
	for _, name := range []string{"public." + uniqueTable(), long, strings.ToUpper(uniqueTable())} {
		t.Run(name, func(t *testing.T) {
			ctx := clerkwebhook.ClaimContext(context.Background())
			store := pgstore.New(pool, pgstore.WithTable(name))
			dropAfter(t, pool, name)
			require.NoError(t, store.Migrate(ctx))
			var exact bool
			require.NoError(t, pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", pgx.Identifier(strings.Split(name, ".")).Sanitize()).Scan(&exact))
			require.True(t, exact, "no table named exactly %s", name)
			state, err := store.Claim(ctx, "msg_1")
			require.NoError(t, err)
			require.Equal(t, clerkwebhook.Claimed, state)
			require.NoError(t, store.Complete(ctx, "msg_1"))
			state, err = store.Claim(clerkwebhook.ClaimContext(context.Background()), "msg_1")
			require.NoError(t, err)
			require.Equal(t, clerkwebhook.Completed, state)
		})
	}
}
