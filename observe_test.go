package clerkwebhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The observer (one Delivery per request, every outcome) and the source
// allowlist with trusted proxies.

type observed struct {
	mu sync.Mutex
	ds []Delivery
}

func (o *observed) observe(_ *http.Request, d Delivery) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ds = append(o.ds, d)
}

func (o *observed) all() []Delivery {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Delivery(nil), o.ds...)
}

// Every row of the Handler's status table gives exactly one Delivery, with
// the fields that row knows.
func TestObserverSeesEveryOutcome(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "user.created.json")
	svix := netip.MustParseAddr("44.228.126.217")
	errBad := errors.New("bad data")
	cases := []struct {
		name      string
		opts      []HandlerOption
		verifier  []Option
		callback  Callback
		request   func(t *testing.T) *http.Request
		before    func(h *Handler) // deliveries made before the one observed
		status    int
		id        string
		typ       EventType
		duplicate bool
		source    netip.Addr
		err       error
	}{
		{name: "processed", status: 200, id: "msg_o", typ: UserCreated, source: svix},
		{name: "no callback for the type", status: 200, id: "msg_o", typ: SessionCreated, source: svix,
			request: func(t *testing.T) *http.Request {
				b := readFixture(t, "session.created.json")
				return newDelivery(t, testSecret, "msg_o", testNow, b).incoming()
			}},
		{name: "duplicate", opts: []HandlerOption{WithDeduplicator(NewMemoryDeduplicator())},
			before: func(h *Handler) { record(h, newDelivery(t, testSecret, "msg_o", testNow, body)) },
			status: 200, id: "msg_o", typ: UserCreated, duplicate: true, source: svix},
		{name: "forged", status: 400, id: "msg_o", source: svix, err: ErrNoMatchingSignature,
			request: func(t *testing.T) *http.Request {
				return newDelivery(t, otherSecret, "msg_o", testNow, body).incoming()
			}},
		{name: "no headers", status: 400, source: svix, err: ErrMissingHeader,
			request: func(t *testing.T) *http.Request {
				return httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			}},
		{name: "forbidden source", opts: []HandlerOption{WithAllowedSources(SvixSourceIPs("eu")...)},
			status: 403, source: svix, err: ErrForbiddenSource},
		{name: "GET", status: 405, source: svix, err: ErrMethodNotAllowed,
			request: func(t *testing.T) *http.Request { return httptest.NewRequest(http.MethodGet, "/", nil) }},
		{name: "in progress", opts: []HandlerOption{WithDeduplicator(inProgress{})},
			status: 409, id: "msg_o", typ: UserCreated, source: svix, err: ErrInProgress},
		{name: "too large", verifier: []Option{WithMaxBodyBytes(100)}, status: 413, id: "msg_o", source: svix, err: ErrBodyTooLarge},
		{name: "permanent", callback: func(context.Context, Event) error { return Permanent(errBad) },
			status: 422, id: "msg_o", typ: UserCreated, source: svix, err: ErrPermanent},
		{name: "callback error", callback: func(context.Context, Event) error { return errBad },
			status: 500, id: "msg_o", typ: UserCreated, source: svix, err: ErrCallback},
		{name: "body cut short", status: 500, id: "msg_o", source: svix, err: ErrBodyIncomplete,
			request: func(t *testing.T) *http.Request {
				r := newDelivery(t, testSecret, "msg_o", testNow, body).incoming()
				r.Body, r.ContentLength = io.NopCloser(failingReader{}), -1
				return r
			}},
		{name: "callback panic", callback: func(context.Context, Event) error { panic("boom") },
			status: 500, id: "msg_o", typ: UserCreated, source: svix, err: ErrCallback},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obs := &observed{}
			h := NewHandler(testVerifier(t, tc.verifier...), append([]HandlerOption{WithObserver(obs.observe)}, tc.opts...)...)
			cb := tc.callback
			if cb == nil {
				cb = func(context.Context, Event) error { return nil }
			}
			h.On(UserCreated, cb)
			if tc.before != nil {
				tc.before(h)
			}
			var r *http.Request
			if tc.request != nil {
				r = tc.request(t)
			} else {
				r = newDelivery(t, testSecret, "msg_o", testNow, body).incoming()
			}
			r.RemoteAddr = "44.228.126.217:41000"
			rec := httptest.NewRecorder()
			start := time.Now()
			h.ServeHTTP(rec, r)
			took := time.Since(start)

			ds := obs.all()
			if tc.before != nil {
				ds = ds[1:]
			}
			require.Len(t, ds, 1, "one Delivery per request")
			d := ds[0]
			assert.Equal(t, tc.status, rec.Code)
			assert.Equal(t, tc.status, d.Status)
			assert.Equal(t, tc.id, d.MessageID)
			assert.Equal(t, tc.typ, d.Type)
			assert.Equal(t, tc.duplicate, d.Duplicate)
			assert.Equal(t, tc.source, d.Source)
			if tc.err == nil {
				assert.NoError(t, d.Err)
			} else {
				assert.ErrorIs(t, d.Err, tc.err)
			}
			assert.False(t, d.Received.IsZero())
			assert.True(t, d.Duration > 0 && d.Duration <= took, "duration %v of %v", d.Duration, took)
			assert.NotContains(t, strings.ToLower(fmtDelivery(d)), strings.ToLower(testSecret[6:]))
		})
	}
}

