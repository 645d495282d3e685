//go:build !race

package clerkriver_test

const raceEnabled = false
