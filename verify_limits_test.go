package clerkwebhook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The edges of the Verifier: its options, the body limit in Verify and
// VerifyRequest, the timestamp syntax, how signature entries are counted,
// and the first buffer VerifyRequest allocates. Signatures come from the
// reference library.

// A value an option can never use panics where the option is made, naming
// the option and the value (the package's rule for configuration mistakes).
func TestOptionPanics(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		do   func()
		want string
	}{
		{func() { WithMaxBodyBytes(0) }, "clerkwebhook: WithMaxBodyBytes(0): the limit must be positive"},
		{func() { WithMaxBodyBytes(-1) }, "clerkwebhook: WithMaxBodyBytes(-1): the limit must be positive"},
		{func() { WithTolerance(0) }, "clerkwebhook: WithTolerance(0s): the tolerance must be positive"},
		{func() { WithTolerance(-time.Nanosecond) }, "clerkwebhook: WithTolerance(-1ns): the tolerance must be positive"},
		{func() { WithClock(nil) }, "clerkwebhook: WithClock(nil)"},
	} {
		assert.PanicsWithValue(t, tc.want, tc.do)
	}
	assert.NotPanics(t, func() { WithMaxBodyBytes(1); WithTolerance(time.Nanosecond); WithClock(time.Now) })
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		opts    []Option
		want    error
		message string
	}{
		{"first extra secret empty", []Option{WithSecrets("")}, ErrInvalidSecret,
			"additional secret 1: clerkwebhook: invalid signing secret: additional secret 1 is empty"},
		{"second extra secret empty", []Option{WithSecrets(otherSecret, "")}, ErrInvalidSecret,
			"additional secret 2: clerkwebhook: invalid signing secret: additional secret 2 is empty"},
		{"third extra secret too short", []Option{WithSecrets(otherSecret, otherSecret, "whsec_c2hvcnQ=")}, ErrInvalidSecret,
			"additional secret 3: clerkwebhook: invalid signing secret: it decodes to 5 bytes, fewer than the 16 required; is it truncated?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewVerifier(testSecret, tc.opts...)
			assert.Nil(t, v)
			require.ErrorIs(t, err, tc.want)
			assertOneSentinel(t, err)
			assert.Equal(t, tc.message, err.Error())
			var ve *VerificationError
			assert.False(t, errors.As(err, &ve), "a configuration error is not a VerificationError")
		})
	}
}

// Options after a nil one still apply; each is observed through Verify.
func TestOptionsApply(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "user.created.json")
	n := int64(len(body))
	for _, tc := range []struct {
		name   string
		opts   []Option
		secret string        // signs the delivery
		at     time.Duration // signature time relative to testNow
		body   []byte
		want   error
	}{
		{"defaults accept", nil, testSecret, 0, body, nil},
		{"nil then extra secret", []Option{nil, WithSecrets(otherSecret)}, otherSecret, 0, body, nil},
		{"without the extra secret", []Option{nil}, otherSecret, 0, body, ErrNoMatchingSignature},
		{"nil then tolerance accepts", []Option{nil, WithTolerance(time.Hour)}, testSecret, -59 * time.Minute, body, nil},
		{"default tolerance rejects", []Option{nil}, testSecret, -59 * time.Minute, body, ErrTimestampTooOld},
		{"nil then body limit rejects", []Option{nil, WithMaxBodyBytes(n - 1)}, testSecret, 0, body, ErrBodyTooLarge},
		{"body limit at the body's size accepts", []Option{WithMaxBodyBytes(n)}, testSecret, 0, body, nil},
		{"body limit of one byte", []Option{WithMaxBodyBytes(1)}, testSecret, 0, body, ErrBodyTooLarge},
		{"nil between options", []Option{WithMaxBodyBytes(n), nil, WithTolerance(time.Hour)}, testSecret, -59 * time.Minute, body, nil},
		{"later option wins", []Option{WithTolerance(time.Hour), WithTolerance(time.Minute)}, testSecret, -2 * time.Minute, body, ErrTimestampTooOld},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := append([]Option{WithClock(fixedClock(testNow))}, tc.opts...)
			v := mustVerifier(t, testSecret, opts...)
			h := signed(t, tc.secret, "msg_opt", testNow.Add(tc.at), tc.body)
			ev, err := v.Verify(tc.body, h)
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, "msg_opt", ev.ID)
				return
			}
			require.ErrorIs(t, err, tc.want)
			var ve *VerificationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.want, ve.Err)
			assert.Equal(t, "msg_opt", ve.MessageID)
		})
	}
}

