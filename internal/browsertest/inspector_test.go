package browsertest

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
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/diagnose/diagnosetest"
)

// wrongSecret is the diagnosis of a delivery signed under another secret.
const wrongSecret = "wrong secret (check the endpoint and the instance: dev vs prod secrets differ) or a forged request"

var client = &http.Client{Timeout: 20 * time.Second}

// send posts body with svix-* headers signed by the reference library
// under secret, plus extra headers, and returns the answer's status.
func send(t *testing.T, url, secret, id string, signed, sent []byte, extra ...string) int {
	t.Helper()
	now := time.Now()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(sent))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Svix-Id", id)
	req.Header.Set("Svix-Timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("Svix-Signature", diagnosetest.Sign(t, secret, id, now, signed))
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Add(extra[i], extra[i+1])
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(t, err)
	return resp.StatusCode
}

// rowWith is a JavaScript expression for the list's row whose message id
// cell is id.
func rowWith(id string) string {
	return fmt.Sprintf(`Array.from(document.querySelectorAll('#rows tr')).find((tr) => tr.querySelector('td.id').textContent === %s)`, js(id))
}

// openPage loads the inspector in tb and waits for its live stream.
func openPage(t *testing.T, tb *tab, l *listenProc) {
	t.Helper()
	tb.do(t, chromedp.Navigate(l.page+"/"))
	tb.mustWaitFor(t, `document.getElementById('live').textContent === 'live'`, 10*time.Second)
}

func TestLiveUpdates(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	secret := diagnosetest.NewSecret(t)
	l := startListen(t, secret)
	openPage(t, tb, l)
	assert.True(t, eval[bool](t, tb, `!document.getElementById('empty').hidden`), "says there is nothing yet")
	// A mark that a reload would wipe.
	eval[chromedp.Void](t, tb, `window.notReloaded = true`)

	body := diagnosetest.CompactFixture(t, clerkwebhook.UserCreated)
	for _, tc := range []struct {
		id, verdict, cause string
		signer             string
		sent               []byte
	}{
		{id: "msg_live_valid", verdict: "accepted", signer: secret, sent: body},
		{id: "msg_live_forged", verdict: "rejected 400: no matching signature", cause: wrongSecret,
			signer: diagnosetest.NewSecret(t), sent: body},
		{id: "msg_live_reserialized", verdict: "rejected 400: no matching signature",
			cause:  "the body was re-serialized (verify the raw bytes, before any JSON decoding): its compact form verifies",
			signer: secret, sent: diagnosetest.Indented(t, body, "  ")},
	} {
		send(t, l.url, tc.signer, tc.id, body, tc.sent)
		sent := time.Now()
		tb.mustWaitFor(t, rowWith(tc.id), 2*time.Second)
		t.Logf("%s in the list %v after its answer", tc.id, time.Since(sent).Round(time.Millisecond))
		cells := eval[[]string](t, tb, `Array.from(`+rowWith(tc.id)+`.cells).map((td) => td.textContent)`)
		require.Len(t, cells, 7)
		assert.Regexp(t, `^\d\d:\d\d:\d\d$`, cells[0])
		assert.Equal(t, []string{tc.id, "user.created", "user_30TbaSJBhmLScO0rTRMoSYc7BTg", tc.verdict, "–", tc.cause}, cells[1:],
			"time, message id, type, object id, verdict, forwarded, cause")
	}
	assert.Equal(t, []string{"msg_live_reserialized", "msg_live_forged", "msg_live_valid"},
		eval[[]string](t, tb, `Array.from(document.querySelectorAll('#rows td.id')).map((td) => td.textContent)`), "newest first")
	assert.True(t, eval[bool](t, tb, `window.notReloaded === true`), "no reload")
	assert.True(t, eval[bool](t, tb, `document.getElementById('empty').hidden`))
}

