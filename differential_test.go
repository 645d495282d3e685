package clerkwebhook

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// authenticated is this package's verdict in the reference library's terms:
// the reference does not read the body, so a delivery whose signature and
// clock pass but whose body is not an envelope still counts as accepted.
func authenticated(err error) bool {
	return err == nil || errors.Is(err, ErrInvalidPayload)
}

// diffMutation changes a genuine delivery (body, headers, and the clock the
// receiver reads) in a way both implementations must judge alike.
type diffMutation func(r *rand.Rand, body []byte, h http.Header, now time.Time) ([]byte, http.Header, time.Time)

func randomSig(r *rand.Rand) string {
	b := make([]byte, 32)
	r.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

var diffMutations = map[string]diffMutation{
	"none": func(_ *rand.Rand, b []byte, h http.Header, now time.Time) ([]byte, http.Header, time.Time) {
		return b, h, now
	},
	"flip a body byte": func(r *rand.Rand, b []byte, h http.Header, now time.Time) ([]byte, http.Header, time.Time) {
		c := append([]byte(nil), b...)
		c[r.Intn(len(c))] ^= byte(1 + r.Intn(255))
		return c, h, now
	},
	"truncate the body": func(r *rand.Rand, b []byte, h http.Header, now time.Time) ([]byte, http.Header, time.Time) {
		return b[:r.Intn(len(b))], h, now
	},
	"append to the body": func(r *rand.Rand, b []byte, h http.Header, now time.Time) ([]byte, http.Header, time.Time) {
		return append(append([]byte(nil), b...), " \n}"[r.Intn(3)]), h, now
	},
	"edit the id": func(r *rand.Rand, b []byte, h http.Header, now time.Time) ([]byte, http.Header, time.Time) {
		id := h.Get("Svix-Id")
		h.Set("Svix-Id", id[:r.Intn(len(id))]+"x"+id[r.Intn(len(id)):])
		return b, h, now
	},
	"edit the timestamp": func(r *rand.Rand, b []byte, h http.Header, now time.Time) ([]byte, http.Header, time.Time) {
		ts, _ := strconv.ParseInt(h.Get("Svix-Timestamp"), 10, 64)
		h.Set("Svix-Timestamp", strconv.FormatInt(ts+int64(r.Intn(21)-10), 10))
		return b, h, now
	},
	"garble the signature": func(r *rand.Rand, b []byte, h http.Header, now time.Time) ([]byte, http.Header, time.Time) {
		s := []byte(h.Get("Svix-Signature"))
		i := 3 + r.Intn(len(s)-4) // keep "v1," and the padding
		alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		for {
			c := alphabet[r.Intn(len(alphabet))]
			if c != s[i] {
				s[i] = c
				break
			}
		}
		h.Set("Svix-Signature", string(s))
		return b, h, now
	},
	"extra entries around the signature": func(r *rand.Rand, b []byte, h http.Header, now time.Time) ([]byte, http.Header, time.Time) {
		junk := []string{"v1," + randomSig(r), "v1a," + randomSig(r), "v2," + randomSig(r), "v1,", "v1", "garbage", "v1," + randomSig(r)[:20]}
		parts := []string{h.Get("Svix-Signature")}
		for n := r.Intn(4); n >= 0; n-- {
			j := junk[r.Intn(len(junk))]
			if r.Intn(2) == 0 {
				parts = append([]string{j}, parts...)
			} else {
				parts = append(parts, j)
			}
		}
		h.Set("Svix-Signature", strings.Join(parts, " "))
		return b, h, now
	},
	"only garbage entries": func(r *rand.Rand, b []byte, h http.Header, now time.Time) ([]byte, http.Header, time.Time) {
		h.Set("Svix-Signature", "v1,"+randomSig(r)+" v1a,"+strings.TrimPrefix(h.Get("Svix-Signature"), "v1,"))
		return b, h, now
	},
	"drop a header": func(r *rand.Rand, b []byte, h http.Header, now time.Time) ([]byte, http.Header, time.Time) {
		h.Del([]string{"Svix-Id", "Svix-Timestamp", "Svix-Signature"}[r.Intn(3)])
		return b, h, now
	},
	"move the clock": func(r *rand.Rand, b []byte, h http.Header, now time.Time) ([]byte, http.Header, time.Time) {
		// Around both edges of the window, to the second.
		edge := []time.Duration{-DefaultTolerance, DefaultTolerance}[r.Intn(2)]
		return b, h, now.Add(edge + time.Duration(r.Intn(5)-2)*time.Second)
	},
	"move the clock far": func(r *rand.Rand, b []byte, h http.Header, now time.Time) ([]byte, http.Header, time.Time) {
		return b, h, now.Add(time.Duration(r.Int63n(int64(4*time.Hour))) - 2*time.Hour)
	},
}

// TestDifferentialAgainstReference runs every fixture through random
// mutations and requires this package and the reference standard-webhooks
// library to agree on accept or reject. Divergences by design are listed in
// TestDivergencesFromReference.
func TestDifferentialAgainstReference(t *testing.T) {
	t.Parallel()
	seed := time.Now().UnixNano()
	r := rand.New(rand.NewSource(seed))
	names := make([]string, 0, len(diffMutations))
	for n := range diffMutations {
		names = append(names, n)
	}
	accepted, rejected := 0, 0
	for _, d := range loadGolden(t) {
		body0 := readFixture(t, d.Fixture)
		for i := 0; i < 40; i++ {
			name := names[r.Intn(len(names))]
			now0 := d.signedAt(t).Add(time.Duration(r.Intn(120)) * time.Second)
			body, h, now := diffMutations[name](r, body0, d.header(), now0)

			v := mustVerifier(t, testSecret, WithClock(fixedClock(now)))
			_, err := v.Verify(body, h)
			ours := authenticated(err)
			theirs := refVerify(t, testSecret, body, h, now, DefaultTolerance)
			require.Equal(t, theirs, ours, "seed %d, fixture %s, mutation %q: reference accepts=%v, ours err=%v", seed, d.Fixture, name, theirs, err)
			if ours {
				accepted++
			} else {
				rejected++
			}
		}
	}
	// Both outcomes must be exercised, or the comparison proves nothing.
	assert.Greater(t, accepted, 100)
	assert.Greater(t, rejected, 100)
}

// TestDivergencesFromReference pins the places where this package decides
// differently from the reference library, each on purpose.
func TestDivergencesFromReference(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "user.created.json")
	const id = "msg_div"
	good := signed(t, testSecret, id, testNow, body)
	cases := []struct {
		name         string
		h            http.Header
		ours, theirs bool
	}{
		{"values with surrounding spaces: we trim, as Clerk's own verifier does", http.Header{
			"Svix-Id": {" " + id}, "Svix-Timestamp": {good.Get("Svix-Timestamp") + " "}, "Svix-Signature": {good.Get("Svix-Signature")},
		}, true, false},
		{"lowercase keys in a hand-built map: we match names case-insensitively", http.Header{
			"svix-id": {id}, "svix-timestamp": {good.Get("Svix-Timestamp")}, "svix-signature": {good.Get("Svix-Signature")},
		}, true, false},
		{"timestamp with a leading plus: we take integer seconds only", http.Header{
			"Svix-Id": {id}, "Svix-Timestamp": {"+" + good.Get("Svix-Timestamp")}, "Svix-Signature": {good.Get("Svix-Signature")},
		}, false, true},
		{"timestamp with a leading zero: we take the canonical form only", http.Header{
			"Svix-Id": {id}, "Svix-Timestamp": {"0" + good.Get("Svix-Timestamp")}, "Svix-Signature": {good.Get("Svix-Signature")},
		}, false, true},
		{"a third comma-separated part: malformed, for the reference too since v1.3.0", http.Header{
			"Svix-Id": {id}, "Svix-Timestamp": {good.Get("Svix-Timestamp")}, "Svix-Signature": {good.Get("Svix-Signature") + ",extra"},
		}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := mustVerifier(t, testSecret, WithClock(fixedClock(testNow)))
			_, err := v.Verify(body, tc.h)
			assert.Equal(t, tc.ours, err == nil, fmt.Sprint(err))
			assert.Equal(t, tc.theirs, refVerify(t, testSecret, body, tc.h, testNow, DefaultTolerance))
		})
	}
}

