package clerkwebhook_test

import (
	"testing"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
	"github.com/seed77920f6a/clerkwebhook/internal/storetest"
)

// The memory deduplicator meets the contract every Deduplicator must, the
// one the PostgreSQL and Redis stores run too.
func TestMemoryDeduplicatorConformance(t *testing.T) {
	t.Parallel()
	clerkwebhooktest.TestDeduplicator(t, func(t *testing.T, lease, retention time.Duration) clerkwebhook.Deduplicator {
		return clerkwebhook.NewMemoryDeduplicator(clerkwebhook.WithRetention(retention), clerkwebhook.WithLease(lease))
	})
}

// A callback three times longer than the lease runs once per message: the
// Handler renews the claim while it works (the overlapping-callback
// experiment: 20 messages, 3 deliveries each, on two replicas).
func TestMemoryLongCallbacks(t *testing.T) {
	t.Parallel()
	shared := clerkwebhook.NewMemoryDeduplicator(clerkwebhook.WithLease(500 * time.Millisecond))
	effects := storetest.LongCallbacks(t, 20, 500*time.Millisecond, func(testing.TB, int) clerkwebhook.Deduplicator { return shared })
	t.Logf("memory: %d effects for 20 messages delivered 3 times each", effects)
}
