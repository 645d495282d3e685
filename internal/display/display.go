// Package display formats values for people the same way everywhere this
// module shows them: in the library's error messages and in the command's
// output.
package display

import (
	"math"
	"time"
)

// Skew writes the distance between a signature and a clock: the absolute
// value of d rounded to the second, or to the millisecond below one second,
// and "more than 292 years" when d saturated (time.Time.Sub returns the
// limits of time.Duration when the true difference does not fit) or is
// within a second of the limits. When
// rounding would hide that |d| is beyond a positive tolerance (5m0.4s
// against 5m0s), the milliseconds are kept. The sign is the caller's to
// word ("old", "in the future").
func Skew(d, tolerance time.Duration) string {
	if d == math.MinInt64 {
		return "more than 292 years"
	}
	if d < 0 {
		d = -d // cannot overflow: math.MinInt64 was handled above
	}
	if d > math.MaxInt64-time.Second { // saturated, or too close to round
		return "more than 292 years"
	}
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	r := d.Round(time.Second)
	if tolerance > 0 && d > tolerance && r <= tolerance {
		return d.Round(time.Millisecond).String()
	}
	return r.String()
}
