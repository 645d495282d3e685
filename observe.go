package clerkwebhook

import (
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"time"
)

// A Delivery is what happened to one request to a Handler, reported to its
// observers once the answer is written, whatever the outcome: to the log
// (see WithLogger) and to each added with WithObserver. It carries every
// error of the attempt, and never the secret.
type Delivery struct {
	// Received is when ServeHTTP started.
	Received time.Time
	// Duration is the time from the start of ServeHTTP to the answer.
	Duration time.Duration
	// Status is the HTTP status answered, or 0 when the callback ended the
	// request without an answer (a panic with http.ErrAbortHandler, or
	// runtime.Goexit). 204 answered an endpoint-verification challenge.
	Status int
	// MessageID is the svix-id, or "" when the headers were unusable (or
	// not read: a forbidden source, a method other than POST).
	MessageID string
	// Type is the event type, or "" when the body was not verified.
	Type EventType
	// Duplicate reports that the message was acknowledged as already
	// processed, without running its callback (with a Deduplicator).
	Duplicate bool
	// Source is the client address, after trusted-proxy resolution
	// (WithTrustedProxies); the zero Addr when it could not be found.
	Source netip.Addr
	// Err is nil when the request was answered 2xx, and otherwise the error
	// behind the status, which wraps one of the package's sentinels.
	Err error
	// DedupErr is a Deduplicator failure that did not change the answer,
	// wrapping ErrDeduplicator: a Complete that failed after the callback
	// succeeded (answered 2xx: running it again would repeat the work, but
	// a later delivery of the message may), or a Release that failed after
	// the callback failed (the retry waits for the claim's lease). It is
	// nil otherwise. Status stays what Svix was told.
	DedupErr error
}

// Failed reports whether anything went wrong in the attempt: a non-2xx
// answer, or a Deduplicator failure behind a 2xx one.
func (d Delivery) Failed() bool { return d.Err != nil || d.DedupErr != nil }

// WithObserver adds fn to the Handler's observers: fn is called once for
// every request the Handler serves, after the answer is written, with what
// happened (successes, duplicates and every failure). Observers add up:
// each WithObserver adds one, and they run in the order given, after the
// log, which an observer never replaces (turn it off with WithoutLog). fn
// runs on the request's goroutine, so it should be quick, and must be safe
// for concurrent use. The module
// github.com/seed77920f6a/clerkwebhook/clerkotel turns the deliveries into
// OpenTelemetry metrics and traces. A nil fn panics.
func WithObserver(fn func(r *http.Request, d Delivery)) HandlerOption {
	if fn == nil {
		panic("clerkwebhook: WithObserver(nil)")
	}
	return func(h *Handler) { h.observers = append(h.observers, fn) }
}

// WithLogger makes the Handler log to l instead of slog.Default(). The
// Handler logs every failed delivery (Delivery.Failed), one record each: a
// warning for a request it rejected (a forgery, a stale retry, a wrong
// secret, a forbidden source: not the app's to fix, though a burst of them
// may be), and an error for a failure of the app's own (a callback, the
// Deduplicator, the Queue). A record carries the path, the status, the
// message id and event type when known, the client address and the error;
// slog's handlers quote what the client sent. Successes are not logged. A
// nil l panics.
func WithLogger(l *slog.Logger) HandlerOption {
	if l == nil {
		panic("clerkwebhook: WithLogger(nil) (to turn the log off, use WithoutLog)")
	}
	return func(h *Handler) { h.logger = l }
}

// WithoutLog turns the Handler's log off (see WithLogger). Observers still
// see every delivery: use it when one of them records failures already.
// It wins over WithLogger, whatever their order.
func WithoutLog() HandlerOption {
	return func(h *Handler) { h.noLog = true }
}

// observe hands d to the log, then to every observer.
func (h *Handler) observe(r *http.Request, d Delivery) {
	if !h.noLog && d.Failed() {
		h.log(r, d)
	}
	for _, fn := range h.observers {
		fn(r, d)
	}
}

// log records a failed delivery: see WithLogger.
func (h *Handler) log(r *http.Request, d Delivery) {
	l := h.logger
	if l == nil {
		l = slog.Default()
	}
	level := slog.LevelWarn // a rejected request: usually not ours to fix
	if d.Status == 0 || d.Status >= 500 || d.Status == 422 || d.DedupErr != nil {
		level = slog.LevelError // ours: a callback, the store or the queue
	}
	ctx := r.Context()
	if !l.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 6)
	attrs = append(attrs, slog.String("path", r.URL.Path), slog.Int("status", d.Status))
	if d.MessageID != "" {
		attrs = append(attrs, slog.String("message_id", d.MessageID))
	}
	if d.Type != "" {
		attrs = append(attrs, slog.String("event_type", string(d.Type)))
	}
	if d.Source.IsValid() {
		attrs = append(attrs, slog.String("source", d.Source.String()))
	}
	attrs = append(attrs, slog.String("error", errors.Join(d.Err, d.DedupErr).Error()))
	msg := "clerk webhook not processed"
	if d.Err == nil {
		msg = "clerk webhook processed; its record failed"
	}
	l.LogAttrs(ctx, level, msg, attrs...)
}
