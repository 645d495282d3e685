package fakeclerk

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
)

// Epoch is where the logical clock starts, in Unix milliseconds
// (2026-01-01T00:00:00Z). Generate places its records in the year before;
// every later change is stamped after it.
const Epoch int64 = 1767225600000

// A Server is a running test double of Clerk's Backend API, on a loopback
// port. Its methods are safe for concurrent use.
type Server struct {
	ts       *httptest.Server
	routes   *http.ServeMux
	key      string
	instance string
	now      func() time.Time
	closing  chan struct{}
	once     sync.Once

	mu         sync.Mutex
	rng        *rand.Rand
	clock      int64 // the last stamp handed out
	st         state
	log        []Request
	faults     []*Fault
	limiter    limiter
	beforePage func(Page)
}

// An Option configures New.
type Option func(*options)

type options struct {
	key  string
	seed uint64
	now  func() time.Time
}

// WithKey sets the secret key the server accepts instead of one made from
// the seed.
func WithKey(key string) Option { return func(o *options) { o.key = key } }

// WithSeed seeds the ids, the key and the instance id the server makes
// (default 1). Two servers with one seed, given the same calls in the same
// order, hold the same records.
func WithSeed(seed uint64) Option { return func(o *options) { o.seed = seed } }

// WithNow sets the wall clock the rate limit reads (default time.Now), so a
// test can move past a window without sleeping. Record stamps do not use
// it: they come from the logical clock (see Epoch).
func WithNow(now func() time.Time) Option { return func(o *options) { o.now = now } }

