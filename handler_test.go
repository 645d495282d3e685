package clerkwebhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every Handler test goes through a real loopback server and a real
// http.Client, so that what is asserted is what Svix would see on the wire:
// status, headers, body, and whether the connection was cut.

// The fixed response texts, spelled out here rather than taken from the
// package's constants, so that a change to the wire contract fails a test.
const (
	wantOK          = "ok\n"
	wantBadRequest  = "invalid webhook\n"
	wantMethod      = "method not allowed\n"
	wantTooLarge    = "payload too large\n"
	wantInFlight    = "already in progress\n"
	wantServerError = "internal error\n"
)

// errCallback is what failing callbacks return; its text must never reach
// the response body.
var errCallback = errors.New("callback failed: database unreachable at db.internal:5432")

// delivery is one signed Clerk delivery.
type delivery struct {
	body   []byte
	header http.Header
}

// newDelivery signs body as message id at time at, with the reference library.
func newDelivery(tb testing.TB, secret, id string, at time.Time, body []byte) delivery {
	tb.Helper()
	return delivery{body: body, header: signed(tb, secret, id, at, body)}
}

// testVerifier is the verifier the Handler tests use: the test secret and a
// clock fixed at testNow, with extra options.
func testVerifier(tb testing.TB, opts ...Option) *Verifier {
	tb.Helper()
	return mustVerifier(tb, testSecret, append([]Option{WithClock(fixedClock(testNow))}, opts...)...)
}

// errorLog collects what a Handler reports through WithErrorHandler.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) report(_ *http.Request, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// recorder is a set of callbacks that record the events they receive.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (c *recorder) record(e Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e)
}

func (c *recorder) seen() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.events...)
}

func (c *recorder) ok(_ context.Context, e Event) error { c.record(e); return nil }

func (c *recorder) fail(_ context.Context, e Event) error { c.record(e); return errCallback }

func (c *recorder) panics(_ context.Context, e Event) error {
	c.record(e)
	panic("callback exploded")
}

// serve starts a loopback server for h, closed when the test ends.
func serve(tb testing.TB, h http.Handler) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv
}

// serveCounting is serve with a count of the bytes the server read from
// its connections, framing included.
func serveCounting(tb testing.TB, h http.Handler, wire *atomic.Int64) *httptest.Server {
	tb.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = countingListener{srv.Listener, wire}
	srv.Start()
	tb.Cleanup(srv.Close)
	return srv
}

type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c.(*net.TCPConn), l.n}, nil
}

type countingConn struct {
	*net.TCPConn // CloseWrite included: the server half-closes before hanging up
	n            *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.TCPConn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// reply is what the client saw.
type reply struct {
	status int
	header http.Header
	body   string
	close  bool // the server announced it closes the connection
}

// send makes one request with a real client. contentLength -1 sends the body
// chunked, without a Content-Length.
func send(client *http.Client, method, url string, body io.Reader, contentLength int64, header http.Header) (reply, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return reply{}, err
	}
	if body != nil {
		req.ContentLength = contentLength
	}
	for k, v := range header {
		req.Header[k] = append([]string(nil), v...)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b), close: resp.Close}, nil
}

// post sends d as Clerk would and fails the test on a transport error.
func post(tb testing.TB, srv *httptest.Server, d delivery) reply {
	tb.Helper()
	r, err := send(srv.Client(), http.MethodPost, srv.URL+"/webhooks/clerk", bytes.NewReader(d.body), int64(len(d.body)), d.header)
	require.NoError(tb, err)
	return r
}

// assertNoDetail fails if a response body tells the caller more than the
// status: no error text, no message id, no secret.
func assertNoDetail(t *testing.T, body string) {
	t.Helper()
	for _, leak := range []string{"clerkwebhook", "signature", "timestamp", "header", "msg_", "callback", "panic", "database", "limit", "whsec"} {
		assert.NotContains(t, strings.ToLower(body), leak, "response body reveals detail")
	}
	assertNoSecretIn(t, body, testSecret)
}

// countingBody counts the bytes the handler pulls from the connection.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// endless produces 'a' bytes up to max, counting what was taken, and
// signals when the client's transport closes it.
type endless struct {
	max      int64
	produced atomic.Int64
	closed   chan struct{}
	once     sync.Once
}