func TestDetailAndReplay(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	secret := diagnosetest.NewSecret(t)
	a := newApp(t, http.StatusOK)
	l := startListen(t, secret, "--forward-to", a.URL)
	openPage(t, tb, l)

	body := diagnosetest.CompactFixture(t, clerkwebhook.UserCreated)
	require.Equal(t, http.StatusOK, send(t, l.url, secret, "msg_detail1", body, body))
	first := a.next(t)
	tb.mustWaitFor(t, rowWith("msg_detail1"), 2*time.Second)
	tb.do(t, chromedp.Click(chromedp.CSS(`#rows tr[data-seq="1"]`)))
	tb.mustWaitFor(t, `document.getElementById('pretty')`, 5*time.Second)

	pretty := eval[string](t, tb, `document.getElementById('pretty').textContent`)
	var indented bytes.Buffer
	require.NoError(t, json.Indent(&indented, body, "", "  "))
	assert.Equal(t, indented.String(), pretty, "the body pretty-printed")
	assert.Equal(t, string(body), eval[string](t, tb, `document.getElementById('raw').textContent`), "and raw")
	headers := eval[[][]string](t, tb, `Array.from(document.querySelectorAll('#headers tr')).map((tr) => Array.from(tr.cells).map((c) => c.textContent))`)
	assert.Contains(t, headers, []string{"Svix-Id", "msg_detail1", "signature"})
	assert.Contains(t, headers, []string{"Svix-Signature", first.header.Get("Svix-Signature"), "signature"})
	assert.Contains(t, headers, []string{"Content-Type", "application/json", ""})
	summary := eval[string](t, tb, `document.querySelector('#detail section.part dl').textContent`)
	for _, want := range []string{"user.created", "user_30TbaSJBhmLScO0rTRMoSYc7BTg", "*clerkwebhook.User", "the verified event"} {
		assert.Contains(t, summary, want)
	}
	tb.mustWaitFor(t, `document.querySelectorAll('#attempts tbody tr').length === 1`, time.Second)

	// Replay: the same request reaches the app again, id and all.
	tb.do(t, chromedp.Click(chromedp.ID("replay")))
	again := a.next(t)
	assert.Equal(t, first, again)
	tb.mustWaitFor(t, `document.getElementById('action-status').textContent === 'replay sent as msg_detail1: the app answered 200'`, 5*time.Second)
	tb.mustWaitFor(t, `document.querySelectorAll('#attempts tbody tr').length === 2`, 5*time.Second)

	// Replay as new: a fresh id, signed with the listener's secret.
	tb.do(t, chromedp.Click(chromedp.ID("replay-new")))
	fresh := a.next(t)
	assert.Equal(t, body, fresh.body)
	assert.NotEqual(t, "msg_detail1", fresh.header.Get("Svix-Id"))
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	ref := http.Header{}
	ref.Set("webhook-id", fresh.header.Get("Svix-Id"))
	ref.Set("webhook-timestamp", fresh.header.Get("Svix-Timestamp"))
	ref.Set("webhook-signature", fresh.header.Get("Svix-Signature"))
	require.NoError(t, wh.Verify(fresh.body, ref), "the reference library accepts the new signature")
	tb.mustWaitFor(t, `document.querySelectorAll('#attempts tbody tr').length === 3`, 5*time.Second)
	attempts := eval[[][]string](t, tb, `Array.from(document.querySelectorAll('#attempts tbody tr')).map((tr) => Array.from(tr.cells).map((c) => c.textContent))`)
	for i, want := range [][2]string{{"delivery", "msg_detail1"}, {"replay", "msg_detail1"}, {"replay as new", fresh.header.Get("Svix-Id")}} {
		assert.Equal(t, want[0], attempts[i][1])
		assert.Equal(t, want[1], attempts[i][2])
		assert.Equal(t, "200 OK", attempts[i][3])
	}
	assert.Equal(t, "200 · 3 attempts", eval[string](t, tb, rowWith("msg_detail1")+`.querySelector('td.forwarded').textContent`))

	// Copy as curl shows the command; the capture is a link to download.
	tb.do(t, chromedp.Click(chromedp.ID("copy-curl")))
	tb.mustWaitFor(t, `!document.getElementById('curl').hidden`, time.Second)
	assert.True(t, strings.HasPrefix(eval[string](t, tb, `document.getElementById('curl').textContent`), "curl -sS '"+l.url+"'"))
	assert.Equal(t, "/api/deliveries/1/capture", eval[string](t, tb, `document.getElementById('download').getAttribute('href')`))
	a.none(t)
}

