package clerkwebhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Deduplication: the MemoryDeduplicator's states, ttl, lease, bound and
// behaviour under concurrency; then deduplication through the Handler (each
// delivery on a recorder): duplicates, concurrent deliveries of one message,
// retries after every kind of failure, distinct messages, and a failing
// Deduplicator.

// fakeClock is a movable clock for memoryDedup's now field.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newTestDedup returns a memory deduplicator on a fake clock at testNow.
func newTestDedup(t *testing.T, retention time.Duration, opts ...MemoryOption) (*MemoryDeduplicator, *fakeClock) {
	t.Helper()
	m := NewMemoryDeduplicator(append([]MemoryOption{WithRetention(retention)}, opts...)...)
	clock := &fakeClock{t: testNow}
	m.now = clock.now
	return m, clock
}

// testOwner is the one owner of the claims of claim, complete and release,
// for the tests that are not about ownership.
var testOwner = ClaimContext(context.Background())

func claim(t *testing.T, d Deduplicator, id string) ClaimState {
	t.Helper()
	s, err := d.Claim(testOwner, id)
	require.NoError(t, err)
	return s
}

func complete(t *testing.T, d Deduplicator, id string) {
	t.Helper()
	require.NoError(t, d.Complete(testOwner, id))
}

func release(t *testing.T, d Deduplicator, id string) {
	t.Helper()
	require.NoError(t, d.Release(testOwner, id))
}

func TestDedupClaimStateString(t *testing.T) {
	t.Parallel()
	for s, want := range map[ClaimState]string{
		Claimed:        "claimed",
		Completed:      "completed",
		InProgress:     "in progress",
		ClaimState(7):  "ClaimState(7)",
		ClaimState(-1): "ClaimState(-1)",
	} {
		assert.Equal(t, want, s.String())
		assert.Equal(t, want, fmt.Sprint(s))
	}
}

func TestMemoryDedupRetention(t *testing.T) {
	t.Parallel()
	assert.Equal(t, DefaultRetention, NewMemoryDeduplicator().retention)
	assert.Equal(t, time.Minute, NewMemoryDeduplicator(WithRetention(time.Minute)).retention)
	assert.Equal(t, time.Minute, NewMemoryDeduplicator(nil, WithRetention(time.Minute), nil).retention)
	assert.Equal(t, 72*time.Hour, DefaultRetention)
	assert.PanicsWithValue(t, "clerkwebhook: WithRetention(0s): the retention must be positive", func() { WithRetention(0) })
	assert.PanicsWithValue(t, "clerkwebhook: WithRetention(-1h0m0s): the retention must be positive", func() { WithRetention(-time.Hour) })
	assert.PanicsWithValue(t, "clerkwebhook: WithLease(-1ns): the lease must be positive", func() { WithLease(-1) })
}

func TestMemoryDedupStates(t *testing.T) {
	t.Parallel()
	m, _ := newTestDedup(t, time.Hour)

	assert.Equal(t, Claimed, claim(t, m, "msg_a"), "first claim")
	assert.Equal(t, InProgress, claim(t, m, "msg_a"), "claim while held")
	assert.Equal(t, InProgress, claim(t, m, "msg_a"), "claiming again does not take it")

	complete(t, m, "msg_a")
	assert.Equal(t, Completed, claim(t, m, "msg_a"), "claim after complete")
	complete(t, m, "msg_a") // completing twice is harmless
	assert.Equal(t, Completed, claim(t, m, "msg_a"))

	release(t, m, "msg_a") // release of a completed id is a no-op
	assert.Equal(t, Completed, claim(t, m, "msg_a"), "release forgot a completed message")

	assert.Equal(t, Claimed, claim(t, m, "msg_b"))
	release(t, m, "msg_b")
	assert.Equal(t, Claimed, claim(t, m, "msg_b"), "a released message can be claimed again")
	assert.Equal(t, InProgress, claim(t, m, "msg_b"))

	release(t, m, "msg_never_seen") // no-op, no error
	assert.Equal(t, Claimed, claim(t, m, "msg_never_seen"))

	// Ids are independent, and compared exactly.
	assert.Equal(t, Claimed, claim(t, m, "msg_A"))
	assert.Equal(t, Claimed, claim(t, m, "msg_a "))
	assert.Equal(t, Claimed, claim(t, m, ""))
}

