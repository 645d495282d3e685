package fakeclerk

import (
	"net/http"
	"strings"
	"time"
)

// A Fault is a failure Fail queues for the next requests under a path.
// Its zero value (beyond Path and Times) does nothing; set Status, Drop or
// Hold.
type Fault struct {
	// Path is the prefix of the request paths it applies to, such as
	// "/v1/users" (which also matches /v1/users/count and
	// /v1/users/{id}) or "/v1/organizations/org_…/memberships"; "" matches
	// every path.
	Path string
	// Times is how many matching requests it applies to; 0 means 1.
	Times int

	// Hold, when not nil, holds each request until the channel is closed,
	// the client gives up (its context ends) or the server closes. A
	// request let go by the channel then gets the rest of the fault, or the
	// normal answer when Status and Drop are unset; one whose client gave
	// up or whose server closed has its connection dropped. A channel that
	// is never closed makes requests hang.
	Hold <-chan struct{}
	// Drop closes the connection without answering. Go's HTTP client
	// retries an idempotent request once when a kept-alive connection is
	// dropped before any answer, so a single dropped GET may go unnoticed
	// by the client; Times: 2 surfaces an error.
	Drop bool
	// Status, when not 0, is the status answered, with Header and Body.
	// An empty Body is Clerk's error JSON for the status
	// (internal_clerk_error for a 5xx); set Body to answer anything else:
	// a proxy's HTML page, invalid JSON or JSON of the wrong shape with
	// status 200.
	Status int
	Header http.Header
	Body   string
}

// Fail queues f: the next f.Times requests whose path starts with f.Path
// get it. Faults are taken in the order they were queued; a request takes
// at most one.
func (s *Server) Fail(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

func (s *Server) takeFault(path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if !strings.HasPrefix(path, f.Path) {
			continue
		}
		f.Times--
		if f.Times == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return *f, true
	}
	return Fault{}, false
}

// applyFault applies f and reports whether it answered the request. w is
// the connection's own writer, for hijacking; sw wraps it for the log.
func (s *Server) applyFault(w http.ResponseWriter, sw *statusWriter, r *http.Request, f Fault) bool {
	if f.Hold != nil {
		select {
		case <-f.Hold:
		case <-r.Context().Done():
			drop(w)
			return true
		case <-s.closing:
			drop(w)
			return true
		}
	}
	switch {
	case f.Drop:
		drop(w)
		return true
	case f.Status != 0:
		for k, v := range f.Header {
			sw.Header()[k] = v
		}
		if f.Body == "" {
			writeError(sw, errForStatus(f.Status))
			return true
		}
		sw.WriteHeader(f.Status)
		_, _ = sw.Write([]byte(f.Body))
		return true
	}
	return false
}

// drop closes the request's connection without an answer.
func drop(w http.ResponseWriter) {
	c, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable: aborting the handler closes the connection
		// (HTTP/1) or resets the stream (HTTP/2) without an answer.
		panic(http.ErrAbortHandler)
	}
	_ = c.Close()
}

// RateLimit makes the server admit at most n requests per window, over a
// sliding window, and answer the others 429 with Retry-After (the whole
// seconds until the oldest admitted request leaves the window, at least 1)
// and Clerk's too_many_requests error. Clerk allows 100 requests per 10
// seconds to a development instance, 1000 to a production one. n <= 0
// turns the limit off, which is the default. It starts a new window.
func (s *Server) RateLimit(n int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limiter = limiter{n: n, window: window}
}

// limiter is a sliding-window log of admitted requests.
type limiter struct {
	n      int
	window time.Duration
	times  []time.Time
}

// admit reports whether a request is admitted now, and if not how long
// until one would be.
func (s *Server) admit() (time.Duration, bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &s.limiter
	if l.n <= 0 {
		return 0, true
	}
	gone := 0
	for gone < len(l.times) && !l.times[gone].After(now.Add(-l.window)) {
		gone++
	}
	l.times = append(l.times[:0], l.times[gone:]...)
	if len(l.times) >= l.n {
		return l.times[0].Add(l.window).Sub(now), false
	}
	l.times = append(l.times, now)
	return 0, true
}