func TestHostileBytesRenderAsText(t *testing.T) {
	t.Parallel()
	secret := diagnosetest.NewSecret(t)
	a := newApp(t, http.StatusOK)
	l := startListen(t, secret, "--forward-to", a.URL)

	// Markup in the type, the data id, the message id, a header and the
	// body; escape sequences too (in JSON strings, and raw in a body that
	// is not JSON). Each script would set window.injected.
	const markup = `<script>window.injected=1</script><img src=x onerror="window.injected=2"><svg onload="window.injected=3">`
	const escapes = "\x1b]0;PWNED\a\x1b[2J\r\n"
	var enc bytes.Buffer
	e := json.NewEncoder(&enc)
	e.SetEscapeHTML(false) // the markup as it is, in the JSON
	require.NoError(t, e.Encode(markup+escapes))
	quoted := bytes.TrimSuffix(enc.Bytes(), []byte("\n"))
	body := diagnosetest.CompactFixture(t, clerkwebhook.UserCreated)
	body = bytes.Replace(body, []byte(`"type":"user.created"`), append([]byte(`"type":`), quoted...), 1)
	body = bytes.Replace(body, []byte(`"id":"user_30TbaSJBhmLScO0rTRMoSYc7BTg"`), append([]byte(`"id":`), quoted...), 1)
	id := `msg_<img src=x onerror="window.injected=4">` + "\u009b\xff"
	send(t, l.url, secret, id, body, body, "X-Markup", `<script>window.injected=5</script>`+"\u009b")
	a.next(t)
	raw := []byte(markup + escapes + "\xff")
	send(t, l.url, secret, "msg_hostile_raw", raw, raw)
	a.next(t)

	for _, csp := range []bool{true, false} {
		t.Run(fmt.Sprintf("CSP %v", csp), func(t *testing.T) {
			t.Parallel()
			tb := newTab(t)
			if !csp {
				// Without the page's Content-Security-Policy: the text
				// stays text by itself, not because the policy blocks it.
				_, err := chromedp.Call(tb.ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
				require.NoError(t, err)
			}
			openPage(t, tb, l)
			tb.mustWaitFor(t, `document.querySelectorAll('#rows tr').length === 2`, 2*time.Second)
			shown := strconv.Quote(markup + escapes) // as the terminal shows it
			cells := eval[[]string](t, tb, `Array.from(document.querySelector('#rows tr[data-seq="1"]').cells).map((td) => td.textContent)`)
			assert.Equal(t, []string{strconv.Quote(id), shown, shown, "accepted"}, cells[1:5])

			tb.do(t, chromedp.Click(chromedp.CSS(`#rows tr[data-seq="1"]`)))
			tb.mustWaitFor(t, `document.getElementById('pretty')`, 5*time.Second)
			headers := eval[string](t, tb, `document.getElementById('headers').textContent`)
			assert.Contains(t, headers, strconv.Quote(`<script>window.injected=5</script>`+"\u009b"))
			assert.Contains(t, eval[string](t, tb, `document.getElementById('pretty').textContent`), `  "type": "<script>window.injected=1</script>`)

			tb.do(t, chromedp.Click(chromedp.CSS(`#rows tr[data-seq="2"]`)))
			tb.mustWaitFor(t, `document.querySelector('#raw') && document.querySelector('#raw').textContent.startsWith('<script>')`, 5*time.Second)
			assert.Equal(t, markup+`\x1b]0;PWNED\a\x1b[2J\r`+"\n"+`\xff`, eval[string](t, tb, `document.getElementById('raw').textContent`),
				"escape sequences as escapes, markup as text")

			// Nothing ran, and nothing from a delivery became an element.
			assert.True(t, eval[bool](t, tb, `typeof window.injected === 'undefined'`), "an injected script ran")
			assert.Equal(t, 0, eval[int](t, tb, `document.querySelectorAll('img, svg, iframe, object, embed').length`))
			assert.Equal(t, []string{l.page + "/assets/app.js"}, eval[[]string](t, tb, `Array.from(document.scripts).map((s) => s.src)`))
			assert.False(t, eval[bool](t, tb, `document.body.textContent.includes('\x1b')`), "no raw ESC in the page")
		})
	}
}

func TestForeignOriginIsRefused(t *testing.T) {
	t.Parallel()
	secret := diagnosetest.NewSecret(t)
	a := newApp(t, http.StatusOK)
	l := startListen(t, secret, "--forward-to", a.URL)
	body := diagnosetest.CompactFixture(t, clerkwebhook.UserCreated)
	send(t, l.url, secret, "msg_origin1", body, body)
	a.next(t)
	target := l.page + "/api/deliveries/1/replay"

	// Another site open in the same browser: another origin (a port of
	// its own on the same host, the closest another site gets) tries a
	// replay with fetch, with fetch and a guessed token (which needs a
	// CORS preflight), and with form posts, one under Referrer-Policy:
	// no-referrer (which sends "Origin: null").
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/fetch":
			fmt.Fprintf(w, `<!doctype html><script>
(async () => {
  const results = [];
  try { const r = await fetch(%[1]s, {method: 'POST', mode: 'no-cors'}); results.push('no-cors: ' + r.type); }
  catch (e) { results.push('no-cors: ' + e.name); }
  try { const r = await fetch(%[1]s, {method: 'POST', headers: {'X-Clerkwebhook-Token': 'guess'}}); results.push('cors: ' + r.status); }
  catch (e) { results.push('cors: ' + e.name); }
  window.results = results;
})();
</script>`, js(target))
		case "/form", "/form-no-referrer":
			if r.URL.Path == "/form-no-referrer" {
				w.Header().Set("Referrer-Policy", "no-referrer")
			}
			fmt.Fprintf(w, `<!doctype html><form method="post" action=%s></form><script>document.forms[0].submit()</script>`, js(target))
		}
	}))
	defer foreign.Close()

	tb := newTab(t)
	tb.do(t, chromedp.Navigate(foreign.URL+"/fetch"))
	tb.mustWaitFor(t, `window.results`, 10*time.Second)
	// Both fetches have ended, so the inspector has answered both.
	results := eval[[]string](t, tb, `window.results`)
	assert.Equal(t, []string{"no-cors: TypeError", "cors: TypeError"}, results,
		"the first is refused (and its answer is unreadable), the second never sent past its preflight")
	a.none(t)

	// A form post carries the other site's origin; under no-referrer,
	// "Origin: null".
	for path, want := range map[string]string{
		"/form":             `refused: Origin \"` + foreign.URL + `\" is not the inspector page's`,
		"/form-no-referrer": `refused: \"Origin: null\"`,
	} {
		tb.do(t, chromedp.Navigate(foreign.URL+path))
		tb.waitLoaded(t, target)
		assert.Contains(t, eval[string](t, tb, `document.body.textContent`), want, path)
		a.none(t)
	}

	// The page itself still can.
	tb.do(t, chromedp.Navigate(l.page+"/"))
	tb.mustWaitFor(t, `document.querySelector('#rows tr[data-seq="1"]')`, 5*time.Second)
	tb.do(t, chromedp.Click(chromedp.CSS(`#rows tr[data-seq="1"]`)), chromedp.WaitVisible(chromedp.ID("replay")), chromedp.Click(chromedp.ID("replay")))
	assert.Equal(t, "msg_origin1", a.next(t).header.Get("Svix-Id"))
}