func fmtDelivery(d Delivery) string {
	var b strings.Builder
	b.WriteString(d.MessageID)
	if d.Err != nil {
		b.WriteString(d.Err.Error())
	}
	return b.String()
}

// inProgress is a Deduplicator for which every message is being processed
// elsewhere.
type inProgress struct{}

func (inProgress) Claim(context.Context, string) (ClaimState, error) { return InProgress, nil }
func (inProgress) Complete(context.Context, string) error            { return nil }
func (inProgress) Release(context.Context, string) error             { return nil }

// A callback that ends the request without an answer is observed too.
func TestObserverSeesAnAbortedRequest(t *testing.T) {
	t.Parallel()
	obs := &observed{}
	h := NewHandler(testVerifier(t), WithObserver(obs.observe))
	h.On(UserCreated, func(context.Context, Event) error { runtime.Goexit(); return nil })
	_, ended := serveAsync(t, h, "msg_gone", readFixture(t, "user.created.json"))
	<-ended
	ds := obs.all()
	require.Len(t, ds, 1)
	assert.Equal(t, 0, ds[0].Status)
	assert.ErrorIs(t, ds[0].Err, ErrCallback)
	assert.Equal(t, "msg_gone", ds[0].MessageID)
}

// Observers add to the log and to each other: a wrong-secret delivery is
// logged with an observer set, every observer sees it, in order, and a
// failed Complete reaches them too, behind a 200. WithoutLog turns the log
// off alone; WithLogger sends it elsewhere.
func TestObserversAddToTheLog(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "user.created.json")
	var logged bytes.Buffer
	var order []string
	first, second := &observed{}, &observed{}
	failComplete := faultyDedup{Deduplicator: NewMemoryDeduplicator(), completeErr: errors.New("store down")}
	h := NewHandler(testVerifier(t),
		WithLogger(slog.New(slog.NewTextHandler(&logged, nil))),
		WithObserver(func(r *http.Request, d Delivery) { order = append(order, "first"); first.observe(r, d) }),
		WithDeduplicator(failComplete),
		WithObserver(func(r *http.Request, d Delivery) { order = append(order, "second"); second.observe(r, d) }))
	h.On(UserCreated, func(context.Context, Event) error { return nil })

	assert.Equal(t, 400, record(h, newDelivery(t, otherSecret, "msg_f", testNow, body)).Code)
	assert.Contains(t, logged.String(), "level=WARN")
	assert.Contains(t, logged.String(), "no matching signature", "an observer silenced the log")
	assert.Equal(t, []string{"first", "second"}, order)

	logged.Reset()
	assert.Equal(t, 200, record(h, newDelivery(t, testSecret, "msg_c", testNow, body)).Code)
	assert.Contains(t, logged.String(), "level=ERROR")
	assert.Contains(t, logged.String(), "store down", "a failed Complete went unlogged")
	for _, obs := range []*observed{first, second} {
		ds := obs.all()
		require.Len(t, ds, 2)
		assert.ErrorIs(t, ds[0].Err, ErrNoMatchingSignature)
		assert.Nil(t, ds[0].DedupErr)
		assert.True(t, ds[0].Failed())
		assert.Equal(t, 200, ds[1].Status, "the status is what Svix saw")
		assert.NoError(t, ds[1].Err)
		assert.ErrorIs(t, ds[1].DedupErr, ErrDeduplicator)
		assert.ErrorContains(t, ds[1].DedupErr, "complete for message msg_c: store down")
		assert.True(t, ds[1].Failed())
	}

	// WithoutLog: the observer still sees the failure; nothing is logged,
	// whatever the order of the options.
	logged.Reset()
	quiet := &observed{}
	h = NewHandler(testVerifier(t), WithoutLog(), WithLogger(slog.New(slog.NewTextHandler(&logged, nil))), WithObserver(quiet.observe))
	record(h, newDelivery(t, otherSecret, "msg_q", testNow, body))
	h = NewHandler(testVerifier(t), WithLogger(slog.New(slog.NewTextHandler(&logged, nil))), WithoutLog())
	record(h, newDelivery(t, otherSecret, "msg_q", testNow, body))
	assert.Empty(t, logged.String())
	require.Len(t, quiet.all(), 1)
	assert.ErrorIs(t, quiet.all()[0].Err, ErrNoMatchingSignature)
}

