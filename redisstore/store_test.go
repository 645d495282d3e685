package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
	"github.com/seed77920f6a/clerkwebhook/redisstore"
)

// The Store meets the contract every Deduplicator must, the one the memory
// and PostgreSQL deduplicators run too.
func TestConformance(t *testing.T) {
	t.Parallel()
	client := newClient(t, envRedis)
	clerkwebhooktest.TestDeduplicator(t, func(t *testing.T, lease, retention time.Duration) clerkwebhook.Deduplicator {
		s := redisstore.New(client, redisstore.WithPrefix(testPrefix(t, client)),
			redisstore.WithLease(lease), redisstore.WithRetention(retention))
		return s
	})
}

// mustNew is New for options that are valid.
func mustNew(t *testing.T, client redis.UniversalClient, opts ...redisstore.Option) *redisstore.Store {
	t.Helper()
	s := redisstore.New(client, opts...)
	return s
}

func claim(t *testing.T, s *redisstore.Store, ctx context.Context, id string) clerkwebhook.ClaimState {
	t.Helper()
	state, err := s.Claim(ctx, id)
	require.NoError(t, err, "Claim(%q)", id)
	return state
}

// assertKey checks the value and the time to live of key, read with GET and
// PTTL; the time to live must be at most ttl and within a second of it.
func assertKey(t *testing.T, client redis.UniversalClient, key, value string, ttl time.Duration) {
	t.Helper()
	ctx := context.Background()
	got, err := client.Get(ctx, key).Result()
	require.NoError(t, err, "GET %s", key)
	assert.Equal(t, value, got, "value of %s", key)
	left := pttl(t, client, key)
	assert.LessOrEqual(t, left, ttl, "PTTL of %s", key)
	assert.Greater(t, left, ttl-time.Second, "PTTL of %s", key)
}

func pttl(t *testing.T, client redis.UniversalClient, key string) time.Duration {
	t.Helper()
	d, err := client.PTTL(context.Background(), key).Result()
	require.NoError(t, err, "PTTL %s", key)
	return d
}

// expiryOf returns the time key expires, in milliseconds since the Unix
// epoch on Redis's clock (PEXPIRETIME, Redis 7).
func expiryOf(t *testing.T, client redis.UniversalClient, key string) time.Duration {
	t.Helper()
	d, err := client.PExpireTime(context.Background(), key).Result()
	require.NoError(t, err, "PEXPIRETIME %s", key)
	require.Positive(t, d, "PEXPIRETIME %s", key)
	return d
}

// assertUnchanged checks that key still holds value and expires at expiry.
func assertUnchanged(t *testing.T, client redis.UniversalClient, key, value string, expiry time.Duration) {
	t.Helper()
	got, err := client.Get(context.Background(), key).Result()
	require.NoError(t, err, "GET %s", key)
	assert.Equal(t, value, got, "value of %s", key)
	assert.Equal(t, expiry, expiryOf(t, client, key), "expiry of %s", key)
}

func assertNoKey(t *testing.T, client redis.UniversalClient, key string) {
	t.Helper()
	n, err := client.Exists(context.Background(), key).Result()
	require.NoError(t, err)
	assert.Zero(t, n, "%s exists", key)
}

