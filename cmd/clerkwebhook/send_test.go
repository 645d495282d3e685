package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var httpClient = &http.Client{Timeout: 10 * time.Second}

func newPost(t *testing.T, url string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	return req
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// recorder is a receiver that keeps the last request and answers status.
type recorder struct {
	status int
	header http.Header
	body   []byte
	method string
}

func (rec *recorder) server(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.method, rec.header = r.Method, r.Header.Clone()
		rec.body, _ = io.ReadAll(r.Body)
		w.WriteHeader(rec.status)
		io.WriteString(w, "answer body")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSendSignsAsClerkDoes(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	rec := &recorder{status: http.StatusNoContent}
	srv := rec.server(t)
	start := time.Now().Unix()

	r := runCmd(t, "", "send", "--url", srv.URL+"/hook", "--secret", secret, "user.created")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "204 No Content")

	assert.Equal(t, http.MethodPost, rec.method)
	assert.Equal(t, "application/json", rec.header.Get("Content-Type"))
	assert.True(t, strings.HasPrefix(rec.header.Get("User-Agent"), "Svix-Webhooks/1."), rec.header.Get("User-Agent"))
	assert.Regexp(t, `^msg_\w+$`, rec.header.Get("svix-id"))
	ts, err := strconv.ParseInt(rec.header.Get("svix-timestamp"), 10, 64)
	require.NoError(t, err)
	assert.InDelta(t, start, ts, 5)
	// The fixture goes out compact, as Clerk sends it, and verifies under
	// the independent reference library.
	assert.Equal(t, compactFixture(t), rec.body)
	assert.NoError(t, refVerify(t, secret, rec.header, rec.body))
}

func TestSendPayloadSources(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	rec := &recorder{status: http.StatusOK}
	srv := rec.server(t)
	file := []byte("{\"type\":\"custom.thing\",\"data\":{}}\n")
	for name, tc := range map[string]struct {
		args  []string
		stdin string
		want  []byte
	}{
		"file, unchanged":  {args: []string{writeFile(t, "p.json", file)}, want: file},
		"stdin, unchanged": {args: []string{"-"}, stdin: string(file), want: file},
		"fixture variant":  {args: []string{"user.created--email-only"}},
		"fixture name":     {args: []string{"unknown.future"}},
	} {
		t.Run(name, func(t *testing.T) {
			rec.body = nil
			r := runCmd(t, tc.stdin, append([]string{"send", "--url", srv.URL, "--secret", secret}, tc.args...)...)
			require.Equal(t, 0, r.code, r.stderr)
			if tc.want != nil {
				assert.Equal(t, tc.want, rec.body)
			} else {
				assert.NotEmpty(t, rec.body)
			}
			assert.NoError(t, refVerify(t, secret, rec.header, rec.body))
		})
	}
}

func TestSendNon2xxExitsOne(t *testing.T) {
	t.Parallel()
	rec := &recorder{status: http.StatusBadRequest}
	srv := rec.server(t)
	r := runCmd(t, "", "send", "--url", srv.URL, "--secret", newTestSecret(t), "session.created")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "400 Bad Request\nanswer body\n")
	assert.Contains(t, r.stderr, "400 Bad Request")
}

func TestSendConnectionRefusedExitsOne(t *testing.T) {
	t.Parallel()
	srv := (&recorder{status: 200}).server(t)
	url := srv.URL
	srv.Close()
	r := runCmd(t, "", "send", "--url", url, "--secret", newTestSecret(t), "user.created")
	assert.Equal(t, 1, r.code)
	assert.NotEmpty(t, r.stderr)
}

func TestSendReplayResignsCapture(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	rec := &recorder{status: http.StatusOK}
	srv := rec.server(t)
	body := compactFixture(t)
	// Captured long ago under another secret: the signature is ignored.
	capture := writeFile(t, "capture.txt", []byte(refHeaders(t, newTestSecret(t), "msg_captured", time.Unix(1600000000, 0), body)))

	r := runCmd(t, string(body), "send", "--url", srv.URL, "--secret", secret, "--from-capture", capture, "-")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "msg_captured", rec.header.Get("svix-id"))
	assert.Equal(t, body, rec.body)
	assert.NoError(t, refVerify(t, secret, rec.header, rec.body), "re-signed with a fresh timestamp")

	r = runCmd(t, "", "send", "--url", srv.URL, "--secret", secret, "--from-capture", capture, "--id", "msg_override", writeFile(t, "b.json", body))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "msg_override", rec.header.Get("svix-id"))

	// A capture with no body and no body argument is a usage error.
	r = runCmd(t, "", "send", "--url", srv.URL, "--secret", secret, "--from-capture", capture)
	assert.Equal(t, 2, r.code)
}
