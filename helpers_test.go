package clerkwebhook

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What several test files share: the test secrets and clock, signing and
// checking with the reference library, the fixtures, and the pieces the
// Handler tests (handler, dedupe, wire and bench) build on.

// Test secrets. They are test values, not anyone's real secret.
const (
	testSecret  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // the Standard Webhooks spec's example
	otherSecret = "whsec_dGhpcyBpcyBhbm90aGVyIHRlc3Qga2V5IQ=="
)

// testNow is the fixed clock most tests use.
var testNow = time.Unix(1764331200, 0)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// refSign signs with the reference standard-webhooks library, never with the
// code under test, and returns the "v1,..." entry.
func refSign(tb testing.TB, secret, id string, ts time.Time, body []byte) string {
	tb.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(tb, err)
	sig, err := wh.Sign(id, ts, body)
	require.NoError(tb, err)
	return sig
}

// signed returns Clerk-style svix-* headers for body, signed by the reference library.
func signed(tb testing.TB, secret, id string, ts time.Time, body []byte) http.Header {
	tb.Helper()
	h := http.Header{}
	h.Set("svix-id", id)
	h.Set("svix-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("svix-signature", refSign(tb, secret, id, ts, body))
	return h
}

// refVerify is the reference library's verdict on svix-style headers, with
// its timestamp check applied against now instead of the wall clock.
func refVerify(tb testing.TB, secret string, body []byte, h http.Header, now time.Time, tol time.Duration) bool {
	tb.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(tb, err)
	rh := http.Header{}
	for _, p := range [][2]string{{"Svix-Id", "Webhook-Id"}, {"Svix-Timestamp", "Webhook-Timestamp"}, {"Svix-Signature", "Webhook-Signature"}} {
		if v, ok := h[p[0]]; ok {
			rh[p[1]] = v
		}
	}
	if wh.VerifyIgnoringTimestamp(body, rh) != nil {
		return false
	}
	ts, err := strconv.ParseInt(rh.Get("Webhook-Timestamp"), 10, 64)
	if err != nil {
		return false
	}
	skew := now.Sub(time.Unix(ts, 0))
	return skew <= tol && skew >= -tol
}

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	require.NoError(tb, err)
	return b
}

func mustVerifier(tb testing.TB, secret string, opts ...Option) *Verifier {
	tb.Helper()
	v, err := NewVerifier(secret, opts...)
	require.NoError(tb, err)
	return v
}

// fixtureDir holds one realistic payload per event type. It lives in an
// internal package that embeds it for the test kit and the command.
const fixtureDir = "internal/fixtures/events"

// testVerifier is the verifier the Handler and VerifyRequest tests use: the
// test secret and a clock fixed at testNow, with extra options.
func testVerifier(tb testing.TB, opts ...Option) *Verifier {
	tb.Helper()
	return mustVerifier(tb, testSecret, append([]Option{WithClock(fixedClock(testNow))}, opts...)...)
}

// --- The Handler: its answers, deliveries, callbacks and error reports ---

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

// assertNoDetail fails if a response body tells the caller more than the
// status: no error text, no message id, no secret.
func assertNoDetail(t *testing.T, body string) {
	t.Helper()
	for _, leak := range []string{"clerkwebhook", "signature", "timestamp", "header", "msg_", "callback", "panic", "database", "limit", "whsec"} {
		assert.NotContains(t, strings.ToLower(body), leak, "response body reveals detail")
	}
	assertNoSecretIn(t, body, testSecret)
}

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

// incoming returns d as net/http hands it to a handler: a POST with a
// Content-Length, sent as Clerk sends it.
func (d delivery) incoming() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(d.body))
	for k, v := range d.header {
		r.Header[k] = append([]string(nil), v...)
	}
	r.Header.Set("Content-Type", "application/json")
	return r
}

// record serves d with h on a recorder. It needs no testing.T, so that
// concurrent tests can call it from their goroutines.
func record(h http.Handler, d delivery) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, d.incoming())
	return rec
}

// recordDelivery runs one delivery of body, signed as message id at testNow
// with the test secret, through h with a recorder.
func recordDelivery(t *testing.T, h http.Handler, id string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	return record(h, newDelivery(t, testSecret, id, testNow, body))
}

// errCallback is what failing callbacks return; its text must never reach
// the response body.
var errCallback = errors.New("callback failed: database unreachable at db.internal:5432")

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

// errorLog collects the errors of the deliveries a Handler observes
// (Delivery.Err and Delivery.DedupErr), in order.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

// observe is an observer for WithObserver.
func (l *errorLog) observe(_ *http.Request, d Delivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range []error{d.Err, d.DedupErr} {
		if err != nil {
			l.errs = append(l.errs, err)
		}
	}
}

// failOnError is an observer that fails t on any failed delivery.
func failOnError(t testing.TB) HandlerOption {
	return WithObserver(func(_ *http.Request, d Delivery) {
		if d.Failed() {
			t.Errorf("delivery failed: %v", errors.Join(d.Err, d.DedupErr))
		}
	})
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}
