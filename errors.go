package clerkwebhook

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/seed77920f6a/clerkwebhook/internal/display"
)

// Sentinel errors. Every error this package returns or reports wraps exactly
// one of them, so callers branch with errors.Is and never on message text.
// The additions are a *CallbackError, which also wraps what the callback
// returned, and Permanent's result, which wraps ErrPermanent and the error
// it marks.
var (
	// Configuration: returned by NewVerifier, and by the package-level
	// Verify when the environment holds no usable secret.

	// ErrMissingSecret means no signing secret was configured at all. A nil
	// or zero Verifier returns it bare, not inside a VerificationError.
	ErrMissingSecret = errors.New("clerkwebhook: missing signing secret")
	// ErrInvalidSecret means a signing secret was given but cannot be used.
	// The message names the likely mistake; it never contains the secret.
	ErrInvalidSecret = errors.New("clerkwebhook: invalid signing secret")

	// Reading the request (VerifyRequest and the Handler).

	// ErrBodyTooLarge means the body is larger than the Verifier's limit
	// (WithMaxBodyBytes). Nothing beyond the limit is read, and the
	// signature is not checked. Answer 413.
	ErrBodyTooLarge = errors.New("clerkwebhook: body too large")
	// ErrBodyIncomplete means the request body could not be read to its
	// end: the client went away or the connection failed. The error also
	// wraps the read error. Nothing was verified; let the sender retry.
	ErrBodyIncomplete = errors.New("clerkwebhook: request body incomplete")

	// Not a genuine, current delivery: answer 400 and act on nothing.

	// ErrMissingHeader means one of the three signature headers is absent or
	// empty. VerificationError.Missing names which.
	ErrMissingHeader = errors.New("clerkwebhook: missing webhook header")
	// ErrInvalidHeader means a signature header is present but malformed:
	// VerificationError.Header names it and Reason says how
	// (ReasonMalformedTimestamp, ReasonAmbiguousHeader).
	ErrInvalidHeader = errors.New("clerkwebhook: invalid webhook header")
	// ErrNoMatchingSignature means no v1 signature in the header matches the
	// body under any configured secret: a wrong secret, a forged request, an
	// empty body (ReasonEmptyBody: something read it before verification),
	// or a body changed after it was signed (re-encoded JSON, a trimmed
	// newline).
	ErrNoMatchingSignature = errors.New("clerkwebhook: no matching signature")
	// ErrTimestampTooOld means the signature is valid but the timestamp is
	// further in the past than the tolerance: a replay or a slow queue.
	ErrTimestampTooOld = errors.New("clerkwebhook: timestamp too old")
	// ErrTimestampTooNew means the signature is valid but the timestamp is
	// further in the future than the tolerance: usually a skewed clock.
	ErrTimestampTooNew = errors.New("clerkwebhook: timestamp too new")

	// Genuine, but not usable as it is.

	// ErrInvalidPayload means the signature is valid, so Clerk really sent
	// the body, but it is not a JSON object with a string "type" and an
	// object "data" (from Verify), or its data does not decode into the
	// event type's Go type (from Payload and the accessors).
	ErrInvalidPayload = errors.New("clerkwebhook: invalid payload")
	// ErrWrongEventType is returned by a typed accessor such as Event.User
	// when the event carries another kind of object, for example User on a
	// session.created event, or Role on a role.deleted event whose payload
	// is a deleted-object stub.
	ErrWrongEventType = errors.New("clerkwebhook: event carries another object")

	// Reported by a Handler to its observers, in Delivery.Err or
	// Delivery.DedupErr.

	// ErrForbiddenSource means the client address is not among the allowed
	// sources (WithAllowedSources), or a trusted proxy forwarded an unusable
	// one (WithTrustedProxies). Answered 403 before the body is read.
	ErrForbiddenSource = errors.New("clerkwebhook: source not allowed")
	// ErrMethodNotAllowed means the request was not a POST. Answered 405.
	ErrMethodNotAllowed = errors.New("clerkwebhook: method not allowed")
	// ErrInProgress means another request holds the message's claim in the
	// Deduplicator right now. Answered 409, so the sender retries later.
	ErrInProgress = errors.New("clerkwebhook: message already in progress")
	// ErrLeaseExpired is returned by a Deduplicator's Complete or Release
	// when the caller does not hold the claim: it outlived its lease and
	// another delivery of the message took it over (or nobody claimed the
	// message). The call changed nothing.
	ErrLeaseExpired = errors.New("clerkwebhook: claim lease expired and taken over")
	// ErrNoClaimToken is returned by a Deduplicator called with a context
	// that carries no ClaimToken (see ClaimContext): the call changed
	// nothing. The Handler always passes one.
	ErrNoClaimToken = errors.New("clerkwebhook: no claim token in the context (see ClaimContext)")
	// ErrDeduplicator means the Deduplicator failed; the error also wraps
	// the store's error. Answered 500, so the sender retries.
	ErrDeduplicator = errors.New("clerkwebhook: deduplicator failed")
	// ErrCallback means a callback returned an error or panicked; the error
	// is a *CallbackError. Answered 500, so the sender retries.
	ErrCallback = errors.New("clerkwebhook: callback failed")
	// ErrPermanent marks a failure no retry can fix (see Permanent).
	// Answered 422 with "webhook-delivery: abort-message", so the sender
	// does not retry.
	ErrPermanent = errors.New("clerkwebhook: permanent failure")
	// ErrQueue means the Queue could not store the event; the error also
	// wraps the queue's error. Answered 500, so the sender retries.
	ErrQueue = errors.New("clerkwebhook: queue failed")
)

