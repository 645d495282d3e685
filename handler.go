package clerkwebhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
)

// A Handler is an http.Handler that receives Clerk webhooks: it verifies each
// delivery with its Verifier, skips messages already processed, runs the
// callback registered for the event type, and answers with the status Svix
// acts on:
//
//	200  processed, or a type with no callback, or a duplicate already processed
//	400  not a genuine, current Clerk delivery (headers, signature, timestamp, body)
//	405  not a POST (with Allow: POST)
//	409  the same message is being processed by another request right now
//	413  body larger than the Verifier's limit (WithMaxBodyBytes)
//	500  the callback failed or panicked, or the handler is misconfigured
//
// Svix retries every non-2xx answer, so a failing callback is retried and an
// event type the app does not handle is not. The response body is a short
// fixed text; the reason goes to the error handler (WithErrorHandler), which
// by default logs it with log/slog.
//
// Register callbacks with On before serving. Callbacks receive the request's
// context: Svix waits about 15 seconds for an answer, so acknowledge fast and
// queue slow work (Event round-trips through encoding/json).
type Handler struct {
	verifier *Verifier
	dedup    Deduplicator
	onError  func(*http.Request, error)

	mu        sync.RWMutex
	callbacks map[EventType]func(context.Context, Event) error
	fallback  func(context.Context, Event) error
}

// A HandlerOption configures a Handler in NewHandler.
type HandlerOption func(*Handler)

// WithDeduplicator makes the Handler skip messages whose callback already
// succeeded, keyed by Event.ID (the svix-id). Without one, every delivery
// runs its callback, retries included.
func WithDeduplicator(d Deduplicator) HandlerOption {
	return func(h *Handler) { h.dedup = d }
}

// WithErrorHandler replaces the default reporting of failures (a slog record
// on slog.Default) with fn. It is called for every non-2xx answer, with the
// error that caused it, and never sees a secret. fn must be safe for
// concurrent use.
func WithErrorHandler(fn func(r *http.Request, err error)) HandlerOption {
	return func(h *Handler) {
		if fn != nil {
			h.onError = fn
		}
	}
}

// WithFallback sets the callback for verified events of a type with no
// callback of its own (including types this package does not know). Without
// one, such events are acknowledged with 200 and dropped.
func WithFallback(fn func(ctx context.Context, e Event) error) HandlerOption {
	return func(h *Handler) { h.fallback = fn }
}

// NewHandler returns a Handler that verifies deliveries with v and reads at
// most v's body limit. A nil v makes every request fail with 500 and
// ErrMissingSecret: the handler never skips verification.
func NewHandler(v *Verifier, opts ...HandlerOption) *Handler {
	h := &Handler{
		verifier:  v,
		callbacks: map[EventType]func(context.Context, Event) error{},
		onError:   logError,
	}
	for _, opt := range opts {
		if opt != nil {
			opt(h)
		}
	}
	return h
}

// On registers fn as the callback for events of type t, replacing any
// earlier one. A nil fn removes it. A callback returning an error (or
// panicking) makes the Handler answer 500, so Svix delivers the message again.
func (h *Handler) On(t EventType, fn func(ctx context.Context, e Event) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if fn == nil {
		delete(h.callbacks, t)
		return
	}
	h.callbacks[t] = fn
}