// One key per message id, prefix + id: a claim holds "processing:" and its
// owner's token for the lease plus the retention, a completion holds "done"
// for the retention, and a released claim is deleted.
func TestKeys(t *testing.T) {
	t.Parallel()
	client := newClient(t, envRedis)
	ctx := context.Background()

	t.Run("options", func(t *testing.T) {
		const lease, retention = 10 * time.Second, time.Hour
		prefix := testPrefix(t, client)
		s := mustNew(t, client, redisstore.WithPrefix(prefix), redisstore.WithLease(lease), redisstore.WithRetention(retention))

		a, other := clerkwebhook.ClaimContext(ctx), clerkwebhook.ClaimContext(ctx)
		claimed := "processing:" + clerkwebhook.ClaimToken(a)
		require.Equal(t, clerkwebhook.Claimed, claim(t, s, a, "msg_done"))
		assertKey(t, client, prefix+"msg_done", claimed, lease+retention)
		// Another delivery's Claim, Complete and Release leave the claim
		// as it is: its value, and the time it expires.
		shorten(t, client, prefix+"msg_done") // a rewrite would expire a second later
		expiry := expiryOf(t, client, prefix+"msg_done")
		require.Equal(t, clerkwebhook.InProgress, claim(t, s, other, "msg_done"))
		require.ErrorIs(t, s.Complete(other, "msg_done"), clerkwebhook.ErrLeaseExpired)
		require.ErrorIs(t, s.Release(other, "msg_done"), clerkwebhook.ErrLeaseExpired)
		assertUnchanged(t, client, prefix+"msg_done", claimed, expiry)

		require.NoError(t, s.Complete(a, "msg_done"))
		assertKey(t, client, prefix+"msg_done", "done", retention)
		// Nothing changes a done key, the time it expires included.
		shorten(t, client, prefix+"msg_done")
		expiry = expiryOf(t, client, prefix+"msg_done")
		require.NoError(t, s.Complete(a, "msg_done"))
		require.NoError(t, s.Complete(other, "msg_done"))
		require.NoError(t, s.Release(a, "msg_done"))
		require.NoError(t, s.Release(other, "msg_done"))
		require.Equal(t, clerkwebhook.Completed, claim(t, s, other, "msg_done"))
		assertUnchanged(t, client, prefix+"msg_done", "done", expiry)

		b := clerkwebhook.ClaimContext(ctx)
		require.Equal(t, clerkwebhook.Claimed, claim(t, s, b, "msg_released"))
		assertKey(t, client, prefix+"msg_released", "processing:"+clerkwebhook.ClaimToken(b), lease+retention)
		require.NoError(t, s.Release(b, "msg_released"))
		assertNoKey(t, client, prefix+"msg_released")

		keys, err := keysUnder(ctx, client, prefix)
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{prefix + "msg_done"}, keys, "keys under the prefix")
	})

	t.Run("defaults", func(t *testing.T) {
		// The default prefix is shared: this test's id is its own, and
		// its key is deleted at the end.
		id := testPrefix(t, client) + "msg"
		key := "clerkwebhook:" + id
		t.Cleanup(func() { client.Del(context.Background(), key) })
		s := mustNew(t, client)

		a := clerkwebhook.ClaimContext(ctx)
		require.Equal(t, clerkwebhook.Claimed, claim(t, s, a, id))
		assertKey(t, client, key, "processing:"+clerkwebhook.ClaimToken(a), clerkwebhook.DefaultLease+clerkwebhook.DefaultRetention)
		require.NoError(t, s.Complete(a, id))
		assertKey(t, client, key, "done", clerkwebhook.DefaultRetention)
	})
}

// Two stores with different prefixes on one server share nothing.
func TestPrefixIsolatesStores(t *testing.T) {
	t.Parallel()
	client := newClient(t, envRedis)
	ctx := context.Background()
	prefixA, prefixB := testPrefix(t, client), testPrefix(t, client)
	a := mustNew(t, client, redisstore.WithPrefix(prefixA))
	b := mustNew(t, client, redisstore.WithPrefix(prefixB))

	inA := clerkwebhook.ClaimContext(ctx)
	require.Equal(t, clerkwebhook.Claimed, claim(t, a, inA, "msg_1"))
	require.NoError(t, a.Complete(inA, "msg_1"))
	inB := clerkwebhook.ClaimContext(ctx)
	assert.Equal(t, clerkwebhook.Claimed, claim(t, b, inB, "msg_1"), "b saw a's completion")
	assert.Equal(t, clerkwebhook.Completed, claim(t, a, clerkwebhook.ClaimContext(ctx), "msg_1"), "b's claim changed a")
	assert.Equal(t, clerkwebhook.InProgress, claim(t, b, clerkwebhook.ClaimContext(ctx), "msg_1"))

	keysA, err := keysUnder(ctx, client, prefixA)
	require.NoError(t, err)
	assert.Equal(t, []string{prefixA + "msg_1"}, keysA)
	keysB, err := keysUnder(ctx, client, prefixB)
	require.NoError(t, err)
	assert.Equal(t, []string{prefixB + "msg_1"}, keysB)
}