// Permanent marks err as a failure that no retry of the message can fix: a
// payload the app can never process. A callback returning it (directly or
// wrapped) makes the Handler answer 422 with the header
// "webhook-delivery: abort-message", so that Svix stops retrying the message
// (Clerk's dashboard shows it as failed, and it can be replayed after a
// fix); a queue worker cancels the job instead of retrying it. The result
// wraps both ErrPermanent and err, so errors.Is and errors.As reach either.
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string   { return "permanent: " + e.err.Error() }
func (e *permanentError) Unwrap() []error { return []error{ErrPermanent, e.err} }

// isPermanent reports whether err carries Permanent's mark.
func isPermanent(err error) bool { return errors.Is(err, ErrPermanent) }

// A Reason says exactly what was wrong, below the level of the sentinel a
// VerificationError wraps, for code that explains a failure to a person.
// Branch on the sentinel first; a Reason refines it.
type Reason string

// Reasons a VerificationError can carry. A VerificationError without one
// has Reason "".
const (
	// ReasonMalformedTimestamp (ErrInvalidHeader): the timestamp header is
	// not a canonical decimal number of Unix seconds (a sign, a fraction,
	// a leading zero, more than 18 digits).
	ReasonMalformedTimestamp Reason = "malformed_timestamp"
	// ReasonAmbiguousHeader (ErrInvalidHeader): the id or timestamp header
	// appears more than once with different values.
	ReasonAmbiguousHeader Reason = "ambiguous_header"
	// ReasonEmptyBody (ErrNoMatchingSignature, ErrInvalidPayload): the body
	// is empty (0 bytes). Clerk never sends an empty body: something, such
	// as a middleware or a framework's body parser, consumed it before
	// verification.
	ReasonEmptyBody Reason = "empty_body"
	// ReasonNoV1Signature (ErrNoMatchingSignature): the signature header
	// holds no well-formed v1 entry at all, only other versions or
	// malformed text.
	ReasonNoV1Signature Reason = "no_v1_signature"
	// ReasonSignatureMismatch (ErrNoMatchingSignature): v1 signatures were
	// compared and none matched.
	ReasonSignatureMismatch Reason = "signature_mismatch"
)

