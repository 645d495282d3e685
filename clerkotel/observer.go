package clerkotel

import (
	"context"
	"fmt"
	"net/http"

	"github.com/seed77920f6a/clerkwebhook"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Instrument, span and attribute names (see the package documentation).
const (
	deliveriesName    = "clerkwebhook.deliveries"
	durationName      = "clerkwebhook.delivery.duration"
	dedupFailuresName = "clerkwebhook.deduplicator.failures"
	spanName          = "clerkwebhook.delivery"

	outcomeKey      = attribute.Key("clerkwebhook.outcome")
	eventTypeKey    = attribute.Key("clerkwebhook.event_type")
	messageIDKey    = attribute.Key("clerkwebhook.message_id")
	dedupFailureKey = attribute.Key("clerkwebhook.deduplicator.failure")
)

// durationBuckets are the duration histogram's bucket boundaries, in
// seconds: a rejection takes well under a millisecond, a callback that
// writes to a database some milliseconds, and Svix stops waiting for an
// answer after about 15 seconds, which is a boundary of its own.
var durationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30}

// An Option configures NewObserver. A nil Option is ignored.
type Option func(*config)

// config is what the options choose: the global providers unless told.
type config struct {
	meterProvider  metric.MeterProvider
	tracerProvider trace.TracerProvider
}

// WithMeterProvider makes the observer record its metrics with mp instead
// of the global MeterProvider (otel.GetMeterProvider). A nil mp leaves the
// global one, as without the option.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) {
		if mp != nil {
			c.meterProvider = mp
		}
	}
}

// WithTracerProvider makes the observer record its spans with tp instead of
// the global TracerProvider (otel.GetTracerProvider). A nil tp leaves the
// global one, as without the option.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) {
		if tp != nil {
			c.tracerProvider = tp
		}
	}
}

// NewObserver returns an observer for clerkwebhook.WithObserver that records
// every delivery as the package documentation describes: a count, a
// duration and a span. Without options it uses the global providers, set
// with otel.SetMeterProvider and otel.SetTracerProvider before NewObserver
// or, the first time they are set, after it. The observer is safe for
// concurrent use, and may be shared by several Handlers.
//
// NewObserver does not fail. When the MeterProvider refuses to create an
// instrument, the error goes to otel.Handle (the global ErrorHandler, which
// logs it unless otel.SetErrorHandler chose otherwise) and the observer
// records everything else: the instruments that were created, and the spans.
func NewObserver(opts ...Option) func(*http.Request, clerkwebhook.Delivery) {
	c := config{meterProvider: otel.GetMeterProvider(), tracerProvider: otel.GetTracerProvider()}
	for _, opt := range opts {
		if opt != nil {
			opt(&c)
		}
	}
	meter := c.meterProvider.Meter(ScopeName,
		metric.WithInstrumentationVersion(Version), metric.WithSchemaURL(semconv.SchemaURL))
	deliveries, err := meter.Int64Counter(deliveriesName,
		metric.WithDescription("Webhook deliveries answered by a clerkwebhook.Handler."),
		metric.WithUnit("{delivery}"))
	handle(err, deliveriesName)
	if deliveries == nil {
		deliveries = noop.Int64Counter{}
	}
	duration, err := meter.Float64Histogram(durationName,
		metric.WithDescription("Time from the start of a clerkwebhook.Handler's ServeHTTP to its answer."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	handle(err, durationName)
	if duration == nil {
		duration = noop.Float64Histogram{}
	}
	dedupFailures, err := meter.Int64Counter(dedupFailuresName,
		metric.WithDescription("Deduplicator calls that failed after a clerkwebhook.Handler's answer was decided: "+
			"a Complete after a processed delivery, a Release after a failed one."),
		metric.WithUnit("{failure}"))
	handle(err, dedupFailuresName)
	if dedupFailures == nil {
		dedupFailures = noop.Int64Counter{}
	}
	o := &observer{
		tracer: c.tracerProvider.Tracer(ScopeName,
			trace.WithInstrumentationVersion(Version), trace.WithSchemaURL(semconv.SchemaURL)),
		deliveries:    deliveries,
		duration:      duration,
		dedupFailures: dedupFailures,
	}
	return o.observe
}

// handle sends err, a MeterProvider's refusal to create the instrument
// name, to otel.Handle. The instrument it returned with the error is used
// all the same (the SDK's still records, its error being a warning about the
// name), and a no-op one stands in for none at all, so that a provider's
// error never becomes a panic in the Handler's goroutine.
func handle(err error, name string) {
	if err != nil {
		otel.Handle(fmt.Errorf("clerkotel: instrument %s: %w", name, err))
	}
}

type observer struct {
	tracer        trace.Tracer
	deliveries    metric.Int64Counter
	duration      metric.Float64Histogram
	dedupFailures metric.Int64Counter
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
	attrs := []attribute.KeyValue{outcomeKey.String(out), eventTypeKey.String(typ)}
	o.duration.Record(ctx, d.Duration.Seconds(), metric.WithAttributeSet(attribute.NewSet(attrs...)))
	if why != "" {
		// Only on failure, as semconv asks of error.type.
		attrs = append(attrs, semconv.ErrorTypeKey.String(why))
	}
	o.deliveries.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(attrs...)))
	if f := dedupFailure(d); f != "" {
		o.dedupFailures.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(dedupFailureKey.String(f))))
	}
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
	attrs := make([]attribute.KeyValue, 0, 7)
	attrs = append(attrs, outcomeKey.String(out))
	if why != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(why))
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
	if f := dedupFailure(d); f != "" {
		attrs = append(attrs, dedupFailureKey.String(f))
	}
	ctx, span := o.tracer.Start(ctx, spanName,
		trace.WithSpanKind(kind),
		trace.WithTimestamp(d.Received),
		trace.WithAttributes(attrs...))
	if spanError(d.Status) {
		span.SetStatus(codes.Error, why)
	}
	span.End(trace.WithTimestamp(d.Received.Add(d.Duration)))
	return ctx
}
