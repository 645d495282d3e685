package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/ids"
)

// The inspector is listen's page (--ui-addr): the deliveries the receiver
// saw, newest first, updated live over server-sent events, each with its
// headers, body, verdict, diagnosis and the app's answers; and, with
// --forward-to, replays. It holds the last --keep deliveries in a ring.
//
// What a delivery sent is attacker-controlled, and the page is a web page
// on the developer's machine, so:
//
//   - The page's script builds every element with createElement and sets
//     text with textContent, never markup; the Content-Security-Policy
//     allows only the embedded script and style and forbids HTML sinks
//     altogether (require-trusted-types-for 'script' with no policy), so a
//     slip would throw instead of running a delivery's markup. Values are
//     shown as the terminal shows them (shownText): a control character
//     or an invalid byte appears as its escape, not as nothing.
//   - Replays change something (they send requests to the app), so they
//     are POSTs that must come from the page itself: its Origin, a
//     Sec-Fetch-Site of same-origin when there is one, and this process's
//     token in a custom header (checkPost). A request without an Origin, or with
//     "Origin: null" (an opaque origin: a sandboxed frame, a file, a form
//     posted under Referrer-Policy: no-referrer, a cross-origin redirect),
//     is refused: the page's fetch() always sends its origin, and a null
//     one cannot be told from an attacker's frame.
//   - Every request must name the server by an IP address, localhost, or
//     the host given to --ui-addr (421 otherwise), so that a site pointing
//     a name of its own at 127.0.0.1 (DNS rebinding) cannot read the page.
//   - The signing secret never reaches the page; replay as new signs on
//     the server.

//go:embed ui
var uiFiles embed.FS

const (
	// defaultKeep is --keep's default.
	defaultKeep = 500
	// keptBytesBudget bounds the bodies and headers kept altogether: the
	// oldest deliveries go early when large ones would pass it.
	keptBytesBudget = 64 << 20
	// maxAttempts bounds the app's answers kept for one delivery (the
	// first, forwarded one, and the latest replays).
	maxAttempts = 20
	// tokenHeader carries the page's token on its POSTs.
	tokenHeader = "X-Clerkwebhook-Token"
	// contentSecurityPolicy allows the page its own script, style and
	// requests, and nothing else; HTML sinks (innerHTML, ...) throw.
	contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
		"img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " +
		"require-trusted-types-for 'script'; trusted-types 'none'"
)

// An entry is one delivery as the inspector keeps it. Its fields are
// fixed when it is added, except attempts, droppedAttempts and version,
// which change under the inspector's lock.
type entry struct {
	seq       int64
	version   int64 // the inspector's version when the entry last changed
	received  time.Time
	method    string
	uri       string
	header    http.Header
	body      []byte
	truncated bool // body is the first bytes of one over the limit

	status   int
	verdict  string // delivery.verdict
	accepted bool   // a 2xx from the library's Handler
	errText  string
	cause    string

	messageID  string
	eventType  string
	objectID   string // data.id: the user, session, organization, ... the event is about
	verified   bool   // the three above come from a verified event, not from the raw body
	occurredAt time.Time
	payload    string // the Go type data decodes into, or why it does not

	attempts        []*attempt
	droppedAttempts int
}

// inspector keeps the deliveries and serves the page.
type inspector struct {
	secret      string // for replay as new only; never sent to the page
	forwarder   *forwarder
	receiverURL string // http://host:port of the listener, for curl
	path        string
	uiHost      string // the host named in --ui-addr, accepted as Host
	keep        int
	bytesBudget int // keptBytesBudget; smaller in tests
	token       string
	page        []byte // index.html with the token
	started     string // when this listener started: a page open across a restart reloads

	mu        sync.Mutex
	ring      []*entry // a circle of keep entries; start is the oldest
	start, n  int
	keptBytes int
	nextSeq   int64
	dropped   int64
	version   int64
	changed   chan struct{} // closed and replaced at every change
	done      chan struct{} // closed by close: the event streams end
	closeOnce sync.Once
}

