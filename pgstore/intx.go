package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/seed77920f6a/clerkwebhook"
)

// InTx returns a callback for Handler.On (or OnOther) that runs fn inside a
// transaction which also records the message as done, so that what fn writes
// through tx and the record of the message commit together, or not at all:
//
//  1. It begins a transaction on the Store's pool and records e.ID as done,
//     locking its row. The record turns the Handler's own claim in progress
//     (when the Store is also the Handler's Deduplicator) into done.
//  2. If the message is already done (committed by an earlier delivery and
//     still within the retention), it rolls back and returns nil without
//     calling fn.
//  3. Otherwise it runs fn with the transaction, then commits.
//
// An error from fn rolls everything back and is returned as it is (so the
// Handler answers 500 and the retry runs fn again); a panic in fn rolls back
// and goes on panicking. A database error (at begin, at the record, at
// commit, or a transaction fn left failed) rolls back and is returned
// wrapped. Deliveries of one message at the same moment wait for each other
// on the row lock: fn's effects commit once, and the later ones see the
// message done. A Claim of the message waits in the same way while a
// transaction holds the row. The transaction has the pool's default
// isolation level; under REPEATABLE READ or SERIALIZABLE, a delivery that
// waited fails with a serialization error instead (500, and the retry sees
// the message done).
//
// The guarantee is exactly-once effect for what fn writes through tx in
// this database, within the retention: a commit whose answer is lost still
// counts, since the record committed with it. It does not cover anything
// else fn does: an HTTP call, an email, a write to another database or
// through another connection can happen again when the transaction rolls
// back or its outcome is lost. fn must not commit or roll back tx itself
// (savepoints through tx.Begin are fine); if it does, InTx returns an error,
// and the retry skips or reruns the message as the database says.
func (s *Store) InTx(fn func(ctx context.Context, tx pgx.Tx, e clerkwebhook.Event) error) clerkwebhook.Callback {
	if fn == nil {
		panic("pgstore: InTx(nil)")
	}
	return func(ctx context.Context, e clerkwebhook.Event) (err error) {
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			return fmt.Errorf("pgstore: transaction for message %q: begin: %w", e.ID, err)
		}
		// A deferred rollback also runs on a panic, which then goes on.
		defer func() { err = rollback(ctx, tx, err) }()

		var recorded bool
		err = tx.QueryRow(ctx, s.sql.markDone, []byte(e.ID), clerkwebhook.ClaimToken(ctx), interval(s.retention)).Scan(&recorded)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return nil // done already: its effects are committed
		case err != nil:
			return fmt.Errorf("pgstore: transaction for message %q: record: %w", e.ID, err)
		}
		if err := fn(ctx, tx, e); err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("pgstore: transaction for message %q: commit: %w", e.ID, err)
		}
		return nil
	}
}