// The limit applies in Verify itself, not only when VerifyRequest reads.
func TestVerifyBodyLimit(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "user.created.json")
	n := int64(len(body))
	h := signed(t, testSecret, "msg_limit", testNow, body)
	for _, tc := range []struct {
		name  string
		limit int64
		body  []byte
		want  error
	}{
		{"at the limit", n, body, nil},
		{"one byte over", n - 1, body, ErrBodyTooLarge},
		{"far over", 16, body, ErrBodyTooLarge},
		{"empty body under any limit", 1, nil, ErrNoMatchingSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := testVerifier(t, WithMaxBodyBytes(tc.limit))
			_, err := v.Verify(tc.body, h)
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
				var ve *VerificationError
				require.ErrorAs(t, err, &ve)
				assert.Equal(t, tc.want, ve.Err)
				assert.Equal(t, "msg_limit", ve.MessageID)
				if tc.want == ErrBodyTooLarge {
					assert.Equal(t, "clerkwebhook: body too large (limit "+strconv.FormatInt(tc.limit, 10)+" bytes)", err.Error())
					assert.False(t, ve.SignatureValid, "the signature is not checked")
					assert.Zero(t, ve.SignaturesTried)
				}
			}

			// VerifyRequest agrees, with and without a Content-Length.
			for _, cl := range []int64{int64(len(tc.body)), -1} {
				r := &http.Request{Method: http.MethodPost, Header: h, Body: io.NopCloser(bytes.NewReader(tc.body)), ContentLength: cl}
				_, err := v.VerifyRequest(r)
				if tc.want == nil {
					assert.NoError(t, err, "Content-Length %d", cl)
				} else {
					assert.ErrorIs(t, err, tc.want, "Content-Length %d", cl)
				}
			}
		})
	}
}

// VerifyRequest leaves an absent body absent.
func TestVerifyRequestKeepsNoBody(t *testing.T) {
	t.Parallel()
	v := testVerifier(t)
	h := signed(t, testSecret, "msg_nobody", testNow, nil)
	r := &http.Request{Method: http.MethodPost, Header: h}
	_, err := v.VerifyRequest(r)
	require.ErrorIs(t, err, ErrInvalidPayload)
	assert.Nil(t, r.Body)

	r = &http.Request{Method: http.MethodPost, Header: h, Body: http.NoBody}
	_, err = v.VerifyRequest(r)
	require.ErrorIs(t, err, ErrInvalidPayload)
	assert.Equal(t, http.NoBody, r.Body)
}

// firstRead records the size of the buffer the first Read is given.
type firstRead struct {
	r     io.Reader
	first int
	calls int
}

func (f *firstRead) Read(p []byte) (int, error) {
	if f.calls == 0 {
		f.first = len(p)
	}
	f.calls++
	return f.r.Read(p)
}

// The buffer allocated before any byte arrives is Content-Length+1 (room for
// the read that sees EOF), never more than firstReadSize, and firstReadSize
// when no length was declared.
func TestVerifyRequestFirstBuffer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cl   int64
		want int
	}{
		{"no Content-Length", -1, firstReadSize},
		{"zero", 0, 1},
		{"small", 10, 11},
		{"just under the first size", firstReadSize - 1, firstReadSize},
		{"at the first size", firstReadSize, firstReadSize},
		{"over the first size", firstReadSize + 5, firstReadSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := bytes.Repeat([]byte{'x'}, int(max(tc.cl, 100)))
			src := &firstRead{r: bytes.NewReader(body)}
			v := testVerifier(t)
			r := &http.Request{Method: http.MethodPost, Header: signed(t, testSecret, "msg_buf", testNow, body), Body: io.NopCloser(src), ContentLength: tc.cl}
			_, err := v.VerifyRequest(r)
			require.Error(t, err) // the body is signed but not an envelope, or cut short
			assert.Equal(t, tc.want, src.first)
		})
	}
}