func newEndless(max int64) *endless { return &endless{max: max, closed: make(chan struct{})} }

func (e *endless) Read(p []byte) (int, error) {
	left := e.max - e.produced.Load()
	if left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	for i := range p {
		p[i] = 'a'
	}
	e.produced.Add(int64(len(p)))
	return len(p), nil
}

func (e *endless) Close() error {
	e.once.Do(func() { close(e.closed) })
	return nil
}

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

func TestHandlerStatusContract(t *testing.T) {
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
		check      func(t *testing.T, rep reply, err error)
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
			name:    "type with no callback runs the fallback",
			options: func(c *recorder) []HandlerOption { return []HandlerOption{WithFallback(c.ok)} },
			mutate: func(t *testing.T, r *request) {
				r.body = unknownType
				r.resign(t, testSecret, testNow)
			},
			wantStatus: http.StatusOK, wantText: wantOK, wantCalls: 1,
		},
		{
			name:     "registered callback wins over the fallback",
			options:  func(c *recorder) []HandlerOption { return []HandlerOption{WithFallback(c.fail)} },
			register: func(h *Handler, c *recorder) { h.On(UserCreated, c.ok) },
			// The fallback would fail: a 200 proves it did not run.
			wantStatus: http.StatusOK, wantText: wantOK, wantCalls: 1,
		},
		{
			name:    "fallback error",
			options: func(c *recorder) []HandlerOption { return []HandlerOption{WithFallback(c.fail)} },
			mutate: func(t *testing.T, r *request) {
				r.body = unknownType
				r.resign(t, testSecret, testNow)
			},
			wantStatus: http.StatusInternalServerError, wantText: wantServerError, wantCalls: 1,
			wantErr: errCallback,
			check: func(t *testing.T, _ reply, err error) {
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
			check: func(t *testing.T, rep reply, _ error) {
				assert.Equal(t, []string{http.MethodPost}, rep.header.Values("Allow"))
			},
		},
		{
			name:       "PUT",
			mutate:     func(t *testing.T, r *request) { r.method = http.MethodPut },
			wantStatus: http.StatusMethodNotAllowed, wantText: wantMethod, wantErr: ErrMethodNotAllowed, wantErrSub: "PUT",
			check: func(t *testing.T, rep reply, _ error) {
				assert.Equal(t, []string{http.MethodPost}, rep.header.Values("Allow"))
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
			check: func(t *testing.T, _ reply, err error) {
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
			check: func(t *testing.T, _ reply, err error) {
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
			opts := []HandlerOption{WithErrorHandler(log.report)}
			if tc.options != nil {
				opts = append(opts, tc.options(calls)...)
			}
			h := NewHandler(verifier, opts...)
			if tc.register != nil {
				tc.register(h, calls)
			} else {
				h.On(UserCreated, calls.ok)
			}
			srv := serve(t, h)

			r := &request{method: http.MethodPost, body: userCreated, header: signed(t, testSecret, msgID, testNow, userCreated)}
			if tc.mutate != nil {
				tc.mutate(t, r)
			}
			var body io.Reader
			length := int64(len(r.body))
			switch {
			case r.chunked:
				body, length = struct{ io.Reader }{bytes.NewReader(r.body)}, -1
			case len(r.body) > 0:
				body = bytes.NewReader(r.body)
			}
			rep, err := send(srv.Client(), r.method, srv.URL+"/webhooks/clerk", body, length, r.header)
			require.NoError(t, err)

			assert.Equal(t, tc.wantStatus, rep.status)
			assert.Equal(t, tc.wantText, rep.body)
			assert.Equal(t, "nosniff", rep.header.Get("X-Content-Type-Options"))
			assertNoDetail(t, rep.body)

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
				tc.check(t, rep, got)
			}
		})
	}
}

// netHTTPDrain is how much of an unread request body net/http's server
// reads after the handler returns (maxPostHandlerReadBytes).
const netHTTPDrain = 256 << 10

