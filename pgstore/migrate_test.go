package pgstore_test

import (
	"context"
	"sync"
	"testing"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/pgstore"
	"github.com/stretchr/testify/require"
)

// Migrate is idempotent: a second run changes nothing and keeps the rows.
func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES")
	store, table := newStore(t, pool) // migrated once
	ctx := clerkwebhook.ClaimContext(context.Background())
	_, err := store.Claim(ctx, "msg_kept")
	require.NoError(t, err)
	require.NoError(t, store.Migrate(ctx))
	require.Equal(t, "processing", stateOf(t, pool, table, "msg_kept"))
	require.Equal(t, 2, countRows(t, pool, "pg_indexes", "tablename = $1", table), "the primary key and the index on expires_at, once each")
}

// Replicas that start at once all run Migrate: none fails on PostgreSQL's
// race between concurrent CREATE TABLE IF NOT EXISTS (each table is tried
// several times, since the race is narrow).
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES")
	const replicas, rounds = 5, 10
	for range rounds {
		table := uniqueTable()
		dropAfter(t, pool, table)
		stores := make([]*pgstore.Store, replicas)
		for i := range stores {
			stores[i] = pgstore.New(pool, pgstore.WithTable(table))
		}
		errs := make([]error, replicas)
		var start, done sync.WaitGroup
		start.Add(1)
		for i, s := range stores {
			done.Add(1)
			go func() {
				defer done.Done()
				start.Wait()
				errs[i] = s.Migrate(context.Background())
			}()
		}
		start.Done()
		done.Wait()
		for i, err := range errs {
			require.NoError(t, err, "replica %d", i)
		}
		ctx := clerkwebhook.ClaimContext(context.Background())
		state, err := stores[0].Claim(ctx, "msg_1")
		require.NoError(t, err)
		require.Equal(t, clerkwebhook.Claimed, state)
	}
}