func TestMemoryDedupTTL(t *testing.T) {
	t.Parallel()
	const ttl = time.Hour
	m, clock := newTestDedup(t, ttl)

	assert.Equal(t, Claimed, claim(t, m, "msg_done"))
	complete(t, m, "msg_done")
	assert.Equal(t, Claimed, claim(t, m, "msg_held"))

	clock.advance(ttl - time.Nanosecond)
	assert.Equal(t, Completed, claim(t, m, "msg_done"), "forgotten before its ttl")

	clock.advance(2 * time.Nanosecond)
	assert.Equal(t, Claimed, claim(t, m, "msg_done"), "remembered past its ttl")
	assert.Equal(t, InProgress, claim(t, m, "msg_done"))

	// A claim in progress is not subject to the ttl but to its lease,
	// which ended long ago here: the message is taken over.
	clock.advance(100 * ttl)
	assert.Equal(t, Claimed, claim(t, m, "msg_held"), "an abandoned claim never expired")
}

func TestMemoryDedupLease(t *testing.T) {
	t.Parallel()
	const lease = 30 * time.Second
	m, clock := newTestDedup(t, time.Hour, WithLease(lease))
	first, second := ClaimContext(context.Background()), ClaimContext(context.Background())
	assert.NotEqual(t, ClaimToken(first), ClaimToken(second))
	assert.Equal(t, "", ClaimToken(context.Background()))

	s, err := m.Claim(first, "msg_slow")
	require.NoError(t, err)
	assert.Equal(t, Claimed, s)
	clock.advance(lease - time.Nanosecond)
	s, _ = m.Claim(second, "msg_slow")
	assert.Equal(t, InProgress, s, "taken over before the lease ended")
	clock.advance(time.Nanosecond)
	s, _ = m.Claim(second, "msg_slow")
	assert.Equal(t, Claimed, s, "not taken over when the lease ended")

	// The first owner's late calls change nothing.
	assert.ErrorIs(t, m.Release(first, "msg_slow"), ErrLeaseExpired)
	s, _ = m.Claim(ClaimContext(context.Background()), "msg_slow")
	assert.Equal(t, InProgress, s, "the old owner's Release freed the new owner's claim")
	assert.ErrorIs(t, m.Complete(first, "msg_slow"), ErrLeaseExpired)
	s, _ = m.Claim(ClaimContext(context.Background()), "msg_slow")
	assert.Equal(t, InProgress, s, "the old owner's Complete completed the new owner's claim")

	// The new owner completes; the old one can no longer release it.
	require.NoError(t, m.Complete(second, "msg_slow"))
	assert.NoError(t, m.Release(first, "msg_slow"))
	assert.Equal(t, Completed, claim(t, m, "msg_slow"))

	assert.Equal(t, DefaultLease, NewMemoryDeduplicator().lease)
	assert.Greater(t, DefaultLease, 15*time.Second, "Svix's response timeout")
	assert.Less(t, DefaultLease, 5*time.Minute, "Svix's third attempt")
}

func TestMemoryDedupCompletedAgainAfterExpiry(t *testing.T) {
	t.Parallel()
	const ttl = time.Hour
	m, clock := newTestDedup(t, ttl)

	assert.Equal(t, Claimed, claim(t, m, "msg_a"))
	complete(t, m, "msg_a")
	clock.advance(ttl + time.Second)

	assert.Equal(t, Claimed, claim(t, m, "msg_a"), "remembered past its ttl")
	complete(t, m, "msg_a")

	// The second completion counts from its own time, and survives the
	// first one's record.
	clock.advance(ttl / 2)
	assert.Equal(t, Completed, claim(t, m, "msg_a"), "the second completion was forgotten early")
	clock.advance(ttl/2 - time.Nanosecond)
	assert.Equal(t, Completed, claim(t, m, "msg_a"))
	clock.advance(2 * time.Nanosecond)
	assert.Equal(t, Claimed, claim(t, m, "msg_a"), "the second completion outlived its ttl")
}