// inspectorConfig is what listen tells the inspector.
type inspectorConfig struct {
	secret      string
	forwarder   *forwarder // nil without --forward-to
	receiverURL string
	path        string
	uiHost      string
	keep        int
}

func newInspector(c inspectorConfig) (*inspector, error) {
	index, err := uiFiles.ReadFile("ui/index.html")
	if err != nil {
		return nil, err
	}
	token := make([]byte, 16)
	if _, err := rand.Read(token); err != nil {
		return nil, err
	}
	in := &inspector{
		secret: c.secret, forwarder: c.forwarder, receiverURL: c.receiverURL, path: c.path,
		uiHost: c.uiHost, keep: c.keep, bytesBudget: keptBytesBudget, token: hex.EncodeToString(token),
		ring: make([]*entry, c.keep), nextSeq: 1, started: time.Now().Format(time.RFC3339Nano),
		changed: make(chan struct{}), done: make(chan struct{}),
	}
	// The token is hex: nothing to escape in an attribute.
	in.page = []byte(strings.Replace(string(index), "{{token}}", in.token, 1))
	return in, nil
}

// close ends the event streams, so that the server can shut down.
func (in *inspector) close() { in.closeOnce.Do(func() { close(in.done) }) }

// add records a delivery once the receiver has answered it. cause is its
// diagnosis ("" when there is none).
func (in *inspector) add(d *delivery, cause string) {
	e := newEntry(d, cause)
	e.truncated = errors.Is(d.err, clerkwebhook.ErrBodyTooLarge) || (in.forwarder != nil && !d.complete)
	in.mu.Lock()
	defer in.mu.Unlock()
	e.seq = in.nextSeq
	in.nextSeq++
	if in.n == in.keep {
		in.evictOldest()
	}
	in.ring[(in.start+in.n)%in.keep] = e
	in.n++
	in.keptBytes += e.size()
	for in.keptBytes > in.bytesBudget && in.n > 1 {
		in.evictOldest()
	}
	in.touch(e)
}

// size is what an entry holds that a sender chose: its body and headers
// (up to 1 MiB each, the receiver's limits).
func (e *entry) size() int {
	n := len(e.body)
	for name, values := range e.header {
		n += len(name)
		for _, v := range values {
			n += len(v)
		}
	}
	return n
}

// evictOldest drops the oldest entry; in.mu is held.
func (in *inspector) evictOldest() {
	in.keptBytes -= in.ring[in.start].size()
	in.ring[in.start] = nil
	in.start = (in.start + 1) % in.keep
	in.n--
	in.dropped++
}

// touch marks e changed and wakes the event streams; in.mu is held.
func (in *inspector) touch(e *entry) {
	in.version++
	e.version = in.version
	close(in.changed)
	in.changed = make(chan struct{})
}

// lookup returns the kept entry with that sequence number, or nil; in.mu
// is held. Sequence numbers are consecutive, so the ring is indexed by
// them.
func (in *inspector) lookup(seq int64) *entry {
	if in.n == 0 {
		return nil
	}
	i := seq - in.ring[in.start].seq
	if i < 0 || i >= int64(in.n) {
		return nil
	}
	return in.ring[(in.start+int(i))%in.keep]
}

// newEntry describes a delivery: the verdict from the library's Handler,
// and type, message id and object id from the verified event, else from
// the unverified body.
func newEntry(d *delivery, cause string) *entry {
	// The body is copied to its size: the receiver's buffer may have grown
	// to twice that.
	e := &entry{received: d.received, method: d.method, uri: d.uri, header: d.header, body: bytes.Clone(d.body),
		status: d.status, verdict: d.verdict(), accepted: d.status >= 200 && d.status < 300, cause: cause}
	if d.err != nil {
		e.errText = d.err.Error()
	}
	if d.verdict() == "method not allowed" {
		e.cause = "Clerk sends only POST"
	}
	// As the terminal shows them.
	e.messageID, e.eventType, e.objectID = d.messageID(), d.eventType(), d.dataID()
	if d.event != nil {
		e.verified = true
		e.occurredAt = d.event.OccurredAt()
		if p, err := d.event.Payload(); err != nil {
			e.payload = err.Error()
		} else {
			e.payload = fmt.Sprintf("%T", p)
		}
	} else {
		var env struct {
			Timestamp int64 `json:"timestamp"`
		}
		// For display, like peek; the library reads the number.
		_ = json.Unmarshal(d.body, &env)
		e.occurredAt = clerkwebhook.Event{Timestamp: env.Timestamp}.OccurredAt()
	}
	if d.forwarded != nil {
		e.attempts = []*attempt{d.forwarded}
	}
	return e
}

