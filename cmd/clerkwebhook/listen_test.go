package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// listener is a running "clerkwebhook listen".
type listener struct {
	url, secret string
	stdout      *lockedBuffer
	stop        func() int // cancels the context and returns the exit code
}

var (
	listeningOn     = regexp.MustCompile(`listening on (http://\S+)`)
	generatedSecret = regexp.MustCompile(`generated signing secret (whsec_\S+)`)
)

// startListen runs listen on a free port and waits for its URL.
func startListen(t *testing.T, args ...string) *listener {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{stdout: &lockedBuffer{}}
	stderr := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"listen", "--addr", "127.0.0.1:0"}, args...), strings.NewReader(""), l.stdout, stderr)
	}()
	l.stop = func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(10 * time.Second):
			t.Fatal("listen did not stop after its context was cancelled")
			return -1
		}
	}
	t.Cleanup(func() { cancel() })
	require.Eventually(t, func() bool { return listeningOn.MatchString(l.stdout.String()) }, 5*time.Second, 5*time.Millisecond,
		"listen printed no URL; stdout %q stderr %q", l.stdout.String(), stderr.String())
	l.url = listeningOn.FindStringSubmatch(l.stdout.String())[1]
	if m := generatedSecret.FindStringSubmatch(l.stdout.String()); m != nil {
		l.secret = m[1]
	}
	return l
}

// waitLine waits for listen to print a line containing all of parts.
func (l *listener) waitLine(t *testing.T, parts ...string) string {
	t.Helper()
	var found string
	require.Eventually(t, func() bool {
		for _, line := range strings.Split(l.stdout.String(), "\n") {
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(line, p)
			}
			if ok {
				found = line
				return true
			}
		}
		return false
	}, 5*time.Second, 5*time.Millisecond, "no listen line with %q in:\n%s", parts, l.stdout.String())
	return found
}

func TestSendListenRoundTrip(t *testing.T) {
	noSecretInEnv(t)
	l := startListen(t) // no secret anywhere: listen generates one
	require.NotEmpty(t, l.secret, "listen must print the secret it generated")
	assert.Contains(t, l.stdout.String(), "no secret given: generated")
	assert.True(t, strings.HasSuffix(l.url, "/webhooks/clerk"), l.url)

	body := compactFixture(t)
	userID := dataID(t, body)

	// A fixture, sent as Clerk would.
	r := runCmd(t, "", "send", "--url", l.url, "--secret", l.secret, "--id", "msg_roundtrip1", "user.created")
	require.Equal(t, 0, r.code, "stdout %q stderr %q", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "200 OK\nok\n")
	line := l.waitLine(t, "msg_roundtrip1")
	assert.Regexp(t, `^\d\d:\d\d:\d\d  msg_roundtrip1  user\.created  `+userID+`  ok$`, line)

	// The same message again, replayed from a capture with a stale
	// signature: re-signed, same id, so the deduplicator recognises it.
	capture := writeFile(t, "capture.txt", []byte(fmt.Sprintf(
		"POST /webhooks/clerk HTTP/1.1\nsvix-id: msg_roundtrip1\nsvix-timestamp: 1600000000\nsvix-signature: v1,c3RhbGU=\n\n%s", body)))
	r = runCmd(t, "", "send", "--url", l.url, "--secret", l.secret, "--from-capture", capture)
	require.Equal(t, 0, r.code, "stdout %q stderr %q", r.stdout, r.stderr)
	l.waitLine(t, "msg_roundtrip1", "ok (duplicate")

	// Signed with another secret: rejected, with the cause.
	r = runCmd(t, "", "send", "--url", l.url, "--secret", newTestSecret(t), "--id", "msg_forged1", "user.created")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "400 Bad Request")
	assert.Contains(t, r.stderr, "400 Bad Request")
	line = l.waitLine(t, "msg_forged1")
	assert.Contains(t, line, "user.created  "+userID+"  rejected 400: clerkwebhook: no matching signature")
	assert.Contains(t, line, "cause: "+wrongSecret)

	// A pretty-printed file signed as is verifies; the cause of a re-indented
	// body is named.
	r = runCmd(t, "", "send", "--url", l.url, "--secret", l.secret, "--id", "msg_file1", writeFile(t, "u.json", indented(t, body, "  ")))
	require.Equal(t, 0, r.code, r.stderr)
	l.waitLine(t, "msg_file1", "ok")

	// A wrong path is reported too.
	r = runCmd(t, "", "send", "--url", strings.TrimSuffix(l.url, "/webhooks/clerk")+"/other", "--secret", l.secret, "--id", "msg_path1", "session.created")
	assert.Equal(t, 1, r.code)
	l.waitLine(t, "msg_path1", "rejected 404", "the receiver is at /webhooks/clerk")

	assert.Equal(t, 0, l.stop())
	assert.Contains(t, l.stdout.String(), "stopped")
}

