//go:build race

package clerkriver_test

// raceEnabled: the race detector slows SQLite (modernc.org/sqlite is Go
// translated from C) about tenfold; the tests that measure time ask less of
// it then.
const raceEnabled = true
