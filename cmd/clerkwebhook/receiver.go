package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
)

// A delivery is what the receiver saw of one request, and what the library's
// Handler made of it.
type delivery struct {
	received time.Time
	method   string
	path     string
	header   http.Header
	body     []byte // as the Handler read it (at most the body limit)
	status   int
	event    *clerkwebhook.Event // set when the callback ran
	err      error               // the reason the Handler gave for a non-2xx answer
}

type deliveryKey struct{}

// receiver serves the library's Handler at one path and reports every
// request, as demo and listen need. It observes the Handler from outside
// (body, status, and the event or error from the Handler's own hooks) and
// never decides anything itself.
type receiver struct {
	path    string
	limit   int64
	handler *clerkwebhook.Handler
	report  func(*delivery)
}

// newReceiver wires a Handler with in-memory deduplication, a fallback that
// accepts every verified event, and an observer that records the reason on
// the request's delivery (instead of the Handler's log: the command prints
// every delivery itself). report is called once per request, after the
// Handler answered, possibly from several goroutines at once.
func newReceiver(v *clerkwebhook.Verifier, path string, report func(*delivery)) *receiver {
	record := func(ctx context.Context) *delivery {
		d, _ := ctx.Value(deliveryKey{}).(*delivery)
		return d
	}
	h := clerkwebhook.NewHandler(v,
		clerkwebhook.WithDeduplicator(clerkwebhook.NewMemoryDeduplicator()),
		clerkwebhook.WithoutLog(),
		clerkwebhook.WithObserver(func(r *http.Request, del clerkwebhook.Delivery) {
			if d := record(r.Context()); d != nil {
				d.err = errors.Join(del.Err, del.DedupErr)
			}
		}))
	h.OnOther(func(ctx context.Context, e clerkwebhook.Event) error {
		if d := record(ctx); d != nil {
			d.event = &e
		}
		return nil
	})
	return &receiver{path: path, limit: clerkwebhook.DefaultMaxBodyBytes, handler: h, report: report}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := &delivery{received: time.Now(), method: r.Method, path: r.URL.Path, header: r.Header.Clone()}
	defer func() { rc.report(d) }()
	if r.URL.Path != rc.path {
		d.status = http.StatusNotFound
		d.err = fmt.Errorf("nothing at %s: the receiver is at %s", shown(r.URL.Path), rc.path)
		http.NotFound(w, r)
		return
	}
	// The status wrapper below hides the server's own ResponseWriter from
	// the Handler's http.MaxBytesReader; this one, with the real writer,
	// still closes the connection on a body over the limit.
	body := &teeBody{r: http.MaxBytesReader(w, r.Body, rc.limit), limit: rc.limit}
	r.Body = body
	r = r.WithContext(context.WithValue(r.Context(), deliveryKey{}, d))
	sw := &statusWriter{ResponseWriter: w}
	rc.handler.ServeHTTP(sw, r)
	d.status = sw.status
	d.body = body.buf.Bytes()
}

// teeBody keeps a copy of what the Handler reads, up to limit bytes.
type teeBody struct {
	r     io.ReadCloser
	buf   bytes.Buffer
	limit int64
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if room := t.limit - int64(t.buf.Len()); room > 0 {
		t.buf.Write(p[:min(int64(n), room)])
	}
	return n, err
}

func (t *teeBody) Close() error { return t.r.Close() }

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// verdict names what the Handler did with a delivery, in a word or three.
func (d *delivery) verdict() string {
	switch {
	case d.status >= 200 && d.status < 300 && d.event != nil:
		return "accepted"
	case d.status >= 200 && d.status < 300:
		// The fallback accepts every verified event, so a 2xx without a
		// callback is the deduplicator saying "already processed".
		return "duplicate"
	case d.status == http.StatusNotFound:
		return "wrong path"
	case d.status == http.StatusMethodNotAllowed:
		return "method not allowed"
	case d.status == http.StatusConflict:
		return "in progress"
	}
	for _, s := range []struct {
		err  error
		name string
	}{
		{clerkwebhook.ErrMissingHeader, "missing header"},
		{clerkwebhook.ErrInvalidHeader, "invalid header"},
		{clerkwebhook.ErrNoMatchingSignature, "no matching signature"},
		{clerkwebhook.ErrTimestampTooOld, "timestamp too old"},
		{clerkwebhook.ErrTimestampTooNew, "timestamp too new"},
		{clerkwebhook.ErrInvalidPayload, "invalid payload"},
		{clerkwebhook.ErrBodyTooLarge, "body too large"},
		{clerkwebhook.ErrMissingSecret, "missing secret"},
		{clerkwebhook.ErrInvalidSecret, "invalid secret"},
	} {
		if errors.Is(d.err, s.err) {
			return s.name
		}
	}
	var ce *clerkwebhook.CallbackError
	if errors.As(d.err, &ce) {
		return "callback failed"
	}
	return fmt.Sprintf("status %d", d.status)
}

// eventType and dataID describe the delivery: from the verified event when
// there is one, else from the unverified body.
func (d *delivery) eventType() string {
	if d.event != nil {
		return string(d.event.Type)
	}
	t, _ := peek(d.body)
	return t
}

func (d *delivery) dataID() string {
	if d.event != nil {
		var data struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(d.event.Data, &data)
		return data.ID
	}
	_, id := peek(d.body)
	return id
}

// newServer serves h with timeouts on every phase of a request, so that a
// client that opens connections and stalls cannot hold them, or the memory
// of their bodies, for long: Svix itself gives up on an answer after 15
// seconds.
func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
}