// A body over the limit with a Content-Length is refused from the header
// alone: the handler reads none of it, however large the declared body.
func TestHandlerBodyTooLargeContentLength(t *testing.T) {
	const limit = 4 << 10
	for _, size := range []int64{limit + 1, 64 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			log := &errorLog{}
			calls := &recorder{}
			h := NewHandler(testVerifier(t, WithMaxBodyBytes(limit)), WithErrorHandler(log.report))
			h.On(UserCreated, calls.ok)
			var read, wire atomic.Int64
			var gotLength atomic.Int64
			srv := serveCounting(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotLength.Store(r.ContentLength)
				r.Body = countingBody{r.Body, &read}
				h.ServeHTTP(w, r)
			}), &wire)

			src := newEndless(size)
			header := signed(t, testSecret, "msg_too_large_cl", testNow, []byte("unused"))
			rep, err := send(srv.Client(), http.MethodPost, srv.URL, src, size, header)
			require.NoError(t, err)
			assert.Equal(t, http.StatusRequestEntityTooLarge, rep.status)
			assert.Equal(t, wantTooLarge, rep.body)
			assert.Equal(t, size, gotLength.Load(), "the request carried a Content-Length")
			assert.Zero(t, read.Load(), "handler read body bytes although Content-Length alone was over the limit")
			assert.Empty(t, calls.seen())

			reported := log.all()
			require.Len(t, reported, 1)
			assert.ErrorIs(t, reported[0], ErrBodyTooLarge)
			var ve *VerificationError
			require.ErrorAs(t, reported[0], &ve)
			assert.Equal(t, "msg_too_large_cl", ve.MessageID)

			select {
			case <-src.closed:
			case <-time.After(10 * time.Second):
			}
			assert.Less(t, src.produced.Load(), int64(32<<20), "the server went on taking the body")
			// net/http itself drains up to 256 KiB of an unread body after the
			// handler, hoping to reuse the connection; nothing more.
			assert.Less(t, wire.Load(), int64(netHTTPDrain+64<<10), "the server read on from the wire")
			t.Logf("server read %d bytes from the wire, handler %d; client produced %d", wire.Load(), read.Load(), src.produced.Load())
		})
	}
}

// A chunked body that never ends is cut at the limit: the handler reads at
// most limit+1 bytes, answers 413 and closes the connection, so the client
// cannot go on streaming.
func TestHandlerBodyTooLargeStreaming(t *testing.T) {
	const limit = 64 << 10
	// Reading all of it would take seconds and break the bounds below.
	const streamSize = 1 << 30
	log := &errorLog{}
	calls := &recorder{}
	h := NewHandler(testVerifier(t, WithMaxBodyBytes(limit)), WithErrorHandler(log.report))
	h.On(UserCreated, calls.ok)
	var read, wire atomic.Int64
	var gotLength atomic.Int64
	var gotChunked atomic.Bool
	srv := serveCounting(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotLength.Store(r.ContentLength)
		gotChunked.Store(len(r.TransferEncoding) == 1 && r.TransferEncoding[0] == "chunked")
		r.Body = countingBody{r.Body, &read}
		h.ServeHTTP(w, r)
	}), &wire)

	src := newEndless(streamSize)
	header := signed(t, testSecret, "msg_too_large_stream", testNow, []byte("unused"))
	start := time.Now()
	rep, err := send(srv.Client(), http.MethodPost, srv.URL, src, -1, header)
	require.NoError(t, err)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rep.status)
	assert.Equal(t, wantTooLarge, rep.body)
	assert.True(t, rep.close, "the server keeps the connection open for more of the body")
	assert.Equal(t, int64(-1), gotLength.Load(), "the request had no Content-Length")
	assert.True(t, gotChunked.Load(), "the request was chunked")
	assert.LessOrEqual(t, read.Load(), int64(limit+1), "handler read past the limit")
	assert.Empty(t, calls.seen())

	reported := log.all()
	require.Len(t, reported, 1)
	assert.ErrorIs(t, reported[0], ErrBodyTooLarge)

	// The transport closes the body once the server hangs up.
	select {
	case <-src.closed:
	case <-time.After(10 * time.Second):
		t.Error("the client was still streaming 10s after the answer")
	}
	assert.Less(t, src.produced.Load(), int64(32<<20), "the server went on taking the stream")
	// The limit, then net/http's one post-handler drain of 256 KiB, framing
	// and headers; without the Handler's MaxBytesReader on the
	// ResponseWriter, net/http drains twice.
	assert.Less(t, wire.Load(), int64(limit+netHTTPDrain+64<<10), "the server read on from the wire")
	t.Logf("client produced %d bytes in %v for a %d-byte limit; server read %d from the wire", src.produced.Load(), time.Since(start), limit, wire.Load())
}

