package clerkotel_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkotel"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// storeDown is a Deduplicator whose store fails one call for the message
// ids that name it (msg_claim_down, msg_complete_down, msg_release_down and
// those that start so), and works for the others.
type storeDown struct{ clerkwebhook.Deduplicator }

var errStoreDown = errors.New("connection refused")

func (s storeDown) Claim(ctx context.Context, id string) (clerkwebhook.ClaimState, error) {
	if strings.HasPrefix(id, "msg_claim_down") {
		return 0, errStoreDown
	}
	return s.Deduplicator.Claim(ctx, id)
}

func (s storeDown) Complete(ctx context.Context, id string) error {
	if strings.HasPrefix(id, "msg_complete_down") {
		return errStoreDown
	}
	return s.Deduplicator.Complete(ctx, id)
}

func (s storeDown) Release(ctx context.Context, id string) error {
	if strings.HasPrefix(id, "msg_release_down") {
		return errStoreDown
	}
	return s.Deduplicator.Release(ctx, id)
}

// queueDown is a Queue that cannot store anything.
type queueDown struct{}

func (queueDown) Enqueue(context.Context, clerkwebhook.Event) error {
	return errors.New("connection refused")
}

// failingBody is a request body whose connection fails after a few bytes.
type failingBody struct{ r io.Reader }