// handler serves the page, its assets and its API:
//
//	GET  /                                  the page
//	GET  /assets/app.js, /assets/app.css    its script and style
//	GET  /api/events                        server-sent events: rows new or changed
//	GET  /api/deliveries/{seq}              one delivery in full
//	GET  /api/deliveries/{seq}/capture      a capture for "clerkwebhook verify --headers"
//	POST /api/deliveries/{seq}/replay       resend it to --forward-to as it came
//	POST /api/deliveries/{seq}/replay-new   the same body, signed anew under a fresh id
func (in *inspector) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(in.page)
	})
	for name, contentType := range map[string]string{
		"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"} {
		asset, err := uiFiles.ReadFile("ui/" + name)
		if err != nil {
			panic("clerkwebhook: missing embedded asset " + name) // the build embeds them
		}
		mux.HandleFunc("GET /assets/"+name, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			_, _ = w.Write(asset)
		})
	}
	mux.HandleFunc("GET /api/events", in.serveEvents)
	mux.HandleFunc("GET /api/deliveries/{seq}", in.withEntry(in.serveDetail))
	mux.HandleFunc("GET /api/deliveries/{seq}/capture", in.withEntry(in.serveCapture))
	mux.HandleFunc("POST /api/deliveries/{seq}/replay", in.replayHandler(false))
	mux.HandleFunc("POST /api/deliveries/{seq}/replay-new", in.replayHandler(true))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// same-origin, not no-referrer: under no-referrer a browser sends
		// "Origin: null" on the page's own POSTs, which checkPost refuses.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if !in.hostAllowed(r.Host) {
			writeJSON(w, http.StatusMisdirectedRequest, apiError{"the inspector answers only to an IP address, localhost or the host of --ui-addr"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// hostAllowed reports whether a Host header names the inspector by an IP
// address, as localhost, or by the host named in --ui-addr: no name that
// someone else's DNS could point here.
func (in *inspector) hostAllowed(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	return strings.EqualFold(host, "localhost") || (in.uiHost != "" && strings.EqualFold(host, in.uiHost))
}

// checkPost refuses a state-changing request that did not come from the
// page itself (see the comment at the top of this file).
func (in *inspector) checkPost(r *http.Request) error {
	switch origin := r.Header.Get("Origin"); origin {
	case "":
		return errors.New("refused: no Origin header; replays come only from the inspector page, whose requests carry one")
	case "null":
		return errors.New(`refused: "Origin: null" (a sandboxed frame, a file, a redirect or a no-referrer form) is not the inspector page`)
	default:
		if !strings.EqualFold(origin, "http://"+r.Host) {
			return fmt.Errorf("refused: Origin %s is not the inspector page's", strconv.Quote(origin))
		}
	}
	// What a browser says of the request, when it says it: an Origin is
	// enough today, and this holds should a browser ever send a wrong one.
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return fmt.Errorf("refused: a %s request (Sec-Fetch-Site); replays come only from the inspector page", strconv.Quote(site))
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get(tokenHeader)), []byte(in.token)) != 1 {
		return errors.New("refused: missing or wrong " + tokenHeader + " header; replays come only from the inspector page")
	}
	return nil
}

// apiError is the body of an API error.
type apiError struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// withEntry passes the entry named by the path's {seq} to f, a copy taken
// under the lock; 404 when it is not kept.
func (in *inspector) withEntry(f func(http.ResponseWriter, *http.Request, entry)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e, ok := in.entry(r.PathValue("seq"))
		if !ok {
			writeJSON(w, http.StatusNotFound, apiError{"no such delivery: it was never received, or it was dropped (see --keep)"})
			return
		}
		f(w, r, e)
	}
}

