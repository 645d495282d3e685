package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/display"
)

// A suspect is a delivery the library rejected, with everything needed to
// find out why. diagnose does not guess from the error text: it tests each
// hypothesis by changing one thing (a header name, the secret's quoting,
// the body's bytes) and asking the library whether the delivery then
// verifies.
type suspect struct {
	secret    string
	tolerance time.Duration
	now       time.Time
	nowLabel  string // how to name the clock: "--now", "now", "the receiver's clock"
	header    http.Header
	body      []byte
	err       error // what the library said
}

// wrongSecret is the verdict when no repair makes the signature match.
const wrongSecret = "wrong secret (check the endpoint and the instance: dev vs prod secrets differ) or a forged request"

// diagnose returns the most likely cause of s.err as a short phrase. It
// never includes the secret.
func diagnose(s suspect) string {
	var ve *clerkwebhook.VerificationError
	errors.As(s.err, &ve)
	switch {
	case s.err == nil:
		return "none: the delivery verifies"
	case errors.Is(s.err, clerkwebhook.ErrMissingSecret):
		return "no signing secret is configured"
	case errors.Is(s.err, clerkwebhook.ErrInvalidSecret):
		return s.secretCause()
	case errors.Is(s.err, clerkwebhook.ErrBodyTooLarge):
		return "the body is over the size limit: Clerk's payloads are a few KB, so this is not one of them"
	case ve == nil:
		return "not a verification failure: " + errorText(s.err)
	case errors.Is(s.err, clerkwebhook.ErrMissingHeader):
		return s.headerCause(ve)
	case errors.Is(s.err, clerkwebhook.ErrInvalidHeader):
		return s.invalidHeaderCause(ve)
	case errors.Is(s.err, clerkwebhook.ErrTimestampTooOld), errors.Is(s.err, clerkwebhook.ErrTimestampTooNew):
		return "the signature is valid but the timestamp is off: " + s.skewPhrase(ve.SignedAt, ve.Skew)
	case errors.Is(s.err, clerkwebhook.ErrInvalidPayload):
		return "the signature is valid (Clerk sent it) but the body is not a Clerk event envelope"
	case errors.Is(s.err, clerkwebhook.ErrNoMatchingSignature):
		return s.signatureCause()
	}
	return "unrecognised failure: " + errorText(s.err)
}

// check runs the library on a repaired delivery, with the suspect's clock
// and tolerance.
func (s suspect) check(secret string, h http.Header, body []byte) error {
	v, err := clerkwebhook.NewVerifier(secret,
		clerkwebhook.WithTolerance(s.tolerance),
		clerkwebhook.WithClock(func() time.Time { return s.now }),
		clerkwebhook.WithMaxBodyBytes(max(int64(len(body)), clerkwebhook.DefaultMaxBodyBytes)))
	if err != nil {
		return err
	}
	_, err = v.Verify(body, h)
	return err
}

// signatureMatches reports whether some signature in h matches body under
// secret, whatever the clock says: the verifier's clock is set to the
// delivery's own timestamp.
func signatureMatches(secret string, h http.Header, body []byte) bool {
	_, ts, _ := signedValues(h)
	seconds, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	v, err := clerkwebhook.NewVerifier(secret,
		clerkwebhook.WithClock(func() time.Time { return time.Unix(seconds, 0) }),
		clerkwebhook.WithMaxBodyBytes(max(int64(len(body)), 1)))
	if err != nil {
		return false
	}
	_, err = v.Verify(body, h)
	var ve *clerkwebhook.VerificationError
	return err == nil || errors.As(err, &ve) && ve.SignatureValid
}

