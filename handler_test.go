package clerkwebhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Handler's own behaviour: the status, text and report for every kind
// of delivery, panicking callbacks, the context and event a callback gets,
// and registration. Each request is served on an httptest.ResponseRecorder;
// what needs a real connection (bodies over the limit read off the wire, the
// connection closed, stalled clients) is in wire_test.go, deduplication in
// dedupe_test.go.

// request is a delivery about to be sent; the status-contract cases mutate it.
type request struct {
	method  string
	body    []byte
	header  http.Header
	chunked bool
}

// resign signs r's current body again as of at with secret, keeping its id.
func (r *request) resign(t *testing.T, secret string, at time.Time) {
	r.header = signed(t, secret, r.header.Get("svix-id"), at, r.body)
}

// incoming returns r as net/http hands it to a handler. A chunked body
// arrives with no Content-Length (-1) and a reader that has no Len, as the
// server's chunked reader has none.
func (r *request) incoming() *http.Request {
	var body io.Reader
	switch {
	case r.chunked:
		body = struct{ io.Reader }{bytes.NewReader(r.body)}
	case len(r.body) > 0:
		body = bytes.NewReader(r.body)
	}
	req := httptest.NewRequest(r.method, "/webhooks/clerk", body)
	if r.chunked {
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
	}
	for k, v := range r.header {
		req.Header[k] = append([]string(nil), v...)
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

func TestHandlerStatusContract(t *testing.T) {
	t.Parallel()
	userCreated := readFixture(t, "user.created.json")
	unknownType := readFixture(t, "unknown.future.json")
	const msgID = "msg_2pYq8XkJd3nF7sLw0ZrT5uVbC1e"

	cases := []struct {
		name       string
		verifier   []Option                          // extra verifier options
		options    func(c *recorder) []HandlerOption // extra handler options
		register   func(h *Handler, c *recorder)     // default: On(UserCreated, c.ok)
		mutate     func(t *testing.T, r *request)    // applied to a valid signed user.created POST
		wantStatus int
		wantText   string
		wantCalls  int
		wantErr    error  // an error the reported one wraps; nil: nothing reported
		wantErrSub string // a piece of its text
		check      func(t *testing.T, res *http.Response, err error)
	}{
		{
			name:       "processed",
			wantStatus: http.StatusOK, wantText: wantOK, wantCalls: 1,
		},
		{
			name:       "processed, chunked body",
			mutate:     func(t *testing.T, r *request) { r.chunked = true },
			wantStatus: http.StatusOK, wantText: wantOK, wantCalls: 1,
		},
		{
			name:       "type with no callback is acknowledged",
			register:   func(h *Handler, c *recorder) {},
			wantStatus: http.StatusOK, wantText: wantOK,
		},
		{
			name: "type with no callback, another type registered",
			mutate: func(t *testing.T, r *request) {
				r.body = unknownType
				r.resign(t, testSecret, testNow)
			},
			wantStatus: http.StatusOK, wantText: wantOK,
		},
		{
			name:     "type with no callback runs the fallback",
			register: func(h *Handler, c *recorder) { h.OnOther(c.ok) },
			mutate: func(t *testing.T, r *request) {
				r.body = unknownType
				r.resign(t, testSecret, testNow)
			},
			wantStatus: http.StatusOK, wantText: wantOK, wantCalls: 1,
		},
		{
			name:     "registered callback wins over the fallback",
			register: func(h *Handler, c *recorder) { h.OnOther(c.fail); h.On(UserCreated, c.ok) },
			// The fallback would fail: a 200 proves it did not run.
			wantStatus: http.StatusOK, wantText: wantOK, wantCalls: 1,
		},
		{
			name:     "fallback error",
			register: func(h *Handler, c *recorder) { h.OnOther(c.fail) },
			mutate: func(t *testing.T, r *request) {
				r.body = unknownType
				r.resign(t, testSecret, testNow)
			},
			wantStatus: http.StatusInternalServerError, wantText: wantServerError, wantCalls: 1,
			wantErr: errCallback,
			check: func(t *testing.T, _ *http.Response, err error) {
				var ce *CallbackError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, EventType("agentTask.created"), ce.Type)
				assert.Equal(t, msgID, ce.MessageID)
				assert.Nil(t, ce.Panic)
			},
		},
		{
			name:       "missing svix-id",
			mutate:     func(t *testing.T, r *request) { r.header.Del("svix-id") },
			wantStatus: http.StatusBadRequest, wantText: wantBadRequest, wantErr: ErrMissingHeader,
		},
		{
			name:       "missing svix-timestamp",
			mutate:     func(t *testing.T, r *request) { r.header.Del("svix-timestamp") },
			wantStatus: http.StatusBadRequest, wantText: wantBadRequest, wantErr: ErrMissingHeader,
		},
		{
			name:       "missing svix-signature",
			mutate:     func(t *testing.T, r *request) { r.header.Del("svix-signature") },
			wantStatus: http.StatusBadRequest, wantText: wantBadRequest, wantErr: ErrMissingHeader,
		},
		{
			name:       "no headers at all",
			mutate:     func(t *testing.T, r *request) { r.header = http.Header{} },
			wantStatus: http.StatusBadRequest, wantText: wantBadRequest, wantErr: ErrMissingHeader,
		},
		{
			name:       "timestamp not an integer",
			mutate:     func(t *testing.T, r *request) { r.header.Set("svix-timestamp", "1764331200.5") },
			wantStatus: http.StatusBadRequest, wantText: wantBadRequest, wantErr: ErrInvalidHeader,
		},
		{
			name:       "signed with another secret",
			mutate:     func(t *testing.T, r *request) { r.resign(t, otherSecret, testNow) },
			wantStatus: http.StatusBadRequest, wantText: wantBadRequest, wantErr: ErrNoMatchingSignature,
		},
		{
			name: "body changed after signing",
			mutate: func(t *testing.T, r *request) {
				r.body = bytes.Replace(r.body, []byte("Elodie"), []byte("Mallory"), 1)
			},
			wantStatus: http.StatusBadRequest, wantText: wantBadRequest, wantErr: ErrNoMatchingSignature,
		},
		{
			name:       "stale timestamp",
			mutate:     func(t *testing.T, r *request) { r.resign(t, testSecret, testNow.Add(-DefaultTolerance-time.Second)) },
			wantStatus: http.StatusBadRequest, wantText: wantBadRequest, wantErr: ErrTimestampTooOld,
		},
		{
			name:       "future timestamp",
			mutate:     func(t *testing.T, r *request) { r.resign(t, testSecret, testNow.Add(DefaultTolerance+time.Second)) },
			wantStatus: http.StatusBadRequest, wantText: wantBadRequest, wantErr: ErrTimestampTooNew,
		},
		{
			name: "invalid payload",
			mutate: func(t *testing.T, r *request) {
				r.body = []byte(`{"type":"user.created","data":"not an object"}`)
				r.resign(t, testSecret, testNow)
			},
			wantStatus: http.StatusBadRequest, wantText: wantBadRequest, wantErr: ErrInvalidPayload,
		},
		{
			name: "empty body",
			mutate: func(t *testing.T, r *request) {
				r.body = nil
				r.resign(t, testSecret, testNow)
			},
			wantStatus: http.StatusBadRequest, wantText: wantBadRequest, wantErr: ErrInvalidPayload,
		},
		{
			name:       "GET",
			mutate:     func(t *testing.T, r *request) { r.method = http.MethodGet },
			wantStatus: http.StatusMethodNotAllowed, wantText: wantMethod, wantErr: ErrMethodNotAllowed, wantErrSub: "GET",
			check: func(t *testing.T, res *http.Response, _ error) {
				assert.Equal(t, []string{http.MethodPost}, res.Header.Values("Allow"))
			},
		},
		{
			name:       "PUT",
			mutate:     func(t *testing.T, r *request) { r.method = http.MethodPut },
			wantStatus: http.StatusMethodNotAllowed, wantText: wantMethod, wantErr: ErrMethodNotAllowed, wantErrSub: "PUT",
			check: func(t *testing.T, res *http.Response, _ error) {
				assert.Equal(t, []string{http.MethodPost}, res.Header.Values("Allow"))
			},
		},
		{
			name:       "body at the limit, Content-Length",
			verifier:   []Option{WithMaxBodyBytes(int64(len(userCreated)))},
			wantStatus: http.StatusOK, wantText: wantOK, wantCalls: 1,
		},
		{
			name:       "body at the limit, chunked",
			verifier:   []Option{WithMaxBodyBytes(int64(len(userCreated)))},
			mutate:     func(t *testing.T, r *request) { r.chunked = true },
			wantStatus: http.StatusOK, wantText: wantOK, wantCalls: 1,
		},
		{
			name:       "one byte over the limit, Content-Length",
			verifier:   []Option{WithMaxBodyBytes(int64(len(userCreated) - 1))},
			wantStatus: http.StatusRequestEntityTooLarge, wantText: wantTooLarge, wantErr: ErrBodyTooLarge,
		},
		{
			name:       "one byte over the limit, chunked",
			verifier:   []Option{WithMaxBodyBytes(int64(len(userCreated) - 1))},
			mutate:     func(t *testing.T, r *request) { r.chunked = true },
			wantStatus: http.StatusRequestEntityTooLarge, wantText: wantTooLarge, wantErr: ErrBodyTooLarge,
		},
		{
			name:       "callback error",
			register:   func(h *Handler, c *recorder) { h.On(UserCreated, c.fail) },
			wantStatus: http.StatusInternalServerError, wantText: wantServerError, wantCalls: 1,
			wantErr: errCallback,
			check: func(t *testing.T, _ *http.Response, err error) {
				var ce *CallbackError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, UserCreated, ce.Type)
				assert.Equal(t, msgID, ce.MessageID)
			},
		},
		{
			name:       "callback panic",
			register:   func(h *Handler, c *recorder) { h.On(UserCreated, c.panics) },
			wantStatus: http.StatusInternalServerError, wantText: wantServerError, wantCalls: 1,
			wantErr: ErrCallback, wantErrSub: "callback exploded",
			check: func(t *testing.T, _ *http.Response, err error) {
				var ce *CallbackError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, "callback exploded", ce.Panic)
				assert.Equal(t, msgID, ce.MessageID)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := &recorder{}
			log := &errorLog{}
			verifier := testVerifier(t, tc.verifier...)
			opts := []HandlerOption{WithObserver(log.observe)}
			if tc.options != nil {
				opts = append(opts, tc.options(calls)...)
			}
			h := NewHandler(verifier, opts...)
			if tc.register != nil {
				tc.register(h, calls)
			} else {
				h.On(UserCreated, calls.ok)
			}

			r := &request{method: http.MethodPost, body: userCreated, header: signed(t, testSecret, msgID, testNow, userCreated)}
			if tc.mutate != nil {
				tc.mutate(t, r)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r.incoming())
			// Result: the headers as they stood when the status was written,
			// which is what goes on the wire.
			res := rec.Result()

			assert.Equal(t, tc.wantStatus, res.StatusCode)
			assert.Equal(t, tc.wantText, rec.Body.String())
			assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
			assertNoDetail(t, rec.Body.String())

			seen := calls.seen()
			require.Len(t, seen, tc.wantCalls, "callback runs")
			for _, e := range seen {
				assert.Equal(t, msgID, e.ID)
				assert.Equal(t, testNow, e.SignedAt)
			}

			reported := log.all()
			if tc.wantErr == nil {
				assert.Empty(t, reported, "a 2xx answer reports nothing")
				return
			}
			require.Len(t, reported, 1, "exactly one error reported")
			got := reported[0]
			assert.ErrorIs(t, got, tc.wantErr)
			assertOneSentinel(t, got)
			if tc.wantErrSub != "" {
				assert.Contains(t, got.Error(), tc.wantErrSub)
			}
			assertNoSecretIn(t, got.Error(), testSecret)
			assertNoSecretIn(t, got.Error(), otherSecret)
			assertNoSecretIn(t, fmt.Sprintf("%+v %#v", got, got), testSecret)
			if tc.check != nil {
				tc.check(t, res, got)
			}
		})
	}
}