func (b failingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

// A scripted mix of deliveries through real Handlers, one of each row of
// the status table and more: the counter holds exactly the counts of each
// (outcome, error type, event type), the histogram one duration per delivery,
// and each delivery has one span with the attributes and status it should.
func TestObserverRecordsEachDelivery(t *testing.T) {
	t.Parallel()
	tel := newTelemetry(t)
	dedup := clerkwebhook.NewMemoryDeduplicator()
	errBad := errors.New("bad data")
	h := newHandler(verifier(t, clerkwebhook.WithMaxBodyBytes(64<<10)),
		clerkwebhook.WithObserver(tel.observe),
		clerkwebhook.WithDeduplicator(storeDown{dedup}),
		clerkwebhook.WithAllowedSources(netip.MustParsePrefix("192.0.2.0/24")))
	ok := func(context.Context, clerkwebhook.Event) error { return nil }
	h.On(clerkwebhook.UserCreated, ok)
	h.On(clerkwebhook.OrganizationCreated, func(context.Context, clerkwebhook.Event) error { return errBad })
	h.On(clerkwebhook.UserDeleted, func(context.Context, clerkwebhook.Event) error { return clerkwebhook.Permanent(errBad) })
	h.On(clerkwebhook.SessionEnded, func(context.Context, clerkwebhook.Event) error { panic("boom") })
	h.On(clerkwebhook.EmailCreated, func(context.Context, clerkwebhook.Event) error { panic(http.ErrAbortHandler) })
	queued := newHandler(verifier(t), clerkwebhook.WithObserver(tel.observe), clerkwebhook.WithQueue(queueDown{}))
	queued.On(clerkwebhook.UserCreated, ok)

	// Another delivery of msg_busy holds its claim right now.
	_, err := dedup.Claim(clerkwebhook.ClaimContext(context.Background()), "msg_busy")
	require.NoError(t, err)

	user := clerkwebhooktest.Fixture(clerkwebhook.UserCreated)
	steps := []struct {
		name    string
		handler http.Handler // h when nil
		request func(t *testing.T) *http.Request
		// What the Delivery should record.
		outcome, errorType, eventType string
		status                        int    // 0: no answer
		id                            string // the span's message id, "" for none
		dedupFailure                  string // the Deduplicator call that failed after the answer
	}{
		{name: "processed", request: func(t *testing.T) *http.Request {
			return delivery(t, testSecret, "msg_1", now, clerkwebhook.UserCreated)
		}, outcome: "processed", eventType: "user.created", status: 200, id: "msg_1"},
		{name: "processed again", request: func(t *testing.T) *http.Request {
			return delivery(t, testSecret, "msg_2", now, clerkwebhook.UserCreated)
		}, outcome: "processed", eventType: "user.created", status: 200, id: "msg_2"},
		{name: "no callback for the type", request: func(t *testing.T) *http.Request {
			return delivery(t, testSecret, "msg_3", now, clerkwebhook.SessionCreated)
		}, outcome: "processed", eventType: "session.created", status: 200, id: "msg_3"},
		{name: "a type this package does not know", request: func(t *testing.T) *http.Request {
			return delivery(t, testSecret, "msg_4", now, "unknown.future")
		}, outcome: "processed", eventType: "unknown", status: 200, id: "msg_4"},
		{name: "duplicate", request: func(t *testing.T) *http.Request {
			return delivery(t, testSecret, "msg_1", now, clerkwebhook.UserCreated)
		}, outcome: "duplicate", eventType: "user.created", status: 200, id: "msg_1"},
		{name: "duplicate again", request: func(t *testing.T) *http.Request {
			return delivery(t, testSecret, "msg_1", now, clerkwebhook.UserCreated)
		}, outcome: "duplicate", eventType: "user.created", status: 200, id: "msg_1"},

		{name: "forged", request: func(t *testing.T) *http.Request {
			return delivery(t, otherSecret, "msg_forged", now, clerkwebhook.UserCreated)
		}, outcome: "rejected", errorType: "no_matching_signature", status: 400, id: "msg_forged"},
		{name: "forged again", request: func(t *testing.T) *http.Request {
			return delivery(t, otherSecret, "msg_forged2", now, clerkwebhook.UserCreated)
		}, outcome: "rejected", errorType: "no_matching_signature", status: 400, id: "msg_forged2"},
		{name: "no headers", request: func(t *testing.T) *http.Request {
			return post(user, http.Header{})
		}, outcome: "rejected", errorType: "missing_header", status: 400},
		{name: "malformed timestamp", request: func(t *testing.T) *http.Request {
			hd := signed(t, testSecret, "msg_ts", now, user)
			hd.Set("svix-timestamp", "soon")
			return post(user, hd)
		}, outcome: "rejected", errorType: "invalid_header", status: 400, id: "msg_ts"},
		{name: "replayed", request: func(t *testing.T) *http.Request {
			return delivery(t, testSecret, "msg_old", now.Add(-time.Hour), clerkwebhook.UserCreated)
		}, outcome: "rejected", errorType: "timestamp_too_old", status: 400, id: "msg_old"},
		{name: "from the future", request: func(t *testing.T) *http.Request {
			return delivery(t, testSecret, "msg_new", now.Add(time.Hour), clerkwebhook.UserCreated)
		}, outcome: "rejected", errorType: "timestamp_too_new", status: 400, id: "msg_new"},
		{name: "signed, not an event", request: func(t *testing.T) *http.Request {
			body := []byte(`[]`)
			return post(body, signed(t, testSecret, "msg_array", now, body))
		}, outcome: "rejected", errorType: "invalid_payload", status: 400, id: "msg_array"},
		{name: "GET", request: func(t *testing.T) *http.Request {
			return httptest.NewRequest(http.MethodGet, "/webhooks/clerk", nil)
		}, outcome: "rejected", errorType: "method_not_allowed", status: 405},

		{name: "forbidden source", request: func(t *testing.T) *http.Request {
			r := delivery(t, testSecret, "msg_5", now, clerkwebhook.UserCreated)
			r.RemoteAddr = "203.0.113.9:41000"
			return r
		}, outcome: "forbidden", errorType: "forbidden_source", status: 403},
		{name: "too large", request: func(t *testing.T) *http.Request {
			body := bytes.Repeat([]byte(" "), 65<<10)
			return post(body, signed(t, testSecret, "msg_big", now, body))
		}, outcome: "too_large", errorType: "body_too_large", status: 413, id: "msg_big"},

		{name: "in progress elsewhere", request: func(t *testing.T) *http.Request {
			return delivery(t, testSecret, "msg_busy", now, clerkwebhook.UserCreated)
		}, outcome: "failed", errorType: "in_progress", eventType: "user.created", status: 409, id: "msg_busy"},
		{name: "permanent", request: func(t *testing.T) *http.Request {
			return delivery(t, testSecret, "msg_6", now, clerkwebhook.UserDeleted)
		}, outcome: "failed", errorType: "permanent", eventType: "user.deleted", status: 422, id: "msg_6"},
		{name: "callback error", request: func(t *testing.T) *http.Request {
			return delivery(t, testSecret, "msg_7", now, clerkwebhook.OrganizationCreated)
		}, outcome: "failed", errorType: "callback", eventType: "organization.created", status: 500, id: "msg_7"},
		{name: "callback panic", request: func(t *testing.T) *http.Request {
			return delivery(t, testSecret, "msg_8", now, clerkwebhook.SessionEnded)
		}, outcome: "failed", errorType: "callback", eventType: "session.ended", status: 500, id: "msg_8"},
		{name: "no answer", request: func(t *testing.T) *http.Request {
			return delivery(t, testSecret, "msg_9", now, clerkwebhook.EmailCreated)
		}, outcome: "failed", errorType: "callback", eventType: "email.created", id: "msg_9"},
		{name: "deduplicator down", request: func(t *testing.T) *http.Request {
			return delivery(t, testSecret, "msg_claim_down", now, clerkwebhook.UserCreated)
		}, outcome: "failed", errorType: "deduplicator", eventType: "user.created", status: 500, id: "msg_claim_down"},
		{name: "processed, its Complete failed", request: func(t *testing.T) *http.Request {
			return delivery(t, testSecret, "msg_complete_down", now, clerkwebhook.UserCreated)
		}, outcome: "processed", eventType: "user.created", status: 200, id: "msg_complete_down", dedupFailure: "complete"},
		{name: "callback error, its Release failed", request: func(t *testing.T) *http.Request {
			return delivery(t, testSecret, "msg_release_down", now, clerkwebhook.OrganizationCreated)
		}, outcome: "failed", errorType: "callback", eventType: "organization.created", status: 500, id: "msg_release_down", dedupFailure: "release"},
		{name: "no answer, its Release failed", request: func(t *testing.T) *http.Request {
			return delivery(t, testSecret, "msg_release_down_2", now, clerkwebhook.EmailCreated)
		}, outcome: "failed", errorType: "callback", eventType: "email.created", id: "msg_release_down_2", dedupFailure: "release"},
		{name: "queue down", handler: queued, request: func(t *testing.T) *http.Request {
			return delivery(t, testSecret, "msg_10", now, clerkwebhook.UserCreated)
		}, outcome: "failed", errorType: "queue", eventType: "user.created", status: 500, id: "msg_10"},
		{name: "connection lost", request: func(t *testing.T) *http.Request {
			hd := signed(t, testSecret, "msg_11", now, user)
			r := post(nil, hd)
			r.Body = io.NopCloser(failingBody{bytes.NewReader(user[:100])})
			r.ContentLength = -1
			return r
		}, outcome: "failed", errorType: "body_incomplete", status: 500, id: "msg_11"},
	}

	wantCounts := map[series]int64{}
	wantDurations := map[series]uint64{}
	wantDedupFailures := map[string]int64{}
	errorSpans := 0
	for _, step := range steps {
		if step.dedupFailure != "" {
			wantDedupFailures[step.dedupFailure]++
		}
		wantCounts[series{step.outcome, step.errorType, step.eventType}]++
		wantDurations[series{outcome: step.outcome, eventType: step.eventType}]++
		t.Run(step.name, func(t *testing.T) {
			handler := step.handler
			if handler == nil {
				handler = h
			}
			spansBefore, observedBefore := len(tel.spans.Ended()), len(tel.observed)
			rec := httptest.NewRecorder()
			func() {
				defer func() {
					if p := recover(); p != nil && p != http.ErrAbortHandler {
						panic(p)
					}
				}()
				handler.ServeHTTP(rec, step.request(t))
			}()

			require.Len(t, tel.observed, observedBefore+1, "one Delivery")
			d := tel.observed[observedBefore]
			require.Equal(t, step.status, d.Status, "the Handler's answer (err %v)", d.Err)
			spans := tel.spans.Ended()
			require.Len(t, spans, spansBefore+1, "one span per delivery")
			span := spans[spansBefore]

			assert.Equal(t, "clerkwebhook.delivery", span.Name())
			assert.Equal(t, trace.SpanKindServer, span.SpanKind(), "no request span: this one is the server span")
			assert.False(t, span.Parent().IsValid())
			assert.Equal(t, clerkotel.ScopeName, span.InstrumentationScope().Name)
			assert.Equal(t, clerkotel.Version, span.InstrumentationScope().Version)
			assert.True(t, span.StartTime().Equal(d.Received), "starts when the request was received")
			assert.True(t, span.EndTime().Equal(d.Received.Add(d.Duration)), "ends at the answer")

			want := map[attribute.Key]attribute.Value{
				"clerkwebhook.outcome": attribute.StringValue(step.outcome),
				"client.address":       attribute.StringValue(d.Source.String()),
			}
			if step.errorType != "" {
				want["error.type"] = attribute.StringValue(step.errorType)
			}
			if step.eventType != "" {
				want["clerkwebhook.event_type"] = attribute.StringValue(step.eventType)
			}
			if step.id != "" {
				want["clerkwebhook.message_id"] = attribute.StringValue(step.id)
			}
			if step.status != 0 {
				want["http.response.status_code"] = attribute.IntValue(step.status)
			}
			if step.dedupFailure != "" {
				want["clerkwebhook.deduplicator.failure"] = attribute.StringValue(step.dedupFailure)
			}
			assert.Equal(t, want, spanAttrs(span))

			// As otelhttp's server spans: an error for 5xx or no answer, not
			// for a 4xx, which the outcome and error.type show.
			if step.status == 0 || step.status >= 500 {
				errorSpans++
				assert.Equal(t, codes.Error, span.Status().Code)
				assert.Equal(t, step.errorType, span.Status().Description, "the error type, never the error's text")
			} else {
				assert.Equal(t, codes.Unset, span.Status().Code)
				assert.Empty(t, span.Status().Description)
			}
			assert.Empty(t, span.Events(), "no error text in an event either")
		})
	}

	assert.Equal(t, 8, errorSpans, "the callbacks' 500s, no answer, the deduplicator, the queue, the body")

	deliveries, durations, dedupFailures := tel.collect(t)
	assert.Equal(t, wantCounts, deliveries)
	assert.Equal(t, wantDurations, durations)
	assert.Equal(t, map[string]int64{"complete": 1, "release": 2}, dedupFailures)
	assert.Equal(t, wantDedupFailures, dedupFailures)
	// Spelled out for the rows that occur more than once.
	// A failed Complete or Release leaves the delivery's own series as it was.
	assert.Equal(t, int64(3), deliveries[series{"processed", "", "user.created"}], "two, and the one whose Complete failed")
	assert.Equal(t, int64(2), deliveries[series{"duplicate", "", "user.created"}])
	assert.Equal(t, int64(2), deliveries[series{"rejected", "no_matching_signature", ""}])
	assert.Equal(t, int64(3), deliveries[series{"failed", "callback", "session.ended"}]+deliveries[series{"failed", "callback", "organization.created"}],
		"a panic, an error, and an error whose Release failed")
	assert.Equal(t, int64(2), deliveries[series{"failed", "callback", "email.created"}], "no answer, twice")
	var total uint64
	for _, n := range durations {
		total += n
	}
	assert.Equal(t, uint64(len(steps)), total, "one duration per delivery")
}

// In the request's own span (otelhttp's, say) the delivery's span is its
// child, of kind internal, so that a trace has one server span per request.
func TestSpanIsAChildOfTheRequestSpan(t *testing.T) {
	t.Parallel()
	tel := newTelemetry(t)
	h := newHandler(verifier(t), clerkwebhook.WithObserver(tel.observe))
	ctx, parent := tel.tracer.Tracer("test").Start(context.Background(), "POST /webhooks/clerk", trace.WithSpanKind(trace.SpanKindServer))
	r := delivery(t, testSecret, "msg_1", now, clerkwebhook.UserCreated).WithContext(ctx)
	h.ServeHTTP(httptest.NewRecorder(), r)
	parent.End()

	spans := tel.spans.Ended()
	require.Len(t, spans, 2)
	span := spans[0]
	assert.Equal(t, "clerkwebhook.delivery", span.Name())
	assert.Equal(t, parent.SpanContext().TraceID(), span.SpanContext().TraceID())
	assert.Equal(t, parent.SpanContext().SpanID(), span.Parent().SpanID())
	assert.Equal(t, trace.SpanKindInternal, span.SpanKind())
}

// Trace headers a client sends are not followed: the span starts a trace
// of its own.
func TestSpanIgnoresTraceHeaders(t *testing.T) {
	t.Parallel()
	tel := newTelemetry(t)
	h := newHandler(verifier(t), clerkwebhook.WithObserver(tel.observe))
	r := delivery(t, testSecret, "msg_1", now, clerkwebhook.UserCreated)
	r.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.ServeHTTP(httptest.NewRecorder(), r)

	spans := tel.spans.Ended()
	require.Len(t, spans, 1)
	assert.False(t, spans[0].Parent().IsValid())
	assert.NotEqual(t, "4bf92f3577b34da6a3ce929d0e0e4736", spans[0].SpanContext().TraceID().String())
}

// Whatever a client sends, and whatever types Clerk adds, the metrics'
// attribute values stay in their documented sets, and a message id on a
// span is at most 64 bytes of printable ASCII.
func TestAttributeValuesAreBounded(t *testing.T) {
	t.Parallel()
	tel := newTelemetry(t)
	h := newHandler(verifier(t), clerkwebhook.WithObserver(tel.observe))
	h.OnOther(func(context.Context, clerkwebhook.Event) error { return nil })

	odd := []string{
		"msg_" + strings.Repeat("x", 10_000),
		"msg_line\nclerkwebhook.outcome=processed",
		"msg_\x00\x1b[31mred",
		"msg_ünïcödé",
		"msg with spaces",
		`msg_"quoted"`,
	}
	const n = 40
	for i := range n {
		id := odd[i%len(odd)] + strings.Repeat("y", i)
		body := []byte(`{"type":"attacker.chosen.` + strings.Repeat("z", i) + `","object":"event","data":{}}`)
		// Verified: a type Clerk might add, and an id the signer chose.
		h.ServeHTTP(httptest.NewRecorder(), post(body, signed(t, testSecret, id, now, body)))
		// Not verified: anything at all.
		h.ServeHTTP(httptest.NewRecorder(), post(body, signed(t, otherSecret, id, now, body)))
	}

	deliveries, durations, _ := tel.collect(t)
	assert.Equal(t, map[series]int64{
		{"processed", "", "unknown"}:              n,
		{"rejected", "no_matching_signature", ""}: n,
	}, deliveries, "two series, however many types and ids")
	assert.Equal(t, map[series]uint64{
		{outcome: "processed", eventType: "unknown"}: n,
		{outcome: "rejected"}:                        n,
	}, durations)

	spans := tel.spans.Ended()
	require.Len(t, spans, 2*n)
	for _, s := range spans {
		attrs := spanAttrs(s)
		id, ok := attrs["clerkwebhook.message_id"]
		require.True(t, ok)
		assert.LessOrEqual(t, len(id.AsString()), 64)
		for _, c := range []byte(id.AsString()) {
			assert.True(t, c > 0x20 && c < 0x7f, "byte %#x in %q", c, id.AsString())
		}
		assert.True(t, strings.HasPrefix(id.AsString(), "msg"), "still recognizable: %q", id.AsString())
		if typ, ok := attrs["clerkwebhook.event_type"]; ok {
			assert.Equal(t, "unknown", typ.AsString())
		}
	}
	// A well-formed id is unchanged.
	h.ServeHTTP(httptest.NewRecorder(), delivery(t, testSecret, "msg_2abcDEF3ghi4JKL5mno6PQR7stu", now, clerkwebhook.UserCreated))
	spans = tel.spans.Ended()
	assert.Equal(t, "msg_2abcDEF3ghi4JKL5mno6PQR7stu", spanAttrs(spans[len(spans)-1])["clerkwebhook.message_id"].AsString())
}

// globalsSet records that TestGlobalProviders set the global providers,
// which cannot be unset: only the first run in a process can set them
// after NewObserver.
var globalsSet bool

// Without options, the observer uses the global providers: those set
// before NewObserver, and those set for the first time after it (the
// global ones forward to the first providers set). So does it with nil
// providers, as otelhttp does, rather than panicking. (Not parallel: it
// sets the global providers.)
func TestGlobalProviders(t *testing.T) {
	setGlobals := func() (*sdkmetric.ManualReader, *tracetest.SpanRecorder) {
		reader, spans := sdkmetric.NewManualReader(), tracetest.NewSpanRecorder()
		otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
		otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
		globalsSet = true
		return reader, spans
	}
	cases := []struct {
		name  string
		after bool
		opts  []clerkotel.Option
	}{
		{name: "set after NewObserver", after: true},
		{name: "set before NewObserver"},
		{name: "nil providers", opts: []clerkotel.Option{clerkotel.WithMeterProvider(nil), clerkotel.WithTracerProvider(nil)}},
		{name: "nil option", opts: []clerkotel.Option{nil}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.after && globalsSet {
				t.Skip("the global providers are already set in this process")
			}
			var reader *sdkmetric.ManualReader
			var spans *tracetest.SpanRecorder
			if !tc.after {
				reader, spans = setGlobals()
			}
			observe := clerkotel.NewObserver(tc.opts...)
			if tc.after {
				reader, spans = setGlobals()
			}

			h := newHandler(verifier(t), clerkwebhook.WithObserver(observe))
			h.ServeHTTP(httptest.NewRecorder(), delivery(t, testSecret, "msg_1", now, clerkwebhook.UserCreated))

			tel := &telemetry{reader: reader}
			deliveries, _, _ := tel.collect(t)
			assert.Equal(t, map[series]int64{{"processed", "", "user.created"}: 1}, deliveries)
			require.Len(t, spans.Ended(), 1)
			assert.Equal(t, "clerkwebhook.delivery", spans.Ended()[0].Name())
		})
	}
}