// signedValues returns the id, timestamp and signature the library reads:
// the svix-* set when complete, else the webhook-* set when complete, else
// whatever svix-* values there are.
func signedValues(h http.Header) (id, ts, sig string) {
	for _, f := range [][3]string{
		{clerkwebhook.HeaderSvixID, clerkwebhook.HeaderSvixTimestamp, clerkwebhook.HeaderSvixSignature},
		{clerkwebhook.HeaderWebhookID, clerkwebhook.HeaderWebhookTimestamp, clerkwebhook.HeaderWebhookSignature},
	} {
		id, ts, sig = headerValue(h, f[0]), headerValue(h, f[1]), headerValue(h, f[2])
		if id != "" && ts != "" && sig != "" {
			return id, ts, sig
		}
	}
	return headerValue(h, clerkwebhook.HeaderSvixID), headerValue(h, clerkwebhook.HeaderSvixTimestamp),
		headerValue(h, clerkwebhook.HeaderSvixSignature)
}

// skewPhrase gives the distance between the signature and the clock.
func (s suspect) skewPhrase(signedAt time.Time, skew time.Duration) string {
	direction := "before"
	if skew < 0 {
		direction = "after"
	}
	// The library's rule, so that its message and this phrase agree on a
	// listen line: seconds, or milliseconds below one second or where
	// seconds would hide the excess, and "more than 292 years" when Sub
	// saturated (a saturated negative skew is never negated).
	p := fmt.Sprintf("signed %s %s %s; tolerance %s", display.Skew(skew, s.tolerance), direction, s.nowLabel,
		display.Skew(s.tolerance, 0))
	// Milliseconds since 1973 and before the year 5138; a larger number is
	// nonsense in either unit.
	if ts := signedAt.Unix(); ts > 1e11 && ts < 1e14 {
		p += " (the timestamp looks like milliseconds; Svix sends seconds)"
	}
	return p
}

// alsoSkew notes a timestamp outside the window, after a repair of the body
// or secret has been found: both need fixing.
func (s suspect) alsoSkew() string {
	_, ts, _ := s.signedValues()
	seconds, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ""
	}
	signedAt := time.Unix(seconds, 0)
	skew := s.now.Sub(signedAt)
	if skew > s.tolerance || skew < -s.tolerance {
		return "; also, it was " + s.skewPhrase(signedAt, skew)
	}
	return ""
}

func (s suspect) signedValues() (id, ts, sig string) { return signedValues(s.header) }

// emptyBody is the verdict on a body of 0 bytes. Clerk never sends one, so
// whatever the secret, the signature was made over bytes that are gone.
const emptyBody = "the body is empty (0 bytes): something (a middleware, a framework's body parser, a logging wrapper) " +
	"consumed it before verification; read the raw body first and verify it before any parsing"

// reencodedBody is the verdict when no repair verifies but the body shows
// signs of re-encoding (see reencodingSigns): the secret may be right.
const reencodedBody = "No repair this command tries makes the signature verify (a changed key order or dropped fields cannot be undone), " +
	"so the secret may well be right: capture the raw body before any middleware and run verify again; " +
	"if the raw body also fails, the secret is wrong"

// signatureCause explains ErrNoMatchingSignature: the body is empty, or the
// signature header is malformed, or the body was changed after signing
// (each change tested), or it shows signs of a change that cannot be
// undone, or else the secret is not the one that signed it.
func (s suspect) signatureCause() string {
	if len(s.body) == 0 {
		return emptyBody
	}
	_, _, sig := s.signedValues()
	if !hasV1Entry(sig) {
		if !strings.Contains(sig, ",") {
			fixed := s.header.Clone()
			setSignature(fixed, "v1,"+sig)
			if signatureMatches(s.secret, fixed, s.body) {
				return `the signature header lacks its "v1," prefix: with it, the signature verifies`
			}
		}
		return "the signature header holds no v1,<base64> entry: it was not made by Svix, or was mangled on the way"
	}
	for _, v := range bodyVariants(s.body) {
		if signatureMatches(s.secret, s.header, v.body) {
			return v.cause + s.alsoSkew()
		}
	}
	const noPrefix = "the secret has no whsec_ prefix: is it the endpoint's complete signing secret (whsec_...) from Dashboard > Webhooks?"
	if signs := reencodingSigns(s.body); len(signs) > 0 {
		msg := "the body looks re-encoded: " + strings.Join(signs, "; ") + ". " + reencodedBody
		if !strings.HasPrefix(s.secret, "whsec_") {
			msg += ". Also, " + noPrefix
		}
		return msg
	}
	if !strings.HasPrefix(s.secret, "whsec_") {
		return "no signature matches and " + noPrefix + " Otherwise, " + wrongSecret
	}
	return wrongSecret
}

