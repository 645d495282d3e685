package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
)

// A broken capture, built with the reference library, and the cause verify
// must name.
type verifyCase struct {
	name    string
	secret  string // as passed to --secret; default the signing secret
	headers string // the headers file
	body    []byte
	now     time.Time
	code    int
	want    []string // substrings of stdout (code 0) or stderr (code 1)
	not     []string // and what they must not hold
}

func TestVerifyDiagnosesEachHypothesis(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	other := newTestSecret(t)
	signedAt := time.Unix(1764331200, 0)
	now := signedAt.Add(30 * time.Second)
	const id = "msg_2VerifyTest0000000000000"
	body := compactFixture(t)
	pretty := indented(t, body, "  ")
	sig := func(b []byte) string { return refSign(t, secret, id, signedAt, b) }
	ts := strconv.FormatInt(signedAt.Unix(), 10)
	email := compactFixtureOf(t, clerkwebhook.EmailCreated) // HTML: <, > and &
	accented := bytes.Replace(body, []byte(`"first_name":"Elodie"`), []byte("\"first_name\":\"\u00c9lodie\""), 1)
	require.NotEqual(t, body, accented)

	cases := []verifyCase{
		{name: "valid", headers: refHeaders(t, secret, id, signedAt, body), body: body,
			code: 0, want: []string{"valid: user.created " + id}},
		{name: "raw HTTP request with its body",
			headers: "POST /webhooks/clerk HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\n" +
				strings.ReplaceAll(refHeaders(t, secret, id, signedAt, body), "\n", "\r\n") + "\r\n" + string(body),
			code: 0, want: []string{"valid: user.created " + id}},
		{name: "pretty-printed body signed compact", headers: refHeaders(t, secret, id, signedAt, body), body: pretty,
			code: 1, want: []string{"no matching signature", "re-serialized", "compact form verifies"}},
		{name: "compact body signed indented with 4 spaces", headers: refHeaders(t, secret, id, signedAt, indented(t, body, "    ")), body: body,
			code: 1, want: []string{"re-serialized", "indented with 4 spaces verifies"}},
		{name: "compact body signed indented with tabs", headers: refHeaders(t, secret, id, signedAt, indented(t, body, "\t")), body: body,
			code: 1, want: []string{"indented with tabs verifies"}},
		{name: "newline added", headers: refHeaders(t, secret, id, signedAt, body), body: append(bytes.Clone(body), '\n'),
			code: 1, want: []string{"trailing newline was added"}},
		{name: "newline removed", headers: refHeaders(t, secret, id, signedAt, append(bytes.Clone(body), '\n')), body: body,
			code: 1, want: []string{"trailing newline was removed"}},
		{name: "CRLF line endings", headers: refHeaders(t, secret, id, signedAt, pretty), body: bytes.ReplaceAll(pretty, []byte("\n"), []byte("\r\n")),
			code: 1, want: []string{"line endings were changed to CRLF"}},
		{name: "stale", headers: refHeaders(t, secret, id, signedAt, body), body: body, now: signedAt.Add(7*time.Minute + 12*time.Second),
			code: 1, want: []string{"timestamp too old", "signed 7m12s before --now; tolerance 5m0s"}},
		{name: "future", headers: refHeaders(t, secret, id, signedAt.Add(10*time.Minute), body), body: body, now: signedAt,
			code: 1, want: []string{"timestamp too new", "signed 10m0s after --now; tolerance 5m0s"}},
		{name: "re-serialized and stale", headers: refHeaders(t, secret, id, signedAt, body), body: pretty, now: signedAt.Add(time.Hour),
			code: 1, want: []string{"compact form verifies", "also, it was signed 1h0m0s before --now"}},
		{name: "sk_ key as secret", secret: "sk_test_4eC39HqLyjWDarjtT1zdp7dc", headers: refHeaders(t, secret, id, signedAt, body), body: body,
			code: 1, want: []string{"invalid: clerkwebhook: invalid signing secret: it looks like a Clerk API key (sk_/pk_)", "cause: the signing secret, not the delivery: the library's message names the mistake; copy the endpoint's whsec_... secret"}},
		{name: "quoted secret", secret: `"` + secret + `"`, headers: refHeaders(t, secret, id, signedAt, body), body: body,
			code: 1, want: []string{"invalid: clerkwebhook: invalid signing secret: it is wrapped in quotes; remove them", "cause: the signing secret, not the delivery: the library's message names the mistake; with surrounding quotes and whitespace removed, the secret verifies this delivery"}},
		{name: "secret with a trailing newline", secret: secret + "\n", headers: refHeaders(t, secret, id, signedAt, body), body: body,
			code: 1, want: []string{"invalid: clerkwebhook: invalid signing secret: it has leading or trailing whitespace", "with surrounding quotes and whitespace removed, the secret verifies this delivery"}},
		{name: "quoted wrong secret", secret: `'` + other + `'`, headers: refHeaders(t, secret, id, signedAt, body), body: body,
			code: 1, want: []string{"with surrounding quotes and whitespace removed, the secret is usable but the delivery still fails: wrong secret"}},
		{name: "signature header missing", headers: fmt.Sprintf("svix-id: %s\nsvix-timestamp: %s\n", id, ts), body: body,
			code: 1, want: []string{"missing webhook header: svix-signature", "svix-signature missing while the other signature headers are present"}},
		{name: "no headers at all", headers: "# nothing captured\nContent-Type: application/json\n", body: body,
			code: 1, want: []string{"no signature headers (svix-id, svix-timestamp, svix-signature)"}},
		{name: "renamed x-svix-*", headers: fmt.Sprintf("X-Svix-Id: %s\nX-Svix-Timestamp: %s\nX-Svix-Signature: %s\n", id, ts, sig(body)), body: body,
			code: 1, want: []string{`"X-Svix-Id" for svix-id`, `"X-Svix-Signature" for svix-signature`, `"X-Svix-Timestamp" for svix-timestamp`,
				"under the standard names the delivery verifies"}},
		{name: "underscores and a stray space", headers: fmt.Sprintf("svix_id: %s\nSvix-Timestamp : %s\nsvix-signature: %s\n", id, ts, sig(body)), body: body,
			code: 1, want: []string{`"svix_id" for svix-id`, `"Svix-Timestamp " for svix-timestamp`, "delivery verifies"}},
		{name: "renamed and re-serialized", headers: fmt.Sprintf("x-svix-id: %s\nx-svix-timestamp: %s\nx-svix-signature: %s\n", id, ts, sig(body)), body: pretty,
			code: 1, want: []string{"other names", "under the standard names it still fails", "compact form verifies"}},
		{name: "families mixed", headers: fmt.Sprintf("svix-id: %s\nsvix-timestamp: %s\nwebhook-signature: %s\n", id, ts, sig(body)), body: body,
			code: 1, want: []string{"mix the svix-* and webhook-* families (svix-id, svix-timestamp, webhook-signature)", "as one family the delivery verifies"}},
		{name: "signature without v1 prefix", headers: fmt.Sprintf("svix-id: %s\nsvix-timestamp: %s\nsvix-signature: %s\n", id, ts, strings.TrimPrefix(sig(body), "v1,")), body: body,
			code: 1, want: []string{`lacks its "v1," prefix`}},
		{name: "wrong secret", secret: other, headers: refHeaders(t, secret, id, signedAt, body), body: body,
			code: 1, want: []string{"no matching signature", "cause: wrong secret (check the endpoint and the instance: dev vs prod secrets differ) or a forged request"}},
		{name: "wrong secret without whsec_", secret: strings.TrimPrefix(other, "whsec_"), headers: refHeaders(t, secret, id, signedAt, body), body: body,
			code: 1, want: []string{"no whsec_ prefix", "wrong secret"}},
		{name: "bare secret that is right", secret: strings.TrimPrefix(secret, "whsec_"), headers: refHeaders(t, secret, id, signedAt, body), body: body,
			code: 0, want: []string{"valid: user.created"}},
		// Re-encoded bodies: where a repair verifies, it is named; where
		// none can, the signs are, and never "wrong secret".
		{name: "Go-escaped, repairable", headers: refHeaders(t, secret, id, signedAt, email), body: goEscaped(email),
			code: 1, want: []string{"re-encoded by Go's encoding/json", "the unescaped form verifies"}},
		{name: "Go-escaped and changed", headers: refHeaders(t, secret, id, signedAt, email), body: goEscaped(changed(t, email)),
			code: 1, want: []string{`cause: the body looks re-encoded: it has \u003c and \u003e escapes, as Go's encoding/json writes for <, >, &, U+2028 and U+2029 (Clerk sends those characters unescaped)`,
				"capture the raw body before any middleware and run verify again; if the raw body also fails, the secret is wrong"},
			not: []string{"wrong secret", "sorted"}},
		{name: "Go-escaped, wrong secret", secret: other, headers: refHeaders(t, secret, id, signedAt, email), body: goEscaped(email),
			code: 1, want: []string{"the body looks re-encoded", "Go's encoding/json"}, not: []string{"wrong secret"}},
		{name: "map round trip: keys sorted", headers: refHeaders(t, secret, id, signedAt, body), body: mapRoundTrip(t, body),
			code: 1, want: []string{"cause: the body looks re-encoded: its keys are sorted at every level, as a Go map or json.Marshal of a map produces (Clerk sends keys in its own order)",
				"a changed key order or dropped fields cannot be undone), so the secret may well be right", "capture the raw body before any middleware"},
			not: []string{"wrong secret"}},
		{name: "map round trip of HTML: sorted and Go-escaped", headers: refHeaders(t, secret, id, signedAt, email), body: mapRoundTrip(t, email),
			code: 1, want: []string{"Go's encoding/json writes", "its keys are sorted at every level"}, not: []string{"wrong secret"}},
		{name: "struct round trip: fields dropped", headers: refHeaders(t, secret, id, signedAt, body), body: structRoundTrip(t, body),
			code: 1, want: []string{`cause: the body looks re-encoded: its envelope lacks "object" and "timestamp", as a struct that does not declare them drops them`},
			not: []string{"wrong secret", "sorted"}},
		{name: "indented and changed", headers: refHeaders(t, secret, id, signedAt, body), body: indented(t, changed(t, body), "   "),
			code: 1, want: []string{"cause: the body looks re-encoded: it is indented (Clerk sends compact JSON)"}, not: []string{"wrong secret"}},
		{name: "spaces between tokens, repairable", headers: refHeaders(t, secret, id, signedAt, body), body: spaced(t, body),
			code: 1, want: []string{"compact form verifies"}},
		{name: "spaces between tokens and changed", headers: refHeaders(t, secret, id, signedAt, body), body: spaced(t, changed(t, body)),
			code: 1, want: []string{"cause: the body looks re-encoded: it has spaces between its tokens"}, not: []string{"wrong secret", "indented"}},
		{name: "CRLF and changed", headers: refHeaders(t, secret, id, signedAt, pretty), body: bytes.ReplaceAll(indented(t, changed(t, body), "  "), []byte("\n"), []byte("\r\n")),
			code: 1, want: []string{"cause: the body looks re-encoded: it has CRLF line endings (Clerk sends a single line); it is indented"}, not: []string{"wrong secret"}},
		{name: "BOM added", headers: refHeaders(t, secret, id, signedAt, body), body: append([]byte("\xef\xbb\xbf"), body...),
			code: 1, want: []string{"a UTF-8 byte order mark was added at the start of the body after signing: without it, the signature verifies"}},
		{name: "BOM and changed", headers: refHeaders(t, secret, id, signedAt, body), body: append([]byte("\xef\xbb\xbf"), changed(t, body)...),
			code: 1, want: []string{"cause: the body looks re-encoded: it starts with a UTF-8 byte order mark"}, not: []string{"wrong secret"}},
		{name: "trailing newline and changed", headers: refHeaders(t, secret, id, signedAt, body), body: append(changed(t, body), '\n'),
			code: 1, want: []string{"cause: the body looks re-encoded: it ends with a newline (Clerk sends none)"}, not: []string{"wrong secret"}},
		{name: "non-ASCII escaped", headers: refHeaders(t, secret, id, signedAt, accented), body: bytes.Replace(accented, []byte("\u00c9"), []byte(`\u00c9`), 1),
			code: 1, want: []string{`cause: the body looks re-encoded: it has \u escapes of non-ASCII characters`}, not: []string{"wrong secret"}},
		{name: "re-encoded, wrong secret without whsec_", secret: strings.TrimPrefix(other, "whsec_"), headers: refHeaders(t, secret, id, signedAt, body), body: mapRoundTrip(t, body),
			code: 1, want: []string{"its keys are sorted at every level", "Also, the secret has no whsec_ prefix"}, not: []string{"wrong secret"}},
		{name: "empty body", headers: refHeaders(t, secret, id, signedAt, body), body: []byte{},
			code: 1, want: []string{"no matching signature", "cause: the body is empty (0 bytes): something (a middleware, a framework's body parser, a logging wrapper) consumed it before verification; read the raw body first and verify it before any parsing"},
			not: []string{"wrong secret"}},
		{name: "empty body, wrong secret", secret: other, headers: refHeaders(t, secret, id, signedAt, body), body: []byte{},
			code: 1, want: []string{"the body is empty (0 bytes)"}, not: []string{"wrong secret"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.secret == "" {
				tc.secret = secret
			}
			if tc.now.IsZero() {
				tc.now = now
			}
			args := []string{"verify", "--secret", tc.secret, "--now", strconv.FormatInt(tc.now.Unix(), 10),
				"--headers", writeFile(t, "headers.txt", []byte(tc.headers))}
			if tc.body != nil {
				args = append(args, writeFile(t, "body.json", tc.body))
			}
			r := runCmd(t, "", args...)
			require.Equal(t, tc.code, r.code, "stdout %q\nstderr %q", r.stdout, r.stderr)
			out := r.stdout
			if tc.code != 0 {
				out = r.stderr
				assert.Empty(t, r.stdout)
				assert.Regexp(t, `\Ainvalid: .*\ncause: .*\n\z`, out)
			}
			for _, w := range tc.want {
				assert.Contains(t, out, w)
			}
			for _, w := range tc.not {
				assert.NotContains(t, out, w)
			}
			for _, s := range []string{secret, other} {
				key := strings.TrimPrefix(s, "whsec_")
				assert.NotContains(t, r.stdout+r.stderr, key, "the secret must never be printed")
			}
		})
	}
}

