package clerkwebhook

import (
	"bytes"
	"context"
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
func newTestDedup(t *testing.T, ttl time.Duration, opts ...MemoryOption) (*MemoryDeduplicator, *fakeClock) {
	t.Helper()
	m := NewMemoryDeduplicator(ttl, opts...)
	clock := &fakeClock{t: testNow}
	m.now = clock.now
	return m, clock
}

func claim(t *testing.T, d Deduplicator, id string) ClaimState {
	t.Helper()
	s, err := d.Claim(context.Background(), id)
	require.NoError(t, err)
	return s
}

func complete(t *testing.T, d Deduplicator, id string) {
	t.Helper()
	require.NoError(t, d.Complete(context.Background(), id))
}

func release(t *testing.T, d Deduplicator, id string) {
	t.Helper()
	require.NoError(t, d.Release(context.Background(), id))
}

func TestDedupClaimStateString(t *testing.T) {
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

func TestMemoryDedupDefaultTTL(t *testing.T) {
	for ttl, want := range map[time.Duration]time.Duration{
		0:           DefaultDedupTTL,
		-time.Hour:  DefaultDedupTTL,
		time.Minute: time.Minute,
	} {
		m := NewMemoryDeduplicator(ttl)
		assert.Equal(t, want, m.ttl, "ttl %v", ttl)
	}
	assert.Equal(t, 72*time.Hour, DefaultDedupTTL)
}

func TestMemoryDedupStates(t *testing.T) {
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

	assert.Equal(t, DefaultLease, NewMemoryDeduplicator(0).lease)
	assert.Greater(t, DefaultLease, 15*time.Second, "Svix's response timeout")
	assert.Less(t, DefaultLease, 5*time.Minute, "Svix's third attempt")
}

func TestMemoryDedupCompletedAgainAfterExpiry(t *testing.T) {
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
	assert.Equal(t, 0, len(m.order)-m.head, "expired completions still recorded")
}

// Past 100,000 completed messages the oldest are forgotten first, whatever
// their ttl.
func TestMemoryDedupBound(t *testing.T) {
	m, clock := newTestDedup(t, DefaultDedupTTL)
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
	const workers = 32
	const ids = 200
	d := NewMemoryDeduplicator(0)
	claims := make([]atomic.Int32, ids)
	ctx := context.Background()

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
	const workers = 64
	for round := 0; round < 50; round++ {
		d := NewMemoryDeduplicator(0)
		var winners atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				s, err := d.Claim(context.Background(), "msg_race")
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

// dedupHandler is a Handler with a memory deduplicator (on a fake clock, with
// the given lease) whose user.created callback is fn.
func dedupHandler(t *testing.T, lease time.Duration, log *errorLog, fn Callback) (*Handler, *fakeClock) {
	t.Helper()
	m, clock := newTestDedup(t, time.Hour, WithLease(lease))
	h := NewHandler(testVerifier(t), WithDeduplicator(m), WithErrorHandler(log.report))
	h.On(UserCreated, fn)
	return h, clock
}

// serveAsync runs one delivery on its own goroutine, as net/http would, and
// returns the recorder and a channel closed when that goroutine has ended,
// however it ended.
func serveAsync(t *testing.T, h http.Handler, id string, body []byte) (*httptest.ResponseRecorder, <-chan struct{}) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(body))
	for k, v := range signed(t, testSecret, id, testNow, body) {
		r.Header[k] = v
	}
	rec := httptest.NewRecorder()
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		h.ServeHTTP(rec, r)
	}()
	return rec, ended
}

// A callback that leaves through runtime.Goexit (t.FailNow does) releases its
// claim like any other failure: the retry runs it, instead of 409 until Svix
// gives up.
func TestHandlerDedupRetryAfterGoexit(t *testing.T) {
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
	assert.Empty(t, log.all())
}

// A callback that outlives its lease no longer blocks the message: the retry
// after the lease runs the callback, and the stuck one's late answer changes
// nothing.
func TestHandlerDedupCallbackOutlivesLease(t *testing.T) {
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
