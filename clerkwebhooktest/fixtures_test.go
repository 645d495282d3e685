package clerkwebhooktest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
)

const unknownFixture = "unknown.future"

// typeOf reads the envelope's "type" with encoding/json, independently of
// the package under test.
func typeOf(t *testing.T, body []byte) string {
	t.Helper()
	var env struct {
		Type string `json:"type"`
	}
	require.NoError(t, json.Unmarshal(body, &env))
	return env.Type
}

// checkDelivers signs body at FixtureTime and checks that both the
// verifier (with its clock pinned) and the reference library accept it,
// and that the typed payload decodes.
func checkDelivers(t *testing.T, body []byte, wantType string) {
	t.Helper()
	secret := clerkwebhooktest.NewSecret()
	h := clerkwebhooktest.Sign(secret, "msg_fixture", clerkwebhooktest.FixtureTime(), body)

	v, err := clerkwebhook.NewVerifier(secret, clerkwebhook.WithClock(clerkwebhooktest.FixedClock(clerkwebhooktest.FixtureTime())))
	require.NoError(t, err)
	ev, err := v.Verify(body, h)
	require.NoError(t, err)
	assert.Equal(t, clerkwebhook.EventType(wantType), ev.Type)
	_, err = ev.Payload()
	assert.NoError(t, err)

	ref, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	assert.NoError(t, ref.VerifyIgnoringTimestamp(body, webhookHeaders(h)))
}

func TestFixtureForEveryEventType(t *testing.T) {
	t.Parallel()
	types := clerkwebhook.EventTypes()
	require.NotEmpty(t, types)
	for _, et := range types {
		t.Run(string(et), func(t *testing.T) {
			body := clerkwebhooktest.Fixture(et)
			require.NotNil(t, body, "no fixture for %s", et)
			require.True(t, json.Valid(body), "invalid JSON")
			assert.Equal(t, string(et), typeOf(t, body))
			checkDelivers(t, body, string(et))
		})
	}
}

func TestEveryFixtureFileDelivers(t *testing.T) {
	t.Parallel()
	for _, name := range clerkwebhooktest.FixtureNames() {
		t.Run(name, func(t *testing.T) {
			body := clerkwebhooktest.Fixture(clerkwebhook.EventType(name))
			require.True(t, json.Valid(body), "invalid JSON")
			typ := typeOf(t, body)
			if name == unknownFixture {
				assert.False(t, clerkwebhook.EventType(typ).Known(), "%s has a known type %s", name, typ)
			} else {
				base, _, _ := strings.Cut(name, "--")
				assert.Equal(t, base, typ, "file name and type disagree")
				assert.True(t, clerkwebhook.EventType(typ).Known(), "unknown type %s", typ)
			}
			checkDelivers(t, body, typ)
		})
	}
}

func TestFixtureTimeIsNearTheFixtures(t *testing.T) {
	t.Parallel()
	for _, name := range clerkwebhooktest.FixtureNames() {
		body := clerkwebhooktest.Fixture(clerkwebhook.EventType(name))
		var env struct {
			Timestamp int64 `json:"timestamp"`
		}
		require.NoError(t, json.Unmarshal(body, &env))
		gap := time.UnixMilli(env.Timestamp).Sub(clerkwebhooktest.FixtureTime()).Abs()
		assert.Less(t, gap, 90*24*time.Hour, "%s is dated %v", name, time.UnixMilli(env.Timestamp).UTC())
	}
}

func TestFixtureReturnsCopy(t *testing.T) {
	t.Parallel()
	first := clerkwebhooktest.Fixture(clerkwebhook.UserCreated)
	want := bytes.Clone(first)
	for i := range first {
		first[i] = 'x'
	}
	assert.Equal(t, want, clerkwebhooktest.Fixture(clerkwebhook.UserCreated))
	assert.Equal(t, want, clerkwebhooktest.Fixture("user.created"), "a type and its name are one spelling")
}

// An unknown name fails loudly, naming the names there are: a nil body
// would be signed and sent, and the test would prove nothing.
func TestFixtureUnknownNamePanics(t *testing.T) {
	t.Parallel()
	for _, name := range []clerkwebhook.EventType{
		"",
		"agentTask.created", // the type inside unknown.future
		"user.created.json", // a file name, not a fixture name
		"../fixtures/user.created",
		"USER.CREATED",
		"user.created--email",
	} {
		t.Run(string(name), func(t *testing.T) {
			defer func() {
				p := recover()
				require.NotNil(t, p, "Fixture(%q) did not panic", name)
				msg := fmt.Sprint(p)
				assert.Contains(t, msg, fmt.Sprintf("clerkwebhooktest.Fixture: no fixture named %q; the names are: ", string(name)))
				assert.Contains(t, msg, "user.created--email-only, ")
				assert.Contains(t, msg, "unknown.future")
			}()
			clerkwebhooktest.Fixture(name)
		})
	}
}

func TestFixtureNamesMatchDirectory(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir("../internal/fixtures/events")
	require.NoError(t, err)
	var onDisk []string
	for _, e := range entries {
		onDisk = append(onDisk, strings.TrimSuffix(e.Name(), ".json"))
	}
	sort.Strings(onDisk)
	names := clerkwebhooktest.FixtureNames()
	assert.Equal(t, onDisk, names, "every file is embedded, and nothing else")
	assert.True(t, sort.StringsAreSorted(names))
	assert.Contains(t, names, "role.deleted--full")
	assert.Contains(t, names, unknownFixture)
	for _, n := range names {
		assert.NotContains(t, n, ".json", "names are spelled without the file suffix")
		assert.NotPanics(t, func() { clerkwebhooktest.Fixture(clerkwebhook.EventType(n)) }, "Fixture(%q)", n)
	}

	names[0] = "changed"
	assert.Equal(t, onDisk, clerkwebhooktest.FixtureNames(), "FixtureNames returns a fresh slice")
}

func TestFixtureVariant(t *testing.T) {
	t.Parallel()
	onDisk, err := os.ReadFile("../internal/fixtures/events/role.deleted--full.json")
	require.NoError(t, err)
	assert.Equal(t, onDisk, clerkwebhooktest.Fixture("role.deleted--full"))
}

// A name that is not a fixture panics, naming it: never a file outside the
// embedded set.
func TestFixtureMissing(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		"nope.json",
		"",
		"fixtures/user.created.json",
		"./user.created.json",
		"../clerkwebhooktest.go",
		`..\clerkwebhooktest.go`,
		".",
		"/user.created.json",
	} {
		assert.PanicsWithValue(t, fmt.Sprintf("clerkwebhooktest.Fixture: no fixture named %q; the names are: ", name)+strings.Join(clerkwebhooktest.FixtureNames(), ", "),
			func() { clerkwebhooktest.Fixture(clerkwebhook.EventType(name)) }, "Fixture(%q)", name)
	}
}
