package clerkwebhook

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"
)

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
