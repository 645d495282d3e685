package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/seed77920f6a/clerkwebhook/internal/storetest"
)

// The environment scripts/with-services sets: the address of a Redis
// server, and of a second one that a test may stop and start again.
const (
	envRedis       = "CLERKWEBHOOK_TEST_REDIS"
	envOutage      = "CLERKWEBHOOK_TEST_REDIS_OUTAGE"
	envOutageStop  = "CLERKWEBHOOK_TEST_REDIS_OUTAGE_STOP"
	envOutageStart = "CLERKWEBHOOK_TEST_REDIS_OUTAGE_START"
)

// fromEnv returns the value of the environment variable name, which
// scripts/with-services sets to a server's address (or to an executable
// for the outage tests): storetest.Service skips the test without it, or
// fails it when CLERKWEBHOOK_REQUIRE_SERVICES=1, as CI sets it.
func fromEnv(tb testing.TB, name string) string { return storetest.Service(tb, name) }

// newClient returns a client of the Redis server whose address is in the
// environment variable name (see fromEnv), closed when the test ends. Each
// configure function may change its options.
func newClient(tb testing.TB, name string, configure ...func(*redis.Options)) *redis.Client {
	tb.Helper()
	addr := fromEnv(tb, name)
	opts := &redis.Options{Addr: addr}
	for _, fn := range configure {
		fn(opts)
	}
	client := redis.NewClient(opts)
	tb.Cleanup(func() { _ = client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		tb.Fatalf("Redis at %s (%s): %v", addr, name, err)
	}
	return client
}

// failFast makes a client give up on a server that refuses connections at
// once, instead of dialling five times and retrying the command three
// times (half a second or more per command): the Store gets the same error.
func failFast(o *redis.Options) {
	o.DialerRetries = 1
	o.MaxRetries = -1
}

// shorten takes a second off the time key has to live, so that any write
// of the key, which sets its time to live afresh, shows in when it
// expires, however soon after this it comes.
func shorten(tb testing.TB, client redis.UniversalClient, key string) {
	tb.Helper()
	ctx := context.Background()
	left, err := client.PTTL(ctx, key).Result()
	if err == nil {
		err = client.PExpire(ctx, key, left-time.Second).Err()
	}
	if err != nil {
		tb.Fatalf("shortening the time to live of %s: %v", key, err)
	}
}

// testPrefix returns a key prefix no other test uses, so that tests can run
// in parallel and again on the same server, and deletes its keys when the
// test ends. It is hexadecimal, so it holds no SCAN pattern characters.
func testPrefix(tb testing.TB, client redis.UniversalClient) string {
	tb.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	prefix := "clerkwebhooktest:" + hex.EncodeToString(b) + ":"
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := deleteKeys(ctx, client, prefix); err != nil {
			tb.Logf("deleting the keys under %s: %v", prefix, err)
		}
	})
	return prefix
}

// keysUnder returns every key that starts with prefix.
func keysUnder(ctx context.Context, client redis.UniversalClient, prefix string) ([]string, error) {
	var keys []string
	iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	return keys, iter.Err()
}

func deleteKeys(ctx context.Context, client redis.UniversalClient, prefix string) error {
	keys, err := keysUnder(ctx, client, prefix)
	for len(keys) > 0 && err == nil {
		n := min(len(keys), 1000)
		err = client.Del(ctx, keys[:n]...).Err()
		keys = keys[n:]
	}
	return err
}
