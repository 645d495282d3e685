package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/seed77920f6a/clerkwebhook/clerksync"
)

// A progressPrinter shows a reconcile's progress: on a terminal, a line per
// kind and phase rewritten in place, with a bar when the total is known;
// otherwise (a file, a pipe, a log collector), plain lines, at most one
// every plainEvery per phase, and the last of each phase.
type progressPrinter struct {
	w     io.Writer
	tty   bool
	every time.Duration

	key     string // kind and phase of the line under way
	last    clerksync.Progress
	printed time.Time // when the line under way was last printed
	seen    int64     // the count it printed then
	pending bool      // last is not printed yet, and its count was not
}

const (
	plainEvery = 2 * time.Second
	ttyEvery   = 100 * time.Millisecond
	barWidth   = 30
)

func newProgressPrinter(w io.Writer) *progressPrinter {
	p := &progressPrinter{w: w, every: plainEvery}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty, p.every = true, ttyEvery
		}
	}
	return p
}

func (p *progressPrinter) update(pr clerksync.Progress) {
	key := string(pr.Kind) + " " + string(pr.Phase)
	if key != p.key {
		p.finish()
		p.key = key
		p.printed = time.Time{}
	}
	p.last, p.pending = pr, p.printed.IsZero() || pr.Seen != p.seen
	if p.pending && time.Since(p.printed) >= p.every {
		p.print()
	}
}

// print writes the line under way.
func (p *progressPrinter) print() {
	line := progressLine(p.last)
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
	p.printed, p.seen, p.pending = time.Now(), p.last.Seen, false
}

// finish ends the line under way, printing its last state.
func (p *progressPrinter) finish() {
	if p.key == "" {
		return
	}
	if p.pending {
		p.print()
	}
	if p.tty {
		fmt.Fprintln(p.w)
	}
	p.key = ""
}

// message prints a line of its own.
func (p *progressPrinter) message(s string) {
	p.finish()
	fmt.Fprintln(p.w, s)
}

func (p *progressPrinter) done() { p.finish() }

// progressLine renders one state: "users      [#####.....]  12500 of 50000 listed, 3120/s, about 12s left".
func progressLine(pr clerksync.Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-13s ", pr.Kind)
	switch {
	case pr.Phase == clerksync.Confirming:
		fmt.Fprintf(&b, "%d not listed, asked about one by one", pr.Seen)
	case pr.Total > 0:
		done := min(float64(pr.Seen)/float64(pr.Total), 1)
		n := int(done * barWidth)
		fmt.Fprintf(&b, "[%s%s] %d of %d listed", strings.Repeat("#", n), strings.Repeat(".", barWidth-n), pr.Seen, pr.Total)
	default:
		fmt.Fprintf(&b, "%d listed", pr.Seen)
	}
	if pr.Rate > 0 {
		fmt.Fprintf(&b, ", %.0f/s", pr.Rate)
	}
	if pr.Remaining >= 0 && pr.Phase == clerksync.Listing && pr.Seen < pr.Total {
		fmt.Fprintf(&b, ", about %v left", pr.Remaining.Round(time.Second))
	}
	return b.String()
}