// Many completions expire together and the record of them is compacted;
// what remains must still expire on time.
func TestMemoryDedupExpiryAcrossCompaction(t *testing.T) {
	t.Parallel()
	const ttl = time.Hour
	const batch = 1000
	m, clock := newTestDedup(t, ttl)
	id := func(b, i int) string { return fmt.Sprintf("msg_%d_%04d", b, i) }

	for i := 0; i < batch; i++ {
		require.Equal(t, Claimed, claim(t, m, id(1, i)))
		complete(t, m, id(1, i))
	}
	clock.advance(ttl / 2)
	for i := 0; i < batch; i++ {
		require.Equal(t, Claimed, claim(t, m, id(2, i)))
		complete(t, m, id(2, i))
	}
	clock.advance(ttl/2 + time.Second) // batch 1 expired, batch 2 not
	for i := 0; i < batch; i++ {
		require.Equal(t, Completed, claim(t, m, id(2, i)), "batch 2 id %d", i)
	}
	for i := 0; i < batch; i++ {
		require.Equal(t, Claimed, claim(t, m, id(1, i)), "batch 1 id %d", i)
		release(t, m, id(1, i))
	}
	clock.advance(ttl / 2)
	for i := 0; i < batch; i++ {
		require.Equal(t, Claimed, claim(t, m, id(2, i)), "batch 2 id %d outlived its ttl", i)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	assert.Equal(t, batch, len(m.state), "only the new claims are held")
	assert.Equal(t, 0, len(m.order), "the records of expired completions are still held")
	assert.Equal(t, 0, m.head)
}

// The records of completions are compacted as soon as the forgotten ones
// outnumber the live ones, and not before.
func TestMemoryDedupCompaction(t *testing.T) {
	t.Parallel()
	const ttl = time.Hour
	m, clock := newTestDedup(t, ttl)
	for i := 0; i < 4; i++ { // completed at +0, +1, +2 and +3 minutes
		id := fmt.Sprintf("msg_%d", i)
		require.Equal(t, Claimed, claim(t, m, id))
		complete(t, m, id)
		clock.advance(time.Minute)
	}
	expire := func() (head, records int) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.expire()
		return m.head, len(m.order)
	}
	clock.advance(ttl - 4*time.Minute + 90*time.Second) // +61.5 min: two expired
	head, records := expire()
	assert.Equal(t, 2, head, "forgotten records")
	assert.Equal(t, 4, records, "compacted with as many forgotten records as live ones")

	clock.advance(time.Minute) // +62.5 min: three expired
	head, records = expire()
	assert.Equal(t, 0, head, "not compacted with more forgotten records than live ones")
	assert.Equal(t, 1, records)
	assert.Equal(t, Completed, claim(t, m, "msg_3"), "the live record was lost in the compaction")
	assert.Equal(t, Claimed, claim(t, m, "msg_2"))
}

// Past 100,000 completed messages the oldest are forgotten first, whatever
// their ttl.
func TestMemoryDedupBound(t *testing.T) {
	t.Parallel()
	m, clock := newTestDedup(t, DefaultRetention)
	id := func(i int) string { return fmt.Sprintf("msg_%07d", i) }

	for i := 0; i <= maxRemembered; i++ { // 100,001 ids
		if i%1000 == 0 {
			clock.advance(time.Millisecond) // completion order is also time order
		}
		require.Equal(t, Claimed, claim(t, m, id(i)))
		complete(t, m, id(i))
	}
	m.mu.Lock()
	held := len(m.state)
	m.mu.Unlock()
	assert.Equal(t, maxRemembered, held, "more than the bound remembered")

	// Every remembered id is still Completed; the first is not.
	for i := 1; i <= maxRemembered; i++ {
		if s := claim(t, m, id(i)); s != Completed {
			t.Fatalf("id %d: %v, want completed", i, s)
		}
	}
	assert.Equal(t, Claimed, claim(t, m, id(0)), "the oldest was not the one forgotten")

	// One more completion forgets the next oldest, and only it.
	complete(t, m, id(0))
	assert.Equal(t, Claimed, claim(t, m, id(1)), "the next oldest was not forgotten")
	assert.Equal(t, Completed, claim(t, m, id(2)))
	assert.Equal(t, Completed, claim(t, m, id(0)), "the newest completion was forgotten")
}

