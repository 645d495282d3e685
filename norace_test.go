//go:build !race

package clerkwebhook

const raceEnabled = false
