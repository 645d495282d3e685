package clerkwebhook

import (
	"context"
	"fmt"
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
func newTestDedup(t *testing.T, ttl time.Duration) (*memoryDedup, *fakeClock) {
	t.Helper()
	m, ok := NewMemoryDeduplicator(ttl).(*memoryDedup)
	require.True(t, ok)
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
		m, ok := NewMemoryDeduplicator(ttl).(*memoryDedup)
		require.True(t, ok)
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

	// A claim in progress has no ttl: only Complete or Release ends it.
	clock.advance(100 * ttl)
	assert.Equal(t, InProgress, claim(t, m, "msg_held"), "an in-progress claim expired")
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
