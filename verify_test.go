package clerkwebhook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook/internal/secretenv"
)

// The Verifier: the signature, the clock and the envelope (Verify), the
// options and their failure modes, concurrency, allocations and a fuzz
// target; then VerifyRequest, which reads the body off an *http.Request.

// The Standard Webhooks spec's published example, recomputed with the
// reference library in the fact sheet. It pins the signed-content format
// independently of both implementations.
func TestVerifySpecVector(t *testing.T) {
	t.Parallel()
	body := []byte(`{"test": 2432232314}`)
	h := http.Header{}
	h.Set("svix-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("svix-timestamp", "1614265330")
	h.Set("svix-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	v := mustVerifier(t, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", WithClock(fixedClock(time.Unix(1614265330, 0))))

	_, err := v.Verify(body, h)
	// The vector's body is not a Clerk envelope: the signature passes and
	// the payload check is what fails, which proves the signature matched.
	require.ErrorIs(t, err, ErrInvalidPayload)
	var ve *VerificationError
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.SignatureValid)

	h.Set("svix-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE")
	_, err = v.Verify(body, h)
	assert.ErrorIs(t, err, ErrNoMatchingSignature, "unpadded base64 is not the same signature text")
}

func TestVerifyAcceptsGenuineDelivery(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "user.created.json")
	h := signed(t, testSecret, "msg_2pYq8XkJd3nF7sLw0ZrT5uVbC1e", testNow, body)
	v := mustVerifier(t, testSecret, WithClock(fixedClock(testNow)))

	ev, err := v.Verify(body, h)
	require.NoError(t, err)
	assert.Equal(t, "msg_2pYq8XkJd3nF7sLw0ZrT5uVbC1e", ev.ID)
	assert.Equal(t, UserCreated, ev.Type)
	assert.Equal(t, "event", ev.Object)
	assert.Equal(t, "ins_2Zt8vQ3kLmN4pR7sT9uW1xY5bC", ev.InstanceID)
	assert.True(t, testNow.Equal(ev.SignedAt))
	assert.NotZero(t, ev.Timestamp)
	assert.NotEmpty(t, ev.Attributes.HTTPRequest.ClientIP)
	assert.NotEmpty(t, ev.Attributes.HTTPRequest.UserAgent)
	require.NotEmpty(t, ev.Data)
	assert.Equal(t, byte('{'), ev.Data[0])
	assert.Equal(t, byte('}'), ev.Data[len(ev.Data)-1])
	assert.Contains(t, string(ev.Data), `"object": "user"`)
}

// mutation is one way a delivery can differ from a genuine one.
type mutation struct {
	name   string
	mutate func(body []byte, h http.Header) ([]byte, http.Header)
	opts   []Option
	want   error  // nil: accepted
	detail string // substring of the error message, if any
}

func setH(name, value string) func([]byte, http.Header) ([]byte, http.Header) {
	return func(b []byte, h http.Header) ([]byte, http.Header) { h.Set(name, value); return b, h }
}

func delH(name string) func([]byte, http.Header) ([]byte, http.Header) {
	return func(b []byte, h http.Header) ([]byte, http.Header) { h.Del(name); return b, h }
}

// resign replaces the signature with one the reference library makes over
// the (possibly changed) body and headers.
func resign(t *testing.T, secret string, body []byte, h http.Header) {
	ts, err := strconv.ParseInt(h.Get("svix-timestamp"), 10, 64)
	require.NoError(t, err)
	h.Set("svix-signature", refSign(t, secret, h.Get("svix-id"), time.Unix(ts, 0), body))
}