func hasV1Entry(sig string) bool {
	for _, entry := range strings.Fields(sig) {
		if strings.HasPrefix(entry, "v1,") {
			return true
		}
	}
	return false
}

// setSignature replaces whichever signature header h carries.
func setSignature(h http.Header, value string) {
	for k := range h {
		if strings.EqualFold(k, clerkwebhook.HeaderSvixSignature) || strings.EqualFold(k, clerkwebhook.HeaderWebhookSignature) {
			h[k] = []string{value}
		}
	}
}

// A variant is a body as it may have been before something changed it, and
// what that change was.
type variant struct {
	body  []byte
	cause string
}

// bodyVariants lists plausible originals of a body that was changed after
// signing, smallest change first.
func bodyVariants(body []byte) []variant {
	var out []variant
	seen := map[string]bool{string(body): true}
	add := func(b []byte, cause string) {
		if b != nil && !seen[string(b)] {
			seen[string(b)] = true
			out = append(out, variant{b, cause})
		}
	}
	if b, ok := bytes.CutPrefix(body, utf8BOM); ok {
		add(b, "a UTF-8 byte order mark was added at the start of the body after signing: without it, the signature verifies")
		body = b // and the changes below may have come with it
	}
	if b, ok := bytes.CutSuffix(body, []byte("\r\n")); ok {
		add(b, "a trailing CRLF was added to the body after signing: without it, the signature verifies")
	}
	if b, ok := bytes.CutSuffix(body, []byte("\n")); ok {
		add(b, "a trailing newline was added to the body after signing: without it, the signature verifies")
	}
	add(bytes.TrimRight(body, " \t\r\n"), "trailing whitespace was added to the body after signing: without it, the signature verifies")
	add(withNewline(body), "a trailing newline was removed from the body: with it, the signature verifies")
	if bytes.Contains(body, []byte("\r\n")) {
		add(bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n")), "the body's line endings were changed to CRLF: with LF endings, the signature verifies")
	} else if bytes.Contains(body, []byte("\n")) {
		add(bytes.ReplaceAll(body, []byte("\n"), []byte("\r\n")), "the body's line endings were changed to LF: with CRLF endings, the signature verifies")
	}
	compact := compactJSON(body)
	if compact == nil {
		return out // not JSON: no re-serialization to undo
	}
	forms := []struct {
		name string
		body []byte
	}{
		{"compact form", compact},
		{"form indented with 2 spaces", indentJSON(compact, "  ")},
		{"form indented with 4 spaces", indentJSON(compact, "    ")},
		{"form indented with tabs", indentJSON(compact, "\t")},
	}
	const reserialized = "the body was re-serialized (verify the raw bytes, before any JSON decoding): its "
	for _, f := range forms {
		add(f.body, reserialized+f.name+" verifies")
		add(withNewline(f.body), reserialized+f.name+" with a trailing newline verifies")
	}
	// Go's encoding/json escapes <, > and & when it re-encodes; undo that.
	unescaped := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace
	add([]byte(unescaped(string(body))), "the body was re-encoded by Go's encoding/json, which escapes <, > and &: the unescaped form verifies")
	var escaped bytes.Buffer
	json.HTMLEscape(&escaped, body)
	add(escaped.Bytes(), "the body was re-encoded without HTML escaping: the form with <, > and & escaped verifies")
	return out
}

func withNewline(b []byte) []byte {
	return append(bytes.Clone(b), '\n')
}

func compactJSON(b []byte) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return nil
	}
	return buf.Bytes()
}

