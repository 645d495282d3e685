package clerkwebhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
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
// Complete when it succeeded or Release when it did not (an error, a panic,
// an aborted handler, runtime.Goexit), so that:
//
//   - a retry of a message that succeeded is acknowledged without running
//     the callback again;
//   - a retry of a message that failed runs the callback again;
//   - two deliveries of one message at the same moment run it once.
//
// Implementations must be safe for concurrent use. For several replicas, use
// a shared store: the modules github.com/seed77920f6a/clerkwebhook/pgstore
// (PostgreSQL, with exactly-once effects through Store.InTx) and
// github.com/seed77920f6a/clerkwebhook/redisstore (Redis) implement this
// interface, and clerkwebhooktest.TestDeduplicator checks any other against
// the same contract.
//
// A claim whose process died must not block the message forever: give
// in-progress claims a lease, shorter than Svix's retry intervals after the
// first (5 minutes and more), after which another delivery may take the
// message over. A store whose claims can be renewed implements
// LeaseRenewer, and the Handler keeps a claim alive while its callback
// runs, so that a callback longer than the lease still runs once.
//
// Every claim has an owner: the ClaimToken of the context passed to Claim,
// which the Handler makes with ClaimContext for each delivery attempt and
// passes to every method. Only the owner completes, releases or renews its
// claim; anyone else's call changes nothing and returns ErrLeaseExpired. A
// call whose context carries no ClaimToken is refused: it returns an error
// wrapping ErrNoClaimToken and changes nothing, so that two callers who
// forgot ClaimContext are never taken for one owner (a Claim answered
// Claimed while the message is in progress elsewhere). The stores of this
// module all follow these rules, and clerkwebhooktest.TestDeduplicator
// checks them.
type Deduplicator interface {
	// Claim atomically reserves id, or reports that it is Completed or
	// InProgress elsewhere. An error makes the Handler answer 500; with
	// one, the state must not be Claimed (this module's stores answer
	// InProgress), so that a caller who skips the error claims nothing.
	Claim(ctx context.Context, id string) (ClaimState, error)
	// Complete records that id was processed successfully.
	Complete(ctx context.Context, id string) error
	// Release drops the claim on id after a failure, so a retry can claim
	// it again. It must not forget a completed id.
	Release(ctx context.Context, id string) error
}

type claimTokenKey struct{}

// claimTokens makes ClaimContext's tokens: a random prefix per process,
// so that replicas never collide, and a counter within it.
var claimTokens = struct {
	prefix string
	n      atomic.Uint64
}{prefix: randomHex(8)}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand does not fail on the supported platforms; a process
		// that cannot get randomness must not make up tokens.
		panic(err)
	}
	return hex.EncodeToString(b)
}

// A LeaseRenewer is a Deduplicator whose claims in progress can be renewed.
// While a callback runs, the Handler renews its claim every third of the
// lease; when a renewal finds the claim no longer its own (taken over, or
// gone), it cancels the callback's context and reports the error in
// Delivery.DedupErr. A process that dies stops renewing, and the message is
// free again one lease later. The memory deduplicator, pgstore and
// redisstore implement it.
type LeaseRenewer interface {
	Deduplicator
	// Lease is how long a claim blocks other deliveries unless renewed.
	Lease() time.Duration
	// Renew extends the claim on id held by the ClaimToken in ctx to a
	// whole lease from now. It returns nil when id is done already (the
	// work finished first: there is nothing left to hold), and an error
	// wrapping ErrLeaseExpired, changing nothing, when the caller does not
	// hold the claim.
	Renew(ctx context.Context, id string) error
}

// ClaimContext returns a copy of ctx carrying a new ClaimToken, unique across
// processes. The Handler calls it once per delivery attempt; code that drives
// a Deduplicator itself does the same, and passes the context (or one derived
// from it) to Claim and then to Complete or Release.
func ClaimContext(ctx context.Context) context.Context {
	token := claimTokens.prefix + "-" + strconv.FormatUint(claimTokens.n.Add(1), 10)
	return context.WithValue(ctx, claimTokenKey{}, token)
}

// ClaimToken returns the token ClaimContext put in ctx, or "" when there is
// none. A Deduplicator records it as the owner of a claim.
func ClaimToken(ctx context.Context) string {
	t, _ := ctx.Value(claimTokenKey{}).(string)
	return t
}

// DefaultRetention is how long a Deduplicator of this module remembers a
// completed message (NewMemoryDeduplicator, pgstore, redisstore) when not
// given WithRetention: Svix retries a failed message over about 28 hours,
// and the Dashboard can replay one later still.
const DefaultRetention = 72 * time.Hour

// DefaultLease is how long an in-progress claim blocks other deliveries of
// the message, in every Deduplicator of this module, when not given
// WithLease: longer than the 15 seconds Svix waits for an answer, so a
// callback still inside that window is never run twice at once, and shorter
// than the 5 minutes before Svix's third attempt, so a callback that never
// returns delays the message by one retry, not for good.
const DefaultLease = time.Minute

// maxRemembered bounds the memory of NewMemoryDeduplicator: past it, the
// oldest processed ids are forgotten first.
const maxRemembered = 100_000

// A MemoryOption configures NewMemoryDeduplicator. A nil MemoryOption is
// ignored.
type MemoryOption func(*MemoryDeduplicator)

// WithLease sets how long an in-progress claim blocks other deliveries of
// the message (DefaultLease when not given). After it, a new delivery takes
// the message over, and the late Complete or Release of the old one returns
// ErrLeaseExpired. A lease of zero or less panics (see the package
// documentation on configuration mistakes).
func WithLease(d time.Duration) MemoryOption {
	if d <= 0 {
		panic("clerkwebhook: WithLease(" + d.String() + "): the lease must be positive")
	}
	return func(m *MemoryDeduplicator) { m.lease = d }
}

