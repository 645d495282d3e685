package diagnose

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/fixtures"
)

// newTestSecret makes a signing secret without the code under test.
func newTestSecret(t *testing.T) string {
	t.Helper()
	key := make([]byte, 24)
	_, err := rand.Read(key)
	require.NoError(t, err)
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// refSign signs with the reference Standard Webhooks library and returns
// the signature header value.
func refSign(t *testing.T, secret, id string, ts time.Time, body []byte) string {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	sig, err := wh.Sign(id, ts, body)
	require.NoError(t, err)
	return sig
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

// compactFixtureOf is an event type's fixture as Clerk sends it.
func compactFixtureOf(t *testing.T, et clerkwebhook.EventType) []byte {
	t.Helper()
	raw, ok := fixtures.Get(string(et))
	require.True(t, ok, "no fixture for %s", et)
	var buf bytes.Buffer
	require.NoError(t, json.Compact(&buf, raw))
	return buf.Bytes()
}

// The re-encodings a middleware applies, each made by the standard library
// as the middleware would make it.

// goEscaped is body with <, > and & escaped as Go's encoding/json writes
// them, keys and everything else unchanged.
func goEscaped(body []byte) []byte {
	var buf bytes.Buffer
	json.HTMLEscape(&buf, body)
	return buf.Bytes()
}

// mapRoundTrip decodes body into a map and encodes it again.
func mapRoundTrip(t *testing.T, body []byte) []byte {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

// structRoundTrip decodes body into a struct that declares only the
// envelope's type and data, and encodes it again.
func structRoundTrip(t *testing.T, body []byte) []byte {
	t.Helper()
	var env struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal(body, &env))
	out, err := json.Marshal(env)
	require.NoError(t, err)
	return out
}

// spaced is compact JSON with a space after each colon and comma between
// tokens, as Python's json.dumps writes by default.
func spaced(t *testing.T, compact []byte) []byte {
	t.Helper()
	out := bytes.ReplaceAll(compact, []byte(`":`), []byte(`": `))
	out = bytes.ReplaceAll(out, []byte(`,"`), []byte(`, "`))
	var back bytes.Buffer
	require.NoError(t, json.Compact(&back, out))
	require.Equal(t, string(compact), back.String(), "only whitespace between tokens was added")
	return out
}

// indented re-serializes JSON with the given indent.
func indented(t *testing.T, body []byte, indent string) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, json.Indent(&buf, body, "", indent))
	return buf.Bytes()
}
