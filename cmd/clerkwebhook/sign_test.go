package main

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
)

var signOutput = regexp.MustCompile(`\Asvix-id: (msg_\w+)\nsvix-timestamp: (\d+)\nsvix-signature: (v1,[A-Za-z0-9+/]{43}=)\n\z`)

// parseSignOutput checks the three-line format and returns the headers.
func parseSignOutput(t *testing.T, out string) http.Header {
	t.Helper()
	m := signOutput.FindStringSubmatch(out)
	require.NotNil(t, m, "sign output %q", out)
	h := http.Header{}
	h.Set("svix-id", m[1])
	h.Set("svix-timestamp", m[2])
	h.Set("svix-signature", m[3])
	return h
}

func TestSignIsAcceptedByLibraryAndReference(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	body := compactFixture(t)
	now := time.Now().Unix()
	cases := map[string][]string{
		"file, chosen id and time": {"sign", "--secret", secret, "--id", "msg_2abcDEF", "--timestamp", strconv.FormatInt(now, 10), writeFile(t, "body.json", body)},
		"stdin, defaults":          {"sign", "--secret", secret, "-"},
		"stdin, no argument":       {"sign", "--secret", secret},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			r := runCmd(t, string(body), args...)
			require.Equal(t, 0, r.code, r.stderr)
			h := parseSignOutput(t, r.stdout)
			ts, err := strconv.ParseInt(h.Get("svix-timestamp"), 10, 64)
			require.NoError(t, err)
			assert.InDelta(t, now, ts, 5)

			v, err := clerkwebhook.NewVerifier(secret)
			require.NoError(t, err)
			ev, err := v.Verify(body, h)
			require.NoError(t, err)
			assert.Equal(t, clerkwebhook.UserCreated, ev.Type)
			assert.Equal(t, h.Get("svix-id"), ev.ID)

			assert.NoError(t, refVerify(t, secret, h, body))
			// And the reference library's own signature is the same.
			assert.Equal(t, refSign(t, secret, h.Get("svix-id"), time.Unix(ts, 0), body), h.Get("svix-signature"))
		})
	}
}

func TestSignDefaultIDsAreFresh(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	a := parseSignOutput(t, runCmd(t, "{}", "sign", "--secret", secret).stdout)
	b := parseSignOutput(t, runCmd(t, "{}", "sign", "--secret", secret).stdout)
	assert.NotEqual(t, a.Get("svix-id"), b.Get("svix-id"))
	assert.True(t, strings.HasPrefix(a.Get("svix-id"), "msg_"))
}

func TestSignSecretFromEnvironment(t *testing.T) {
	secret := newTestSecret(t)
	t.Setenv(clerkwebhook.EnvSigningSecret, "")
	t.Setenv(clerkwebhook.EnvSecret, secret)
	r := runCmd(t, "{}", "sign", "--timestamp", "1764331200")
	require.Equal(t, 0, r.code, r.stderr)
	h := parseSignOutput(t, r.stdout)
	assert.Equal(t, refSign(t, secret, h.Get("svix-id"), time.Unix(1764331200, 0), []byte("{}")), h.Get("svix-signature"))
}
