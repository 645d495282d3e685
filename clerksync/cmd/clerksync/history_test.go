package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/synctest"
)

// The replay proof: generated histories (what Clerk would send about users,
// organizations and memberships over a while), delivered the way Svix may
// deliver them (in any order, some messages more than once, some copies at
// the same moment) through the whole service (signature, River, the
// mirror), must leave the state of the history applied in order.

// historySeeds is how many histories run on each database, and
// seedsAtOnce how many of them at once: 20 and 4, or 3 and 1 under the race
// detector, which makes SQLite about ten times slower here; a data race
// shows in a few histories as well as in many.
func historySeeds() (seeds uint64, atOnce int) {
	if raceEnabled {
		return 3, 1
	}
	return 20, 4
}

// deliver sends the plan to base from concurrency senders at once, each
// delivery retried until it is answered 200 (as Svix retries), and fails
// the test for any other answer.
func deliver(t *testing.T, base string, plan []synctest.Burst, concurrency int) {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	var mu sync.Mutex
	answers := map[int]int{}
	send := func(m synctest.Message) {
		for attempt := 0; ; attempt++ {
			status := post(client, base, m)
			mu.Lock()
			answers[status]++
			mu.Unlock()
			if status == http.StatusOK || attempt == 20 {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	work := make(chan synctest.Burst)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for b := range work {
				var copies sync.WaitGroup
				for _, m := range b {
					copies.Go(func() { send(m) })
				}
				copies.Wait()
			}
		})
	}
	for _, b := range plan {
		work <- b
	}
	close(work)
	wg.Wait()
	if len(answers) != 1 || answers[http.StatusOK] == 0 {
		t.Errorf("answers by status: %v, want only 200", answers)
	}
}

// Each of historySeeds histories, delivered shuffled with 40% of its
// messages repeated (some copies at once) by 8 concurrent senders, leaves
// the state of the history applied in order, on each database; River ran
// one job per message, and each completed. Histories run a few at a time,
// each on its own database and service.
func TestHistoriesInAnyOrder(t *testing.T) {
	t.Parallel() // with TestRestartAfterSIGKILL, which mostly waits
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) string) {
		began := time.Now()
		seeds, atOnce := historySeeds()
		var wg sync.WaitGroup
		running := make(chan struct{}, atOnce)
		for seed := uint64(1); seed <= seeds; seed++ {
			running <- struct{}{}
			wg.Go(func() {
				defer func() { <-running }()
				t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
					h := synctest.Generate(seed)
					plan, copies := synctest.DeliveryPlan(rand.New(rand.NewPCG(seed, 1)), h.Messages)
					svc := startService(t, newDB(t))
					deliver(t, svc.URL, plan, 8)
					waitDrained(t, svc.db.sql, len(h.Messages), 2*time.Minute)
					if !synctest.CheckState(t, getter(t, svc.ReadURL), h) {
						t.FailNow()
					}
					t.Logf("%d users, %d organizations, %d events %v; %d more deliveries (%.0f%%)",
						len(h.UserIDs), len(h.OrgIDs), len(h.Messages), h.Counts, copies,
						100*float64(copies)/float64(len(h.Messages)))
				})
			})
		}
		wg.Wait()
		t.Logf("%d histories in %v", seeds, time.Since(began).Round(time.Millisecond))
	})
}
