package clerkwebhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// packageSentinels is every sentinel the package exports, spelled out here
// so that adding one without a test of its paths is noticed in review.
var packageSentinels = []error{
	ErrMissingSecret, ErrInvalidSecret,
	ErrBodyTooLarge, ErrBodyIncomplete,
	ErrMissingHeader, ErrInvalidHeader, ErrNoMatchingSignature, ErrTimestampTooOld, ErrTimestampTooNew,
	ErrInvalidPayload, ErrWrongEventType,
	ErrForbiddenSource, ErrMethodNotAllowed, ErrInProgress, ErrLeaseExpired, ErrDeduplicator, ErrCallback, ErrPermanent, ErrQueue,
}

// assertOneSentinel checks the documented contract: err wraps exactly one of
// the package's sentinels. A CallbackError's own error is the app's, so only
// ErrCallback counts for it.
func assertOneSentinel(t *testing.T, err error) {
	t.Helper()
	var ce *CallbackError
	if errors.As(err, &ce) {
		assert.ErrorIs(t, err, ErrCallback)
		return
	}
	var hits []string
	for _, s := range packageSentinels {
		if errors.Is(err, s) {
			hits = append(hits, s.Error())
		}
	}
	assert.Len(t, hits, 1, "%v wraps %q", err, hits)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// TestErrorContract pins every exported error path outside the Handler (whose
// paths TestHandlerStatusContract pins): the sentinel it wraps, whether it
// is a *VerificationError, its Reason, and its message.
func TestErrorContract(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "user.created.json")
	at := func(d time.Duration) http.Header { return signed(t, testSecret, "msg_c", testNow.Add(d), body) }
	v := mustVerifier(t, testSecret, WithClock(fixedClock(testNow)), WithMaxBodyBytes(1<<16))
	verify := func(b []byte, h http.Header) error { _, err := v.Verify(b, h); return err }
	ambiguous := at(0)
	ambiguous["Svix-Id"] = []string{"msg_a", "msg_b"}
	malformed := at(0)
	malformed.Set("svix-timestamp", "01764331200")
	noV1 := at(0)
	noV1.Set("svix-signature", "v2,abc v1a,def")
	missing := at(0)
	missing.Del("svix-signature")
	sessionEvent := Event{ID: "msg_s", Type: SessionCreated, Data: []byte(`{"id":"sess_1"}`)}
	brokenUser := Event{ID: "msg_u", Type: UserCreated, Data: []byte(`{"id":42}`)}

	cases := []struct {
		name     string
		err      func() error
		sentinel error
		verr     bool // a *VerificationError
		reason   Reason
		message  string
	}{
		{"no secret", func() error { _, err := NewVerifier(""); return err }, ErrMissingSecret, false, "",
			"clerkwebhook: missing signing secret"},
		{"API key as secret", func() error { _, err := NewVerifier("sk_test_abc"); return err }, ErrInvalidSecret, false, "", ""},
		{"nil verifier", func() error { _, err := (*Verifier)(nil).Verify(body, at(0)); return err }, ErrMissingSecret, false, "",
			"clerkwebhook: missing signing secret"},
		{"too large", func() error { return verify(make([]byte, 1<<16+1), at(0)) }, ErrBodyTooLarge, true, "",
			"clerkwebhook: body too large (limit 65536 bytes)"},
		{"body incomplete", func() error {
			r := &http.Request{Method: http.MethodPost, Header: at(0), Body: io.NopCloser(failingReader{}), ContentLength: -1}
			_, err := v.VerifyRequest(r)
			return err
		}, ErrBodyIncomplete, false, "", "clerkwebhook: request body incomplete: unexpected EOF"},
		{"missing header", func() error { return verify(body, missing) }, ErrMissingHeader, true, "",
			"clerkwebhook: missing webhook header: svix-signature"},
		{"no headers", func() error { return verify(body, http.Header{}) }, ErrMissingHeader, true, "",
			"clerkwebhook: missing webhook header: svix-id, svix-timestamp, svix-signature"},
		{"malformed timestamp", func() error { return verify(body, malformed) }, ErrInvalidHeader, true, ReasonMalformedTimestamp,
			"clerkwebhook: invalid webhook header: svix-timestamp is not an integer number of seconds"},
		{"ambiguous id", func() error { return verify(body, ambiguous) }, ErrInvalidHeader, true, ReasonAmbiguousHeader,
			"clerkwebhook: invalid webhook header: svix-id has more than one distinct value"},
		{"wrong secret", func() error { return verify(body, signed(t, otherSecret, "msg_c", testNow, body)) },
			ErrNoMatchingSignature, true, ReasonSignatureMismatch, "clerkwebhook: no matching signature: tried 1 v1 signature(s)"},
		{"no v1 entry", func() error { return verify(body, noV1) }, ErrNoMatchingSignature, true, ReasonNoV1Signature,
			"clerkwebhook: no matching signature: tried 0 v1 signature(s), skipped 2 other or malformed"},
		{"empty body, signed for another", func() error { return verify(nil, at(0)) }, ErrNoMatchingSignature, true, ReasonEmptyBody,
			"clerkwebhook: no matching signature: the body is empty (0 bytes); something consumed it before verification"},
		{"empty body, signed empty", func() error { return verify(nil, signed(t, testSecret, "msg_c", testNow, nil)) },
			ErrInvalidPayload, true, ReasonEmptyBody, "clerkwebhook: invalid payload: the body is empty (0 bytes)"},
		{"too old", func() error { return verify(body, at(-7*time.Minute-12*time.Second)) }, ErrTimestampTooOld, true, "",
			"clerkwebhook: timestamp too old: valid signature but 7m12s old (tolerance 5m0s)"},
		{"too new", func() error { return verify(body, at(6*time.Minute)) }, ErrTimestampTooNew, true, "",
			"clerkwebhook: timestamp too new: valid signature but 6m0s in the future (tolerance 5m0s)"},
		{"invalid payload", func() error {
			b := []byte(`{"type":"user.created","data":[]}`)
			return verify(b, signed(t, testSecret, "msg_c", testNow, b))
		}, ErrInvalidPayload, true, "", `clerkwebhook: invalid payload ("data" is not a JSON object at byte 30)`},
		{"wrong accessor", func() error { _, err := sessionEvent.User(); return err }, ErrWrongEventType, false, "",
			"clerkwebhook: event carries another object: session.created carries Session data, not User data"},
		{"undecodable data", func() error { _, err := brokenUser.User(); return err }, ErrInvalidPayload, false, "", ""},
		{"lease taken over", func() error {
			m, clock := newTestDedup(t, time.Hour)
			old, cur := ClaimContext(context.Background()), ClaimContext(context.Background())
			_, _ = m.Claim(old, "msg_l")
			clock.advance(DefaultLease + time.Second)
			_, _ = m.Claim(cur, "msg_l")
			return m.Complete(old, "msg_l")
		}, ErrLeaseExpired, false, "", "clerkwebhook: claim lease expired and taken over: message msg_l"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.sentinel)
			assertOneSentinel(t, err)
			var ve *VerificationError
			assert.Equal(t, tc.verr, errors.As(err, &ve), "is a *VerificationError")
			if ve != nil {
				assert.Equal(t, tc.reason, ve.Reason)
				assert.Equal(t, tc.sentinel, ve.Err)
			}
			if tc.message != "" {
				assert.Equal(t, tc.message, err.Error())
			}
			assertNoSecretIn(t, err.Error(), testSecret)
		})
	}
}

