package pgstore_test

import (
	"bytes"
	"net/http"
	"strconv"
	"testing"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
	"github.com/seed77920f6a/clerkwebhook/internal/storetest"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"
)

// Deliveries as Svix makes them, signed by the reference library, and what
// a Handler reports.

// testSecret is the Standard Webhooks spec's example secret: a test value.
const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// signed returns Clerk-style svix-* headers for body as message id, signed
// at the fixtures' time by the reference library, never by the code under
// test.
func signed(tb testing.TB, id string, body []byte) http.Header {
	tb.Helper()
	wh, err := standardwebhooks.NewWebhook(testSecret)
	require.NoError(tb, err)
	ts := clerkwebhooktest.FixtureTime()
	sig, err := wh.Sign(id, ts, body)
	require.NoError(tb, err)
	h := http.Header{}
	h.Set("svix-id", id)
	h.Set("svix-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("svix-signature", sig)
	return h
}

// testVerifier verifies deliveries signed by signed.
func testVerifier(tb testing.TB) *clerkwebhook.Verifier {
	tb.Helper()
	v, err := clerkwebhook.NewVerifier(testSecret, clerkwebhook.WithClock(clerkwebhooktest.FixedClock(clerkwebhooktest.FixtureTime())))
	require.NoError(tb, err)
	return v
}

// userCreated returns a verified user.created event with message id id, as
// the Handler passes it to a callback.
func userCreated(tb testing.TB, id string) clerkwebhook.Event {
	tb.Helper()
	body := clerkwebhooktest.Fixture(clerkwebhook.UserCreated)
	e, err := testVerifier(tb).Verify(body, signed(tb, id, body))
	require.NoError(tb, err)
	require.Equal(tb, id, e.ID)
	return e
}

// deliver POSTs a signed user.created delivery with message id id to url,
// as Svix does, and returns the status. It needs no testing.T, so that
// goroutines can call it; a transport error is returned.
func deliver(url, id string, header http.Header) (int, error) {
	body := clerkwebhooktest.Fixture(clerkwebhook.UserCreated)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// deliverUserCreated signs and delivers a user.created message to url.
func deliverUserCreated(tb testing.TB, url, id string) int {
	tb.Helper()
	status, err := deliver(url, id, signed(tb, id, clerkwebhooktest.Fixture(clerkwebhook.UserCreated)))
	require.NoError(tb, err)
	return status
}

// errorLog collects the errors of the deliveries a Handler observes.
type errorLog = storetest.ErrorLog
