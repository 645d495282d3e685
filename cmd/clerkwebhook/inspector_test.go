package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
)

// The inspector and --forward-to, tested over HTTP without a browser; the
// page itself is tested in a real browser by internal/browsertest.

// appRequest is what the app behind --forward-to received.
type appRequest struct {
	method, uri string
	header      http.Header
	body        []byte
}

// app is the app behind --forward-to: it records every request, in order,
// and answers status with a body of its own.
type app struct {
	*httptest.Server
	got chan appRequest
}

func newApp(t *testing.T, status int) *app {
	t.Helper()
	a := &app{got: make(chan appRequest, 32)}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			panic(err)
		}
		a.got <- appRequest{r.Method, r.RequestURI, r.Header.Clone(), body}
		w.Header().Set("Content-Type", "text/x-app")
		w.WriteHeader(status)
		fmt.Fprintf(w, "the app says %d", status)
	}))
	t.Cleanup(a.Close)
	return a
}

// next returns the app's next request. The forwarder waits for the app's
// answer, and the app records a request before answering, so a request
// forwarded before a response the test has read is already here.
func (a *app) next(t *testing.T) appRequest {
	t.Helper()
	select {
	case r := <-a.got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the app received nothing")
		return appRequest{}
	}
}

// none checks that the app has received nothing not yet taken by next.
func (a *app) none(t *testing.T) {
	t.Helper()
	select {
	case r := <-a.got:
		t.Errorf("the app received %s %s (svix-id %q)", r.method, r.uri, r.header.Get("Svix-Id"))
	default:
	}
}

// inspected is a running listen with its inspector page.
type inspected struct {
	*listener
	page  string // http://host:port, no trailing slash
	token string
}

var inspectorPage = regexp.MustCompile(`inspector page: (http://\S+)/\n`)

// startInspector runs listen with the page on a free port.
func startInspector(t *testing.T, args ...string) *inspected {
	t.Helper()
	l := startListen(t, append([]string{"--ui-addr", "127.0.0.1:0"}, args...)...)
	require.Eventually(t, func() bool { return inspectorPage.MatchString(l.stdout.String()) }, 5*time.Second, 5*time.Millisecond,
		"no inspector page in %q", l.stdout.String())
	in := &inspected{listener: l, page: inspectorPage.FindStringSubmatch(l.stdout.String())[1]}
	html := get(t, in.page+"/", nil)
	m := regexp.MustCompile(`<meta name="clerkwebhook-token" content="([0-9a-f]{32})">`).FindStringSubmatch(html)
	require.NotNil(t, m, html)
	in.token = m[1]
	return in
}

// get returns the body of a 200 answer to a GET.
func get(t *testing.T, url string, header http.Header) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := httpClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s: %s", url, b)
	return string(b)
}

// detail returns a delivery's detail view.
func (in *inspected) detail(t *testing.T, seq int64) detailView {
	t.Helper()
	var d detailView
	require.NoError(t, json.Unmarshal([]byte(get(t, fmt.Sprintf("%s/api/deliveries/%d", in.page, seq), nil)), &d))
	return d
}

// waitDetail waits for delivery seq to be recorded (the receiver records
// it after answering the sender) and returns it.
func (in *inspected) waitDetail(t *testing.T, seq int64) detailView {
	t.Helper()
	url := fmt.Sprintf("%s/api/deliveries/%d", in.page, seq)
	require.Eventually(t, func() bool {
		resp, err := httpClient.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 5*time.Second, 5*time.Millisecond, "delivery %d never recorded", seq)
	return in.detail(t, seq)
}

// post makes a POST as the page does, with changes made by edit.
func (in *inspected) post(t *testing.T, path string, edit func(*http.Request)) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, in.page+path, nil)
	require.NoError(t, err)
	req.Header.Set("Origin", in.page)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set(tokenHeader, in.token)
	if edit != nil {
		edit(req)
	}
	resp, err := httpClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// signedPost is a delivery of body signed by the reference library.