// entry returns a copy of the entry with that sequence number.
func (in *inspector) entry(seq string) (entry, bool) {
	n, err := strconv.ParseInt(seq, 10, 64)
	if err != nil {
		return entry{}, false
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	e := in.lookup(n)
	if e == nil {
		return entry{}, false
	}
	c := *e
	c.attempts = append([]*attempt(nil), e.attempts...) // attempts are not changed once added
	return c, true
}

// The views are what the page gets, as JSON. Every string from a request
// or from the app is passed through shownText, as the terminal shows it.

// rowView is one line of the list.
type rowView struct {
	Seq       int64  `json:"seq"`
	Time      string `json:"time"`
	Received  string `json:"received"`
	MessageID string `json:"messageId"`
	Type      string `json:"type"`
	ObjectID  string `json:"objectId"`
	Verdict   string `json:"verdict"`
	Accepted  bool   `json:"accepted"`
	Status    int    `json:"status"`
	Forwarded string `json:"forwarded"` // the latest attempt's status, "no answer", or ""
	ForwardOK bool   `json:"forwardOk"`
	Attempts  int    `json:"attempts"`
	Cause     string `json:"cause"`
}

func (e *entry) row() rowView {
	v := rowView{Seq: e.seq, Time: e.received.Format("15:04:05"), Received: e.received.Format(time.RFC3339Nano),
		MessageID: shownText(e.messageID), Type: shownText(e.eventType), ObjectID: shownText(e.objectID),
		Verdict: e.verdict, Accepted: e.accepted, Status: e.status, Attempts: len(e.attempts) + e.droppedAttempts}
	if !e.accepted {
		v.Cause = shownText(e.cause)
		if v.Cause == "" {
			v.Cause = shownText(e.errText)
		}
	}
	if n := len(e.attempts); n > 0 {
		last := e.attempts[n-1]
		v.Forwarded, v.ForwardOK = "no answer", false
		if last.status != 0 {
			v.Forwarded, v.ForwardOK = strconv.Itoa(last.status), last.status >= 200 && last.status < 300
		}
	}
	return v
}

// update is one server-sent event: the rows new or changed since the
// stream's previous event, oldest first, and the state of the ring.
type update struct {
	Started   string    `json:"started"`
	Receiver  string    `json:"receiver"`
	ForwardTo string    `json:"forwardTo"`
	Keep      int       `json:"keep"`
	Kept      int       `json:"kept"`
	Dropped   int64     `json:"dropped"`
	Oldest    int64     `json:"oldest"` // rows before it are gone
	Rows      []rowView `json:"rows"`
}

// changesSince returns the update after version, the version it brings
// the stream to, and a channel closed at the next change.
func (in *inspector) changesSince(version int64) (update, int64, <-chan struct{}) {
	in.mu.Lock()
	defer in.mu.Unlock()
	u := update{Started: in.started, Receiver: in.receiverURL + in.path, ForwardTo: in.forwardTarget(), Keep: in.keep, Kept: in.n,
		Dropped: in.dropped, Oldest: in.nextSeq - int64(in.n), Rows: []rowView{}}
	for i := 0; i < in.n; i++ {
		if e := in.ring[(in.start+i)%in.keep]; e.version > version {
			u.Rows = append(u.Rows, e.row())
		}
	}
	return u, in.version, in.changed
}

// forwardTarget is --forward-to as the page shows it, without a password.
func (in *inspector) forwardTarget() string {
	if in.forwarder == nil {
		return ""
	}
	return shownText(in.forwarder.redacted)
}

// serveEvents streams updates: everything kept at first, then what
// changes, as it changes. A comment every 20 seconds finds a gone client.
func (in *inspector) serveEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	// The stream outlives the server's ReadTimeout: no read deadline.
	_ = rc.SetReadDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	ping := time.NewTicker(20 * time.Second)
	defer ping.Stop()
	var version int64 = -1
	for {
		u, v, changed := in.changesSince(version)
		if v != version {
			data, err := json.Marshal(u)
			if err != nil {
				return
			}
			version = v
			if _, err := fmt.Fprintf(w, "event: deliveries\ndata: %s\n\n", data); err != nil {
				return
			}
		}
		if rc.Flush() != nil {
			return
		}
		select {
		case <-changed:
		case <-ping.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-in.done:
			return
		}
	}
}

