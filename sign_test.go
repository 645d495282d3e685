package clerkwebhook

import (
	"fmt"
	"math/rand"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Sign agrees with the reference library byte for byte, across bodies, ids,
// times and secrets, and its output verifies.
func TestSignMatchesReference(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewSource(1))
	secrets := []string{testSecret, otherSecret, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	for i := 0; i < 200; i++ {
		body := make([]byte, r.Intn(2000))
		r.Read(body)
		id := fmt.Sprintf("msg_%d_%x", i, r.Int63())
		at := time.Unix(r.Int63n(4e9), int64(r.Intn(1e9)))
		secret := secrets[i%len(secrets)]
		h, err := Sign(secret, id, at, body)
		require.NoError(t, err)
		assert.Equal(t, http.Header{
			"Svix-Id":        {id},
			"Svix-Timestamp": {fmt.Sprint(at.Unix())},
			"Svix-Signature": {refSign(t, secret, id, at, body)},
		}, h)
		_, err = mustVerifier(t, secret, WithClock(fixedClock(at))).Verify(body, h)
		if err != nil {
			assert.ErrorIs(t, err, ErrInvalidPayload, "random bytes are not an envelope, but the signature holds")
		}
	}
}

func TestSignErrors(t *testing.T) {
	t.Parallel()
	body := []byte(`{}`)
	for _, tc := range []struct {
		name, secret, id string
		want             error
		message          string
	}{
		{"no secret", "", "msg_1", ErrMissingSecret, "clerkwebhook: missing signing secret"},
		{"API key", "sk_test_abcdefghijklmnopqrstuvwxyz", "msg_1", ErrInvalidSecret, "looks like a Clerk API key"},
		{"short key", "whsec_c2hvcnQ=", "msg_1", ErrInvalidSecret, "decodes to 5 bytes"},
		{"empty id", testSecret, "", ErrInvalidHeader, "message id must be non-empty"},
		{"id with a newline", testSecret, "msg_1\r\nX-Evil: 1", ErrInvalidHeader, "without spaces or control characters"},
		{"id with a space", testSecret, "msg 1", ErrInvalidHeader, "without spaces"},
		{"id starting with a space", testSecret, " msg_1", ErrInvalidHeader, "without spaces"},
		{"id starting with a NUL", testSecret, "\x00msg_1", ErrInvalidHeader, "control characters"},
		{"id with a tab", testSecret, "msg\t1", ErrInvalidHeader, "control characters"},
		{"id ending with DEL", testSecret, "msg_1\x7f", ErrInvalidHeader, "control characters"},
		{"id of one space", testSecret, " ", ErrInvalidHeader, "message id must be non-empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Sign(tc.secret, tc.id, testNow, body)
			assert.Nil(t, h)
			assert.ErrorIs(t, err, tc.want)
			assert.ErrorContains(t, err, tc.message)
			assertOneSentinel(t, err)
			if tc.secret != "" {
				assertNoSecretIn(t, err.Error(), tc.secret)
			}
		})
	}
}

// The message id's edges: the first printable characters after space and
// before DEL, and characters beyond ASCII, are carried as they are.
func TestSignIDEdges(t *testing.T) {
	t.Parallel()
	body := []byte(`{"type":"user.created","data":{}}`)
	for _, id := range []string{"!", "~", "msg_!~", "!msg", "msg_é", "é", "m"} {
		t.Run(id, func(t *testing.T) {
			h, err := Sign(testSecret, id, testNow, body)
			require.NoError(t, err)
			assert.Equal(t, http.Header{
				"Svix-Id":        {id},
				"Svix-Timestamp": {"1764331200"},
				"Svix-Signature": {refSign(t, testSecret, id, testNow, body)},
			}, h)
			ev, err := mustVerifier(t, testSecret, WithClock(fixedClock(testNow))).Verify(body, h)
			require.NoError(t, err)
			assert.Equal(t, id, ev.ID)
		})
	}
}