// New starts a server. Close it when done.
func New(opts ...Option) *Server {
	o := options{seed: 1, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{
		now:     o.now,
		closing: make(chan struct{}),
		rng:     rand.New(rand.NewPCG(o.seed, 0x5eed_c1e4)),
		clock:   Epoch,
		st:      newState(),
	}
	s.instance = newID(s.rng, "ins_", Epoch)
	s.key = o.key
	if s.key == "" {
		s.key = "sk_test_" + randomBase62(s.rng, 40)
	}
	s.routes = http.NewServeMux()
	s.routes.HandleFunc("GET /v1/users", s.listUsers)
	s.routes.HandleFunc("GET /v1/users/count", s.countUsers)
	s.routes.HandleFunc("GET /v1/users/{user_id}", s.getUser)
	s.routes.HandleFunc("GET /v1/users/{user_id}/organization_memberships", s.listUserMemberships)
	s.routes.HandleFunc("GET /v1/organizations", s.listOrganizations)
	s.routes.HandleFunc("GET /v1/organizations/{organization_id}", s.getOrganization)
	s.routes.HandleFunc("GET /v1/organizations/{organization_id}/memberships", s.listMemberships)
	s.routes.HandleFunc("GET /v1/organization_memberships", s.listInstanceMemberships)
	s.ts = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// Close stops the server. Requests held by a fault are dropped.
func (s *Server) Close() {
	s.once.Do(func() { close(s.closing) })
	s.ts.Close()
}

// URL is the API's base URL, with the /v1 that clerk.BackendConfig.URL
// expects (the SDK appends "/users", not "/v1/users").
func (s *Server) URL() string { return s.ts.URL + "/v1" }

// Key is the secret key requests must carry as "Authorization: Bearer <key>".
func (s *Server) Key() string { return s.key }

// InstanceID is the instance's id (ins_…), as webhook events carry it.
func (s *Server) InstanceID() string { return s.instance }

// Config returns a new client configuration for the SDK's clients
// (user.NewClient(srv.Config()), organization.NewClient(…), …) with the
// server's URL and key and the SDK's default HTTP client, whose timeout is
// 5 seconds.
func (s *Server) Config() *clerk.ClientConfig {
	u, k := s.URL(), s.key
	return &clerk.ClientConfig{BackendConfig: clerk.BackendConfig{URL: &u, Key: &k}}
}

// A Request is one request the server received.
type Request struct {
	Method string
	Path   string // as sent, /v1/users/user_2x…
	Query  url.Values
	// Route is the endpoint's pattern, "GET /v1/users/{user_id}", or ""
	// when no endpoint matched.
	Route string
	// Status is the status answered, or 0 while the request is held, when
	// its connection was dropped, or when the client gave up first.
	Status int
}

// Requests returns the requests received so far, oldest first, every one
// counted: those answered 401, 429 or by a fault too.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.log))
	copy(out, s.log)
	return out
}

// RequestCount returns how many requests were received that match key: an
// endpoint's pattern ("GET /v1/users/{user_id}"), a request line without
// the query ("GET /v1/users/user_2x…"), or "" for all of them.
func (s *Server) RequestCount(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if key == "" {
		return len(s.log)
	}
	n := 0
	for _, r := range s.log {
		if r.Route == key || r.Method+" "+r.Path == key {
			n++
		}
	}
	return n
}

// A Page describes a list page about to be served, for a BeforePage hook.
type Page struct {
	Path          string // /v1/users, /v1/organizations/org_…/memberships, …
	Offset, Limit int
}

// BeforePage sets a hook called before each list page is computed, after
// the request passed authentication and the rate limit, outside the
// server's lock: it may change records (PutUser, DeleteUser, …) to model
// changes made while a client pages through a list. nil removes it.
func (s *Server) BeforePage(hook func(Page)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beforePage = hook
}

func (s *Server) runBeforePage(p Page) {
	s.mu.Lock()
	hook := s.beforePage
	s.mu.Unlock()
	if hook != nil {
		hook(p)
	}
}

// serveHTTP answers one request. The order of the checks: faults first, as
// they model failures in front of the API (a proxy, the network); then the
// key, then the rate limit, which Clerk counts per instance, so only once it
// knows the instance; then the endpoint.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	_, route := s.routes.Handler(r)
	sw := &statusWriter{ResponseWriter: w, srv: s, i: s.record(r, route)}

	if f, ok := s.takeFault(r.URL.Path); ok && s.applyFault(w, sw, r, f) {
		return
	}
	if !s.authenticate(sw, r) {
		return
	}
	if wait, ok := s.admit(); !ok {
		secs := int64((wait + time.Second - 1) / time.Second)
		sw.Header().Set("Retry-After", fmt.Sprint(max(secs, 1)))
		writeError(sw, errTooManyRequests())
		return
	}
	if route == "" {
		get := r.Clone(r.Context())
		get.Method = http.MethodGet
		if _, p := s.routes.Handler(get); p != "" {
			writeError(sw, &apiError{status: http.StatusMethodNotAllowed, code: "fakeclerk_unsupported",
				message: "method not supported", long: "fakeclerk serves only GET requests; change state with its Go methods"})
			return
		}
		writeError(sw, &apiError{status: http.StatusNotFound, code: "resource_not_found",
			message: "not found", long: "Resource not found"})
		return
	}
	s.routes.ServeHTTP(sw, r)
}

func (s *Server) record(r *http.Request, route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Route: route})
	return len(s.log) - 1
}

func (s *Server) setStatus(i, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log[i].Status = status
}

func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	const prefix = "Bearer "
	if len(h) <= len(prefix) || h[:len(prefix)] != prefix {
		writeError(w, &apiError{status: http.StatusUnauthorized, code: "authorization_header_format_invalid",
			message: "Invalid Authorization header format",
			long:    "Invalid Authorization header format. Must be 'Bearer <YOUR_API_KEY>'"})
		return false
	}
	if h[len(prefix):] != s.key {
		const msg = "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct."
		writeError(w, &apiError{status: http.StatusUnauthorized, code: "clerk_key_invalid", message: msg, long: msg})
		return false
	}
	return true
}

// statusWriter puts the status in the request log as it is written, before
// the client can read the answer.
type statusWriter struct {
	http.ResponseWriter
	srv    *Server
	i      int // in srv.log
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
		w.srv.setStatus(w.i, status)
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}
