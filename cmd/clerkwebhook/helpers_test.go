package main

import (
	"bytes"
	"context"
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
	"github.com/seed77920f6a/clerkwebhook/internal/diagnose/diagnosetest"
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

func newTestSecret(t *testing.T) string { return diagnosetest.NewSecret(t) }

func refSign(t *testing.T, secret, id string, ts time.Time, body []byte) string {
	return diagnosetest.Sign(t, secret, id, ts, body)
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

func compactFixtureOf(t *testing.T, et clerkwebhook.EventType) []byte {
	return diagnosetest.CompactFixture(t, et)
}

// The deliveries come from diagnosetest, shared with the command's tests.

func goEscaped(body []byte) []byte { return diagnosetest.GoEscaped(body) }

func mapRoundTrip(t *testing.T, body []byte) []byte { return diagnosetest.MapRoundTrip(t, body) }

func structRoundTrip(t *testing.T, body []byte) []byte { return diagnosetest.StructRoundTrip(t, body) }

func spaced(t *testing.T, compact []byte) []byte { return diagnosetest.Spaced(t, compact) }

// changed is body with its data.id altered: a change after signing that no
// repair undoes, so that only the signs of re-encoding remain to be seen.
func changed(t *testing.T, body []byte) []byte {
	t.Helper()
	id := dataID(t, body)
	out := bytes.Replace(body, []byte(`"`+id+`"`), []byte(`"`+id+`x"`), 1)
	require.NotEqual(t, body, out)
	return out
}

func indented(t *testing.T, body []byte, indent string) []byte {
	return diagnosetest.Indented(t, body, indent)
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