func TestVerifyReadsBodyFromStdin(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	body := compactFixture(t)
	signedAt := time.Unix(1764331200, 0)
	headers := writeFile(t, "h.txt", []byte(refHeaders(t, secret, "msg_stdin", signedAt, body)))
	for _, extra := range [][]string{{"-"}, nil} {
		args := append([]string{"verify", "--secret", secret, "--now", "1764331210", "--headers", headers}, extra...)
		r := runCmd(t, string(body), args...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, "valid: user.created msg_stdin\n", r.stdout)
	}
}

func TestVerifyTolerance(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	body := compactFixture(t)
	signedAt := time.Unix(1764331200, 0)
	headers := writeFile(t, "h.txt", []byte(refHeaders(t, secret, "msg_tol", signedAt, body)))
	bodyFile := writeFile(t, "b.json", body)
	late := strconv.FormatInt(signedAt.Add(20*time.Minute).Unix(), 10)

	r := runCmd(t, "", "verify", "--secret", secret, "--now", late, "--headers", headers, bodyFile)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "signed 20m0s before --now; tolerance 5m0s")

	r = runCmd(t, "", "verify", "--secret", secret, "--now", late, "--tolerance", "30m", "--headers", headers, bodyFile)
	assert.Equal(t, 0, r.code, r.stderr)
}