func TestVerifyTable(t *testing.T) {
	t.Parallel()
	const id = "msg_2pYq8XkJd3nF7sLw0ZrT5uVbC1e"
	base := readFixture(t, "session.created.json")
	good := refSign(t, testSecret, id, testNow, base)
	goodSig := strings.TrimPrefix(good, "v1,")
	atOffset := func(d time.Duration) func([]byte, http.Header) ([]byte, http.Header) {
		return func(b []byte, h http.Header) ([]byte, http.Header) {
			ts := testNow.Add(d)
			h.Set("svix-timestamp", strconv.FormatInt(ts.Unix(), 10))
			h.Set("svix-signature", refSign(t, testSecret, id, ts, b))
			return b, h
		}
	}
	withBody := func(body string) func([]byte, http.Header) ([]byte, http.Header) {
		return func(_ []byte, h http.Header) ([]byte, http.Header) {
			b := []byte(body)
			resign(t, testSecret, b, h)
			return b, h
		}
	}

	cases := []mutation{
		{name: "genuine", mutate: func(b []byte, h http.Header) ([]byte, http.Header) { return b, h }},

		// Header names and values.
		{name: "lowercase keys built by hand", mutate: func(b []byte, h http.Header) ([]byte, http.Header) {
			return b, http.Header{"svix-id": {h.Get("svix-id")}, "svix-timestamp": {h.Get("svix-timestamp")}, "svix-signature": {h.Get("svix-signature")}}
		}},
		{name: "upper-case keys built by hand", mutate: func(b []byte, h http.Header) ([]byte, http.Header) {
			return b, http.Header{"SVIX-ID": {h.Get("svix-id")}, "SVIX-TIMESTAMP": {h.Get("svix-timestamp")}, "SVIX-SIGNATURE": {h.Get("svix-signature")}}
		}},
		{name: "values padded with spaces", mutate: func(b []byte, h http.Header) ([]byte, http.Header) {
			for k := range h {
				h[k][0] = "  " + h[k][0] + "\t "
			}
			return b, h
		}},
		{name: "webhook-* family only", mutate: func(b []byte, h http.Header) ([]byte, http.Header) {
			return b, http.Header{"Webhook-Id": h["Svix-Id"], "Webhook-Timestamp": h["Svix-Timestamp"], "Webhook-Signature": h["Svix-Signature"]}
		}},
		{name: "incomplete svix set falls back to complete webhook set", mutate: func(b []byte, h http.Header) ([]byte, http.Header) {
			w := http.Header{"Webhook-Id": h["Svix-Id"], "Webhook-Timestamp": h["Svix-Timestamp"], "Webhook-Signature": h["Svix-Signature"]}
			w["Svix-Id"] = []string{"msg_other"}
			return b, w
		}},
		{name: "families are never mixed", mutate: func(b []byte, h http.Header) ([]byte, http.Header) {
			return b, http.Header{"Svix-Id": h["Svix-Id"], "Webhook-Timestamp": h["Svix-Timestamp"], "Webhook-Signature": h["Svix-Signature"]}
		}, want: ErrMissingHeader, detail: "webhook-id"},
		{name: "complete svix set wins over a webhook set", mutate: func(b []byte, h http.Header) ([]byte, http.Header) {
			h.Set("webhook-id", "msg_forged")
			h.Set("webhook-timestamp", "1")
			h.Set("webhook-signature", "v1,Zm9yZ2Vk")
			return b, h
		}},
		{name: "no headers", mutate: func(b []byte, _ http.Header) ([]byte, http.Header) { return b, http.Header{} },
			want: ErrMissingHeader, detail: "svix-id, svix-timestamp, svix-signature"},
		{name: "nil headers", mutate: func(b []byte, _ http.Header) ([]byte, http.Header) { return b, nil }, want: ErrMissingHeader},
		{name: "missing id", mutate: delH("svix-id"), want: ErrMissingHeader, detail: ": svix-id"},
		{name: "missing timestamp", mutate: delH("svix-timestamp"), want: ErrMissingHeader, detail: ": svix-timestamp"},
		{name: "missing signature", mutate: delH("svix-signature"), want: ErrMissingHeader, detail: ": svix-signature"},
		{name: "empty signature", mutate: setH("svix-signature", ""), want: ErrMissingHeader, detail: "svix-signature"},
		{name: "whitespace-only id", mutate: setH("svix-id", " \t "), want: ErrMissingHeader, detail: "svix-id"},
		{name: "two different ids", mutate: func(b []byte, h http.Header) ([]byte, http.Header) {
			h.Add("svix-id", "msg_other")
			return b, h
		}, want: ErrInvalidHeader, detail: "svix-id"},
		{name: "same id twice (lowercase and canonical keys)", mutate: func(b []byte, h http.Header) ([]byte, http.Header) {
			h["svix-id"] = []string{h.Get("svix-id")}
			return b, h
		}},

		// Signatures.
		{name: "rotation: wrong entry then right entry", mutate: setH("svix-signature", "v1,"+strings.Repeat("A", 43)+"= "+good)},
		{name: "right entry then wrong entry", mutate: setH("svix-signature", good+" v1,"+strings.Repeat("B", 43)+"=")},
		{name: "other versions are skipped", mutate: setH("svix-signature", "v1a,"+goodSig+" v2,"+goodSig), want: ErrNoMatchingSignature, detail: "skipped 2"},
		{name: "v1a before a good v1", mutate: setH("svix-signature", "v1a,"+goodSig+" "+good)},
		{name: "extra spaces between entries", mutate: setH("svix-signature", "v1,abc   "+good)},
		{name: "malformed entries", mutate: setH("svix-signature", "v1 , v1, ,,, v1,, v1,!!!! "+strings.Repeat(",", 50)), want: ErrNoMatchingSignature},
		{name: "signature without version", mutate: setH("svix-signature", goodSig), want: ErrNoMatchingSignature},
		{name: "uppercase version", mutate: setH("svix-signature", "V1,"+goodSig), want: ErrNoMatchingSignature},
		{name: "entry with trailing comma part", mutate: setH("svix-signature", good+",extra"), want: ErrNoMatchingSignature},
		{name: "tab-separated entries", mutate: setH("svix-signature", "v1,abc\t"+good), want: ErrNoMatchingSignature},
		{name: "signature with one flipped character", mutate: setH("svix-signature", "v1,"+flip(goodSig)), want: ErrNoMatchingSignature},
		{name: "wrong secret", mutate: func(b []byte, h http.Header) ([]byte, http.Header) {
			resign(t, otherSecret, b, h)
			return b, h
		}, want: ErrNoMatchingSignature, detail: "tried 1 v1 signature"},
		{name: "body with a trailing newline added", mutate: func(b []byte, h http.Header) ([]byte, http.Header) {
			return append(append([]byte(nil), b...), '\n'), h
		}, want: ErrNoMatchingSignature},
		{name: "body byte changed", mutate: func(b []byte, h http.Header) ([]byte, http.Header) {
			c := append([]byte(nil), b...)
			c[len(c)/2] ^= 0x01
			return c, h
		}, want: ErrNoMatchingSignature},
		{name: "different message id", mutate: setH("svix-id", "msg_replayed"), want: ErrNoMatchingSignature},
		{name: "empty body", mutate: func(_ []byte, h http.Header) ([]byte, http.Header) { return nil, h }, want: ErrNoMatchingSignature},
		{name: "secret rotation: signed with the added secret", mutate: func(b []byte, h http.Header) ([]byte, http.Header) {
			resign(t, otherSecret, b, h)
			return b, h
		}, opts: []Option{WithSecrets(otherSecret)}},
		{name: "secret rotation: wrong secret under two keys", mutate: func(b []byte, h http.Header) ([]byte, http.Header) {
			resign(t, "whsec_"+strings.Repeat("QUJD", 8), b, h)
			return b, h
		}, opts: []Option{WithSecrets(otherSecret)}, want: ErrNoMatchingSignature, detail: "tried 1 v1 signature"},

		// Timestamps.
		{name: "7m12s old", mutate: atOffset(-(7*time.Minute + 12*time.Second)), want: ErrTimestampTooOld, detail: "valid signature but 7m12s old"},
		{name: "6m in the future", mutate: atOffset(6 * time.Minute), want: ErrTimestampTooNew, detail: "6m0s in the future"},
		{name: "exactly tolerance old", mutate: atOffset(-5 * time.Minute)},
		{name: "exactly tolerance ahead", mutate: atOffset(5 * time.Minute)},
		{name: "one second past tolerance", mutate: atOffset(-5*time.Minute - time.Second), want: ErrTimestampTooOld},
		{name: "custom tolerance accepts", mutate: atOffset(-9 * time.Minute), opts: []Option{WithTolerance(10 * time.Minute)}},
		{name: "custom tolerance rejects", mutate: atOffset(-61 * time.Second), opts: []Option{WithTolerance(time.Minute)}, want: ErrTimestampTooOld},
		{name: "forged and stale: signature error wins", mutate: func(b []byte, h http.Header) ([]byte, http.Header) {
			h.Set("svix-timestamp", strconv.FormatInt(testNow.Add(-time.Hour).Unix(), 10))
			return b, h
		}, want: ErrNoMatchingSignature},
		{name: "exponent timestamp", mutate: setH("svix-timestamp", "1.7e9"), want: ErrInvalidHeader, detail: "svix-timestamp"},
		{name: "fractional timestamp", mutate: setH("svix-timestamp", "1764331200.5"), want: ErrInvalidHeader},
		{name: "hex timestamp", mutate: setH("svix-timestamp", "0x6929e740"), want: ErrInvalidHeader},
		{name: "signed timestamp", mutate: setH("svix-timestamp", "+1764331200"), want: ErrInvalidHeader},
		{name: "negative timestamp", mutate: setH("svix-timestamp", "-1"), want: ErrInvalidHeader},
		{name: "leading zero", mutate: setH("svix-timestamp", "01764331200"), want: ErrInvalidHeader},
		{name: "overflowing timestamp", mutate: setH("svix-timestamp", "99999999999999999999999"), want: ErrInvalidHeader},
		{name: "timestamp in milliseconds", mutate: func(b []byte, h http.Header) ([]byte, http.Header) {
			ms := testNow.UnixMilli()
			h.Set("svix-timestamp", strconv.FormatInt(ms, 10))
			h.Set("svix-signature", refSign(t, testSecret, id, time.Unix(ms, 0), b))
			return b, h
		}, want: ErrTimestampTooNew},
		{name: "timestamp with inner space", mutate: setH("svix-timestamp", "1764 331200"), want: ErrInvalidHeader},

		// Payloads: the signature is valid, the body is not an envelope.
		{name: "not JSON", mutate: withBody("hello"), want: ErrInvalidPayload},
		{name: "JSON array", mutate: withBody(`[{"type":"user.created","data":{}}]`), want: ErrInvalidPayload, detail: "not a JSON object"},
		{name: "no type", mutate: withBody(`{"data":{}}`), want: ErrInvalidPayload, detail: `no "type"`},
		{name: "numeric type", mutate: withBody(`{"type":7,"data":{}}`), want: ErrInvalidPayload, detail: `"type" is not a string`},
		{name: "empty type", mutate: withBody(`{"type":"","data":{}}`), want: ErrInvalidPayload},
		{name: "no data", mutate: withBody(`{"type":"user.created"}`), want: ErrInvalidPayload, detail: `no "data"`},
		{name: "data is an array", mutate: withBody(`{"type":"user.created","data":[]}`), want: ErrInvalidPayload},
		{name: "duplicate type", mutate: withBody(`{"type":"user.created","data":{},"type":"user.deleted"}`), want: ErrInvalidPayload, detail: "duplicate"},
		{name: "trailing garbage", mutate: withBody(`{"type":"user.created","data":{}} x`), want: ErrInvalidPayload},
		{name: "malformed data", mutate: withBody(`{"type":"user.created","data":{"a":tru}}`), want: ErrInvalidPayload},
		{name: "fractional body timestamp", mutate: withBody(`{"type":"user.created","data":{},"timestamp":1.5}`), want: ErrInvalidPayload},
		{name: "minimal envelope", mutate: withBody(`{"type":"user.created","data":{}}`)},
		{name: "unknown top-level keys ignored", mutate: withBody(`{"type":"user.created","data":{},"extra":[1,{"x":null}],"event_attributes":{"http_request":{"client_ip":"","user_agent":"","more":true},"other":1}}`)},
		{name: "unknown event type passes", mutate: withBody(`{"type":"agentTask.created","data":{"id":"x"}}`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := signed(t, testSecret, id, testNow, base)
			body := append([]byte(nil), base...)
			body, h = tc.mutate(body, h)
			v := mustVerifier(t, testSecret, append([]Option{WithClock(fixedClock(testNow))}, tc.opts...)...)
			ev, err := v.Verify(body, h)
			if tc.want == nil {
				require.NoError(t, err)
				assert.NotEmpty(t, ev.ID)
				assert.NotEmpty(t, ev.Type)
				return
			}
			require.ErrorIs(t, err, tc.want)
			assert.Equal(t, Event{}, ev, "a rejected delivery returns no event")
			var ve *VerificationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.want, ve.Err)
			if tc.detail != "" {
				assert.Contains(t, err.Error(), tc.detail)
			}
			authentic := errors.Is(err, ErrTimestampTooOld) || errors.Is(err, ErrTimestampTooNew) || errors.Is(err, ErrInvalidPayload)
			assert.Equal(t, authentic, ve.SignatureValid)
			assert.NotContains(t, err.Error(), strings.TrimPrefix(testSecret, "whsec_"))
		})
	}
}