func TestHandlerPanicKeepsServing(t *testing.T) {
	log := &errorLog{}
	var runs atomic.Int32
	h := NewHandler(testVerifier(t), WithErrorHandler(log.report))
	h.On(UserCreated, func(_ context.Context, e Event) error {
		runs.Add(1)
		if e.ID == "msg_boom" {
			var m map[string]int
			//lint:ignore SA5000 a runtime panic is the point of this callback
			m["nil map"]++ // a runtime panic, not a deliberate one
		}
		return nil
	})
	srv := serve(t, h)
	body := readFixture(t, "user.created.json")

	for i := 0; i < 3; i++ {
		rep := post(t, srv, newDelivery(t, testSecret, "msg_boom", testNow, body))
		assert.Equal(t, http.StatusInternalServerError, rep.status)
		assert.Equal(t, wantServerError, rep.body)
		assertNoDetail(t, rep.body)

		rep = post(t, srv, newDelivery(t, testSecret, fmt.Sprintf("msg_fine_%d", i), testNow, body))
		assert.Equal(t, http.StatusOK, rep.status, "the server stopped serving after a panic")
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
	type seen struct {
		value any
		event Event
	}
	got := make(chan seen, 1)
	h := NewHandler(testVerifier(t), WithErrorHandler(func(_ *http.Request, err error) { t.Error(err) }))
	h.On(UserCreated, func(ctx context.Context, e Event) error {
		got <- seen{ctx.Value(ctxKey{}), e}
		return nil
	})
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, "set by middleware")))
	}))

	body := readFixture(t, "user.created.json")
	rep := post(t, srv, newDelivery(t, testSecret, "msg_ctx", testNow, body))
	require.Equal(t, http.StatusOK, rep.status)
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

// recordDelivery runs one signed delivery through h with a recorder.
func recordDelivery(t *testing.T, h http.Handler, id string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(body))
	for k, v := range signed(t, testSecret, id, testNow, body) {
		r.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func TestHandlerRegistration(t *testing.T) {
	var runs, others, newType atomic.Int32
	h := NewHandler(testVerifier(t), WithErrorHandler(func(_ *http.Request, err error) { t.Error(err) }))
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
		{"nil error handler", func() { WithErrorHandler(nil) }, "clerkwebhook: WithErrorHandler(nil)"},
		{"nil fallback option", func() { WithFallback(nil) }, "clerkwebhook: WithFallback(nil)"},
		{"non-positive lease", func() { WithLease(0) }, "clerkwebhook: WithLease: the lease must be positive, got 0s"},
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

// VerifyRequest puts the body back: code after it reads the same bytes.
func TestVerifyRequestRestoresBody(t *testing.T) {
	body := readFixture(t, "user.created.json")
	v := testVerifier(t)
	for _, tc := range []struct {
		name    string
		secret  string
		chunked bool
		wantErr error
	}{
		{"verified", testSecret, false, nil},
		{"verified, chunked", testSecret, true, nil},
		{"rejected", otherSecret, false, ErrNoMatchingSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type result struct {
				err   error
				again []byte
			}
			got := make(chan result, 1)
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, err := v.VerifyRequest(r)
				again, rerr := io.ReadAll(r.Body)
				if rerr != nil {
					err = errors.Join(err, rerr)
				}
				got <- result{err, again}
			}))
			var src io.Reader = bytes.NewReader(body)
			length := int64(len(body))
			if tc.chunked {
				src, length = struct{ io.Reader }{src}, -1
			}
			_, err := send(srv.Client(), http.MethodPost, srv.URL, src, length, signed(t, tc.secret, "msg_restore", testNow, body))
			require.NoError(t, err)
			res := <-got
			if tc.wantErr == nil {
				require.NoError(t, res.err)
			} else {
				require.ErrorIs(t, res.err, tc.wantErr)
			}
			assert.Equal(t, body, res.again, "the body read after VerifyRequest differs")
		})
	}
}

