package diagnose

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/httpheader"
)

// families are the library's two spellings of the three signature headers,
// in lower case as VerificationError names them: id, timestamp, signature.
var families = func() [2][3]string {
	var f [2][3]string
	for i, names := range [2][3]string{
		{clerkwebhook.HeaderSvixID, clerkwebhook.HeaderSvixTimestamp, clerkwebhook.HeaderSvixSignature},
		{clerkwebhook.HeaderWebhookID, clerkwebhook.HeaderWebhookTimestamp, clerkwebhook.HeaderWebhookSignature},
	} {
		for j, n := range names {
			f[i][j] = strings.ToLower(n)
		}
	}
	return f
}()

// missingHeaderCause explains ErrMissingHeader: the headers are there under
// other names (renamed by a proxy, or with stray spaces), or split across
// the two families, or really absent.
func (d Delivery) missingHeaderCause(ve *clerkwebhook.VerificationError) string {
	if renamed, moves := renames(d.Header); len(moves) > 0 {
		msg := "the signature headers arrived under other names (" + strings.Join(moves, ", ") +
			"): a proxy, framework or capture tool renamed them"
		return msg + d.retry(renamed, "under the standard names")
	}
	if merged, parts, ok := mergeFamilies(d.Header, ve.Missing); ok {
		msg := "the headers mix the svix-* and webhook-* families (" + strings.Join(parts, ", ") +
			"); the library reads one complete family, never a mix"
		return msg + d.retry(merged, "as one family")
	}
	missing := strings.Join(ve.Missing, ", ")
	if len(ve.Missing) == 3 {
		return "no signature headers (" + missing + "): the request did not come from Clerk, or a proxy or load balancer stripped them"
	}
	return missing + " missing while the other signature headers are present: a proxy or framework dropped it, or the capture is incomplete"
}

// retry verifies the delivery with repaired headers and says what happened.
func (d Delivery) retry(h http.Header, how string) string {
	_, err := d.verify(d.Secret, h, d.Body)
	if err == nil {
		return "; " + how + " the delivery verifies"
	}
	return "; " + how + " it still fails: " + Cause(d.retried(d.Secret, h, err))
}

// StandardNames returns a copy of h in which each signature header that
// arrived under a mangled name (X-Svix-Id, svix_id, HTTP_SVIX_ID, "Svix-Id "
// with a stray space) is under its standard name, as a proxy or capture
// tool may have renamed it. A standard name already present is kept.
func StandardNames(h http.Header) http.Header {
	out, _ := renames(h)
	return out
}

// renames is StandardNames, with a description of each move, sorted.
func renames(h http.Header) (http.Header, []string) {
	out := h.Clone()
	var moves []string
	for name, vs := range h {
		std := normaliseHeaderName(name)
		if !isSignatureHeader(std) || strings.EqualFold(name, std) || present(h, std) {
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
	return slices.Contains(families[0][:], lower) || slices.Contains(families[1][:], lower)
}

// mergeFamilies tests the other story behind ErrMissingHeader: every value
// is there, split across the svix-* and webhook-* families, which the
// library never mixes. missing is what the library found absent from the
// family that came closest (VerificationError.Missing). When the other
// family has each of those, it returns h with their values under the
// missing names, and which header supplies each of the three values.
func mergeFamilies(h http.Header, missing []string) (http.Header, []string, bool) {
	f := slices.IndexFunc(families[:], func(names [3]string) bool {
		return len(missing) > 0 && slices.Contains(names[:], missing[0])
	})
	if f < 0 {
		return nil, nil, false
	}
	merged := h.Clone()
	var parts []string
	for i, name := range families[f] {
		if !slices.Contains(missing, name) {
			parts = append(parts, name)
			continue
		}
		other := families[1-f][i]
		if !present(h, other) {
			return nil, nil, false
		}
		replace(merged, name, httpheader.Values(h, http.CanonicalHeaderKey(other)))
		parts = append(parts, other)
	}
	return merged, parts, true
}

// invalidHeaderCause explains ErrInvalidHeader.
func (d Delivery) invalidHeaderCause(ve *clerkwebhook.VerificationError) string {
	switch ve.Reason {
	case clerkwebhook.ReasonAmbiguousHeader:
		return "the " + ve.Header + " header appears more than once with different values: a proxy added its own, or two deliveries' headers were merged"
	case clerkwebhook.ReasonMalformedTimestamp:
		return fmt.Sprintf("%s is %q, not plain Unix seconds (no sign, fraction, exponent or leading zero)", ve.Header, value(d.Header, ve.Header))
	}
	return "the " + ve.Header + " header is malformed"
}

// value returns the first non-blank value of the header the library named
// (lower case), trimmed, found as the library finds it.
func value(h http.Header, name string) string {
	for _, v := range httpheader.Values(h, http.CanonicalHeaderKey(name)) {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

func present(h http.Header, name string) bool { return value(h, name) != "" }

// replace sets the header the library named (lower case) to values, under
// its canonical name, removing it under any other spelling.
func replace(h http.Header, name string, values []string) {
	for k := range h {
		if strings.EqualFold(k, name) {
			delete(h, k)
		}
	}
	h[http.CanonicalHeaderKey(name)] = values
}
