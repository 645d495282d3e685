package clerkwebhooktest_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
)

// The Standard Webhooks spec's test vector.
const (
	specSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = 1614265330
	specBody      = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

// webhookHeaders renames the svix-* headers to the webhook-* names the
// reference library reads.
func webhookHeaders(h http.Header) http.Header {
	out := http.Header{}
	out.Set(standardwebhooks.HeaderWebhookID, h.Get(clerkwebhook.HeaderSvixID))
	out.Set(standardwebhooks.HeaderWebhookTimestamp, h.Get(clerkwebhook.HeaderSvixTimestamp))
	out.Set(standardwebhooks.HeaderWebhookSignature, h.Get(clerkwebhook.HeaderSvixSignature))
	return out
}

func TestSignSpecVector(t *testing.T) {
	t.Parallel()
	h := clerkwebhooktest.Sign(specSecret, specID, time.Unix(specTimestamp, 0), []byte(specBody))
	assert.Equal(t, http.Header{
		"Svix-Id":        {specID},
		"Svix-Timestamp": {"1614265330"},
		"Svix-Signature": {specSignature},
	}, h)
}

func TestSignMatchesReference(t *testing.T) {
	t.Parallel()
	key32 := make([]byte, 32)
	for i := range key32 {
		key32[i] = byte(i)
	}
	secrets := []string{
		specSecret,
		strings.TrimPrefix(specSecret, "whsec_"), // the bare base64 part
		"whsec_" + base64.StdEncoding.EncodeToString(key32),                     // '=' padding
		base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb, 0xff}, 12)), // '+' and '/'
		clerkwebhooktest.NewSecret(),
	}
	ids := []string{specID, "msg_2ZrQkP9vT3xW8yB1cD4eF6gH7jK", "msg.with.dots"}
	times := []time.Time{
		time.Unix(specTimestamp, 0),
		clerkwebhooktest.FixtureTime(),
		time.Unix(1700000000, 999999999), // sub-second part dropped
		time.Unix(0, 0),
	}
	bodies := map[string][]byte{
		"spec":   []byte(specBody),
		"nil":    nil,
		"empty":  {},
		"binary": {0x00, 0xff, 0x80, '\n', '.', 0x7f, 0xc3, 0x28},
		"large":  bytes.Repeat([]byte(`{"k":"v"},`), 10000),
	}
	for _, secret := range secrets {
		ref, err := standardwebhooks.NewWebhook(secret)
		require.NoError(t, err)
		for _, id := range ids {
			for _, ts := range times {
				for name, body := range bodies {
					desc := fmt.Sprintf("id %s, ts %d, body %s", id, ts.Unix(), name)
					h := clerkwebhooktest.Sign(secret, id, ts, body)
					want, err := ref.Sign(id, ts, body)
					require.NoError(t, err)
					assert.Equal(t, want, h.Get(clerkwebhook.HeaderSvixSignature), desc)
					assert.Equal(t, id, h.Get(clerkwebhook.HeaderSvixID), desc)
					assert.Equal(t, fmt.Sprint(ts.Unix()), h.Get(clerkwebhook.HeaderSvixTimestamp), desc)
					assert.NoError(t, ref.VerifyIgnoringTimestamp(body, webhookHeaders(h)), desc)
				}
			}
		}
	}
}

func TestSignVerifiesWithReferenceNow(t *testing.T) {
	t.Parallel()
	secret := clerkwebhooktest.NewSecret()
	ref, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	body := []byte(specBody)
	h := clerkwebhooktest.Sign(secret, specID, time.Now(), body)
	assert.NoError(t, ref.Verify(body, webhookHeaders(h)))
	assert.Error(t, ref.Verify([]byte(specBody+" "), webhookHeaders(h)), "a changed body must not verify")
}

func TestNewSecret(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		s := clerkwebhooktest.NewSecret()
		require.True(t, strings.HasPrefix(s, "whsec_"), s)
		require.Len(t, s, len("whsec_")+32)
		key, err := base64.StdEncoding.Strict().DecodeString(strings.TrimPrefix(s, "whsec_"))
		require.NoError(t, err)
		require.Len(t, key, 24)
		_, err = clerkwebhook.NewVerifier(s)
		require.NoError(t, err)
		require.False(t, seen[s], "NewSecret repeated a secret")
		seen[s] = true
	}
}

