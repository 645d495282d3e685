package clerkwebhook

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them, so callers branch with errors.Is and never on message text.
//
// The first group is about configuration and is returned by NewVerifier (and
// by the package-level Verify when the environment holds no usable secret).
// The second group means the request did not come from Clerk, or not within
// the replay window: answer 400 and do not read the body. ErrInvalidPayload
// is different: the signature was valid, so Clerk really sent a body this
// package could not read as an event envelope.
var (
	// ErrMissingSecret means no signing secret was configured at all.
	ErrMissingSecret = errors.New("clerkwebhook: missing signing secret")
	// ErrInvalidSecret means a signing secret was given but cannot be used.
	// The message names the likely mistake; it never contains the secret.
	ErrInvalidSecret = errors.New("clerkwebhook: invalid signing secret")
	// ErrInvalidOption means an Option was given a value it cannot use,
	// such as a non-positive tolerance or a nil clock.
	ErrInvalidOption = errors.New("clerkwebhook: invalid option")

	// ErrMissingHeader means one of the three signature headers is absent or
	// empty. The VerificationError names which.
	ErrMissingHeader = errors.New("clerkwebhook: missing webhook header")
	// ErrInvalidHeader means a signature header is present but malformed,
	// for example a timestamp that is not an integer number of seconds.
	ErrInvalidHeader = errors.New("clerkwebhook: invalid webhook header")
	// ErrNoMatchingSignature means no v1 signature in the header matches the
	// body under any configured secret: a wrong secret, a forged request, or
	// a body changed after it was signed (re-encoded JSON, a trimmed newline).
	ErrNoMatchingSignature = errors.New("clerkwebhook: no matching signature")
	// ErrTimestampTooOld means the signature is valid but the timestamp is
	// further in the past than the tolerance: a replay or a slow queue.
	ErrTimestampTooOld = errors.New("clerkwebhook: timestamp too old")
	// ErrTimestampTooNew means the signature is valid but the timestamp is
	// further in the future than the tolerance: usually a skewed clock.
	ErrTimestampTooNew = errors.New("clerkwebhook: timestamp too new")
	// ErrInvalidPayload means the signature is valid but the body is not a
	// JSON object with a string "type" and an object "data".
	ErrInvalidPayload = errors.New("clerkwebhook: invalid payload")
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
	// MessageID is the svix-id (or webhook-id) of the request, when present.
	MessageID string
	// Header names the header concerned for ErrMissingHeader and
	// ErrInvalidHeader, for example "svix-timestamp". For several missing
	// headers it lists them, comma-separated.
	Header string
	// Reason is a short human-readable detail, or empty.
	Reason string
	// Timestamp is the parsed signature timestamp, when it could be parsed.
	Timestamp time.Time
	// Skew is now minus Timestamp: positive when the message is older than
	// the verifier's clock, negative when it is from the future. It is set
	// whenever Timestamp is.
	Skew time.Duration
	// SignatureValid reports whether a signature matched. It is true only on
	// timestamp errors and ErrInvalidPayload, where the sender really was
	// Clerk.
	SignatureValid bool
	// SignaturesTried is how many v1 signatures were compared (entries times
	// secrets); SignaturesSkipped counts entries of other versions (v1a, v2)
	// and malformed entries.
	SignaturesTried, SignaturesSkipped int
}

// Error implements the error interface.
func (e *VerificationError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	switch {
	case errors.Is(e.Err, ErrMissingHeader), errors.Is(e.Err, ErrInvalidHeader):
		if e.Header != "" {
			b.WriteString(": ")
			b.WriteString(e.Header)
		}
	case errors.Is(e.Err, ErrTimestampTooOld), errors.Is(e.Err, ErrTimestampTooNew):
		b.WriteString(": valid signature but ")
		d := e.Skew
		if d < 0 {
			d = -d
			b.WriteString(d.String())
			b.WriteString(" in the future")
		} else {
			b.WriteString(d.String())
			b.WriteString(" old")
		}
	case errors.Is(e.Err, ErrNoMatchingSignature):
		b.WriteString(": tried ")
		b.WriteString(strconv.Itoa(e.SignaturesTried))
		b.WriteString(" v1 signature(s)")
		if e.SignaturesSkipped > 0 {
			b.WriteString(", skipped ")
			b.WriteString(strconv.Itoa(e.SignaturesSkipped))
			b.WriteString(" other or malformed")
		}
	}
	if e.Reason != "" {
		b.WriteString(" (")
		b.WriteString(e.Reason)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the sentinel, so errors.Is(err, ErrTimestampTooOld) works.
func (e *VerificationError) Unwrap() error { return e.Err }

// ErrWrongEventType is returned by a typed accessor such as Event.User when
// the event carries another kind of object, for example User on a
// session.created event, or Role on a role.deleted event whose payload is a
// deleted-object stub.
var ErrWrongEventType = errors.New("clerkwebhook: event carries another object")

// ErrBodyTooLarge means the body is larger than the Verifier's limit
// (WithMaxBodyBytes). Nothing beyond the limit is read, and the signature is
// not checked. Answer 413.
var ErrBodyTooLarge = errors.New("clerkwebhook: body too large")
