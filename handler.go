package clerkwebhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"sync"
	"time"
)

// A Callback handles one verified event. Returning an error (or panicking)
// tells the sender the event was not processed, so Svix delivers it again.
type Callback func(ctx context.Context, e Event) error

// A Handler is an http.Handler that receives Clerk webhooks: it verifies each
// delivery with its Verifier, skips messages already processed, runs the
// callback registered for the event type, and answers with the status Svix
// acts on:
//
//	200  processed, or a type with no callback, or a duplicate already processed
//	204  a Standard Webhooks endpoint-verification challenge (a request with
//	     a webhook-challenge header), answered with webhook-challenge-response
//	     (see Verifier.ChallengeResponse); nothing else is done
//	400  not a genuine, current Clerk delivery (headers, signature, timestamp, body)
//	403  the client address is not allowed (WithAllowedSources), or a
//	     trusted proxy forwarded an unusable one (WithTrustedProxies)
//	405  not a POST (with Allow: POST)
//	409  the same message is being processed by another request right now
//	413  body larger than the Verifier's limit (WithMaxBodyBytes)
//	422  the callback returned a Permanent error; with the header
//	     "webhook-delivery: abort-message", so Svix does not retry it
//	500  the callback failed or panicked, the Deduplicator or the Queue
//	     failed, or the body could not be read
//
// Svix retries every non-2xx answer, so a failing callback is retried and an
// event type the app does not handle is not. The response body is a short
// fixed text. What happened, and every error of the attempt, goes to the
// Handler's observers as a Delivery: the log (log/slog, see WithLogger) and
// any added with WithObserver.
//
// The Handler reads the request's body and does not put it back (use
// Verifier.VerifyRequest in a handler of your own for that).
//
// With WithQueue, a verified event is stored in the queue and acknowledged,
// and the queue's workers run the callbacks through Dispatch.
//
// Register callbacks with On, OnNewType and OnOther before serving.
// Registration mistakes panic, as they do with http.ServeMux, so that they
// surface at start-up and not as events acknowledged and lost. Callbacks
// receive the request's context: Svix waits about 15 seconds for an answer,
// so acknowledge fast and queue slow work (Event round-trips through
// encoding/json).
type Handler struct {
	verifier  *Verifier
	dedup     Deduplicator
	queue     Queue
	logger    *slog.Logger // nil: slog.Default() at each record
	noLog     bool
	observers []func(*http.Request, Delivery)
	allowed   []netip.Prefix // nil: every source
	trusted   []netip.Prefix

	mu        sync.RWMutex
	callbacks map[EventType]Callback
	other     Callback
}

// A HandlerOption configures a Handler in NewHandler. A nil HandlerOption is
// ignored; an option given a nil value panics, as NewHandler does.
type HandlerOption func(*Handler)

// WithDeduplicator makes the Handler skip messages whose callback already
// succeeded, keyed by Event.ID (the svix-id). Without this option, every
// delivery runs its callback, retries included. A nil d panics.
func WithDeduplicator(d Deduplicator) HandlerOption {
	if d == nil {
		panic("clerkwebhook: WithDeduplicator(nil)")
	}
	return func(h *Handler) { h.dedup = d }
}

// NewHandler returns a Handler that verifies deliveries with v and reads at
// most v's body limit. A nil v, or one with no secret, panics: a handler
// that cannot verify anything is a configuration mistake to find at start-up,
// not a stream of 500s.
func NewHandler(v *Verifier, opts ...HandlerOption) *Handler {
	if v == nil || len(v.keys) == 0 {
		panic("clerkwebhook: NewHandler: no Verifier (build one with NewVerifier)")
	}
	h := &Handler{
		verifier:  v,
		callbacks: map[EventType]Callback{},
	}
	for _, opt := range opts {
		if opt != nil {
			opt(h)
		}
	}
	return h
}

// On registers fn as the callback for events of type t, replacing any
// earlier one. t must be one of the types this package knows (EventTypes);
// any other panics, naming the nearest known type, because a misspelled type
// would acknowledge the real events with 200 and drop them. Register a type
// newer than this package with OnNewType. A nil fn panics.
func (h *Handler) On(t EventType, fn Callback) {
	if !t.Known() {
		msg := fmt.Sprintf("clerkwebhook: On(%q): not an event type this package knows", string(t))
		if near := nearestKnown(t); near != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", string(near))
		}
		panic(msg + "; for a type newer than this package, use OnNewType")
	}
	h.register("On", t, fn)
}

