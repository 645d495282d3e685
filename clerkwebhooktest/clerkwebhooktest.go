// Package clerkwebhooktest helps test code that receives Clerk webhooks, as
// net/http/httptest helps test HTTP handlers: it makes signing secrets, signs
// bodies the way Clerk (through Svix) does, builds signed requests, pins the
// verifier's clock, and ships one realistic payload per Clerk event type.
//
// A typical test of an application's own handler:
//
//	func TestUserCreated(t *testing.T) {
//		secret := clerkwebhooktest.NewSecret()
//		v, err := clerkwebhook.NewVerifier(secret)
//		if err != nil {
//			t.Fatal(err)
//		}
//		body := clerkwebhooktest.Fixture(clerkwebhook.UserCreated)
//		rec := httptest.NewRecorder()
//		myHandler(v).ServeHTTP(rec, clerkwebhooktest.NewRequest(t, secret, body))
//		// check rec.Code and the handler's effects
//	}
//
// The signatures this package makes are checked in its tests against the
// independent Standard Webhooks reference library.
package clerkwebhooktest

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
)

// secretPrefix starts every signing secret Clerk shows in its Dashboard.
const secretPrefix = "whsec_"

// NewSecret returns a fresh random signing secret in the form Clerk issues:
// "whsec_" followed by the standard base64 encoding of 24 bytes from
// crypto/rand. clerkwebhook.NewVerifier accepts it. NewSecret panics only if
// crypto/rand fails, which on supported platforms it does not.
func NewSecret() string {
	key := make([]byte, 24)
	if _, err := rand.Read(key); err != nil {
		panic("clerkwebhooktest.NewSecret: crypto/rand failed: " + err.Error())
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(key)
}

// Sign returns the three headers Clerk sends with body: svix-id (msgID),
// svix-timestamp (ts in Unix seconds; sub-second precision is dropped) and
// svix-signature ("v1," and the base64 HMAC-SHA256 of msgID, ts and body
// joined by dots). The key is the standard base64 after the optional
// "whsec_" prefix of secret, as in clerkwebhook.NewVerifier.
//
// Sign panics if secret is empty (the error wraps
// clerkwebhook.ErrMissingSecret) or is not standard base64 (it wraps
// clerkwebhook.ErrInvalidSecret), as httptest.NewRequest panics on a bad
// target: either is a mistake in the test. The panic value is an error whose
// message never contains the secret.
//
// Sign makes none of the verifier's other checks, so that tests can build
// deliveries it must reject: a key shorter than clerkwebhook.NewVerifier
// accepts is used as given, an empty msgID gives an empty svix-id
// (ErrMissingHeader), and a time before 1970 a negative timestamp
// (ErrInvalidHeader).
func Sign(secret, msgID string, ts time.Time, body []byte) http.Header {
	h, err := sign(secret, msgID, ts, body)
	if err != nil {
		panic(fmt.Errorf("clerkwebhooktest.Sign: %w", err))
	}
	return h
}

// NewRequest returns a POST request to "/" carrying a copy of body, with
// Content-Type: application/json and the svix-* headers of a signature made
// now under secret, with a fresh random message id of the form "msg_...".
// It is NewRequestAt with a new id and time.Now.
//
// On an empty or malformed secret NewRequest calls t.Fatalf (it never
// panics); the message never contains the secret.
func NewRequest(t testing.TB, secret string, body []byte) *http.Request {
	t.Helper()
	id, err := newMessageID()
	if err != nil {
		t.Fatalf("clerkwebhooktest.NewRequest: %v", err)
		return nil
	}
	return newRequest(t, "NewRequest", secret, id, time.Now(), body)
}

// NewRequestAt is NewRequest with a chosen message id and signing time, for
// tests of deduplication (the same msgID twice) and of the replay window
// (a ts more than clerkwebhook.DefaultTolerance from the verifier's clock;
// see FixedClock). On an empty or malformed secret it calls t.Fatalf.
//
// The request's target is "/"; a handler mounted at another path on a mux
// can be called directly, or the test can set the request's URL.Path.
func NewRequestAt(t testing.TB, secret, msgID string, ts time.Time, body []byte) *http.Request {
	t.Helper()
	return newRequest(t, "NewRequestAt", secret, msgID, ts, body)
}

func newRequest(t testing.TB, caller, secret, msgID string, ts time.Time, body []byte) *http.Request {
	t.Helper()
	headers, err := sign(secret, msgID, ts, body)
	if err != nil {
		t.Fatalf("clerkwebhooktest.%s: %v", caller, err)
		return nil // for a testing.TB whose Fatalf returns
	}
	// A copy, so that a test reusing its buffer cannot change a signed body.
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(bytes.Clone(body)))
	for name, values := range headers {
		req.Header[name] = values
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

// FixedClock returns a clock that always reads t, for
// clerkwebhook.WithClock, so that a request signed at t (with NewRequestAt
// or Sign) is current whenever the test runs.
func FixedClock(t time.Time) func() time.Time {
	return func() time.Time { return t }
}

// sign is Sign returning an error instead of panicking.
func sign(secret, msgID string, ts time.Time, body []byte) (http.Header, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return nil, err
	}
	seconds := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID + "." + seconds + "."))
	mac.Write(body)
	h := http.Header{}
	h.Set(clerkwebhook.HeaderSvixID, msgID)
	h.Set(clerkwebhook.HeaderSvixTimestamp, seconds)
	h.Set(clerkwebhook.HeaderSvixSignature, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return h, nil
}

// decodeSecret returns the HMAC key of a signing secret. No error text
// contains the secret or any part of it.
func decodeSecret(secret string) ([]byte, error) {
	if secret == "" {
		return nil, fmt.Errorf("%w: the secret is empty", clerkwebhook.ErrMissingSecret)
	}
	encoded := strings.TrimPrefix(secret, secretPrefix)
	if encoded == "" {
		return nil, fmt.Errorf("%w: nothing follows the whsec_ prefix", clerkwebhook.ErrInvalidSecret)
	}
	// The decoder skips '\r' and '\n' even in strict mode; a secret holding
	// them is a mistake (a line read from a file) that must not pass.
	key, err := base64.StdEncoding.Strict().DecodeString(encoded)
	if err != nil || strings.ContainsAny(encoded, "\r\n") {
		return nil, fmt.Errorf("%w: not standard base64 after the optional whsec_ prefix", clerkwebhook.ErrInvalidSecret)
	}
	return key, nil
}

// newMessageID returns a random id in Svix's "msg_" form.
func newMessageID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("crypto/rand failed: %w", err)
	}
	return "msg_" + hex.EncodeToString(b), nil
}
