package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/diagnose"
	"github.com/seed77920f6a/clerkwebhook/internal/ids"
)

const listenUsage = `Usage: clerkwebhook listen [--addr 127.0.0.1:3000] [--path /webhooks/clerk] [--secret S] [--tolerance D]
                           [--ui-addr 127.0.0.1:4000] [--forward-to URL] [--keep N]

Run a local receiver built on the library's Handler (with in-memory
deduplication) and print one line per delivery:

  TIME  MESSAGE-ID  EVENT-TYPE  DATA-ID  VERDICT

VERDICT is "ok", "ok (duplicate ...)" for a message already processed, or
"rejected", the HTTP status, the library's error and the diagnosed cause
(the same tests as "clerkwebhook verify"). For a rejected delivery the event
type and data id are read from the unverified body.

The inspector page (--ui-addr, http://127.0.0.1:4000/ by default; the next
free port up to 4009 when 4000 is taken; --ui-addr "" turns it off) shows
the same deliveries as they arrive, newest first: headers (signature headers
marked), raw and pretty-printed body, typed summary, diagnosis, and the
app's answers. It copies a delivery as a curl command and downloads it as a
capture that "clerkwebhook verify --headers FILE" reads. It keeps the last
--keep deliveries (fewer when their bodies pass 64 MiB) and says when older
ones were dropped. It answers only on the address given (loopback by
default), never shows the secret, and takes replays only from itself.

With --forward-to URL, listen is a proxy in front of your app: each delivery
at --path goes on to URL with its method, headers and body byte for byte,
whatever the verdict, so your app's own verification runs on it; the app's
answer (status, Content-Type, body) is listen's answer, 502 when the app
cannot be reached. A body over the size limit is not forwarded (413). The
page then replays a delivery: as it came (same message id, to test your
app's idempotency), or as new (the same body signed with the secret under a
fresh message id and timestamp).

The secret comes from --secret, else $CLERK_WEBHOOK_SIGNING_SECRET, else
$CLERK_WEBHOOK_SECRET; with none, listen generates one and prints it, for use
with "clerkwebhook send". It prints the URL it listens on (with --addr
127.0.0.1:0, a free port) and the page's, and stops on Ctrl-C.
`

const listenExample = `  clerkwebhook listen --secret "$CLERK_WEBHOOK_SIGNING_SECRET" --forward-to http://127.0.0.1:8080/api/clerk
  # open http://127.0.0.1:4000/ in a browser; in another terminal:
  clerkwebhook send --secret "$CLERK_WEBHOOK_SIGNING_SECRET" user.created
`

func runListen(ctx context.Context, e *env) int {
	c := newCommand("listen", listenUsage, listenExample)
	addr := c.fs.String("addr", "127.0.0.1:3000", "`host:port` to listen on")
	path := c.fs.String("path", "/webhooks/clerk", "URL `path` of the receiver")
	secretFlag := c.fs.String("secret", "", secretFlagHelp)
	tolerance := c.fs.Duration("tolerance", clerkwebhook.DefaultTolerance, "accepted distance between a signature's timestamp and this machine's clock")
	uiAddr := c.fs.String("ui-addr", defaultUIAddr, "`host:port` of the inspector page (\"\" turns it off)")
	forwardTo := c.fs.String("forward-to", "", "forward each delivery to your app at this `URL` and answer with its answer")
	keep := c.fs.Int("keep", defaultKeep, "how many deliveries the page keeps")
	pos, code, done := c.parse(e)
	if done {
		return code
	}
	uiAddrGiven := false
	c.fs.Visit(func(f *flag.Flag) { uiAddrGiven = uiAddrGiven || f.Name == "ui-addr" })
	if len(pos) > 0 {
		return c.fail(e, usagef("unexpected argument %q", pos[0]))
	}
	if !strings.HasPrefix(*path, "/") {
		return c.fail(e, usagef("--path must start with /"))
	}
	if *tolerance <= 0 {
		return c.fail(e, usagef("--tolerance must be positive"))
	}
	if *keep < 1 {
		return c.fail(e, usagef("--keep must be at least 1"))
	}
	var fwd *forwarder
	if *forwardTo != "" {
		var err error
		if fwd, err = newForwarder(*forwardTo); err != nil {
			return c.fail(e, err)
		}
	}
	secret, source := resolveSecret(*secretFlag)
	generated := secret == ""
	if generated {
		secret = ids.NewSecret()
	}
	v, err := clerkwebhook.NewVerifier(secret, clerkwebhook.WithTolerance(*tolerance))
	if err != nil {
		if source != "" {
			err = fmt.Errorf("the secret from %s is unusable: %w", source, err)
		}
		return c.fail(e, &usageError{err.Error()})
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return c.fail(e, err)
	}
	url := "http://" + ln.Addr().String() + *path
	var uiLn net.Listener
	var uiErr error
	if *uiAddr != "" {
		if uiLn, uiErr = listenUI(*uiAddr, uiAddrGiven); uiErr != nil && uiAddrGiven {
			ln.Close()
			return c.fail(e, fmt.Errorf("the inspector page: %w", uiErr))
		}
	}

	var mu sync.Mutex // one line at a time from concurrent deliveries
	say := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(e.stdout, format+"\n", a...)
	}
	if generated {
		say("no secret given: generated signing secret %s (for this session only)", secret)
		say("  send with: clerkwebhook send --url %s --secret %s user.created", url, secret)
	} else {
		say("signing secret from %s", source)
	}
	say("listening on %s", url)
	if fwd != nil {
		say("forwarding to %s", shownText(fwd.redacted))
	}

	var insp *inspector
	servers := []*http.Server{}
	served := make(chan error, 2)
	switch {
	case uiLn != nil:
		insp, err = newInspector(inspectorConfig{secret: secret, forwarder: fwd, receiverURL: "http://" + ln.Addr().String(),
			path: *path, uiHost: uiHost(*uiAddr), keep: *keep})
		if err != nil {
			ln.Close()
			uiLn.Close()
			return c.fail(e, err)
		}
		uiSrv := newPageServer(insp.handler())
		servers = append(servers, uiSrv)
		go func() { served <- uiSrv.Serve(uiLn) }()
		say("inspector page: http://%s/", uiLn.Addr())
	case *uiAddr != "":
		say("inspector page off: %v (choose another address with --ui-addr, or turn it off with --ui-addr \"\")", uiErr)
	}

	rc := newReceiver(v, *path, func(d *delivery) {
		say("%s", listenLine(d, secret, *tolerance))
		if insp != nil {
			insp.add(d, diagnosedCause(d, secret, *tolerance))
		}
	})
	rc.forwarder = fwd
	srv := newServer(rc)
	servers = append(servers, srv)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return c.fail(e, err)
	case <-ctx.Done():
	}
	if insp != nil {
		insp.close()
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = shutdownAll(shutdownCtx, servers...)
	for range servers {
		<-served // http.ErrServerClosed
	}
	if err != nil {
		return c.fail(e, fmt.Errorf("shutting down: %w", err))
	}
	say("stopped")
	return exitOK
}

