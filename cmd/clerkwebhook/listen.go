package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/diagnose"
	"github.com/seed77920f6a/clerkwebhook/internal/ids"
)

const listenUsage = `Usage: clerkwebhook listen [--addr 127.0.0.1:3000] [--path /webhooks/clerk] [--secret S] [--tolerance D]

Run a local receiver built on the library's Handler (with in-memory
deduplication) and print one line per delivery:

  TIME  MESSAGE-ID  EVENT-TYPE  DATA-ID  VERDICT

VERDICT is "ok", "ok (duplicate ...)" for a message already processed, or
"rejected", the HTTP status, the library's error and the diagnosed cause
(the same tests as "clerkwebhook verify"). For a rejected delivery the event
type and data id are read from the unverified body.

The secret comes from --secret, else $CLERK_WEBHOOK_SIGNING_SECRET, else
$CLERK_WEBHOOK_SECRET; with none, listen generates one and prints it, for use
with "clerkwebhook send". It prints the URL it listens on (with --addr
127.0.0.1:0, a free port) and stops on Ctrl-C.
`

const listenExample = `  clerkwebhook listen --secret "$CLERK_WEBHOOK_SIGNING_SECRET"
  # in another terminal:
  clerkwebhook send --secret "$CLERK_WEBHOOK_SIGNING_SECRET" user.created
`

func runListen(ctx context.Context, e *env) int {
	c := newCommand("listen", listenUsage, listenExample)
	addr := c.fs.String("addr", "127.0.0.1:3000", "`host:port` to listen on")
	path := c.fs.String("path", "/webhooks/clerk", "URL `path` of the receiver")
	secretFlag := c.fs.String("secret", "", secretFlagHelp)
	tolerance := c.fs.Duration("tolerance", clerkwebhook.DefaultTolerance, "accepted distance between a signature's timestamp and this machine's clock")
	pos, code, done := c.parse(e)
	if done {
		return code
	}
	if len(pos) > 0 {
		return c.fail(e, usagef("unexpected argument %q", pos[0]))
	}
	if !strings.HasPrefix(*path, "/") {
		return c.fail(e, usagef("--path must start with /"))
	}
	if *tolerance <= 0 {
		return c.fail(e, usagef("--tolerance must be positive"))
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

	rc := newReceiver(v, *path, func(d *delivery) {
		say("%s", listenLine(d, secret, *tolerance))
	})
	srv := newServer(rc)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return c.fail(e, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	<-served // http.ErrServerClosed
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
		var ve *clerkwebhook.VerificationError
		if errors.As(d.err, &ve) {
			verdict += "; cause: " + shownText(diagnose.Cause(diagnose.Delivery{Secret: secret, Tolerance: tolerance,
				Now: d.received, NowName: "the receiver's clock", Header: d.header, Body: d.body, Err: d.err}))
		}
	}
	id := messageID(d.header)
	if id == "" { // perhaps under another name (x-svix-id): show it all the same
		id = messageID(diagnose.StandardNames(d.header))
	}
	return strings.Join([]string{d.received.Format("15:04:05"), shownOrDash(id),
		shownOrDash(d.eventType()), shownOrDash(d.dataID()), verdict}, "  ")
}
