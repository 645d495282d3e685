// Package diagnosetest builds the deliveries the diagnosis is tested with,
// for the tests of internal/diagnose and of the command: bodies re-encoded
// the ways middlewares re-encode them, each made by the standard library as
// the middleware would make it, and signatures made by the Standard
// Webhooks reference library, never by the code under test.
package diagnosetest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/fixtures"
)

// NewSecret makes a signing secret without the code under test.
func NewSecret(t testing.TB) string {
	t.Helper()
	key := make([]byte, 24)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// Sign signs with the reference library and returns the signature header
// value ("v1,...").
func Sign(t testing.TB, secret, id string, ts time.Time, body []byte) string {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := wh.Sign(id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// CompactFixture is an event type's fixture as Clerk sends it: compact JSON.
func CompactFixture(t testing.TB, et clerkwebhook.EventType) []byte {
	t.Helper()
	raw, ok := fixtures.Get(string(et))
	if !ok {
		t.Fatalf("no fixture for %s", et)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// GoEscaped is body with <, > and & escaped as Go's encoding/json writes
// them, keys and everything else unchanged.
func GoEscaped(body []byte) []byte {
	var buf bytes.Buffer
	json.HTMLEscape(&buf, body)
	return buf.Bytes()
}

// MapRoundTrip decodes body into a map and encodes it again, as a handler
// that binds the body to a map does: keys sorted, HTML escaped.
func MapRoundTrip(t testing.TB, body []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// StructRoundTrip decodes body into a struct that declares only the
// envelope's type and data, and encodes it again: the other fields dropped.
func StructRoundTrip(t testing.TB, body []byte) []byte {
	t.Helper()
	var env struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Spaced is compact JSON with a space after each colon and comma between
// tokens, as Python's json.dumps writes by default.
func Spaced(t testing.TB, compact []byte) []byte {
	t.Helper()
	out := bytes.ReplaceAll(compact, []byte(`":`), []byte(`": `))
	out = bytes.ReplaceAll(out, []byte(`,"`), []byte(`, "`))
	var back bytes.Buffer
	if err := json.Compact(&back, out); err != nil || back.String() != string(compact) {
		t.Fatalf("spacing changed more than whitespace between tokens (%v)", err)
	}
	return out
}

// Indented re-serializes JSON with the given indent.
func Indented(t testing.TB, body []byte, indent string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", indent); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
