package diagnose

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/httpheader"
)

// wrongSecret is the verdict when no repair makes the signature match and
// the body shows no sign of having been changed.
const wrongSecret = "wrong secret (check the endpoint and the instance: dev vs prod secrets differ) or a forged request"

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
// signature header holds no v1 entry, or the body was changed after signing
// (each change tested), or it shows signs of a change that cannot be
// undone, or else the secret is not the one that signed it.
func (d Delivery) signatureCause(ve *clerkwebhook.VerificationError) string {
	switch ve.Reason {
	case clerkwebhook.ReasonEmptyBody:
		return emptyBody
	case clerkwebhook.ReasonNoV1Signature:
		// ve.Header is the signature header the library read.
		if matched, _ := d.verify(d.Secret, withV1Prefix(d.Header, ve.Header), d.Body); matched {
			return "the " + ve.Header + ` header lacks its "v1," prefix: with it, the signature verifies`
		}
		return "the " + ve.Header + " header holds no v1,<base64> entry: it was not made by Svix, or was mangled on the way"
	}
	for _, v := range bodyVariants(d.Body) {
		if matched, err := d.verify(d.Secret, d.Header, v.body); matched {
			return v.cause + d.alsoSkew(err)
		}
	}
	// The library accepts a secret's bare base64, but a value without the
	// prefix may not be the signing secret at all.
	const noPrefix = "the secret has no whsec_ prefix: is it the endpoint's complete signing secret (whsec_...) from Dashboard > Webhooks?"
	if signs := reencodingSigns(d.Body); len(signs) > 0 {
		msg := "the body looks re-encoded: " + strings.Join(signs, "; ") + ". " + reencodedBody
		if !strings.HasPrefix(d.Secret, "whsec_") {
			msg += ". Also, " + noPrefix
		}
		return msg
	}
	if !strings.HasPrefix(d.Secret, "whsec_") {
		return "no signature matches and " + noPrefix + " Otherwise, " + wrongSecret
	}
	return wrongSecret
}

// withV1Prefix returns a copy of h with "v1," put before each value of the
// signature header the library read (lower case).
func withV1Prefix(h http.Header, name string) http.Header {
	var fixed []string
	for _, v := range httpheader.Values(h, http.CanonicalHeaderKey(name)) {
		fixed = append(fixed, "v1,"+strings.TrimSpace(v))
	}
	out := h.Clone()
	replace(out, name, fixed)
	return out
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
