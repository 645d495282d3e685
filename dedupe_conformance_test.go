package clerkwebhook_test

import (
	"testing"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
)

// The memory deduplicator meets the contract every Deduplicator must, the
// one the PostgreSQL and Redis stores run too.
func TestMemoryDeduplicatorConformance(t *testing.T) {
	t.Parallel()
	clerkwebhooktest.TestDeduplicator(t, func(t *testing.T, lease, retention time.Duration) clerkwebhook.Deduplicator {
		return clerkwebhook.NewMemoryDeduplicator(clerkwebhook.WithRetention(retention), clerkwebhook.WithLease(lease))
	})
}