// OnNewType registers fn for an event type this package does not know yet:
// one Clerk added after this version was released. It is the deliberate
// spelling of what On refuses, so that a typo cannot pass for a new type by
// accident. A type the package knows panics (use On), as do an empty type
// and a nil fn.
func (h *Handler) OnNewType(t EventType, fn Callback) {
	if t == "" || t.Known() {
		panic(fmt.Sprintf("clerkwebhook: OnNewType(%q): use On for the event types this package knows", string(t)))
	}
	h.register("OnNewType", t, fn)
}

func (h *Handler) register(method string, t EventType, fn Callback) {
	if fn == nil {
		panic(fmt.Sprintf("clerkwebhook: %s(%q, nil)", method, string(t)))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.callbacks[t] = fn
}

// OnOther registers fn as the callback for verified events of every type
// with no callback of its own, types this package does not know included,
// replacing any earlier one. Without it, such events are acknowledged with
// 200 and not processed. A nil fn panics.
func (h *Handler) OnOther(fn Callback) {
	if fn == nil {
		panic("clerkwebhook: OnOther(nil)")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.other = fn
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := Delivery{Received: time.Now()}
	answered := false
	defer func() {
		// Every outcome is observed once, that of a callback that aborted
		// the request (a panic with http.ErrAbortHandler, runtime.Goexit)
		// included: no answer, Status 0.
		if !answered {
			d.Err = fmt.Errorf("%w: the callback ended the request without an answer", ErrCallback)
		}
		d.Duration = time.Since(d.Received)
		h.observe(r, d)
	}()
	d.Status, d.Err = h.serve(w, r, &d)
	if d.Err != nil && isPermanent(d.Err) {
		// Svix stops retrying this message (see Permanent).
		w.Header().Set("Webhook-Delivery", "abort-message")
	}
	h.reply(w, d.Status)
	answered = true
}

// serve is ServeHTTP up to the answer, as a short sequence of steps: the
// source, the method and signature, the callback's registration, then the
// work. It fills in what d learns on the way and returns the status and the
// error behind it.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, d *Delivery) (int, error) {
	source, err := h.clientAddr(r)
	d.Source = source
	if err == nil && h.allowed != nil && !contains(h.allowed, source) {
		err = fmt.Errorf("%w: %v", ErrForbiddenSource, source)
	}
	if err != nil {
		return http.StatusForbidden, err // before a byte of the body is read
	}
	if c := r.Header.Get(HeaderWebhookChallenge); c != "" {
		// An endpoint-verification challenge, not a delivery: answered as
		// the reference libraries do, whatever the method, and the body is
		// not read.
		w.Header().Set(HeaderWebhookChallengeResponse, h.verifier.ChallengeResponse(c))
		return http.StatusNoContent, nil
	}
	ev, err := h.verify(w, r)
	if err != nil {
		var ve *VerificationError
		if errors.As(err, &ve) {
			d.MessageID = ve.MessageID
		} else if sh, verr := readHeaders(r.Header); verr == nil {
			d.MessageID = sh.id // the body was cut short: the headers were fine
		}
		return statusOf(err), err
	}
	d.MessageID, d.Type = ev.ID, ev.Type
	fn := h.callback(ev.Type)
	if fn == nil {
		return http.StatusOK, nil
	}
	if d.Duplicate, err = h.process(r, fn, ev, &d.DedupErr); err != nil {
		return statusOf(err), err
	}
	return http.StatusOK, nil
}

// verify accepts only a POST whose body verifies.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) (Event, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return Event{}, fmt.Errorf("%w: %s", ErrMethodNotAllowed, r.Method)
	}
	return h.verifier.verifyConsuming(w, r)
}

func (h *Handler) callback(t EventType) Callback {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if fn, ok := h.callbacks[t]; ok {
		return fn
	}
	return h.other
}

