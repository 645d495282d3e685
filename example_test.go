package clerkwebhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// exampleSecret is a test secret (the Standard Webhooks spec's example).
const exampleSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

const exampleBody = `{"data":{"id":"user_2pYq8XkJd3nF7sLw0ZrT5uVbC1e","object":"user"},"event_attributes":{"http_request":{"client_ip":"203.0.113.7","user_agent":"Mozilla/5.0"}},"instance_id":"ins_2Zt8vQ3kLmN4pR7sT9uW1xY5bC","object":"event","timestamp":1764331200123,"type":"user.created"}`

// clerkDelivery builds the request Clerk would send, signed by the
// independent reference implementation at time at.
func clerkDelivery(secret, msgID string, at time.Time, body string) *http.Request {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		log.Fatal(err)
	}
	sig, err := wh.Sign(msgID, at, []byte(body))
	if err != nil {
		log.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewBufferString(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("svix-id", msgID)
	r.Header.Set("svix-timestamp", strconv.FormatInt(at.Unix(), 10))
	r.Header.Set("svix-signature", sig)
	return r
}

// A plain net/http handler: read the raw body with a size cap, verify, then
// act on the event. Mount it outside any authentication middleware (Clerk
// does not send a session) and before anything that parses the body.
func ExampleVerify() {
	os.Setenv("CLERK_WEBHOOK_SIGNING_SECRET", exampleSecret) // normally set in the deployment
	defer os.Unsetenv("CLERK_WEBHOOK_SIGNING_SECRET")

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		event, err := clerkwebhook.Verify(body, r.Header)
		if err != nil {
			http.Error(w, "invalid webhook", http.StatusBadRequest)
			return
		}
		fmt.Printf("%s %s from %s\n", event.Type, event.ID, event.InstanceID)
		w.WriteHeader(http.StatusOK)
	})

	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, clerkDelivery(exampleSecret, "msg_2pYq8XkJd3nF7sLw0ZrT5uVbC1e", time.Now(), exampleBody))
	fmt.Println(rec.Code)
	// Output:
	// user.created msg_2pYq8XkJd3nF7sLw0ZrT5uVbC1e from ins_2Zt8vQ3kLmN4pR7sT9uW1xY5bC
	// 200
}

// Build one Verifier at start-up. During a secret rotation, accept both the
// new and the old secret; a replay tool can check a capture as of the time it
// was received.
func ExampleNewVerifier() {
	const oldSecret = "whsec_dGhpcyBpcyBhbm90aGVyIHRlc3Qga2V5IQ=="
	receivedAt := time.Date(2025, 11, 28, 12, 0, 0, 0, time.UTC)

	v, err := clerkwebhook.NewVerifier(exampleSecret,
		clerkwebhook.WithSecrets(oldSecret),
		clerkwebhook.WithTolerance(2*time.Minute),
		clerkwebhook.WithClock(func() time.Time { return receivedAt }),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v)

	// Signed with the old secret 90 seconds before it was received.
	r := clerkDelivery(oldSecret, "msg_rotation", receivedAt.Add(-90*time.Second), exampleBody)
	body, _ := io.ReadAll(r.Body)
	event, err := v.Verify(body, r.Header)
	fmt.Println(event.Type, err)

	// A mistake in the secret is caught at start-up, and named.
	_, err = clerkwebhook.NewVerifier("sk_live_0123456789abcdefghijklmn")
	fmt.Println(err)
	// Output:
	// clerkwebhook.Verifier{secrets: 2, tolerance: 2m0s}
	// user.created <nil>
	// clerkwebhook: invalid signing secret: it looks like a Clerk API key (sk_/pk_); use the endpoint's signing secret (whsec_...) from Dashboard > Webhooks
}

