package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/fixtures"
	"github.com/seed77920f6a/clerkwebhook/internal/ids"
)

const demoUsage = `Usage: clerkwebhook demo

Start a receiver on 127.0.0.1 (a free port) built on the library's Handler,
with a generated secret, in-memory deduplication and a fallback that accepts
every event. Send it every built-in fixture (one per event type, plus an
unknown future type), each signed afresh, then deliveries it must refuse:
forged (another secret), tampered (a body byte changed after signing),
stale and future (signed 10 minutes off), oversized (2 MiB), missing
headers, a GET, and a duplicate of an earlier delivery.

Prints a table: delivery, event type, HTTP status, verdict, expected
verdict, time taken. Exits 0 only when every verdict is as expected. Needs
no configuration.
`

const demoExample = `  clerkwebhook demo
`

// demoHeader names the case in each request, so that the receiver's report
// can be matched to it.
const demoHeader = "X-Clerkwebhook-Demo"

type demoCase struct {
	name      string
	eventType string
	method    string
	header    http.Header
	body      []byte
	want      string // the verdict the receiver must reach
}

type demoRow struct {
	name, eventType, status, verdict, want string
	elapsed                                time.Duration
}

func runDemo(ctx context.Context, e *env) int {
	c := newCommand("demo", demoUsage, demoExample)
	pos, code, done := c.parse(e)
	if done {
		return code
	}
	if len(pos) > 0 {
		return c.fail(e, usagef("demo takes no arguments"))
	}
	secret := ids.NewSecret()
	cases, err := demoCases(secret, time.Now())
	if err != nil {
		return c.fail(e, err)
	}
	v, err := clerkwebhook.NewVerifier(secret)
	if err != nil {
		return c.fail(e, err)
	}
	reports := make(chan *delivery, 16)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return c.fail(e, err)
	}
	const path = "/webhooks/clerk"
	srv := newServer(newReceiver(v, path, func(d *delivery) { reports <- d }))
	go srv.Serve(ln)
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdownCtx)
	}()
	url := "http://" + ln.Addr().String() + path
	fmt.Fprintf(e.stdout, "receiver: %s (library Handler, generated secret, in-memory deduplication)\n\n", url)

	client := &http.Client{Timeout: 10 * time.Second}
	var rows []demoRow
	for _, dc := range cases {
		if ctx.Err() != nil {
			break
		}
		rows = append(rows, sendDemoCase(ctx, client, url, dc, reports))
	}

	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DELIVERY\tEVENT TYPE\tSTATUS\tVERDICT\tEXPECTED\tTIME")
	unexpected := 0
	for _, r := range rows {
		mark := ""
		if r.verdict != r.want {
			unexpected++
			mark = "  <- UNEXPECTED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.2fms%s\n", r.name, shownOrDash(r.eventType), r.status, r.verdict, r.want,
			float64(r.elapsed.Microseconds())/1000, mark)
	}
	tw.Flush()
	fmt.Fprintln(e.stdout)
	switch {
	case ctx.Err() != nil:
		fmt.Fprintf(e.stderr, "clerkwebhook demo: interrupted after %d of %d deliveries\n", len(rows), len(cases))
		return exitFailed
	case unexpected > 0:
		fmt.Fprintf(e.stdout, "%d of %d verdicts were not as expected\n", unexpected, len(rows))
		fmt.Fprintf(e.stderr, "clerkwebhook demo: %d unexpected verdict(s)\n", unexpected)
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "all %d verdicts as expected\n", len(rows))
	return exitOK
}

