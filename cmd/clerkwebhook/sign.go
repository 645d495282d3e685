package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/ids"
)

const signUsage = `Usage: clerkwebhook sign [--secret S] [--id ID] [--timestamp UNIX] [FILE|-]

Sign a body as Clerk (through Svix) does and print the headers to send with
it, exactly three lines:

  svix-id: msg_...
  svix-timestamp: 1764331200
  svix-signature: v1,...

The body is FILE, or standard input ("-" or no argument), signed byte for
byte: a trailing newline in the file is part of what is signed. The output
is a headers file for "clerkwebhook verify" and "send --from-capture".
`

const signExample = `  clerkwebhook sign --secret "$CLERK_WEBHOOK_SIGNING_SECRET" --timestamp 1764331200 body.json > headers.txt
  clerkwebhook verify --secret "$CLERK_WEBHOOK_SIGNING_SECRET" --now 1764331200 --headers headers.txt body.json
`

func runSign(_ context.Context, e *env) int {
	c := newCommand("sign", signUsage, signExample)
	secretFlag := c.fs.String("secret", "", secretFlagHelp)
	id := c.fs.String("id", "", "message `id` for svix-id (default: a random msg_...)")
	timestamp := c.fs.Int64("timestamp", 0, "signing time in Unix `seconds` (default: now)")
	pos, code, done := c.parse(e)
	if done {
		return code
	}
	if len(pos) > 1 {
		return c.fail(e, usagef("expected at most one body argument, got %d", len(pos)))
	}
	if *timestamp < 0 {
		return c.fail(e, usagef("--timestamp must be Unix seconds, not negative"))
	}
	secret, err := requireSecret(*secretFlag)
	if err != nil {
		return c.fail(e, err)
	}
	name := "-"
	if len(pos) == 1 {
		name = pos[0]
	}
	body, err := readInput(e, name)
	if err != nil {
		return c.fail(e, err)
	}
	msgID := *id
	if msgID == "" {
		msgID = ids.NewMessageID()
	}
	ts := time.Now()
	if *timestamp > 0 {
		ts = time.Unix(*timestamp, 0)
	}
	h, err := clerkwebhook.Sign(secret, msgID, ts, body)
	if errors.Is(err, clerkwebhook.ErrInvalidHeader) && *id != "" {
		err = usagef("--id: %v", err) // the library's rule for a message id
	}
	if err != nil {
		return c.fail(e, err)
	}
	fmt.Fprintf(e.stdout, "svix-id: %s\nsvix-timestamp: %s\nsvix-signature: %s\n",
		h.Get(clerkwebhook.HeaderSvixID), h.Get(clerkwebhook.HeaderSvixTimestamp), h.Get(clerkwebhook.HeaderSvixSignature))
	return exitOK
}
