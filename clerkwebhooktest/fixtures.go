package clerkwebhooktest

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
)

// The fixtures are event envelopes as Clerk sends them, one per event type
// ("<type>.json"), plus variants ("<type>--<variant>.json": the email-only
// user, the full-object role.deleted and permission.deleted, the other
// subscription-item and SMS shapes) and "unknown.future.json", an event
// type this package does not know.
//
//go:embed fixtures/*.json
var fixtures embed.FS

const fixtureDir = "fixtures"

// FixtureTime is a fixed time among the fixtures' own envelope timestamps
// (2025-11-28 12:00:00 UTC; the envelopes are dated November 2025 to
// February 2026). Signing a fixture at FixtureTime and verifying with
// clerkwebhook.WithClock(FixedClock(FixtureTime)) gives a test that never
// depends on the time it runs, with a delivery time that is plausible next
// to the timestamps inside the payloads.
var FixtureTime = time.Unix(1764331200, 0).UTC()

// Fixture returns a copy of the fixture for event type t, one of
// clerkwebhook.EventTypes(): a realistic envelope whose "type" is t, as
// Clerk sends it (unsigned: sign it with Sign or NewRequest). The caller may
// modify the returned slice. For any other t, including a variant or file
// name, Fixture returns nil; read those with FixtureFile.
func Fixture(t clerkwebhook.EventType) []byte {
	if !t.Known() {
		return nil
	}
	b, err := FixtureFile(string(t) + ".json")
	if err != nil {
		return nil
	}
	return b
}

// FixtureNames returns the names of all embedded fixture files, sorted,
// variants and "unknown.future.json" included, for example
// "role.deleted--full.json". Each name can be passed to FixtureFile.
func FixtureNames() []string {
	entries, err := fixtures.ReadDir(fixtureDir)
	if err != nil {
		panic("clerkwebhooktest: embedded fixtures missing: " + err.Error()) // a build defect
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name()) // ReadDir sorts by name
	}
	return names
}

// FixtureFile returns a copy of the embedded fixture file with the given
// name, one of FixtureNames(). The caller may modify the returned slice. For
// any other name (including a path) it returns an error wrapping
// fs.ErrNotExist.
func FixtureFile(name string) ([]byte, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || !fs.ValidPath(name) {
		return nil, notFound(name)
	}
	// embed.FS implements fs.ReadFileFS, whose ReadFile returns a slice the
	// caller may modify: each call gets its own copy.
	b, err := fixtures.ReadFile(fixtureDir + "/" + name)
	if err != nil {
		return nil, notFound(name)
	}
	return b, nil
}

func notFound(name string) error {
	return fmt.Errorf("clerkwebhooktest: no fixture named %q (see FixtureNames): %w", name, fs.ErrNotExist)
}
