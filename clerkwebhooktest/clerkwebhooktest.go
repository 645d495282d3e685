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
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/ids"
)

// NewSecret returns a fresh random signing secret in the form Clerk issues:
// "whsec_" followed by the standard base64 encoding of 24 bytes from
// crypto/rand. clerkwebhook.NewVerifier accepts it. NewSecret panics only if
// crypto/rand fails, which on supported platforms it does not.
func NewSecret() string { return ids.NewSecret() }

// Sign is clerkwebhook.Sign for tests: it returns the three svix-* headers
// Clerk sends with body, and panics instead of returning an error, as
// httptest.NewRequest panics on a bad target: a bad secret or message id is
// a mistake in the test. The panic value is the library's own error (it
// wraps clerkwebhook.ErrMissingSecret, ErrInvalidSecret or
// ErrInvalidHeader), whose message never contains the secret.
//
// To build deliveries a verifier must reject, sign with another secret
// (NewSecret), at a time outside the tolerance, or change the headers or
// body after signing.
func Sign(secret, msgID string, ts time.Time, body []byte) http.Header {
	h, err := clerkwebhook.Sign(secret, msgID, ts, body)
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
	return newRequest(t, "NewRequest", secret, ids.NewMessageID(), time.Now(), body)
}

// NewRequestAt is NewRequest with a chosen message id and signing time, for
// tests of deduplication (the same msgID twice) and of the replay window
// (a ts more than clerkwebhook.DefaultTolerance from the verifier's clock;
// see FixedClock). On an empty or malformed secret or message id it calls
// t.Fatalf.
//
// The request's target is "/"; a handler mounted at another path on a mux
// can be called directly, or the test can set the request's URL.Path.
func NewRequestAt(t testing.TB, secret, msgID string, ts time.Time, body []byte) *http.Request {
	t.Helper()
	return newRequest(t, "NewRequestAt", secret, msgID, ts, body)
}

func newRequest(t testing.TB, caller, secret, msgID string, ts time.Time, body []byte) *http.Request {
	t.Helper()
	headers, err := clerkwebhook.Sign(secret, msgID, ts, body)
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