func TestListenDiagnosesStaleDelivery(t *testing.T) {
	secret := newTestSecret(t)
	t.Setenv(clerkwebhook.EnvSigningSecret, secret)
	l := startListen(t, "--tolerance", "1m")
	assert.Contains(t, l.stdout.String(), "signing secret from $"+clerkwebhook.EnvSigningSecret)
	assert.NotContains(t, l.stdout.String(), strings.TrimPrefix(secret, "whsec_"))

	// Signed two minutes ago by the reference library, posted with curl-like
	// plainness: listen must name the skew.
	body := compactFixture(t)
	signedAt := time.Now().Add(-2 * time.Minute).Truncate(time.Second)
	headers := writeFile(t, "h.txt", []byte(refHeaders(t, secret, "msg_stale1", signedAt, body)))
	resp := postCapture(t, l.url, headers, body)
	assert.Equal(t, 400, resp)
	line := l.waitLine(t, "msg_stale1")
	assert.Contains(t, line, "rejected 400: clerkwebhook: timestamp too old")
	assert.Regexp(t, `cause: the signature is valid but the timestamp is off: signed 2m\d+s before the receiver's clock; tolerance 1m0s`, line)
	assert.Equal(t, 0, l.stop())
}

// postCapture posts body with the headers of a headers file, unchanged.
func postCapture(t *testing.T, url, headersFile string, body []byte) int {
	t.Helper()
	raw := readFile(t, headersFile)
	req := newPost(t, url, body)
	for _, line := range strings.Split(strings.TrimSpace(raw), "\n") {
		name, value, _ := strings.Cut(line, ":")
		req.Header.Set(name, strings.TrimSpace(value))
	}
	resp, err := httpClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	return resp.StatusCode
}

func TestListenBadAddressFails(t *testing.T) {
	t.Parallel()
	l := startListen(t, "--secret", newTestSecret(t))
	addr := strings.TrimPrefix(strings.TrimSuffix(l.url, "/webhooks/clerk"), "http://")
	r := runCmd(t, "", "listen", "--secret", newTestSecret(t), "--addr", addr)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "address already in use")
	assert.Equal(t, 0, l.stop())
}

// hostileBody is the compact user.created fixture with hostile as its
// event type and its data.id.
func hostileBody(t *testing.T) []byte {
	t.Helper()
	body := compactFixture(t)
	quoted, err := json.Marshal(hostile)
	require.NoError(t, err)
	body = bytes.Replace(body, []byte(`"type":"user.created"`), append([]byte(`"type":`), quoted...), 1)
	body = bytes.Replace(body, []byte(`"id":"`+dataID(t, compactFixture(t))+`"`), append([]byte(`"id":`), quoted...), 1)
	require.Equal(t, hostile, dataID(t, body))
	return body
}