// errRefused is the error of a refusingMeter.
var errRefused = errors.New("instrument refused")

// refusingMeter creates instruments as its Meter does, except those named in
// refuse: for them it returns errRefused and no instrument at all, or, with
// warn, its Meter's instrument along with the error (as the SDK does for a
// name it finds invalid).
type refusingMeter struct {
	metric.Meter
	refuse map[string]bool
	warn   bool
}

func (m refusingMeter) Int64Counter(name string, opts ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	c, err := m.Meter.Int64Counter(name, opts...)
	if !m.refuse[name] || err != nil {
		return c, err
	}
	if m.warn {
		return c, errRefused
	}
	return nil, errRefused
}

func (m refusingMeter) Float64Histogram(name string, opts ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	h, err := m.Meter.Float64Histogram(name, opts...)
	if !m.refuse[name] || err != nil {
		return h, err
	}
	if m.warn {
		return h, errRefused
	}
	return nil, errRefused
}

// refusingProvider is a MeterProvider whose meters are refusingMeters.
type refusingProvider struct {
	metric.MeterProvider
	refuse map[string]bool
	warn   bool
}

func (p refusingProvider) Meter(name string, opts ...metric.MeterOption) metric.Meter {
	return refusingMeter{p.MeterProvider.Meter(name, opts...), p.refuse, p.warn}
}