func signedPost(t *testing.T, url, secret, id string, body []byte) *http.Request {
	t.Helper()
	now := time.Now()
	req := newPost(t, url, body)
	req.Header.Set("Svix-Id", id)
	req.Header.Set("Svix-Timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("Svix-Signature", refSign(t, secret, id, now, body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := httpClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// rawRequest writes an HTTP/1.1 request byte for byte on a new connection
// and returns the answer.
func rawRequest(t *testing.T, url, head string, body []byte) (*http.Response, string) {
	t.Helper()
	host := strings.TrimPrefix(url, "http://")
	host, path, _ := strings.Cut(host, "/")
	conn, err := net.Dial("tcp", host)
	require.NoError(t, err)
	defer conn.Close()
	req := fmt.Sprintf("POST /%s HTTP/1.1\r\nHost: %s\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n", path, host, head, len(body))
	_, err = conn.Write(append([]byte(req), body...))
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func TestForwardIsByteForByte(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	a := newApp(t, http.StatusAccepted)
	in := startInspector(t, "--secret", secret, "--forward-to", a.URL+"/api/clerk?from=listen")

	// A valid delivery, and one with bytes a proxy might "fix": CRLF, a
	// BOM, an invalid byte, a NUL, trailing spaces. Headers repeated,
	// oddly spaced, unknown, in lower case; hop-by-hop ones are not
	// passed on.
	valid := compactFixture(t)
	odd := append([]byte("\xef\xbb\xbf"), bytes.ReplaceAll(indented(t, valid, "\t"), []byte("\n"), []byte("\r\n"))...)
	odd = append(odd, " \x00\xff\r\n"...)
	for i, body := range [][]byte{valid, odd} {
		id := fmt.Sprintf("msg_fwd_bytes%d", i)
		now := time.Now()
		head := fmt.Sprintf("svix-id: %s\r\nsvix-timestamp: %d\r\nsvix-signature: %s\r\n", id, now.Unix(), refSign(t, secret, id, now, valid)) +
			"X-Repeated: one\r\nX-Repeated: two\r\nX-Spaced: a  b\r\nuser-agent: Svix-Webhooks/1.76.1 (sometimes; +https://www.svix.com/http-sender/)\r\n" +
			"Content-Type: application/json\r\nKeep-Alive: timeout=5\r\nX-Hop: 1\r\nConnection: X-Hop\r\n"
		resp, answer := rawRequest(t, in.url, head, body)
		assert.Equal(t, http.StatusAccepted, resp.StatusCode, "the app's status is the sender's")
		assert.Equal(t, "the app says 202", answer)
		assert.Equal(t, "text/x-app", resp.Header.Get("Content-Type"))

		got := a.next(t)
		assert.Equal(t, "POST", got.method)
		assert.Equal(t, "/api/clerk?from=listen", got.uri)
		assert.Equal(t, body, got.body, "the body, byte for byte")
		assert.Equal(t, http.Header{
			"Svix-Id": {id}, "Svix-Timestamp": {strconv.FormatInt(now.Unix(), 10)}, "Svix-Signature": {refSign(t, secret, id, now, valid)},
			"X-Repeated": {"one", "two"}, "X-Spaced": {"a  b"}, "Content-Type": {"application/json"},
			"User-Agent":     {"Svix-Webhooks/1.76.1 (sometimes; +https://www.svix.com/http-sender/)"},
			"Content-Length": {strconv.Itoa(len(body))},
		}, got.header)
		if i == 0 {
			require.NoError(t, refVerify(t, secret, got.header, got.body), "the app can verify what it got")
		}
	}
	a.none(t)
	assert.Equal(t, 0, in.stop())
}

func TestForwardAnswers(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	body := compactFixture(t)
	t.Run("the app's status, whatever the verdict", func(t *testing.T) {
		t.Parallel()
		a := newApp(t, http.StatusTeapot)
		in := startInspector(t, "--secret", secret, "--forward-to", a.URL)
		resp, answer := do(t, signedPost(t, in.url, newTestSecret(t), "msg_fwd_forged", body))
		assert.Equal(t, http.StatusTeapot, resp.StatusCode)
		assert.Equal(t, "the app says 418", answer)
		assert.Equal(t, "msg_fwd_forged", a.next(t).header.Get("Svix-Id"))
		line := in.waitLine(t, "msg_fwd_forged")
		assert.Contains(t, line, "rejected 400: clerkwebhook: no matching signature", "the terminal still shows the verdict")
		d := in.waitDetail(t, 1)
		assert.Equal(t, "418", d.Forwarded)
		assert.Equal(t, "no matching signature", d.Verdict)
		require.Len(t, d.Attempts, 1)
		assert.Equal(t, "delivery", d.Attempts[0].Kind)
		assert.Equal(t, "418 I'm a teapot", d.Attempts[0].StatusText)
		assert.Equal(t, "the app says 418", d.Attempts[0].Answer)

		// A GET at the path goes on too; one elsewhere does not.
		resp, _ = do(t, mustRequest(t, http.MethodGet, in.url))
		assert.Equal(t, http.StatusTeapot, resp.StatusCode)
		assert.Equal(t, "GET", a.next(t).method)
		resp, _ = do(t, signedPost(t, in.url+"x", secret, "msg_fwd_path", body))
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		a.none(t)
	})
	t.Run("502 when the app does not answer", func(t *testing.T) {
		t.Parallel()
		gone := httptest.NewServer(http.NotFoundHandler())
		gone.Close()
		in := startInspector(t, "--secret", secret, "--forward-to", gone.URL)
		resp, answer := do(t, signedPost(t, in.url, secret, "msg_fwd_gone", body))
		assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
		assert.Contains(t, answer, "clerkwebhook listen: no answer from "+gone.URL)
		d := in.waitDetail(t, 1)
		assert.Equal(t, "accepted", d.Verdict)
		assert.Equal(t, "no answer", d.Forwarded)
		require.Len(t, d.Attempts, 1)
		assert.Contains(t, d.Attempts[0].Error, "connection refused")
	})
	t.Run("a body over the limit is not forwarded", func(t *testing.T) {
		t.Parallel()
		a := newApp(t, http.StatusOK)
		in := startInspector(t, "--secret", secret, "--forward-to", a.URL)
		big := bytes.Repeat([]byte("x"), clerkwebhook.DefaultMaxBodyBytes+1)
		for _, chunked := range []bool{false, true} {
			req := signedPost(t, in.url, secret, "msg_fwd_big", big)
			if chunked {
				req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(big)), -1
			}
			resp, err := httpClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "chunked %v", chunked)
		}
		d := in.waitDetail(t, 2)
		assert.True(t, d.BodyTruncated)
		assert.Equal(t, clerkwebhook.DefaultMaxBodyBytes, d.BodySize, "the first bytes, up to the limit")
		assert.Empty(t, d.Attempts)
		assert.Equal(t, "the body was over the size limit and was not kept whole", d.ReplayOff)
		a.none(t)
	})
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	return req
}

func TestInspectorReplays(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	a := newApp(t, http.StatusOK)
	in := startInspector(t, "--secret", secret, "--forward-to", a.URL)
	body := compactFixture(t)
	req := signedPost(t, in.url, secret, "msg_replay1", body)
	req.Header.Set("Webhook-Id", "msg_replay1") // a second family, replaced too when signing anew
	resp, _ := do(t, req)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	first := a.next(t)
	in.waitDetail(t, 1)

	status, answer := in.post(t, "/api/deliveries/1/replay", nil)
	require.Equal(t, http.StatusOK, status, answer)
	assert.JSONEq(t, `{"kind":"replay","messageId":"msg_replay1","status":200}`, answer)
	again := a.next(t)
	assert.Equal(t, first, again, "a replay is the same request again")

	status, answer = in.post(t, "/api/deliveries/1/replay-new", nil)
	require.Equal(t, http.StatusOK, status, answer)
	fresh := a.next(t)
	assert.Equal(t, body, fresh.body)
	newID := fresh.header.Get("Svix-Id")
	assert.Regexp(t, `^msg_[0-9A-Za-z]{27}$`, newID)
	assert.NotContains(t, fresh.header, "Webhook-Id")
	assert.Equal(t, first.header.Get("Content-Type"), fresh.header.Get("Content-Type"))
	require.NoError(t, refVerify(t, secret, fresh.header, fresh.body), "signed anew with the listener's secret")
	assert.Contains(t, answer, `"messageId":"`+newID+`"`)

	d := in.detail(t, 1)
	require.Len(t, d.Attempts, 3)
	for i, want := range []struct{ kind, id string }{{"delivery", "msg_replay1"}, {"replay", "msg_replay1"}, {"replay as new", newID}} {
		assert.Equal(t, want.kind, d.Attempts[i].Kind)
		assert.Equal(t, want.id, d.Attempts[i].MessageID)
		assert.Equal(t, 200, d.Attempts[i].Status)
	}
	assert.Equal(t, 3, d.rowView.Attempts)

	status, answer = in.post(t, "/api/deliveries/7/replay", nil)
	assert.Equal(t, http.StatusNotFound, status, answer)
	a.none(t)
}

func TestInspectorReplayNeedsForwardTo(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	in := startInspector(t, "--secret", secret)
	resp, _ := do(t, signedPost(t, in.url, secret, "msg_noforward", compactFixture(t)))
	require.Equal(t, http.StatusOK, resp.StatusCode, "no --forward-to: the library's answer, as before")
	d := in.waitDetail(t, 1)
	assert.Empty(t, d.Attempts)
	assert.Contains(t, d.ReplayOff, "--forward-to")
	status, answer := in.post(t, "/api/deliveries/1/replay", nil)
	assert.Equal(t, http.StatusConflict, status)
	assert.Contains(t, answer, "--forward-to")
}

func TestInspectorRefusesPostsFromElsewhere(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	a := newApp(t, http.StatusOK)
	in := startInspector(t, "--secret", secret, "--forward-to", a.URL)
	resp, _ := do(t, signedPost(t, in.url, secret, "msg_origin1", compactFixture(t)))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	a.next(t)
	in.waitDetail(t, 1)

	for name, tc := range map[string]struct {
		edit func(*http.Request)
		want string
	}{
		"no Origin":           {func(r *http.Request) { r.Header.Del("Origin") }, "no Origin header"},
		"Origin null":         {func(r *http.Request) { r.Header.Set("Origin", "null") }, `"Origin: null"`},
		"another origin":      {func(r *http.Request) { r.Header.Set("Origin", "http://evil.example") }, `Origin "http://evil.example" is not`},
		"another port":        {func(r *http.Request) { r.Header.Set("Origin", in.url[:strings.LastIndex(in.url, ":")]+":1") }, "is not the inspector page's"},
		"https origin":        {func(r *http.Request) { r.Header.Set("Origin", strings.Replace(in.page, "http:", "https:", 1)) }, "is not the inspector page's"},
		"cross-site fetch":    {func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }, `a "cross-site" request`},
		"same-site fetch":     {func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "same-site") }, `a "same-site" request`},
		"no token":            {func(r *http.Request) { r.Header.Del(tokenHeader) }, "missing or wrong " + tokenHeader},
		"wrong token":         {func(r *http.Request) { r.Header.Set(tokenHeader, strings.Repeat("0", 32)) }, "missing or wrong"},
		"Host named by a DNS": {func(r *http.Request) { r.Host = "rebound.example"; r.Header.Set("Origin", "http://rebound.example") }, "answers only to"},
	} {
		t.Run(name, func(t *testing.T) {
			status, answer := in.post(t, "/api/deliveries/1/replay", tc.edit)
			want := http.StatusForbidden
			if name == "Host named by a DNS" {
				want = http.StatusMisdirectedRequest
			}
			assert.Equal(t, want, status, answer)
			var e apiError
			require.NoError(t, json.Unmarshal([]byte(answer), &e))
			assert.Contains(t, e.Error, tc.want)
			// Refused before anything was sent: the app has nothing more.
			a.none(t)
		})
	}
	// A GET cannot replay.
	req := mustRequest(t, http.MethodGet, in.page+"/api/deliveries/1/replay")
	resp, _ = do(t, req)
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	a.none(t)
	assert.Len(t, in.detail(t, 1).Attempts, 1)
}

