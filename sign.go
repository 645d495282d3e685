package clerkwebhook

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sign returns the three headers Clerk (through Svix) sends with body:
// svix-id (msgID), svix-timestamp (timestamp in Unix seconds; sub-second
// precision is dropped) and svix-signature ("v1," and the base64
// HMAC-SHA256 of msgID, the timestamp and body joined by dots). It is the
// signing half of Verify: anything it signs with a secret, a Verifier built
// from that secret accepts while the timestamp is within its tolerance.
//
// It is for tests, tools and forwarding proxies. The secret is parsed as
// strictly as NewVerifier parses it, with the same errors (ErrMissingSecret,
// ErrInvalidSecret), which never contain the secret. An empty msgID, or one
// with spaces or control characters (which the headers cannot carry
// unchanged), is ErrInvalidHeader.
func Sign(secret, msgID string, timestamp time.Time, body []byte) (http.Header, error) {
	key, err := parseSecret(secret)
	if err != nil {
		return nil, err
	}
	if msgID == "" || strings.ContainsFunc(msgID, unfitForID) {
		return nil, fmt.Errorf("%w: the message id must be non-empty, without spaces or control characters", ErrInvalidHeader)
	}
	seconds := strconv.FormatInt(timestamp.Unix(), 10)
	st := newSigningKey(key).get() // the verifier's own signing code
	st.sign(msgID, seconds, body)
	h := http.Header{}
	h.Set(HeaderSvixID, msgID)
	h.Set(HeaderSvixTimestamp, seconds)
	h.Set(HeaderSvixSignature, "v1,"+string(st.expected[:]))
	return h, nil
}

// unfitForID reports a rune a message id cannot contain: a space or a
// control character, which a header cannot carry unchanged.
func unfitForID(r rune) bool { return r <= ' ' || r == 0x7f }
