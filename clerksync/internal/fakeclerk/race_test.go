//go:build race

package fakeclerk_test

// raceEnabled: the race detector slows the 50,000-user test twentyfold; the
// other tests run the same code under it.
const raceEnabled = true
