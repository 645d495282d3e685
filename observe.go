package clerkwebhook

import (
	"net/http"
	"net/netip"
	"time"
)

// A Delivery is what happened to one request to a Handler, reported to its
// observer (WithObserver) once the answer is written, whatever the outcome.
// It never holds the secret.
type Delivery struct {
	// Received is when ServeHTTP started.
	Received time.Time
	// Duration is the time from the start of ServeHTTP to the answer.
	Duration time.Duration
	// Status is the HTTP status answered, or 0 when the callback ended the
	// request without an answer (a panic with http.ErrAbortHandler, or
	// runtime.Goexit).
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
	// behind the status, which wraps the package's sentinels (as the
	// errors given to WithErrorHandler do).
	Err error
}

// WithObserver calls fn once for every request the Handler serves, after
// the answer is written, with what happened: successes, duplicates and
// every failure. It replaces the default logging of the failures behind
// the answers (a log/slog record each); a failure that does not change the
// answer (a Deduplicator's Complete or Release) is still logged, or given
// to WithErrorHandler's handler when there is one. fn runs on the request's
// goroutine, so it should be quick, and must be safe for concurrent use.
// The module github.com/seed77920f6a/clerkwebhook/clerkotel turns the
// deliveries into OpenTelemetry metrics and traces. A nil fn panics.
func WithObserver(fn func(r *http.Request, d Delivery)) HandlerOption {
	if fn == nil {
		panic("clerkwebhook: WithObserver(nil)")
	}
	return func(h *Handler) { h.observer = fn }
}