// process runs fn (or, with a Queue, enqueues the event) once per message:
// it claims the message in the Deduplicator (a duplicate of a completed
// message returns nil without running fn), does the work, and completes the
// claim on success. Every other exit releases the claim, so that the retry
// does the work again: an error, a panic (http.ErrAbortHandler is re-raised
// for net/http), and runtime.Goexit, which t.FailNow calls. With a
// LeaseRenewer, the claim is renewed while the work runs (see renewal). A
// failed renewal, Complete or Release does not change the answer; it is
// stored in *dedupErr, which the deferred observation reads on every one of
// those exits.
func (h *Handler) process(r *http.Request, fn Callback, ev Event, dedupErr *error) (duplicate bool, err error) {
	ctx := r.Context()
	work := func(ctx context.Context) error { return runCallback(ctx, fn, ev, true) }
	if h.queue != nil {
		work = func(ctx context.Context) error { return h.enqueue(ctx, ev) }
	}
	if h.dedup == nil {
		return false, work(ctx)
	}
	ctx = ClaimContext(ctx)
	state, err := h.dedup.Claim(ctx, ev.ID)
	if err != nil {
		return false, fmt.Errorf("%w: claim for message %s: %w", ErrDeduplicator, ev.ID, err)
	}
	if state == Completed {
		return true, nil
	}
	if state == InProgress {
		return false, fmt.Errorf("%w: message %s", ErrInProgress, ev.ID)
	}
	if state != Claimed {
		return false, fmt.Errorf("%w: claim for message %s: unknown state %v", ErrDeduplicator, ev.ID, state)
	}
	done := context.WithoutCancel(ctx) // the bookkeeping outlives a client that went away
	var renewing *renewal
	if lr, ok := h.dedup.(LeaseRenewer); ok {
		ctx, renewing = startRenewal(ctx, done, lr, ev.ID)
	}
	succeeded := false
	defer func() {
		// Renewal stops first: a renewal after the Complete or Release
		// would find the claim gone.
		var renewErr, bookkeepingErr error
		if renewing != nil {
			renewErr = renewing.stop()
		}
		if succeeded {
			// The work is done; answering 500 would run it twice. Report it.
			if err := h.dedup.Complete(done, ev.ID); err != nil {
				bookkeepingErr = fmt.Errorf("%w: complete for message %s: %w", ErrDeduplicator, ev.ID, err)
			}
		} else if err := h.dedup.Release(done, ev.ID); err != nil {
			bookkeepingErr = fmt.Errorf("%w: release for message %s: %w", ErrDeduplicator, ev.ID, err)
		}
		*dedupErr = joinErrors(renewErr, bookkeepingErr)
	}()
	if err := work(ctx); err != nil {
		return false, err
	}
	succeeded = true
	return false, nil
}

// joinErrors is errors.Join, but a lone error is returned as it is.
func joinErrors(a, b error) error {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	return errors.Join(a, b)
}

// A renewal keeps a claim alive while its callback runs: every third of the
// lease it renews the claim, until stop. When a renewal finds the claim no
// longer the caller's (ErrLeaseExpired: taken over, or gone), it cancels
// the callback's context with that error as the cause, and renews no more.
// Any other failure (the store unreachable) is kept and renewal goes on:
// nobody can take the claim over through a store that does not answer, and
// a transaction of the callback's own that holds the claim's row (pgstore's
// InTx) must not be cancelled for it.
type renewal struct {
	stopRenewing context.CancelFunc // ends a renewal in flight, and the loop
	cancelWork   context.CancelCauseFunc
	ended        chan struct{} // closed when the loop has returned
	err          error         // the first failure; read after ended
}

// startRenewal starts renewing the claim on id, with bg (which carries the
// claim's token and outlives the request) for the store's calls, and
// returns the context for the work, which a lost claim cancels.
func startRenewal(ctx, bg context.Context, lr LeaseRenewer, id string) (context.Context, *renewal) {
	work, cancelWork := context.WithCancelCause(ctx)
	calls, stopRenewing := context.WithCancel(bg)
	rn := &renewal{stopRenewing: stopRenewing, cancelWork: cancelWork, ended: make(chan struct{})}
	period := lr.Lease() / 3
	if period <= 0 {
		rn.err = fmt.Errorf("%w: renew for message %s: the store's lease is %v", ErrDeduplicator, id, lr.Lease())
		close(rn.ended)
		return work, rn
	}
	go func() {
		defer close(rn.ended)
		defer func() {
			if p := recover(); p != nil {
				rn.err = fmt.Errorf("%w: renew for message %s: panic: %v", ErrDeduplicator, id, p)
			}
		}()
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-calls.Done():
				return
			case <-tick.C:
			}
			err := lr.Renew(calls, id)
			if err == nil || calls.Err() != nil {
				continue // renewed, or stopped meanwhile
			}
			err = fmt.Errorf("%w: renew for message %s: %w", ErrDeduplicator, id, err)
			if rn.err == nil {
				rn.err = err
			}
			if errors.Is(err, ErrLeaseExpired) {
				cancelWork(err) // the work no longer holds its message
				return
			}
		}
	}()
	return work, rn
}

