// Package clerkotel records the deliveries of a clerkwebhook.Handler as
// OpenTelemetry metrics and spans: how many were processed, duplicates,
// rejected, refused or failed, and why; how long each took; and a span for
// each.
//
//	observe := clerkotel.NewObserver() // the global MeterProvider and TracerProvider
//	h := clerkwebhook.NewHandler(v, clerkwebhook.WithObserver(observe))
//
// The package itself imports only the OpenTelemetry API (the packages of
// go.opentelemetry.io/otel, otel/metric and otel/trace, semconv included)
// and clerkwebhook: the application chooses the SDK and the exporters. Its go.mod also lists
// the SDK, the Prometheus exporter and client, the reference
// standard-webhooks library and testify, which only its tests and examples
// import: a program that imports clerkotel does not link them.
//
// An observer replaces the Handler's default logging of failures (see
// clerkwebhook.WithObserver), so the metrics and spans become their record.
// To log them as well, wrap it:
//
//	clerkwebhook.WithObserver(func(r *http.Request, d clerkwebhook.Delivery) {
//		observe(r, d)
//		if d.Err != nil {
//			slog.WarnContext(r.Context(), "clerk webhook not processed", "error", d.Err)
//		}
//	})
//
// # Metrics
//
// The instrumentation scope is "github.com/seed77920f6a/clerkwebhook/clerkotel".
//
//	name                            instrument        unit        attributes
//	clerkwebhook.deliveries         Int64Counter      {delivery}  clerkwebhook.outcome, clerkwebhook.reason, clerkwebhook.event_type
//	clerkwebhook.delivery.duration  Float64Histogram  s           clerkwebhook.outcome, clerkwebhook.event_type
//
// Every data point carries exactly these attributes, an empty one
// included, so that every series has the same labels. The duration is from
// the start of ServeHTTP to the answer (Delivery.Duration), in buckets with
// the boundaries 1, 2.5, 5, 10, 25, 50, 100, 250 and 500 ms, and 1, 2.5, 5,
// 10, 15 and 30 s: a rejection takes well under a millisecond, a callback
// that writes to a database some milliseconds, and Svix stops waiting after
// about 15 seconds. A View in the SDK can change them.
//
// Through the OpenTelemetry Prometheus exporter, with the translation
// strategy otlptranslator.UnderscoreEscapingWithSuffixes (see
// Example_prometheus), they are clerkwebhook_deliveries_total and
// clerkwebhook_delivery_duration_seconds, and the dots of the attribute keys
// become underscores:
//
//	clerkwebhook_deliveries_total{clerkwebhook_event_type="user.created",clerkwebhook_outcome="processed",clerkwebhook_reason="",otel_scope_name="github.com/seed77920f6a/clerkwebhook/clerkotel",otel_scope_schema_url="https://opentelemetry.io/schemas/1.43.0",otel_scope_version=""} 1
//	clerkwebhook_deliveries_total{clerkwebhook_event_type="",clerkwebhook_outcome="rejected",clerkwebhook_reason="no_matching_signature",otel_scope_name="github.com/seed77920f6a/clerkwebhook/clerkotel",otel_scope_schema_url="https://opentelemetry.io/schemas/1.43.0",otel_scope_version=""} 1
//
// # Attributes
//
// clerkwebhook.outcome is one of six values, from the status the Handler
// answered, which is what Svix acts on:
//
//	outcome    status          the delivery
//	processed  200             was acknowledged: its callback succeeded, or its type has none
//	duplicate  200             was acknowledged without running its callback again (a Deduplicator)
//	rejected   400, 405        is not a genuine, current delivery, or not a POST; nothing was done
//	forbidden  403             came from an address that is not allowed (WithAllowedSources)
//	too_large  413             has a body over the Verifier's limit
//	failed     409, 422, 500,  was not processed; Svix retries it, except after 422
//	           no answer
//
// A genuine delivery that was not processed is failed whatever the cause,
// so that one series answers "are we losing Clerk's events": 409 (another
// request holds the message right now) and 422 (the callback returned
// clerkwebhook.Permanent, and Svix gives the message up) are failed too,
// told apart by their reason. So is any status a later version of the
// Handler may add.
//
// clerkwebhook.reason is "" on success, and otherwise the short name of the
// package sentinel the Delivery's error wraps: the sentinel's name without
// "Err", in snake case. The reasons a Delivery can have:
//
//	outcome    reason                 sentinel
//	rejected   missing_header         ErrMissingHeader
//	rejected   invalid_header         ErrInvalidHeader
//	rejected   no_matching_signature  ErrNoMatchingSignature (a wrong secret, or a forgery)
//	rejected   timestamp_too_old      ErrTimestampTooOld (a replay, or a slow queue)
//	rejected   timestamp_too_new      ErrTimestampTooNew (a skewed clock)
//	rejected   invalid_payload        ErrInvalidPayload
//	rejected   method_not_allowed     ErrMethodNotAllowed
//	forbidden  forbidden_source       ErrForbiddenSource
//	too_large  body_too_large         ErrBodyTooLarge
//	failed     in_progress            ErrInProgress (409)
//	failed     permanent              ErrPermanent (422)
//	failed     callback               ErrCallback (500, or no answer)
//	failed     deduplicator           ErrDeduplicator
//	failed     queue                  ErrQueue
//	failed     body_incomplete        ErrBodyIncomplete (the client went away)
//
// A callback's error is "permanent" when it wraps ErrPermanent and
// "callback" otherwise, whatever else it wraps. The other sentinels have
// their names too (missing_secret, invalid_secret, wrong_event_type,
// lease_expired), and an error that wraps none is
// "other"; the Handler reports none of these. The reason never comes from
// an error's text, which can hold what the client sent.
//
// clerkwebhook.event_type is the verified event type when this package knows
// it (clerkwebhook.EventType.Known), "unknown" for a verified type it does
// not know, and "" when the delivery was not verified. The values are thus
// a closed set, whatever clients send and whatever types Clerk adds.
//
// # Spans
//
// Each delivery is one span named "clerkwebhook.delivery", from
// Delivery.Received to the answer. It is made when the Handler reports the
// delivery, after the answer, so the spans a callback starts are not its
// children. In the request's own span (from otelhttp, say) it is that
// span's child, of kind internal; otherwise it is the request's span, of
// kind server. Trace headers in the request are not followed, since any
// client can send them; use otelhttp to decide which to trust.
//
// Its attributes are clerkwebhook.outcome, and those of the following that
// are known: clerkwebhook.reason, clerkwebhook.event_type (as on the
// metrics), clerkwebhook.message_id, http.response.status_code (absent when
// there was no answer) and client.address (Delivery.Source). A span whose
// outcome is neither processed nor duplicate has the status Error, with the
// reason as its description: the delivery was not acted on, and a 400 is how
// a wrong signing secret shows. No span carries an error's text or the
// secret.
//
// The message id of a delivery that was not verified is whatever the client
// sent. It appears only on spans, never on metrics, cut to 64 bytes, with
// every byte outside printable ASCII (controls, spaces, UTF-8) replaced by
// '?', so that no value sent can forge a line in a log or a trace view;
// Svix's ids ("msg_" and 27 characters) are unchanged.
package clerkotel