func TestInspectorAnswersOnlyToLocalNames(t *testing.T) {
	t.Parallel()
	in := &inspector{uiHost: "devbox.internal"}
	for host, want := range map[string]bool{
		"127.0.0.1:4000": true, "[::1]:4000": true, "localhost:4000": true, "LOCALHOST": true, "10.1.2.3:4000": true,
		"devbox.internal:4000": true, "evil.example:4000": false, "localhost.evil.example": false, "": false,
	} {
		assert.Equal(t, want, in.hostAllowed(host), host)
	}
	l := startInspector(t, "--secret", newTestSecret(t))
	req := mustRequest(t, http.MethodGet, l.page+"/")
	req.Host = "rebound.example:4000"
	resp, body := do(t, req)
	assert.Equal(t, http.StatusMisdirectedRequest, resp.StatusCode)
	assert.NotContains(t, body, l.token)
}

func TestInspectorEventStream(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	in := startInspector(t, "--secret", secret, "--keep", "2")
	resp, err := httpClient.Get(in.page + "/api/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	events := bufio.NewReader(resp.Body)
	next := func() update {
		t.Helper()
		var data string
		for {
			line, err := events.ReadString('\n')
			require.NoError(t, err)
			if line == "\n" && data != "" {
				var u update
				require.NoError(t, json.Unmarshal([]byte(data), &u))
				return u
			}
			if d, ok := strings.CutPrefix(line, "data: "); ok {
				data = d
			}
		}
	}
	u := next()
	assert.Empty(t, u.Rows, "nothing yet")
	assert.Equal(t, 2, u.Keep)
	assert.Equal(t, in.url, u.Receiver)

	body := compactFixture(t)
	for i := 1; i <= 3; i++ {
		id := fmt.Sprintf("msg_stream%d", i)
		do(t, signedPost(t, in.url, secret, id, body))
		u = next()
		require.Len(t, u.Rows, 1, "only what changed")
		assert.Equal(t, int64(i), u.Rows[0].Seq)
		assert.Equal(t, id, u.Rows[0].MessageID)
		assert.Equal(t, "accepted", u.Rows[0].Verdict)
	}
	assert.Equal(t, int64(1), u.Dropped, "the third pushed out the first")
	assert.Equal(t, int64(2), u.Oldest)
	assert.Equal(t, 2, u.Kept)

	// A forged one carries its cause, in words.
	do(t, signedPost(t, in.url, newTestSecret(t), "msg_stream_forged", body))
	u = next()
	require.Len(t, u.Rows, 1)
	assert.Equal(t, "no matching signature", u.Rows[0].Verdict)
	assert.Equal(t, wrongSecret, u.Rows[0].Cause)
	assert.False(t, u.Rows[0].Accepted)
	assert.Equal(t, 0, in.stop(), "the open stream does not hold up the shutdown")
}

func TestInspectorRing(t *testing.T) {
	t.Parallel()
	in, err := newInspector(inspectorConfig{keep: 3, secret: newTestSecret(t)})
	require.NoError(t, err)
	in.bytesBudget = 100
	add := func(size int) {
		in.add(&delivery{received: time.Now(), method: "POST", header: http.Header{}, body: make([]byte, size), status: 200}, "")
	}
	for i := 0; i < 5; i++ {
		add(10)
	}
	u, version, _ := in.changesSince(-1)
	assert.Equal(t, int64(5), version)
	assert.Equal(t, int64(2), u.Dropped)
	assert.Equal(t, 3, u.Kept)
	assert.Equal(t, int64(3), u.Oldest)
	require.Len(t, u.Rows, 3)
	for i, r := range u.Rows {
		assert.Equal(t, int64(3+i), r.Seq, "oldest first")
	}
	_, ok := in.entry("2")
	assert.False(t, ok)
	_, ok = in.entry("5")
	assert.True(t, ok)
	_, ok = in.entry("6")
	assert.False(t, ok)
	_, ok = in.entry("x")
	assert.False(t, ok)

	u, _, changed := in.changesSince(version)
	assert.Empty(t, u.Rows)
	select {
	case <-changed:
		t.Fatal("changed before a change")
	default:
	}
	add(95) // over the byte budget with the others: they go
	<-changed
	u, _, _ = in.changesSince(-1)
	assert.Equal(t, 1, u.Kept)
	assert.Equal(t, int64(6), u.Oldest)
	assert.Equal(t, int64(5), u.Dropped)
	assert.Equal(t, 95, in.keptBytes)
	add(200) // alone over the budget: the latest is always kept
	u, _, _ = in.changesSince(-1)
	assert.Equal(t, 1, u.Kept)
	assert.Equal(t, int64(7), u.Oldest)

	// Attempts: the first and the latest maxAttempts-1.
	for i := 0; i < maxAttempts+3; i++ {
		in.addAttempt(7, &attempt{kind: "replay", status: 200 + i})
	}
	e, _ := in.entry("7")
	require.Len(t, e.attempts, maxAttempts)
	assert.Equal(t, 200, e.attempts[0].status)
	assert.Equal(t, 200+maxAttempts+2, e.attempts[maxAttempts-1].status)
	assert.Equal(t, 3, e.droppedAttempts)
	assert.Equal(t, maxAttempts+3, e.row().Attempts)
	in.addAttempt(1, &attempt{}) // gone: nothing happens
}

func TestInspectorShowsValuesAsText(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	a := newApp(t, http.StatusOK)
	in := startInspector(t, "--secret", secret, "--forward-to", a.URL)
	const markup = `<script>window.injected=1</script><img src=x onerror="window.injected=2">`
	body := hostileBody(t)
	body = bytes.Replace(body, []byte(`"object":"event"`), []byte(`"object":"`+strings.ReplaceAll(markup, `"`, `\"`)+`\u001b[2J"`), 1)
	id := "msg_" + markup[:8] + "\u009b2J\xff"
	req := signedPost(t, in.url, secret, id, body)
	req.Header.Set("X-Markup", markup+"\u009b\xff")
	do(t, req)
	a.next(t)
	in.waitLine(t, "msg_<script")
	raw := append([]byte(markup), "\x1b]0;PWNED\a\xff"...) // not JSON
	do(t, signedPost(t, in.url, secret, "msg_raw", raw))
	a.next(t)

	d := in.waitDetail(t, 1)
	assert.Equal(t, "accepted", d.Verdict)
	assert.Equal(t, strconv.Quote(id), d.MessageID, "escaped as the terminal shows it")
	assert.Equal(t, strconv.Quote(hostile), d.Type)
	assert.Equal(t, strconv.Quote(hostile), d.ObjectID)
	var found bool
	for _, h := range d.Headers {
		if h.Name == "X-Markup" {
			found = true
			assert.Equal(t, strconv.Quote(markup+"\u009b\xff"), h.Value)
			assert.False(t, h.Signature)
		}
		if strings.HasPrefix(h.Name, "Svix-") {
			assert.True(t, h.Signature, h.Name)
		}
	}
	assert.True(t, found)
	assert.Contains(t, d.Body, `"object":"<script>window.injected=1</script><img src=x onerror=\"window.injected=2\">\u001b[2J"`,
		"markup is text: the page puts it in with textContent")
	assert.Contains(t, d.Pretty, `  "object": "<script>`)
	assertTerminalSafe(t, d.Body+"\n")

	d = in.waitDetail(t, 2)
	assert.Equal(t, "invalid payload", d.Verdict)
	assert.Equal(t, markup+`\x1b]0;PWNED\a\xff`, d.Body, "escapes for the bytes a page cannot show")
	assert.Contains(t, d.PrettyError, "not JSON")
	assert.Empty(t, d.Type, "not JSON: no type")
	js, err := json.Marshal(d)
	require.NoError(t, err)
	assertTerminalSafe(t, string(js)+"\n")

	// Nowhere the secret.
	for _, page := range []string{"/", "/api/deliveries/1", "/assets/app.js", "/api/deliveries/1/capture"} {
		assert.NotContains(t, get(t, in.page+page, nil), strings.TrimPrefix(secret, "whsec_"), page)
	}
	assert.Equal(t, 0, in.stop())
	assertTerminalSafe(t, in.stdout.String())
}

func TestVisibleText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"{\"a\":1}\n\t<b>":      "{\"a\":1}\n\t<b>",
		"a\r\nb":                `a\r` + "\nb",
		"\x1b[2J\a\x00\x7f":     `\x1b[2J\a\x00\x7f`,
		"\u009b\u202e\u00e9😀":   `\u009b\u202eé😀`,
		"\xff\xc3(\xef\xbf\xbd": `\xff\xc3(` + "\ufffd",
		"":                      "",
	} {
		assert.Equal(t, want, visibleText([]byte(in)), "%q", in)
	}
}