// A failed Release, after a failed callback, reaches the observer beside
// the callback's error; the status stays 500.
func TestObserverSeesFailedRelease(t *testing.T) {
	t.Parallel()
	obs := &observed{}
	failRelease := faultyDedup{Deduplicator: NewMemoryDeduplicator(), releaseErr: errors.New("store down")}
	h := NewHandler(testVerifier(t), WithoutLog(), WithDeduplicator(failRelease), WithObserver(obs.observe))
	h.On(UserCreated, func(context.Context, Event) error { return errCallback })
	assert.Equal(t, 500, record(h, newDelivery(t, testSecret, "msg_r", testNow, readFixture(t, "user.created.json"))).Code)
	ds := obs.all()
	require.Len(t, ds, 1)
	assert.ErrorIs(t, ds[0].Err, errCallback)
	assert.ErrorIs(t, ds[0].DedupErr, ErrDeduplicator)
	assert.ErrorContains(t, ds[0].DedupErr, "release for message msg_r: store down")
}

// The exact list per region: Svix's webhook-ips.json as of 2026-07-02, with
// India gone (withdrawn 2026-04-03).
func TestSvixSourceIPs(t *testing.T) {
	t.Parallel()
	want := map[string][]string{
		"us":      {"44.228.126.217/32", "50.112.21.217/32", "52.24.126.164/32", "54.148.139.208/32", "2600:1f24:64:8000::/56"},
		"us-east": {"54.164.207.221/32", "54.90.7.123/32", "2600:1f28:37:4000::/56"},
		"eu":      {"52.215.16.239/32", "54.216.8.72/32", "63.33.109.123/32", "2a05:d028:17:8000::/56"},
		"au":      {"13.239.204.236/32", "54.66.246.217/32", "54.252.65.96/32", "2406:da2c:13:4000::/56"},
		"ca":      {"52.60.44.49/32", "3.98.68.230/32", "3.96.105.27/32", "2600:1f21:1c:4000::/56"},
	}
	var all []string
	for _, r := range []string{"au", "ca", "eu", "us", "us-east"} {
		var got []string
		for _, p := range SvixSourceIPs(r) {
			got = append(got, p.String())
		}
		assert.Equal(t, want[r], got, "region %s", r)
		all = append(all, got...)
	}
	var got []string
	for _, p := range SvixSourceIPs() {
		got = append(got, p.String())
	}
	assert.Equal(t, all, got, "every region, sorted by name")
	assert.Len(t, SvixSourceIPs("us", "eu"), 9)
	assert.PanicsWithValue(t, `clerkwebhook: SvixSourceIPs("in"): unknown region; the regions are au, ca, eu, us, us-east`,
		func() { SvixSourceIPs("in") })
	assert.PanicsWithValue(t, `clerkwebhook: SvixSourceIPs("mars"): unknown region; the regions are au, ca, eu, us, us-east`,
		func() { SvixSourceIPs("mars") })
	assert.Panics(t, func() { WithAllowedSources() })
	assert.Panics(t, func() { WithTrustedProxies() })
	assert.Panics(t, func() { WithAllowedSources(netip.Prefix{}) })
	assert.Panics(t, func() { WithObserver(nil) })
}

