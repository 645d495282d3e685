package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The webhook listener serves POST --path and nothing else; the reads are
// on their own listener, which serves no webhook, and answers only to an IP
// address or localhost as Host.
func TestReadsHaveTheirOwnListener(t *testing.T) {
	t.Parallel()
	svc := startService(t, newSQLite(t))
	client := &http.Client{Timeout: 10 * time.Second}
	u := caseUser("reads", t0)
	require.Equal(t, http.StatusOK, post(client, svc.URL, message{ID: "msg_reads", Body: u.body(clerkwebhook.UserCreated)}))
	require.Eventually(t, func() bool {
		status, _ := get(t, client, svc.ReadURL, "/users/"+u.ID)
		return status == http.StatusOK
	}, 30*time.Second, 20*time.Millisecond, "the user was not synced")

	for _, path := range []string{"/users/" + u.ID, "/organizations/org_x", "/organizations/org_x/members"} {
		status, body := rawGet(t, client, svc.URL+path)
		assert.Equal(t, http.StatusNotFound, status, "the webhook listener served %s", path)
		assert.NotContains(t, body, u.ID)
	}
	status, _ := rawGet(t, client, svc.URL+"/webhooks/clerk")
	assert.Equal(t, http.StatusMethodNotAllowed, status)
	assert.NotEqual(t, http.StatusOK, post(client, svc.ReadURL, message{ID: "msg_reads_2", Body: u.body(clerkwebhook.UserUpdated)}),
		"the read listener accepted a webhook")

	for host, want := range map[string]int{
		"evil.example":           http.StatusMisdirectedRequest,
		"evil.example:3001":      http.StatusMisdirectedRequest,
		"localhost.evil.example": http.StatusMisdirectedRequest,
		"localhost":              http.StatusOK,
		"LOCALHOST:3001":         http.StatusOK,
		"127.0.0.1:3001":         http.StatusOK,
		"[::1]:3001":             http.StatusOK,
		"10.1.2.3":               http.StatusOK,
	} {
		req, err := http.NewRequest(http.MethodGet, svc.ReadURL+"/users/"+u.ID, nil)
		require.NoError(t, err)
		req.Host = host
		resp, err := client.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, "Host %q", host)
		if want != http.StatusOK {
			assert.NotContains(t, string(body), u.ID, "Host %q", host)
		}
	}
}

// --read-addr "" serves no read endpoints at all.
func TestNoReadListener(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "usersync.db")
	cfg, err := parseConfig([]string{"--addr", "127.0.0.1:0", "--read-addr", "", "--db", db, "--secret", secret}, env(nil), io.Discard)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	stdout := &logBuffer{}
	served := make(chan error, 1)
	go func() { served <- serve(ctx, cfg, stdout, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	var base string
	for stop := time.Now().Add(30 * time.Second); base == ""; time.Sleep(20 * time.Millisecond) {
		require.True(t, time.Now().Before(stop), "not serving after 30s: %q", stdout.String())
		if m := regexp.MustCompile(`receiving webhooks at (http://\S+)/webhooks/clerk, reads at off,`).FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		}
	}
	status, _ := rawGet(t, &http.Client{Timeout: 10 * time.Second}, base+"/users/user_x")
	assert.Equal(t, http.StatusNotFound, status)
	cancel()
	require.NoError(t, <-served)
	assert.True(t, strings.Contains(stdout.String(), "usersync: stopped"))
}

// rawGet fetches url and returns the status and the body as text.
func rawGet(t *testing.T, client *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := client.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}
