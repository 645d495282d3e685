package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed77920f6a/clerkwebhook"
)

// defaultPrefix starts every key unless WithPrefix says otherwise.
const defaultPrefix = "clerkwebhook:"

// A key holds "done", or a claim: "processing:" followed by its owner, the
// clerkwebhook.ClaimToken of the claimer's context, so that only the owner
// can complete or release it. The scripts below spell both values too.
const valueProcessing = "processing:"

// Store is a clerkwebhook.Deduplicator on Redis: one key per message id,
// shared by every replica that uses the same server and prefix. Build it
// with New; it is safe for concurrent use.
type Store struct {
	client    redis.UniversalClient
	prefix    string
	lease     time.Duration
	retention time.Duration
	noCheck   bool        // WithoutEvictionCheck
	checked   atomic.Bool // Check found no evicting policy once: Claim stops asking
}

var _ clerkwebhook.LeaseRenewer = (*Store)(nil)

// An Option configures a Store in New. A nil Option is ignored. An Option
// given a value it can never use panics, naming it: the rule of every
// module of this repository for configuration mistakes (see package
// clerkwebhook).
type Option func(*Store)

// WithPrefix sets the text that starts every key ("clerkwebhook:" when not
// given): a message id's key is the prefix followed by the id. Give every
// replica of one endpoint the same prefix, and each endpoint that shares the
// Redis database a prefix of its own. An empty prefix panics: keys would be
// bare message ids, in the namespace of everything else in the database.
func WithPrefix(p string) Option {
	if p == "" {
		panic(`redisstore: WithPrefix(""): the key prefix must not be empty`)
	}
	return func(s *Store) { s.prefix = p }
}

// WithLease sets how long a claim in progress makes other deliveries of the
// message InProgress (clerkwebhook.DefaultLease, one minute, when not
// given). After it, the next delivery takes the claim over, and the late
// Complete or Release of the old owner returns an error wrapping
// clerkwebhook.ErrLeaseExpired. It counts in milliseconds on Redis's clock,
// rounded up. A lease of zero or less panics.
func WithLease(d time.Duration) Option {
	if d <= 0 {
		panic("redisstore: WithLease(" + d.String() + "): the lease must be positive")
	}
	return func(s *Store) { s.lease = ceilMillisecond(d) }
}

// WithRetention sets how long a completed message id is remembered
// (clerkwebhook.DefaultRetention, 72 hours, when not given): a delivery of
// it within that time is Completed, and one after it runs the callback
// again. Keep it longer than the sender retries: Svix retries a failed
// message over about 28 hours. It counts in milliseconds on Redis's clock,
// rounded up. A retention of zero or less panics.
func WithRetention(d time.Duration) Option {
	if d <= 0 {
		panic("redisstore: WithRetention(" + d.String() + "): the retention must be positive")
	}
	return func(s *Store) { s.retention = ceilMillisecond(d) }
}

// WithoutEvictionCheck stops Claim from checking, on its first use, that
// Redis does not evict keys (see Check). Use it only for a Redis whose
// access control refuses INFO, once you know its maxmemory-policy is
// noeviction: with any other policy, a full Redis forgets claims and
// completions, and messages run again.
func WithoutEvictionCheck() Option {
	return func(s *Store) { s.noCheck = true }
}

// ceilMillisecond rounds d up to whole milliseconds, Redis's resolution.
func ceilMillisecond(d time.Duration) time.Duration {
	return (d + time.Millisecond - 1) / time.Millisecond * time.Millisecond
}

// New returns a Store that keeps its keys in client, which may be a
// *redis.Client, a *redis.ClusterClient, a failover (Sentinel) client or a
// *redis.Ring: every operation is one script on one key. New does no I/O;
// the first Claim finds out whether the server answers. A nil client
// panics. The Store does not close client.
func New(client redis.UniversalClient, opts ...Option) *Store {
	if client == nil {
		panic("redisstore: New: nil Redis client")
	}
	s := &Store{
		client:    client,
		prefix:    defaultPrefix,
		lease:     clerkwebhook.DefaultLease,
		retention: clerkwebhook.DefaultRetention,
	}
	for _, opt := range opts {
		if opt != nil {
			opt(s)
		}
	}
	return s
}

// A claim's key lives for the lease plus the retention. While more than the
// retention is left, the lease runs: other deliveries are InProgress. Once
// the lease has ended, the next Claim takes the message over; until one
// does, the owner can still Complete (its work is done, and a retry must not
// repeat it) or Release. A claim whose process died is forgotten when the
// key expires. Every time is Redis's own (PX and PTTL), never this process's.
//
// Each script reads and writes the one key in KEYS[1], so it is atomic, and
// runs on Redis Cluster too. Each is idempotent for the owner, so that
// go-redis may retry it when a reply was lost: a Claim repeated by its owner
// is Claimed again (the key unchanged), a repeated Complete finds the id
// done, and a repeated Release finds nothing to release.