func indentJSON(compact []byte, indent string) []byte {
	var buf bytes.Buffer
	if json.Indent(&buf, compact, "", indent) != nil {
		return nil
	}
	return buf.Bytes()
}

// The header names the library reads, lower case.
var signatureHeaderNames = []string{"svix-id", "svix-timestamp", "svix-signature", "webhook-id", "webhook-timestamp", "webhook-signature"}

// headerCause explains ErrMissingHeader: the headers are there under other
// names (renamed by a proxy, or with stray spaces), or split across the two
// families, or really absent.
func (s suspect) headerCause(ve *clerkwebhook.VerificationError) string {
	if renamed, aliases := renameAliases(s.header); len(aliases) > 0 {
		msg := "the signature headers arrived under other names (" + strings.Join(aliases, ", ") +
			"): a proxy, framework or capture tool renamed them"
		return msg + s.retry(renamed, "under the standard names")
	}
	if merged, parts, ok := mergeFamilies(s.header); ok {
		msg := "the headers mix the svix-* and webhook-* families (" + strings.Join(parts, ", ") +
			"); the library reads one complete family, never a mix"
		return msg + s.retry(merged, "as one family")
	}
	missing := strings.Join(ve.Missing, ", ")
	if len(ve.Missing) == 3 {
		return "no signature headers (" + missing + "): the request did not come from Clerk, or a proxy or load balancer stripped them"
	}
	return missing + " missing while the other signature headers are present: a proxy or framework dropped it, or the capture is incomplete"
}

// retry verifies the delivery with repaired headers and says what happened.
func (s suspect) retry(h http.Header, how string) string {
	sub := s
	sub.header = h
	sub.err = s.check(s.secret, h, s.body)
	if sub.err == nil {
		return "; " + how + " the delivery verifies"
	}
	return "; " + how + " it still fails: " + diagnose(sub)
}

// renameAliases returns a copy of h with each header that is a signature
// header under another spelling (X-Svix-Id, svix_id, HTTP_SVIX_ID,
// "Svix-Id " with a stray space) moved to its standard name, and a
// description of each move. A standard name already present is not
// overwritten.
func renameAliases(h http.Header) (http.Header, []string) {
	out := h.Clone()
	var moves []string
	for name, vs := range h {
		std := normaliseHeaderName(name)
		if !isSignatureHeader(std) || strings.EqualFold(name, std) || headerValue(h, std) != "" {
			continue
		}
		delete(out, name)
		out[http.CanonicalHeaderKey(std)] = vs
		moves = append(moves, fmt.Sprintf("%q for %s", name, std))
	}
	slices.Sort(moves) // map order is random; the message should not be
	return out, moves
}

// normaliseHeaderName maps the usual manglings of a header name back to the
// plain lower-case form: case, underscores, spaces, and the x- and http-
// prefixes that proxies and CGI-style environments add.
func normaliseHeaderName(name string) string {
	n := strings.ToLower(strings.Join(strings.Fields(name), ""))
	n = strings.ReplaceAll(n, "_", "-")
	for {
		trimmed := strings.TrimPrefix(strings.TrimPrefix(n, "x-"), "http-")
		if trimmed == n {
			return n
		}
		n = trimmed
	}
}

func isSignatureHeader(lower string) bool {
	for _, n := range signatureHeaderNames {
		if n == lower {
			return true
		}
	}
	return false
}