func TestHandlerPanicKeepsServing(t *testing.T) {
	t.Parallel()
	log := &errorLog{}
	var runs atomic.Int32
	h := NewHandler(testVerifier(t), WithObserver(log.observe))
	h.On(UserCreated, func(_ context.Context, e Event) error {
		runs.Add(1)
		if e.ID == "msg_boom" {
			var m map[string]int
			//lint:ignore SA5000 a runtime panic is the point of this callback
			m["nil map"]++ // a runtime panic, not a deliberate one
		}
		return nil
	})
	body := readFixture(t, "user.created.json")

	for i := 0; i < 3; i++ {
		rec := recordDelivery(t, h, "msg_boom", body)
		assert.Equal(t, http.StatusInternalServerError, rec.Code)
		assert.Equal(t, wantServerError, rec.Body.String())
		assertNoDetail(t, rec.Body.String())

		rec = recordDelivery(t, h, fmt.Sprintf("msg_fine_%d", i), body)
		assert.Equal(t, http.StatusOK, rec.Code, "the Handler stopped serving after a panic")
	}
	assert.Equal(t, int32(6), runs.Load())

	reported := log.all()
	require.Len(t, reported, 3)
	for _, err := range reported {
		var ce *CallbackError
		require.ErrorAs(t, err, &ce)
		assert.NotNil(t, ce.Panic)
		assert.Contains(t, err.Error(), "assignment to entry in nil map")
		assertNoSecretIn(t, err.Error(), testSecret)
	}
}