// stop ends the renewal, waits for its loop, and returns its first failure.
func (rn *renewal) stop() error {
	rn.stopRenewing()
	<-rn.ended
	rn.cancelWork(nil)
	return rn.err
}

// CallbackError is the error a Handler reports when a callback fails or
// panics; it names the event. It wraps both ErrCallback and the callback's
// own error, so errors.Is finds either.
type CallbackError struct {
	Type      EventType
	MessageID string
	// Panic holds the recovered value when the callback panicked.
	Panic any
	// Err is the callback's error, or a description of the panic.
	Err error
}

// Error implements the error interface.
func (e *CallbackError) Error() string {
	return fmt.Sprintf("clerkwebhook: %s callback for message %s: %v", e.Type, e.MessageID, e.Err)
}

// Unwrap returns ErrCallback and the callback's error.
func (e *CallbackError) Unwrap() []error { return []error{ErrCallback, e.Err} }

// runCallback runs fn, turning a panic into an error so that one bad event
// cannot take the server down. In a request (inRequest), the panic
// http.ErrAbortHandler is raised again for net/http to abort the response.
func runCallback(ctx context.Context, fn Callback, ev Event, inRequest bool) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler && inRequest {
				panic(p)
			}
			err = &CallbackError{Type: ev.Type, MessageID: ev.ID, Panic: p,
				Err: fmt.Errorf("panic: %v\n%s", p, debug.Stack())}
		}
	}()
	if err := fn(ctx, ev); err != nil {
		return &CallbackError{Type: ev.Type, MessageID: ev.ID, Err: err}
	}
	return nil
}

// Fixed response texts: the caller learns the status, never the reason.
var statusText = map[int]string{
	http.StatusOK:                    "ok\n",
	http.StatusNoContent:             "",
	http.StatusBadRequest:            "invalid webhook\n",
	http.StatusForbidden:             "forbidden\n",
	http.StatusMethodNotAllowed:      "method not allowed\n",
	http.StatusConflict:              "already in progress\n",
	http.StatusRequestEntityTooLarge: "payload too large\n",
	http.StatusUnprocessableEntity:   "cannot be processed\n",
	http.StatusInternalServerError:   "internal error\n",
}

// statusOf maps an error to the status the sender acts on. A callback's
// error is checked first: it may wrap any of the package's sentinels (an
// accessor's ErrInvalidPayload, say), and is still the app's failure.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrPermanent):
		return http.StatusUnprocessableEntity
	case errors.Is(err, ErrCallback):
		return http.StatusInternalServerError
	case errors.Is(err, ErrMethodNotAllowed):
		return http.StatusMethodNotAllowed
	case errors.Is(err, ErrForbiddenSource):
		return http.StatusForbidden
	case errors.Is(err, ErrBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrInProgress):
		return http.StatusConflict
	}
	var ve *VerificationError
	if errors.As(err, &ve) {
		return http.StatusBadRequest
	}
	// ErrBodyIncomplete (the client went away: let Svix retry),
	// ErrDeduplicator, ErrQueue, ErrMissingSecret.
	return http.StatusInternalServerError
}

func (h *Handler) reply(w http.ResponseWriter, status int) {
	hdr := w.Header()
	// Shared read-only values, full to capacity so that an append copies:
	// two allocations fewer per request than Header.Set.
	hdr["Content-Type"] = textPlain[:1:1]
	hdr["X-Content-Type-Options"] = nosniff[:1:1]
	w.WriteHeader(status)
	_, _ = w.Write(statusBody[status])
}

var (
	textPlain  = []string{"text/plain; charset=utf-8"}
	nosniff    = []string{"nosniff"}
	statusBody = func() map[int][]byte {
		m := make(map[int][]byte, len(statusText))
		for status, text := range statusText {
			m[status] = []byte(text)
		}
		return m
	}()
)
