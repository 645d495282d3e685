package clerkwebhook

import (
	"context"
	"fmt"
)

// A Queue stores verified events durably, so that a Handler can acknowledge
// a delivery as soon as the event is stored and the callbacks run later,
// outside the request (see WithQueue and Handler.Dispatch). The module
// github.com/seed77920f6a/clerkwebhook/clerkriver implements it on River,
// with PostgreSQL or SQLite.
type Queue interface {
	// Enqueue stores e, or returns an error; the Handler answers 2xx only
	// after it returned nil. It should ignore a second event with the
	// same ID (a retry of the message) while the first is stored, and
	// must be safe for concurrent use.
	Enqueue(ctx context.Context, e Event) error
}

// WithQueue makes the Handler acknowledge fast and process durably: for a
// verified event with a callback (or OnOther), ServeHTTP enqueues the event
// (after claiming its message, with a Deduplicator) and answers 200 once q
// has stored it, and 500 when it could not, so that Svix retries. Callbacks
// do not run in the request: the queue's workers run them with
// Handler.Dispatch. A nil q panics.
func WithQueue(q Queue) HandlerOption {
	if q == nil {
		panic("clerkwebhook: WithQueue(nil)")
	}
	return func(h *Handler) { h.queue = q }
}

// Dispatch runs the callback registered for e.Type (with On or OnNewType),
// or the one registered with OnOther, exactly as ServeHTTP would in the
// request, and returns its error: a *CallbackError wrapping ErrCallback and
// the callback's own error, or nil. It returns nil, running nothing, for a
// type with no callback. A panic in the callback becomes a *CallbackError
// (http.ErrAbortHandler included: there is no request to abort). Dispatch
// does not use the Deduplicator: the queue that calls it runs each stored
// event until it succeeds.
func (h *Handler) Dispatch(ctx context.Context, e Event) error {
	fn := h.callback(e.Type)
	if fn == nil {
		return nil
	}
	return runCallback(ctx, fn, e, false)
}

// enqueue stores ev in the Handler's queue; a failure wraps ErrQueue.
func (h *Handler) enqueue(ctx context.Context, ev Event) error {
	if err := h.queue.Enqueue(ctx, ev); err != nil {
		return fmt.Errorf("%w: enqueueing message %s: %w", ErrQueue, ev.ID, err)
	}
	return nil
}