func TestForwarding(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	secret := diagnosetest.NewSecret(t)
	a := newApp(t, http.StatusServiceUnavailable)
	l := startListen(t, secret, "--forward-to", a.URL+"/api/clerk")
	openPage(t, tb, l)

	// Written on the wire byte for byte: what the app gets must be the
	// same, headers (but the connection's) and body.
	body := diagnosetest.CompactFixture(t, clerkwebhook.UserCreated)
	body = append(append([]byte("\xef\xbb\xbf"), body...), "\r\n"...)
	now := time.Now()
	sig := diagnosetest.Sign(t, secret, "msg_fwd1", now, body)
	head := "svix-id: msg_fwd1\r\nsvix-timestamp: " + strconv.FormatInt(now.Unix(), 10) + "\r\nsvix-signature: " + sig + "\r\n" +
		"Content-Type: application/json\r\nUser-Agent: Svix-Webhooks/1.76.1\r\nX-Twice: 1\r\nX-Twice: 2\r\nConnection: close\r\n"
	host := strings.TrimPrefix(l.url, "http://")
	host, _, _ = strings.Cut(host, "/")
	conn, err := net.Dial("tcp", host)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /webhooks/clerk HTTP/1.1\r\nHost: %s\r\n%sContent-Length: %d\r\n\r\n%s", host, head, len(body), body)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	answer, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "the app's status, to the sender")
	assert.Equal(t, "the app says 503", string(answer))

	got := a.next(t)
	assert.Equal(t, body, got.body)
	assert.Equal(t, http.Header{
		"Svix-Id": {"msg_fwd1"}, "Svix-Timestamp": {strconv.FormatInt(now.Unix(), 10)}, "Svix-Signature": {sig},
		"Content-Type": {"application/json"}, "User-Agent": {"Svix-Webhooks/1.76.1"}, "X-Twice": {"1", "2"},
		"Content-Length": {strconv.Itoa(len(body))},
	}, got.header)

	tb.mustWaitFor(t, rowWith("msg_fwd1"), 2*time.Second)
	assert.Equal(t, []string{"503", "forwarded bad"},
		eval[[]string](t, tb, `[`+rowWith("msg_fwd1")+`.querySelector('td.forwarded').textContent, `+rowWith("msg_fwd1")+`.querySelector('td.forwarded').className]`))
	assert.Contains(t, eval[string](t, tb, `document.querySelector('header').textContent`), "forwarding to "+a.URL+"/api/clerk")
}

