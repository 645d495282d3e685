package clerkotel

import (
	"errors"
	"net/http"

	"github.com/seed77920f6a/clerkwebhook"
)

// The values of the clerkwebhook.outcome attribute: six, whatever happens.
const (
	outcomeProcessed = "processed"
	outcomeDuplicate = "duplicate"
	outcomeRejected  = "rejected"
	outcomeForbidden = "forbidden"
	outcomeTooLarge  = "too_large"
	outcomeFailed    = "failed"
)

// outcome classifies a delivery by the answer the Handler gave, since the
// answer is what Svix acts on. Every status that is not a success nor a
// refusal of the request itself is a failure to process a delivery: 409 (in
// progress elsewhere), 422 (Permanent), 500, no answer at all (Status 0), and
// any status a later version of the Handler adds.
func outcome(d clerkwebhook.Delivery) string {
	switch s := d.Status; {
	case s >= 200 && s <= 299 && d.Duplicate:
		return outcomeDuplicate
	case s >= 200 && s <= 299:
		return outcomeProcessed
	case s == http.StatusBadRequest, s == http.StatusMethodNotAllowed:
		return outcomeRejected
	case s == http.StatusForbidden:
		return outcomeForbidden
	case s == http.StatusRequestEntityTooLarge:
		return outcomeTooLarge
	default:
		return outcomeFailed
	}
}

// spanError reports whether a delivery's span has the status Error: as for
// otelhttp's server spans, when the Handler answered 5xx, or gave no answer
// (a status under 100 is none). A 4xx is the client's doing, or a delivery
// to retry later (409) or that the app gave up (422): not a fault of the
// server, and visible all the same through the outcome and error.type.
func spanError(status int) bool {
	return status < 100 || status >= 500
}

// The values of the clerkwebhook.deduplicator.failure attribute.
const (
	dedupFailureComplete = "complete"
	dedupFailureRelease  = "release"
)

// dedupFailure names the Deduplicator call behind d.DedupErr, or returns ""
// when there is none. As Delivery.DedupErr says, it is a Complete when the
// delivery was answered 2xx (the callback succeeded), and a Release
// otherwise (the callback failed, or ended the request without an answer).
// The error's text is not read.
func dedupFailure(d clerkwebhook.Delivery) string {
	switch {
	case d.DedupErr == nil:
		return ""
	case d.Status >= 200 && d.Status <= 299:
		return dedupFailureComplete
	default:
		return dedupFailureRelease
	}
}

// reasonOther is the reason of an error that wraps none of the package's
// sentinels, which the Handler never reports; it keeps the attribute's
// values a closed set all the same.
const reasonOther = "other"

// reasons names every sentinel the root package exports, for the error.type
// attribute: the name is the variable's, without "Err", in snake case (a
// test checks the list against the root package's source). The first
// sentinel that Err wraps gives the reason, so the order matters only where
// an error wraps more than one: a *CallbackError wraps ErrCallback and
// whatever the callback returned, which may be Permanent's ErrPermanent or
// another sentinel (an accessor's ErrInvalidPayload). The first six are in
// the order of the Handler's own status mapping, so that the reason always
// agrees with the status.
var reasons = []struct {
	err  error
	name string
}{
	{clerkwebhook.ErrPermanent, "permanent"},
	{clerkwebhook.ErrCallback, "callback"},
	{clerkwebhook.ErrMethodNotAllowed, "method_not_allowed"},
	{clerkwebhook.ErrForbiddenSource, "forbidden_source"},
	{clerkwebhook.ErrBodyTooLarge, "body_too_large"},
	{clerkwebhook.ErrInProgress, "in_progress"},

	{clerkwebhook.ErrBodyIncomplete, "body_incomplete"},
	{clerkwebhook.ErrDeduplicator, "deduplicator"},
	{clerkwebhook.ErrQueue, "queue"},

	{clerkwebhook.ErrMissingHeader, "missing_header"},
	{clerkwebhook.ErrInvalidHeader, "invalid_header"},
	{clerkwebhook.ErrNoMatchingSignature, "no_matching_signature"},
	{clerkwebhook.ErrTimestampTooOld, "timestamp_too_old"},
	{clerkwebhook.ErrTimestampTooNew, "timestamp_too_new"},
	{clerkwebhook.ErrInvalidPayload, "invalid_payload"},

	// Never the reason of a Delivery from this version of the Handler, but
	// named all the same, so that the table is the whole list.
	{clerkwebhook.ErrMissingSecret, "missing_secret"},
	{clerkwebhook.ErrInvalidSecret, "invalid_secret"},
	{clerkwebhook.ErrWrongEventType, "wrong_event_type"},
	{clerkwebhook.ErrLeaseExpired, "lease_expired"},
	{clerkwebhook.ErrNoClaimToken, "no_claim_token"},
}

// reason returns the short name of the sentinel err wraps, the value of
// error.type: "" for nil (no error.type at all), and "other" for an error
// that wraps none. It never looks at err's text, which can hold what the
// client sent.
func reason(err error) string {
	if err == nil {
		return ""
	}
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return r.name
		}
	}
	return reasonOther
}

// eventTypeUnknown stands for every verified event type this package does
// not know, so that the attribute's values stay a closed set.
const eventTypeUnknown = "unknown"

// eventType is the value of the clerkwebhook.event_type attribute: a type
// this package knows, "unknown" for any other, and "" when the delivery was
// not verified.
func eventType(t clerkwebhook.EventType) string {
	switch {
	case t == "":
		return ""
	case t.Known():
		return string(t)
	default:
		return eventTypeUnknown
	}
}

// maxMessageIDLen bounds the message id on a span. Svix's ids ("msg_" and
// 27 characters) fit with room to spare.
const maxMessageIDLen = 64

// messageID is the message id as a span records it. The id of a delivery
// that was not verified is whatever the client sent, so the value is cut to
// maxMessageIDLen bytes and every byte outside printable ASCII (controls,
// spaces, UTF-8) becomes '?': nothing a client sends can forge a line in a
// log or a trace view, or fill a backend with a megabyte attribute. An id
// Svix sends is unchanged.
func messageID(id string) string {
	if len(id) > maxMessageIDLen {
		id = id[:maxMessageIDLen]
	}
	b := []byte(id)
	for i, c := range b {
		if c < 0x21 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}
