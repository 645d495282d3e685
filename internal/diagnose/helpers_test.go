package diagnose

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/diagnose/diagnosetest"
)

func newTestSecret(t *testing.T) string { return diagnosetest.NewSecret(t) }

func refSign(t *testing.T, secret, id string, ts time.Time, body []byte) string {
	return diagnosetest.Sign(t, secret, id, ts, body)
}

// refHeaders returns the svix-* headers of a delivery signed by the
// reference library.
func refHeaders(t *testing.T, secret, id string, ts time.Time, body []byte) http.Header {
	t.Helper()
	return http.Header{
		clerkwebhook.HeaderSvixID:        {id},
		clerkwebhook.HeaderSvixTimestamp: {strconv.FormatInt(ts.Unix(), 10)},
		clerkwebhook.HeaderSvixSignature: {refSign(t, secret, id, ts, body)},
	}
}

// compactFixture is the user.created fixture as Clerk sends it.
func compactFixture(t *testing.T) []byte {
	t.Helper()
	return compactFixtureOf(t, clerkwebhook.UserCreated)
}

func compactFixtureOf(t *testing.T, et clerkwebhook.EventType) []byte {
	return diagnosetest.CompactFixture(t, et)
}

// The deliveries come from diagnosetest, shared with the command's tests.

func goEscaped(body []byte) []byte { return diagnosetest.GoEscaped(body) }

func mapRoundTrip(t *testing.T, body []byte) []byte { return diagnosetest.MapRoundTrip(t, body) }

func structRoundTrip(t *testing.T, body []byte) []byte { return diagnosetest.StructRoundTrip(t, body) }

func spaced(t *testing.T, compact []byte) []byte { return diagnosetest.Spaced(t, compact) }

func indented(t *testing.T, body []byte, indent string) []byte {
	return diagnosetest.Indented(t, body, indent)
}