type ctxKey struct{}

func TestHandlerCallbackContextAndEvent(t *testing.T) {
	t.Parallel()
	type seen struct {
		value any
		event Event
	}
	got := make(chan seen, 1)
	h := NewHandler(testVerifier(t), failOnError(t))
	h.On(UserCreated, func(ctx context.Context, e Event) error {
		got <- seen{ctx.Value(ctxKey{}), e}
		return nil
	})
	middleware := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, "set by middleware")))
	})

	body := readFixture(t, "user.created.json")
	rec := recordDelivery(t, middleware, "msg_ctx", body)
	require.Equal(t, http.StatusOK, rec.Code)
	s := <-got
	assert.Equal(t, "set by middleware", s.value)
	assert.Equal(t, UserCreated, s.event.Type)
	assert.Equal(t, "msg_ctx", s.event.ID)
	assert.Equal(t, "ins_2Zt8vQ3kLmN4pR7sT9uW1xY5bC", s.event.InstanceID)
	assert.Equal(t, testNow, s.event.SignedAt)
	u, err := s.event.User()
	require.NoError(t, err)
	assert.Equal(t, "user_30TbaSJBhmLScO0rTRMoSYc7BTg", u.ID)
}

func TestHandlerRegistration(t *testing.T) {
	t.Parallel()
	var runs, others, newType atomic.Int32
	h := NewHandler(testVerifier(t), failOnError(t))
	h.OnOther(func(context.Context, Event) error { others.Add(1); return nil })
	h.On(UserCreated, func(context.Context, Event) error { runs.Add(1); return nil })
	h.OnNewType("agentTask.created", func(context.Context, Event) error { newType.Add(1); return nil })

	assert.Equal(t, http.StatusOK, recordDelivery(t, h, "msg_1", readFixture(t, "user.created.json")).Code)
	assert.Equal(t, http.StatusOK, recordDelivery(t, h, "msg_2", readFixture(t, "unknown.future.json")).Code)
	assert.Equal(t, http.StatusOK, recordDelivery(t, h, "msg_3", readFixture(t, "session.created.json")).Code)
	assert.Equal(t, [3]int32{1, 1, 1}, [3]int32{runs.Load(), newType.Load(), others.Load()},
		"user.created by On, the new type by OnNewType, session.created by OnOther")

	// Replacing: the later registration wins.
	h.On(UserCreated, func(context.Context, Event) error { return nil })
	assert.Equal(t, http.StatusOK, recordDelivery(t, h, "msg_4", readFixture(t, "user.created.json")).Code)
	assert.Equal(t, int32(1), runs.Load(), "replaced callback still ran")
}

