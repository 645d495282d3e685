package referencetest

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	svix "github.com/svix/svix-webhooks/go"
)

const (
	secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	other  = "whsec_dGhlIG90aGVyIGVuZHBvaW50J3Mga2V5IQ=="
)

// verdict is whether each verifier accepts a delivery.
type verdict struct{ ours, svix, standard bool }

// judge runs the three verifiers on one delivery, at the clock's now.
func judge(t *testing.T, body []byte, h http.Header) verdict {
	t.Helper()
	ours, err := clerkwebhook.NewVerifier(secret)
	require.NoError(t, err)
	sv, err := svix.NewWebhook(secret)
	require.NoError(t, err)
	sw, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	_, oursErr := ours.Verify(body, h)
	return verdict{
		ours:     oursErr == nil,
		svix:     sv.Verify(body, h) == nil,
		standard: sw.Verify(body, asStandard(h)) == nil,
	}
}

// asStandard gives the svix-* headers the webhook-* names, the only ones the
// Standard Webhooks reference reads; the same values, in the same lines.
func asStandard(h http.Header) http.Header {
	out := http.Header{}
	for k, v := range h {
		if rest, ok := strings.CutPrefix(http.CanonicalHeaderKey(k), "Svix-"); ok {
			k = "Webhook-" + rest
		}
		out[k] = v
	}
	return out
}

// sign is a v1 entry under key, by the Standard Webhooks reference.
func sign(t *testing.T, key, id string, at time.Time, body []byte) string {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(key)
	require.NoError(t, err)
	sig, err := wh.Sign(id, at, body)
	require.NoError(t, err)
	return sig
}

// The verdicts of the three verifiers on the deliveries where they have
// differed, pinned: Svix's Go library v1.99.1 and the Standard Webhooks
// reference v1.3.0. docs/decisions.md says why this package decides as it
// does where it differs.
func TestVerdicts(t *testing.T) {
	t.Parallel()
	body := clerkwebhooktest.Fixture(clerkwebhook.UserCreated)
	now := time.Now()
	const id = "msg_reference"
	ts := strconv.FormatInt(now.Unix(), 10)
	good, bad := sign(t, secret, id, now, body), sign(t, other, id, now, body)
	svixHeaders := func(sig ...string) http.Header {
		return http.Header{"Svix-Id": {id}, "Svix-Timestamp": {ts}, "Svix-Signature": sig}
	}
	for _, tc := range []struct {
		name string
		h    http.Header
		want verdict
	}{
		{"genuine", svixHeaders(good), verdict{true, true, true}},
		{"the webhook-* family", http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {good}}, verdict{true, true, true}},
		{"wrong secret", svixHeaders(bad), verdict{false, false, false}},
		{"two entries, space-separated, match second", svixHeaders(bad + " " + good), verdict{true, true, true}},
		// A proxy's folding (RFC 9110, 5.3): Svix's Go library splits
		// entries on spaces and ignores what follows a second comma, the
		// reference compares whole entries since v1.3.0, so it accepts only
		// a match in the last entry.
		{"folded, match first", svixHeaders(good + ", " + bad), verdict{true, true, false}},
		{"folded, match last", svixHeaders(bad + ", " + good), verdict{true, true, true}},
		{"folded, match in the middle", svixHeaders(bad + ", " + good + ", " + bad), verdict{true, true, false}},
		{"folded, no match", svixHeaders(bad + ", " + bad), verdict{false, false, false}},
		{"two field lines, match in the second", svixHeaders(bad, good), verdict{true, false, false}},
		{"a third part", svixHeaders(good + ",extra"), verdict{false, true, false}},
		{"a doubled comma", svixHeaders(good + ",, " + bad), verdict{false, true, false}},
		{"no space after a comma", svixHeaders(bad + "," + good), verdict{false, false, false}},
		{"values with spaces around them", http.Header{"Svix-Id": {" " + id}, "Svix-Timestamp": {ts + " "}, "Svix-Signature": {good}}, verdict{true, false, false}},
		{"a timestamp with a leading plus", http.Header{"Svix-Id": {id}, "Svix-Timestamp": {"+" + ts}, "Svix-Signature": {good}}, verdict{false, true, true}},
		{"a timestamp with a leading zero", http.Header{"Svix-Id": {id}, "Svix-Timestamp": {"0" + ts}, "Svix-Signature": {good}}, verdict{false, true, true}},
		{"an entry of another version only", svixHeaders("v2," + strings.TrimPrefix(good, "v1,")), verdict{false, false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, judge(t, body, tc.h))
		})
	}
}

// The empty-secret rule is the same in all three: a secret with no key in
// it is refused when the verifier is made.
func TestEmptySecrets(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "whsec_"} {
		_, ours := clerkwebhook.NewVerifier(s)
		_, sv := svix.NewWebhook(s)
		_, sw := standardwebhooks.NewWebhook(s)
		assert.Error(t, ours, "ours, %q", s)
		assert.Error(t, sv, "svix, %q", s)
		assert.Error(t, sw, "standard, %q", s)
	}
}
