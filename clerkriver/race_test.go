//go:build race

package clerkriver_test

// raceEnabled: the race detector slows SQLite (modernc.org/sqlite is Go
// translated from C) about tenfold, so latency bounds hold only without it.
const raceEnabled = true
