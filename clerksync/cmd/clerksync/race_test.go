//go:build race

package main

// raceEnabled: the race detector slows SQLite about tenfold here
// (modernc.org/sqlite is Go translated from C, and River's SQLite insert
// parses its SQL each time), so the tests do less under it.
const raceEnabled = true