// A Claim repeated by its owner, as go-redis repeats a command whose reply
// was lost, is Claimed again and leaves the claim as it was; so are
// Complete and Release.
func TestRepeatedCallsByTheOwner(t *testing.T) {
	t.Parallel()
	client := newClient(t, envRedis)
	prefix := testPrefix(t, client)
	s := mustNew(t, client, redisstore.WithPrefix(prefix))
	a := clerkwebhook.ClaimContext(context.Background())

	require.Equal(t, clerkwebhook.Claimed, claim(t, s, a, "msg_1"))
	require.Equal(t, clerkwebhook.Claimed, claim(t, s, a, "msg_1"), "the owner's repeated Claim")
	assert.Equal(t, clerkwebhook.InProgress, claim(t, s, clerkwebhook.ClaimContext(context.Background()), "msg_1"))
	require.NoError(t, s.Complete(a, "msg_1"))
	require.NoError(t, s.Complete(a, "msg_1"), "the owner's repeated Complete")
	assert.Equal(t, clerkwebhook.Completed, claim(t, s, a, "msg_1"))

	require.Equal(t, clerkwebhook.Claimed, claim(t, s, a, "msg_2"))
	require.NoError(t, s.Release(a, "msg_2"))
	require.NoError(t, s.Release(a, "msg_2"), "the owner's repeated Release")
	assertNoKey(t, client, prefix+"msg_2")
}

// A key under the prefix that this store did not write (another program
// sharing the prefix) fails Claim rather than pass for a claim, and no call
// changes it.
func TestForeignValues(t *testing.T) {
	t.Parallel()
	client := newClient(t, envRedis)
	ctx := context.Background()
	prefix := testPrefix(t, client)
	s := mustNew(t, client, redisstore.WithPrefix(prefix))

	require.NoError(t, client.Set(ctx, prefix+"msg_string", "someone else's", 0).Err())
	require.NoError(t, client.RPush(ctx, prefix+"msg_list", "x").Err())
	for _, id := range []string{"msg_string", "msg_list"} {
		owner := clerkwebhook.ClaimContext(ctx)
		state, err := s.Claim(owner, id)
		assert.Error(t, err, "Claim(%s)", id)
		assert.NotEqual(t, clerkwebhook.Claimed, state, "Claim(%s)", id)
		assert.Error(t, s.Complete(owner, id), "Complete(%s)", id)
		assert.Error(t, s.Release(owner, id), "Release(%s)", id)
	}
	got, err := client.Get(ctx, prefix+"msg_string").Result()
	require.NoError(t, err)
	assert.Equal(t, "someone else's", got)
	n, err := client.LLen(ctx, prefix+"msg_list").Result()
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
}

// Every failure of Redis reaches the caller, wrapped: here the client is
// closed, and errors.Is finds go-redis's error. No server is needed.
func TestRedisErrorsAreReturned(t *testing.T) {
	t.Parallel()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	require.NoError(t, client.Close())
	s := mustNew(t, client)
	ctx := clerkwebhook.ClaimContext(context.Background())

	state, err := s.Claim(ctx, "msg_1")
	assert.ErrorIs(t, err, redis.ErrClosed, "Claim")
	assert.NotEqual(t, clerkwebhook.Claimed, state, "Claim")
	for name, call := range map[string]func(context.Context, string) error{"Complete": s.Complete, "Release": s.Release} {
		err := call(ctx, "msg_1")
		assert.ErrorIs(t, err, redis.ErrClosed, name)
		assert.NotErrorIs(t, err, clerkwebhook.ErrLeaseExpired, name)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.Claim(cancelled, "msg_1")
	assert.ErrorIs(t, err, context.Canceled, "Claim with a cancelled context")
}

// A value an option can never use panics where the option is made, naming
// it (the repository's rule for configuration mistakes).
func TestBadOptionsPanic(t *testing.T) {
	t.Parallel()
	// New does no I/O: this client is never used.
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = client.Close() })

	tests := []struct {
		name string
		do   func()
		want string
	}{
		{"nil client", func() { redisstore.New(nil) }, "redisstore: New: nil Redis client"},
		{"empty prefix", func() { redisstore.WithPrefix("") }, `redisstore: WithPrefix(""): the key prefix must not be empty`},
		{"zero lease", func() { redisstore.WithLease(0) }, "redisstore: WithLease(0s): the lease must be positive"},
		{"negative lease", func() { redisstore.WithLease(-time.Minute) }, "redisstore: WithLease(-1m0s): the lease must be positive"},
		{"zero retention", func() { redisstore.WithRetention(0) }, "redisstore: WithRetention(0s): the retention must be positive"},
		{"negative retention", func() { redisstore.WithRetention(-time.Hour) }, "redisstore: WithRetention(-1h0m0s): the retention must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.PanicsWithValue(t, tc.want, tc.do)
		})
	}

	t.Run("nil options are ignored", func(t *testing.T) {
		s := redisstore.New(client, nil, redisstore.WithLease(time.Millisecond), nil, redisstore.WithRetention(time.Millisecond))
		assert.NotNil(t, s)
	})
}
