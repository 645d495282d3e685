package clerkwebhook

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSecret(t *testing.T) {
	t.Parallel()
	key24 := []byte("0123456789abcdefghijklmn")
	b64 := base64.StdEncoding.EncodeToString(key24)
	key16 := []byte("0123456789abcdef")
	cases := []struct {
		name   string
		secret string
		key    []byte // when accepted
		want   error
		detail string
	}{
		{name: "whsec_ form", secret: "whsec_" + b64, key: key24},
		{name: "bare base64", secret: b64, key: key24},
		{name: "16-byte key with padding", secret: "whsec_" + base64.StdEncoding.EncodeToString(key16), key: key16},
		{name: "empty", secret: "", want: ErrMissingSecret},
		{name: "prefix only", secret: "whsec_", want: ErrInvalidSecret, detail: "nothing follows"},
		{name: "trailing newline", secret: "whsec_" + b64 + "\n", want: ErrInvalidSecret, detail: "whitespace"},
		{name: "leading space", secret: " whsec_" + b64, want: ErrInvalidSecret, detail: "whitespace"},
		{name: "double quotes", secret: `"whsec_` + b64 + `"`, want: ErrInvalidSecret, detail: "quotes"},
		{name: "single quotes", secret: `'whsec_` + b64 + `'`, want: ErrInvalidSecret, detail: "quotes"},
		{name: "Clerk secret key", secret: "sk_test_51Abcdefghijklmnopqrstuvwxyz0123", want: ErrInvalidSecret, detail: "Clerk API key"},
		{name: "Clerk publishable key", secret: "pk_live_Y2xlcmsuZXhhbXBsZS5jb20k", want: ErrInvalidSecret, detail: "Clerk API key"},
		{name: "pasted signature", secret: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", want: ErrInvalidSecret, detail: "signature"},
		{name: "doubled prefix", secret: "whsec_whsec_" + b64, want: ErrInvalidSecret, detail: "twice"},
		{name: "url-safe alphabet", secret: "whsec_" + strings.ReplaceAll(strings.ReplaceAll(b64, "+", "-"), "/", "_") + "-_", want: ErrInvalidSecret, detail: "URL-safe"},
		{name: "embedded newline", secret: "whsec_" + b64[:8] + "\n" + b64[8:], want: ErrInvalidSecret, detail: "character 15"},
		{name: "not base64", secret: "whsec_this is not base64!", want: ErrInvalidSecret, detail: "not standard base64"},
		{name: "missing padding", secret: "whsec_" + strings.TrimRight(base64.StdEncoding.EncodeToString(key16), "="), want: ErrInvalidSecret, detail: "padding"},
		{name: "non-zero padding bits", secret: "whsec_" + base64.StdEncoding.EncodeToString(key16)[:21] + "B==", want: ErrInvalidSecret},
		{name: "too short", secret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("short key")), want: ErrInvalidSecret, detail: "9 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key, err := parseSecret(tc.secret)
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, tc.key, key)
				v, err := NewVerifier(tc.secret)
				require.NoError(t, err)
				assert.Len(t, v.keys, 1)
				return
			}
			require.ErrorIs(t, err, tc.want)
			assert.Nil(t, key)
			if tc.detail != "" {
				assert.Contains(t, err.Error(), tc.detail)
			}
			assertNoSecretIn(t, err.Error(), tc.secret)
			_, err = NewVerifier(tc.secret)
			assert.ErrorIs(t, err, tc.want, "NewVerifier reports the same error")
		})
	}
}

// assertNoSecretIn fails if msg contains the secret or any 8-character piece
// of it that is not also part of the fixed message text.
func assertNoSecretIn(t *testing.T, msg, secret string) {
	t.Helper()
	core := strings.Trim(strings.TrimSpace(secret), `"'`)
	core = strings.TrimPrefix(core, "whsec_")
	for i := 0; i+8 <= len(core); i++ {
		piece := core[i : i+8]
		if strings.Contains(msg, piece) && !strings.Contains(secretMessageText, piece) {
			t.Fatalf("error message %q contains part of the secret (%q)", msg, piece)
		}
	}
}

// secretMessageText is every fixed text a secret error can contain.
var secretMessageText = strings.Join([]string{
	ErrMissingSecret.Error(), ErrInvalidSecret.Error(),
	"it has leading or trailing whitespace (a newline from a file or a copy-paste?); remove it",
	"it is wrapped in quotes; remove them",
	"it looks like a Clerk API key (sk_/pk_); use the endpoint's signing secret (whsec_...) from Dashboard > Webhooks",
	"it looks like a signature (v1,...) copied from a svix-signature header, not the signing secret",
	"the whsec_ prefix appears twice", "nothing follows the whsec_ prefix",
	"it uses the URL-safe base64 alphabet; the secret is standard base64",
	"is not standard base64", "it is not valid standard base64 (check for truncation or missing '=' padding)",
	"fewer than the", "required; is it truncated?", "additional secret",
}, "\n")

// FuzzParseSecret: no panic; an accepted secret decodes exactly as standard
// base64 after the optional prefix and is long enough; a rejected one never
// echoes the secret.
func FuzzParseSecret(f *testing.F) {
	for _, s := range []string{testSecret, otherSecret, "", "whsec_", "sk_test_abc", "v1,abc", `"whsec_abc"`, "whsec_\nMfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, secret string) {
		key, err := parseSecret(secret)
		if err != nil {
			require.True(t, errors.Is(err, ErrMissingSecret) || errors.Is(err, ErrInvalidSecret), "unexpected error %v", err)
			require.Nil(t, key)
			assertNoSecretIn(t, err.Error(), secret)
			return
		}
		want, derr := base64.StdEncoding.Strict().DecodeString(strings.TrimPrefix(secret, "whsec_"))
		require.NoError(t, derr)
		require.Equal(t, want, key)
		require.GreaterOrEqual(t, len(key), minKeyLen)
		require.NotContains(t, secret, "\n")
	})
}

