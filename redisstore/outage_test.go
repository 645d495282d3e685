package redisstore_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
	"github.com/seed77920f6a/clerkwebhook/internal/storetest"
	"github.com/seed77920f6a/clerkwebhook/redisstore"
)

// testSecret is the Standard Webhooks spec's example secret: a test value.
const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// A Handler on a Redis that stops mid-run: deliveries answer 500 while it is
// down, so that the sender retries them, and once it is back every message
// is processed exactly once.
//
// The restarted server is empty (it has no persistence), so a message
// completed before the stop would run again if it were redelivered after
// the restart: that is Redis forgetting, which the package documents, not
// what this test is about. The messages are therefore chosen so that the
// expectation is exact, as Svix would deliver them: those answered 200
// are not delivered again, those answered 500 are retried until 200.
func TestHandlerThroughRedisOutage(t *testing.T) {
	t.Parallel()
	client := newClient(t, envOutage, failFast)
	stop, start := fromEnv(t, envOutageStop), fromEnv(t, envOutageStart)
	restartOnFailure(t, client, start)
	store := mustNew(t, client, redisstore.WithPrefix(testPrefix(t, client)))

	const before, during = 5, 5
	midRun := "msg_outage_mid_run" // its callback stops Redis
	runs := &runCounter{n: map[string]int{}}
	reports := &errorLog{}
	v, err := clerkwebhook.NewVerifier(testSecret, clerkwebhook.WithClock(clerkwebhooktest.FixedClock(clerkwebhooktest.FixtureTime())))
	require.NoError(t, err)
	h := clerkwebhook.NewHandler(v, clerkwebhook.WithDeduplicator(store), clerkwebhook.WithObserver(reports.Observe))
	h.On(clerkwebhook.UserCreated, func(_ context.Context, e clerkwebhook.Event) error {
		runs.add(e.ID)
		if e.ID == midRun {
			run(t, stop)
		}
		return nil
	})
	srv := httptest.NewServer(noPanic(t, h))
	t.Cleanup(srv.Close)
	deliver := func(id string) int { return post(t, srv.URL, id) }

	// Redis up: processed once each.
	for i := range before {
		require.Equal(t, http.StatusOK, deliver(msgID("before", i)), "before the outage")
	}

	// Redis stops during a callback: the work is done, so 200, and the
	// failed Complete is reported.
	require.Equal(t, http.StatusOK, deliver(midRun), "Redis stopped during the callback")
	require.Len(t, reports.All(), 1)
	assert.ErrorIs(t, reports.All()[0], clerkwebhook.ErrDeduplicator)

	// Redis down: no claim, so no callback; 500, so the sender retries.
	for i := range during {
		assert.Equal(t, http.StatusInternalServerError, deliver(msgID("during", i)), "during the outage")
	}
	assert.Equal(t, http.StatusInternalServerError, deliver(msgID("before", 0)), "a duplicate during the outage")
	for _, err := range reports.All()[1:] {
		assert.ErrorIs(t, err, clerkwebhook.ErrDeduplicator)
	}
	assert.Len(t, reports.All(), 1+during+1, "one report per failed delivery")

	ranBeforeRestart := map[string]int{midRun: 1}
	for i := range before {
		ranBeforeRestart[msgID("before", i)] = 1
	}
	assert.Equal(t, ranBeforeRestart, runs.all(), "callback runs per message id before the restart")

	// Redis back: the sender's retries go through.
	run(t, start)
	restarted := time.Now()
	for i := range during {
		id := msgID("during", i)
		for deliver(id) != http.StatusOK {
			require.Less(t, time.Since(restarted), 30*time.Second, "%s still failing 30s after Redis restarted", id)
			time.Sleep(50 * time.Millisecond)
		}
		assert.Equal(t, http.StatusOK, deliver(id), "a duplicate after the restart")
	}
	t.Logf("every retry went through %v after the restart", time.Since(restarted).Round(time.Millisecond))

	want := ranBeforeRestart
	for i := range during {
		want[msgID("during", i)] = 1
	}
	assert.Equal(t, want, runs.all(), "callback runs per message id")
}

func msgID(phase string, i int) string { return "msg_outage_" + phase + "_" + strconv.Itoa(i) }

// post delivers the user.created fixture as message id, signed by the
// reference library, and returns the status.
func post(t *testing.T, url, id string) int {
	t.Helper()
	body := clerkwebhooktest.Fixture(clerkwebhook.UserCreated)
	wh, err := standardwebhooks.NewWebhook(testSecret)
	require.NoError(t, err)
	at := clerkwebhooktest.FixtureTime()
	sig, err := wh.Sign(id, at, body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("svix-id", id)
	req.Header.Set("svix-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("svix-signature", sig)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	require.NoError(t, err, "delivering %s", id)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// run runs one of the executables that stop and start the outage server.
func run(t *testing.T, path string) {
	t.Helper()
	if out, err := exec.Command(path).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, out)
	}
}

// restartOnFailure starts the outage server again at the end of the test if
// it is down, so that a failed run leaves it as it found it.
func restartOnFailure(t *testing.T, client *redis.Client, start string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if client.Ping(ctx).Err() != nil {
			if out, err := exec.Command(start).CombinedOutput(); err != nil {
				t.Errorf("%s: %v\n%s", start, err, out)
			}
		}
	})
}

// noPanic fails the test if h panics: the Handler must answer every failure
// of the store with a status.
func noPanic(t *testing.T, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				t.Errorf("the Handler panicked: %v", p)
				w.WriteHeader(599)
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// runCounter counts a callback's runs per message id.
type runCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *runCounter) add(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[id]++
}

func (c *runCounter) all() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.n))
	for k, v := range c.n {
		out[k] = v
	}
	return out
}

// errorLog collects the errors of the deliveries a Handler observes.
type errorLog = storetest.ErrorLog