// captureOtelErrors makes the global ErrorHandler keep what otel.Handle is
// given until the test ends, and returns a function that reads it.
func captureOtelErrors(t *testing.T) func() []error {
	var mu sync.Mutex
	var errs []error
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	return func() []error {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(errs)
	}
}

// An instrument the MeterProvider refuses is reported to otel.Handle, and
// the observer records everything else: NewObserver does not fail, and
// observing never panics. An instrument that comes with its error is used.
// (Not parallel: it sets the global ErrorHandler.)
func TestInstrumentErrorsGoToOtelHandle(t *testing.T) {
	const counter, histogram, dedup = "clerkwebhook.deliveries", "clerkwebhook.delivery.duration", "clerkwebhook.deduplicator.failures"
	all := []string{counter, histogram, dedup}
	cases := []struct {
		name   string
		refuse []string
		warn   bool
	}{
		{name: "counter refused", refuse: []string{counter}},
		{name: "histogram refused", refuse: []string{histogram}},
		{name: "all refused", refuse: all},
		{name: "all with a warning", refuse: all, warn: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			otelErrors := captureOtelErrors(t)
			refuse := map[string]bool{}
			for _, name := range tc.refuse {
				refuse[name] = true
			}
			tel := newTelemetryWrapped(t, func(mp metric.MeterProvider) metric.MeterProvider {
				return refusingProvider{mp, refuse, tc.warn}
			})
			errs := otelErrors()
			require.Len(t, errs, len(tc.refuse))
			for i, name := range tc.refuse {
				assert.ErrorIs(t, errs[i], errRefused)
				assert.Contains(t, errs[i].Error(), name, "the error names the instrument")
			}

			// A delivery that every instrument records.
			h := newHandler(verifier(t), clerkwebhook.WithObserver(tel.observe),
				clerkwebhook.WithDeduplicator(storeDown{clerkwebhook.NewMemoryDeduplicator()}))
			h.On(clerkwebhook.UserCreated, func(context.Context, clerkwebhook.Event) error { return nil })
			h.ServeHTTP(httptest.NewRecorder(), delivery(t, testSecret, "msg_complete_down", now, clerkwebhook.UserCreated))

			deliveries, durations, dedupFailures := tel.collect(t)
			wantDeliveries := map[series]int64{{"processed", "", "user.created"}: 1}
			wantDurations := map[series]uint64{{outcome: "processed", eventType: "user.created"}: 1}
			wantDedupFailures := map[string]int64{"complete": 1}
			if refuse[counter] && !tc.warn {
				wantDeliveries = map[series]int64{}
			}
			if refuse[histogram] && !tc.warn {
				wantDurations = map[series]uint64{}
			}
			if refuse[dedup] && !tc.warn {
				wantDedupFailures = map[string]int64{}
			}
			assert.Equal(t, wantDeliveries, deliveries)
			assert.Equal(t, wantDurations, durations)
			assert.Equal(t, wantDedupFailures, dedupFailures)
			assert.Len(t, tel.spans.Ended(), 1, "the span all the same")
			assert.Len(t, otelErrors(), len(tc.refuse), "reported once, when created")
		})
	}
}

// One observer serves many requests at once, on several Handlers, and
// counts every delivery once (run with -race).
func TestConcurrentDeliveries(t *testing.T) {
	t.Parallel()
	tel := newTelemetry(t)
	handlers := []*clerkwebhook.Handler{
		newHandler(verifier(t), clerkwebhook.WithObserver(tel.observe)),
		newHandler(verifier(t), clerkwebhook.WithObserver(tel.observe)),
	}
	const n = 50
	requests := make([]*http.Request, n)
	for i := range requests {
		secret := testSecret
		if i%5 == 0 {
			secret = otherSecret
		}
		requests[i] = delivery(t, secret, "msg_"+strings.Repeat("c", i+1), now, clerkwebhook.UserCreated)
	}
	var wg sync.WaitGroup
	for i, r := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			handlers[i%2].ServeHTTP(httptest.NewRecorder(), r)
		}()
	}
	wg.Wait()
	deliveries, _, _ := tel.collect(t)
	assert.Equal(t, map[series]int64{
		{"processed", "", "user.created"}:         n - n/5,
		{"rejected", "no_matching_signature", ""}: n / 5,
	}, deliveries)
	assert.Len(t, tel.spans.Ended(), n)
}
