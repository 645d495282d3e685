package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
)

// wrongSecret is the diagnosis of a delivery signed under another secret.
const wrongSecret = "wrong secret (check the endpoint and the instance: dev vs prod secrets differ) or a forged request"

// lockedBuffer is a bytes.Buffer safe to write from a command's goroutines
// while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// result is what one run of the command produced.
type result struct {
	code           int
	stdout, stderr string
}

// runCmd runs the command with stdin and returns its exit code and output.
func runCmd(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// noSecretInEnv clears both secret variables for the test.
func noSecretInEnv(t *testing.T) {
	t.Setenv(clerkwebhook.EnvSigningSecret, "")
	t.Setenv(clerkwebhook.EnvSecret, "")
}

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

// refHeaders returns a headers file for a delivery signed by the reference
// library, with the svix-* names Clerk uses.
func refHeaders(t *testing.T, secret, id string, ts time.Time, body []byte) string {
	t.Helper()
	return fmt.Sprintf("svix-id: %s\nsvix-timestamp: %d\nsvix-signature: %s\n", id, ts.Unix(), refSign(t, secret, id, ts, body))
}

// refVerify checks svix-* headers with the reference library, which reads
// the webhook-* names.
func refVerify(t *testing.T, secret string, h http.Header, body []byte) error {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	ref := http.Header{}
	ref.Set(standardwebhooks.HeaderWebhookID, h.Get("svix-id"))
	ref.Set(standardwebhooks.HeaderWebhookTimestamp, h.Get("svix-timestamp"))
	ref.Set(standardwebhooks.HeaderWebhookSignature, h.Get("svix-signature"))
	return wh.Verify(body, ref)
}

// writeFile writes content to a new file in the test's directory.
func writeFile(t *testing.T, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, content, 0o600))
	return path
}

// compactFixture is the user.created fixture as Clerk sends it.
func compactFixture(t *testing.T) []byte {
	t.Helper()
	return compactFixtureOf(t, clerkwebhook.UserCreated)
}

// compactFixtureOf is an event type's fixture as Clerk sends it.
func compactFixtureOf(t *testing.T, et clerkwebhook.EventType) []byte {
	t.Helper()
	raw := clerkwebhooktest.Fixture(et)
	require.NotNil(t, raw)
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

// changed is body with its data.id altered: a change after signing that no
// repair undoes, so that only the signs of re-encoding remain to be seen.
func changed(t *testing.T, body []byte) []byte {
	t.Helper()
	id := dataID(t, body)
	out := bytes.Replace(body, []byte(`"`+id+`"`), []byte(`"`+id+`x"`), 1)
	require.NotEqual(t, body, out)
	return out
}

// indented re-serializes JSON with the given indent.
func indented(t *testing.T, body []byte, indent string) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, json.Indent(&buf, body, "", indent))
	return buf.Bytes()
}

// dataID is the fixture's data.id.
func dataID(t *testing.T, body []byte) string {
	t.Helper()
	var env struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(body, &env))
	return env.Data.ID
}

// hostile is a value with the control characters that attack a terminal:
// ESC sequences that retitle and clear it, BEL, and a CR LF followed by a
// forged listen line.
const hostile = "\x1b]0;PWNED\a\x1b[2J\r\n12:00:00  msg_forged  user.created  user_forged  ok"

// assertTerminalSafe fails unless out holds no byte below 0x20 other than
// the '\n' ending each line, no DEL, and only valid UTF-8 without C1
// controls (U+0080-U+009F, which some terminals obey like ESC sequences).
func assertTerminalSafe(t *testing.T, out string) {
	t.Helper()
	for i := 0; i < len(out); i++ {
		if c := out[i]; (c < 0x20 && c != '\n') || c == 0x7f {
			t.Errorf("control byte %#02x at offset %d: %q", c, i, out[max(0, i-40):min(len(out), i+40)])
			return
		}
	}
	if !utf8.ValidString(out) {
		t.Errorf("invalid UTF-8 in output: %q", out)
	}
	for _, r := range out {
		if r >= 0x80 && r <= 0x9f {
			t.Errorf("C1 control %U in output: %q", r, out)
			return
		}
	}
	if out != "" && !strings.HasSuffix(out, "\n") {
		t.Errorf("output does not end with a newline: %q", out)
	}
}