func flip(sig string) string {
	b := []byte(sig)
	if b[5] == 'A' {
		b[5] = 'B'
	} else {
		b[5] = 'A'
	}
	return string(b)
}

func TestVerificationErrorDetail(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "user.created.json")
	signedAt := testNow.Add(-(7*time.Minute + 12*time.Second))
	h := signed(t, testSecret, "msg_old", signedAt, body)
	v := mustVerifier(t, testSecret, WithClock(fixedClock(testNow)))

	_, err := v.Verify(body, h)
	var ve *VerificationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "msg_old", ve.MessageID)
	assert.Equal(t, 7*time.Minute+12*time.Second, ve.Skew)
	assert.True(t, signedAt.Equal(ve.SignedAt))
	assert.True(t, ve.SignatureValid)
	assert.Equal(t, 1, ve.SignaturesTried)
	assert.Equal(t, "clerkwebhook: timestamp too old: valid signature but 7m12s old (tolerance 5m0s)", err.Error())

	// A forged signature on a stale message still reports the skew for logs.
	h.Set("svix-signature", "v1,"+strings.Repeat("A", 43)+"= v1a,xyz")
	_, err = v.Verify(body, h)
	require.ErrorAs(t, err, &ve)
	assert.False(t, ve.SignatureValid)
	assert.Equal(t, 7*time.Minute+12*time.Second, ve.Skew)
	assert.Equal(t, 1, ve.SignaturesTried)
	assert.Equal(t, 1, ve.SignaturesSkipped)
	assert.Equal(t, "clerkwebhook: no matching signature: tried 1 v1 signature(s), skipped 1 other or malformed", err.Error())
}

