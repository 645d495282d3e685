package clerkwebhook

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests where the connection itself is under test, so they go through a
// real loopback server and a real http.Client: what the server reads from
// the wire for a body over the limit (with a Content-Length and streamed),
// whether it closes the connection, and the memory that clients stalling
// mid-body cost it. Everything else about the Handler runs on a recorder
// (handler_test.go).

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
	return reply{status: resp.StatusCode, body: string(b), close: resp.Close}, nil
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

// netHTTPDrain is how much of an unread request body net/http's server
// reads after the handler returns (maxPostHandlerReadBytes).
const netHTTPDrain = 256 << 10

// A body over the limit with a Content-Length is refused from the header
// alone: the handler reads none of it, however large the declared body.
func TestHandlerBodyTooLargeContentLength(t *testing.T) {
	t.Parallel()
	const limit = 4 << 10
	for _, size := range []int64{limit + 1, 64 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			log := &errorLog{}
			calls := &recorder{}
			h := NewHandler(testVerifier(t, WithMaxBodyBytes(limit)), WithObserver(log.observe))
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
	t.Parallel()
	const limit = 64 << 10
	// Reading all of it would take seconds and break the bounds below.
	const streamSize = 1 << 30
	log := &errorLog{}
	calls := &recorder{}
	h := NewHandler(testVerifier(t, WithMaxBodyBytes(limit)), WithObserver(log.observe))
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

// Clients that declare a body at the limit, send a few bytes and stall must
// not cost the server the limit each: memory follows the bytes received.
func TestHandlerMemoryOnStalledBodies(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory distorts heap figures; the plain go test run checks this")
	}
	const conns = 200
	const budget = 16 << 20

	h := NewHandler(testVerifier(t), WithoutLog())
	h.On(UserCreated, func(_ context.Context, _ Event) error { return nil })
	var reading sync.WaitGroup
	reading.Add(conns)
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &signalOnRead{ReadCloser: r.Body, once: &sync.Once{}, done: reading.Done}
		h.ServeHTTP(w, r)
	}))
	addr := srv.Listener.Addr().String()

	before := heapInUse()
	clients := make([]net.Conn, 0, conns)
	t.Cleanup(func() {
		for _, c := range clients {
			c.Close()
		}
	})
	for i := 0; i < conns; i++ {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		clients = append(clients, c)
		_, err = fmt.Fprintf(c, "POST /webhooks/clerk HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
			"Content-Length: %d\r\nSvix-Id: msg_stall_%d\r\nSvix-Timestamp: %d\r\nSvix-Signature: v1,AAAA\r\n\r\n{\"ty",
			addr, DefaultMaxBodyBytes, i, testNow.Unix())
		require.NoError(t, err)
	}
	waitFor(t, &reading, 30*time.Second)
	grown := heapInUse() - before
	t.Logf("%d stalled bodies declaring %d bytes: heap grew by %.1f MiB (%.1f KiB per connection)",
		conns, DefaultMaxBodyBytes, float64(grown)/(1<<20), float64(grown)/conns/1024)
	assert.Less(t, grown, int64(budget), "heap growth for %d stalled connections", conns)
}

// signalOnRead calls done once, when the handler's first Read of the body
// returns: by then the handler has allocated whatever it allocates before
// reading.
type signalOnRead struct {
	io.ReadCloser
	once *sync.Once
	done func()
}

func (s *signalOnRead) Read(p []byte) (int, error) {
	n, err := s.ReadCloser.Read(p)
	s.once.Do(s.done)
	return n, err
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

func waitFor(t *testing.T, wg *sync.WaitGroup, limit time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("the server did not start reading every body within %v", limit)
	}
}

// A source outside the allowlist is refused before the body: the handler
// reads none of it, and the server stops taking a large one early.
func TestHandlerForbiddenSourceReadsNoBody(t *testing.T) {
	t.Parallel()
	const size = 64 << 20
	obs := &observed{}
	h := NewHandler(testVerifier(t), WithAllowedSources(SvixSourceIPs("us")...), WithObserver(obs.observe))
	calls := &recorder{}
	h.On(UserCreated, calls.ok)
	var read, wire atomic.Int64
	srv := serveCounting(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = countingBody{r.Body, &read}
		h.ServeHTTP(w, r)
	}), &wire)

	src := newEndless(size)
	rep, err := send(srv.Client(), http.MethodPost, srv.URL, src, size, signed(t, testSecret, "msg_far", testNow, []byte("unused")))
	require.NoError(t, err)
	assert.Equal(t, http.StatusForbidden, rep.status)
	assert.Equal(t, "forbidden\n", rep.body)
	assert.Zero(t, read.Load(), "the handler read the body of a forbidden source")
	assert.Empty(t, calls.seen())
	require.Len(t, obs.all(), 1)
	assert.ErrorIs(t, obs.all()[0].Err, ErrForbiddenSource)
	assert.Equal(t, netip.MustParseAddr("127.0.0.1"), obs.all()[0].Source)
	select {
	case <-src.closed:
	case <-time.After(10 * time.Second):
	}
	assert.Less(t, wire.Load(), int64(netHTTPDrain+64<<10), "the server read on from the wire")
	t.Logf("server read %d bytes from the wire of a %d-byte body; client produced %d", wire.Load(), size, src.produced.Load())
}
