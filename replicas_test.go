package clerkwebhook_test

import (
	"testing"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/storetest"
)

// Three Handlers sharing one memory deduplicator, as three replicas share a
// store: every message runs once. (The store modules run the same scenario
// on PostgreSQL and Redis, in processes of their own too.)
func TestReplicasSharingOneDeduplicator(t *testing.T) {
	t.Parallel()
	shared := clerkwebhook.NewMemoryDeduplicator()
	storetest.TestReplicas(t, func(testing.TB, int) clerkwebhook.Deduplicator { return shared })
}