func TestVerifyRequestNoBody(t *testing.T) {
	v := testVerifier(t)
	for _, tc := range []struct {
		name string
		body io.ReadCloser
	}{
		{"nil Body", nil},
		{"http.NoBody", http.NoBody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Signed over the empty body: the signature holds, and the empty
			// body is then not an event.
			r := &http.Request{Method: http.MethodPost, Header: signed(t, testSecret, "msg_empty", testNow, nil), Body: tc.body}
			_, err := v.VerifyRequest(r)
			require.ErrorIs(t, err, ErrInvalidPayload)
			var ve *VerificationError
			require.ErrorAs(t, err, &ve)
			assert.True(t, ve.SignatureValid)

			r = &http.Request{Method: http.MethodPost, Header: http.Header{}, Body: tc.body}
			_, err = v.VerifyRequest(r)
			assert.ErrorIs(t, err, ErrMissingHeader)

			// A signature over a non-empty body does not match no body.
			r = &http.Request{Method: http.MethodPost, Header: signed(t, testSecret, "msg_empty", testNow, []byte(`{}`)), Body: tc.body}
			_, err = v.VerifyRequest(r)
			assert.ErrorIs(t, err, ErrNoMatchingSignature)
		})
	}
}

// VerifyRequest stops at the limit even with no Content-Length.
func TestVerifyRequestTooLarge(t *testing.T) {
	const limit = 1024
	v := testVerifier(t, WithMaxBodyBytes(limit))
	header := signed(t, testSecret, "msg_big", testNow, []byte("x"))

	src := newEndless(1 << 40)
	r := &http.Request{Method: http.MethodPost, Header: header, Body: src, ContentLength: -1}
	_, err := v.VerifyRequest(r)
	require.ErrorIs(t, err, ErrBodyTooLarge)
	assert.LessOrEqual(t, src.produced.Load(), int64(limit+1))

	src = newEndless(1 << 40)
	r = &http.Request{Method: http.MethodPost, Header: header, Body: src, ContentLength: limit + 1}
	_, err = v.VerifyRequest(r)
	require.ErrorIs(t, err, ErrBodyTooLarge)
	assert.Zero(t, src.produced.Load(), "read although Content-Length was over the limit")

	var nilVerifier *Verifier
	_, err = nilVerifier.VerifyRequest(r)
	assert.ErrorIs(t, err, ErrMissingSecret)
}

// --- Deduplication through the Handler ---

// dedupServer serves a Handler with a memory deduplicator whose user.created
// callback is fn.
func dedupServer(t *testing.T, log *errorLog, fn func(context.Context, Event) error) *httptest.Server {
	t.Helper()
	h := NewHandler(testVerifier(t), WithDeduplicator(NewMemoryDeduplicator(0)), WithErrorHandler(log.report))
	h.On(UserCreated, fn)
	return serve(t, h)
}

func TestHandlerDedupSequentialDuplicate(t *testing.T) {
	var runs atomic.Int32
	log := &errorLog{}
	srv := dedupServer(t, log, func(context.Context, Event) error { runs.Add(1); return nil })
	d := newDelivery(t, testSecret, "msg_dup", testNow, readFixture(t, "user.created.json"))

	for i := 0; i < 3; i++ {
		rep := post(t, srv, d)
		assert.Equal(t, http.StatusOK, rep.status)
		assert.Equal(t, wantOK, rep.body)
	}
	// A retry is signed again at a later time, with the same id.
	retry := newDelivery(t, testSecret, "msg_dup", testNow.Add(time.Minute), d.body)
	assert.Equal(t, http.StatusOK, post(t, srv, retry).status)
	assert.Equal(t, int32(1), runs.Load(), "a duplicate ran the callback again")
	assert.Empty(t, log.all())
}