// The skew figure: rounded to the second, or to the millisecond below one
// second, milliseconds kept where rounding would hide a rejection, and the
// saturated Duration named instead of printed.
func TestSkewInMessages(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "user.created.json")
	for _, tc := range []struct {
		name      string
		tolerance time.Duration
		now       time.Time // the signature is at testNow
		want      string
	}{
		{"rounded to the second", DefaultTolerance, testNow.Add(7*time.Minute + 12635414799), "7m13s old (tolerance 5m0s)"},
		{"just over the tolerance keeps milliseconds", DefaultTolerance, testNow.Add(5*time.Minute + 400*time.Millisecond), "5m0.4s old (tolerance 5m0s)"},
		{"below a second", 100 * time.Millisecond, testNow.Add(-400400 * time.Microsecond), "400ms in the future (tolerance 100ms)"},
		{"saturated past", DefaultTolerance, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), "more than 292 years old (tolerance 5m0s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := mustVerifier(t, testSecret, WithClock(fixedClock(tc.now)), WithTolerance(tc.tolerance))
			_, err := v.Verify(body, signed(t, testSecret, "msg_skew", testNow, body))
			require.Error(t, err)
			assert.True(t, strings.HasSuffix(err.Error(), "valid signature but "+tc.want), err.Error())
		})
	}

	// A timestamp centuries ahead: Sub saturates at the minimum Duration,
	// which must be neither negated nor printed.
	const farFuture = "999999999999999999"
	h := http.Header{}
	h.Set("svix-id", "msg_far")
	h.Set("svix-timestamp", farFuture)
	ts := time.Unix(999999999999999999, 0)
	h.Set("svix-signature", refSign(t, testSecret, "msg_far", ts, body))
	v := mustVerifier(t, testSecret, WithClock(fixedClock(testNow)))
	_, err := v.Verify(body, h)
	var ve *VerificationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, time.Duration(math.MinInt64), ve.Skew)
	assert.Equal(t, "clerkwebhook: timestamp too new: valid signature but more than 292 years in the future (tolerance 5m0s)", err.Error())
	assert.NotContains(t, err.Error(), "-")
}