// WithRetention sets how long a completed message is remembered
// (DefaultRetention when not given): a delivery of it within the retention
// is Completed, and one after it runs the callback again. A retention of
// zero or less panics (see the package documentation on configuration
// mistakes).
func WithRetention(d time.Duration) MemoryOption {
	if d <= 0 {
		panic("clerkwebhook: WithRetention(" + d.String() + "): the retention must be positive")
	}
	return func(m *MemoryDeduplicator) { m.retention = d }
}

// NewMemoryDeduplicator returns an in-process Deduplicator that remembers a
// processed message for DefaultRetention (see WithRetention) and at most
// 100,000 processed messages, forgetting the oldest first, and leases
// in-progress claims for DefaultLease (see WithLease). It is safe for
// concurrent use. It suits a single instance; with several replicas, each
// remembers only what it processed: use a shared store (see Deduplicator).
func NewMemoryDeduplicator(opts ...MemoryOption) *MemoryDeduplicator {
	m := &MemoryDeduplicator{retention: DefaultRetention, lease: DefaultLease, now: time.Now, state: map[string]memEntry{}}
	for _, opt := range opts {
		if opt != nil {
			opt(m)
		}
	}
	return m
}

type memEntry struct {
	done    bool
	owner   string    // ClaimToken of the holder, for an in-progress claim
	expires time.Time // end of the lease, or of the retention once done
}

// MemoryDeduplicator is the in-process Deduplicator made by
// NewMemoryDeduplicator.
type MemoryDeduplicator struct {
	retention time.Duration
	lease     time.Duration
	now       func() time.Time

	mu    sync.Mutex
	state map[string]memEntry
	order []memDone // completions, oldest first: expiry order, since the retention is fixed
	head  int       // order[:head] are forgotten
}

// memDone is the record of one completion. Each completed entry of state has
// exactly one record in order[head:]: Complete appends it when the entry
// becomes done, and expire consumes it together with the entry.
type memDone struct {
	id      string
	expires time.Time
}

// Lease implements LeaseRenewer.
func (m *MemoryDeduplicator) Lease() time.Duration { return m.lease }

// ownerOf returns the ClaimToken in ctx, or an error wrapping
// ErrNoClaimToken when there is none.
func ownerOf(ctx context.Context, op, id string) (string, error) {
	token := ClaimToken(ctx)
	if token == "" {
		return "", fmt.Errorf("%w: %s message %s", ErrNoClaimToken, op, id)
	}
	return token, nil
}

// Claim implements Deduplicator. A claim in progress whose lease has ended
// is taken over.
func (m *MemoryDeduplicator) Claim(ctx context.Context, id string) (ClaimState, error) {
	if err := ctx.Err(); err != nil {
		return InProgress, err // the request is gone: claim nothing
	}
	owner, err := ownerOf(ctx, "claim", id)
	if err != nil {
		return InProgress, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire()
	now := m.now()
	if e, ok := m.state[id]; ok {
		if e.done {
			return Completed, nil
		}
		if now.Before(e.expires) {
			return InProgress, nil
		}
	}
	m.state[id] = memEntry{owner: owner, expires: now.Add(m.lease)}
	return Claimed, nil
}

// Renew implements LeaseRenewer.
func (m *MemoryDeduplicator) Renew(ctx context.Context, id string) error {
	owner, err := ownerOf(ctx, "renew", id)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.state[id]
	if ok && e.done {
		return nil
	}
	if !ok || e.owner != owner {
		return fmt.Errorf("%w: message %s", ErrLeaseExpired, id)
	}
	e.expires = m.now().Add(m.lease)
	m.state[id] = e
	return nil
}

// Complete implements Deduplicator. It returns ErrLeaseExpired, and changes
// nothing, when the caller holds no claim on id: another delivery took it
// over, or nobody claimed it.
func (m *MemoryDeduplicator) Complete(ctx context.Context, id string) error {
	owner, err := ownerOf(ctx, "complete", id)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.state[id]
	if ok && e.done {
		return nil
	}
	if !ok || e.owner != owner {
		return fmt.Errorf("%w: message %s", ErrLeaseExpired, id)
	}
	exp := m.now().Add(m.retention)
	m.state[id] = memEntry{done: true, expires: exp}
	m.order = append(m.order, memDone{id, exp})
	m.expire()
	return nil
}

// Release implements Deduplicator. It never forgets a completed id, and
// returns ErrLeaseExpired, changing nothing, when another delivery has taken
// the claim over.
func (m *MemoryDeduplicator) Release(ctx context.Context, id string) error {
	owner, err := ownerOf(ctx, "release", id)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.state[id]
	if !ok || e.done {
		return nil
	}
	if e.owner != owner {
		return fmt.Errorf("%w: message %s", ErrLeaseExpired, id)
	}
	delete(m.state, id)
	return nil
}

// expire forgets done entries past their retention, and the oldest beyond the
// bound. Claims in progress are not forgotten here: they end with Complete
// or Release, or are taken over by Claim once their lease ends.
func (m *MemoryDeduplicator) expire() {
	now := m.now()
	for m.head < len(m.order) {
		d := m.order[m.head]
		if now.Before(d.expires) && len(m.order)-m.head <= maxRemembered {
			break
		}
		delete(m.state, d.id) // the completed entry this record was made for
		m.order[m.head] = memDone{}
		m.head++
	}
	// Compact once the forgotten records outnumber the live ones: the copy
	// costs fewer moves than records were forgotten since the last one, so
	// each record costs amortised O(1).
	if m.head*2 > len(m.order) {
		m.order = append(m.order[:0:0], m.order[m.head:]...)
		m.head = 0
	}
}
