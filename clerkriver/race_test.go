//go:build race

package clerkriver_test

// raceEnabled: the race detector slows SQLite (modernc.org/sqlite is Go
// translated from C) about tenfold, by a factor that varies with the load
// beside it: the tests that measure time ask less of it, and assert no
// latency bound.
const raceEnabled = true
