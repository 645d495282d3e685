package redisstore_test

import (
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/storetest"
	"github.com/seed77920f6a/clerkwebhook/redisstore"
)

// Replicas of one service, each with its own client on the shared Redis:
// in this process, as separate processes, and one of them killed
// mid-callback. The scenarios are internal/storetest's, shared with pgstore.

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
	envReplicaPrefix = "REDISSTORE_REPLICA_PREFIX"
	envReplicaLease  = "REDISSTORE_REPLICA_LEASE"
)

func replicaStore() (clerkwebhook.Deduplicator, error) {
	lease, err := time.ParseDuration(os.Getenv(envReplicaLease))
	if err != nil {
		return nil, err
	}
	client := redis.NewClient(&redis.Options{Addr: os.Getenv("CLERKWEBHOOK_TEST_REDIS")})
	return redisstore.New(client, redisstore.WithPrefix(os.Getenv(envReplicaPrefix)), redisstore.WithLease(lease)), nil
}

func TestReplicasInProcess(t *testing.T) {
	t.Parallel()
	prefix := testPrefix(t, newClient(t, "CLERKWEBHOOK_TEST_REDIS"))
	storetest.TestReplicas(t, func(t testing.TB, _ int) clerkwebhook.Deduplicator {
		return redisstore.New(newClient(t, "CLERKWEBHOOK_TEST_REDIS"), redisstore.WithPrefix(prefix))
	})
}

func TestReplicasAsProcesses(t *testing.T) {
	t.Parallel()
	prefix := testPrefix(t, newClient(t, "CLERKWEBHOOK_TEST_REDIS"))
	storetest.TestProcessReplicas(t, envReplicaPrefix+"="+prefix, envReplicaLease+"=1m")
}

func TestReplicaKilledMidCallback(t *testing.T) {
	t.Parallel()
	const lease = 3 * time.Second
	prefix := testPrefix(t, newClient(t, "CLERKWEBHOOK_TEST_REDIS"))
	storetest.TestKilledReplica(t, lease, envReplicaPrefix+"="+prefix, envReplicaLease+"="+lease.String())
}

// The overlapping-callback experiment on Redis: 20 messages, 3 deliveries
// each, lease 1 s, callback 3 s: one effect each.
func TestLongCallbacks(t *testing.T) {
	t.Parallel()
	prefix := testPrefix(t, newClient(t, "CLERKWEBHOOK_TEST_REDIS"))
	effects := storetest.LongCallbacks(t, 20, time.Second, func(t testing.TB, _ int) clerkwebhook.Deduplicator {
		return redisstore.New(newClient(t, "CLERKWEBHOOK_TEST_REDIS"), redisstore.WithPrefix(prefix), redisstore.WithLease(time.Second))
	})
	t.Logf("redisstore: %d effects for 20 messages delivered 3 times each", effects)
}