// TestScreenshot fills a page as a developer would see it and takes the
// picture docs/command.md shows; -update-screenshot writes it.
func TestScreenshot(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	secret := diagnosetest.NewSecret(t)
	a := newApp(t, http.StatusOK)
	l := startListen(t, secret, "--forward-to", a.URL+"/api/webhooks/clerk")
	user := diagnosetest.CompactFixture(t, clerkwebhook.UserCreated)
	session := diagnosetest.CompactFixture(t, clerkwebhook.SessionCreated)
	email := diagnosetest.CompactFixture(t, clerkwebhook.EmailCreated)
	send(t, l.url, secret, "msg_2yF1kQ7ZbW0cTn8LrVx3pHs9aDe", user, user)
	send(t, l.url, secret, "msg_2yF1mA4XcQ9dRt6KsWz2nJu8bFg", session, session)
	send(t, l.url, diagnosetest.NewSecret(t), "msg_2yF1oP3VdE8fSu5MtXy1kLw7cHh", email, email)
	send(t, l.url, secret, "msg_2yF1qN2UeF7gTv4NuYz0jMx6dIi", user, diagnosetest.Indented(t, user, "  "))
	for range 4 {
		a.next(t)
	}
	openPage(t, tb, l)
	tb.mustWaitFor(t, `document.querySelectorAll('#rows tr').length === 4`, 2*time.Second)
	tb.do(t, chromedp.Click(chromedp.CSS(`#rows tr[data-seq="4"]`)))
	tb.mustWaitFor(t, `document.getElementById('pretty')`, 5*time.Second)
	tb.do(t, chromedp.Click(chromedp.ID("replay")))
	tb.mustWaitFor(t, `document.querySelectorAll('#attempts tbody tr').length === 2`, 5*time.Second)
	a.next(t)
	// The listener's address changes from run to run: show the usual one.
	eval[chromedp.Void](t, tb, `document.getElementById('receiver').textContent = 'http://127.0.0.1:3000/webhooks/clerk';
		document.querySelector('#forward-to code').textContent = 'http://127.0.0.1:8080/api/webhooks/clerk'`)
	tb.do(t, chromedp.EmulateViewport(1400, 860))
	png, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(png, []byte("\x89PNG")))
	if *updateScreenshot {
		path := filepath.Join("..", "..", "docs", "inspector.png")
		require.NoError(t, os.WriteFile(path, png, 0o644))
		t.Logf("wrote %s (%d bytes)", path, len(png))
	}
}