func TestHandlerDedupConcurrentDuplicates(t *testing.T) {
	const n = 20
	var runs atomic.Int32
	othersAnswered := make(chan struct{})
	log := &errorLog{}
	srv := dedupServer(t, log, func(context.Context, Event) error {
		runs.Add(1)
		// Hold the message until every other delivery has been answered;
		// without deduplication all would be in here and time out.
		select {
		case <-othersAnswered:
		case <-time.After(3 * time.Second):
		}
		return nil
	})
	d := newDelivery(t, testSecret, "msg_concurrent", testNow, readFixture(t, "user.created.json"))

	start := make(chan struct{})
	var answered atomic.Int32
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			rep, err := send(srv.Client(), http.MethodPost, srv.URL, bytes.NewReader(d.body), int64(len(d.body)), d.header)
			if err != nil {
				t.Error(err)
				statuses <- 0
			} else {
				statuses <- rep.status
			}
			if answered.Add(1) == n-1 {
				close(othersAnswered)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(statuses)

	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	assert.Equal(t, int32(1), runs.Load(), "concurrent deliveries of one message ran the callback more than once")
	assert.Equal(t, n, count[http.StatusOK]+count[http.StatusConflict], "statuses other than 200 and 409: %v", count)
	assert.GreaterOrEqual(t, count[http.StatusOK], 1, "statuses: %v", count)
	t.Logf("statuses: %v", count)

	for _, err := range log.all() {
		assert.Contains(t, err.Error(), "msg_concurrent")
		assert.ErrorIs(t, err, ErrInProgress)
		assert.Contains(t, err.Error(), "msg_concurrent")
	}

	// Once done, a further delivery is a plain duplicate.
	assert.Equal(t, http.StatusOK, post(t, srv, d).status)
	assert.Equal(t, int32(1), runs.Load())
}

// The 409 answer has its own fixed text.
func TestHandlerDedupInProgressAnswer(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	log := &errorLog{}
	srv := dedupServer(t, log, func(context.Context, Event) error {
		close(entered)
		<-release
		return nil
	})
	d := newDelivery(t, testSecret, "msg_inflight", testNow, readFixture(t, "user.created.json"))
	first := make(chan reply, 1)
	go func() {
		rep, err := send(srv.Client(), http.MethodPost, srv.URL, bytes.NewReader(d.body), int64(len(d.body)), d.header)
		if err != nil {
			t.Error(err)
		}
		first <- rep
	}()
	<-entered
	rep := post(t, srv, d)
	close(release)
	assert.Equal(t, http.StatusConflict, rep.status)
	assert.Equal(t, wantInFlight, rep.body)
	assertNoDetail(t, rep.body)
	assert.Equal(t, http.StatusOK, (<-first).status)
	require.Len(t, log.all(), 1)
	assert.Contains(t, log.all()[0].Error(), "msg_inflight")
}

func TestHandlerDedupRetryAfterFailure(t *testing.T) {
	var runs atomic.Int32
	log := &errorLog{}
	srv := dedupServer(t, log, func(context.Context, Event) error {
		if runs.Add(1) == 1 {
			return errCallback
		}
		return nil
	})
	d := newDelivery(t, testSecret, "msg_retry", testNow, readFixture(t, "user.created.json"))

	rep := post(t, srv, d)
	assert.Equal(t, http.StatusInternalServerError, rep.status)
	assert.Equal(t, wantServerError, rep.body)
	rep = post(t, srv, d)
	assert.Equal(t, http.StatusOK, rep.status, "the retry of a failed message was not run")
	assert.Equal(t, int32(2), runs.Load())
	rep = post(t, srv, d)
	assert.Equal(t, http.StatusOK, rep.status)
	assert.Equal(t, int32(2), runs.Load(), "a succeeded message ran again")

	reported := log.all()
	require.Len(t, reported, 1)
	assert.ErrorIs(t, reported[0], errCallback)
}

// A callback that panics is also released, so the retry runs.
func TestHandlerDedupRetryAfterPanic(t *testing.T) {
	var runs atomic.Int32
	log := &errorLog{}
	srv := dedupServer(t, log, func(context.Context, Event) error {
		if runs.Add(1) == 1 {
			panic("first attempt explodes")
		}
		return nil
	})
	d := newDelivery(t, testSecret, "msg_panic_retry", testNow, readFixture(t, "user.created.json"))
	assert.Equal(t, http.StatusInternalServerError, post(t, srv, d).status)
	assert.Equal(t, http.StatusOK, post(t, srv, d).status, "the retry of a panicked message was not run")
	assert.Equal(t, int32(2), runs.Load())
}

// A callback that aborts the response with http.ErrAbortHandler (the
// standard way to cut a reply short) makes Svix see a broken connection and
// retry. The retry must run the callback: the claim of the aborted attempt
// must not block the message.
func TestHandlerDedupRetryAfterAbortHandler(t *testing.T) {
	var runs atomic.Int32
	log := &errorLog{}
	srv := dedupServer(t, log, func(context.Context, Event) error {
		if runs.Add(1) == 1 {
			panic(http.ErrAbortHandler)
		}
		return nil
	})
	d := newDelivery(t, testSecret, "msg_abort_retry", testNow, readFixture(t, "user.created.json"))

	_, err := send(srv.Client(), http.MethodPost, srv.URL, bytes.NewReader(d.body), int64(len(d.body)), d.header)
	require.Error(t, err, "an aborted handler gives the client a broken response")

	rep := post(t, srv, d)
	assert.Equal(t, http.StatusOK, rep.status, "the retry after an aborted attempt was answered %d %q", rep.status, rep.body)
	assert.Equal(t, int32(2), runs.Load(), "the retry after an aborted attempt did not run the callback")
}

func TestHandlerDedupDistinctIDs(t *testing.T) {
	var mu sync.Mutex
	runs := map[string]int{}
	log := &errorLog{}
	srv := dedupServer(t, log, func(_ context.Context, e Event) error {
		mu.Lock()
		defer mu.Unlock()
		runs[e.ID]++
		return nil
	})
	body := readFixture(t, "user.created.json")
	ids := []string{"msg_a", "msg_b", "msg_c"}
	for round := 0; round < 2; round++ {
		for _, id := range ids {
			assert.Equal(t, http.StatusOK, post(t, srv, newDelivery(t, testSecret, id, testNow, body)).status)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string]int{"msg_a": 1, "msg_b": 1, "msg_c": 1}, runs)
}

// Distinct messages are not serialised by one another: two can be in
// their callbacks at the same time.
func TestHandlerDedupDistinctIDsConcurrent(t *testing.T) {
	var inside atomic.Int32
	bothInside := make(chan struct{})
	srv := dedupServer(t, &errorLog{}, func(context.Context, Event) error {
		if inside.Add(1) == 2 {
			close(bothInside)
		}
		select {
		case <-bothInside:
			return nil
		case <-time.After(3 * time.Second):
			return errors.New("the other message never started")
		}
	})
	body := readFixture(t, "user.created.json")
	statuses := make(chan int, 2)
	for _, id := range []string{"msg_x", "msg_y"} {
		d := newDelivery(t, testSecret, id, testNow, body)
		go func() {
			rep, err := send(srv.Client(), http.MethodPost, srv.URL, bytes.NewReader(d.body), int64(len(d.body)), d.header)
			if err != nil {
				t.Error(err)
			}
			statuses <- rep.status
		}()
	}
	assert.Equal(t, http.StatusOK, <-statuses)
	assert.Equal(t, http.StatusOK, <-statuses)
}

// faultyDedup wraps a Deduplicator and fails the calls it is told to.
type faultyDedup struct {
	Deduplicator
	claimErr, completeErr, releaseErr error
}

func (f faultyDedup) Claim(ctx context.Context, id string) (ClaimState, error) {
	if f.claimErr != nil {
		return 0, f.claimErr
	}
	return f.Deduplicator.Claim(ctx, id)
}

func (f faultyDedup) Complete(ctx context.Context, id string) error {
	if f.completeErr != nil {
		return f.completeErr
	}
	return f.Deduplicator.Complete(ctx, id)
}

func (f faultyDedup) Release(ctx context.Context, id string) error {
	if f.releaseErr != nil {
		return f.releaseErr
	}
	return f.Deduplicator.Release(ctx, id)
}

func TestHandlerDedupStoreErrors(t *testing.T) {
	errStore := errors.New("dedup store unreachable")
	for _, tc := range []struct {
		name       string
		dedup      faultyDedup
		callback   func(c *recorder) func(context.Context, Event) error
		wantStatus int
		wantCalls  int
		wantErrs   []error // what each reported error wraps, in order
	}{
		{
			name:       "claim fails: not processed, retried",
			dedup:      faultyDedup{claimErr: errStore},
			callback:   func(c *recorder) func(context.Context, Event) error { return c.ok },
			wantStatus: http.StatusInternalServerError, wantCalls: 0, wantErrs: []error{errStore},
		},
		{
			name:       "complete fails: the work is done, 200",
			dedup:      faultyDedup{completeErr: errStore},
			callback:   func(c *recorder) func(context.Context, Event) error { return c.ok },
			wantStatus: http.StatusOK, wantCalls: 1, wantErrs: []error{errStore},
		},
		{
			name:     "release fails after a callback error",
			dedup:    faultyDedup{releaseErr: errStore},
			callback: func(c *recorder) func(context.Context, Event) error { return c.fail },
			// Two reports, each wrapping one sentinel: the release first.
			wantStatus: http.StatusInternalServerError, wantCalls: 1, wantErrs: []error{errStore, errCallback},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := &recorder{}
			log := &errorLog{}
			tc.dedup.Deduplicator = NewMemoryDeduplicator(0)
			h := NewHandler(testVerifier(t), WithDeduplicator(tc.dedup), WithErrorHandler(log.report))
			h.On(UserCreated, tc.callback(calls))
			srv := serve(t, h)
			rep := post(t, srv, newDelivery(t, testSecret, "msg_store", testNow, readFixture(t, "user.created.json")))
			assert.Equal(t, tc.wantStatus, rep.status)
			assertNoDetail(t, rep.body)
			assert.NotContains(t, rep.body, "unreachable")
			assert.Len(t, calls.seen(), tc.wantCalls)
			reported := log.all()
			require.Len(t, reported, len(tc.wantErrs))
			for i, want := range tc.wantErrs {
				assert.ErrorIs(t, reported[i], want)
				assertOneSentinel(t, reported[i])
				assert.Contains(t, reported[i].Error(), "msg_store")
				if want == errStore {
					assert.ErrorIs(t, reported[i], ErrDeduplicator)
				}
			}
		})
	}
}