// sendDemoCase sends one delivery and waits for the receiver's report of it.
func sendDemoCase(ctx context.Context, client *http.Client, url string, dc demoCase, reports <-chan *delivery) demoRow {
	row := demoRow{name: dc.name, eventType: dc.eventType, want: dc.want, status: "-"}
	if dc.header == nil {
		row.verdict = "no fixture"
		return row
	}
	var body io.Reader
	if dc.body != nil {
		body = bytes.NewReader(dc.body)
	}
	req, err := http.NewRequestWithContext(ctx, dc.method, url, body)
	if err != nil {
		row.verdict = "error: " + err.Error()
		return row
	}
	for name, values := range dc.header {
		req.Header[name] = values
	}
	req.Header.Set("User-Agent", "Svix-Webhooks/1.x (clerkwebhook demo)")
	req.Header.Set(demoHeader, dc.name)
	start := time.Now()
	resp, err := client.Do(req)
	row.elapsed = time.Since(start)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		row.status = fmt.Sprint(resp.StatusCode)
	}
	// The report arrives after the Handler answered; wait for this case's
	// one, skipping any stale report of an earlier case.
	timeout := time.NewTimer(5 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case d := <-reports:
			if d.header.Get(demoHeader) != dc.name {
				continue
			}
			row.verdict = d.verdict()
			if err != nil {
				// The client gave up (an oversized body can make the server
				// close the connection mid-upload); the receiver's status is
				// still the answer it gave.
				row.status = fmt.Sprint(d.status)
			}
			return row
		case <-timeout.C:
			row.verdict = "no answer"
			if err != nil {
				row.verdict += ": " + err.Error()
			}
			return row
		case <-ctx.Done():
			row.verdict = "interrupted"
			return row
		}
	}
}

// demoCases builds every delivery the demo sends, all signed at now.
func demoCases(secret string, now time.Time) ([]demoCase, error) {
	var cases []demoCase
	signed := func(name string, body []byte, signSecret string, at time.Time, want string) error {
		h, err := clerkwebhook.Sign(signSecret, ids.NewMessageID(), at, body)
		if err != nil {
			return err
		}
		h.Set("Content-Type", "application/json")
		t, _ := peek(body)
		cases = append(cases, demoCase{name: name, eventType: t, method: http.MethodPost, header: h, body: body, want: want})
		return nil
	}
	for _, t := range clerkwebhook.EventTypes() {
		body := fixture(string(t))
		if body == nil {
			cases = append(cases, demoCase{name: string(t), eventType: string(t), want: "accepted"})
			continue
		}
		if err := signed(string(t), body, secret, now, "accepted"); err != nil {
			return nil, err
		}
	}
	for _, name := range fixtures.Names() {
		if strings.HasPrefix(name, "unknown.") {
			if err := signed(name, fixture(name), secret, now, "accepted"); err != nil {
				return nil, err
			}
		}
	}
	if len(cases) == 0 || cases[0].header == nil {
		return nil, fmt.Errorf("no fixture for %s", clerkwebhook.EventTypes()[0])
	}
	first := cases[0]
	base := first.body

	steps := []func() error{
		func() error {
			return signed("forged", base, ids.NewSecret(), now, "no matching signature")
		},
		func() error {
			if err := signed("tampered", bytes.Clone(base), secret, now, "no matching signature"); err != nil {
				return err
			}
			tamper(cases[len(cases)-1].body)
			return nil
		},
		func() error { return signed("stale", base, secret, now.Add(-10*time.Minute), "timestamp too old") },
		func() error { return signed("future", base, secret, now.Add(10*time.Minute), "timestamp too new") },
		func() error { return signed("oversized", oversized(2<<20), secret, now, "body too large") },
		func() error {
			h := http.Header{"Content-Type": {"application/json"}}
			cases = append(cases, demoCase{name: "missing headers", eventType: first.eventType, method: http.MethodPost,
				header: h, body: base, want: "missing header"})
			return nil
		},
		func() error {
			cases = append(cases, demoCase{name: "GET", eventType: first.eventType, method: http.MethodGet,
				header: first.header.Clone(), want: "method not allowed"})
			return nil
		},
		func() error {
			cases = append(cases, demoCase{name: "duplicate of " + first.name, eventType: first.eventType,
				method: http.MethodPost, header: first.header.Clone(), body: base, want: "duplicate"})
			return nil
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return cases, nil
}

// tamper changes one letter inside a JSON string in the middle of body,
// keeping it valid JSON: only the signature can tell.
func tamper(body []byte) {
	var letters []int
	inString, escaped := false, false
	for i, c := range body {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString && c >= 'a' && c <= 'z':
			letters = append(letters, i)
		}
	}
	if len(letters) > 0 {
		body[letters[len(letters)/2]] -= 'a' - 'A'
	} else if len(body) > 0 {
		body[len(body)/2] ^= 1
	}
}

// oversized returns a valid event envelope of n bytes.
func oversized(n int) []byte {
	head := `{"type":"user.updated","object":"event","data":{"id":"user_oversized","padding":"`
	tail := `"}}`
	pad := n - len(head) - len(tail)
	return []byte(head + strings.Repeat("x", max(pad, 0)) + tail)
}