func TestZeroAndNilVerifierFailClosed(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "user.created.json")
	h := signed(t, testSecret, "msg_1", time.Now(), body)
	var zero Verifier
	_, err := zero.Verify(body, h)
	assert.ErrorIs(t, err, ErrMissingSecret)
	var nilV *Verifier
	_, err = nilV.Verify(body, h)
	assert.ErrorIs(t, err, ErrMissingSecret)
}

func TestOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opt  Option
		want error
	}{
		{"empty extra secret", WithSecrets(otherSecret, ""), ErrInvalidSecret},
		{"API key as extra secret", WithSecrets("sk_live_abcdefghijklmnopqrstuvwxyz"), ErrInvalidSecret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewVerifier(testSecret, tc.opt)
			assert.Nil(t, v)
			assert.ErrorIs(t, err, tc.want)
		})
	}
	_, err := NewVerifier(testSecret, WithSecrets(otherSecret, "whsec_short"))
	assert.ErrorContains(t, err, "additional secret 2")
	_, err = NewVerifier(testSecret, nil)
	assert.NoError(t, err, "a nil option is ignored")
}

func TestPackageVerifyReadsEnvironment(t *testing.T) {
	body := readFixture(t, "user.created.json")
	h := signed(t, otherSecret, "msg_env", time.Now(), body)

	t.Setenv(EnvSigningSecret, "")
	t.Setenv(EnvSecret, "")
	_, err := Verify(body, h)
	assert.ErrorIs(t, err, ErrMissingSecret)
	assert.ErrorContains(t, err, EnvSigningSecret)

	t.Setenv(EnvSecret, otherSecret)
	ev, err := Verify(body, h)
	require.NoError(t, err, "falls back to CLERK_WEBHOOK_SECRET")
	assert.Equal(t, "msg_env", ev.ID)

	t.Setenv(EnvSigningSecret, testSecret)
	_, err = Verify(body, h)
	assert.ErrorIs(t, err, ErrNoMatchingSignature, "CLERK_WEBHOOK_SIGNING_SECRET takes precedence")

	t.Setenv(EnvSigningSecret, "sk_test_notasecret0000000000")
	_, err = Verify(body, h)
	assert.ErrorIs(t, err, ErrInvalidSecret)
	assert.ErrorContains(t, err, EnvSigningSecret)
	assert.NotContains(t, err.Error(), "notasecret")

	t.Setenv(EnvSigningSecret, otherSecret)
	_, err = Verify(body, h)
	assert.NoError(t, err, "a changed variable is re-read")
}