func TestVerifyUnreadableFilesExitOne(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	r := runCmd(t, "", "verify", "--secret", secret, "--headers", "/nonexistent/headers.txt", "-")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "no such file")

	bad := writeFile(t, "h.txt", []byte("svix-id msg_1\n"))
	r = runCmd(t, "", "verify", "--secret", secret, "--headers", bad, "-")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `line 1: expected "Name: value"`)
}

func TestVerifyEscapesWhatItPrints(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	body := hostileBody(t)
	signedAt := time.Unix(1764331200, 0)
	// A capture file's lines end at LF, and a trailing CR is dropped with
	// the surrounding spaces, so the id carries the others in its middle.
	const id = "msg_\x1b]0;PWNED\a\x1b[2J\r\x7f\u009b\xffend"
	sig := refSign(t, secret, id, signedAt, body)
	ts := strconv.FormatInt(signedAt.Unix(), 10)
	for name, tc := range map[string]struct {
		headers string
		secret  string
		code    int
		want    string
	}{
		"valid":        {headers: refHeaders(t, secret, id, signedAt, body), code: 0, want: "valid: " + strconv.Quote(hostile) + " " + strconv.Quote(id) + "\n"},
		"wrong secret": {headers: refHeaders(t, secret, id, signedAt, body), secret: newTestSecret(t), code: 1, want: "cause: " + wrongSecret},
		// Spaces in a name are ignored when it is matched to a signature
		// header, and CR and VT are spaces.
		"renamed headers": {headers: fmt.Sprintf("X-Svix\v-Id\r: %s\nX-Svix-Timestamp: %s\nX-Svix-Signature: %s\n", id, ts, sig),
			code: 1, want: `"X-Svix\v-Id\r" for svix-id`},
		"bad timestamp": {headers: fmt.Sprintf("svix-id: %s\nsvix-timestamp: 17\x1b[2J\a\r64\nsvix-signature: %s\n", id, sig),
			code: 1, want: `svix-timestamp is "17\x1b[2J\a\r64"`},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.secret == "" {
				tc.secret = secret
			}
			r := runCmd(t, "", "verify", "--secret", tc.secret, "--now", ts,
				"--headers", writeFile(t, "headers.txt", []byte(tc.headers)), writeFile(t, "body.json", body))
			require.Equal(t, tc.code, r.code, "stdout %q\nstderr %q", r.stdout, r.stderr)
			assert.Contains(t, r.stdout+r.stderr, tc.want)
			assertTerminalSafe(t, r.stdout)
			assertTerminalSafe(t, r.stderr)
		})
	}
}

