package clerkwebhooktest_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
)

// A test of an application's own handler: sign a fixture, serve it, and
// check what the handler did. In a test function,
// clerkwebhooktest.NewRequest(t, secret, body) builds the same request in
// one call; an Example has no t, so this one assembles it from Sign.
func Example() {
	secret := clerkwebhooktest.NewSecret()
	verifier, err := clerkwebhook.NewVerifier(secret,
		// Pinned so that the delivery signed below is current whenever
		// the test runs.
		clerkwebhook.WithClock(clerkwebhooktest.FixedClock(clerkwebhooktest.FixtureTime())))
	if err != nil {
		panic(err)
	}

	// The application's handler, recording the users it creates.
	var created []string
	handler := clerkwebhook.NewHandler(verifier)
	handler.On(clerkwebhook.UserCreated, func(ctx context.Context, e clerkwebhook.Event) error {
		user, err := e.User()
		if err != nil {
			return err
		}
		created = append(created, user.ID)
		return nil
	})

	body := clerkwebhooktest.Fixture(clerkwebhook.UserCreated)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(body))
	for name, values := range clerkwebhooktest.Sign(secret, "msg_2ZrQkP9vT3xW8yB1cD4eF6gH7jK", clerkwebhooktest.FixtureTime(), body) {
		req.Header[name] = values
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)

	fmt.Println(rec.Code)
	fmt.Println(created)
	// Output:
	// 200
	// [user_30TbaSJBhmLScO0rTRMoSYc7BTg]
}

// The Standard Webhooks specification's test vector.
func ExampleSign() {
	h := clerkwebhooktest.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	fmt.Println(h.Get(clerkwebhook.HeaderSvixSignature))
	// Output: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}
