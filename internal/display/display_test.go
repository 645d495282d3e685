package display

import (
	"math"
	"testing"
	"time"
)

func TestSkew(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d, tolerance time.Duration
		want         string
	}{
		{0, 0, "0s"},
		{400*time.Millisecond + 400*time.Microsecond, 0, "400ms"},
		{-400 * time.Millisecond, 0, "400ms"},
		{999*time.Millisecond + 600*time.Microsecond, 0, "1s"}, // rounds up to a whole second
		{1600 * time.Millisecond, 0, "2s"},
		{7*time.Minute + 12635414799, 0, "7m13s"},
		{-(7*time.Minute + 12*time.Second), 5 * time.Minute, "7m12s"},
		{5*time.Minute + 400*time.Millisecond, 5 * time.Minute, "5m0.4s"}, // rounding would hide the excess
		{5*time.Minute + 600*time.Millisecond, 5 * time.Minute, "5m1s"},
		{5 * time.Minute, 5 * time.Minute, "5m0s"},
		{math.MinInt64, 5 * time.Minute, "more than 292 years"},
		{math.MaxInt64, 5 * time.Minute, "more than 292 years"},
		{math.MinInt64 + 1, 0, "more than 292 years"},
		{math.MaxInt64 - 2*time.Second, 0, "2562047h47m15s"},
	} {
		if got := Skew(tc.d, tc.tolerance); got != tc.want {
			t.Errorf("Skew(%d, %v) = %q, want %q", int64(tc.d), tc.tolerance, got, tc.want)
		}
	}
}
