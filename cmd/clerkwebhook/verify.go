package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/diagnose"
)

const verifyUsage = `Usage: clerkwebhook verify [--secret S] [--now UNIX] [--tolerance D] --headers FILE [BODY_FILE|-]

Verify a captured delivery with the clerkwebhook library. On success print
"valid: <event type> <message id>" and exit 0. On failure print the
library's error and the most likely cause, on standard error, and exit 1.

The cause is found by testing hypotheses, each by repairing one thing and
verifying again: signature headers missing, renamed (x-svix-id, svix_id,
stray spaces) or split across the svix-* and webhook-* families; a
signature without its "v1," prefix; a secret the library rejects (its
message names the mistake: an API key, quotes, whitespace, ...), retried
without surrounding quotes and whitespace, or one lacking whsec_; an empty
body (read by a middleware before verification); a body
re-serialized (compact, or indented with 2 spaces, 4 spaces or tabs), with
Go's escapes of <, > and & added or removed, or with a byte order mark; a
trailing newline added or removed, or CRLF line endings; a valid signature
with a timestamp outside the window (the exact skew is given). When nothing
helps but the body shows signs of re-encoding (Go-style escapes, keys sorted
at every level, indentation or spaces, CRLF, a byte order mark, a trailing
newline, envelope fields missing), it names them and how to tell that from
a wrong secret; only a body with no such sign is called a wrong secret or a
forged request. The secret is never printed. Values from the capture are
printed as they are when printable, else quoted with escapes.

The headers FILE has one "Name: value" per line; blank lines and lines
starting with # are ignored. A raw HTTP request head (first line like
"POST /webhooks/clerk HTTP/1.1") works too; if the body follows its blank
line, BODY_FILE may be omitted. Otherwise the body is BODY_FILE, or standard
input ("-" or no argument): the exact bytes received.

Use --now with the capture's time to check an old capture as of when it
arrived: Unix seconds, with a decimal fraction if the log has one
(1764331200.25).
`

const verifyExample = `  clerkwebhook verify --secret "$CLERK_WEBHOOK_SIGNING_SECRET" --now 1764331200 --headers headers.txt body.json
`

func runVerify(_ context.Context, e *env) int {
	c := newCommand("verify", verifyUsage, verifyExample)
	secretFlag := c.fs.String("secret", "", secretFlagHelp)
	var now unixTime
	c.fs.Var(&now, "now", "verify as of this Unix `time` in seconds, with an optional fraction, such as the capture's (default: the current time)")
	tolerance := c.fs.Duration("tolerance", clerkwebhook.DefaultTolerance, "accepted distance between the signature's timestamp and the clock")
	headersPath := c.fs.String("headers", "", "headers `file` of the captured delivery (required)")
	pos, code, done := c.parse(e)
	if done {
		return code
	}
	switch {
	case len(pos) > 1:
		return c.fail(e, usagef("expected at most one body argument, got %d", len(pos)))
	case *headersPath == "":
		return c.fail(e, usagef("--headers is required"))
	case *tolerance <= 0:
		return c.fail(e, usagef("--tolerance must be positive"))
	}
	secret, _ := resolveSecret(*secretFlag)
	if secret == "" {
		return c.fail(e, errNoSecret)
	}
	capt, err := readCaptureFile(*headersPath)
	if err != nil {
		return c.fail(e, err)
	}
	var body []byte
	switch {
	case len(pos) == 1:
		body, err = readInput(e, pos[0])
	case capt.body != nil:
		body = capt.body
	default:
		body, err = readInput(e, "-")
	}
	if err != nil {
		return c.fail(e, err)
	}

	clock, label := time.Now(), "now"
	if now != (unixTime{}) {
		clock, label = time.Unix(now.sec, now.nsec), "--now"
	}
	// An unusable secret is not a usage error here: saying why, and whether
	// the cleaned-up secret would verify, is this command's job.
	v, err := clerkwebhook.NewVerifier(secret, clerkwebhook.WithTolerance(*tolerance),
		clerkwebhook.WithClock(func() time.Time { return clock }))
	if err == nil {
		var ev clerkwebhook.Event
		if ev, err = v.Verify(body, capt.header); err == nil {
			fmt.Fprintf(e.stdout, "valid: %s %s\n", shown(string(ev.Type)), shown(ev.ID))
			return exitOK
		}
	}
	cause := diagnose.Cause(diagnose.Delivery{Secret: secret, Tolerance: *tolerance, Now: clock, NowName: label,
		Header: capt.header, Body: body, Err: err})
	fmt.Fprintf(e.stderr, "invalid: %s\ncause: %s\n", errorText(err), shownText(cause))
	return exitFailed
}

// unixTime is a flag value: Unix seconds, not negative, with an optional
// decimal fraction of up to nine digits ("1764331200", "1764331200.25").
// Zero means unset.
type unixTime struct{ sec, nsec int64 }

func (u *unixTime) Set(s string) error {
	const digits = "0123456789"
	whole, frac, hasFrac := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || strings.Trim(whole, digits) != "" {
		return errors.New("want Unix seconds, not negative, such as 1764331200 or 1764331200.25")
	}
	var nsec int64
	if hasFrac {
		if frac == "" || len(frac) > 9 || strings.Trim(frac, digits) != "" {
			return errors.New("want at most nine digits after the decimal point")
		}
		nsec, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	*u = unixTime{sec, nsec}
	return nil
}

func (u *unixTime) String() string {
	if u.nsec == 0 {
		return strconv.FormatInt(u.sec, 10)
	}
	return strings.TrimRight(fmt.Sprintf("%d.%09d", u.sec, u.nsec), "0")
}