// A proxy that folds several svix-signature field lines into one joins them
// with ", " (RFC 9110, 5.3). Svix's Go library splits entries on spaces and
// ignores what follows a second comma, so it accepts the folded form. The
// Standard Webhooks reference, since v1.3.0, compares whole "v1,<sig>"
// entries: a folded entry keeps its trailing comma and never matches, so it
// accepts a folded header only when the match is the last entry. This
// package accepts the folded form wherever the match is, and only it: a
// third part is still malformed, and families are still never mixed
// (docs/decisions.md says why; the referencetest module compares Svix's).
func TestFoldedSignatureHeader(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "user.created.json")
	const id = "msg_fold"
	good := refSign(t, testSecret, id, testNow, body)
	other := refSign(t, otherSecret, id, testNow, body)
	ts := strconv.FormatInt(testNow.Unix(), 10)
	for _, tc := range []struct {
		name         string
		signature    []string // field lines
		ours, theirs bool
		tried        int
	}{
		{"matching entry first", []string{good + ", " + other}, true, false, 1},
		{"matching entry last", []string{other + ", " + good}, true, true, 2},
		{"three folded, match in the middle", []string{other + ", " + good + ", " + other}, true, false, 2},
		{"folded with a trailing comma", []string{other + ", " + good + ","}, true, false, 2},
		{"two field lines", []string{other, good}, true, false, 2}, // the reference reads the first line only
		{"folded, no match", []string{other + ", " + other}, false, false, 2},
		{"no space after the comma", []string{other + "," + good}, false, false, 0},
		{"a third part", []string{good + ",extra"}, false, false, 0},
		{"a doubled comma", []string{good + ",, " + other}, false, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{"Svix-Id": {id}, "Svix-Timestamp": {ts}, "Svix-Signature": tc.signature}
			_, err := mustVerifier(t, testSecret, WithClock(fixedClock(testNow))).Verify(body, h)
			assert.Equal(t, tc.ours, err == nil, fmt.Sprint(err))
			assert.Equal(t, tc.theirs, refVerify(t, testSecret, body, h, testNow, DefaultTolerance), "reference")
			var ve *VerificationError
			if errors.As(err, &ve) {
				assert.Equal(t, tc.tried, ve.SignaturesTried)
			}
		})
	}

	// Folding does not let one family's value stand in for the other's.
	h := http.Header{"Svix-Id": {id}, "Svix-Timestamp": {ts}, "Webhook-Signature": {other + ", " + good}}
	_, err := mustVerifier(t, testSecret, WithClock(fixedClock(testNow))).Verify(body, h)
	assert.ErrorIs(t, err, ErrMissingHeader)
}
