//go:build !race

package fakeclerk_test

const raceEnabled = false