// Fixed response texts: the caller learns the status, never the reason.
const (
	textOK          = "ok\n"
	textBadRequest  = "invalid webhook\n"
	textMethod      = "method not allowed\n"
	textTooLarge    = "payload too large\n"
	textInFlight    = "already in progress\n"
	textServerError = "internal error\n"
)

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.fail(w, r, http.StatusMethodNotAllowed, textMethod, fmt.Errorf("clerkwebhook: method %s not allowed", r.Method))
		return
	}
	ev, err := h.verifier.verifyRequest(w, r)
	switch {
	case err == nil:
	case errors.Is(err, ErrBodyTooLarge):
		h.fail(w, r, http.StatusRequestEntityTooLarge, textTooLarge, err)
		return
	case errors.Is(err, ErrMissingSecret):
		h.fail(w, r, http.StatusInternalServerError, textServerError, err)
		return
	default:
		var ve *VerificationError
		if errors.As(err, &ve) {
			h.fail(w, r, http.StatusBadRequest, textBadRequest, err)
			return
		}
		// Reading the body failed (the client went away): not the sender's
		// fault as far as we know, so let Svix retry.
		h.fail(w, r, http.StatusInternalServerError, textServerError, err)
		return
	}

	fn := h.callback(ev.Type)
	if fn == nil {
		h.reply(w, http.StatusOK, textOK)
		return
	}
	ctx := r.Context()
	if h.dedup != nil {
		state, err := h.dedup.Claim(ctx, ev.ID)
		if err != nil {
			h.fail(w, r, http.StatusInternalServerError, textServerError, fmt.Errorf("clerkwebhook: deduplicator claim for %s: %w", ev.ID, err))
			return
		}
		switch state {
		case Completed:
			h.reply(w, http.StatusOK, textOK)
			return
		case InProgress:
			h.fail(w, r, http.StatusConflict, textInFlight, fmt.Errorf("clerkwebhook: message %s is already being processed", ev.ID))
			return
		}
		// runCallback re-panics http.ErrAbortHandler for net/http to handle;
		// the claim must still be released, or every retry would get 409.
		defer func() {
			if p := recover(); p != nil {
				_ = h.dedup.Release(context.WithoutCancel(ctx), ev.ID)
				panic(p)
			}
		}()
	}
	if err := runCallback(ctx, fn, ev); err != nil {
		if h.dedup != nil {
			// Forget the claim so that Svix's retry runs the callback again.
			if rerr := h.dedup.Release(context.WithoutCancel(ctx), ev.ID); rerr != nil {
				err = errors.Join(err, fmt.Errorf("clerkwebhook: deduplicator release for %s: %w", ev.ID, rerr))
			}
		}
		h.fail(w, r, http.StatusInternalServerError, textServerError, err)
		return
	}
	if h.dedup != nil {
		if err := h.dedup.Complete(context.WithoutCancel(ctx), ev.ID); err != nil {
			// The work is done; answering 500 would run it twice. Report it.
			h.onError(r, fmt.Errorf("clerkwebhook: deduplicator complete for %s: %w", ev.ID, err))
		}
	}
	h.reply(w, http.StatusOK, textOK)
}

func (h *Handler) callback(t EventType) func(context.Context, Event) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if fn, ok := h.callbacks[t]; ok {
		return fn
	}
	return h.fallback
}

// CallbackError is the error a Handler reports when a callback fails or
// panics; it names the event.
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

// Unwrap returns the callback's error.
func (e *CallbackError) Unwrap() error { return e.Err }

// runCallback runs fn, turning a panic into an error so that one bad event
// cannot take the server down.
func runCallback(ctx context.Context, fn func(context.Context, Event) error, ev Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
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

func (h *Handler) reply(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text))
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, text string, err error) {
	h.onError(r, err)
	h.reply(w, status, text)
}

// logError is the default error handler.
func logError(r *http.Request, err error) {
	attrs := []any{slog.String("path", r.URL.Path), slog.String("error", err.Error())}
	var ve *VerificationError
	if errors.As(err, &ve) && ve.MessageID != "" {
		attrs = append(attrs, slog.String("message_id", ve.MessageID))
	}
	level := slog.LevelWarn // a rejected request: usually not ours to fix
	var ce *CallbackError
	if errors.As(err, &ce) {
		level = slog.LevelError // our callback failed: Svix will retry
		attrs = append(attrs, slog.String("message_id", ce.MessageID), slog.String("event_type", string(ce.Type)))
	}
	slog.Default().Log(r.Context(), level, "clerk webhook not processed", attrs...)
}
