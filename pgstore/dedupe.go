package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/seed77920f6a/clerkwebhook"
)

var _ clerkwebhook.LeaseRenewer = (*Store)(nil)

// owner returns the clerkwebhook.ClaimToken in ctx, or an error wrapping
// clerkwebhook.ErrNoClaimToken when there is none: a token-less call is
// refused, so that two callers without one are never one owner.
func owner(ctx context.Context, op, id string) (string, error) {
	token := clerkwebhook.ClaimToken(ctx)
	if token == "" {
		return "", fmt.Errorf("pgstore: %s message %q: %w", op, id, clerkwebhook.ErrNoClaimToken)
	}
	return token, nil
}

// Lease implements clerkwebhook.LeaseRenewer: the lease of New's WithLease.
func (s *Store) Lease() time.Duration { return s.lease }

// Renew implements clerkwebhook.LeaseRenewer: the owner of the claim on id
// extends it to now() + the lease. A done id returns nil. When the caller
// does not hold the claim (taken over, released, never claimed), Renew
// changes nothing and returns an error wrapping clerkwebhook.ErrLeaseExpired.
// It never waits for a row lock: while a transaction holds the claim's row
// (InTx's, recording the message done), no other delivery can take the
// claim over either, and Renew reports the claim as still the owner's.
func (s *Store) Renew(ctx context.Context, id string) error {
	token, err := owner(ctx, "renew", id)
	if err != nil {
		return err
	}
	key := []byte(id)
	tag, err := s.pool.Exec(ctx, s.sql.renew, key, token, interval(s.lease))
	if err != nil {
		return fmt.Errorf("pgstore: renew message %q: %w", id, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	// Not renewed: not the caller's, done, gone, or locked by a transaction.
	var state, holder string
	err = s.pool.QueryRow(ctx, s.sql.holder, key).Scan(&state, &holder)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w: message %q", clerkwebhook.ErrLeaseExpired, id)
	case err != nil:
		return fmt.Errorf("pgstore: renew message %q: %w", id, err)
	case state == stateDone, holder == token:
		return nil // done; or the caller's, under a lock that keeps others out
	}
	return fmt.Errorf("%w: message %q", clerkwebhook.ErrLeaseExpired, id)
}

// Claim implements clerkwebhook.Deduplicator. It claims id for the
// clerkwebhook.ClaimToken in ctx, in one atomic statement: a new id, a claim
// whose lease has ended, or a completed id past its retention is Claimed
// (leased until now() + the lease); otherwise the answer is Completed or
// InProgress. Code that drives a Store itself must pass a context from
// clerkwebhook.ClaimContext, and the same one to Complete or Release.
//
// A cancelled ctx claims nothing and returns an error. Any database error
// is returned wrapped: the Handler answers 500 and Svix retries. (If the
// claim statement ran but its answer was lost with the connection, the
// claim it made blocks the message until its lease ends.)
func (s *Store) Claim(ctx context.Context, id string) (clerkwebhook.ClaimState, error) {
	if err := ctx.Err(); err != nil {
		return clerkwebhook.InProgress, fmt.Errorf("pgstore: claim message %q: %w", id, err)
	}
	owner, err := owner(ctx, "claim", id)
	if err != nil {
		return clerkwebhook.InProgress, err
	}
	key, lease := []byte(id), interval(s.lease)
	for {
		var claimed bool
		err := s.pool.QueryRow(ctx, s.sql.claim, key, owner, lease).Scan(&claimed)
		if err == nil {
			return clerkwebhook.Claimed, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return clerkwebhook.InProgress, fmt.Errorf("pgstore: claim message %q: %w", id, err)
		}
		// Someone else holds it, or it is done: say which. The row can
		// vanish in between (released, or pruned): then claim again.
		state, found, err := s.state(ctx, key)
		if err != nil {
			return clerkwebhook.InProgress, fmt.Errorf("pgstore: claim message %q: %w", id, err)
		}
		if !found {
			continue
		}
		switch state {
		case stateDone:
			return clerkwebhook.Completed, nil
		case stateProcessing:
			return clerkwebhook.InProgress, nil
		}
		return clerkwebhook.InProgress, fmt.Errorf("pgstore: claim message %q: unknown state %q in %s", id, state, s.table)
	}
}

const (
	stateProcessing = "processing"
	stateDone       = "done"
)

// state reads the row of key; found is false when there is none.
func (s *Store) state(ctx context.Context, key []byte) (state string, found bool, err error) {
	err = s.pool.QueryRow(ctx, s.sql.state, key).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return state, err == nil, err
}

// Complete implements clerkwebhook.Deduplicator: the owner of the claim on
// id (the ClaimToken in ctx) records it as done, remembered until now() +
// the retention. An id already done returns nil (InTx may have done it).
// When the caller holds no claim on id (another delivery took it over
// after the lease, nobody claimed it, or ctx carries another token or
// none), Complete changes nothing and returns an error wrapping
// clerkwebhook.ErrLeaseExpired. A database error is returned wrapped.
func (s *Store) Complete(ctx context.Context, id string) error {
	token, err := owner(ctx, "complete", id)
	if err != nil {
		return err
	}
	key := []byte(id)
	tag, err := s.pool.Exec(ctx, s.sql.complete, key, token, interval(s.retention))
	if err != nil {
		return fmt.Errorf("pgstore: complete message %q: %w", id, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	state, _, err := s.state(ctx, key)
	switch {
	case err != nil:
		return fmt.Errorf("pgstore: complete message %q: %w", id, err)
	case state == stateDone:
		return nil
	}
	return fmt.Errorf("%w: message %q", clerkwebhook.ErrLeaseExpired, id)
}

// Release implements clerkwebhook.Deduplicator: the owner of the claim on id
// drops it, so that a retry can claim the message again. It never forgets a
// done id (it returns nil), and an id with no row at all has nothing to
// release (nil, as the memory deduplicator does). When another delivery
// holds the claim (it took it over after the lease) or ctx carries another
// token, Release changes nothing and returns an error wrapping
// clerkwebhook.ErrLeaseExpired. A database error is returned wrapped.
func (s *Store) Release(ctx context.Context, id string) error {
	token, err := owner(ctx, "release", id)
	if err != nil {
		return err
	}
	key := []byte(id)
	tag, err := s.pool.Exec(ctx, s.sql.release, key, token)
	if err != nil {
		return fmt.Errorf("pgstore: release message %q: %w", id, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	state, found, err := s.state(ctx, key)
	switch {
	case err != nil:
		return fmt.Errorf("pgstore: release message %q: %w", id, err)
	case !found || state == stateDone:
		return nil
	}
	return fmt.Errorf("%w: message %q", clerkwebhook.ErrLeaseExpired, id)
}

// Prune deletes the rows the Store no longer needs and returns how many it
// deleted: completed ids whose retention has ended, and claims abandoned
// (their process died and no delivery took them over) for longer than a
// retention after their lease ended. Neither changes any answer: Claim
// already treats both as new. Prune keeps the table from growing for good.
//
// Run it periodically from one place or from every replica (it is safe
// concurrently), for example hourly from a time.Ticker: each run deletes
// what expired since the last, with the index on expires_at, in one
// statement. A database error is returned wrapped, and deletes nothing.
func (s *Store) Prune(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, s.sql.prune, interval(s.retention))
	if err != nil {
		return 0, fmt.Errorf("pgstore: prune %s: %w", s.table, err)
	}
	return tag.RowsAffected(), nil
}
