package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/seed77920f6a/clerkwebhook/clerksync"
)

// Plain progress (not a terminal): a line when a phase begins, at most one
// every plainEvery after, and the phase's last state when it ends, unless
// that was the line printed last.
func TestPlainProgress(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	p := newProgressPrinter(&out)
	p.every = time.Hour
	listing := func(seen int64) clerksync.Progress {
		return clerksync.Progress{Kind: clerksync.Users, Phase: clerksync.Listing, Seen: seen, Total: 1000, Rate: 250, Remaining: time.Duration(1000-seen) * time.Second / 250}
	}
	p.update(listing(500))
	p.update(listing(750))
	p.update(listing(1000))
	p.update(clerksync.Progress{Kind: clerksync.Organizations, Phase: clerksync.Listing, Seen: 3, Total: 3, Rate: 30, Remaining: 0})
	p.update(clerksync.Progress{Kind: clerksync.Organizations, Phase: clerksync.Listing, Seen: 3, Total: 3, Rate: 20, Remaining: 0})
	p.update(clerksync.Progress{Kind: clerksync.Users, Phase: clerksync.Confirming, Seen: 2, Rate: 4, Remaining: -1})
	p.message("a message")
	p.update(clerksync.Progress{Kind: clerksync.Memberships, Phase: clerksync.Listing, Seen: 40, Rate: 8, Remaining: -1})
	p.done()
	assert.Equal(t, `users         [###############...............] 500 of 1000 listed, 250/s, about 2s left
users         [##############################] 1000 of 1000 listed, 250/s
organizations [##############################] 3 of 3 listed, 30/s
users         2 not listed, asked about one by one, 4/s
a message
memberships   40 listed, 8/s
`, out.String())
}
