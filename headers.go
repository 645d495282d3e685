package clerkwebhook

import (
	"net/http"
	"strings"

	"github.com/seed77920f6a/clerkwebhook/internal/httpheader"
)

// Header names, in canonical form. Clerk sends the svix-* family; the
// webhook-* family is the Standard Webhooks spelling of the same three values.
const (
	HeaderSvixID        = "Svix-Id"
	HeaderSvixTimestamp = "Svix-Timestamp"
	HeaderSvixSignature = "Svix-Signature"

	HeaderWebhookID        = "Webhook-Id"
	HeaderWebhookTimestamp = "Webhook-Timestamp"
	HeaderWebhookSignature = "Webhook-Signature"

	// The Standard Webhooks endpoint-verification challenge (see
	// Verifier.ChallengeResponse).
	HeaderWebhookChallenge         = "Webhook-Challenge"
	HeaderWebhookChallengeResponse = "Webhook-Challenge-Response"
)

// headerFamily is one spelling of the three signature headers.
type headerFamily struct {
	id, timestamp, signature string // canonical names
}

var (
	svixFamily    = headerFamily{HeaderSvixID, HeaderSvixTimestamp, HeaderSvixSignature}
	webhookFamily = headerFamily{HeaderWebhookID, HeaderWebhookTimestamp, HeaderWebhookSignature}
)

// signedHeaders are the three values a signature covers, trimmed.
type signedHeaders struct {
	id, timestamp, signature string
	family                   headerFamily
}

// readHeaders finds the three signature values. The svix-* set wins when it
// is complete; otherwise the complete webhook-* set is used. The two are never
// mixed: a svix-id with a webhook-signature is not a delivery either sender
// makes, and mixing would let one family's value stand in for the other's.
func readHeaders(h http.Header) (signedHeaders, *VerificationError) {
	svix, svixN, err := readFamily(h, svixFamily)
	if err != nil {
		return svix, err
	}
	if svixN == 3 {
		return svix, nil
	}
	wh, whN, err := readFamily(h, webhookFamily)
	if err != nil {
		return wh, err
	}
	if whN == 3 {
		return wh, nil
	}
	// Report the family that came closer; Clerk's own spelling on a tie.
	if whN > svixN {
		return wh, missing(wh)
	}
	return svix, missing(svix)
}

// readFamily reads one family and counts how many of its values are present.
func readFamily(h http.Header, f headerFamily) (signedHeaders, int, *VerificationError) {
	s := signedHeaders{family: f}
	var err *VerificationError
	n := 0
	if s.id, err = single(h, f.id); err != nil {
		return s, 0, err
	}
	if s.timestamp, err = single(h, f.timestamp); err != nil {
		return s, 0, err
	}
	s.signature = joined(h, f.signature)
	for _, v := range [...]string{s.id, s.timestamp, s.signature} {
		if v != "" {
			n++
		}
	}
	return s, n, nil
}

func missing(s signedHeaders) *VerificationError {
	var names []string
	for _, p := range [...][2]string{{s.family.id, s.id}, {s.family.timestamp, s.timestamp}, {s.family.signature, s.signature}} {
		if p[1] == "" {
			names = append(names, strings.ToLower(p[0]))
		}
	}
	return &VerificationError{Err: ErrMissingHeader, MessageID: s.id, Missing: names}
}

// values is httpheader.Values: the canonical key, else any spelling.
func values(h http.Header, canonical string) []string { return httpheader.Values(h, canonical) }

// single returns the one trimmed value of an id or timestamp header. Several
// different values are ambiguous and rejected rather than guessed between.
func single(h http.Header, name string) (string, *VerificationError) {
	vs := values(h, name)
	out := ""
	for _, v := range vs {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if out != "" && out != v {
			return "", &VerificationError{Err: ErrInvalidHeader, Reason: ReasonAmbiguousHeader, Header: strings.ToLower(name)}
		}
		out = v
	}
	return out, nil
}

// joined returns the signature header's entries from all its values, space
// separated: a proxy may split one header into several lines.
func joined(h http.Header, name string) string {
	vs := values(h, name)
	switch len(vs) {
	case 0:
		return ""
	case 1:
		return strings.TrimSpace(vs[0])
	}
	return strings.TrimSpace(strings.Join(vs, " "))
}
