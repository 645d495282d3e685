package pgstore_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/storetest"
)

// BenchmarkClaimComplete measures what the Handler asks of the Store for
// each new message, a Claim and a Complete (two statements, each its own
// transaction and round trip), on the loopback server of scripts/with-services, with
// 1 and 16 goroutines per GOMAXPROCS sharing a pool of 32 connections.
// ns/op is the time per message across all goroutines; msgs/s is its
// inverse.
func BenchmarkClaimComplete(b *testing.B) {
	pool := testPool(b, "CLERKWEBHOOK_TEST_POSTGRES")
	store, _ := newStore(b, pool)
	var next atomic.Int64 // across runs: the benchmark function runs once per b.N
	for _, parallelism := range []int{1, 16} {
		b.Run(fmt.Sprintf("goroutines=%dxGOMAXPROCS", parallelism), func(b *testing.B) {
			b.SetParallelism(parallelism)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					ctx := clerkwebhook.ClaimContext(context.Background())
					id := "msg_bench_" + strconv.FormatInt(next.Add(1), 10)
					state, err := store.Claim(ctx, id)
					if err != nil || state != clerkwebhook.Claimed {
						b.Errorf("Claim(%s) = %v, %v", id, state, err)
						return
					}
					if err := store.Complete(ctx, id); err != nil {
						b.Errorf("Complete(%s): %v", id, err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkHandler compares a Handler on this Store with one on the memory
// deduplicator, side by side in one run.
func BenchmarkHandler(b *testing.B) {
	b.Run("memory", func(b *testing.B) { storetest.BenchmarkHandler(b, clerkwebhook.NewMemoryDeduplicator()) })
	b.Run("pgstore", func(b *testing.B) {
		store, _ := newStore(b, testPool(b, "CLERKWEBHOOK_TEST_POSTGRES"))
		storetest.BenchmarkHandler(b, store)
	})
}