// detailView is one delivery in full.
type detailView struct {
	rowView
	Method          string        `json:"method"`
	URI             string        `json:"uri"`
	Verified        bool          `json:"verified"`
	OccurredAt      string        `json:"occurredAt"`
	Payload         string        `json:"payload"`
	Error           string        `json:"error"`
	Headers         []headerView  `json:"headers"`
	BodySize        int           `json:"bodySize"`
	BodyTruncated   bool          `json:"bodyTruncated"`
	Body            string        `json:"body"`
	Pretty          string        `json:"pretty"`
	PrettyError     string        `json:"prettyError"`
	Attempts        []attemptView `json:"attemptList"`
	DroppedAttempts int           `json:"droppedAttempts"`
	Curl            string        `json:"curl"`
	ReplayOff       string        `json:"replayOff"` // why replay is not possible, or ""
}

type headerView struct {
	Name      string `json:"name"`
	Value     string `json:"value"`
	Signature bool   `json:"signature"` // one of the svix-* or webhook-* headers a signature is made of
}

type attemptView struct {
	Kind            string `json:"kind"`
	MessageID       string `json:"messageId"`
	At              string `json:"at"`
	Duration        string `json:"duration"`
	Status          int    `json:"status"`
	StatusText      string `json:"statusText"`
	Answer          string `json:"answer"`
	AnswerTruncated bool   `json:"answerTruncated"`
	Error           string `json:"error"`
}

// signatureHeaders are the headers the library reads a signature from.
var signatureHeaders = []string{clerkwebhook.HeaderSvixID, clerkwebhook.HeaderSvixTimestamp, clerkwebhook.HeaderSvixSignature,
	clerkwebhook.HeaderWebhookID, clerkwebhook.HeaderWebhookTimestamp, clerkwebhook.HeaderWebhookSignature}

func isSignatureHeader(name string) bool {
	for _, s := range signatureHeaders {
		if strings.EqualFold(name, s) {
			return true
		}
	}
	return false
}

func (in *inspector) serveDetail(w http.ResponseWriter, _ *http.Request, e entry) {
	v := detailView{rowView: e.row(), Method: shownText(e.method), URI: shownText(e.uri), Verified: e.verified,
		Payload: shownText(e.payload), Error: shownText(e.errText), BodySize: len(e.body), BodyTruncated: e.truncated,
		Body: visibleText(e.body), DroppedAttempts: e.droppedAttempts, Headers: []headerView{}, Attempts: []attemptView{},
		Curl: curlCommand(in.receiverURL+e.uri, e.method, e.header, e.body)}
	if !e.occurredAt.IsZero() {
		v.OccurredAt = e.occurredAt.Format(time.RFC3339Nano)
	}
	if pretty, err := prettyJSON(e.body); err != nil {
		v.PrettyError = "not JSON: " + err.Error()
	} else {
		v.Pretty = visibleText(pretty)
	}
	for _, name := range sortedNames(e.header) {
		for _, value := range e.header[name] {
			v.Headers = append(v.Headers, headerView{Name: shownText(name), Value: shownText(value), Signature: isSignatureHeader(name)})
		}
	}
	for _, a := range e.attempts {
		av := attemptView{Kind: a.kind, MessageID: shownText(a.messageID), At: a.at.Format("15:04:05.000"),
			Duration: roundDuration(a.duration), Status: a.status, StatusText: shownText(a.statusMsg),
			Answer: visibleText(a.answer), AnswerTruncated: a.truncated}
		if a.err != nil {
			av.Error = shownText(a.err.Error())
		}
		v.Attempts = append(v.Attempts, av)
	}
	v.ReplayOff = in.replayOff(&e)
	writeJSON(w, http.StatusOK, v)
}