// Registration mistakes panic at start-up, naming the mistake, as
// http.ServeMux does: none may become events acknowledged and dropped.
func TestHandlerRegistrationMistakesPanic(t *testing.T) {
	t.Parallel()
	ok := func(context.Context, Event) error { return nil }
	v := testVerifier(t)
	for _, tc := range []struct {
		name string
		do   func()
		want string
	}{
		{"misspelled type", func() { NewHandler(v).On("user.craeted", ok) },
			`clerkwebhook: On("user.craeted"): not an event type this package knows (did you mean "user.created"?); for a type newer than this package, use OnNewType`},
		{"wrong case", func() { NewHandler(v).On("subscription.pastdue", ok) }, `did you mean "subscription.pastDue"?`},
		{"empty type", func() { NewHandler(v).On("", ok) }, `On(""): not an event type`},
		{"known type through OnNewType", func() { NewHandler(v).OnNewType(UserCreated, ok) },
			`clerkwebhook: OnNewType("user.created"): use On for the event types this package knows`},
		{"empty type through OnNewType", func() { NewHandler(v).OnNewType("", ok) }, `OnNewType("")`},
		{"nil callback", func() { NewHandler(v).On(UserCreated, nil) }, `clerkwebhook: On("user.created", nil)`},
		{"nil callback for a new type", func() { NewHandler(v).OnNewType("x.y", nil) }, `clerkwebhook: OnNewType("x.y", nil)`},
		{"nil fallback", func() { NewHandler(v).OnOther(nil) }, "clerkwebhook: OnOther(nil)"},
		{"nil verifier", func() { NewHandler(nil) }, "clerkwebhook: NewHandler: no Verifier"},
		{"zero verifier", func() { NewHandler(&Verifier{}) }, "clerkwebhook: NewHandler: no Verifier"},
		{"nil deduplicator", func() { WithDeduplicator(nil) }, "clerkwebhook: WithDeduplicator(nil)"},
		{"nil observer", func() { WithObserver(nil) }, "clerkwebhook: WithObserver(nil)"},
		{"nil logger", func() { WithLogger(nil) }, "clerkwebhook: WithLogger(nil)"},
		{"non-positive lease", func() { WithLease(0) }, "clerkwebhook: WithLease(0s): the lease must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				p := recover()
				require.NotNil(t, p, "no panic")
				assert.Contains(t, fmt.Sprint(p), tc.want)
			}()
			tc.do()
		})
	}
	// A nil option is no option, for both constructors.
	assert.NotPanics(t, func() { NewHandler(v, nil) })
}