// VerificationError.Header names the header concerned, which tells a
// diagnosis which family the verifier read.
func TestVerificationErrorHeader(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "user.created.json")
	v := mustVerifier(t, testSecret, WithClock(fixedClock(testNow)))
	webhook := func(h http.Header) http.Header {
		return http.Header{"Webhook-Id": h["Svix-Id"], "Webhook-Timestamp": h["Svix-Timestamp"], "Webhook-Signature": h["Svix-Signature"]}
	}
	for _, tc := range []struct {
		name string
		h    http.Header
		body []byte
		want string
	}{
		{"mismatch, svix", signed(t, otherSecret, "msg_h", testNow, body), body, "svix-signature"},
		{"mismatch, webhook", webhook(signed(t, otherSecret, "msg_h", testNow, body)), body, "webhook-signature"},
		{"too old", signed(t, testSecret, "msg_h", testNow.Add(-time.Hour), body), body, "svix-timestamp"},
		{"too new, webhook", webhook(signed(t, testSecret, "msg_h", testNow.Add(time.Hour), body)), body, "webhook-timestamp"},
		{"invalid payload", signed(t, testSecret, "msg_h", testNow, []byte(`[]`)), []byte(`[]`), ""},
	} {
		_, err := v.Verify(tc.body, tc.h)
		var ve *VerificationError
		require.ErrorAs(t, err, &ve, tc.name)
		assert.Equal(t, tc.want, ve.Header, tc.name)
	}
}

