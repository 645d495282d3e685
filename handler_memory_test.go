package clerkwebhook

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Clients that declare a body at the limit, send a few bytes and stall must
// not cost the server the limit each: memory follows the bytes received.
func TestHandlerMemoryOnStalledBodies(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory distorts heap figures; the plain go test run checks this")
	}
	const conns = 200
	const budget = 16 << 20

	h := NewHandler(testVerifier(t), WithErrorHandler(func(*http.Request, error) {}))
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