// Every edge of the standard base64 alphabet, inside and just outside, and
// the edges of the key length, with the exact messages. The secrets here
// are made-up test values.
func TestParseSecretAlphabet(t *testing.T) {
	t.Parallel()
	edges := strings.Repeat("AZaz09+/", 3) // 18 bytes
	key16 := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	key15 := base64.StdEncoding.EncodeToString([]byte("0123456789abcde"))
	at := func(s string, i int, c string) string { return s[:i] + c + s[i+1:] }
	for _, tc := range []struct {
		name    string
		secret  string
		message string // "" when accepted
	}{
		{"every alphabet edge", "whsec_" + edges, ""},
		{"every alphabet edge, bare", edges, ""},
		{"starts with A", "A" + edges[1:], ""},
		{"starts with Z", "Z" + edges[1:], ""},
		{"starts with a", "a" + edges[1:], ""},
		{"starts with z", "z" + edges[1:], ""},
		{"starts with 0", "0" + edges[1:], ""},
		{"starts with 9", "9" + edges[1:], ""},
		{"starts with +", "+" + edges[1:], ""},
		{"starts with /", "/" + edges[1:], ""},
		{"16 bytes, bare", key16, ""},
		{"15 bytes", "whsec_" + key15, "clerkwebhook: invalid signing secret: it decodes to 15 bytes, fewer than the 16 required; is it truncated?"},
		{"15 bytes, bare", key15, "clerkwebhook: invalid signing secret: it decodes to 15 bytes, fewer than the 16 required; is it truncated?"},
		{"@ below A", "whsec_" + at(edges, 0, "@"), "clerkwebhook: invalid signing secret: character 7 is not standard base64"},
		{"[ above Z", "whsec_" + at(edges, 1, "["), "clerkwebhook: invalid signing secret: character 8 is not standard base64"},
		{"` below a", "whsec_" + at(edges, 2, "`"), "clerkwebhook: invalid signing secret: character 9 is not standard base64"},
		{"{ above z", "whsec_" + at(edges, 3, "{"), "clerkwebhook: invalid signing secret: character 10 is not standard base64"},
		{": above 9", "whsec_" + at(edges, 5, ":"), "clerkwebhook: invalid signing secret: character 12 is not standard base64"},
		{"* below +", "whsec_" + at(edges, 6, "*"), "clerkwebhook: invalid signing secret: character 13 is not standard base64"},
		{", above +", "whsec_" + at(edges, 6, ","), "clerkwebhook: invalid signing secret: character 13 is not standard base64"},
		{". below /", "whsec_" + at(edges, 7, "."), "clerkwebhook: invalid signing secret: character 14 is not standard base64"},
		{"< below =", "whsec_" + at(edges, 23, "<"), "clerkwebhook: invalid signing secret: character 30 is not standard base64"},
		{"> above =", "whsec_" + at(edges, 23, ">"), "clerkwebhook: invalid signing secret: character 30 is not standard base64"},
		{"bad character, bare", at(edges, 3, "!"), "clerkwebhook: invalid signing secret: character 4 is not standard base64"},
		{"bad first character, bare", at(edges, 0, "!"), "clerkwebhook: invalid signing secret: character 1 is not standard base64"},
		{"only -", "whsec_" + at(edges, 4, "-"), "clerkwebhook: invalid signing secret: it uses the URL-safe base64 alphabet; the secret is standard base64"},
		{"only _", "whsec_" + at(edges, 4, "_"), "clerkwebhook: invalid signing secret: it uses the URL-safe base64 alphabet; the secret is standard base64"},
		{"= inside", "whsec_" + at(edges, 4, "="), "clerkwebhook: invalid signing secret: it is not valid standard base64 (check for truncation or missing '=' padding)"},
		{"backquotes", "`whsec_" + edges + "`", "clerkwebhook: invalid signing secret: it is wrapped in quotes; remove them"},
		{"trailing tab", "whsec_" + edges + "\t", "clerkwebhook: invalid signing secret: it has leading or trailing whitespace (a newline from a file or a copy-paste?); remove it"},
		{"prefix only", "whsec_", "clerkwebhook: invalid signing secret: nothing follows the whsec_ prefix"},
		{"doubled prefix", "whsec_whsec_" + edges, "clerkwebhook: invalid signing secret: the whsec_ prefix appears twice"},
		{"secret key", "sk_" + edges, "clerkwebhook: invalid signing secret: it looks like a Clerk API key (sk_/pk_); use the endpoint's signing secret (whsec_...) from Dashboard > Webhooks"},
		{"publishable key", "pk_" + edges, "clerkwebhook: invalid signing secret: it looks like a Clerk API key (sk_/pk_); use the endpoint's signing secret (whsec_...) from Dashboard > Webhooks"},
		{"signature", "v1," + edges, "clerkwebhook: invalid signing secret: it looks like a signature (v1,...) copied from a svix-signature header, not the signing secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, err := parseSecret(tc.secret)
			if tc.message == "" {
				require.NoError(t, err)
				want, derr := base64.StdEncoding.DecodeString(strings.TrimPrefix(tc.secret, "whsec_"))
				require.NoError(t, derr)
				assert.True(t, bytes.Equal(want, key), "the key differs from the standard decoding") // not printed
				return
			}
			require.ErrorIs(t, err, ErrInvalidSecret)
			assert.Nil(t, key)
			assertOneSentinel(t, err)
			assert.Equal(t, tc.message, err.Error())
			assertNoSecretIn(t, err.Error(), tc.secret)
		})
	}
}