func TestCaptureIsReadByVerify(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	in := startInspector(t, "--secret", secret)
	body := compactFixture(t)
	signed := append(body, "\r\n"...) // kept as sent, to the byte
	req := signedPost(t, in.url, secret, "msg_capture1", signed)
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	do(t, req)
	in.waitDetail(t, 1)
	req = signedPost(t, in.url, newTestSecret(t), "msg_capture2", body)
	do(t, req)
	in.waitDetail(t, 2)

	resp, capture := do(t, mustRequest(t, http.MethodGet, in.page+"/api/deliveries/1/capture"))
	assert.Equal(t, `attachment; filename="clerkwebhook-delivery-1.txt"`, resp.Header.Get("Content-Disposition"))
	assert.True(t, strings.HasPrefix(capture, "POST /webhooks/clerk HTTP/1.1\n# received by clerkwebhook listen at "), capture)
	assert.True(t, strings.HasSuffix(capture, "\n\n"+string(signed)), "the body follows the head, byte for byte")
	c, err := parseHeadersFile([]byte(capture))
	require.NoError(t, err)
	assert.Equal(t, []string{"one", "two"}, c.header["X-Multi"])
	assert.Equal(t, signed, c.body)

	file := writeFile(t, "capture.txt", []byte(capture))
	r := runCmd(t, "", "verify", "--secret", secret, "--headers", file)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "valid: user.created msg_capture1\n", r.stdout)
	// As of when it arrived, with the --now the capture suggests.
	now := regexp.MustCompile(`--now (\S+)`).FindStringSubmatch(capture)[1]
	r = runCmd(t, "", "verify", "--secret", secret, "--now", now, "--tolerance", "1s", "--headers", file)
	assert.Equal(t, 0, r.code, r.stderr)

	_, capture = do(t, mustRequest(t, http.MethodGet, in.page+"/api/deliveries/2/capture"))
	r = runCmd(t, "", "verify", "--secret", secret, "--headers", writeFile(t, "capture.txt", []byte(capture)))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "cause: "+wrongSecret, "the same diagnosis as the page's")
	assert.Equal(t, wrongSecret, in.detail(t, 2).Cause)
}

