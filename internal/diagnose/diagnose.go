// Package diagnose explains why the clerkwebhook library rejected a
// delivery, for the command's verify and listen.
//
// It never guesses from an error's text and never re-implements a rule of
// the library (which headers are read, how a secret is parsed, how a
// signature is compared). It reads the error's sentinel and the fields of
// *clerkwebhook.VerificationError, and tests each hypothesis by changing
// one thing (a header's name, the secret's quoting, the body's bytes) and
// asking the library whether the delivery then verifies.
package diagnose

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/display"
)

// A Delivery is a delivery the library rejected, with everything needed to
// find out why.
type Delivery struct {
	// Secret is the signing secret the delivery was verified with. No cause
	// ever contains it.
	Secret string
	// Tolerance is the verifier's tolerance; zero means
	// clerkwebhook.DefaultTolerance.
	Tolerance time.Duration
	// Now is the verifier's clock when it checked the delivery; zero means
	// the current time.
	Now time.Time
	// NowName names that clock in a sentence ("signed 7m12s before
	// NowName"): "--now", "now", "the receiver's clock". Empty means "the
	// clock".
	NowName string
	// Header and Body are the delivery as the library saw them.
	Header http.Header
	Body   []byte
	// Err is what the library returned.
	Err error
}

// Cause returns the most likely cause of d.Err as a short phrase for a
// person. It never contains the secret. Values from the delivery (header
// names and values) appear quoted with %q; the library's own messages
// appear as they are, so print the result as any untrusted text.
func Cause(d Delivery) string {
	if d.Tolerance <= 0 {
		d.Tolerance = clerkwebhook.DefaultTolerance
	}
	if d.Now.IsZero() {
		d.Now = time.Now()
	}
	if d.NowName == "" {
		d.NowName = "the clock"
	}
	var ve *clerkwebhook.VerificationError
	errors.As(d.Err, &ve)
	switch {
	case d.Err == nil:
		return "none: the delivery verifies"
	case errors.Is(d.Err, clerkwebhook.ErrMissingSecret):
		return "no signing secret is configured"
	case errors.Is(d.Err, clerkwebhook.ErrInvalidSecret):
		return d.secretCause()
	case errors.Is(d.Err, clerkwebhook.ErrBodyTooLarge):
		return "the body is over the size limit: Clerk's payloads are a few KB, so this is not one of them"
	case ve == nil:
		return "not a verification failure: " + d.Err.Error()
	case errors.Is(d.Err, clerkwebhook.ErrMissingHeader):
		return d.missingHeaderCause(ve)
	case errors.Is(d.Err, clerkwebhook.ErrInvalidHeader):
		return d.invalidHeaderCause(ve)
	case errors.Is(d.Err, clerkwebhook.ErrTimestampTooOld), errors.Is(d.Err, clerkwebhook.ErrTimestampTooNew):
		return "the signature is valid but the timestamp is off: " + d.skewPhrase(ve)
	case errors.Is(d.Err, clerkwebhook.ErrInvalidPayload):
		return "the signature is valid (Clerk sent it) but the body is not a Clerk event envelope"
	case errors.Is(d.Err, clerkwebhook.ErrNoMatchingSignature):
		return d.signatureCause(ve)
	}
	return "unrecognised failure: " + d.Err.Error()
}

// verify runs the library on a repaired delivery, with d's clock and
// tolerance. matched reports whether a signature matched whatever the clock
// said: the library compares signatures before it looks at the clock, and
// says so in SignatureValid.
func (d Delivery) verify(secret string, h http.Header, body []byte) (matched bool, err error) {
	v, err := clerkwebhook.NewVerifier(secret,
		clerkwebhook.WithTolerance(d.Tolerance),
		clerkwebhook.WithClock(func() time.Time { return d.Now }),
		clerkwebhook.WithMaxBodyBytes(max(int64(len(body)), 1)))
	if err != nil {
		return false, err
	}
	_, err = v.Verify(body, h)
	var ve *clerkwebhook.VerificationError
	return err == nil || errors.As(err, &ve) && ve.SignatureValid, err
}

// retried is d after a repair, with what the library said of it.
func (d Delivery) retried(secret string, h http.Header, err error) Delivery {
	d.Secret, d.Header, d.Err = secret, h, err
	return d
}

// skewPhrase gives the distance between a valid signature and the clock,
// from a timestamp error.
func (d Delivery) skewPhrase(ve *clerkwebhook.VerificationError) string {
	direction := "before"
	if ve.Skew < 0 {
		direction = "after"
	}
	// The library's rule, so that its message and this phrase agree on a
	// line: seconds, or milliseconds below one second or where seconds
	// would hide the excess, and "more than 292 years" when Skew saturated.
	p := fmt.Sprintf("signed %s %s %s; tolerance %s", display.Skew(ve.Skew, ve.Tolerance), direction, d.NowName,
		display.Skew(ve.Tolerance, 0))
	// Milliseconds since 1973 and before the year 5138; a larger number is
	// nonsense in either unit.
	if ts := ve.SignedAt.Unix(); ts > 1e11 && ts < 1e14 {
		p += " (the timestamp looks like milliseconds; Svix sends seconds)"
	}
	return p
}

// alsoSkew notes, once a repair of the body has made the signature match,
// that the library still found the timestamp outside the window: both need
// fixing.
func (d Delivery) alsoSkew(err error) string {
	var ve *clerkwebhook.VerificationError
	if (errors.Is(err, clerkwebhook.ErrTimestampTooOld) || errors.Is(err, clerkwebhook.ErrTimestampTooNew)) && errors.As(err, &ve) {
		return "; also, it was " + d.skewPhrase(ve)
	}
	return ""
}

// secretCause explains ErrInvalidSecret. The library's message, which the
// caller shows beside the cause, names the mistake (an API key, a pasted
// signature, quotes, whitespace, a truncated or URL-safe key); the one thing
// it cannot know is whether the secret, once stripped of surrounding quotes
// and whitespace, verifies this delivery.
func (d Delivery) secretCause() string {
	msg := "the signing secret, not the delivery: the library's message names the mistake"
	stripped := stripSecret(d.Secret)
	if stripped == d.Secret {
		return msg + "; copy the endpoint's whsec_... secret from Dashboard > Webhooks"
	}
	msg += "; with surrounding quotes and whitespace removed, the secret"
	_, err := d.verify(stripped, d.Header, d.Body)
	switch {
	case err == nil:
		return msg + " verifies this delivery"
	case errors.Is(err, clerkwebhook.ErrInvalidSecret), errors.Is(err, clerkwebhook.ErrMissingSecret):
		return msg + " is still unusable: " + err.Error()
	}
	return msg + " is usable but the delivery still fails: " + Cause(d.retried(stripped, d.Header, err))
}

// stripSecret removes surrounding whitespace and quotes, however nested.
func stripSecret(s string) string {
	for {
		t := strings.Trim(strings.TrimSpace(s), "\"'`")
		if t == s {
			return s
		}
		s = t
	}
}
