package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/seed77920f6a/clerkwebhook/clerksync"
)

// reconcileConfig is reconcile's command line and environment, resolved.
type reconcileConfig struct {
	db         string
	key        string
	api        apiFlags
	retryLimit time.Duration // envRetryLimit, 0 for the default
}

// leasePoll is how often reconcile looks again when another reconcile
// holds the database's lease.
const leasePoll = 2 * time.Second

func runReconcile(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("clerksync reconcile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg reconcileConfig
	fs.StringVar(&cfg.db, "db", "sqlite:clerksync.db", "the `database`: sqlite:FILE (an embedded file) or a postgres:// URL")
	cfg.api.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return usageStatus(err, stderr)
	}
	if err := cfg.api.check(); err != nil {
		return usageStatus(err, stderr)
	}
	if cfg.key = getenv(EnvSecretKey); cfg.key == "" {
		fmt.Fprintf(stderr, "clerksync: %s is not set: reconcile reads Clerk's Backend API with the instance's secret key (sk_live_… or sk_test_…)\n", EnvSecretKey)
		return 2
	}
	var err error
	if cfg.retryLimit, err = durationEnv(getenv, envRetryLimit); err != nil {
		return usageStatus(err, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Warnings only: the progress and the summary say the rest.
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return reconcile(ctx, cfg, stdout, stderr, logger)
}

// reconcile runs one reconcile to its end, waiting for another to release
// the lease first, and prints its progress and summary.
func reconcile(ctx context.Context, cfg reconcileConfig, stdout, stderr io.Writer, logger *slog.Logger) int {
	db, err := openDatabase(ctx, cfg.db, 4, logger)
	if err != nil {
		fmt.Fprintln(stderr, "clerksync: database error:", err)
		return 1
	}
	defer db.close()
	mirror, err := clerksync.New(db.sql, db.dialect, mirrorOptions(cfg.key, cfg.api, cfg.retryLimit, logger)...)
	if err != nil {
		fmt.Fprintln(stderr, "clerksync:", err)
		return 2
	}
	fmt.Fprintf(stdout, "clerksync: reconciling %s with the Backend API at %s\n", redact(cfg.db), mirror.APIURL())
	began := time.Now()
	p := newProgressPrinter(stdout)
	var sum clerksync.Summary
	for {
		sum, err = mirror.Reconcile(ctx, p.update)
		if !errors.Is(err, clerksync.ErrReconcileRunning) {
			break
		}
		p.message(fmt.Sprintf("clerksync: waiting: %v", err))
		select {
		case <-time.After(leasePoll):
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	p.done()
	took := time.Since(began).Round(time.Millisecond)
	if err == nil {
		fmt.Fprintf(stdout, "clerksync: reconcile complete: run %d%s in %v, %d Backend API requests\n", sum.Run, resumed(sum), took, sum.Requests)
		printSummary(stdout, sum)
		return 0
	}
	if sum.Run != 0 {
		fmt.Fprintf(stdout, "clerksync: reconcile stopped: run %d%s after %v, %d Backend API requests; the next reconcile resumes it\n", sum.Run, resumed(sum), took, sum.Requests)
		printSummary(stdout, sum)
	}
	fmt.Fprintln(stderr, "clerksync: reconcile failed:", err)
	if hint := hintFor(err, mirror); hint != "" {
		fmt.Fprintln(stderr, "clerksync:", hint)
	}
	return 1
}

func resumed(s clerksync.Summary) string {
	if s.Resumed {
		return " (resumed)"
	}
	return ""
}

// hintFor says what to do about a reconcile's error.
func hintFor(err error, m *clerksync.Mirror) string {
	switch {
	case errors.Is(err, clerksync.ErrUnauthorized):
		return "check " + EnvSecretKey + ": it must be the secret key (sk_…) of the instance whose webhooks this mirror receives"
	case errors.Is(err, clerksync.ErrUnavailable):
		return fmt.Sprintf("the Backend API at %s did not answer with anything but errors until the retry limit; nothing was deleted on its account: run reconcile again later, it resumes where it stopped", m.APIURL())
	case errors.Is(err, clerksync.ErrMalformedResponse):
		return fmt.Sprintf("the Backend API at %s answered with something Clerk's API does not send (is --api-url right?); nothing was changed on its account", m.APIURL())
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.As(err, new(*clerksync.APIError)):
		return ""
	default:
		return "database error: the mirror is as the last page stored left it"
	}
}

// printSummary prints the counts as a table.
func printSummary(w io.Writer, s clerksync.Summary) {
	fmt.Fprintf(w, "  %-14s %9s %9s %9s %9s %9s %9s\n", "", "listed", "inserted", "updated", "unchanged", "stale", "deleted")
	for _, k := range []struct {
		name string
		c    clerksync.Counts
	}{{"users", s.Users}, {"organizations", s.Organizations}, {"memberships", s.Memberships}} {
		fmt.Fprintf(w, "  %-14s %9d %9d %9d %9d %9d %9d\n", k.name, k.c.Listed, k.c.Inserted, k.c.Updated, k.c.Unchanged, k.c.Stale, k.c.Deleted)
	}
}