// Concurrent deliveries of the same ids: each id is claimed exactly once per
// attempt. Every id's first holder fails (Release), its second succeeds
// (Complete), so each id must be claimed exactly twice in all.
func TestMemoryDedupConcurrent(t *testing.T) {
	t.Parallel()
	const workers = 32
	const ids = 200
	d := NewMemoryDeduplicator()
	claims := make([]atomic.Int32, ids)

	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			<-start
			for k := 0; k < ids; k++ {
				i := (k + w*7) % ids // workers start on different ids, then collide
				id := fmt.Sprintf("msg_%03d", i)
				for {
					ctx := ClaimContext(context.Background()) // an attempt: a new owner
					s, err := d.Claim(ctx, id)
					if err != nil {
						t.Error(err)
						return
					}
					if s == Completed {
						break
					}
					if s == InProgress {
						runtime.Gosched()
						continue
					}
					if claims[i].Add(1) == 1 {
						err = d.Release(ctx, id)
					} else {
						err = d.Complete(ctx, id)
					}
					if err != nil {
						t.Error(err)
						return
					}
				}
			}
		}(w)
	}
	close(start)
	wg.Wait()

	for i := range claims {
		assert.Equal(t, int32(2), claims[i].Load(), "id %d claimed %d times", i, claims[i].Load())
	}
}

// Many goroutines racing for one fresh id: exactly one wins.
func TestMemoryDedupConcurrentSingleWinner(t *testing.T) {
	t.Parallel()
	const workers = 64
	for round := 0; round < 50; round++ {
		d := NewMemoryDeduplicator()
		var winners atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				s, err := d.Claim(ClaimContext(context.Background()), "msg_race")
				if err != nil {
					t.Error(err)
				}
				if s == Claimed {
					winners.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		require.Equal(t, int32(1), winners.Load(), "round %d", round)
	}
}

// --- Deduplication through the Handler ---

// dedupHandler is a Handler with a memory deduplicator (on a fake clock, with
// the given lease) whose user.created callback is fn.
func dedupHandler(t *testing.T, lease time.Duration, log *errorLog, fn Callback) (*Handler, *fakeClock) {
	t.Helper()
	m, clock := newTestDedup(t, time.Hour, WithLease(lease))
	h := NewHandler(testVerifier(t), WithDeduplicator(m), WithObserver(log.observe))
	h.On(UserCreated, fn)
	return h, clock
}

// serveAsync runs one delivery on its own goroutine, as net/http would, and
// returns the recorder and a channel closed when that goroutine has ended,
// however it ended.
func serveAsync(t *testing.T, h http.Handler, id string, body []byte) (*httptest.ResponseRecorder, <-chan struct{}) {
	t.Helper()
	r := newDelivery(t, testSecret, id, testNow, body).incoming()
	rec := httptest.NewRecorder()
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		h.ServeHTTP(rec, r)
	}()
	return rec, ended
}

func TestHandlerDedupSequentialDuplicate(t *testing.T) {
	t.Parallel()
	var runs atomic.Int32
	log := &errorLog{}
	h, _ := dedupHandler(t, DefaultLease, log, func(context.Context, Event) error { runs.Add(1); return nil })
	d := newDelivery(t, testSecret, "msg_dup", testNow, readFixture(t, "user.created.json"))

	for i := 0; i < 3; i++ {
		rec := record(h, d)
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, wantOK, rec.Body.String())
	}
	// A retry is signed again at a later time, with the same id.
	retry := newDelivery(t, testSecret, "msg_dup", testNow.Add(time.Minute), d.body)
	assert.Equal(t, http.StatusOK, record(h, retry).Code)
	assert.Equal(t, int32(1), runs.Load(), "a duplicate ran the callback again")
	assert.Empty(t, log.all())
}

// Concurrent deliveries of one message, each served on its own goroutine as
// net/http would: the callback runs once, the others are answered 200 or 409.
func TestHandlerDedupConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	const n = 20
	var runs atomic.Int32
	othersAnswered := make(chan struct{})
	log := &errorLog{}
	h, _ := dedupHandler(t, DefaultLease, log, func(context.Context, Event) error {
		runs.Add(1)
		// Hold the message until every other delivery has been answered;
		// without deduplication all would be in here and time out.
		select {
		case <-othersAnswered:
		case <-time.After(3 * time.Second):
		}
		return nil
	})
	d := newDelivery(t, testSecret, "msg_concurrent", testNow, readFixture(t, "user.created.json"))

	start := make(chan struct{})
	var answered atomic.Int32
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses <- record(h, d).Code
			if answered.Add(1) == n-1 {
				close(othersAnswered)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(statuses)

	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	assert.Equal(t, int32(1), runs.Load(), "concurrent deliveries of one message ran the callback more than once")
	assert.Equal(t, n, count[http.StatusOK]+count[http.StatusConflict], "statuses other than 200 and 409: %v", count)
	assert.GreaterOrEqual(t, count[http.StatusOK], 1, "statuses: %v", count)
	t.Logf("statuses: %v", count)

	for _, err := range log.all() {
		assert.Contains(t, err.Error(), "msg_concurrent")
		assert.ErrorIs(t, err, ErrInProgress)
		assert.Contains(t, err.Error(), "msg_concurrent")
	}

	// Once done, a further delivery is a plain duplicate.
	assert.Equal(t, http.StatusOK, record(h, d).Code)
	assert.Equal(t, int32(1), runs.Load())
}

