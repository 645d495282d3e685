package clerkwebhook

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// ClaimState is a Deduplicator's answer to Claim.
type ClaimState int

const (
	// Claimed means the caller now holds the message and must process it,
	// then call Complete on success or Release on failure.
	Claimed ClaimState = iota
	// Completed means the message was already processed successfully: do
	// not process it again.
	Completed
	// InProgress means another delivery of the message holds it right now.
	InProgress
)

// String returns the state's name.
func (s ClaimState) String() string {
	switch s {
	case Claimed:
		return "claimed"
	case Completed:
		return "completed"
	case InProgress:
		return "in progress"
	}
	return "ClaimState(" + strconv.Itoa(int(s)) + ")"
}

// A Deduplicator records which messages have been processed, keyed by
// Event.ID (the svix-id: the same for every retry of a message, unique
// across messages). The Handler calls Claim before running a callback, then
// Complete when it succeeded or Release when it failed, so that:
//
//   - a retry of a message that succeeded is acknowledged without running
//     the callback again;
//   - a retry of a message that failed runs the callback again;
//   - two deliveries of one message at the same moment run it once.
//
// Implementations must be safe for concurrent use. For several replicas, back
// it with a shared store, claiming atomically:
//
//	-- SQL (PostgreSQL, SQLite): one row per message id
//	CREATE TABLE clerk_webhook_messages (
//	    id         text PRIMARY KEY,
//	    state      text NOT NULL,            -- 'processing' or 'done'
//	    claimed_at timestamptz NOT NULL
//	);
//	-- Claim: insert; zero rows affected means someone has it: read its state.
//	INSERT INTO clerk_webhook_messages (id, state, claimed_at)
//	VALUES ($1, 'processing', now()) ON CONFLICT (id) DO NOTHING;
//	-- Complete: UPDATE ... SET state = 'done' WHERE id = $1;
//	-- Release:  DELETE FROM clerk_webhook_messages WHERE id = $1 AND state = 'processing';
//
//	# Redis: the claim expires by itself if the process dies mid-callback
//	SET clerk:msg:<id> processing NX EX 60      # Claim; nil reply: GET it
//	SET clerk:msg:<id> done EX 259200           # Complete (keep 72 h)
//	DEL clerk:msg:<id>                          # Release
//
// A claim whose process died must not block the message forever: give
// 'processing' claims a lease (the Redis EX above; in SQL, treat a
// 'processing' row older than the lease as free), longer than the callback
// can take and shorter than Svix's first retry intervals.
type Deduplicator interface {
	// Claim atomically reserves id, or reports that it is Completed or
	// InProgress elsewhere. An error makes the Handler answer 500.
	Claim(ctx context.Context, id string) (ClaimState, error)
	// Complete records that id was processed successfully.
	Complete(ctx context.Context, id string) error
	// Release drops the claim on id after a failure, so a retry can claim
	// it again. It must not forget a completed id.
	Release(ctx context.Context, id string) error
}

// DefaultDedupTTL is how long NewMemoryDeduplicator remembers a processed
// message when given a ttl of zero or less: Svix retries a failed message
// over about 28 hours, and the Dashboard can replay one later still.
const DefaultDedupTTL = 72 * time.Hour

// maxRemembered bounds the memory of NewMemoryDeduplicator: past it, the
// oldest processed ids are forgotten first.
const maxRemembered = 100_000

// NewMemoryDeduplicator returns an in-process Deduplicator that remembers a
// processed message for ttl (DefaultDedupTTL when ttl <= 0) and at most
// 100,000 processed messages, forgetting the oldest first. It is safe for
// concurrent use. It suits a single instance; with several replicas, each
// remembers only what it processed: use a shared store (see Deduplicator).
func NewMemoryDeduplicator(ttl time.Duration) Deduplicator {
	if ttl <= 0 {
		ttl = DefaultDedupTTL
	}
	return &memoryDedup{ttl: ttl, now: time.Now, state: map[string]memEntry{}}
}

type memEntry struct {
	done    bool
	expires time.Time // for done entries
}

type memoryDedup struct {
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	state map[string]memEntry
	order []memDone // completions, oldest first: expiry order, since ttl is fixed
	head  int       // order[:head] are forgotten
}

// memDone is one completion; an id completed again after it was forgotten
// appears twice, and only the entry matching its current expiry removes it.
type memDone struct {
	id      string
	expires time.Time
}

// Claim implements Deduplicator.
func (m *memoryDedup) Claim(_ context.Context, id string) (ClaimState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire()
	if e, ok := m.state[id]; ok {
		if e.done {
			return Completed, nil
		}
		return InProgress, nil
	}
	m.state[id] = memEntry{}
	return Claimed, nil
}

// Complete implements Deduplicator.
func (m *memoryDedup) Complete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.state[id]; ok && e.done {
		return nil
	}
	exp := m.now().Add(m.ttl)
	m.state[id] = memEntry{done: true, expires: exp}
	m.order = append(m.order, memDone{id, exp})
	m.expire()
	return nil
}

// Release implements Deduplicator.
func (m *memoryDedup) Release(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.state[id]; ok && !e.done {
		delete(m.state, id)
	}
	return nil
}

// expire forgets done entries past their ttl, and the oldest beyond the
// bound. Claims in progress are never forgotten: they end with Complete or
// Release, and the Handler always calls one of them.
func (m *memoryDedup) expire() {
	now := m.now()
	for m.head < len(m.order) {
		d := m.order[m.head]
		if now.Before(d.expires) && len(m.order)-m.head <= maxRemembered {
			break
		}
		if e, ok := m.state[d.id]; ok && e.done && e.expires.Equal(d.expires) {
			delete(m.state, d.id)
		}
		m.order[m.head] = memDone{}
		m.head++
	}
	// Compact once the forgotten prefix dominates: amortised O(1) per id.
	if m.head > 64 && m.head*2 > len(m.order) {
		m.order = append(m.order[:0:0], m.order[m.head:]...)
		m.head = 0
	}
}
