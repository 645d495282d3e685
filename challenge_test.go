package clerkwebhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The vector of the Standard Webhooks reference libraries (v1.3.0).
const (
	challengeSecret   = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	challengeValue    = "0njH7N3kV5eXPB+/eh+eoA2Ahvz2JgNp0iC/BLOl6yM="
	challengeResponse = "v1,2WoO4Z1kjgoudcvk4PX/8LDD6FNJDEUHMtYqZpNx/FA="
)

func TestChallengeResponse(t *testing.T) {
	t.Parallel()
	v, err := NewVerifier(challengeSecret)
	require.NoError(t, err)
	assert.Equal(t, challengeResponse, v.ChallengeResponse(challengeValue))
	assert.NotEqual(t, challengeResponse, v.ChallengeResponse("wrong-challenge"))
	// The first secret answers, whatever else is accepted.
	rotated, err := NewVerifier(challengeSecret, WithSecrets(otherSecret))
	require.NoError(t, err)
	assert.Equal(t, challengeResponse, rotated.ChallengeResponse(challengeValue))
	other, err := NewVerifier(otherSecret, WithSecrets(challengeSecret))
	require.NoError(t, err)
	assert.NotEqual(t, challengeResponse, other.ChallengeResponse(challengeValue))
	assert.Equal(t, "", (*Verifier)(nil).ChallengeResponse(challengeValue))
	assert.Equal(t, "", (&Verifier{}).ChallengeResponse(challengeValue))
}

// bodyTrap fails the test if the Handler reads the body.
type bodyTrap struct{ t *testing.T }

func (b bodyTrap) Read([]byte) (int, error) {
	b.t.Error("the body of a challenge was read")
	return 0, nil
}
func (b bodyTrap) Close() error { return nil }

// The Handler answers a challenge with 204 and the response header, runs no
// callback, reads no body, and reports the request to its observers; a
// source not allowed is still refused first.
func TestHandlerAnswersChallenge(t *testing.T) {
	t.Parallel()
	v, err := NewVerifier(challengeSecret)
	require.NoError(t, err)
	obs := &observed{}
	h := NewHandler(v, WithObserver(obs.observe), WithoutLog())
	h.On(UserCreated, func(context.Context, Event) error { t.Error("a callback ran for a challenge"); return nil })
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		r := httptest.NewRequest(method, "/webhooks/clerk", nil)
		r.Body = bodyTrap{t}
		r.Header.Set("webhook-challenge", challengeValue)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		assert.Equal(t, http.StatusNoContent, rec.Code, method)
		assert.Equal(t, challengeResponse, rec.Header().Get("webhook-challenge-response"), method)
		assert.Empty(t, rec.Body.String())
	}
	ds := obs.all()
	require.Len(t, ds, 2)
	for _, d := range ds {
		assert.Equal(t, http.StatusNoContent, d.Status)
		assert.NoError(t, d.Err)
		assert.Empty(t, d.MessageID)
	}

	// A forbidden source gets no answer to its challenge.
	h = NewHandler(v, WithoutLog(), WithAllowedSources(netip.MustParsePrefix("44.228.126.217/32")))
	r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", strings.NewReader(""))
	r.Header.Set("webhook-challenge", challengeValue)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Empty(t, rec.Header().Get("webhook-challenge-response"))

	// Without the header, a request is a delivery as ever.
	rec = httptest.NewRecorder()
	NewHandler(v, WithoutLog()).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhooks/clerk", strings.NewReader("{}")))
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Empty(t, rec.Header().Get("webhook-challenge-response"))
}