// The 409 answer has its own fixed text.
func TestHandlerDedupInProgressAnswer(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{})
	release := make(chan struct{})
	log := &errorLog{}
	h, _ := dedupHandler(t, DefaultLease, log, func(context.Context, Event) error {
		close(entered)
		<-release
		return nil
	})
	body := readFixture(t, "user.created.json")
	first, ended := serveAsync(t, h, "msg_inflight", body)
	<-entered
	rec := recordDelivery(t, h, "msg_inflight", body)
	close(release)
	assert.Equal(t, http.StatusConflict, rec.Code)
	assert.Equal(t, wantInFlight, rec.Body.String())
	assertNoDetail(t, rec.Body.String())
	<-ended
	assert.Equal(t, http.StatusOK, first.Code)
	require.Len(t, log.all(), 1)
	assert.Contains(t, log.all()[0].Error(), "msg_inflight")
}

func TestHandlerDedupRetryAfterFailure(t *testing.T) {
	t.Parallel()
	var runs atomic.Int32
	log := &errorLog{}
	h, _ := dedupHandler(t, DefaultLease, log, func(context.Context, Event) error {
		if runs.Add(1) == 1 {
			return errCallback
		}
		return nil
	})
	d := newDelivery(t, testSecret, "msg_retry", testNow, readFixture(t, "user.created.json"))

	rec := record(h, d)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, wantServerError, rec.Body.String())
	rec = record(h, d)
	assert.Equal(t, http.StatusOK, rec.Code, "the retry of a failed message was not run")
	assert.Equal(t, int32(2), runs.Load())
	rec = record(h, d)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, int32(2), runs.Load(), "a succeeded message ran again")

	reported := log.all()
	require.Len(t, reported, 1)
	assert.ErrorIs(t, reported[0], errCallback)
}

// A callback that panics is also released, so the retry runs.
func TestHandlerDedupRetryAfterPanic(t *testing.T) {
	t.Parallel()
	var runs atomic.Int32
	log := &errorLog{}
	h, _ := dedupHandler(t, DefaultLease, log, func(context.Context, Event) error {
		if runs.Add(1) == 1 {
			panic("first attempt explodes")
		}
		return nil
	})
	d := newDelivery(t, testSecret, "msg_panic_retry", testNow, readFixture(t, "user.created.json"))
	assert.Equal(t, http.StatusInternalServerError, record(h, d).Code)
	assert.Equal(t, http.StatusOK, record(h, d).Code, "the retry of a panicked message was not run")
	assert.Equal(t, int32(2), runs.Load())
}

// A callback that aborts the response with http.ErrAbortHandler (the
// standard way to cut a reply short) makes Svix see a broken connection and
// retry. The retry must run the callback: the claim of the aborted attempt
// must not block the message.
func TestHandlerDedupRetryAfterAbortHandler(t *testing.T) {
	t.Parallel()
	var runs atomic.Int32
	log := &errorLog{}
	h, _ := dedupHandler(t, DefaultLease, log, func(context.Context, Event) error {
		if runs.Add(1) == 1 {
			panic(http.ErrAbortHandler)
		}
		return nil
	})
	d := newDelivery(t, testSecret, "msg_abort_retry", testNow, readFixture(t, "user.created.json"))

	// net/http cuts the connection when a handler panics with
	// http.ErrAbortHandler, so the Handler must let exactly that value through.
	require.PanicsWithValue(t, http.ErrAbortHandler, func() { record(h, d) },
		"an aborted handler gives the client a broken response")

	rec := record(h, d)
	assert.Equal(t, http.StatusOK, rec.Code, "the retry after an aborted attempt was answered %d %q", rec.Code, rec.Body.String())
	assert.Equal(t, int32(2), runs.Load(), "the retry after an aborted attempt did not run the callback")
}

