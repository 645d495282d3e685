package pgstore_test

import (
	"testing"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
	"github.com/seed77920f6a/clerkwebhook/pgstore"
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