func TestVerifierNeverPrintsKeys(t *testing.T) {
	t.Parallel()
	v := mustVerifier(t, testSecret, WithSecrets(otherSecret))
	key, err := parseSecret(testSecret)
	require.NoError(t, err)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		out := fmt.Sprintf(verb, v)
		assert.Equal(t, "clerkwebhook.Verifier{secrets: 2, tolerance: 5m0s}", out, verb)
		out = fmt.Sprintf(verb, *v) // a copy of the struct, not the pointer
		assert.NotContains(t, out, string(key), verb)
		assert.NotContains(t, out, fmt.Sprintf("%x", key), verb)
		assert.NotContains(t, out, strings.TrimPrefix(testSecret, "whsec_"), verb)
	}
}

// One Verifier shared by many goroutines, under -race.
func TestVerifyConcurrent(t *testing.T) {
	t.Parallel()
	v := mustVerifier(t, testSecret, WithSecrets(otherSecret), WithClock(fixedClock(testNow)))
	names := []string{"user.created.json", "session.created.json", "organization.created.json", "email.created.json"}
	type delivery struct {
		body []byte
		h    http.Header
		ok   bool
	}
	var ds []delivery
	for i, n := range names {
		b := readFixture(t, n)
		secret := testSecret
		if i%2 == 1 {
			secret = otherSecret
		}
		ds = append(ds, delivery{b, signed(t, secret, fmt.Sprintf("msg_%d", i), testNow, b), true})
		forged := signed(t, "whsec_"+strings.Repeat("Zm9v", 8), fmt.Sprintf("msg_f%d", i), testNow, b)
		ds = append(ds, delivery{b, forged, false})
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				d := ds[(g+i)%len(ds)]
				_, err := v.Verify(d.body, d.h)
				if d.ok != (err == nil) {
					t.Errorf("delivery %d: ok=%v err=%v", (g+i)%len(ds), d.ok, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

func TestVerifyAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under -race; the plain go test run checks this")
	}
	v := mustVerifier(t, testSecret, WithClock(fixedClock(testNow)))
	for _, body := range [][]byte{readFixture(t, "user.created.json"), largeBody(t, 300<<10)} {
		h := signed(t, testSecret, "msg_alloc", testNow, body)
		allocs := testing.AllocsPerRun(50, func() {
			if _, err := v.Verify(body, h); err != nil {
				t.Fatal(err)
			}
		})
		assert.LessOrEqual(t, allocs, 2.0, "allocations per Verify for a %d-byte body", len(body))
	}
}

// FuzzVerify: no input panics, every error is a *VerificationError wrapping
// a sentinel, and nothing is accepted unless one of its v1 entries is the
// signature the reference library computes under the secret, which the
// fuzzer does not know.
func FuzzVerify(f *testing.F) {
	body := readFixture(f, "user.created.json")
	genuine := signed(f, testSecret, "msg_fuzz", testNow, body)
	ts := strconv.FormatInt(testNow.Unix(), 10)
	f.Add(body, "msg_fuzz", ts, genuine.Get("svix-signature"), false)
	f.Add(body, "msg_fuzz", ts, "v1a,abc v1,"+strings.Repeat("A", 43)+"= "+genuine.Get("svix-signature"), true)
	f.Add([]byte(`{"type":"x","data":{}}`), "msg_1", "1764331200", "v1,", false)
	f.Add([]byte{}, "", "", "", true)
	v := mustVerifier(f, testSecret)
	f.Fuzz(func(t *testing.T, body []byte, id, ts, sig string, lowercase bool) {
		h := http.Header{"Svix-Id": {id}, "Svix-Timestamp": {ts}, "Svix-Signature": {sig}}
		if lowercase {
			h = http.Header{"svix-id": {id}, "svix-timestamp": {ts}, "svix-signature": {sig}}
		}
		// Put the clock at the message's own time, so that only the
		// signature stands between the fuzzer and acceptance.
		clock := testNow
		if n, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64); err == nil && n > 0 && n < 1<<40 {
			clock = time.Unix(n, 0)
		}
		vv := *v // a copy with another clock; the key pools are shared by pointer
		vv.now = fixedClock(clock)
		_, err := vv.Verify(body, h)
		if err != nil {
			var ve *VerificationError
			require.ErrorAs(t, err, &ve)
			require.Error(t, ve.Err)
		}
		if authenticated(err) {
			want := refSign(t, testSecret, strings.TrimSpace(id), clock, body)
			require.Contains(t, strings.Fields(sig), want, "accepted a delivery without its genuine signature")
		}
	})
}

// A verified Event owns its memory: a server that reuses its body buffer (as
// fasthttp does) must not see the event change under it.
func TestVerifiedEventOwnsItsMemory(t *testing.T) {
	t.Parallel()
	escaped := []byte(`{"type":"user.created","object":"ev\u0065nt","instance_id":"ins_\u0041bc",` +
		`"event_attributes":{"http_request":{"client_ip":"203.0.113.7","user_agent":"Mozilla\/5.0"}},` +
		`"timestamp":1764331200000,"data":{"id":"user_escaped","object":"user"}}`)
	for _, name := range []string{"user.created.json", "unknown.future.json", "session.created.json"} {
		t.Run(name, func(t *testing.T) { checkOwnership(t, readFixture(t, name)) })
	}
	t.Run("escaped strings", func(t *testing.T) { checkOwnership(t, escaped) })
}

func checkOwnership(t *testing.T, body []byte) {
	v := mustVerifier(t, testSecret, WithClock(fixedClock(testNow)))
	h := signed(t, testSecret, "msg_own", testNow, body)
	buf := bytes.Clone(body)
	ev, err := v.Verify(buf, h)
	require.NoError(t, err)
	want := ev
	want.Data = bytes.Clone(ev.Data)
	wantPayload, err := ev.Payload()
	require.NoError(t, err)

	// The next request lands in the same buffer: same length, other ids
	// ("user_EVIL..."), still valid JSON.
	copy(buf, bytes.ReplaceAll(body, []byte("_"), []byte("E")))

	assert.Equal(t, want, ev, "a field changed with the caller's buffer")
	gotPayload, err := ev.Payload()
	require.NoError(t, err, "the accessor failed after the caller reused its buffer")
	assert.Equal(t, wantPayload, gotPayload)
}

// The names the package documents are the ones it reads.
func TestEnvironmentNames(t *testing.T) {
	t.Parallel()
	assert.Equal(t, secretenv.Primary, EnvSigningSecret)
	assert.Equal(t, secretenv.Fallback, EnvSecret)
}

// --- VerifyRequest ---

// VerifyRequest puts the body back: code after it reads the same bytes.
func TestVerifyRequestRestoresBody(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "user.created.json")
	v := testVerifier(t)
	for _, tc := range []struct {
		name    string
		secret  string
		chunked bool
		wantErr error
	}{
		{"verified", testSecret, false, nil},
		{"verified, chunked", testSecret, true, nil},
		{"rejected", otherSecret, false, ErrNoMatchingSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var src io.Reader = bytes.NewReader(body)
			if tc.chunked {
				src = struct{ io.Reader }{src}
			}
			r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", src)
			if tc.chunked {
				// As net/http hands on a chunked body: no Content-Length.
				r.ContentLength = -1
				r.TransferEncoding = []string{"chunked"}
			}
			for k, vals := range signed(t, tc.secret, "msg_restore", testNow, body) {
				r.Header[k] = vals
			}
			_, err := v.VerifyRequest(r)
			again, rerr := io.ReadAll(r.Body)
			if rerr != nil {
				err = errors.Join(err, rerr)
			}
			if tc.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.wantErr)
			}
			assert.Equal(t, body, again, "the body read after VerifyRequest differs")
		})
	}
}

