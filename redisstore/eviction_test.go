package redisstore_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/redisstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An evicting Redis is refused: Check says so, and a Store claims nothing
// until the policy is noeviction, unless told not to check.
//
// Not parallel: it changes the test server's maxmemory-policy, and puts it
// back before the package's parallel tests start (top-level parallel tests
// wait for every serial one).
func TestEvictionPolicy(t *testing.T) {
	ctx := context.Background()
	client := newClient(t, "CLERKWEBHOOK_TEST_REDIS")
	old, err := client.ConfigGet(ctx, "maxmemory-policy").Result()
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, client.ConfigSet(context.Background(), "maxmemory-policy", old["maxmemory-policy"]).Err())
	})
	setPolicy := func(p string) { require.NoError(t, client.ConfigSet(ctx, "maxmemory-policy", p).Err()) }
	claim := func(s *redisstore.Store) error {
		_, err := s.Claim(clerkwebhook.ClaimContext(ctx), "msg_eviction")
		return err
	}

	for _, policy := range []string{"allkeys-lru", "volatile-ttl", "allkeys-random"} {
		setPolicy(policy)
		s := redisstore.New(client, redisstore.WithPrefix(testPrefix(t, client)))
		err := s.Check(ctx)
		require.ErrorIs(t, err, redisstore.ErrEvictingPolicy, policy)
		assert.Contains(t, err.Error(), `"`+policy+`"`)
		assert.ErrorIs(t, claim(s), redisstore.ErrEvictingPolicy, "Claim on %s", policy)
		// The check runs again: fixing the policy is enough.
		setPolicy("noeviction")
		assert.NoError(t, claim(s), "Claim once the policy is noeviction")
		// Once passed, it is not asked again on every Claim.
		setPolicy(policy)
		assert.NoError(t, claim(s))
	}

	setPolicy("allkeys-lru")
	skipping := redisstore.New(client, redisstore.WithPrefix(testPrefix(t, client)), redisstore.WithoutEvictionCheck())
	assert.NoError(t, claim(skipping))

	setPolicy("noeviction")
	assert.NoError(t, redisstore.New(client).Check(ctx))

	down := redisstore.New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1}))
	err = down.Check(ctx)
	require.Error(t, err)
	assert.NotErrorIs(t, err, redisstore.ErrEvictingPolicy)
}
