package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/fixtures"
	"github.com/seed77920f6a/clerkwebhook/internal/ids"
)

const sendUsage = `Usage: clerkwebhook send [--url URL] [--secret S] [--id ID] EVENT_TYPE|FILE|-
       clerkwebhook send --from-capture HEADERS_FILE [--url URL] [--secret S] [--id ID] [FILE|-]

Sign a payload with a fresh timestamp and POST it as Clerk does: svix-id,
svix-timestamp and svix-signature headers, Content-Type: application/json
and a Svix User-Agent. Prints the answer's status and body; exits 1 unless
the status is 2xx.

The payload is one of:
  EVENT_TYPE  the built-in fixture for an event type (user.created,
              session.ended, ...) or a fixture file name
              (user.created--email-only), sent compact as Clerk sends it
  FILE        the file's bytes, unchanged (an existing file wins over a
              fixture of the same name)
  -           standard input, unchanged

Replay (--from-capture HEADERS_FILE): send a captured delivery again. The
body is FILE or standard input (or the body inside the capture, when it is
a raw HTTP request). The captured svix-id is kept, so the receiver sees the
same message and its deduplication applies (--id overrides it); the captured
timestamp and signature are ignored and the body is signed afresh under the
secret. The headers file format is described in "clerkwebhook verify -h".

The secret comes from --secret, else $CLERK_WEBHOOK_SIGNING_SECRET, else
$CLERK_WEBHOOK_SECRET; sending without one is a usage error.
`

const sendExample = `  clerkwebhook send --secret "$CLERK_WEBHOOK_SIGNING_SECRET" user.created
  clerkwebhook send --url http://127.0.0.1:8080/api/clerk payload.json
  clerkwebhook send --from-capture headers.txt body.json    # replay
`

// userAgent is Svix's, marked as coming from this tool.
const userAgent = "Svix-Webhooks/1.x (clerkwebhook send)"

func runSend(ctx context.Context, e *env) int {
	c := newCommand("send", sendUsage, sendExample)
	target := c.fs.String("url", "http://127.0.0.1:3000/webhooks/clerk", "receiver `URL`")
	secretFlag := c.fs.String("secret", "", secretFlagHelp)
	id := c.fs.String("id", "", "message `id` for svix-id (default: a random msg_..., or the captured one)")
	fromCapture := c.fs.String("from-capture", "", "replay: headers `file` of a captured delivery")
	pos, code, done := c.parse(e)
	if done {
		return code
	}
	if len(pos) > 1 {
		return c.fail(e, usagef("expected one payload argument, got %d", len(pos)))
	}
	if len(pos) == 0 && *fromCapture == "" {
		return c.fail(e, usagef("missing the payload: an event type, a file, or - for standard input"))
	}
	if u, err := url.Parse(*target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c.fail(e, usagef("--url must be an http:// or https:// URL"))
	}
	secret, err := requireSecret(*secretFlag)
	if err != nil {
		return c.fail(e, err)
	}

	var body []byte
	msgID := *id
	if *fromCapture != "" {
		capt, err := readCaptureFile(*fromCapture)
		if err != nil {
			return c.fail(e, err)
		}
		switch {
		case len(pos) == 1:
			if body, err = readInput(e, pos[0]); err != nil {
				return c.fail(e, err)
			}
		case capt.body != nil:
			body = capt.body
		default:
			return c.fail(e, usagef("the capture holds no body: give the body FILE or -"))
		}
		if msgID == "" {
			msgID = messageID(capt.header)
		}
	} else if body, err = loadPayload(e, pos[0]); err != nil {
		return c.fail(e, err)
	}
	if msgID == "" {
		msgID = ids.NewMessageID()
	}

	headers, err := clerkwebhook.Sign(secret, msgID, time.Now(), body)
	if errors.Is(err, clerkwebhook.ErrInvalidHeader) && *id != "" {
		err = usagef("--id: %v", err) // the library's rule for a message id
	}
	if err != nil {
		return c.fail(e, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, *target, bytes.NewReader(body))
	if err != nil {
		return c.fail(e, err)
	}
	for name, values := range headers {
		req.Header[name] = values
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)

	eventType, _ := peek(body)
	fmt.Fprintf(e.stdout, "POST %s  %s  %s\n", *target, shownOrDash(eventType), shown(msgID))
	// Svix gives up on an endpoint after about 15 seconds.
	client := &http.Client{Timeout: 15 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return c.fail(e, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return c.fail(e, fmt.Errorf("reading the answer: %w", err))
	}
	fmt.Fprintln(e.stdout, shownText(resp.Status))
	printAnswer(e.stdout, answer)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.fail(e, fmt.Errorf("the receiver answered %s", shownText(resp.Status)))
	}
	return exitOK
}

// printAnswer prints a receiver's answer line by line, each line shown
// escaped (see shownText): the receiver is not necessarily the user's own.
func printAnswer(w io.Writer, answer []byte) {
	if len(answer) == 0 {
		return
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(answer), "\n"), "\n") {
		fmt.Fprintln(w, shownText(strings.TrimSuffix(line, "\r")))
	}
}

// loadPayload resolves send's argument: "-" is standard input, an existing
// file is read as is, and otherwise the name is looked up among the
// built-in fixtures (an event type, or a fixture file name with or without
// ".json"), which are sent compact, as Clerk sends them.
func loadPayload(e *env, arg string) ([]byte, error) {
	if arg == "-" {
		return readInput(e, arg)
	}
	b, err := os.ReadFile(arg)
	if err == nil {
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if f := fixture(arg); f != nil {
		return f, nil
	}
	return nil, usagef("%q is neither a file nor a built-in fixture; fixtures: %s", arg, strings.Join(fixtures.Names(), ", "))
}

// fixture returns the compact built-in fixture of that name (as
// internal/fixtures names it: an event type, or a variant such as
// "user.created--email-only"), or nil.
func fixture(name string) []byte {
	b, ok := fixtures.Get(name)
	if !ok {
		return nil
	}
	var compact bytes.Buffer
	if json.Compact(&compact, b) != nil {
		return b
	}
	return compact.Bytes()
}