func TestListenEscapesWhatItPrints(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	l := startListen(t, "--secret", secret)
	body := hostileBody(t)
	now := time.Now()
	post := func(url, id string, sig string) {
		t.Helper()
		req := newPost(t, url, body)
		// Go's client refuses controls in a header value, as Go's server
		// does, but both let through bytes >= 0x80: a C1 CSI (U+009B, in
		// UTF-8) and an invalid byte.
		req.Header.Set("svix-id", id)
		req.Header.Set("svix-timestamp", strconv.FormatInt(now.Unix(), 10))
		req.Header.Set("svix-signature", sig)
		resp, err := httpClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	const idOK, idForged = "msg_hostile_ok\u009b2J\xff", "msg_hostile_forged\u009b2J\xff"
	post(l.url, idOK, refSign(t, secret, idOK, now, body))
	post(l.url, idForged, refSign(t, newTestSecret(t), idForged, now, body))
	post(l.url+"%0a12:00:00%0d%1b%5b2J", "msg_hostile_path", refSign(t, secret, "msg_hostile_path", now, body))

	escaped := strconv.Quote(hostile)
	line := l.waitLine(t, "msg_hostile_ok")
	assert.Contains(t, line, `"msg_hostile_ok\u009b2J\xff"  `+escaped+"  "+escaped+"  ok")
	line = l.waitLine(t, "msg_hostile_forged")
	assert.Contains(t, line, "  "+escaped+"  "+escaped+"  rejected 400")
	line = l.waitLine(t, "msg_hostile_path")
	assert.Contains(t, line, `rejected 404: nothing at "/webhooks/clerk\n12:00:00\r\x1b[2J": the receiver is at /webhooks/clerk`)
	require.Equal(t, 0, l.stop())

	out := l.stdout.String()
	assertTerminalSafe(t, out)
	for _, line := range strings.Split(out, "\n") {
		assert.False(t, strings.HasPrefix(line, "12:00:00"), "forged line: %q", line)
	}
}

func TestListenLineEscapesEveryField(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	body := hostileBody(t)
	hdr := http.Header{"Svix-Id": {"msg_" + hostile}, "Svix-Timestamp": {"1764331200"},
		"Svix-Signature": {refSign(t, secret, "msg_"+hostile, time.Unix(1764331200, 0), body)}}
	received := time.Unix(1764331200, 0)
	ev := &clerkwebhook.Event{ID: "msg_" + hostile, Type: clerkwebhook.EventType(hostile), Data: json.RawMessage(`{"id":` + strconv.Quote(hostile) + `}`)}
	for name, d := range map[string]*delivery{
		"accepted":           {received: received, method: http.MethodPost, path: "/", header: hdr, body: body, status: 200, event: ev},
		"method not allowed": {received: received, method: hostile, path: "/", header: hdr, status: http.StatusMethodNotAllowed},
		"rejected": {received: received, method: http.MethodPost, path: "/", header: hdr, body: body, status: 400,
			err: &clerkwebhook.VerificationError{Err: clerkwebhook.ErrNoMatchingSignature, MessageID: hostile}},
		"callback failed": {received: received, method: http.MethodPost, path: "/", header: hdr, body: body, status: 500,
			err: &clerkwebhook.CallbackError{Type: clerkwebhook.EventType(hostile), MessageID: hostile, Err: errors.New(hostile)}},
	} {
		t.Run(name, func(t *testing.T) {
			line := listenLine(d, newTestSecret(t), time.Minute)
			assertTerminalSafe(t, line+"\n")
			assert.Contains(t, line, strconv.Quote("msg_"+hostile))
		})
	}
}

func TestListenDiagnosesEmptyBody(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	l := startListen(t, "--secret", secret)
	signedAt := time.Now()
	headers := writeFile(t, "h.txt", []byte(refHeaders(t, secret, "msg_empty1", signedAt, compactFixture(t))))
	assert.Equal(t, 400, postCapture(t, l.url, headers, nil))
	line := l.waitLine(t, "msg_empty1")
	assert.Contains(t, line, "rejected 400: clerkwebhook: no matching signature")
	assert.Contains(t, line, "cause: the body is empty (0 bytes): something (a middleware, a framework's body parser, a logging wrapper) consumed it before verification; read the raw body first")
	assert.NotContains(t, line, "wrong secret")
	assert.Equal(t, 0, l.stop())
}

func TestListenDiagnosesReencodedBodies(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	l := startListen(t, "--secret", secret)
	email := compactFixtureOf(t, clerkwebhook.EmailCreated)
	user := compactFixture(t)
	for _, tc := range []struct {
		id           string
		signed, sent []byte
		want         []string
	}{
		{id: "msg_goescaped1", signed: email, sent: goEscaped(email),
			want: []string{"cause: the body was re-encoded by Go's encoding/json, which escapes <, > and &: the unescaped form verifies"}},
		{id: "msg_goescaped2", signed: email, sent: goEscaped(changed(t, email)),
			want: []string{`cause: the body looks re-encoded: it has \u003c and \u003e escapes, as Go's encoding/json writes`, "capture the raw body before any middleware"}},
		{id: "msg_sorted1", signed: user, sent: mapRoundTrip(t, user),
			want: []string{"cause: the body looks re-encoded: its keys are sorted at every level, as a Go map or json.Marshal of a map produces", "if the raw body also fails, the secret is wrong"}},
		{id: "msg_sorted2", signed: email, sent: mapRoundTrip(t, email),
			want: []string{`it has \u003c and \u003e escapes`, "its keys are sorted at every level"}},
	} {
		headers := writeFile(t, "h.txt", []byte(refHeaders(t, secret, tc.id, time.Now(), tc.signed)))
		assert.Equal(t, 400, postCapture(t, l.url, headers, tc.sent))
		line := l.waitLine(t, tc.id)
		assert.Contains(t, line, "rejected 400: clerkwebhook: no matching signature")
		for _, w := range tc.want {
			assert.Contains(t, line, w)
		}
		assert.NotContains(t, line, "wrong secret")
	}
	assert.Equal(t, 0, l.stop())
}