// badSecrets are secrets Sign must refuse, with the sentinel the failure
// wraps: the mistakes people make when pasting a secret.
var badSecrets = []struct {
	name   string
	secret string
	want   error
}{
	{"empty", "", clerkwebhook.ErrMissingSecret},
	{"prefix only", "whsec_", clerkwebhook.ErrInvalidSecret},
	{"truncated", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", clerkwebhook.ErrInvalidSecret},
	{"missing padding", "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", clerkwebhook.ErrInvalidSecret},
	{"trailing newline", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", clerkwebhook.ErrInvalidSecret},
	{"inner newline", "whsec_MfKQ9r8GKYqrTwjU\r\nPD8ILPZIo2LaLaSw", clerkwebhook.ErrInvalidSecret},
	{"space", "whsec_MfKQ9r8GKYqrTwjU PD8ILPZIo2LaLaSw", clerkwebhook.ErrInvalidSecret},
	{"url-safe alphabet", "whsec_Mf-Q9r8GKYqrTwjUPD8ILPZIo2LaLa_w", clerkwebhook.ErrInvalidSecret},
	{"quoted", `"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"`, clerkwebhook.ErrInvalidSecret},
	{"double prefix", "whsec_whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", clerkwebhook.ErrInvalidSecret},
	{"api key", "sk_test_4eC39HqLyjWDarjtT1zdp7dcXq9", clerkwebhook.ErrInvalidSecret},
	{"a signature", specSignature, clerkwebhook.ErrInvalidSecret},
}

// assertNoSecret checks that msg reveals neither the secret nor its key part.
func assertNoSecret(t *testing.T, msg, secret string) {
	t.Helper()
	for _, s := range []string{secret, strings.TrimSpace(strings.TrimPrefix(secret, "whsec_"))} {
		if len(s) >= 8 {
			assert.NotContains(t, msg, s, "the message reveals the secret")
		}
	}
}

func TestSignPanicsOnBadSecret(t *testing.T) {
	t.Parallel()
	for _, tc := range badSecrets {
		t.Run(tc.name, func(t *testing.T) {
			var recovered any
			func() {
				defer func() { recovered = recover() }()
				clerkwebhooktest.Sign(tc.secret, specID, time.Unix(specTimestamp, 0), []byte(specBody))
			}()
			require.NotNil(t, recovered, "Sign did not panic")
			err, ok := recovered.(error)
			require.True(t, ok, "panic value %T is not an error", recovered)
			assert.ErrorIs(t, err, tc.want)
			// The library's own message, not a second parser's.
			_, libErr := clerkwebhook.NewVerifier(tc.secret)
			require.Error(t, libErr)
			assert.Equal(t, "clerkwebhooktest.Sign: "+libErr.Error(), err.Error())
			assertNoSecret(t, err.Error(), tc.secret)
		})
	}
}

// fatalRecorder is a testing.TB whose Fatalf records the message and ends
// the calling goroutine, as the real one does.
type fatalRecorder struct {
	testing.TB
	fatal string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// callWithRecorder runs fn on its own goroutine with a fatalRecorder and
// reports what happened: the Fatalf message, whether fn returned, and any
// panic value.
func callWithRecorder(t *testing.T, fn func(tb testing.TB) *http.Request) (fatal string, req *http.Request, returned bool, panicked any) {
	rec := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { panicked = recover() }()
		req = fn(rec)
		returned = true
	}()
	<-done
	return rec.fatal, req, returned, panicked
}

func TestNewRequestFatalOnBadSecret(t *testing.T) {
	t.Parallel()
	for _, tc := range badSecrets {
		t.Run(tc.name, func(t *testing.T) {
			calls := map[string]func(tb testing.TB) *http.Request{
				"NewRequest": func(tb testing.TB) *http.Request {
					return clerkwebhooktest.NewRequest(tb, tc.secret, []byte(specBody))
				},
				"NewRequestAt": func(tb testing.TB) *http.Request {
					return clerkwebhooktest.NewRequestAt(tb, tc.secret, specID, time.Unix(specTimestamp, 0), []byte(specBody))
				},
			}
			for name, call := range calls {
				fatal, req, returned, panicked := callWithRecorder(t, call)
				assert.Nil(t, panicked, "%s panicked", name)
				assert.False(t, returned, "%s returned after Fatalf", name)
				assert.Nil(t, req)
				assert.True(t, strings.HasPrefix(fatal, "clerkwebhooktest."+name+": "), "%s: Fatalf message %q", name, fatal)
				assertNoSecret(t, fatal, tc.secret)
			}
		})
	}
}

func TestNewRequestGoodSecretDoesNotFatal(t *testing.T) {
	t.Parallel()
	fatal, req, returned, panicked := callWithRecorder(t, func(tb testing.TB) *http.Request {
		return clerkwebhooktest.NewRequest(tb, specSecret, []byte(specBody))
	})
	assert.Empty(t, fatal)
	assert.True(t, returned)
	assert.Nil(t, panicked)
	assert.NotNil(t, req)
}

func TestNewRequestVerifies(t *testing.T) {
	t.Parallel()
	secret := clerkwebhooktest.NewSecret()
	body := clerkwebhooktest.Fixture(clerkwebhook.UserCreated)
	want := bytes.Clone(body)
	req := clerkwebhooktest.NewRequest(t, secret, body)
	for i := range body {
		body[i] = ' ' // the request holds its own copy
	}

	assert.Equal(t, http.MethodPost, req.Method)
	assert.Equal(t, "/", req.URL.Path)
	assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
	assert.Equal(t, int64(len(want)), req.ContentLength)
	id := req.Header.Get(clerkwebhook.HeaderSvixID)
	assert.True(t, strings.HasPrefix(id, "msg_"), id)

	v, err := clerkwebhook.NewVerifier(secret)
	require.NoError(t, err)
	ev, err := v.VerifyRequest(req)
	require.NoError(t, err)
	assert.Equal(t, clerkwebhook.UserCreated, ev.Type)
	assert.Equal(t, id, ev.ID)

	got, err := io.ReadAll(req.Body) // VerifyRequest puts the body back
	require.NoError(t, err)
	assert.Equal(t, want, got)
	ref, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	assert.NoError(t, ref.Verify(got, webhookHeaders(req.Header)))
}

func TestNewRequestFreshIDs(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		id := clerkwebhooktest.NewRequest(t, specSecret, []byte(specBody)).Header.Get(clerkwebhook.HeaderSvixID)
		require.False(t, seen[id], "repeated message id %s", id)
		seen[id] = true
	}
}

func TestNewRequestEmptyBody(t *testing.T) {
	t.Parallel()
	req := clerkwebhooktest.NewRequest(t, specSecret, nil)
	got, err := io.ReadAll(req.Body)
	require.NoError(t, err)
	assert.Empty(t, got)
	ref, err := standardwebhooks.NewWebhook(specSecret)
	require.NoError(t, err)
	assert.NoError(t, ref.Verify(got, webhookHeaders(req.Header)))
}

func TestNewRequestAt(t *testing.T) {
	t.Parallel()
	secret := clerkwebhooktest.NewSecret()
	const id = "msg_2ZrQkP9vT3xW8yB1cD4eF6gH7jK"
	ts := time.Date(2024, 3, 1, 9, 30, 15, 500_000_000, time.UTC)
	body := clerkwebhooktest.Fixture(clerkwebhook.SessionCreated)

	// A signature from 2024 is a replay to a verifier on the real clock...
	v, err := clerkwebhook.NewVerifier(secret)
	require.NoError(t, err)
	_, err = v.VerifyRequest(clerkwebhooktest.NewRequestAt(t, secret, id, ts, body))
	assert.ErrorIs(t, err, clerkwebhook.ErrTimestampTooOld)

	// ...and current to one whose clock is pinned near it.
	cases := []struct {
		name  string
		clock time.Time
		want  error
	}{
		{"at the signing time", ts, nil},
		{"4m later", ts.Add(4 * time.Minute), nil},
		{"6m later", ts.Add(6 * time.Minute), clerkwebhook.ErrTimestampTooOld},
		{"6m earlier", ts.Add(-6 * time.Minute), clerkwebhook.ErrTimestampTooNew},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := clerkwebhook.NewVerifier(secret, clerkwebhook.WithClock(clerkwebhooktest.FixedClock(tc.clock)))
			require.NoError(t, err)
			ev, err := v.VerifyRequest(clerkwebhooktest.NewRequestAt(t, secret, id, ts, body))
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, id, ev.ID)
			assert.Equal(t, clerkwebhook.SessionCreated, ev.Type)
			assert.True(t, ev.SignedAt.Equal(ts.Truncate(time.Second)), "SignedAt %v", ev.SignedAt)
		})
	}

	req := clerkwebhooktest.NewRequestAt(t, secret, id, ts, body)
	assert.Equal(t, "1709285415", req.Header.Get(clerkwebhook.HeaderSvixTimestamp))
	ref, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	assert.NoError(t, ref.VerifyIgnoringTimestamp(body, webhookHeaders(req.Header)))
	assert.ErrorIs(t, ref.Verify(body, webhookHeaders(req.Header)), standardwebhooks.ErrMessageTooOld)
}