func TestCaptureFileOddMethodAndTruncation(t *testing.T) {
	t.Parallel()
	got := string(captureFile(time.Unix(1764331200, 250e6), "pOsT", "/x?y=1", http.Header{"A": {"1"}}, []byte("{}"), true))
	assert.Equal(t, "POST /x?y=1 HTTP/1.1\n# the method was \"pOsT\"\n"+
		"# received by clerkwebhook listen at 2025-11-28T12:00:00.25Z; to check it as of then:\n"+
		"#   clerkwebhook verify --now 1764331200.25 --headers THIS_FILE\n"+
		"# the body was over the size limit: these are its first 2 bytes\nA: 1\n\n{}", got)
	c, err := parseHeadersFile([]byte(got))
	require.NoError(t, err)
	assert.Equal(t, http.Header{"A": {"1"}}, c.header)
}

func TestCurlCommand(t *testing.T) {
	t.Parallel()
	header := http.Header{
		"Svix-Id": {"msg_1"}, "Content-Type": {"application/json"}, "X-Quote": {`it's "quoted" $HOME \n`},
		"X-Empty": {""}, "X-Bytes": {"\u009b\xff"}, "Connection": {"close"}, "Content-Length": {"9"},
	}
	body := []byte("{\"a\":\"it's $(rm -rf /) `x` \\\"\"}\n\x1b[2J")
	cmd := curlCommand("http://127.0.0.1:3000/webhooks/clerk?x=1", http.MethodPost, header, body)
	assert.NotContains(t, cmd, "\n")
	assertTerminalSafe(t, cmd+"\n")
	assert.Equal(t, `curl -sS 'http://127.0.0.1:3000/webhooks/clerk?x=1' -H 'Content-Type: application/json' `+
		`-H 'Svix-Id: msg_1' -H $'X-Bytes: \xc2\x9b\xff' -H 'X-Empty;' -H 'X-Quote: it'\''s "quoted" $HOME \n' `+
		`--data-raw $'{"a":"it\'s $(rm -rf /) `+"`x`"+` \\""}\x0a\x1b[2J'`, cmd)

	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash to run the command with")
	}
	// Run it with a curl that prints its arguments, each ended by a NUL,
	// and then standard input when it reads it: each must come out byte
	// for byte.
	run := func(cmd string) string {
		t.Helper()
		script := `curl() { for a in "$@"; do printf '%s\0' "$a"; done; if [ "${*: -1}" = @- ]; then cat; fi; }; ` + cmd
		out, err := exec.Command(bash, "-c", script).Output()
		require.NoError(t, err, "%s: %s", cmd, exitStderr(err))
		return string(out)
	}
	args := func(a ...string) string { return strings.Join(a, "\x00") + "\x00" }
	assert.Equal(t, args("-sS", "http://127.0.0.1:3000/webhooks/clerk?x=1", "-H", "Content-Type: application/json",
		"-H", "Svix-Id: msg_1", "-H", "X-Bytes: \u009b\xff", "-H", "X-Empty;", "-H", `X-Quote: it's "quoted" $HOME \n`,
		"--data-raw", string(body)), run(cmd))

	withNUL := []byte("a\x00%s\\n\xff")
	cmd = curlCommand("http://h/p", http.MethodPut, http.Header{}, withNUL)
	assert.Equal(t, `printf 'a\000%%s\\n\377' | curl -sS -X 'PUT' 'http://h/p' --data-binary @-`, cmd)
	assert.Equal(t, args("-sS", "-X", "PUT", "http://h/p", "--data-binary", "@-")+string(withNUL), run(cmd))

	assert.Equal(t, "curl -sS -X 'GET' 'http://h/p'", curlCommand("http://h/p", http.MethodGet, http.Header{"User-Agent": {""}}, nil))
}

