// Package browsertest tests the inspector page of "clerkwebhook listen" in a
// real headless browser: Debian's chromium, driven by chromedp. It is a
// module of its own so that the core module keeps its requirements; it holds
// tests only.
//
// The tests build the command, run "clerkwebhook listen" with its page on
// free loopback ports, and drive one browser with a tab per test. Without a
// browser they skip and say so, except under CLERKWEBHOOK_REQUIRE_SERVICES=1,
// where they fail. CLERKWEBHOOK_CHROMIUM names another browser binary.
//
//	go test ./internal/browsertest/                      # the tests
//	go test ./internal/browsertest/ -update-screenshot   # also rewrite docs/inspector.png
package browsertest
