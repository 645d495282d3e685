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
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestFlagDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := parseConfig(nil, env(nil), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:3000", cfg.addr)
	assert.Equal(t, "127.0.0.1:3001", cfg.readAddr)
	assert.Equal(t, "/webhooks/clerk", cfg.path)
	assert.Equal(t, "sqlite:usersync.db", cfg.db)
	assert.Zero(t, cfg.applyDelay)
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
			cfg, err := parseConfig(tc.args, env(tc.env), io.Discard)
			require.NoError(t, err)
			assert.Equal(t, tc.want, cfg.secret)
			assert.False(t, cfg.generated)
		})
	}
	cfg, err := parseConfig(nil, env(nil), io.Discard)
	require.NoError(t, err)
	assert.True(t, cfg.generated)
	_, err = clerkwebhook.NewVerifier(cfg.secret)
	require.NoError(t, err, "the generated secret")
	again, err := parseConfig(nil, env(nil), io.Discard)
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
		{[]string{"--path", "webhooks"}, nil, "--path must be a URL path"},
		{[]string{"--path", "/hooks/{id}"}, nil, "--path must be a URL path"},
		{[]string{"extra"}, nil, `unexpected argument "extra"`},
		{[]string{"--nope"}, nil, "flag provided but not defined"},
		{nil, map[string]string{envApplyDelay: "soon"}, envApplyDelay},
	} {
		_, err := parseConfig(tc.args, env(tc.env), io.Discard)
		require.Error(t, err, "%v", tc.args)
		assert.Contains(t, err.Error(), tc.want)
	}
	_, err := parseConfig([]string{"-h"}, env(nil), io.Discard)
	assert.ErrorIs(t, err, flag.ErrHelp)
	assert.Equal(t, 2, run([]string{"extra"}, env(nil), io.Discard, io.Discard))
	assert.Equal(t, 0, run([]string{"-h"}, env(nil), io.Discard, io.Discard))
}

// Start-up failures exit 1 with the reason, and never print the secret.
func TestStartupErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--db", "mysql://localhost/x"}, "--db must be sqlite:FILE or a postgres:// URL"},
		{[]string{"--db", "sqlite:"}, "needs a file name"},
		{[]string{"--db", "sqlite:" + filepath.Join(t.TempDir(), "x.db") + "?_journal_mode=SIDEWAYS"}, "_journal_mode"},
		{[]string{"--secret", "whsec_not*base64!"}, "usersync:"},
	} {
		var stderr strings.Builder
		args := append([]string{"--addr", "127.0.0.1:0"}, tc.args...)
		assert.Equal(t, 1, run(args, env(nil), io.Discard, &stderr), "%v", tc.args)
		assert.Contains(t, stderr.String(), tc.want)
		assert.NotContains(t, stderr.String(), "not*base64!")
	}
}

// The README's first command, in this process: no secret anywhere, so one
// is generated and printed; a delivery signed with it is synced; and the
// service stops when its context ends (as on SIGINT or SIGTERM).
func TestServeWithAGeneratedSecret(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "usersync.db")
	cfg, err := parseConfig([]string{"--addr", "127.0.0.1:0", "--read-addr", "127.0.0.1:0", "--db", db}, env(nil), io.Discard)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := &logBuffer{}
	served := make(chan error, 1)
	go func() { served <- serve(ctx, cfg, stdout, slog.New(slog.NewTextHandler(io.Discard, nil))) }()

	var base, reads, printed string
	for stop := time.Now().Add(30 * time.Second); base == ""; time.Sleep(20 * time.Millisecond) {
		require.True(t, time.Now().Before(stop), "not serving after 30s: %q", stdout.String())
		if m := regexp.MustCompile(`generated signing secret (whsec_\S+) `).FindStringSubmatch(stdout.String()); m != nil {
			printed = m[1]
		}
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			base, reads = m[1], m[2]
		}
	}
	require.Equal(t, cfg.secret, printed)
	u := caseUser("generated_secret", t0)
	client := &http.Client{Timeout: 10 * time.Second}
	require.Equal(t, http.StatusOK, postSigned(client, base, printed, message{ID: "msg_generated_secret", Body: u.body(clerkwebhook.UserCreated)}))
	for stop := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if status, _ := get(t, client, reads, "/users/"+u.ID); status == http.StatusOK {
			break
		}
		require.True(t, time.Now().Before(stop), "the user was not synced within 30s")
	}
	cancel()
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not return within 15s of its context's end")
	}
	assert.Contains(t, stdout.String(), "usersync: stopped")
}