// VerificationError.Error on values built by hand, field by field: what
// each sentinel adds, and what an unset field leaves out.
func TestVerificationErrorMessages(t *testing.T) {
	t.Parallel()
	wrapped := func(sentinel error) error { return fmt.Errorf("context: %w", sentinel) }
	for _, tc := range []struct {
		name string
		ve   VerificationError
		want string
	}{
		{"missing, none named", VerificationError{Err: ErrMissingHeader},
			"clerkwebhook: missing webhook header"},
		{"missing, empty list", VerificationError{Err: ErrMissingHeader, Missing: []string{}},
			"clerkwebhook: missing webhook header"},
		{"missing, one", VerificationError{Err: ErrMissingHeader, Missing: []string{"svix-id"}},
			"clerkwebhook: missing webhook header: svix-id"},
		{"missing, two", VerificationError{Err: ErrMissingHeader, Missing: []string{"svix-id", "svix-signature"}},
			"clerkwebhook: missing webhook header: svix-id, svix-signature"},
		{"missing, wrapped sentinel", VerificationError{Err: wrapped(ErrMissingHeader), Missing: []string{"svix-id"}},
			"context: clerkwebhook: missing webhook header: svix-id"},
		{"invalid header, bare", VerificationError{Err: ErrInvalidHeader},
			"clerkwebhook: invalid webhook header"},
		{"invalid header, named", VerificationError{Err: ErrInvalidHeader, Header: "svix-id"},
			"clerkwebhook: invalid webhook header: svix-id"},
		{"invalid header, malformed", VerificationError{Err: ErrInvalidHeader, Header: "webhook-timestamp", Reason: ReasonMalformedTimestamp},
			"clerkwebhook: invalid webhook header: webhook-timestamp is not an integer number of seconds"},
		{"invalid header, ambiguous", VerificationError{Err: ErrInvalidHeader, Header: "svix-id", Reason: ReasonAmbiguousHeader},
			"clerkwebhook: invalid webhook header: svix-id has more than one distinct value"},
		{"invalid header, other reason", VerificationError{Err: ErrInvalidHeader, Header: "svix-id", Reason: ReasonEmptyBody},
			"clerkwebhook: invalid webhook header: svix-id"},
		{"too old", VerificationError{Err: ErrTimestampTooOld, Skew: 7 * time.Minute, Tolerance: 5 * time.Minute},
			"clerkwebhook: timestamp too old: valid signature but 7m0s old (tolerance 5m0s)"},
		{"too old, no skew", VerificationError{Err: ErrTimestampTooOld, Tolerance: 5 * time.Minute},
			"clerkwebhook: timestamp too old: valid signature but 0s old (tolerance 5m0s)"},
		{"too old, no tolerance", VerificationError{Err: ErrTimestampTooOld, Skew: 7 * time.Minute},
			"clerkwebhook: timestamp too old: valid signature but 7m0s old"},
		{"too old, negative tolerance", VerificationError{Err: ErrTimestampTooOld, Skew: 7 * time.Minute, Tolerance: -time.Second},
			"clerkwebhook: timestamp too old: valid signature but 7m0s old"},
		{"too old, a nanosecond of tolerance", VerificationError{Err: ErrTimestampTooOld, Skew: 2 * time.Second, Tolerance: time.Nanosecond},
			"clerkwebhook: timestamp too old: valid signature but 2s old (tolerance 0s)"},
		{"too new", VerificationError{Err: ErrTimestampTooNew, Skew: -6 * time.Minute, Tolerance: 5 * time.Minute},
			"clerkwebhook: timestamp too new: valid signature but 6m0s in the future (tolerance 5m0s)"},
		{"too new, a nanosecond ahead", VerificationError{Err: ErrTimestampTooNew, Skew: -time.Nanosecond},
			"clerkwebhook: timestamp too new: valid signature but 0s in the future"},
		{"too new, wrapped", VerificationError{Err: wrapped(ErrTimestampTooNew), Skew: -time.Hour, Tolerance: time.Minute},
			"context: clerkwebhook: timestamp too new: valid signature but 1h0m0s in the future (tolerance 1m0s)"},
		{"no match, nothing counted", VerificationError{Err: ErrNoMatchingSignature},
			"clerkwebhook: no matching signature: tried 0 v1 signature(s)"},
		{"no match, tried", VerificationError{Err: ErrNoMatchingSignature, SignaturesTried: 3},
			"clerkwebhook: no matching signature: tried 3 v1 signature(s)"},
		{"no match, one skipped", VerificationError{Err: ErrNoMatchingSignature, SignaturesTried: 1, SignaturesSkipped: 1},
			"clerkwebhook: no matching signature: tried 1 v1 signature(s), skipped 1 other or malformed"},
		{"no match, empty body", VerificationError{Err: ErrNoMatchingSignature, Reason: ReasonEmptyBody, SignaturesTried: 1, SignaturesSkipped: 2},
			"clerkwebhook: no matching signature: the body is empty (0 bytes); something consumed it before verification"},
		{"no match, empty body with detail", VerificationError{Err: ErrNoMatchingSignature, Reason: ReasonEmptyBody, Detail: "d"},
			"clerkwebhook: no matching signature: the body is empty (0 bytes); something consumed it before verification (d)"},
		{"payload, bare", VerificationError{Err: ErrInvalidPayload},
			"clerkwebhook: invalid payload"},
		{"payload, empty body", VerificationError{Err: ErrInvalidPayload, Reason: ReasonEmptyBody},
			"clerkwebhook: invalid payload: the body is empty (0 bytes)"},
		{"payload, other reason", VerificationError{Err: ErrInvalidPayload, Reason: ReasonSignatureMismatch},
			"clerkwebhook: invalid payload"},
		{"payload, detail", VerificationError{Err: ErrInvalidPayload, Detail: `no "type"`},
			`clerkwebhook: invalid payload (no "type")`},
		{"too large", VerificationError{Err: ErrBodyTooLarge, Detail: "limit 10 bytes", Missing: []string{"x"}, Header: "h", SignaturesSkipped: 1},
			"clerkwebhook: body too large (limit 10 bytes)"},
		{"another sentinel ignores the fields", VerificationError{Err: ErrInvalidSecret, Missing: []string{"x"}, Header: "h", Reason: ReasonAmbiguousHeader, Skew: time.Hour},
			"clerkwebhook: invalid signing secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ve := tc.ve
			assert.Equal(t, tc.want, ve.Error())
			var err error = &ve
			assert.ErrorIs(t, err, tc.ve.Err)
			assert.Equal(t, tc.ve.Err, errors.Unwrap(err))
		})
	}
}
