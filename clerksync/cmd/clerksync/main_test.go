package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/synctest"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestServeFlagDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := parseServe(nil, env(nil), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:3000", cfg.addr)
	assert.Equal(t, "127.0.0.1:3001", cfg.readAddr)
	assert.Equal(t, "/webhooks/clerk", cfg.path)
	assert.Equal(t, "sqlite:clerksync.db", cfg.db)
	assert.Equal(t, "https://api.clerk.com/v1", cfg.api.url)
	assert.Equal(t, 80, cfg.api.rate)
	assert.Equal(t, 24*time.Hour, cfg.every)
	assert.Empty(t, cfg.key)
	assert.Zero(t, cfg.applyDelay)
	assert.Zero(t, cfg.retryLimit)

	cfg, err = parseServe([]string{"--reconcile-every", "0", "--api-url", "http://127.0.0.1:9/v1"}, env(map[string]string{EnvSecretKey: "sk_test_x"}), io.Discard)
	require.NoError(t, err)
	assert.Zero(t, cfg.every)
	assert.Equal(t, "http://127.0.0.1:9/v1", cfg.api.url)
	assert.Equal(t, "sk_test_x", cfg.key)
}

// The secret comes from --secret, else CLERK_WEBHOOK_SIGNING_SECRET, else
// CLERK_WEBHOOK_SECRET, else it is generated, in the form Clerk issues.
func TestSecretPrecedence(t *testing.T) {
	t.Parallel()
	const flagSecret, primary, fallback = "whsec_flag", "whsec_primary", "whsec_fallback"
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"flag over both variables", []string{"--secret", flagSecret},
			map[string]string{clerkwebhook.EnvSigningSecret: primary, clerkwebhook.EnvSecret: fallback}, flagSecret},
		{"signing secret variable over the other", nil,
			map[string]string{clerkwebhook.EnvSigningSecret: primary, clerkwebhook.EnvSecret: fallback}, primary},
		{"the other variable", nil, map[string]string{clerkwebhook.EnvSecret: fallback}, fallback},
		{"an empty variable is none", nil, map[string]string{clerkwebhook.EnvSigningSecret: "", clerkwebhook.EnvSecret: fallback}, fallback},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseServe(tc.args, env(tc.env), io.Discard)
			require.NoError(t, err)
			assert.Equal(t, tc.want, cfg.secret)
			assert.False(t, cfg.generated)
		})
	}
	cfg, err := parseServe(nil, env(nil), io.Discard)
	require.NoError(t, err)
	assert.True(t, cfg.generated)
	_, err = clerkwebhook.NewVerifier(cfg.secret)
	require.NoError(t, err, "the generated secret")
	again, err := parseServe(nil, env(nil), io.Discard)
	require.NoError(t, err)
	assert.NotEqual(t, cfg.secret, again.secret, "a new secret each run")
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"serve", "--path", "webhooks"}, nil, "--path must be a URL path"},
		{[]string{"serve", "--path", "/hooks/{id}"}, nil, "--path must be a URL path"},
		{[]string{"serve", "extra"}, nil, `unexpected argument "extra"`},
		{[]string{"serve", "--nope"}, nil, "flag provided but not defined"},
		{[]string{"serve", "--reconcile-every", "-1h"}, nil, "--reconcile-every must not be negative"},
		{[]string{"serve", "--reconcile-every", "daily"}, nil, "invalid value"},
		{[]string{"serve", "--api-rate", "0"}, nil, "--api-rate must be positive"},
		{[]string{"serve", "--api-url", "api.clerk.com"}, nil, "--api-url must be an http(s) URL"},
		{[]string{"serve", "--api-url", "https://"}, nil, "--api-url must be an http(s) URL"},
		{[]string{"reconcile", "--api-url", "ftp://x/v1"}, map[string]string{EnvSecretKey: "sk_test_x"}, "--api-url must be an http(s) URL"},
		{[]string{"serve"}, map[string]string{envApplyDelay: "soon"}, envApplyDelay},
		{[]string{"reconcile"}, nil, EnvSecretKey + " is not set"},
		{[]string{"reconcile", "--addr", ":3000"}, map[string]string{EnvSecretKey: "sk_test_x"}, "flag provided but not defined"},
		{[]string{"reconcile", "--api-rate", "-5"}, map[string]string{EnvSecretKey: "sk_test_x"}, "--api-rate must be positive"},
		{[]string{"sync"}, nil, `unknown command "sync"`},
		{nil, nil, "usage:"},
	} {
		var stderr strings.Builder
		assert.Equal(t, 2, run(tc.args, env(tc.env), io.Discard, &stderr), "%v", tc.args)
		assert.Contains(t, stderr.String(), tc.want, "%v", tc.args)
	}
	_, err := parseServe([]string{"-h"}, env(nil), io.Discard)
	assert.ErrorIs(t, err, flag.ErrHelp)
	assert.Equal(t, 0, run([]string{"serve", "-h"}, env(nil), io.Discard, io.Discard))
	assert.Equal(t, 0, run([]string{"reconcile", "-h"}, env(nil), io.Discard, io.Discard))
	assert.Equal(t, 0, run([]string{"help"}, env(nil), io.Discard, io.Discard))
}