func TestFixedClock(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 11, 28, 12, 0, 0, 0, time.UTC)
	clock := clerkwebhooktest.FixedClock(at)
	first := clock()
	for wall := time.Now(); !time.Now().After(wall); { // until the real clock has moved on
	}
	assert.True(t, first.Equal(at))
	assert.True(t, clock().Equal(at))
}

func TestSignedRejectionsForNegativeTests(t *testing.T) {
	t.Parallel()
	// Sign leaves times to the verifier, so tests can build stale and
	// malformed timestamps; an id it cannot sign is a mistake in the test.
	v, err := clerkwebhook.NewVerifier(specSecret)
	require.NoError(t, err)
	body := clerkwebhooktest.Fixture(clerkwebhook.UserCreated)
	assert.PanicsWithError(t, "clerkwebhooktest.Sign: clerkwebhook: invalid webhook header: the message id must be non-empty, without spaces or control characters",
		func() { clerkwebhooktest.Sign(specSecret, "", time.Now(), body) })
	_, err = v.Verify(body, clerkwebhooktest.Sign(specSecret, specID, time.Unix(-5, 0), body))
	assert.ErrorIs(t, err, clerkwebhook.ErrInvalidHeader)
	_, err = v.Verify(body, clerkwebhooktest.Sign(clerkwebhooktest.NewSecret(), specID, time.Now(), body))
	assert.True(t, errors.Is(err, clerkwebhook.ErrNoMatchingSignature), "another secret: %v", err)
}
