package browsertest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "rewrite docs/inspector.png from TestScreenshot")

// The shared state of the test binary: the command, built once, and one
// browser, in which each test opens tabs of its own.
var (
	command    string          // the built clerkwebhook binary
	browserCtx context.Context // a chromedp context whose browser is running
	unusable   string          // why the tests cannot run, or ""
)

// requireServices is set in CI: a missing browser fails the tests.
var requireServices = os.Getenv("CLERKWEBHOOK_REQUIRE_SERVICES") == "1"

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		return m.Run() // listing the tests needs no browser
	}
	dir, err := os.MkdirTemp("", "clerkwebhook-browsertest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)

	chromium, err := findBrowser()
	switch {
	case err != nil:
		unusable = err.Error()
	default:
		command = filepath.Join(dir, "clerkwebhook")
		args := []string{"build", "-o", command}
		if raceEnabled {
			args = append(args, "-race")
		}
		build := exec.Command("go", append(args, "github.com/seed77920f6a/clerkwebhook/cmd/clerkwebhook")...)
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building clerkwebhook: %v\n%s", err, out)
			return 1
		}
	}
	if unusable == "" {
		// The flags of the task: headless, no sandbox (CI runs as root), no
		// GPU, no QUIC, nothing fetched in the background, a fresh profile.
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(chromium),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.UserDataDir(filepath.Join(dir, "profile")),
			chromedp.WindowSize(1280, 900),
		)
		defer cancelAlloc()
		var cancel context.CancelFunc
		browserCtx, cancel = chromedp.NewContext(allocCtx)
		defer cancel()
		if err := chromedp.Do(browserCtx); err != nil { // starts the browser
			fmt.Fprintf(os.Stderr, "starting %s: %v\n", chromium, err)
			return 1
		}
	}
	return m.Run()
}

// findBrowser returns the browser to drive: $CLERKWEBHOOK_CHROMIUM, else
// Debian's chromium.
func findBrowser() (string, error) {
	if p := os.Getenv("CLERKWEBHOOK_CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("no browser: CLERKWEBHOOK_CHROMIUM=%s: %w", p, err)
		}
		return p, nil
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no browser: install Debian's chromium (apt-get install chromium) or set CLERKWEBHOOK_CHROMIUM")
}

// needBrowser skips the test when there is no browser, or fails it in CI.
func needBrowser(t *testing.T) {
	t.Helper()
	if unusable == "" {
		return
	}
	if requireServices {
		t.Fatalf("%s (CLERKWEBHOOK_REQUIRE_SERVICES=1)", unusable)
	}
	t.Skip(unusable)
}

// A tab is one browser tab of a test, with the exceptions its pages threw.
type tab struct {
	ctx        context.Context
	mu         sync.Mutex
	exceptions []string
}

// newTab opens a tab for t, closed at the end of the test. The test fails
// if a page in it throws.
func newTab(t *testing.T) *tab {
	t.Helper()
	needBrowser(t)
	ctx, cancel := chromedp.NewContext(browserCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 45*time.Second)
	tb := &tab{ctx: ctx}
	require.NoError(t, chromedp.Do(ctx)) // opens the tab
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			tb.mu.Lock()
			defer tb.mu.Unlock()
			text := e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				text += " " + e.ExceptionDetails.Exception.Description
			}
			tb.exceptions = append(tb.exceptions, text)
		}
	}))
	t.Cleanup(func() {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, e := range tb.exceptions {
			t.Errorf("the page threw: %s", e)
		}
		cancelTimeout()
		cancel()
	})
	return tb
}

func (tb *tab) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	require.NoError(t, chromedp.Do(tb.ctx, actions...))
}

// eval evaluates a JavaScript expression in the page and decodes its value.
func eval[T any](t *testing.T, tb *tab, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, expr)
	return v
}

