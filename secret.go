package clerkwebhook

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// secretPrefix starts every signing secret Clerk shows in its Dashboard.
const secretPrefix = "whsec_"

// minKeyLen is the shortest HMAC key accepted, in bytes. Svix issues 24-byte
// keys (32 base64 characters); anything under 16 bytes is a truncated paste.
const minKeyLen = 16

// parseSecret turns a signing secret ("whsec_" + standard base64, or the bare
// base64) into the HMAC key. It is strict on purpose: a secret that only
// almost parses is a configuration mistake, and the error says which one.
// No error text ever contains the secret or any part of it.
func parseSecret(secret string) ([]byte, error) {
	if secret == "" {
		return nil, ErrMissingSecret
	}
	if strings.TrimSpace(secret) != secret {
		return nil, invalidSecret("it has leading or trailing whitespace (a newline from a file or a copy-paste?); remove it")
	}
	if c := secret[0]; c == '"' || c == '\'' || c == '`' {
		return nil, invalidSecret("it is wrapped in quotes; remove them")
	}
	switch {
	case hasAnyPrefix(secret, "sk_", "pk_"):
		return nil, invalidSecret("it looks like a Clerk API key (sk_/pk_); use the endpoint's signing secret (whsec_...) from Dashboard > Webhooks")
	case strings.HasPrefix(secret, "v1,"):
		return nil, invalidSecret("it looks like a signature (v1,...) copied from a svix-signature header, not the signing secret")
	case strings.HasPrefix(secret, "whsec_whsec_"):
		return nil, invalidSecret("the whsec_ prefix appears twice")
	}
	encoded := strings.TrimPrefix(secret, secretPrefix)
	if encoded == "" {
		return nil, invalidSecret("nothing follows the whsec_ prefix")
	}
	// base64.StdEncoding silently skips '\r' and '\n'; a strict parser must not.
	for i := 0; i < len(encoded); i++ {
		if !isStdBase64Char(encoded[i]) {
			if encoded[i] == '-' || encoded[i] == '_' {
				return nil, invalidSecret("it uses the URL-safe base64 alphabet; the secret is standard base64")
			}
			return nil, invalidSecret(fmt.Sprintf("character %d is not standard base64", len(secret)-len(encoded)+i+1))
		}
	}
	key, err := base64.StdEncoding.Strict().DecodeString(encoded)
	if err != nil {
		return nil, invalidSecret("it is not valid standard base64 (check for truncation or missing '=' padding)")
	}
	if len(key) < minKeyLen {
		return nil, invalidSecret(fmt.Sprintf("it decodes to %d bytes, fewer than the %d required; is it truncated?", len(key), minKeyLen))
	}
	return key, nil
}

func invalidSecret(why string) error {
	return fmt.Errorf("%w: %s", ErrInvalidSecret, why)
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func isStdBase64Char(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '='
}
