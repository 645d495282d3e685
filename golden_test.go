package clerkwebhook

import (
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/deliveries.json, signing with the reference library")

// goldenDelivery is one recorded delivery: a fixture body and the headers the
// reference standard-webhooks library produced for it under testSecret.
type goldenDelivery struct {
	Fixture   string `json:"fixture"`
	ID        string `json:"svix-id"`
	Timestamp string `json:"svix-timestamp"`
	Signature string `json:"svix-signature"`
}

const goldenPath = "testdata/deliveries.json"

func fixtureNames(tb testing.TB) []string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	require.NoError(tb, err)
	require.NotEmpty(tb, paths)
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	sort.Strings(names)
	return names
}

func loadGolden(tb testing.TB) []goldenDelivery {
	tb.Helper()
	if *update {
		var out []goldenDelivery
		for i, name := range fixtureNames(tb) {
			id := "msg_golden" + strconv.Itoa(1000+i)
			ts := time.Unix(1764331200+int64(i)*60, 0)
			out = append(out, goldenDelivery{name, id, strconv.FormatInt(ts.Unix(), 10), refSign(tb, testSecret, id, ts, readFixture(tb, name))})
		}
		b, err := json.MarshalIndent(out, "", "  ")
		require.NoError(tb, err)
		require.NoError(tb, os.WriteFile(goldenPath, append(b, '\n'), 0o644))
	}
	b, err := os.ReadFile(goldenPath)
	require.NoError(tb, err)
	var ds []goldenDelivery
	require.NoError(tb, json.Unmarshal(b, &ds))
	return ds
}

func (d goldenDelivery) header() http.Header {
	h := http.Header{}
	h.Set("svix-id", d.ID)
	h.Set("svix-timestamp", d.Timestamp)
	h.Set("svix-signature", d.Signature)
	return h
}

func (d goldenDelivery) signedAt(tb testing.TB) time.Time {
	ts, err := strconv.ParseInt(d.Timestamp, 10, 64)
	require.NoError(tb, err)
	return time.Unix(ts, 0)
}

// Every fixture has a recorded delivery, the recording is what the reference
// library produces (so neither the fixture bytes nor the signature drifted),
// and Verify accepts it and reads the envelope as encoding/json does.
func TestGoldenDeliveries(t *testing.T) {
	t.Parallel()
	ds := loadGolden(t)
	var recorded []string
	for _, d := range ds {
		recorded = append(recorded, d.Fixture)
	}
	assert.Equal(t, fixtureNames(t), recorded, "every fixture needs a recorded delivery: go test -run TestGoldenDeliveries -update")

	for _, d := range ds {
		t.Run(d.Fixture, func(t *testing.T) {
			body := readFixture(t, d.Fixture)
			at := d.signedAt(t)
			require.Equal(t, refSign(t, testSecret, d.ID, at, body), d.Signature, "the reference library no longer produces the recorded signature")

			v := mustVerifier(t, testSecret, WithClock(fixedClock(at.Add(90*time.Second))))
			ev, err := v.Verify(body, d.header())
			require.NoError(t, err)

			var want referenceEnvelope
			require.NoError(t, json.Unmarshal(body, &want))
			assert.Equal(t, d.ID, ev.ID)
			assert.Equal(t, EventType(want.Type), ev.Type)
			assert.Equal(t, want.Object, ev.Object)
			assert.Equal(t, want.InstanceID, ev.InstanceID)
			assert.Equal(t, want.Timestamp, ev.Timestamp)
			assert.Equal(t, want.EventAttributes.HTTPRequest.ClientIP, ev.Attributes.HTTPRequest.ClientIP)
			assert.Equal(t, want.EventAttributes.HTTPRequest.UserAgent, ev.Attributes.HTTPRequest.UserAgent)
			assert.JSONEq(t, string(want.Data), string(ev.Data))
			assert.Equal(t, !strings.HasPrefix(d.Fixture, "unknown."), ev.Type.Known())

			// The same delivery a second too late, and under another secret.
			late := mustVerifier(t, testSecret, WithClock(fixedClock(at.Add(DefaultTolerance+time.Second))))
			_, err = late.Verify(body, d.header())
			assert.ErrorIs(t, err, ErrTimestampTooOld)
			other := mustVerifier(t, otherSecret, WithClock(fixedClock(at)))
			_, err = other.Verify(body, d.header())
			assert.ErrorIs(t, err, ErrNoMatchingSignature)
		})
	}
}
