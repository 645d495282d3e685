package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
	"github.com/seed77920f6a/clerkwebhook/pgstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// PostgreSQL stops mid-run: a callback already running finishes and is
// acknowledged (its failed Complete reported), deliveries get 500 with
// ErrDeduplicator reported (no panic, no callback), and once the server is
// back, the retries process every message exactly once, the one done before
// the outage included. pgxpool reconnects by itself.
func TestServerStoppedMidRun(t *testing.T) {
	t.Parallel()
	pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES_OUTAGE")
	stop := serviceEnv(t, "CLERKWEBHOOK_TEST_POSTGRES_OUTAGE_STOP")
	start := serviceEnv(t, "CLERKWEBHOOK_TEST_POSTGRES_OUTAGE_START")
	store, _ := newStore(t, pool, pgstore.WithLease(5*time.Second))

	var mu sync.Mutex
	runs := map[string]int{}
	inFlight, entered, finish := "msg_in_flight", make(chan struct{}), make(chan struct{})
	var errs errorLog
	h := clerkwebhook.NewHandler(testVerifier(t), clerkwebhook.WithDeduplicator(store), clerkwebhook.WithObserver(errs.Observe))
	h.On(clerkwebhook.UserCreated, func(_ context.Context, e clerkwebhook.Event) error {
		if e.ID == inFlight {
			close(entered)
			<-finish
		}
		mu.Lock()
		defer mu.Unlock()
		runs[e.ID]++
		return nil
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	before := "msg_before_outage"
	require.Equal(t, http.StatusOK, deliverUserCreated(t, srv.URL, before))
	// scripts/with-services runs PostgreSQL with synchronous_commit=off and
	// stops it as a crash would: flush the commit to survive it, as a
	// server with the default settings does at every commit.
	_, err := pool.Exec(context.Background(), "CHECKPOINT")
	require.NoError(t, err)

	inFlightStatus := make(chan int, 1)
	header := signed(t, inFlight, clerkwebhooktest.Fixture(clerkwebhook.UserCreated))
	go func() {
		status, _ := deliver(srv.URL, inFlight, header)
		inFlightStatus <- status
	}()
	<-entered

	run(t, stop)
	stopped := true
	t.Cleanup(func() {
		if stopped {
			run(t, start)
		}
	})
	// The callback that was running succeeds: 200, so Svix does not
	// retry; the Complete that failed is reported.
	close(finish)
	require.Equal(t, http.StatusOK, <-inFlightStatus, "the delivery in flight")
	reported := errs.All()
	require.Len(t, reported, 1)
	require.ErrorIs(t, reported[0], clerkwebhook.ErrDeduplicator)
	require.ErrorContains(t, reported[0], "pgstore: complete message")

	var during []string
	for i := range 5 {
		id := fmt.Sprintf("msg_during_outage_%d", i)
		during = append(during, id)
		require.Equal(t, http.StatusInternalServerError, deliverUserCreated(t, srv.URL, id), id)
	}
	require.Equal(t, http.StatusInternalServerError, deliverUserCreated(t, srv.URL, before), "a duplicate, in the outage")
	reported = errs.All()[1:]
	require.Len(t, reported, len(during)+1)
	for _, err := range reported {
		require.ErrorIs(t, err, clerkwebhook.ErrDeduplicator)
		require.ErrorContains(t, err, "pgstore: claim message")
		var ce *clerkwebhook.CallbackError
		require.False(t, errors.As(err, &ce), "a callback failed: %v", err)
	}
	mu.Lock()
	assert.Equal(t, map[string]int{before: 1, inFlight: 1}, runs, "a callback ran in the outage")
	mu.Unlock()

	run(t, start)
	stopped = false
	// Svix retries until 200; a retry may meet a connection that died with
	// the server and answer 500 once more, until the pool has replaced it.
	deadline, retries := time.Now().Add(30*time.Second), 0
	for _, id := range append([]string{before}, during...) {
		for {
			status := deliverUserCreated(t, srv.URL, id)
			if status == http.StatusOK {
				break
			}
			retries++
			require.Equal(t, http.StatusInternalServerError, status, id)
			require.True(t, time.Now().Before(deadline), "%s still failing 30 s after the restart: %v", id, errs.All()[len(errs.All())-1])
			time.Sleep(100 * time.Millisecond)
		}
	}
	t.Logf("%d deliveries answered 500 after the restart", retries)
	for _, id := range append([]string{before}, during...) {
		require.Equal(t, http.StatusOK, deliverUserCreated(t, srv.URL, id), "a duplicate after the outage")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range append([]string{before, inFlight}, during...) {
		assert.Equal(t, 1, runs[id], "runs of %s", id)
	}
	assert.Len(t, runs, len(during)+2)
}

// run runs one of the outage executables of scripts/with-services.
func run(t *testing.T, path string) {
	t.Helper()
	out, err := exec.Command(path).CombinedOutput()
	require.NoError(t, err, "%s: %s", path, out)
}