// BenchmarkHandlerLoad drives a loopback server with many concurrent
// clients, each request a distinct reference-signed user.created delivery.
// "handler" is the Handler with a no-op callback; "bare" only reads the body,
// so the difference is what verification and dispatch cost under load.
func BenchmarkHandlerLoad(b *testing.B) {
	const pool = 4096
	body := readFixture(b, "user.created.json")
	deliveries := make([]delivery, pool)
	for i := range deliveries {
		deliveries[i] = newDelivery(b, testSecret, fmt.Sprintf("msg_load_%06d", i), testNow, body)
	}

	h := NewHandler(testVerifier(b), WithErrorHandler(func(_ *http.Request, err error) { b.Error(err) }))
	h.On(UserCreated, func(context.Context, Event) error { return nil })
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})

	for _, bc := range []struct {
		name    string
		handler http.Handler
	}{
		{"handler", h},
		{"bare", bare},
	} {
		b.Run(bc.name, func(b *testing.B) { runLoad(b, bc.handler, deliveries) })
	}
}

func runLoad(b *testing.B, h http.Handler, deliveries []delivery) {
	const parallelism = 16
	srv := httptest.NewServer(h)
	defer srv.Close()
	clients := parallelism * runtime.GOMAXPROCS(0)
	tr := &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}

	var next atomic.Int64
	var mu sync.Mutex
	latencies := make([]time.Duration, 0, b.N)

	b.SetParallelism(parallelism)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 256)
		for pb.Next() {
			d := deliveries[int(next.Add(1)-1)%len(deliveries)]
			req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(d.body))
			if err != nil {
				b.Error(err)
				return
			}
			req.Header = d.header.Clone()
			req.Header.Set("Content-Type", "application/json")
			t0 := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			local = append(local, time.Since(t0))
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
		mu.Lock()
		latencies = append(latencies, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()

	if len(latencies) == 0 {
		return
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	p99 := latencies[(len(latencies)*99+99)/100-1]
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
}
