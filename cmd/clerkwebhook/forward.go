package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// listen --forward-to URL makes listen a proxy in front of the app: each
// delivery at --path is sent on to URL with its method, its headers and its
// body byte for byte, whatever the library said of it, and the app's answer
// (status, Content-Type and body) is what the sender gets. The library's
// verdict is still shown, beside the app's status; it no longer decides the
// answer. Only a body over the listener's limit is not forwarded, since it
// was not kept whole: the sender gets the library's 413.
//
// Replays from the inspector page go the same way (see inspector.go).

// Limits on what is kept of the app's answers.
const (
	// forwardTimeout is how long the app has to answer: Svix gives up
	// after about 15 seconds, and the listener's own WriteTimeout is 30.
	forwardTimeout = 15 * time.Second
	// answerLimit bounds the app's body read back and passed to the
	// sender; the rest is dropped.
	answerLimit = 64 << 10
	// answerKept bounds the part of the app's body each attempt keeps for
	// the page.
	answerKept = 1 << 10
)

// An attempt is one request to the app: a delivery as it arrived, a
// replay, or a replay as new. Everything in it but url and kind came from
// the app or the delivery, and is shown as text.
type attempt struct {
	kind      string // "delivery", "replay" or "replay as new"
	messageID string // the svix-id sent (a replay as new has a fresh one)
	at        time.Time
	duration  time.Duration
	status    int    // 0 when the app did not answer
	statusMsg string // the app's status line, "404 Not Found"
	answer    []byte // the first answerKept bytes of the app's body
	truncated bool   // the app's body was longer
	err       error  // why there was no answer
}

// forwarder sends requests to the app.
type forwarder struct {
	url      string
	redacted string // url without its password, for the page
	client   *http.Client
}

// newForwarder checks --forward-to and prepares its client: no redirects
// followed (a 3xx is the app's answer, passed on), no compression asked
// for or undone (the headers are the sender's, Accept-Encoding included).
func newForwarder(target string) (*forwarder, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--forward-to must be an http:// or https:// URL")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableCompression = true
	return &forwarder{url: target, redacted: u.Redacted(), client: &http.Client{
		Transport:     tr,
		Timeout:       forwardTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}, nil
}

// hopByHop are the headers that describe one connection, not the request
// (RFC 9110, section 7.6.1): a proxy does not pass them on. Content-Length
// and Host are set from the body and the app's URL.
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length", "Host"}

// forwardedHeader is h as the app gets it: every header of the delivery
// but the hop-by-hop ones, and those that its Connection header names.
func forwardedHeader(h http.Header) http.Header {
	out := h.Clone()
	for _, c := range h.Values("Connection") {
		for _, name := range strings.Split(c, ",") {
			if name = strings.TrimSpace(name); name != "" {
				out.Del(name)
			}
		}
	}
	for _, name := range hopByHop {
		out.Del(name)
	}
	// Go's client adds a User-Agent of its own unless one is set; an
	// empty one is not sent at all. A delivery without one stays so.
	if _, ok := out[textproto.CanonicalMIMEHeaderKey("User-Agent")]; !ok {
		out["User-Agent"] = []string{""}
	}
	return out
}

// send makes one request to the app and records it. It returns the
// attempt and the app's body, up to answerLimit bytes, for a caller that
// answers the sender with it.
func (f *forwarder) send(ctx context.Context, kind, method string, header http.Header, body []byte) (*attempt, []byte, http.Header) {
	a := &attempt{kind: kind, messageID: messageID(header), at: time.Now()}
	defer func() { a.duration = time.Since(a.at) }()
	req, err := http.NewRequestWithContext(ctx, method, f.url, bytes.NewReader(body))
	if err != nil {
		a.err = err
		return a, nil, nil
	}
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	req.Header = forwardedHeader(header)
	resp, err := f.client.Do(req)
	if err != nil {
		a.err = err
		return a, nil, nil
	}
	defer resp.Body.Close()
	a.status, a.statusMsg = resp.StatusCode, resp.Status
	answer, err := io.ReadAll(io.LimitReader(resp.Body, answerLimit))
	a.answer = bytes.Clone(answer[:min(len(answer), answerKept)])
	a.truncated = len(answer) > answerKept
	if err != nil {
		a.err = fmt.Errorf("reading the answer: %w", err)
	}
	return a, answer, resp.Header
}

// heldResponse stands in for the sender's ResponseWriter while the
// library's Handler runs in front of --forward-to: its answer is the
// verdict, kept, and sent only when the delivery cannot be forwarded.
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newHeldResponse() *heldResponse { return &heldResponse{header: http.Header{}} }

func (h *heldResponse) Header() http.Header { return h.header }

func (h *heldResponse) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}

func (h *heldResponse) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	if room := 4<<10 - h.body.Len(); room > 0 { // the Handler's answers are a line of text
		h.body.Write(b[:min(len(b), room)])
	}
	return len(b), nil
}

// writeTo sends the held answer.
func (h *heldResponse) writeTo(w http.ResponseWriter) {
	for name, values := range h.header {
		w.Header()[name] = values
	}
	w.WriteHeader(max(h.status, http.StatusOK))
	_, _ = w.Write(h.body.Bytes())
}

// forwardDelivery sends a delivery the Handler has judged to the app, and
// answers the sender with the app's answer: its status, Content-Type and
// body; 502 Bad Gateway when the app could not be reached. A body over the
// limit was not kept whole: the sender gets the Handler's answer.
func (rc *receiver) forwardDelivery(w http.ResponseWriter, r *http.Request, d *delivery, held *heldResponse) {
	if !d.complete {
		held.writeTo(w)
		return
	}
	a, answer, header := rc.forwarder.send(r.Context(), "delivery", d.method, d.header, d.body)
	d.forwarded = a
	if a.status == 0 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "clerkwebhook listen: no answer from %s: %v\n", rc.forwarder.url, a.err)
		return
	}
	if ct := header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(answer)
}
