package redisstore_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/storetest"
	"github.com/seed77920f6a/clerkwebhook/redisstore"
)

// BenchmarkClaimComplete measures what the Handler asks of the store for
// each new message, a Claim and then a Complete (two round trips), on the
// loopback server, from 8 goroutines per CPU: the calls wait on the network
// far more than they compute. It reports messages per second.
func BenchmarkClaimComplete(b *testing.B) {
	client := newClient(b, envRedis)
	s := redisstore.New(client, redisstore.WithPrefix(testPrefix(b, client)), redisstore.WithRetention(time.Minute))
	var n atomic.Uint64
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ctx := clerkwebhook.ClaimContext(context.Background())
			id := "msg_" + strconv.FormatUint(n.Add(1), 10)
			state, err := s.Claim(ctx, id)
			if err != nil || state != clerkwebhook.Claimed {
				b.Errorf("Claim(%s) = %v, %v", id, state, err)
				return
			}
			if err := s.Complete(ctx, id); err != nil {
				b.Errorf("Complete(%s): %v", id, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "messages/s")
}

// BenchmarkHandler compares a Handler on this Store with one on the memory
// deduplicator, side by side in one run.
func BenchmarkHandler(b *testing.B) {
	b.Run("memory", func(b *testing.B) { storetest.BenchmarkHandler(b, clerkwebhook.NewMemoryDeduplicator()) })
	b.Run("redisstore", func(b *testing.B) {
		client := newClient(b, "CLERKWEBHOOK_TEST_REDIS")
		store := redisstore.New(client, redisstore.WithPrefix(testPrefix(b, client)))
		storetest.BenchmarkHandler(b, store)
	})
}