// The client address: the peer, unless the peer is a trusted proxy; then
// the forwarded address, walked from the right past trusted hops.
func TestAllowedSources(t *testing.T) {
	t.Parallel()
	lb := netip.MustParsePrefix("10.0.0.0/8")
	v6lb := netip.MustParsePrefix("fd00::/8")
	cases := []struct {
		name    string
		trusted []netip.Prefix
		peer    string
		header  http.Header
		status  int
		source  string // "" for none
	}{
		{"Svix directly", nil, "44.228.126.217:5000", nil, 200, "44.228.126.217"},
		{"another address directly", nil, "198.51.100.7:5000", nil, 403, "198.51.100.7"},
		{"IPv4-mapped peer", nil, "[::ffff:44.228.126.217]:5000", nil, 200, "44.228.126.217"},
		{"Svix over IPv6", nil, "[2600:1f24:64:8000::17]:5000", nil, 200, "2600:1f24:64:8000::17"},
		{"spoofed X-Forwarded-For from an untrusted peer", nil, "198.51.100.7:5000",
			http.Header{"X-Forwarded-For": {"44.228.126.217"}}, 403, "198.51.100.7"},
		{"spoofed Forwarded from an untrusted peer", []netip.Prefix{lb}, "198.51.100.7:5000",
			http.Header{"Forwarded": {"for=44.228.126.217"}}, 403, "198.51.100.7"},
		{"Svix through a trusted proxy", []netip.Prefix{lb}, "10.1.2.3:5000",
			http.Header{"X-Forwarded-For": {"44.228.126.217"}}, 200, "44.228.126.217"},
		{"another address through a trusted proxy", []netip.Prefix{lb}, "10.1.2.3:5000",
			http.Header{"X-Forwarded-For": {"198.51.100.7"}}, 403, "198.51.100.7"},
		{"client-supplied hop left of the proxy's", []netip.Prefix{lb}, "10.1.2.3:5000",
			http.Header{"X-Forwarded-For": {"44.228.126.217, 198.51.100.7"}}, 403, "198.51.100.7"},
		{"two trusted hops", []netip.Prefix{lb}, "10.1.2.3:5000",
			http.Header{"X-Forwarded-For": {"198.51.100.7, 44.228.126.217, 10.9.9.9"}}, 200, "44.228.126.217"},
		{"hops over two header lines", []netip.Prefix{lb}, "10.1.2.3:5000",
			http.Header{"X-Forwarded-For": {"198.51.100.7", "44.228.126.217"}}, 200, "44.228.126.217"},
		{"IPv4-mapped forwarded address", []netip.Prefix{lb}, "10.1.2.3:5000",
			http.Header{"X-Forwarded-For": {"::ffff:44.228.126.217"}}, 200, "44.228.126.217"},
		{"Forwarded, IPv6 with port", []netip.Prefix{v6lb}, "[fd00::1]:5000",
			http.Header{"Forwarded": {`for="[2600:1f24:64:8000::17]:4711";proto=https`}}, 200, "2600:1f24:64:8000::17"},
		{"Forwarded, several elements", []netip.Prefix{lb}, "10.1.2.3:5000",
			http.Header{"Forwarded": {`for=198.51.100.7, for=44.228.126.217;by=10.1.2.3`}}, 200, "44.228.126.217"},
		{"the proxy itself, no header", []netip.Prefix{lb}, "10.1.2.3:5000", nil, 403, "10.1.2.3"},
		{"malformed X-Forwarded-For from a trusted proxy", []netip.Prefix{lb}, "10.1.2.3:5000",
			http.Header{"X-Forwarded-For": {"44.228.126.217, not-an-ip"}}, 403, ""},
		{"empty hop from a trusted proxy", []netip.Prefix{lb}, "10.1.2.3:5000",
			http.Header{"X-Forwarded-For": {"44.228.126.217,"}}, 403, ""},
		{"Forwarded unknown", []netip.Prefix{lb}, "10.1.2.3:5000",
			http.Header{"Forwarded": {"for=unknown"}}, 403, ""},
		{"Forwarded without for=", []netip.Prefix{lb}, "10.1.2.3:5000",
			http.Header{"Forwarded": {"proto=https"}}, 403, ""},
		{"both headers from a trusted proxy", []netip.Prefix{lb}, "10.1.2.3:5000",
			http.Header{"X-Forwarded-For": {"44.228.126.217"}, "Forwarded": {"for=44.228.126.217"}}, 403, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obs := &observed{}
			rec := serveFrom(t, SvixSourceIPs("us"), tc.trusted, tc.peer, tc.header, WithObserver(obs.observe))
			assert.Equal(t, tc.status, rec.Code)
			require.Len(t, obs.all(), 1)
			d := obs.all()[0]
			if tc.source == "" {
				assert.False(t, d.Source.IsValid(), "source %v", d.Source)
			} else {
				assert.Equal(t, netip.MustParseAddr(tc.source), d.Source)
			}
			if tc.status == 403 {
				assert.ErrorIs(t, d.Err, ErrForbiddenSource)
				assert.Equal(t, "forbidden\n", rec.Body.String())
			}
		})
	}
}

