// Package clerkwebhook receives Clerk webhooks: it verifies the Svix
// signature on the raw request body, rejects replays, and decodes every
// Clerk event type into typed structs. It uses only the standard library.
//
// # Verifying
//
// Build one Verifier at start-up from the endpoint's signing secret
// ("whsec_..."), then verify each delivery with the raw body and the request
// headers:
//
//	v, err := clerkwebhook.NewVerifier(os.Getenv("CLERK_WEBHOOK_SIGNING_SECRET"))
//	...
//	event, err := v.Verify(body, r.Header)
//
// Verify checks, in order: the body size, the svix-id, svix-timestamp and
// svix-signature headers (or the Standard Webhooks webhook-* set), the
// HMAC-SHA256 signature in constant time under every configured secret, the
// timestamp against a ±5-minute window, and that the body is an event
// envelope. Each failure is a *VerificationError wrapping a sentinel such as
// ErrNoMatchingSignature or ErrTimestampTooOld. No error, log line or fmt
// verb ever shows the secret.
//
// # Events
//
// An Event holds the envelope (type, instance, timestamps) and the raw data.
// Dedupe on Event.ID, the message id, which is the same for every retry of a
// message. Typed accessors decode the data on demand: Event.User,
// Event.Session, Event.Organization, ..., or Event.Payload for a type
// switch. An event type this package does not know is not an error.
//
// # Serving
//
// NewHandler returns an http.Handler that verifies, deduplicates (with a
// Deduplicator), dispatches to callbacks registered with On, and answers
// with the status codes Svix expects. Package clerkwebhooktest signs
// requests and provides a realistic payload for every event type, for
// testing handlers; the clerkwebhook command (cmd/clerkwebhook) sends,
// receives and diagnoses deliveries locally.
//
// # Failures
//
// Every request a Handler serves becomes one Delivery, handed to its
// observers once the answer is written: first the log (log/slog; a record
// for each failed delivery, see WithLogger and WithoutLog), then each
// observer added with WithObserver, such as the OpenTelemetry one of the
// module github.com/seed77920f6a/clerkwebhook/clerkotel. A Delivery carries
// every error of the attempt: the one behind the status (Delivery.Err) and
// a Deduplicator failure that did not change it (Delivery.DedupErr).
//
// # Configuration mistakes
//
// One rule holds in this package and in every module of this repository
// (pgstore, redisstore, clerkriver, clerkotel): a value written in the
// program that can never work panics when it is given, with a message
// naming the function and the value, as net/http's ServeMux does with a bad
// pattern. That covers an option given a value it cannot use (a zero or
// negative duration or size, an empty name, a nil function, client or
// store), a registration mistake (a misspelled event type), and an unknown
// Svix region. One exception follows OpenTelemetry's own convention:
// clerkotel's WithMeterProvider(nil) and WithTracerProvider(nil) mean the
// global provider, as they do in otelhttp. Such a mistake shows at start-up, in every environment,
// instead of as a stream of failed deliveries. What comes from outside the
// program is an error, never a panic: the signing secret (NewVerifier
// returns ErrMissingSecret or ErrInvalidSecret), a delivery, a database or
// Redis server. A value read from configuration is the program's to check
// before passing it on.
package clerkwebhook