// Branch on the cause with errors.Is, log the detail from
// *VerificationError, and answer with a short fixed text.
func ExampleVerificationError() {
	now := time.Date(2025, 11, 28, 12, 0, 0, 0, time.UTC)
	v, err := clerkwebhook.NewVerifier(exampleSecret, clerkwebhook.WithClock(func() time.Time { return now }))
	if err != nil {
		log.Fatal(err)
	}
	// Every failure is answered 400 with a fixed text; the cause goes to
	// the log, where it helps an operator and not a forger.
	cause := func(err error) string {
		switch {
		case errors.Is(err, clerkwebhook.ErrInvalidPayload):
			return "authentic but unreadable body"
		case errors.Is(err, clerkwebhook.ErrTimestampTooOld), errors.Is(err, clerkwebhook.ErrTimestampTooNew):
			return "replay or clock skew"
		case errors.Is(err, clerkwebhook.ErrNoMatchingSignature):
			return "forged, or the wrong secret"
		default:
			return "not a Clerk delivery"
		}
	}

	for _, tc := range []struct {
		secret string
		at     time.Time
	}{
		{exampleSecret, now.Add(-(7*time.Minute + 12*time.Second))}, // a stale replay
		{"whsec_dGhpcyBpcyBhbm90aGVyIHRlc3Qga2V5IQ==", now},         // signed with another secret
	} {
		r := clerkDelivery(tc.secret, "msg_errors", tc.at, exampleBody)
		body, _ := io.ReadAll(r.Body)
		_, err := v.Verify(body, r.Header)

		var ve *clerkwebhook.VerificationError
		if errors.As(err, &ve) {
			fmt.Printf("%s: %s\n  %v\n", ve.MessageID, cause(err), err)
		}
	}
	// Output:
	// msg_errors: replay or clock skew
	//   clerkwebhook: timestamp too old: valid signature but 7m12s old (tolerance 5m0s)
	// msg_errors: forged, or the wrong secret
	//   clerkwebhook: no matching signature: tried 1 v1 signature(s)
}

// The Handler on a ServeMux: one callback per event type, a body limit, and
// idempotency on the message id. A retry of a message already processed is
// acknowledged without running the callback again.
func ExampleHandler() {
	verifier, err := clerkwebhook.NewVerifier(exampleSecret) // os.Getenv("CLERK_WEBHOOK_SIGNING_SECRET")
	if err != nil {
		log.Fatal(err)
	}
	handler := clerkwebhook.NewHandler(verifier,
		clerkwebhook.WithDeduplicator(clerkwebhook.NewMemoryDeduplicator()))
	handler.On(clerkwebhook.UserCreated, func(ctx context.Context, e clerkwebhook.Event) error {
		user, err := e.User()
		if err != nil {
			return err // 500: Svix delivers it again
		}
		fmt.Println("welcome", user.ID)
		return nil
	})

	mux := http.NewServeMux()
	mux.Handle("/webhooks/clerk", handler) // outside any auth middleware

	sentAt := time.Now()
	for attempt := 1; attempt <= 2; attempt++ { // the same message, delivered twice
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, clerkDelivery(exampleSecret, "msg_2pYq8XkJd3nF7sLw0ZrT5uVbC1e", sentAt, exampleBody))
		fmt.Println("attempt", attempt, rec.Code)
	}
	// Output:
	// welcome user_2pYq8XkJd3nF7sLw0ZrT5uVbC1e
	// attempt 1 200
	// attempt 2 200
}

// VerifyRequest in a handler of your own: it reads the body (up to the
// limit), verifies it, and puts it back, so code written for plain JSON
// requests can read r.Body as before.
func ExampleVerifier_VerifyRequest() {
	verifier, err := clerkwebhook.NewVerifier(exampleSecret, clerkwebhook.WithMaxBodyBytes(64<<10))
	if err != nil {
		log.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		event, err := verifier.VerifyRequest(r)
		switch {
		case errors.Is(err, clerkwebhook.ErrBodyTooLarge):
			http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
			return
		case err != nil:
			http.Error(w, "invalid webhook", http.StatusBadRequest)
			return
		}
		var raw struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := json.NewDecoder(r.Body).Decode(&raw); err != nil { // the body is still there
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		fmt.Println(event.Type, raw.Data.ID)
	})

	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, clerkDelivery(exampleSecret, "msg_custom", time.Now(), exampleBody))
	fmt.Println(rec.Code)
	// Output:
	// user.created user_2pYq8XkJd3nF7sLw0ZrT5uVbC1e
	// 200
}