func TestTimestampSyntax(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "user.created.json")
	for _, tc := range []struct {
		name string
		ts   string
		want error // after a valid signature over ts
	}{
		{"now", strconv.FormatInt(testNow.Unix(), 10), nil},
		{"a second before, with a nine", "1764331199", nil},
		{"zero", "0", ErrTimestampTooOld},
		{"one digit", "7", ErrTimestampTooOld},
		{"18 digits", "100000000000000000", ErrTimestampTooNew},
		{"19 digits", "1000000000000000000", ErrInvalidHeader},
		{"20 digits", "10000000000000000000", ErrInvalidHeader},
		{"two zeros", "00", ErrInvalidHeader},
		{"slash, just below '0'", "176433120/", ErrInvalidHeader},
		{"colon, just above '9'", "17643312:0", ErrInvalidHeader},
		{"letter", "1764331a00", ErrInvalidHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			h.Set("svix-id", "msg_ts")
			h.Set("svix-timestamp", tc.ts)
			// The reference library signs a time, so sign the exact text
			// through it only where the text is that time's decimal form.
			if n, err := strconv.ParseInt(tc.ts, 10, 64); err == nil && strconv.FormatInt(n, 10) == tc.ts {
				h.Set("svix-signature", refSign(t, testSecret, "msg_ts", time.Unix(n, 0), body))
			} else {
				h.Set("svix-signature", "v1,"+strings.Repeat("A", 43)+"=")
			}
			v := testVerifier(t)
			ev, err := v.Verify(body, h)
			if tc.want == nil {
				require.NoError(t, err)
				n, _ := strconv.ParseInt(tc.ts, 10, 64)
				assert.True(t, time.Unix(n, 0).Equal(ev.SignedAt))
				return
			}
			require.ErrorIs(t, err, tc.want)
			var ve *VerificationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.want, ve.Err)
			assert.Equal(t, "msg_ts", ve.MessageID)
			assert.Equal(t, "svix-timestamp", ve.Header)
			if tc.want == ErrInvalidHeader {
				assert.Equal(t, ReasonMalformedTimestamp, ve.Reason)
				assert.True(t, ve.SignedAt.IsZero())
				return
			}
			n, _ := strconv.ParseInt(tc.ts, 10, 64)
			assert.True(t, time.Unix(n, 0).Equal(ve.SignedAt), "SignedAt %v", ve.SignedAt)
			assert.True(t, ve.SignatureValid)
		})
	}
}

