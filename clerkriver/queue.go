package clerkriver

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/seed77920f6a/clerkwebhook"
)

// A Queue is a clerkwebhook.Queue on a River client: it stores each event
// as a unique job of Args, for the workers NewWorker makes. It is safe for
// concurrent use.
type Queue[TTx any] struct {
	client *river.Client[TTx]
}

var _ clerkwebhook.Queue = (*Queue[any])(nil)

// NewQueue returns a Queue that inserts jobs with client, on PostgreSQL
// (riverpgxv5, TTx pgx.Tx) or SQLite (riversqlite, TTx *sql.Tx). The client
// needs no workers of its own (an insert-only client is enough), but if it
// has some, Args's worker must be among them, or every insert fails with
// River's UnknownJobKindError. Give it a CompletedJobRetentionPeriod of at
// least CompletedJobRetention. A nil client panics.
func NewQueue[TTx any](client *river.Client[TTx]) *Queue[TTx] {
	if client == nil {
		panic("clerkriver: NewQueue(nil)")
	}
	return &Queue[TTx]{client: client}
}

// Enqueue implements clerkwebhook.Queue: it inserts a job for e in a
// transaction of its own and returns once the transaction has committed.
// A job for the same message id that is already stored (waiting, running,
// retrying, or completed within the retention) makes the insert a
// duplicate, which River skips: Enqueue returns nil for it, since the event
// is stored. Every other failure is returned: the database could not be
// reached, the transaction did not commit, e has no ID, or the client's
// workers lack Args's; the Handler answers it 500, so that Svix retries.
func (q *Queue[TTx]) Enqueue(ctx context.Context, e clerkwebhook.Event) error {
	_, err := q.client.Insert(ctx, Args{Event: e}, nil)
	return wrapInsertError(err)
}

// EnqueueTx inserts a job for e inside the app's own transaction tx, so that
// the job exists if and only if tx commits: use it to store an event
// together with the app's own writes. Duplicates are skipped as in Enqueue.
// The errors are Enqueue's, and the job is not stored when tx rolls back,
// even if EnqueueTx returned nil. On PostgreSQL, a concurrent insert of the
// same message waits for tx to end, since the unique index holds it.
func (q *Queue[TTx]) EnqueueTx(ctx context.Context, tx TTx, e clerkwebhook.Event) error {
	_, err := q.client.InsertTx(ctx, tx, Args{Event: e}, nil)
	return wrapInsertError(err)
}

func wrapInsertError(err error) error {
	if err != nil {
		return fmt.Errorf("clerkriver: inserting the job: %w", err)
	}
	return nil
}