// The library's message and the diagnosis state one skew the same way.
var (
	librarySkew   = regexp.MustCompile(`valid signature but (.+) (old|in the future) \(tolerance (.+)\)\n`)
	diagnosisSkew = regexp.MustCompile(`signed (.+) (before|after) --now; tolerance ([^ \n]+)`)
)

func TestVerifySkewText(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	body := compactFixture(t)
	const T = 1764331200
	for _, tc := range []struct {
		name      string
		signedAt  int64  // Unix seconds
		now       string // --now
		tolerance string
		code      int
		want, not string // in the cause line
	}{
		// time.Time.Sub saturates at the minimum Duration; negated, that
		// stays negative (the old -2562047h47m16.854775808s).
		{name: "far future", signedAt: 999999999999999999, now: "1764331200", code: 1,
			want: "signed more than 292 years after --now; tolerance 5m0s", not: "milliseconds"},
		{name: "far past, saturated", signedAt: 1, now: "999999999999999999", code: 1,
			want: "signed more than 292 years before --now; tolerance 5m0s"},
		{name: "timestamp 1", signedAt: 1, now: "1764331200", code: 1,
			want: "signed 490091h59m59s before --now; tolerance 5m0s"},
		{name: "0.4s, under a second: milliseconds", signedAt: T, now: "1764331200.4", tolerance: "100ms", code: 1,
			want: "signed 400ms before --now; tolerance 100ms"},
		{name: "1.6s: rounded to the second", signedAt: T, now: "1764331201.6", tolerance: "1s", code: 1,
			want: "signed 2s before --now; tolerance 1s"},
		{name: "1.6s in the future", signedAt: T, now: "1764331198.4", tolerance: "1s", code: 1,
			want: "signed 2s after --now; tolerance 1s"},
		{name: "exactly the tolerance", signedAt: T, now: "1764331500", code: 0},
		{name: "exactly the tolerance ahead", signedAt: T, now: "1764330900", code: 0},
		{name: "a second over the tolerance", signedAt: T, now: "1764331501", code: 1,
			want: "signed 5m1s before --now; tolerance 5m0s"},
		{name: "0.4s over the tolerance: seconds would hide it", signedAt: T, now: "1764331500.4", code: 1,
			want: "signed 5m0.4s before --now; tolerance 5m0s"},
		{name: "milliseconds timestamp", signedAt: T * 1000, now: "1764331200", code: 1,
			want: "signed more than 292 years after --now; tolerance 5m0s (the timestamp looks like milliseconds; Svix sends seconds)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			headers := writeFile(t, "h.txt", []byte(refHeaders(t, secret, "msg_skew", time.Unix(tc.signedAt, 0), body)))
			args := []string{"verify", "--secret", secret, "--now", tc.now, "--headers", headers, writeFile(t, "b.json", body)}
			if tc.tolerance != "" {
				args = append(args, "--tolerance", tc.tolerance)
			}
			r := runCmd(t, "", args...)
			require.Equal(t, tc.code, r.code, "stdout %q\nstderr %q", r.stdout, r.stderr)
			if tc.code == 0 {
				return
			}
			_, cause, ok := strings.Cut(r.stderr, "\ncause: ")
			require.True(t, ok, r.stderr)
			assert.Contains(t, cause, "the signature is valid but the timestamp is off: "+tc.want)
			if tc.not != "" {
				assert.NotContains(t, cause, tc.not)
			}
			lib, diag := librarySkew.FindStringSubmatch(r.stderr), diagnosisSkew.FindStringSubmatch(cause)
			if assert.NotNil(t, lib, r.stderr) && assert.NotNil(t, diag, cause) {
				assert.Equal(t, lib[1], diag[1], "skew")
				assert.Equal(t, lib[3], diag[3], "tolerance")
			}
		})
	}
}

func TestVerifyNowFlag(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"-5", "+5", "1.", ".5", "1.0000000001", "1e9", "soon", "1764331200,5"} {
		r := runCmd(t, "", "verify", "--secret", newTestSecret(t), "--now", bad, "--headers", "h.txt", "-")
		assert.Equal(t, 2, r.code, "--now %s: %s", bad, r.stderr)
	}
	var u unixTime
	require.NoError(t, u.Set("1764331200.25"))
	assert.Equal(t, unixTime{1764331200, 250000000}, u)
	assert.Equal(t, "1764331200.25", u.String())
}
