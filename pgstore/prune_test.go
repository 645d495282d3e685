package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/pgstore"
	"github.com/stretchr/testify/require"
)

// Prune deletes completed ids past their retention and claims abandoned
// for longer than a retention after their lease, keeps everything else, and
// returns how many it deleted.
func TestPrune(t *testing.T) {
	t.Parallel()
	const lease, retention = time.Minute, time.Hour
	pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES")
	store, table := newStore(t, pool, pgstore.WithLease(lease), pgstore.WithRetention(retention))
	ctx := context.Background()
	claim := func(id string) context.Context {
		t.Helper()
		owner := clerkwebhook.ClaimContext(ctx)
		state, err := store.Claim(owner, id)
		require.NoError(t, err)
		require.Equal(t, clerkwebhook.Claimed, state, id)
		return owner
	}
	complete := func(id string) { t.Helper(); require.NoError(t, store.Complete(claim(id), id)) }

	// Each row dated back (backdate) to when it would have been written,
	// the Prune being now: two completions past their retention by a
	// quarter of it, and a claim abandoned for a retention and a quarter
	// since its lease ended, all three prunable; a claim whose lease ended
	// a quarter of a retention ago, prunable only once a whole retention
	// has passed since; a completion just made, and a claim in progress.
	complete("old_1")
	complete("old_2")
	claim("abandoned")
	claim("lapsed")
	complete("fresh")
	claim("in_progress")
	backdate(t, pool, table, "old_1", retention+retention/4)
	backdate(t, pool, table, "old_2", retention+retention/4)
	backdate(t, pool, table, "abandoned", lease+retention+retention/4)
	backdate(t, pool, table, "lapsed", lease+retention/4)
	require.Equal(t, 6, countRows(t, pool, table, ""))

	n, err := store.Prune(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 3, n, "deleted old_1, old_2 and abandoned")
	for id, want := range map[string]string{
		"old_1": "", "old_2": "", "abandoned": "",
		"lapsed": "processing", "fresh": "done", "in_progress": "processing",
	} {
		require.Equal(t, want, stateOf(t, pool, table, id), id)
	}
	n, err = store.Prune(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "a second Prune finds nothing")

	// What was kept still answers as before.
	state, err := store.Claim(clerkwebhook.ClaimContext(ctx), "fresh")
	require.NoError(t, err)
	require.Equal(t, clerkwebhook.Completed, state)
	state, err = store.Claim(clerkwebhook.ClaimContext(ctx), "in_progress")
	require.NoError(t, err)
	require.Equal(t, clerkwebhook.InProgress, state)
}

// Prune fails, wrapped, on a database error: here, a table that does not
// exist.
func TestPruneError(t *testing.T) {
	t.Parallel()
	pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES")
	store := pgstore.New(pool, pgstore.WithTable(uniqueTable())) // never migrated
	n, err := store.Prune(context.Background())
	require.ErrorContains(t, err, "pgstore: prune")
	require.ErrorContains(t, err, "does not exist")
	require.Zero(t, n)
}