// A callback that leaves through runtime.Goexit (t.FailNow does) releases its
// claim like any other failure: the retry runs it, instead of 409 until Svix
// gives up.
func TestHandlerDedupRetryAfterGoexit(t *testing.T) {
	t.Parallel()
	var runs atomic.Int32
	log := &errorLog{}
	h, _ := dedupHandler(t, DefaultLease, log, func(context.Context, Event) error {
		if runs.Add(1) == 1 {
			runtime.Goexit()
		}
		return nil
	})
	body := readFixture(t, "user.created.json")
	rec, ended := serveAsync(t, h, "msg_goexit", body)
	<-ended
	assert.False(t, rec.Flushed, "no answer is written after Goexit")

	retry := recordDelivery(t, h, "msg_goexit", body)
	assert.Equal(t, http.StatusOK, retry.Code, "the retry after Goexit was refused")
	assert.Equal(t, int32(2), runs.Load())
	assert.Equal(t, http.StatusOK, recordDelivery(t, h, "msg_goexit", body).Code)
	assert.Equal(t, int32(2), runs.Load(), "completed message ran again")
	// The aborted attempt, and no failed Release.
	require.Len(t, log.all(), 1)
	assert.ErrorIs(t, log.all()[0], ErrCallback)
	assert.NotErrorIs(t, log.all()[0], ErrDeduplicator)
}

// A callback that outlives its lease no longer blocks the message: the retry
// after the lease runs the callback, and the stuck one's late answer changes
// nothing.
func TestHandlerDedupCallbackOutlivesLease(t *testing.T) {
	t.Parallel()
	const lease = 20 * time.Second
	var runs atomic.Int32
	stuck, unstick := make(chan struct{}), make(chan struct{})
	log := &errorLog{}
	h, clock := dedupHandler(t, lease, log, func(context.Context, Event) error {
		if runs.Add(1) == 1 {
			close(stuck)
			<-unstick
			return errCallback // the stuck attempt fails late: its Release must not free the new claim
		}
		return nil
	})
	body := readFixture(t, "user.created.json")
	first, ended := serveAsync(t, h, "msg_stuck", body)
	<-stuck

	assert.Equal(t, http.StatusConflict, recordDelivery(t, h, "msg_stuck", body).Code, "within the lease")
	clock.advance(lease)
	assert.Equal(t, http.StatusOK, recordDelivery(t, h, "msg_stuck", body).Code, "after the lease")
	assert.Equal(t, int32(2), runs.Load())

	close(unstick)
	<-ended
	assert.Equal(t, http.StatusInternalServerError, first.Code)
	assert.Equal(t, http.StatusOK, recordDelivery(t, h, "msg_stuck", body).Code)
	assert.Equal(t, int32(2), runs.Load(), "the late Release of the stuck attempt freed the completed message")

	reported := log.all()
	require.Len(t, reported, 2, "the 409 and the late callback error")
	assert.ErrorIs(t, reported[0], ErrInProgress)
	assert.ErrorIs(t, reported[1], ErrCallback)
}

func TestHandlerDedupDistinctIDs(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	runs := map[string]int{}
	log := &errorLog{}
	h, _ := dedupHandler(t, DefaultLease, log, func(_ context.Context, e Event) error {
		mu.Lock()
		defer mu.Unlock()
		runs[e.ID]++
		return nil
	})
	body := readFixture(t, "user.created.json")
	ids := []string{"msg_a", "msg_b", "msg_c"}
	for round := 0; round < 2; round++ {
		for _, id := range ids {
			assert.Equal(t, http.StatusOK, recordDelivery(t, h, id, body).Code)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string]int{"msg_a": 1, "msg_b": 1, "msg_c": 1}, runs)
}