func TestListenInspectorFlags(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--keep", "0"}, "--keep must be at least 1"},
		{[]string{"--forward-to", "ftp://x"}, "--forward-to must be an http:// or https:// URL"},
		{[]string{"--forward-to", "/relative"}, "--forward-to must be"},
	} {
		r := runCmd(t, "", append([]string{"listen", "--secret", secret, "--addr", "127.0.0.1:0"}, tc.args...)...)
		assert.Equal(t, exitUsage, r.code, "%v", tc.args)
		assert.Contains(t, r.stderr, tc.want)
	}

	// A page address taken: an error when named.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	r := runCmd(t, "", "listen", "--secret", secret, "--addr", "127.0.0.1:0", "--ui-addr", taken.Addr().String())
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, "clerkwebhook listen: the inspector page: listen tcp "+taken.Addr().String())

	// Off: no page.
	l := startListen(t, "--secret", secret, "--ui-addr", "", "--forward-to", "http://user:password@127.0.0.1:1/x")
	assert.NotContains(t, l.stdout.String(), "inspector page")
	assert.Contains(t, l.stdout.String(), "forwarding to http://user:xxxxx@127.0.0.1:1/x\n")
	assert.Equal(t, 0, l.stop())
}

func TestListenUIFallsBackToTheNextPort(t *testing.T) {
	// When 4000 is taken (and the test can take it), the default finds
	// another port up to 4009.
	first, err := net.Listen("tcp", defaultUIAddr)
	if err != nil {
		t.Skipf("cannot take %s for the test: %v", defaultUIAddr, err)
	}
	defer first.Close()
	ln, err := listenUI(defaultUIAddr, false)
	if err != nil {
		require.Contains(t, err.Error(), "and so are ports 4001 to 4009")
		t.Skip("every port up to 4009 is taken")
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	assert.True(t, port > 4000 && port <= 4009, "port %d", port)
	_, err = listenUI(defaultUIAddr, true)
	assert.Error(t, err, "a named address is not replaced")
}

// The page's script and markup hold no way to turn data into markup, and
// the page forbids inline script.
func TestPageAssetsUseNoHTMLSinks(t *testing.T) {
	t.Parallel()
	js, err := os.ReadFile("ui/app.js")
	require.NoError(t, err)
	for _, sink := range []string{".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
		"setTimeout('", "srcdoc", "javascript:"} {
		assert.NotContains(t, string(js), sink)
	}
	index, err := os.ReadFile("ui/index.html")
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(index), "<script"), "one script, from a file")
	assert.Contains(t, string(index), `<script src="/assets/app.js" defer></script>`)
	assert.NotRegexp(t, `\son[a-z]+=`, string(index), "no inline handlers")
	assert.NotContains(t, string(index), "style=")

	in := startInspector(t, "--secret", newTestSecret(t))
	for path, contentType := range map[string]string{"/": "text/html; charset=utf-8", "/assets/app.js": "text/javascript; charset=utf-8",
		"/assets/app.css": "text/css; charset=utf-8", "/api/events": "text/event-stream"} {
		req := mustRequest(t, http.MethodGet, in.page+path)
		resp, err := httpClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, contentType, resp.Header.Get("Content-Type"), path)
		assert.Equal(t, contentSecurityPolicy, resp.Header.Get("Content-Security-Policy"), path)
		assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), path)
		assert.Equal(t, "same-origin", resp.Header.Get("Referrer-Policy"), path)
	}
	resp, _ := do(t, mustRequest(t, http.MethodGet, in.page+"/nothing"))
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, 0, in.stop())
}
