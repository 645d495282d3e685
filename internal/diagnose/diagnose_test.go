package diagnose

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
)

// rejected is d with Err set to what the library says of it, as the
// command's verify and listen obtain it.
func rejected(d Delivery) Delivery {
	v, err := clerkwebhook.NewVerifier(d.Secret, clerkwebhook.WithTolerance(d.Tolerance),
		clerkwebhook.WithClock(func() time.Time { return d.Now }))
	if err == nil {
		_, err = v.Verify(d.Body, d.Header)
	}
	d.Err = err
	return d
}

// webhookFamily renames svix-* headers to the webhook-* family.
func webhookFamily(h http.Header) http.Header {
	out := http.Header{}
	for k, vs := range h {
		out[strings.Replace(k, "Svix-", "Webhook-", 1)] = vs
	}
	return out
}

// The diagnosis of deliveries the command's end-to-end tests do not reach:
// the webhook-* family, both orders of a mixed family, repairs that leave a
// second fault, and the defaults.
func TestCause(t *testing.T) {
	t.Parallel()
	secret := newTestSecret(t)
	signedAt := time.Unix(1764331200, 0)
	now := signedAt.Add(30 * time.Second)
	const id = "msg_2DiagnoseTest00000000000"
	body := compactFixture(t)
	signed := func(b []byte) http.Header { return refHeaders(t, secret, id, signedAt, b) }
	sig := signed(body).Get(clerkwebhook.HeaderSvixSignature)
	ts := signed(body).Get(clerkwebhook.HeaderSvixTimestamp)

	for _, tc := range []struct {
		name   string
		secret string          // default secret
		now    time.Time       // default now
		header http.Header     // default signed(body)
		body   []byte          // default body
		mutate func(*Delivery) // after verification, before Cause
		want   []string
		not    []string
	}{
		{name: "webhook family without its v1 prefix",
			header: webhookFamily(http.Header{"Svix-Id": {id}, "Svix-Timestamp": {ts}, "Svix-Signature": {strings.TrimPrefix(sig, "v1,")}}),
			want:   []string{`the webhook-signature header lacks its "v1," prefix: with it, the signature verifies`}},
		{name: "no v1 entry at all",
			header: http.Header{"Svix-Id": {id}, "Svix-Timestamp": {ts}, "Svix-Signature": {"v2,abc v1a,def"}},
			want:   []string{"the svix-signature header holds no v1,<base64> entry"}},
		{name: "mixed families, the webhook-* set the closer",
			header: http.Header{"Svix-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}},
			want:   []string{"mix the svix-* and webhook-* families (svix-id, webhook-timestamp, webhook-signature)", "as one family the delivery verifies"}},
		{name: "mixed families, the svix-* set the closer",
			header: http.Header{"Svix-Id": {id}, "Svix-Timestamp": {ts}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}},
			want:   []string{"(svix-id, svix-timestamp, webhook-signature)", "as one family the delivery verifies"}},
		{name: "webhook family, signature missing",
			header: http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}},
			want:   []string{"webhook-signature missing while the other signature headers are present"}},
		{name: "webhook family, stale", now: signedAt.Add(10 * time.Minute), header: webhookFamily(signed(body)),
			mutate: func(d *Delivery) { d.NowName = "the receiver's clock" },
			want:   []string{"the signature is valid but the timestamp is off: signed 10m0s before the receiver's clock; tolerance 5m0s"}},
		{name: "webhook timestamp malformed",
			header: http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {"+" + ts}, "Webhook-Signature": {sig}},
			want:   []string{`webhook-timestamp is "+1764331200", not plain Unix seconds`}},
		{name: "id twice", header: http.Header{"Svix-Id": {id, "msg_other"}, "Svix-Timestamp": {ts}, "Svix-Signature": {sig}},
			want: []string{"the svix-id header appears more than once with different values"}},
		{name: "CGI-style names",
			header: http.Header{"HTTP_SVIX_ID": {id}, "HTTP_SVIX_TIMESTAMP": {ts}, "HTTP_SVIX_SIGNATURE": {sig}},
			want:   []string{`"HTTP_SVIX_ID" for svix-id`, "under the standard names the delivery verifies"}},
		{name: "re-serialized and stale, default clock name", body: indented(t, body, "  "), now: signedAt.Add(time.Hour),
			want: []string{"its compact form verifies; also, it was signed 1h0m0s before the clock; tolerance 5m0s"}},
		{name: "quoted API key", secret: `"sk_test_4eC39HqLyjWDarjtT1zdp7dc"`,
			want: []string{"the signing secret, not the delivery: the library's message names the mistake; with surrounding quotes and whitespace removed, " +
				"the secret is still unusable: clerkwebhook: invalid signing secret: it looks like a Clerk API key (sk_/pk_)"}},
		{name: "quoted secret, stale delivery", secret: " '" + secret + "'\n", now: signedAt.Add(10 * time.Minute),
			want: []string{"the signing secret, not the delivery", "with surrounding quotes and whitespace removed, the secret is usable but the delivery still fails: " +
				"the signature is valid but the timestamp is off: signed 10m0s before"}},
		{name: "only quotes", secret: `""`,
			want: []string{"is still unusable: clerkwebhook: missing signing secret"}},
		{name: "empty body, webhook family", header: webhookFamily(signed(body)), body: []byte{},
			want: []string{"the body is empty (0 bytes)"}, not: []string{"wrong secret"}},
		// The repair is verified with the default tolerance, at the current
		// time, long after the fixture's.
		{name: "defaults: zero tolerance and clock", body: indented(t, body, "\t"),
			mutate: func(d *Delivery) { d.Tolerance, d.Now = 0, time.Time{} },
			want:   []string{"its compact form verifies; also, it was signed", "before the clock; tolerance 5m0s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Delivery{Secret: secret, Tolerance: clerkwebhook.DefaultTolerance, Now: now, Header: signed(body), Body: body}
			if tc.secret != "" {
				d.Secret = tc.secret
			}
			if !tc.now.IsZero() {
				d.Now = tc.now
			}
			if tc.header != nil {
				d.Header = tc.header
			}
			if tc.body != nil {
				d.Body = tc.body
			}
			d = rejected(d)
			require.Error(t, d.Err)
			if tc.mutate != nil {
				tc.mutate(&d)
			}
			cause := Cause(d)
			for _, w := range tc.want {
				assert.Contains(t, cause, w)
			}
			for _, w := range tc.not {
				assert.NotContains(t, cause, w)
			}
			assert.NotContains(t, cause, strings.TrimPrefix(secret, "whsec_"), "the secret must never appear")
		})
	}
}

