package clerkwebhooktest

import (
	"fmt"
	"strings"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/fixtures"
)

// FixtureTime returns a fixed time among the fixtures' own envelope
// timestamps (2025-11-28 12:00:00 UTC; the envelopes are dated November
// 2025 to February 2026). Signing a fixture at FixtureTime() and verifying
// with clerkwebhook.WithClock(FixedClock(FixtureTime())) gives a test that
// never depends on the time it runs, with a delivery time that is plausible
// next to the timestamps inside the payloads.
func FixtureTime() time.Time { return time.Unix(fixtures.Time, 0).UTC() }

// Fixture returns a copy of the named fixture, which the caller may modify:
// a realistic event envelope as Clerk sends it (unsigned: sign it with Sign
// or NewRequest). The names are those of FixtureNames: every event type of
// clerkwebhook.EventTypes() is one (Fixture(clerkwebhook.UserCreated)), and
// variants add "--" and a word (Fixture("user.created--email-only")).
//
// Any other name panics, listing the names there are, as httptest panics on
// a bad request: signing an empty body by mistake would make a test prove
// nothing.
func Fixture(name clerkwebhook.EventType) []byte {
	b, ok := fixtures.Get(string(name))
	if !ok {
		panic(fmt.Sprintf("clerkwebhooktest.Fixture: no fixture named %q; the names are: %s",
			string(name), strings.Join(fixtures.Names(), ", ")))
	}
	return b
}

// FixtureNames returns the name of every fixture, sorted: the event types,
// the variants ("role.deleted--full": the other shape Clerk documents for a
// payload; "user.created--email-only": a null-heavy user) and
// "unknown.future", an event type this package does not know. Each name can
// be passed to Fixture, and to "clerkwebhook send".
func FixtureNames() []string { return fixtures.Names() }
