package clerkwebhooktest_test

import (
	"testing"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
)

// The suite passes on the package's own memory deduplicator (the store
// modules run it on PostgreSQL and Redis).
func TestTestDeduplicator(t *testing.T) {
	clerkwebhooktest.TestDeduplicator(t, func(t *testing.T, lease, retention time.Duration) clerkwebhook.Deduplicator {
		return clerkwebhook.NewMemoryDeduplicator(clerkwebhook.WithRetention(retention), clerkwebhook.WithLease(lease))
	})
}
