package clerksync

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// A Mirror is a database's copy of one Clerk instance's users,
// organizations and organization memberships: kept current by webhook
// events (Register), made complete by reconciling with the Backend API
// (Reconcile), and read with User, LookupUser, Organization and Members.
// Its methods are safe for concurrent use, and several Mirrors (in one
// process or several) may share one database.
type Mirror struct {
	db      *sql.DB
	dialect Dialect
	logger  *slog.Logger
	api     *api // nil without a secret key
	apiURL  string
	lookups *lookups
	now     func() time.Time
	// leaseTTL is how long a reconcile's lease lasts without renewal.
	leaseTTL time.Duration
}

// An Option configures New.
type Option func(*options)

type options struct {
	key        string
	apiURL     string
	transport  http.RoundTripper
	rate       int
	per        time.Duration
	retryLimit time.Duration
	logger     *slog.Logger
}

// WithSecretKey gives the Mirror the instance's Backend API secret key
// (sk_live_… or sk_test_…, the CLERK_SECRET_KEY of Clerk's documentation),
// which Reconcile and LookupUser's fetch need. Without it, or with "", the
// Mirror follows webhooks only: Reconcile returns ErrNoSecretKey and
// LookupUser reads the mirror alone. The key is sent to the API URL and
// nowhere else, and never appears in an error or a log line.
func WithSecretKey(key string) Option { return func(o *options) { o.key = key } }

// WithAPIURL sets the Backend API's base URL, with its version path
// (default APIURL, https://api.clerk.com/v1): a proxy of your own, or a
// test double. A URL that is not an absolute http or https URL panics.
func WithAPIURL(u string) Option {
	if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		panic(fmt.Sprintf("clerksync: WithAPIURL(%q): want an absolute http(s) URL such as %s", redactURL(u), APIURL))
	}
	return func(o *options) { o.apiURL = strings.TrimRight(u, "/") }
}

// WithTransport sets the http.RoundTripper the Backend API requests go
// through (default http.DefaultTransport). The Mirror's pacing, retries and
// timeouts wrap it. A nil rt panics.
func WithTransport(rt http.RoundTripper) Option {
	if rt == nil {
		panic("clerksync: WithTransport(nil)")
	}
	return func(o *options) { o.transport = rt }
}

// WithRequestRate makes the Mirror start its requests to the Backend API
// at least per/n apart, so at most n in any period per (default
// DefaultRequestsPer10s per 10 seconds: one every 125 ms), Reconcile's and
// LookupUser's together. Clerk's limit is per instance, over every client
// of it; evenly spaced requests leave room for the others'. A rate that is
// not positive panics.
func WithRequestRate(n int, per time.Duration) Option {
	if n <= 0 || per <= 0 || per/time.Duration(n) <= 0 {
		panic(fmt.Sprintf("clerksync: WithRequestRate(%d, %v): the rate must be positive", n, per))
	}
	return func(o *options) { o.rate, o.per = n, per }
}

// WithRetryLimit sets how long a request to the Backend API is retried
// after 5xx answers, 429s and network errors before it fails with
// ErrUnavailable (default DefaultRetryLimit, two minutes). A limit of zero
// or less panics.
func WithRetryLimit(d time.Duration) Option {
	if d <= 0 {
		panic("clerksync: WithRetryLimit(" + d.String() + "): the limit must be positive")
	}
	return func(o *options) { o.retryLimit = d }
}

// WithLogger sets where the Mirror logs what it does not return as an
// error: a reconcile's start and end, a lookup that failed, a row it cannot
// ask Clerk about (default: nowhere). A nil l panics.
func WithLogger(l *slog.Logger) Option {
	if l == nil {
		panic("clerksync: WithLogger(nil) (to log nothing, leave it out)")
	}
	return func(o *options) { o.logger = l }
}

// New returns the Mirror in db, whose SQL dialect is d. Create its tables
// first with Migrate. It returns an error only for a secret key that cannot
// be one (white space in it); as everywhere in this repository, what is
// written in the program and can never work panics: a nil db, an unknown
// dialect, an option given a value it cannot use.
//
// On SQLite, open db with a busy timeout and immediate transactions, in WAL
// mode, so that a reconcile and a server can share the file
// (modernc.org/sqlite: "file:mirror.db?_journal_mode=WAL&_busy_timeout=5000&_txlock=immediate").
func New(db *sql.DB, d Dialect, opts ...Option) (*Mirror, error) {
	if db == nil {
		panic("clerksync: New: nil *sql.DB")
	}
	d.mustBeValid("New")
	o := options{apiURL: APIURL, rate: DefaultRequestsPer10s, per: 10 * time.Second, retryLimit: DefaultRetryLimit,
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)), transport: http.DefaultTransport}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if strings.ContainsAny(o.key, " \t\r\n") {
		return nil, errors.New("clerksync: the secret key has white space in it")
	}
	m := &Mirror{db: db, dialect: d, logger: o.logger, apiURL: o.apiURL, now: time.Now, leaseTTL: leaseTTL, lookups: newLookups()}
	if o.key != "" {
		m.api = newAPI(o.key, m.apiURL, o.transport, newPacer(o.rate, o.per), o.retryLimit)
	}
	return m, nil
}

// HasAPI reports whether the Mirror has a secret key: whether Reconcile and
// LookupUser's fetch work.
func (m *Mirror) HasAPI() bool { return m.api != nil }

// APIURL returns the Backend API's base URL the Mirror uses.
func (m *Mirror) APIURL() string { return m.apiURL }
