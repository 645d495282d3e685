package clerkriver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkriver"
	"github.com/seed77920f6a/clerkwebhook/internal/storetest"
)

// The whole path over HTTP on loopback, on each driver: Handler WithQueue →
// Queue.Enqueue → 200, then River → NewWorker → Dispatch → the On callback.

const (
	deliveryMessages = 100             // distinct messages
	deliveryCopies   = 3               // deliveries of each, at once
	callbackTime     = 3 * time.Second // each callback's work
)

// deliveryInterval separates the messages: 20 a second, or about 7 a
// second under the race detector, which slows SQLite (Go translated from C)
// about tenfold.
func deliveryInterval() time.Duration {
	if raceEnabled {
		return 150 * time.Millisecond
	}
	return 50 * time.Millisecond
}

// answerTimeout is how long a delivery waits for its answer: 15 seconds, as
// Svix does, or a minute under the race detector, whose slowdown of SQLite
// varies with the machine's other load.
var answerTimeout = map[bool]time.Duration{false: 15 * time.Second, true: time.Minute}[raceEnabled]

// Messages arrive at 20 a second, each delivered deliveryCopies times at
// once, while the callbacks of the earlier ones run (each takes seconds, so
// dozens overlap): each callback runs exactly once, and the deliveries are
// acknowledged long before the callbacks' work is over.
//
// 60 requests a second is above what Clerk usually sends one endpoint, and
// well within what one SQLite connection commits here, each insert (and
// each of River's fetches and completions) being a transaction synced to
// disk, 3 to 7 ms on this machine's disk: past that rate the answers wait
// in line for the connection, as they would in production.
//
// The latency it measures is the driver's alone: one driver at a time,
// and no other test of the package beside it (not t.Parallel).
func TestDeliveriesOverHTTP(t *testing.T) {
	t.Run("pgx", func(t *testing.T) { testDeliveriesOverHTTP(t, newPostgres(t)) })
	t.Run("sqlite", func(t *testing.T) { testDeliveriesOverHTTP(t, newSQLite(t, 10*time.Second)) })
}

func testDeliveriesOverHTTP[TTx any](t *testing.T, b *backend[TTx]) {
	// One client inserts and works, wired as the package documentation
	// shows: the Queue needs the client, the worker needs the Handler.
	cfg := testConfig(b)
	cfg.Workers = river.NewWorkers()
	cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: deliveryMessages + 10}}
	cfg.JobTimeout = 4 * callbackTime
	// River's own pace for fetching jobs: on SQLite each fetch is a write
	// transaction on the one connection that the inserts also need.
	cfg.FetchCooldown = river.FetchCooldownDefault
	cfg.FetchPollInterval = river.FetchPollIntervalDefault
	client, err := river.NewClient(b.driver, cfg)
	require.NoError(t, err)
	errs := &errorLog{}
	h := newHandler(t, clerkriver.NewQueue(client), errs)
	river.AddWorker(cfg.Workers, clerkriver.NewWorker(h))

	calls := &runs{}
	var mu sync.Mutex
	seen := map[string]clerkwebhook.Event{}
	h.On(clerkwebhook.UserCreated, func(ctx context.Context, e clerkwebhook.Event) error {
		select {
		case <-time.After(callbackTime):
		case <-ctx.Done():
			calls.called(e.ID, false)
			return ctx.Err()
		}
		mu.Lock()
		seen[e.ID] = e
		mu.Unlock()
		calls.called(e.ID, true)
		return nil
	})
	start(t, client)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	ds := storetest.Deliveries(t, deliveryMessages)
	httpClient := &http.Client{
		Timeout:   answerTimeout,
		Transport: &http.Transport{MaxIdleConnsPerHost: deliveryMessages * deliveryCopies},
	}
	t.Cleanup(httpClient.CloseIdleConnections)
	type answer struct {
		status int
		took   time.Duration
	}
	answers := make(chan answer, len(ds)*deliveryCopies)
	var wg sync.WaitGroup
	began := time.Now()
	for i, d := range ds {
		time.Sleep(time.Until(began.Add(time.Duration(i) * deliveryInterval())))
		ready := make(chan struct{})
		for range deliveryCopies {
			wg.Go(func() {
				<-ready
				sent := time.Now()
				status := storetest.Post(httpClient, srv.URL, d)
				answers <- answer{status, time.Since(sent)}
			})
		}
		close(ready)
	}
	wg.Wait()
	allAnswered := time.Since(began)
	close(answers)

	var took []time.Duration
	statuses := map[int]int{}
	for a := range answers {
		statuses[a.status]++
		took = append(took, a.took)
	}
	require.Equal(t, map[int]int{http.StatusOK: len(ds) * deliveryCopies}, statuses, "answers (0: no answer); reported: %v", errs.all())
	slices.Sort(took)
	p50, p99, slowest := took[len(took)/2], took[len(took)*99/100], took[len(took)-1]
	t.Logf("%s: %d deliveries (%d messages x %d at once, a message every %v) answered within %v: acknowledgement p50 %v, p99 %v, max %v; each callback takes %v (race detector: %v)",
		b.name, len(took), len(ds), deliveryCopies, deliveryInterval(), allAnswered.Round(time.Millisecond),
		p50.Round(time.Millisecond), p99.Round(time.Millisecond), slowest.Round(time.Millisecond), callbackTime, raceEnabled)
	// The latencies are logged, not asserted: speed is a benchmark's to
	// measure. What is asserted is that no answer waited for a callback,
	// which takes seconds.
	if !raceEnabled { // the detector's slowdown varies with the load beside it
		assert.Less(t, slowest, callbackTime, "a delivery waited for its callback")
	}

	// Every job completes, each callback having run once.
	stop := time.Now().Add(callbackTime + time.Minute)
	for {
		done, err := client.JobList(context.Background(), river.NewJobListParams().
			Kinds(clerkriver.Kind).States(rivertype.JobStateCompleted).First(10_000))
		require.NoError(t, err)
		if len(done.Jobs) == len(ds) {
			break
		}
		if time.Now().After(stop) {
			t.Fatalf("%d of %d jobs completed", len(done.Jobs), len(ds))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%s: all callbacks done %v after the first delivery", b.name, time.Since(began).Round(time.Millisecond))
	require.Len(t, jobs(t, client), len(ds), "jobs")
	for _, d := range ds {
		n, ok := calls.of(d.ID)
		if n != 1 || ok != 1 {
			t.Errorf("message %s: %d calls, %d successes; want 1 and 1", d.ID, n, ok)
		}
	}
	assert.Empty(t, errs.all(), "reported by the Handler")

	// The callback got the event the Handler verified.
	v, err := clerkwebhook.NewVerifier(storetest.Secret)
	require.NoError(t, err)
	want, err := v.Verify(ds[0].Body, ds[0].Header)
	require.NoError(t, err)
	mu.Lock()
	got := seen[ds[0].ID]
	mu.Unlock()
	assert.JSONEq(t, string(want.Data), string(got.Data))
	assert.True(t, want.SignedAt.Equal(got.SignedAt), "SignedAt %v, want %v", got.SignedAt, want.SignedAt)
	want.Data, got.Data = nil, nil
	want.SignedAt, got.SignedAt = time.Time{}, time.Time{}
	assert.Equal(t, want, got)
}