// Without an error handler or an observer, failures are logged: a rejected
// delivery as a warning with its message id when it has one, a failed
// callback or store as an error, with what identifies the message.
func TestDefaultLogging(t *testing.T) {
	var logged bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	body := readFixture(t, "user.created.json")
	line := func(d delivery, h http.Handler) string {
		logged.Reset()
		record(h, d)
		return logged.String()
	}

	h := NewHandler(testVerifier(t))
	h.On(UserCreated, func(context.Context, Event) error { return errCallback })
	forged := line(newDelivery(t, otherSecret, "msg_forged", testNow, body), h)
	assert.Contains(t, forged, "level=WARN")
	assert.Contains(t, forged, "message_id=msg_forged")
	assert.Contains(t, forged, "path=/")

	unsigned := line(delivery{body: body, header: http.Header{}}, h)
	assert.Contains(t, unsigned, "level=WARN")
	assert.NotContains(t, unsigned, "message_id", "a message id logged for a delivery without one")

	failed := line(newDelivery(t, testSecret, "msg_failed", testNow, body), h)
	assert.Contains(t, failed, "level=ERROR")
	assert.Contains(t, failed, "message_id=msg_failed")
	assert.Contains(t, failed, "event_type=user.created")

	h = NewHandler(testVerifier(t), WithDeduplicator(faultyDedup{Deduplicator: NewMemoryDeduplicator(), claimErr: errors.New("store down")}))
	h.On(UserCreated, func(context.Context, Event) error { return nil })
	store := line(newDelivery(t, testSecret, "msg_store", testNow, body), h)
	assert.Contains(t, store, "level=ERROR")
	assert.Contains(t, store, "store down")
}