// claimScript: ARGV[1] is the claim's value, ARGV[2] the key's lifetime
// (lease + retention) and ARGV[3] the retention, both in milliseconds.
var claimScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == 'done' then
  return 1
end
if v == ARGV[1] then
  return 0
end
if v then
  if string.sub(v, 1, 11) ~= 'processing:' then
    return -1
  end
  if redis.call('PTTL', KEYS[1]) > tonumber(ARGV[3]) then
    return 2
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 0
`)

// claimScript's replies.
const (
	replyClaimed    = 0
	replyCompleted  = 1
	replyInProgress = 2
	replyForeign    = -1 // the key holds a value this store did not write
)

// completeScript: ARGV[1] is the caller's claim value, ARGV[2] the retention
// in milliseconds.
var completeScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == 'done' then
  return 1
end
if v ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
return 1
`)

// releaseScript: ARGV[1] is the caller's claim value.
var releaseScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == false or v == 'done' then
  return 1
end
if v ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
return 1
`)

// Replies of completeScript and releaseScript.
const (
	replyNotOwner = 0
	replyOK       = 1
)

// Claim implements clerkwebhook.Deduplicator: it claims id for the
// clerkwebhook.ClaimToken in ctx, or reports that id is Completed, or
// InProgress under a lease that has not ended. A claim whose lease has ended
// is taken over.
//
// It returns an error, and InProgress, when ctx is already cancelled
// (nothing is claimed), when Redis fails or cannot be reached (the error
// wraps go-redis's), and when the key holds a value this Store did not
// write: a prefix shared with other data. The Handler answers 500 to any of
// them, so the sender retries.
func (s *Store) Claim(ctx context.Context, id string) (clerkwebhook.ClaimState, error) {
	if err := ctx.Err(); err != nil {
		return clerkwebhook.InProgress, fmt.Errorf("redisstore: claim message %s: %w", id, err)
	}
	value, err := claimValue(ctx, "claim", id)
	if err != nil {
		return clerkwebhook.InProgress, err
	}
	if !s.noCheck && !s.checked.Load() {
		if err := s.Check(ctx); err != nil {
			return clerkwebhook.InProgress, fmt.Errorf("redisstore: claim message %s: %w", id, err)
		}
	}
	reply, err := claimScript.Run(ctx, s.client, []string{s.key(id)},
		value,
		s.lease.Milliseconds()+s.retention.Milliseconds(),
		s.retention.Milliseconds(),
	).Int64()
	if err != nil {
		return clerkwebhook.InProgress, fmt.Errorf("redisstore: claim message %s: %w", id, err)
	}
	switch reply {
	case replyClaimed:
		return clerkwebhook.Claimed, nil
	case replyCompleted:
		return clerkwebhook.Completed, nil
	case replyInProgress:
		return clerkwebhook.InProgress, nil
	case replyForeign:
		return clerkwebhook.InProgress, fmt.Errorf("redisstore: claim message %s: key %q holds a value this store did not write", id, s.key(id))
	}
	return clerkwebhook.InProgress, fmt.Errorf("redisstore: claim message %s: unexpected reply %d", id, reply)
}

// Complete implements clerkwebhook.Deduplicator: it records id as done for
// the retention, if the clerkwebhook.ClaimToken in ctx owns its claim, even
// after the lease as long as no other delivery took it over. Completing an
// id that is already done returns nil and changes nothing.
//
// It returns an error wrapping clerkwebhook.ErrLeaseExpired, and changes
// nothing, when ctx's token does not own the claim: another delivery took it
// over, nobody claimed id, or the claim was forgotten (its key expired, or
// Redis lost it). It returns an error wrapping go-redis's when Redis fails;
// the id may then have been completed or not.
func (s *Store) Complete(ctx context.Context, id string) error {
	value, err := claimValue(ctx, "complete", id)
	if err != nil {
		return err
	}
	reply, err := completeScript.Run(ctx, s.client, []string{s.key(id)},
		value,
		s.retention.Milliseconds(),
	).Int64()
	return ownerOnly("complete", id, reply, err)
}

// Release implements clerkwebhook.Deduplicator: it deletes the claim on id
// that the clerkwebhook.ClaimToken in ctx owns, so that a retry can claim id
// again. Releasing an id that is done, or not claimed at all, returns nil
// and changes nothing: Release never forgets a completed id.
//
// It returns an error wrapping clerkwebhook.ErrLeaseExpired, and changes
// nothing, when another delivery owns the claim. It returns an error
// wrapping go-redis's when Redis fails; the claim then stays until its lease
// ends, and a retry is InProgress until then.
func (s *Store) Release(ctx context.Context, id string) error {
	value, err := claimValue(ctx, "release", id)
	if err != nil {
		return err
	}
	reply, err := releaseScript.Run(ctx, s.client, []string{s.key(id)}, value).Int64()
	return ownerOnly("release", id, reply, err)
}

// renewScript: ARGV[1] is the caller's claim value, ARGV[2] the lease plus
// the retention, in milliseconds: the time to live of a fresh claim.
var renewScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == 'done' then
  return 1
end
if v ~= ARGV[1] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`)