// mergeFamilies reports whether h holds an incomplete svix-* set and an
// incomplete webhook-* set that together give all three values, and if so
// returns h with the three under the svix-* names.
func mergeFamilies(h http.Header) (http.Header, []string, bool) {
	var parts []string
	values := [3]string{}
	svixN, webhookN := 0, 0
	for i, pair := range [][2]string{{"svix-id", "webhook-id"}, {"svix-timestamp", "webhook-timestamp"}, {"svix-signature", "webhook-signature"}} {
		if v := headerValue(h, pair[0]); v != "" {
			values[i], svixN = v, svixN+1
			parts = append(parts, pair[0])
		} else if v := headerValue(h, pair[1]); v != "" {
			values[i], webhookN = v, webhookN+1
			parts = append(parts, pair[1])
		}
	}
	if svixN == 0 || webhookN == 0 || svixN+webhookN != 3 {
		return nil, nil, false
	}
	merged := http.Header{}
	merged.Set(clerkwebhook.HeaderSvixID, values[0])
	merged.Set(clerkwebhook.HeaderSvixTimestamp, values[1])
	merged.Set(clerkwebhook.HeaderSvixSignature, values[2])
	return merged, parts, true
}

// invalidHeaderCause explains ErrInvalidHeader.
func (s suspect) invalidHeaderCause(ve *clerkwebhook.VerificationError) string {
	if ve.Reason == clerkwebhook.ReasonAmbiguousHeader {
		return "the " + ve.Header + " header appears more than once with different values: a proxy added its own, or two deliveries' headers were merged"
	}
	if strings.HasSuffix(ve.Header, "timestamp") {
		v := headerValue(s.header, ve.Header)
		if len(v) == 13 && strings.Trim(v, "0123456789") == "" {
			return ve.Header + " is in milliseconds; Svix sends Unix seconds"
		}
		return fmt.Sprintf("%s is %q, not plain Unix seconds (no sign, fraction, exponent or leading zero)", ve.Header, v)
	}
	return "the " + ve.Header + " header is malformed"
}

// secretCause explains ErrInvalidSecret. The library's message names the
// mistake; this adds what the secret would do once repaired.
func (s suspect) secretCause() string {
	cleaned := cleanSecret(s.secret)
	switch {
	case strings.HasPrefix(cleaned, "sk_"), strings.HasPrefix(cleaned, "pk_"):
		return "the secret is a Clerk API key (sk_/pk_), not the endpoint's signing secret: copy the whsec_... value from Dashboard > Webhooks > your endpoint"
	case strings.HasPrefix(cleaned, "v1,"):
		return "a signature (v1,...) from a svix-signature header was pasted as the secret"
	case cleaned != s.secret:
		what := "quotes"
		if hasSpace := strings.ContainsAny(s.secret, " \t\r\n"); hasSpace && strings.ContainsAny(s.secret, "\"'`") {
			what = "quotes and whitespace"
		} else if hasSpace {
			what = "whitespace"
		}
		if _, err := clerkwebhook.NewVerifier(cleaned); err != nil {
			return "the secret has " + what + " around it, and even without them it is unusable"
		}
		sub := s
		sub.secret = cleaned
		sub.err = s.check(cleaned, s.header, s.body)
		if sub.err == nil {
			return "the secret has " + what + " around it; with them removed, it verifies this delivery"
		}
		if signatureMatches(cleaned, s.header, s.body) {
			msg := "the secret has " + what + " around it; with them removed, the signature is valid"
			if skew := sub.alsoSkew(); skew != "" {
				return msg + skew
			}
			return msg + ", but " + diagnose(sub)
		}
		return "the secret has " + what + " around it; with them removed it is usable but the delivery still fails: " + diagnose(sub)
	case !strings.HasPrefix(s.secret, "whsec_"):
		return "the secret is not a whsec_... signing secret: copy it from Dashboard > Webhooks > your endpoint"
	}
	return "the secret is malformed: copy it again from Dashboard > Webhooks > your endpoint"
}

// cleanSecret removes surrounding whitespace and quotes, however nested.
func cleanSecret(s string) string {
	for {
		t := strings.Trim(strings.TrimSpace(s), "\"'`")
		if t == s {
			return s
		}
		s = t
	}
}