// The edges of the client address and of the allowlist: IPv4-mapped
// prefixes, bare and unusable peer addresses, bracketed and zoned forwarded
// addresses, and the syntax of Forwarded (RFC 7239): quoting, escapes,
// empty pairs, case, and for= repeated.
func TestAllowedSourcesEdges(t *testing.T) {
	t.Parallel()
	svix := SvixSourceIPs("us")
	lb := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	mapped := []netip.Prefix{netip.MustParsePrefix("::ffff:198.51.100.0/120")}
	allIPv4 := []netip.Prefix{netip.MustParsePrefix("::ffff:0.0.0.0/96")}
	fwd := func(v string) http.Header { return http.Header{"Forwarded": {v}} }
	cases := []struct {
		name    string
		allowed []netip.Prefix
		trusted []netip.Prefix
		peer    string
		header  http.Header
		status  int
	}{
		{"IPv4-mapped prefix, address inside", mapped, nil, "198.51.100.7:1", nil, 200},
		{"IPv4-mapped prefix, address outside", mapped, nil, "198.51.101.7:1", nil, 403},
		{"IPv4-mapped prefix of every IPv4 address", allIPv4, nil, "203.0.113.9:1", nil, 200},
		{"IPv4-mapped prefix of every IPv4 address, an IPv6 peer", allIPv4, nil, "[2001:db8::1]:1", nil, 403},
		{"bare peer address", svix, nil, "44.228.126.217", nil, 200},
		{"unusable peer address", svix, nil, "somewhere:1", nil, 403},
		{"empty peer address", svix, nil, "", nil, 403},
		{"bracketed IPv6 hop without a port", svix, lb, "10.1.2.3:1",
			http.Header{"X-Forwarded-For": {"[2600:1f24:64:8000::17]"}}, 200},
		{"IPv4 hop with a port", svix, lb, "10.1.2.3:1",
			http.Header{"X-Forwarded-For": {"44.228.126.217:4711"}}, 200},
		{"zoned hop with a port", svix, lb, "10.1.2.3:1",
			http.Header{"X-Forwarded-For": {"[fe80::1%eth0]:4711"}}, 403},
		{"zoned hop, bare", svix, lb, "10.1.2.3:1",
			http.Header{"X-Forwarded-For": {"fe80::1%eth0"}}, 403},
		{"zoned hop, bracketed without a port", svix, lb, "10.1.2.3:1",
			http.Header{"X-Forwarded-For": {"[fe80::1%eth0]"}}, 403},
		{"zoned hop, bare, in an allowed prefix", []netip.Prefix{netip.MustParsePrefix("fe80::/10")}, lb, "10.1.2.3:1",
			http.Header{"X-Forwarded-For": {"fe80::1%eth0"}}, 403},
		{"zoned hop in Forwarded", svix, lb, "10.1.2.3:1", fwd(`for="[fe80::1%25eth0]"`), 403},
		{"zoned link-local peer, its zone dropped", []netip.Prefix{netip.MustParsePrefix("fe80::/10")}, nil, "[fe80::1%eth0]:1", nil, 200},
		{"half-bracketed hop", svix, lb, "10.1.2.3:1",
			http.Header{"X-Forwarded-For": {"[2600:1f24:64:8000::17"}}, 403},
		{"Forwarded, quoted for=", svix, lb, "10.1.2.3:1", fwd(`for="44.228.126.217"`), 200},
		{"Forwarded, FOR= in capitals", svix, lb, "10.1.2.3:1", fwd(`FOR=44.228.126.217`), 200},
		{"Forwarded, for= after other pairs", svix, lb, "10.1.2.3:1", fwd(`proto=https;by=10.1.2.3;for=44.228.126.217`), 200},
		{"Forwarded, an empty quoted for=", svix, lb, "10.1.2.3:1", fwd(`for=""`), 403},
		{"Forwarded, a quoted for= missing its closing quote", svix, lb, "10.1.2.3:1", fwd(`for="44.228.126.217`), 403},
		{"Forwarded, empty pairs", svix, lb, "10.1.2.3:1", fwd(`;for=44.228.126.217;;proto=https;`), 200},
		{"Forwarded, separators inside quotes", svix, lb, "10.1.2.3:1",
			fwd(`for=44.228.126.217;host="a;b,c"`), 200},
		{"Forwarded, an escaped quote inside quotes", svix, lb, "10.1.2.3:1",
			fwd(`for=44.228.126.217;host="a\";for=198.51.100.7"`), 200},
		{"Forwarded, an escaped quote with a separator after it", svix, lb, "10.1.2.3:1",
			fwd(`for=198.51.100.7;host="x\"", for=44.228.126.217`), 200},
		{"Forwarded, the last element wins", svix, lb, "10.1.2.3:1",
			fwd(`for=44.228.126.217, for=198.51.100.7`), 403},
		{"Forwarded, for= twice in one element", svix, lb, "10.1.2.3:1",
			fwd(`for=198.51.100.7;for=44.228.126.217`), 403},
		{"Forwarded, a pair without =", svix, lb, "10.1.2.3:1", fwd(`for=44.228.126.217;secret`), 403},
		{"Forwarded, a lone quote", svix, lb, "10.1.2.3:1", fwd(`for="`), 403},
		{"Forwarded over two header lines", svix, lb, "10.1.2.3:1",
			http.Header{"Forwarded": {"for=198.51.100.7", "for=44.228.126.217"}}, 200},
		{"Svix directly, with a malformed Forwarded header", svix, lb, "44.228.126.217:1",
			fwd(`nonsense`), 200},
		{"Svix directly, with both forwarding headers", svix, lb, "44.228.126.217:1",
			http.Header{"Forwarded": {"for=198.51.100.7"}, "X-Forwarded-For": {"198.51.100.7"}}, 200},
		{"empty X-Forwarded-For from a trusted proxy", svix, lb, "10.1.2.3:1",
			http.Header{"X-Forwarded-For": {""}}, 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := serveFrom(t, tc.allowed, tc.trusted, tc.peer, tc.header, WithoutLog())
			assert.Equal(t, tc.status, rec.Code)
		})
	}
	assert.PanicsWithValue(t, "clerkwebhook: WithAllowedSources: prefix ::ffff:0.0.0.0/95 covers more than the IPv4-mapped range",
		func() { WithAllowedSources(netip.MustParsePrefix("::ffff:0.0.0.0/95")) })
}

