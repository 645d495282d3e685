package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
	"github.com/seed77920f6a/clerkwebhook/pgstore"
	"github.com/stretchr/testify/require"
)

// The Store meets the contract every Deduplicator must, the one the memory
// deduplicator runs too.
func TestConformance(t *testing.T) {
	t.Parallel()
	pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES")
	clerkwebhooktest.TestDeduplicator(t, func(t *testing.T, lease, retention time.Duration) clerkwebhook.Deduplicator {
		store, _ := newStore(t, pool, pgstore.WithLease(lease), pgstore.WithRetention(retention))
		return store
	})
}

// Beyond the suite, as the memory deduplicator does: Release of an id
// nobody holds has nothing to release and returns nil, while Complete of it
// is refused; neither records anything.
func TestReleaseOrCompleteUnclaimed(t *testing.T) {
	t.Parallel()
	pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES")
	store, table := newStore(t, pool)
	ctx := clerkwebhook.ClaimContext(context.Background())
	require.NoError(t, store.Release(ctx, "msg_nobody"))
	require.ErrorIs(t, store.Complete(ctx, "msg_nobody"), clerkwebhook.ErrLeaseExpired)
	require.Empty(t, stateOf(t, pool, table, "msg_nobody"))
}
