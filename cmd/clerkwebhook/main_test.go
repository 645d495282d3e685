package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-h"}, {"--help"}, {"help"},
		{"demo", "-h"}, {"demo", "--help"},
		{"listen", "-h"}, {"listen", "--help"},
		{"send", "-h"}, {"send", "--help"},
		{"sign", "-h"}, {"sign", "--help"},
		{"verify", "-h"}, {"verify", "--help"},
		{"help", "verify"},
	} {
		r := runCmd(t, "", args...)
		assert.Equal(t, 0, r.code, "%v", args)
		assert.Contains(t, r.stdout, "Usage:", "%v", args)
		assert.Contains(t, r.stdout, "Example:", "%v", args)
		assert.Empty(t, r.stderr, "%v", args)
	}
	top := runCmd(t, "", "--help").stdout
	assert.Contains(t, top, "Exit status:")
	for _, code := range []string{"  0  success", "  1  the operation failed", "  2  usage error"} {
		assert.Contains(t, top, code)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	noSecretInEnv(t)
	secret := newTestSecret(t)
	headers := writeFile(t, "h.txt", []byte("svix-id: msg_1\n"))
	for _, args := range [][]string{
		{},
		{"bogus"},
		{"help", "bogus"},
		{"demo", "extra"},
		{"demo", "--bogus"},
		{"listen", "--path", "no-slash"},
		{"listen", "--tolerance", "0s"},
		{"listen", "--secret", "sk_test_abc"},
		{"listen", "--tolerance", "soon"},
		{"send", "--secret", secret},
		{"send", "user.created"}, // no secret anywhere
		{"send", "--secret", secret, "no.such.event"},
		{"send", "--secret", secret, "--url", "ftp://example.com/x", "user.created"},
		{"send", "--secret", secret, "user.created", "user.updated"},
		{"send", "--secret", "sk_live_abc", "user.created"},
		{"sign", "--bogus"},
		{"sign", "--secret", secret, "--timestamp", "yesterday", "-"},
		{"sign", "--secret", secret, "--timestamp", "-5", "-"},
		{"sign", "--secret", secret, "a", "b"},
		{"sign", "-"}, // no secret anywhere
		{"sign", "--secret", `"` + secret + `"`, "-"},
		{"sign", "--secret", secret, "--id", "msg 1", "-"},
		{"verify", "--secret", secret},
		{"verify", "--headers", headers, "-"}, // no secret anywhere
		{"verify", "--secret", secret, "--headers", headers, "--tolerance", "-1s", "-"},
		{"verify", "--secret", secret, "--headers", headers, "a", "b"},
	} {
		r := runCmd(t, "{}", args...)
		require.Equal(t, 2, r.code, "%v: stdout %q stderr %q", args, r.stdout, r.stderr)
		assert.NotEmpty(t, r.stderr, "%v", args)
		assert.NotContains(t, r.stderr, secret[len("whsec_"):], "%v", args)
	}
}

func TestFlagsAfterArguments(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	r := runCmd(t, "{}", "sign", "-", "--secret", secret, "--id", "msg_late", "--timestamp", "1764331200")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "svix-id: msg_late\nsvix-timestamp: 1764331200\n")
}