// serveFrom serves a signed user.created delivery, as if it came from peer
// with the extra header lines, to a Handler that allows the given sources
// and trusts the given proxies.
func serveFrom(t *testing.T, allowed, trusted []netip.Prefix, peer string, header http.Header, opts ...HandlerOption) *httptest.ResponseRecorder {
	t.Helper()
	opts = append(opts, WithAllowedSources(allowed...))
	if trusted != nil {
		opts = append(opts, WithTrustedProxies(trusted...))
	}
	h := NewHandler(testVerifier(t), opts...)
	h.On(UserCreated, func(context.Context, Event) error { return nil })
	r := newDelivery(t, testSecret, "msg_src", testNow, readFixture(t, "user.created.json")).incoming()
	r.RemoteAddr = peer
	for k, v := range header {
		r.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// What a client puts in a forwarded address never leaves the library raw:
// a zone with invalid UTF-8 and terminal escapes, and a long hop, are
// refused, and the error quotes a bounded, escaped part of them. The
// Delivery's Source is then the zero address.
func TestForwardedAddressesLeavePrintable(t *testing.T) {
	t.Parallel()
	lb := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, hop := range []string{
		"fe80::1%\xff\x1b[31mred\x07",
		"[fe80::1%\xc3\x28]:443",
		"44.228.126.217\x00",
		strings.Repeat("\x1b]0;title\x07", 5000),
	} {
		obs := &observed{}
		rec := serveFrom(t, SvixSourceIPs("us"), lb, "10.1.2.3:1", http.Header{"X-Forwarded-For": {hop}}, WithoutLog(), WithObserver(obs.observe))
		assert.Equal(t, 403, rec.Code)
		ds := obs.all()
		require.Len(t, ds, 1)
		assert.False(t, ds[0].Source.IsValid(), "a refused hop became the source: %v", ds[0].Source)
		msg := ds[0].Err.Error()
		assert.ErrorIs(t, ds[0].Err, ErrForbiddenSource)
		assert.True(t, utf8.ValidString(msg), "invalid UTF-8 in %q", msg)
		assert.False(t, strings.ContainsFunc(msg, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }),
			"a control character in %q", msg)
		assert.Less(t, len(msg), 300, "the error grows with the hop: %d bytes", len(msg))
	}
	// Forwarded's pairs too.
	obs := &observed{}
	serveFrom(t, SvixSourceIPs("us"), lb, "10.1.2.3:1", http.Header{"Forwarded": {"for=44.228.126.217;" + strings.Repeat("\x1b", 3000)}},
		WithoutLog(), WithObserver(obs.observe))
	require.Len(t, obs.all(), 1)
	msg := obs.all()[0].Err.Error()
	assert.NotContains(t, msg, "\x1b")
	assert.Less(t, len(msg), 400)
}