// replayOff says why a delivery cannot be replayed, or "".
func (in *inspector) replayOff(e *entry) string {
	switch {
	case in.forwarder == nil:
		return "replay sends to your app: start listen with --forward-to URL"
	case e.truncated:
		return "the body was over the size limit and was not kept whole"
	case e.status == http.StatusNotFound && e.verdict == "wrong path":
		return "this request was not at " + in.path + ", so it was not forwarded"
	}
	return ""
}

func sortedNames(h http.Header) []string {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// prettyJSON indents a JSON body by two spaces, leaving every string and
// number as it was written.
func prettyJSON(body []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (in *inspector) serveCapture(w http.ResponseWriter, _ *http.Request, e entry) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="clerkwebhook-delivery-%d.txt"`, e.seq))
	_, _ = w.Write(captureFile(e.received, e.method, e.uri, e.header, e.body, e.truncated))
}

// replayHandler resends a delivery to --forward-to: as it came, or, as new,
// signed again with the listener's secret under a fresh message id and
// timestamp. The answer is the attempt; the page also sees it in the
// delivery's update.
func (in *inspector) replayHandler(asNew bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := in.checkPost(r); err != nil {
			writeJSON(w, http.StatusForbidden, apiError{err.Error()})
			return
		}
		e, ok := in.entry(r.PathValue("seq"))
		if !ok {
			writeJSON(w, http.StatusNotFound, apiError{"no such delivery: it was never received, or it was dropped (see --keep)"})
			return
		}
		if off := in.replayOff(&e); off != "" {
			writeJSON(w, http.StatusConflict, apiError{off})
			return
		}
		kind, header := "replay", e.header
		if asNew {
			kind = "replay as new"
			signed, err := clerkwebhook.Sign(in.secret, ids.NewMessageID(), time.Now(), e.body)
			if err != nil { // the secret was checked at start-up, and the id is ours
				writeJSON(w, http.StatusInternalServerError, apiError{err.Error()})
				return
			}
			header = resigned(e.header, signed)
		}
		a, _, _ := in.forwarder.send(r.Context(), kind, e.method, header, e.body)
		in.addAttempt(e.seq, a)
		writeJSON(w, http.StatusOK, map[string]any{"kind": kind, "messageId": shownText(a.messageID), "status": a.status})
	}
}

// resigned is h with its signature headers, of either family and any
// spelling, replaced by signed's.
func resigned(h, signed http.Header) http.Header {
	out := http.Header{}
	for name, values := range h {
		if !isSignatureHeader(name) {
			out[name] = values
		}
	}
	for name, values := range signed {
		out[name] = values
	}
	return out
}

// addAttempt records a replay's attempt on its delivery, if still kept.
func (in *inspector) addAttempt(seq int64, a *attempt) {
	in.mu.Lock()
	defer in.mu.Unlock()
	e := in.lookup(seq)
	if e == nil {
		return
	}
	if len(e.attempts) == maxAttempts {
		// Keep the first (the delivery as forwarded) and the latest.
		e.attempts = append(e.attempts[:1], e.attempts[2:]...)
		e.droppedAttempts++
	}
	e.attempts = append(e.attempts, a)
	in.touch(e)
}

// newPageServer serves the inspector: no WriteTimeout, since the event
// stream lasts as long as the page is open.
func newPageServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
}

// shutdownAll stops servers in parallel, within ctx.
func shutdownAll(ctx context.Context, servers ...*http.Server) error {
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Add(1)
		go func(i int, s *http.Server) {
			defer wg.Done()
			errs[i] = s.Shutdown(ctx)
		}(i, s)
	}
	wg.Wait()
	return errors.Join(errs...)
}

// roundDuration writes how long the app took: to the microsecond below a
// millisecond, else to the millisecond.
func roundDuration(d time.Duration) string {
	if d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}