// listenLine formats one delivery: time, message id, event type, data id,
// verdict, and for a rejection the library's error and the diagnosed cause
// (secret and tolerance are the receiver's). Every field from the request
// is shown escaped (see shown).
func listenLine(d *delivery, secret string, tolerance time.Duration) string {
	var verdict string
	switch v := d.verdict(); v {
	case "accepted":
		verdict = "ok"
	case "duplicate":
		verdict = "ok (duplicate: already processed, callback not run again)"
	case "wrong path":
		verdict = fmt.Sprintf("rejected %d: %s", d.status, errorText(d.err))
	case "method not allowed":
		verdict = fmt.Sprintf("rejected %d: method %s; cause: Clerk sends only POST", d.status, shown(d.method))
	default:
		verdict = fmt.Sprintf("rejected %d: %s", d.status, errorText(d.err))
		if cause := diagnosedCause(d, secret, tolerance); cause != "" {
			verdict += "; cause: " + shownText(cause)
		}
	}
	return strings.Join([]string{d.received.Format("15:04:05"), shownOrDash(d.messageID()),
		shownOrDash(d.eventType()), shownOrDash(d.dataID()), verdict}, "  ")
}

// diagnosedCause is internal/diagnose's cause of a delivery the library
// rejected, or "" for one that failed otherwise (no verification error).
// It is made once per delivery, for the terminal and the page alike.
func diagnosedCause(d *delivery, secret string, tolerance time.Duration) string {
	if d.cause == nil {
		var cause string
		var ve *clerkwebhook.VerificationError
		if errors.As(d.err, &ve) {
			cause = diagnose.Cause(diagnose.Delivery{Secret: secret, Tolerance: tolerance,
				Now: d.received, NowName: "the receiver's clock", Header: d.header, Body: d.body, Err: d.err})
		}
		d.cause = &cause
	}
	return *d.cause
}

// defaultUIAddr is --ui-addr's default, the first of the ports tried when
// it was not given (see listenUI).
const defaultUIAddr = "127.0.0.1:4000"

// listenUI opens the inspector page's address. When --ui-addr was not
// given and port 4000 is taken (another listen, perhaps), the next ports
// up to 4009 are tried, as ngrok does for its inspector.
func listenUI(addr string, given bool) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil || given {
		return ln, err
	}
	for port := 4001; port <= 4009; port++ {
		if ln, err2 := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err2 == nil {
			return ln, nil
		}
	}
	return nil, fmt.Errorf("%w, and so are ports 4001 to 4009", err)
}

// uiHost is the host part of --ui-addr when it is a name, which the page
// then answers to besides IP addresses and localhost.
func uiHost(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	return host
}

// messageID is the delivery's message id, perhaps under another name
// (x-svix-id): shown all the same.
func (d *delivery) messageID() string {
	if id := messageID(d.header); id != "" {
		return id
	}
	return messageID(diagnose.StandardNames(d.header))
}
