package pgstore_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/storetest"
	"github.com/seed77920f6a/clerkwebhook/pgstore"
)

// Replicas of one service, each with its own pool on the shared table: in
// this process, as separate processes, and one of them killed mid-callback.
// The scenarios are internal/storetest's, shared with redisstore.

// TestMain lets this test binary run as a replica process for the tests
// below (storetest.StartProcess starts it again with the replica's
// environment).
func TestMain(m *testing.M) {
	if storetest.IsReplica() {
		storetest.ServeReplica(replicaStore)
		return
	}
	os.Exit(m.Run())
}

// The environment a replica process builds its Store from.
const (
	envReplicaTable = "PGSTORE_REPLICA_TABLE"
	envReplicaLease = "PGSTORE_REPLICA_LEASE"
)

func replicaStore() (clerkwebhook.Deduplicator, error) {
	pool, err := pgxpool.New(context.Background(), os.Getenv("CLERKWEBHOOK_TEST_POSTGRES"))
	if err != nil {
		return nil, err
	}
	lease, err := time.ParseDuration(os.Getenv(envReplicaLease))
	if err != nil {
		return nil, err
	}
	return pgstore.New(pool, pgstore.WithTable(os.Getenv(envReplicaTable)), pgstore.WithLease(lease)), nil
}

func TestReplicasInProcess(t *testing.T) {
	t.Parallel()
	_, table := newStore(t, testPool(t, "CLERKWEBHOOK_TEST_POSTGRES"))
	storetest.TestReplicas(t, func(t testing.TB, _ int) clerkwebhook.Deduplicator {
		return pgstore.New(testPool(t, "CLERKWEBHOOK_TEST_POSTGRES"), pgstore.WithTable(table))
	})
}

func TestReplicasAsProcesses(t *testing.T) {
	t.Parallel()
	_, table := newStore(t, testPool(t, "CLERKWEBHOOK_TEST_POSTGRES"))
	storetest.TestProcessReplicas(t, envReplicaTable+"="+table, envReplicaLease+"=1m")
}

func TestReplicaKilledMidCallback(t *testing.T) {
	t.Parallel()
	const lease = 3 * time.Second
	_, table := newStore(t, testPool(t, "CLERKWEBHOOK_TEST_POSTGRES"))
	storetest.TestKilledReplica(t, lease, envReplicaTable+"="+table, envReplicaLease+"="+lease.String())
}

// The overlapping-callback experiment on PostgreSQL: 20 messages, 3
// deliveries each, lease 1 s, callback 3 s: one effect each.
func TestLongCallbacks(t *testing.T) {
	t.Parallel()
	_, table := newStore(t, testPool(t, "CLERKWEBHOOK_TEST_POSTGRES"))
	effects := storetest.LongCallbacks(t, 20, time.Second, func(t testing.TB, _ int) clerkwebhook.Deduplicator {
		return pgstore.New(testPool(t, "CLERKWEBHOOK_TEST_POSTGRES"), pgstore.WithTable(table), pgstore.WithLease(time.Second))
	})
	t.Logf("pgstore: %d effects for 20 messages delivered 3 times each", effects)
}
