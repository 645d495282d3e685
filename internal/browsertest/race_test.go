//go:build race

package browsertest

// raceEnabled: under -race, the command is built with the race detector
// too.
const raceEnabled = true