// waitFor waits until a JavaScript expression is true in the page, checked
// at every change of the document (and every 50 ms, for what changes no
// node), and reports whether it became true within timeout. chromedp's
// Poll builds its predicate with new Function, which the page's
// Content-Security-Policy forbids; this expression is compiled by the
// DevTools protocol, like the console's.
func (tb *tab) waitFor(t *testing.T, expr string, timeout time.Duration) bool {
	t.Helper()
	js := fmt.Sprintf(`new Promise((resolve) => {
		const check = () => { try { return !!(%s); } catch (e) { return false; } };
		if (check()) { resolve(true); return; }
		const done = (ok) => { observer.disconnect(); clearInterval(tick); clearTimeout(timer); resolve(ok); };
		const observer = new MutationObserver(() => { if (check()) { done(true); } });
		observer.observe(document, {childList: true, subtree: true, characterData: true, attributes: true});
		const tick = setInterval(() => { if (check()) { done(true); } }, 50);
		const timer = setTimeout(() => done(check()), %d);
	})`, expr, timeout.Milliseconds())
	ok, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise))
	require.NoError(t, err, expr)
	return ok
}

// waitLoaded waits until the tab shows url, loaded. A page that navigates
// away by itself (a form it submits) destroys the context an expression
// runs in, so this asks again from Go, every 20 ms.
func (tb *tab) waitLoaded(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		loaded, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`location.href === `+js(url)+` && document.readyState === 'complete'`))
		if err == nil && loaded {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not loaded (last error: %v)", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mustWaitFor fails the test unless expr becomes true within timeout.
func (tb *tab) mustWaitFor(t *testing.T, expr string, timeout time.Duration) {
	t.Helper()
	require.True(t, tb.waitFor(t, expr, timeout), "not within %v: %s", timeout, expr)
}

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// listenProc is a running "clerkwebhook listen".
type listenProc struct {
	url    string // the receiver
	page   string // the inspector, no trailing slash
	secret string
	out    *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var (
	listeningOn   = regexp.MustCompile(`listening on (http://\S+)\n`)
	inspectorPage = regexp.MustCompile(`inspector page: (http://\S+)/\n`)
)

// startListen runs the command's listen on free ports, with its page, and
// stops it (as Ctrl-C does) at the end of the test.
func startListen(t *testing.T, secret string, args ...string) *listenProc {
	t.Helper()
	needBrowser(t)
	cmd := exec.Command(command, append([]string{"listen", "--addr", "127.0.0.1:0", "--ui-addr", "127.0.0.1:0", "--secret", secret}, args...)...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = cmd.Stdout
	require.NoError(t, cmd.Start())
	l := &listenProc{secret: secret, out: &lockedBuffer{}}
	lines := make(chan struct{}, 1)
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			l.out.add(sc.Text() + "\n")
			select {
			case lines <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { <-read; done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("listen: %v\n%s", err, l.out.String())
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("listen did not stop on an interrupt:\n%s", l.out.String())
		}
	})
	deadline := time.After(10 * time.Second)
	for !inspectorPage.MatchString(l.out.String()) {
		select {
		case <-lines:
		case <-read:
			t.Fatalf("listen ended:\n%s", l.out.String())
		case <-deadline:
			t.Fatalf("listen printed no inspector page:\n%s", l.out.String())
		}
	}
	l.url = listeningOn.FindStringSubmatch(l.out.String())[1]
	l.page = inspectorPage.FindStringSubmatch(l.out.String())[1]
	return l
}

// appRequest is what the app behind --forward-to received.
type appRequest struct {
	method string
	header http.Header
	body   []byte
}

// app is the app behind --forward-to: it records every request, in order,
// and answers with its status.
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
		a.got <- appRequest{r.Method, r.Header.Clone(), body}
		w.WriteHeader(status)
		fmt.Fprintf(w, "the app says %d", status)
	}))
	t.Cleanup(a.Close)
	return a
}

// next returns the app's next request. The listener waits for the app's
// answer before it answers, so a request it forwarded before an answer the
// test has seen is already here.
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

// none checks that the app has nothing more.
func (a *app) none(t *testing.T) {
	t.Helper()
	select {
	case r := <-a.got:
		t.Errorf("the app received %s (svix-id %q)", r.method, r.header.Get("Svix-Id"))
	default:
	}
}
