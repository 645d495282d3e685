package clerkotel_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkotel"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// What the test files share: signing with the reference library, the real
// OpenTelemetry SDK behind the observer, and reading back what it recorded.

// Test secrets. They are test values, not anyone's real secret.
const (
	testSecret  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // the Standard Webhooks spec's example
	otherSecret = "whsec_dGhpcyBpcyBhbm90aGVyIHRlc3Qga2V5IQ=="
)

// signed returns Clerk-style svix-* headers for body, signed by the
// reference standard-webhooks library, never by the code under test.
func signed(tb testing.TB, secret, id string, ts time.Time, body []byte) http.Header {
	tb.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(tb, err)
	sig, err := wh.Sign(id, ts, body)
	require.NoError(tb, err)
	h := http.Header{}
	h.Set("svix-id", id)
	h.Set("svix-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("svix-signature", sig)
	return h
}

// post returns a POST of body with header, as net/http hands it to a
// handler; its client address is 192.0.2.1, in TEST-NET-1.
func post(body []byte, header http.Header) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(body))
	for k, v := range header {
		r.Header[k] = append([]string(nil), v...)
	}
	r.Header.Set("Content-Type", "application/json")
	return r
}

// delivery returns a request carrying fixture name, signed under secret as
// message id at time at.
func delivery(tb testing.TB, secret, id string, at time.Time, name clerkwebhook.EventType) *http.Request {
	tb.Helper()
	body := clerkwebhooktest.Fixture(name)
	return post(body, signed(tb, secret, id, at, body))
}

// now is the verifiers' clock.
var now = clerkwebhooktest.FixtureTime()

// verifier verifies under testSecret at now, with extra options.
func verifier(tb testing.TB, opts ...clerkwebhook.Option) *clerkwebhook.Verifier {
	tb.Helper()
	v, err := clerkwebhook.NewVerifier(testSecret, append([]clerkwebhook.Option{clerkwebhook.WithClock(clerkwebhooktest.FixedClock(now))}, opts...)...)
	require.NoError(tb, err)
	return v
}

// telemetry is an observer on the real SDK: a manual metric reader and an
// in-memory span recorder. Each Delivery observed is also kept, to compare
// the span's times with it.
type telemetry struct {
	reader  *sdkmetric.ManualReader
	spans   *tracetest.SpanRecorder
	tracer  *sdktrace.TracerProvider
	observe func(*http.Request, clerkwebhook.Delivery)

	mu       sync.Mutex
	observed []clerkwebhook.Delivery
}

func newTelemetry(tb testing.TB) *telemetry {
	tb.Helper()
	return newTelemetryWrapped(tb, func(mp metric.MeterProvider) metric.MeterProvider { return mp })
}

// newTelemetryWrapped is newTelemetry with the observer's MeterProvider
// wrapped by wrap, which the reader still collects from.
func newTelemetryWrapped(tb testing.TB, wrap func(metric.MeterProvider) metric.MeterProvider) *telemetry {
	tb.Helper()
	t := &telemetry{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	t.tracer = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(t.spans))
	mp := wrap(sdkmetric.NewMeterProvider(sdkmetric.WithReader(t.reader)))
	observe := clerkotel.NewObserver(clerkotel.WithMeterProvider(mp), clerkotel.WithTracerProvider(t.tracer))
	t.observe = func(r *http.Request, d clerkwebhook.Delivery) {
		t.mu.Lock()
		t.observed = append(t.observed, d)
		t.mu.Unlock()
		observe(r, d)
	}
	return t
}

// series is one set of attribute values of the deliveries counter; a
// success has no errorType.
type series struct{ outcome, errorType, eventType string }

// collect returns what the SDK aggregated: the deliveries counter by series,
// the duration histogram's counts by (outcome, event type), and the
// deduplicator failures counter by failure.
func (t *telemetry) collect(tb testing.TB) (deliveries map[series]int64, durations map[series]uint64, dedupFailures map[string]int64) {
	tb.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(tb, t.reader.Collect(context.Background(), &rm))
	deliveries, durations, dedupFailures = map[series]int64{}, map[series]uint64{}, map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		require.Equal(tb, clerkotel.ScopeName, sm.Scope.Name)
		require.Equal(tb, clerkotel.Version, sm.Scope.Version)
		for _, m := range sm.Metrics {
			switch m.Name {
			case "clerkwebhook.deliveries":
				require.Equal(tb, "{delivery}", m.Unit)
				sum, ok := m.Data.(metricdata.Sum[int64])
				require.True(tb, ok, "%s is a %T", m.Name, m.Data)
				require.True(tb, sum.IsMonotonic, "a counter")
				for _, dp := range sum.DataPoints {
					deliveries[seriesOf(tb, dp.Attributes, true)] += dp.Value
				}
			case "clerkwebhook.delivery.duration":
				require.Equal(tb, "s", m.Unit)
				h, ok := m.Data.(metricdata.Histogram[float64])
				require.True(tb, ok, "%s is a %T", m.Name, m.Data)
				for _, dp := range h.DataPoints {
					require.Equal(tb, []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30}, dp.Bounds)
					durations[seriesOf(tb, dp.Attributes, false)] += dp.Count
				}
			case "clerkwebhook.deduplicator.failures":
				require.Equal(tb, "{failure}", m.Unit)
				sum, ok := m.Data.(metricdata.Sum[int64])
				require.True(tb, ok, "%s is a %T", m.Name, m.Data)
				require.True(tb, sum.IsMonotonic, "a counter")
				for _, dp := range sum.DataPoints {
					require.Equal(tb, 1, dp.Attributes.Len(), "attributes %v", dp.Attributes.ToSlice())
					v, ok := dp.Attributes.Value("clerkwebhook.deduplicator.failure")
					require.True(tb, ok, "attributes %v", dp.Attributes.ToSlice())
					dedupFailures[v.AsString()] += dp.Value
				}
			default:
				tb.Fatalf("unexpected metric %q", m.Name)
			}
		}
	}
	return deliveries, durations, dedupFailures
}

// seriesOf reads a data point's attributes, which must be exactly the
// instrument's: outcome and event type, and on the counter error.type when
// the delivery failed (absent, never "", on success).
func seriesOf(tb testing.TB, set attribute.Set, counter bool) series {
	tb.Helper()
	get := func(k attribute.Key) string {
		v, ok := set.Value(k)
		require.True(tb, ok, "no %s in %v", k, set.ToSlice())
		return v.AsString()
	}
	s := series{outcome: get("clerkwebhook.outcome"), eventType: get("clerkwebhook.event_type")}
	want := 2
	if v, ok := set.Value("error.type"); ok && counter {
		s.errorType = v.AsString()
		require.NotEmpty(tb, s.errorType, "error.type is absent on success, not empty")
		want++
	}
	require.Equal(tb, want, set.Len(), "attributes %v", set.ToSlice())
	return s
}

// spanAttrs returns a span's attributes by key.
func spanAttrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// newHandler is clerkwebhook.NewHandler without the Handler's log: the
// tests read what the observer recorded, which the log would only repeat in
// their output.
func newHandler(v *clerkwebhook.Verifier, opts ...clerkwebhook.HandlerOption) *clerkwebhook.Handler {
	return clerkwebhook.NewHandler(v, append(opts, clerkwebhook.WithoutLog())...)
}