// Cause reads the error's sentinel and fields, wherever the error was
// wrapped, and never its text.
func TestCauseReadsFieldsNotText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, "none: the delivery verifies"},
		{clerkwebhook.ErrMissingSecret, "no signing secret is configured"},
		{errors.New("clerkwebhook: no matching signature"), "not a verification failure: clerkwebhook: no matching signature"},
		{fmt.Errorf("proxy: %w", &clerkwebhook.VerificationError{Err: clerkwebhook.ErrInvalidHeader,
			Reason: clerkwebhook.ReasonAmbiguousHeader, Header: "webhook-id", Detail: "svix-id"}),
			"the webhook-id header appears more than once"},
		{&clerkwebhook.VerificationError{Err: clerkwebhook.ErrBodyTooLarge}, "the body is over the size limit"},
		{&clerkwebhook.VerificationError{Err: clerkwebhook.ErrInvalidPayload, SignatureValid: true}, "the signature is valid (Clerk sent it)"},
		{&clerkwebhook.VerificationError{Err: clerkwebhook.ErrNoMatchingSignature, Reason: clerkwebhook.ReasonEmptyBody,
			Detail: "wrong secret"}, "the body is empty (0 bytes)"},
		{&clerkwebhook.VerificationError{Err: clerkwebhook.ErrTimestampTooNew, SignedAt: time.Unix(1764331200000, 0),
			Skew: -time.Hour, Tolerance: time.Minute}, "signed 1h0m0s after --now; tolerance 1m0s (the timestamp looks like milliseconds; Svix sends seconds)"},
	} {
		cause := Cause(Delivery{Secret: newTestSecret(t), NowName: "--now", Header: http.Header{}, Body: []byte("{}"), Err: tc.err})
		assert.Contains(t, cause, tc.want, "%v", tc.err)
	}
}

func TestStandardNames(t *testing.T) {
	t.Parallel()
	h := http.Header{"X-Svix-Id": {"msg_1"}, "Svix_Timestamp ": {"1"}, "Content-Type": {"application/json"}}
	assert.Equal(t, http.Header{"Svix-Id": {"msg_1"}, "Svix-Timestamp": {"1"}, "Content-Type": {"application/json"}}, StandardNames(h))
	assert.Contains(t, h, "X-Svix-Id", "h itself is unchanged")

	// A standard name already present wins: nothing is overwritten.
	h = http.Header{"X-Svix-Id": {"msg_proxy"}, "svix-id": {"msg_1"}}
	assert.Equal(t, h, StandardNames(h))
}