func TestVerifyRequestNoBody(t *testing.T) {
	t.Parallel()
	v := testVerifier(t)
	for _, tc := range []struct {
		name string
		body io.ReadCloser
	}{
		{"nil Body", nil},
		{"http.NoBody", http.NoBody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Signed over the empty body: the signature holds, and the empty
			// body is then not an event.
			r := &http.Request{Method: http.MethodPost, Header: signed(t, testSecret, "msg_empty", testNow, nil), Body: tc.body}
			_, err := v.VerifyRequest(r)
			require.ErrorIs(t, err, ErrInvalidPayload)
			var ve *VerificationError
			require.ErrorAs(t, err, &ve)
			assert.True(t, ve.SignatureValid)

			r = &http.Request{Method: http.MethodPost, Header: http.Header{}, Body: tc.body}
			_, err = v.VerifyRequest(r)
			assert.ErrorIs(t, err, ErrMissingHeader)

			// A signature over a non-empty body does not match no body.
			r = &http.Request{Method: http.MethodPost, Header: signed(t, testSecret, "msg_empty", testNow, []byte(`{}`)), Body: tc.body}
			_, err = v.VerifyRequest(r)
			assert.ErrorIs(t, err, ErrNoMatchingSignature)
		})
	}
}

// An empty body gets its own reason through VerifyRequest too: a middleware
// that read r.Body first leaves the verifier nothing.
func TestVerifyRequestEmptyBody(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "user.created.json")
	r, err := http.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	require.NoError(t, err)
	r.Header = signed(t, testSecret, "msg_consumed", testNow, body)
	_, _ = io.ReadAll(r.Body) // what a body-parsing middleware does
	_, err = mustVerifier(t, testSecret, WithClock(fixedClock(testNow))).VerifyRequest(r)
	var ve *VerificationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, ReasonEmptyBody, ve.Reason)
	assert.Contains(t, err.Error(), "the body is empty (0 bytes); something consumed it before verification")
}

// VerifyRequest stops at the limit even with no Content-Length.
func TestVerifyRequestTooLarge(t *testing.T) {
	t.Parallel()
	const limit = 1024
	v := testVerifier(t, WithMaxBodyBytes(limit))
	header := signed(t, testSecret, "msg_big", testNow, []byte("x"))

	src := newEndless(1 << 40)
	r := &http.Request{Method: http.MethodPost, Header: header, Body: src, ContentLength: -1}
	_, err := v.VerifyRequest(r)
	require.ErrorIs(t, err, ErrBodyTooLarge)
	assert.LessOrEqual(t, src.produced.Load(), int64(limit+1))

	src = newEndless(1 << 40)
	r = &http.Request{Method: http.MethodPost, Header: header, Body: src, ContentLength: limit + 1}
	_, err = v.VerifyRequest(r)
	require.ErrorIs(t, err, ErrBodyTooLarge)
	assert.Zero(t, src.produced.Load(), "read although Content-Length was over the limit")

	var nilVerifier *Verifier
	_, err = nilVerifier.VerifyRequest(r)
	assert.ErrorIs(t, err, ErrMissingSecret)
}