// Start-up failures exit 1 with the reason, and never print the secret or
// the key.
func TestStartupErrors(t *testing.T) {
	t.Parallel()
	const key = "sk_test_startup0key0never0printed"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--db", "mysql://localhost/x"}, "--db must be sqlite:FILE or a postgres:// URL"},
		{[]string{"--db", "sqlite:"}, "needs a file name"},
		{[]string{"--db", "sqlite:" + filepath.Join(t.TempDir(), "x.db") + "?_journal_mode=SIDEWAYS"}, "_journal_mode"},
		{[]string{"--db", "sqlite:" + filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")}, "x.db"},
		{[]string{"--secret", "whsec_not*base64!"}, "clerksync:"},
	} {
		var stdout, stderr strings.Builder
		args := append([]string{"serve", "--addr", "127.0.0.1:0", "--read-addr", "127.0.0.1:0"}, tc.args...)
		assert.Equal(t, 1, run(args, env(map[string]string{EnvSecretKey: key}), &stdout, &stderr), "%v", tc.args)
		assert.Contains(t, stderr.String(), tc.want)
		assert.NotContains(t, stdout.String()+stderr.String(), "not*base64!")
		assert.NotContains(t, stdout.String()+stderr.String(), key)
	}
}

// startServe runs serve with cfg in this process until the test ends,
// and returns its stdout and a function that stops it as a signal does,
// returning serve's error.
func startServe(t *testing.T, cfg serveConfig) (stdout *logBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout = &logBuffer{}
	served := make(chan error, 1)
	go func() { served <- serve(ctx, cfg, stdout, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	t.Cleanup(cancel)
	return stdout, func() error {
		cancel()
		select {
		case err := <-served:
			return err
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not return within 15s of its context's end")
			return nil
		}
	}
}

// waitFor waits until re matches what w holds, and returns the match.
func waitFor(t *testing.T, w *logBuffer, re *regexp.Regexp) []string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(w.String()); m != nil {
			return m
		}
		require.True(t, time.Now().Before(deadline), "no %q after 30s: %q", re, w.String())
	}
}

// serveInProcess runs serve with args and loopback listeners, and returns
// its stdout once it serves, with the webhook and read URLs it printed.
func serveInProcess(t *testing.T, args []string, getenv func(string) string) (stdout *logBuffer, base, reads string, stop func() error) {
	t.Helper()
	cfg, err := parseServe(append([]string{"--addr", "127.0.0.1:0", "--read-addr", "127.0.0.1:0"}, args...), getenv, io.Discard)
	require.NoError(t, err)
	stdout, stop = startServe(t, cfg)
	m := waitFor(t, stdout, listening)
	return stdout, m[1], m[2], stop
}

// The README's serve command, in this process: no secret anywhere, so one
// is generated and printed; no key, so it says reconcile and fetch-on-miss
// are off; a delivery signed with the secret is synced; and the service
// stops when its context ends (as on SIGINT or SIGTERM).
func TestServeWithAGeneratedSecretAndNoKey(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "clerksync.db")
	stdout, base, reads, stop := serveInProcess(t, []string{"--db", db}, env(nil))
	m := regexp.MustCompile(`generated signing secret (whsec_\S+) `).FindStringSubmatch(stdout.String())
	require.NotNil(t, m, stdout.String())
	printed := m[1]
	assert.Contains(t, stdout.String(), "no CLERK_SECRET_KEY: reconcile and fetch-on-miss are off")
	u := synctest.CaseUser("generated_secret", synctest.T0)
	client := &http.Client{Timeout: 10 * time.Second}
	require.Equal(t, http.StatusOK, postSigned(client, base, printed, synctest.Message{ID: "msg_generated_secret", Body: u.Body(clerkwebhook.UserCreated)}))
	require.Eventually(t, func() bool {
		status, _ := get(t, client, reads, "/users/"+u.ID)
		return status == http.StatusOK
	}, 30*time.Second, 20*time.Millisecond, "the user was not synced")
	status, body := get(t, client, reads, "/users/user_2neverseen000000000000000000")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, map[string]any{"error": "not found"}, body)
	require.NoError(t, stop())
	assert.Contains(t, stdout.String(), "clerksync: stopped")
}