// What the signature check reports: v1 entries compared (each once, however
// many secrets), other and malformed entries skipped, and the reason.
func TestSignatureEntries(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "user.created.json")
	good := refSign(t, testSecret, "msg_sig", testNow, body)
	other := refSign(t, otherSecret, "msg_sig", testNow, body)
	third := "whsec_" + strings.Repeat("QUJD", 8)
	foreign := refSign(t, third, "msg_sig", testNow, body)
	for _, tc := range []struct {
		name       string
		extra      []string // WithSecrets
		sig        string
		ok         bool
		tried      int
		skipped    int
		reason     Reason
		message    string
		wantHeader string
	}{
		{name: "good", sig: good, ok: true},
		{name: "good after others", sig: "v1a,x v2,y v1,wrong " + good, ok: true},
		{name: "good before others", sig: good + " v1,wrong v1a,x", ok: true},
		{name: "folded with commas", sig: "v1,wrong, v1a,x, " + good, ok: true},
		{name: "second secret, good last", extra: []string{otherSecret}, sig: "v1,wrong v1a,x " + other, ok: true},
		{name: "second secret, good first", extra: []string{otherSecret}, sig: other + " v1,wrong", ok: true},
		{name: "first of three secrets", extra: []string{otherSecret, third}, sig: good, ok: true},
		{name: "third of three secrets", extra: []string{otherSecret, third}, sig: "v1,wrong " + foreign, ok: true},

		{name: "one wrong", sig: foreign, tried: 1, reason: ReasonSignatureMismatch,
			message: "clerkwebhook: no matching signature: tried 1 v1 signature(s)"},
		{name: "wrong under two secrets", extra: []string{otherSecret}, sig: foreign + " v1a,x", tried: 1, skipped: 1,
			reason: ReasonSignatureMismatch, message: "clerkwebhook: no matching signature: tried 1 v1 signature(s), skipped 1 other or malformed"},
		{name: "three wrong under three secrets", extra: []string{otherSecret, otherSecret}, sig: "v1,a v1,b v2,c " + foreign + " v1,d,e",
			tried: 3, skipped: 2, reason: ReasonSignatureMismatch},
		{name: "right length, wrong text", sig: "v1," + strings.Repeat("A", 43) + "=", tried: 1, reason: ReasonSignatureMismatch},
		{name: "good with a byte more", sig: good + "=", tried: 1, reason: ReasonSignatureMismatch},
		{name: "good with a byte less", sig: good[:len(good)-1], tried: 1, reason: ReasonSignatureMismatch},
		{name: "comma first in the signature", sig: "v1,," + strings.TrimPrefix(good, "v1,"), skipped: 1, reason: ReasonNoV1Signature,
			message: "clerkwebhook: no matching signature: tried 0 v1 signature(s), skipped 1 other or malformed"},
		{name: "comma inside the signature", sig: good + ",x", skipped: 1, reason: ReasonNoV1Signature},
		{name: "no comma", sig: "v1" + strings.TrimPrefix(good, "v1,"), skipped: 1, reason: ReasonNoV1Signature},
		{name: "only separators", sig: ", ,  ,", reason: ReasonNoV1Signature,
			message: "clerkwebhook: no matching signature: tried 0 v1 signature(s)"},
		{name: "other versions under two secrets", extra: []string{otherSecret}, sig: "v1a,x v2,y", skipped: 2, reason: ReasonNoV1Signature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := []Option{}
			if tc.extra != nil {
				opts = append(opts, WithSecrets(tc.extra...))
			}
			v := testVerifier(t, opts...)
			h := signed(t, testSecret, "msg_sig", testNow, body)
			h.Set("svix-signature", tc.sig)
			ev, err := v.Verify(body, h)
			if tc.ok {
				require.NoError(t, err)
				assert.Equal(t, "msg_sig", ev.ID)
				return
			}
			require.ErrorIs(t, err, ErrNoMatchingSignature)
			var ve *VerificationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, ErrNoMatchingSignature, ve.Err)
			assert.False(t, ve.SignatureValid)
			assert.Equal(t, tc.tried, ve.SignaturesTried, "tried")
			assert.Equal(t, tc.skipped, ve.SignaturesSkipped, "skipped")
			assert.Equal(t, tc.reason, ve.Reason)
			assert.Equal(t, "svix-signature", ve.Header)
			assert.Equal(t, "msg_sig", ve.MessageID)
			assert.True(t, testNow.Equal(ve.SignedAt))
			assert.Zero(t, ve.Skew)
			if tc.message != "" {
				assert.Equal(t, tc.message, err.Error())
			}
		})
	}
}

// A message id longer than the signing buffer signs and verifies the same.
func TestLongMessageID(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "user.created.json")
	v := testVerifier(t)
	// At 112, "msg_" + id + "." + timestamp + "." fills the 128-byte array.
	for _, n := range []int{1, 100, 111, 112, 113, 200, 5000} {
		id := "msg_" + strings.Repeat("x", n)
		for i := 0; i < 2; i++ { // the second reuses the pooled state
			ev, err := v.Verify(body, signed(t, testSecret, id, testNow, body))
			require.NoError(t, err, "id of %d bytes", len(id))
			assert.Equal(t, id, ev.ID)
		}
	}
}

func TestVerifierStringNil(t *testing.T) {
	t.Parallel()
	var v *Verifier
	assert.Equal(t, "clerkwebhook.Verifier(nil)", v.String())
	assert.Equal(t, "clerkwebhook.Verifier(nil)", fmt.Sprintf("%#v", v))
	assert.Equal(t, "clerkwebhook.Verifier{secrets: 1, tolerance: 1m0s}", mustVerifier(t, testSecret, WithTolerance(time.Minute)).String())
}

// The documented defaults, in the units the documentation uses.
func TestDefaults(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 5*time.Minute, DefaultTolerance)
	assert.Equal(t, 1<<20, DefaultMaxBodyBytes)
	assert.Equal(t, 16<<10, firstReadSize)
	v := mustVerifier(t, testSecret)
	assert.Equal(t, 5*time.Minute, v.tolerance)
	assert.Equal(t, int64(1<<20), v.maxBody)
}