// Lease implements clerkwebhook.LeaseRenewer: the lease of WithLease.
func (s *Store) Lease() time.Duration { return s.lease }

// Renew implements clerkwebhook.LeaseRenewer: it gives the claim on id that
// the clerkwebhook.ClaimToken in ctx owns a whole lease from now, on Redis's
// clock. A done id returns nil and changes nothing. When ctx's token does
// not own the claim (taken over, released, forgotten, never claimed), Renew
// changes nothing and returns an error wrapping clerkwebhook.ErrLeaseExpired.
func (s *Store) Renew(ctx context.Context, id string) error {
	value, err := claimValue(ctx, "renew", id)
	if err != nil {
		return err
	}
	reply, err := renewScript.Run(ctx, s.client, []string{s.key(id)},
		value,
		s.lease.Milliseconds()+s.retention.Milliseconds(),
	).Int64()
	return ownerOnly("renew", id, reply, err)
}

// key is id's key: the prefix, then the id as it is.
func (s *Store) key(id string) string { return s.prefix + id }

// claimValue is the value of a claim owned by the token in ctx, or an error
// wrapping clerkwebhook.ErrNoClaimToken when ctx carries none: a token-less
// call is refused, so that two callers without one are never one owner.
func claimValue(ctx context.Context, op, id string) (string, error) {
	token := clerkwebhook.ClaimToken(ctx)
	if token == "" {
		return "", fmt.Errorf("redisstore: %s message %s: %w", op, id, clerkwebhook.ErrNoClaimToken)
	}
	return valueProcessing + token, nil
}

// ownerOnly turns the reply of completeScript or releaseScript into
// Complete's or Release's error.
func ownerOnly(op, id string, reply int64, err error) error {
	switch {
	case err != nil:
		return fmt.Errorf("redisstore: %s message %s: %w", op, id, err)
	case reply == replyNotOwner:
		return fmt.Errorf("%w: message %s", clerkwebhook.ErrLeaseExpired, id)
	case reply != replyOK:
		return fmt.Errorf("redisstore: %s message %s: unexpected reply %d", op, id, reply)
	}
	return nil
}

// ErrEvictingPolicy is returned by Check, and by Claim until Check passes,
// when Redis may evict this Store's keys: a maxmemory-policy other than
// noeviction.
var ErrEvictingPolicy = errors.New("redisstore: Redis evicts keys (maxmemory-policy is not noeviction)")

// Check asks Redis (INFO memory, on every primary of a cluster) for its
// maxmemory-policy, and returns an error wrapping ErrEvictingPolicy for any
// policy but noeviction: under every other one, including the volatile-*
// policies (this Store's keys all have a time to live), a full Redis deletes
// keys, and the messages they recorded run again. Call it at start-up, to
// fail there. Claim calls it too, until it passes once: a Store on an
// evicting Redis claims nothing, so the Handler answers 500 and Svix retries
// until the policy is fixed. An error from Redis itself is returned wrapped.
func (s *Store) Check(ctx context.Context) error {
	check := func(ctx context.Context, c redis.UniversalClient) error {
		info, err := c.Info(ctx, "memory").Result()
		if err != nil {
			return fmt.Errorf("redisstore: checking maxmemory-policy: %w", err)
		}
		policy, ok := infoField(info, "maxmemory_policy")
		if !ok {
			return fmt.Errorf("redisstore: checking maxmemory-policy: INFO memory has no maxmemory_policy")
		}
		if policy != "noeviction" {
			return fmt.Errorf("%w: it is %.40q; set it to noeviction, or give these keys a Redis of their own", ErrEvictingPolicy, policy)
		}
		return nil
	}
	var err error
	if cluster, ok := s.client.(*redis.ClusterClient); ok {
		err = cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return check(ctx, c) })
	} else {
		err = check(ctx, s.client)
	}
	if err == nil {
		s.checked.Store(true)
	}
	return err
}

// infoField returns the value of name in the text of an INFO reply.
func infoField(info, name string) (string, bool) {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), name+":"); ok {
			return v, true
		}
	}
	return "", false
}