// Distinct messages are not serialised by one another: two can be in
// their callbacks at the same time.
func TestHandlerDedupDistinctIDsConcurrent(t *testing.T) {
	t.Parallel()
	var inside atomic.Int32
	bothInside := make(chan struct{})
	h, _ := dedupHandler(t, DefaultLease, &errorLog{}, func(context.Context, Event) error {
		if inside.Add(1) == 2 {
			close(bothInside)
		}
		select {
		case <-bothInside:
			return nil
		case <-time.After(3 * time.Second):
			return errors.New("the other message never started")
		}
	})
	body := readFixture(t, "user.created.json")
	x, xEnded := serveAsync(t, h, "msg_x", body)
	y, yEnded := serveAsync(t, h, "msg_y", body)
	<-xEnded
	<-yEnded
	assert.Equal(t, http.StatusOK, x.Code)
	assert.Equal(t, http.StatusOK, y.Code)
}

// faultyDedup wraps a Deduplicator and fails the calls it is told to.
type faultyDedup struct {
	Deduplicator
	claimErr, completeErr, releaseErr error
}

func (f faultyDedup) Claim(ctx context.Context, id string) (ClaimState, error) {
	if f.claimErr != nil {
		return 0, f.claimErr
	}
	return f.Deduplicator.Claim(ctx, id)
}

func (f faultyDedup) Complete(ctx context.Context, id string) error {
	if f.completeErr != nil {
		return f.completeErr
	}
	return f.Deduplicator.Complete(ctx, id)
}

func (f faultyDedup) Release(ctx context.Context, id string) error {
	if f.releaseErr != nil {
		return f.releaseErr
	}
	return f.Deduplicator.Release(ctx, id)
}

func TestHandlerDedupStoreErrors(t *testing.T) {
	t.Parallel()
	errStore := errors.New("dedup store unreachable")
	for _, tc := range []struct {
		name       string
		dedup      faultyDedup
		callback   func(c *recorder) func(context.Context, Event) error
		wantStatus int
		wantCalls  int
		wantErrs   []error // what each reported error wraps, in order
	}{
		{
			name:       "claim fails: not processed, retried",
			dedup:      faultyDedup{claimErr: errStore},
			callback:   func(c *recorder) func(context.Context, Event) error { return c.ok },
			wantStatus: http.StatusInternalServerError, wantCalls: 0, wantErrs: []error{errStore},
		},
		{
			name:       "complete fails: the work is done, 200",
			dedup:      faultyDedup{completeErr: errStore},
			callback:   func(c *recorder) func(context.Context, Event) error { return c.ok },
			wantStatus: http.StatusOK, wantCalls: 1, wantErrs: []error{errStore},
		},
		{
			name:     "release fails after a callback error",
			dedup:    faultyDedup{releaseErr: errStore},
			callback: func(c *recorder) func(context.Context, Event) error { return c.fail },
			// Two errors, each wrapping one sentinel: the one behind the
			// status (Delivery.Err), then the release's (DedupErr).
			wantStatus: http.StatusInternalServerError, wantCalls: 1, wantErrs: []error{errCallback, errStore},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := &recorder{}
			log := &errorLog{}
			tc.dedup.Deduplicator = NewMemoryDeduplicator()
			h := NewHandler(testVerifier(t), WithDeduplicator(tc.dedup), WithObserver(log.observe))
			h.On(UserCreated, tc.callback(calls))
			rec := recordDelivery(t, h, "msg_store", readFixture(t, "user.created.json"))
			assert.Equal(t, tc.wantStatus, rec.Code)
			assertNoDetail(t, rec.Body.String())
			assert.NotContains(t, rec.Body.String(), "unreachable")
			assert.Len(t, calls.seen(), tc.wantCalls)
			reported := log.all()
			require.Len(t, reported, len(tc.wantErrs))
			for i, want := range tc.wantErrs {
				assert.ErrorIs(t, reported[i], want)
				assertOneSentinel(t, reported[i])
				assert.Contains(t, reported[i].Error(), "msg_store")
				if want == errStore {
					assert.ErrorIs(t, reported[i], ErrDeduplicator)
				}
			}
		})
	}
}

// renewing is a LeaseRenewer over the memory store whose Renew is renew.
type renewing struct {
	*MemoryDeduplicator
	lease time.Duration
	renew func(ctx context.Context, id string) error
}

func (r renewing) Lease() time.Duration                       { return r.lease }
func (r renewing) Renew(ctx context.Context, id string) error { return r.renew(ctx, id) }

