// Package ids makes the random values the test kit and the command hand
// out: signing secrets in Clerk's form and message ids in Svix's.
package ids

import (
	"crypto/rand"
	"encoding/base64"
)

// NewSecret returns a fresh signing secret in the form Clerk issues:
// "whsec_" and the standard base64 of 24 random bytes. It panics only if
// crypto/rand fails, which on supported platforms it does not.
func NewSecret() string {
	return "whsec_" + base64.StdEncoding.EncodeToString(random(24))
}

// NewMessageID returns a fresh message id in Svix's form: "msg_" and 27
// alphanumeric characters.
func NewMessageID() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := random(27)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)] // the slight bias does not matter for an id
	}
	return "msg_" + string(b)
}

func random(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return b
}
