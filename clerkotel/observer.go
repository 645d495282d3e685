package clerkotel

import (
	"context"
	"errors"
	"net/http"

	"github.com/seed77920f6a/clerkwebhook"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Instrument, span and attribute names (see the package documentation).
const (
	deliveriesName = "clerkwebhook.deliveries"
	durationName   = "clerkwebhook.delivery.duration"
	spanName       = "clerkwebhook.delivery"

	outcomeKey   = attribute.Key("clerkwebhook.outcome")
	reasonKey    = attribute.Key("clerkwebhook.reason")
	eventTypeKey = attribute.Key("clerkwebhook.event_type")
	messageIDKey = attribute.Key("clerkwebhook.message_id")
)

// durationBuckets are the duration histogram's bucket boundaries, in
// seconds: a rejection takes well under a millisecond, a callback that
// writes to a database some milliseconds, and Svix stops waiting for an
// answer after about 15 seconds, which is a boundary of its own.
var durationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30}

// An Option configures NewObserver. A nil Option is ignored.
type Option func(*config)

type config struct {
	meterProvider  metric.MeterProvider
	tracerProvider trace.TracerProvider
}

// WithMeterProvider makes the observer record its metrics with mp instead
// of the global MeterProvider (otel.GetMeterProvider). A nil mp panics.
func WithMeterProvider(mp metric.MeterProvider) Option {
	if mp == nil {
		panic("clerkotel: WithMeterProvider(nil)")
	}
	return func(c *config) { c.meterProvider = mp }
}

// WithTracerProvider makes the observer record its spans with tp instead of
// the global TracerProvider (otel.GetTracerProvider). A nil tp panics.
func WithTracerProvider(tp trace.TracerProvider) Option {
	if tp == nil {
		panic("clerkotel: WithTracerProvider(nil)")
	}
	return func(c *config) { c.tracerProvider = tp }
}

// NewObserver returns an observer for clerkwebhook.WithObserver that records
// every delivery as the package documentation describes: a count, a
// duration and a span. Without options it uses the global providers, set
// with otel.SetMeterProvider and otel.SetTracerProvider before NewObserver
// or, the first time they are set, after it. The error is the
// MeterProvider's, when it refuses to create an instrument. The observer is
// safe for concurrent use, and may be shared by several Handlers.
func NewObserver(opts ...Option) (func(*http.Request, clerkwebhook.Delivery), error) {
	c := config{}
	for _, opt := range opts {
		if opt != nil {
			opt(&c)
		}
	}
	if c.meterProvider == nil {
		c.meterProvider = otel.GetMeterProvider()
	}
	if c.tracerProvider == nil {
		c.tracerProvider = otel.GetTracerProvider()
	}
	meter := c.meterProvider.Meter(ScopeName,
		metric.WithInstrumentationVersion(Version), metric.WithSchemaURL(semconv.SchemaURL))
	deliveries, err1 := meter.Int64Counter(deliveriesName,
		metric.WithDescription("Webhook deliveries answered by a clerkwebhook.Handler."),
		metric.WithUnit("{delivery}"))
	duration, err2 := meter.Float64Histogram(durationName,
		metric.WithDescription("Time from the start of a clerkwebhook.Handler's ServeHTTP to its answer."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	o := &observer{
		tracer: c.tracerProvider.Tracer(ScopeName,
			trace.WithInstrumentationVersion(Version), trace.WithSchemaURL(semconv.SchemaURL)),
		deliveries: deliveries,
		duration:   duration,
	}
	return o.observe, nil
}

type observer struct {
	tracer     trace.Tracer
	deliveries metric.Int64Counter
	duration   metric.Float64Histogram
}

// observe records d: the span first, so that the measurements are made in
// its context (an exemplar then points at the delivery's span).
func (o *observer) observe(r *http.Request, d clerkwebhook.Delivery) {
	ctx := context.Background()
	if r != nil {
		ctx = r.Context()
	}
	out, why, typ := outcome(d), reason(d.Err), eventType(d.Type)
	ctx = o.span(ctx, d, out, why, typ)
	o.deliveries.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(
		outcomeKey.String(out), reasonKey.String(why), eventTypeKey.String(typ))))
	o.duration.Record(ctx, d.Duration.Seconds(), metric.WithAttributeSet(attribute.NewSet(
		outcomeKey.String(out), eventTypeKey.String(typ))))
}

// span records d's span, from d.Received to the answer, and returns ctx
// with it. Inside the request's own span (otelhttp's, say) it is that
// span's child, of kind internal; otherwise it is the request's server span.
// Trace headers in the request are not read: a client could choose them.
func (o *observer) span(ctx context.Context, d clerkwebhook.Delivery, out, why, typ string) context.Context {
	kind := trace.SpanKindServer
	if trace.SpanContextFromContext(ctx).IsValid() {
		kind = trace.SpanKindInternal
	}
	attrs := make([]attribute.KeyValue, 0, 6)
	attrs = append(attrs, outcomeKey.String(out))
	if why != "" {
		attrs = append(attrs, reasonKey.String(why))
	}
	if typ != "" {
		attrs = append(attrs, eventTypeKey.String(typ))
	}
	if d.MessageID != "" {
		attrs = append(attrs, messageIDKey.String(messageID(d.MessageID)))
	}
	if d.Status != 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(d.Status))
	}
	if d.Source.IsValid() {
		attrs = append(attrs, semconv.ClientAddress(d.Source.String()))
	}
	ctx, span := o.tracer.Start(ctx, spanName,
		trace.WithSpanKind(kind),
		trace.WithTimestamp(d.Received),
		trace.WithAttributes(attrs...))
	if failed(out) {
		span.SetStatus(codes.Error, why)
	}
	span.End(trace.WithTimestamp(d.Received.Add(d.Duration)))
	return ctx
}