// A renewal that finds the claim lost cancels the callback's context, with
// the renewal's error as its cause, and the Delivery reports it.
func TestHandlerRenewalLostCancelsTheCallback(t *testing.T) {
	t.Parallel()
	var renewals atomic.Int32
	d := renewing{NewMemoryDeduplicator(), 30 * time.Millisecond, func(ctx context.Context, id string) error {
		renewals.Add(1)
		if ClaimToken(ctx) == "" {
			t.Error("Renew without the claim's token")
		}
		return fmt.Errorf("%w: message %s", ErrLeaseExpired, id)
	}}
	obs := &observed{}
	var cause error
	h := NewHandler(testVerifier(t), WithDeduplicator(d), WithObserver(obs.observe), WithoutLog())
	h.On(UserCreated, func(ctx context.Context, e Event) error {
		<-ctx.Done() // until the renewal gives the message up
		cause = context.Cause(ctx)
		return ctx.Err()
	})
	rec := recordDelivery(t, h, "msg_lost", readFixture(t, "user.created.json"))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.ErrorIs(t, cause, ErrLeaseExpired, "the callback's context was cancelled without the renewal's cause")
	assert.Equal(t, int32(1), renewals.Load(), "renewal went on after the claim was lost")
	ds := obs.all()
	require.Len(t, ds, 1)
	assert.ErrorIs(t, ds[0].Err, ErrCallback)
	assert.ErrorIs(t, ds[0].DedupErr, ErrDeduplicator)
	assert.ErrorIs(t, ds[0].DedupErr, ErrLeaseExpired)
	assert.ErrorContains(t, ds[0].DedupErr, "renew for message msg_lost")
}

// A renewal that fails otherwise (the store unreachable) does not cancel
// the callback: renewal goes on, and the Delivery reports the failure.
func TestHandlerRenewalFailureKeepsTheCallback(t *testing.T) {
	t.Parallel()
	var renewals atomic.Int32
	enough := make(chan struct{})
	d := renewing{NewMemoryDeduplicator(), 30 * time.Millisecond, func(context.Context, string) error {
		if renewals.Add(1) == 3 {
			close(enough)
		}
		return errors.New("store down")
	}}
	obs := &observed{}
	h := NewHandler(testVerifier(t), WithDeduplicator(d), WithObserver(obs.observe), WithoutLog())
	h.On(UserCreated, func(ctx context.Context, e Event) error {
		select {
		case <-enough:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	})
	rec := recordDelivery(t, h, "msg_flaky", readFixture(t, "user.created.json"))
	assert.Equal(t, http.StatusOK, rec.Code)
	ds := obs.all()
	require.Len(t, ds, 1)
	assert.NoError(t, ds[0].Err)
	assert.ErrorIs(t, ds[0].DedupErr, ErrDeduplicator)
	assert.ErrorContains(t, ds[0].DedupErr, "renew for message msg_flaky: store down")
	assert.Equal(t, Completed, claim(t, d, "msg_flaky"))
}

// The answer never waits for a renewal in flight: stopping cancels it.
func TestHandlerRenewalStopsPromptly(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	var once sync.Once
	d := renewing{NewMemoryDeduplicator(), 30 * time.Millisecond, func(ctx context.Context, id string) error {
		once.Do(func() { close(started) })
		<-ctx.Done() // a store that hangs
		return ctx.Err()
	}}
	h := NewHandler(testVerifier(t), WithDeduplicator(d), WithoutLog())
	h.On(UserCreated, func(ctx context.Context, e Event) error {
		<-started
		return nil
	})
	assert.Equal(t, http.StatusOK, recordDelivery(t, h, "msg_hang", readFixture(t, "user.created.json")).Code)
}

// A store whose lease is not positive cannot be renewed: the callback runs,
// and the Delivery says why its claim was not kept alive.
func TestHandlerRenewalWithoutALease(t *testing.T) {
	t.Parallel()
	d := renewing{NewMemoryDeduplicator(), 0, func(context.Context, string) error {
		t.Error("Renew with no lease")
		return nil
	}}
	obs := &observed{}
	h := NewHandler(testVerifier(t), WithDeduplicator(d), WithObserver(obs.observe), WithoutLog())
	h.On(UserCreated, func(ctx context.Context, e Event) error { return nil })
	assert.Equal(t, http.StatusOK, recordDelivery(t, h, "msg_nolease", readFixture(t, "user.created.json")).Code)
	require.Len(t, obs.all(), 1)
	assert.ErrorContains(t, obs.all()[0].DedupErr, "the store's lease is 0s")
}
