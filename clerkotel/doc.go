// Package clerkotel records the deliveries of a clerkwebhook.Handler as
// OpenTelemetry metrics and spans: how many were processed, duplicates,
// rejected, refused or failed, and why; how long each took; the
// Deduplicator calls that failed after the answer; and a span for each.
//
//	observe := clerkotel.NewObserver() // the global MeterProvider and TracerProvider
//	h := clerkwebhook.NewHandler(v, clerkwebhook.WithObserver(observe))
//
// Example_recipe is the complete setup with the SDK: the metrics through
// the Prometheus exporter on /metrics, the spans through a span exporter.
//
// The package itself imports only the OpenTelemetry API (the packages of
// go.opentelemetry.io/otel, otel/metric and otel/trace, semconv and the
// no-op instruments included) and clerkwebhook: the application chooses the
// SDK and the exporters. Its go.mod also lists the SDK, the Prometheus and
// stdout exporters, the Prometheus client, the reference standard-webhooks
// library and testify, which only its tests and examples import: a program
// that imports clerkotel does not link them.
//
// The observer adds to the Handler's log and does not replace it (see
// clerkwebhook.WithObserver): the log records each failure with its error,
// which no metric or span carries, and the metrics and spans count and time
// every delivery. clerkwebhook.WithoutLog turns the log off.
//
// The package follows the conventions of otelhttp: the instrumentation
// scope is ScopeName, at Version; a nil provider means the global one; an
// instrument the MeterProvider refuses is reported to otel.Handle, and the
// observer records all the rest; error.type is set only on failure; and a
// span is an error for a 5xx answer, not for a 4xx.
//
// # Metrics
//
//	name                                instrument        unit        attributes
//	clerkwebhook.deliveries             Int64Counter      {delivery}  clerkwebhook.outcome, clerkwebhook.event_type, error.type (on failure)
//	clerkwebhook.delivery.duration      Float64Histogram  s           clerkwebhook.outcome, clerkwebhook.event_type
//	clerkwebhook.deduplicator.failures  Int64Counter      {failure}   clerkwebhook.deduplicator.failure
//
// clerkwebhook.outcome and clerkwebhook.event_type are on every data point
// of the first two, an empty event type included. error.type is on the
// deliveries that failed (Delivery.Err: every answer but a 2xx) and absent
// from the others, never empty, as the semantic conventions ask ("SHOULD
// NOT" be set when the operation succeeded); in PromQL error_type="" still
// selects the successes, a missing label matching as empty. The duration is
// from the start of ServeHTTP to the answer (Delivery.Duration), in buckets
// with the boundaries 1, 2.5, 5, 10, 25, 50, 100, 250 and 500 ms, and 1,
// 2.5, 5, 10, 15 and 30 s: a rejection takes well under a millisecond, a
// callback that writes to a database some milliseconds, and Svix stops
// waiting after about 15 seconds. A View in the SDK can change them.
//
// Through the OpenTelemetry Prometheus exporter, with the translation
// strategy otlptranslator.UnderscoreEscapingWithSuffixes (see
// Example_recipe), they are clerkwebhook_deliveries_total,
// clerkwebhook_delivery_duration_seconds and
// clerkwebhook_deduplicator_failures_total, and the dots of the attribute
// keys become underscores:
//
//	clerkwebhook_deliveries_total{clerkwebhook_event_type="user.created",clerkwebhook_outcome="processed",otel_scope_name="github.com/seed77920f6a/clerkwebhook/clerkotel",otel_scope_schema_url="https://opentelemetry.io/schemas/1.43.0",otel_scope_version="0.1.0"} 1
//	clerkwebhook_deliveries_total{clerkwebhook_event_type="",clerkwebhook_outcome="rejected",error_type="no_matching_signature",otel_scope_name="github.com/seed77920f6a/clerkwebhook/clerkotel",otel_scope_schema_url="https://opentelemetry.io/schemas/1.43.0",otel_scope_version="0.1.0"} 1
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
// told apart by their error.type. So is any status a later version of the
// Handler may add.
//
// error.type (semconv.ErrorTypeKey) is the short name of the package
// sentinel the Delivery's error wraps: the sentinel's name without "Err",
// in snake case. The values a Delivery can have:
//
//	outcome    error.type             sentinel
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
//	failed     deduplicator           ErrDeduplicator (its Claim failed)
//	failed     queue                  ErrQueue
//	failed     body_incomplete        ErrBodyIncomplete (the client went away)
//
// A callback's error is "permanent" when it wraps ErrPermanent and
// "callback" otherwise, whatever else it wraps. The other sentinels have
// their names too (missing_secret, invalid_secret, wrong_event_type,
// lease_expired, no_claim_token), and an error that wraps none is "other"; the Handler
// reports none of these. The value never comes from an error's text, which
// can hold what the client sent.
//
// clerkwebhook.event_type is the verified event type when this package knows
// it (clerkwebhook.EventType.Known), "unknown" for a verified type it does
// not know, and "" when the delivery was not verified. The values are thus
// a closed set, whatever clients send and whatever types Clerk adds.
//
// # Deduplicator failures
//
// A Deduplicator call that fails after the Handler has decided its answer
// does not change it (Delivery.DedupErr), so the delivery keeps the outcome
// and error.type of its answer, which say what Svix was told. The failed
// call is counted in clerkwebhook.deduplicator.failures instead, by
// clerkwebhook.deduplicator.failure, which follows from the answer:
//
//	failure   after                             what follows
//	complete  a processed delivery (2xx)        the store does not record the message as done: a
//	                                            later delivery of it runs its callback again
//	release   a failed one (its callback, or    the store holds the claim until its lease ends: until
//	          no answer)                        then Svix's retries are answered 409 (in_progress), and
//	                                            a lease longer than Svix's retries loses the message
//
// Any increase of the counter, two series at most, is worth an alert: the
// store is failing, and its messages may be processed twice (complete) or
// late, or never (release). A Claim that fails is a failed delivery with
// the error.type deduplicator; the two together are the store's failures.
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
// are known: error.type, clerkwebhook.event_type (as on the metrics),
// clerkwebhook.message_id, http.response.status_code (absent when there was
// no answer), client.address (Delivery.Source) and
// clerkwebhook.deduplicator.failure. No span carries an error's text or the
// secret.
//
// As otelhttp's server spans, a span has the status Error, with its
// error.type as the description, when the Handler answered 5xx or not at
// all, and not for a 4xx: the 400, 403, 405 and 413 refuse what a client
// sent; a 409 is answered while another request holds the message, which
// Svix retries; and a 422 is the app's own decision to give the message up
// (clerkwebhook.Permanent). They stay visible through clerkwebhook.outcome
// and error.type, on the span and in the metrics: a wrong signing secret is
// rejected, no_matching_signature. A failed Complete or Release leaves the
// status its answer gives.
//
// The message id of a delivery that was not verified is whatever the client
// sent. It appears only on spans, never on metrics, cut to 64 bytes, with
// every byte outside printable ASCII (controls, spaces, UTF-8) replaced by
// '?', so that no value sent can forge a line in a log or a trace view;
// Svix's ids ("msg_" and 27 characters) are unchanged.
package clerkotel
