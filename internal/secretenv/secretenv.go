// Package secretenv finds the signing secret in the environment, for the
// library's package-level Verify and for the command, in one order.
package secretenv

import "os"

// The variables read, in this order. The first is the name Clerk's own SDKs
// use.
const (
	Primary  = "CLERK_WEBHOOK_SIGNING_SECRET"
	Fallback = "CLERK_WEBHOOK_SECRET"
)

// Lookup returns the value of the first of the variables that is set and
// not empty, and its name; "", "" when neither is.
func Lookup() (secret, name string) {
	for _, name := range [...]string{Primary, Fallback} {
		if v := os.Getenv(name); v != "" {
			return v, name
		}
	}
	return "", ""
}