// VerificationError carries the detail of a failed verification, for logs
// and diagnostics. Use errors.As to get it and errors.Is (on the error itself)
// to branch on the cause:
//
//	var ve *clerkwebhook.VerificationError
//	if errors.As(err, &ve) { log.Printf("webhook %s rejected: %v", ve.MessageID, ve) }
//
// None of its fields ever holds the secret or the key.
type VerificationError struct {
	// Err is the sentinel this error wraps (ErrMissingHeader, ErrTimestampTooOld, ...).
	Err error
	// Reason refines Err when there is more to say; see the Reason constants.
	Reason Reason
	// MessageID is the svix-id (or webhook-id) of the request, when present.
	MessageID string
	// Header names the header concerned, in lower case: the malformed one
	// for ErrInvalidHeader ("svix-timestamp"), the signature header that
	// was read for ErrNoMatchingSignature ("svix-signature", or
	// "webhook-signature" when that family was used), the timestamp header
	// for the timestamp errors; otherwise "".
	Header string
	// Missing lists the absent headers for ErrMissingHeader, in lower case,
	// for example ["svix-signature"], of the header family that came
	// closest to complete (svix-* on a tie).
	Missing []string
	// Detail is a short human-readable addition to the message, or empty.
	Detail string
	// SignedAt is the time in the signature timestamp header, when it could
	// be parsed (Event calls the same value SignedAt).
	SignedAt time.Time
	// Skew is the verifier's clock minus SignedAt: positive when the
	// message is older than the clock, negative when it is from the future.
	// It is set whenever SignedAt is, and saturates at the limits of
	// time.Duration (about 292 years).
	Skew time.Duration
	// Tolerance is the verifier's tolerance, for the timestamp errors.
	Tolerance time.Duration
	// SignatureValid reports whether a signature matched. It is true only on
	// timestamp errors and ErrInvalidPayload, where the sender really was
	// Clerk.
	SignatureValid bool
	// SignaturesTried is how many v1 entries of the signature header were
	// compared (each under every secret); SignaturesSkipped counts entries
	// of other versions (v1a, v2) and malformed entries.
	SignaturesTried, SignaturesSkipped int
}

// Error implements the error interface.
func (e *VerificationError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	switch {
	case errors.Is(e.Err, ErrMissingHeader):
		if len(e.Missing) > 0 {
			b.WriteString(": ")
			b.WriteString(strings.Join(e.Missing, ", "))
		}
	case errors.Is(e.Err, ErrInvalidHeader):
		if e.Header != "" {
			b.WriteString(": ")
			b.WriteString(e.Header)
		}
		switch e.Reason {
		case ReasonMalformedTimestamp:
			b.WriteString(" is not an integer number of seconds")
		case ReasonAmbiguousHeader:
			b.WriteString(" has more than one distinct value")
		}
	case errors.Is(e.Err, ErrTimestampTooOld), errors.Is(e.Err, ErrTimestampTooNew):
		b.WriteString(": valid signature but ")
		b.WriteString(display.Skew(e.Skew, e.Tolerance))
		if e.Skew < 0 {
			b.WriteString(" in the future")
		} else {
			b.WriteString(" old")
		}
		if e.Tolerance > 0 {
			b.WriteString(" (tolerance ")
			b.WriteString(display.Skew(e.Tolerance, 0))
			b.WriteString(")")
		}
	case errors.Is(e.Err, ErrNoMatchingSignature):
		if e.Reason == ReasonEmptyBody {
			b.WriteString(": the body is empty (0 bytes); something consumed it before verification")
			break
		}
		b.WriteString(": tried ")
		b.WriteString(strconv.Itoa(e.SignaturesTried))
		b.WriteString(" v1 signature(s)")
		if e.SignaturesSkipped > 0 {
			b.WriteString(", skipped ")
			b.WriteString(strconv.Itoa(e.SignaturesSkipped))
			b.WriteString(" other or malformed")
		}
	case errors.Is(e.Err, ErrInvalidPayload):
		if e.Reason == ReasonEmptyBody {
			b.WriteString(": the body is empty (0 bytes)")
		}
	}
	if e.Detail != "" {
		b.WriteString(" (")
		b.WriteString(e.Detail)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the sentinel, so errors.Is(err, ErrTimestampTooOld) works.
func (e *VerificationError) Unwrap() error { return e.Err }
