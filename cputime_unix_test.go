//go:build unix

package clerkwebhook

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used, user and system,
// so that a benchmark can report CPU per operation: on a shared machine
// that varies far less than wall-clock throughput.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
