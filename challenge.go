package clerkwebhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// challengeLabel separates the endpoint-verification key from the signing
// key, as the Standard Webhooks reference libraries do: an answer to a
// challenge, whatever the challenge, is never a message signature.
const challengeLabel = "wev-v1"

// challengeKey derives the endpoint-verification key from a signing key:
// HMAC-SHA256 of challengeLabel under it.
func challengeKey(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(challengeLabel))
	return m.Sum(nil)
}

// ChallengeResponse answers a Standard Webhooks endpoint-verification
// challenge: given the value of a request's webhook-challenge header, it
// returns the value of the webhook-challenge-response header that proves the
// endpoint holds the signing secret, "v1," and the base64 of HMAC-SHA256 of
// the challenge under a key derived from the secret, as the reference
// libraries (v1.3.0 and later) compute it. With several secrets
// (WithSecrets), the first, the one given to NewVerifier, answers. The
// Handler answers challenges itself; this serves handlers of your own. A nil
// or zero Verifier returns "".
func (v *Verifier) ChallengeResponse(challenge string) string {
	if v == nil || v.challenge == nil {
		return ""
	}
	m := hmac.New(sha256.New, v.challenge)
	m.Write([]byte(challenge))
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}
