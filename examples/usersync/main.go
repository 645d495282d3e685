// Command usersync keeps a database's copy of Clerk's users, organizations
// and organization memberships in sync from Clerk's webhooks, correct under
// duplicate deliveries and in any order of arrival.
//
// It verifies each delivery with clerkwebhook's Handler, stores the event as
// a River job in the same database (SQLite or PostgreSQL) and answers 200 at
// once; River's workers then apply the events (apply.go) under one order
// rule (store.go). It serves the synced data read-only (http.go), on a
// listener of its own.
//
//	go run ./examples/usersync [--addr 127.0.0.1:3000] [--path /webhooks/clerk]
//	    [--read-addr 127.0.0.1:3001] [--db sqlite:usersync.db | --db postgres://…] [--secret whsec_…]
//
// The secret comes from --secret, else $CLERK_WEBHOOK_SIGNING_SECRET, else
// $CLERK_WEBHOOK_SECRET; with none, usersync generates one for the run and
// prints it. SIGINT or SIGTERM stops it gracefully.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/riverqueue/river"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkriver"
)

// envApplyDelay is for tests only: a Go duration every apply waits first
// (see applier.delay).
const envApplyDelay = "USERSYNC_TEST_APPLY_DELAY"

// shutdownTimeout bounds a graceful stop: the requests in flight, then the
// applies running, get this long to finish; applies still running then are
// cancelled, and their jobs run again at the next start.
const shutdownTimeout = 10 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// config is the command line, resolved.
type config struct {
	addr, path, db string
	readAddr       string // "": no read endpoints
	secret         string
	generated      bool          // secret was generated for this run
	applyDelay     time.Duration // envApplyDelay
}

// run is the program: it returns the exit status, 2 for a usage error and 1
// when the service failed.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "usersync:", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()
	if err := serve(ctx, cfg, stdout, logger); err != nil {
		fmt.Fprintln(stderr, "usersync:", err)
		return 1
	}
	return 0
}

// parseConfig reads the command line and the environment.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("usersync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:3000", "receive webhooks on this `address`")
	fs.StringVar(&cfg.readAddr, "read-addr", "127.0.0.1:3001", "serve the read endpoints on this `address` (empty: none); keep it private")
	fs.StringVar(&cfg.path, "path", "/webhooks/clerk", "receive webhooks at this URL `path`")
	fs.StringVar(&cfg.db, "db", "sqlite:usersync.db", "the `database`: sqlite:FILE (an embedded file) or a postgres:// URL")
	fs.StringVar(&cfg.secret, "secret", "", "the endpoint's signing `secret` (default $"+
		clerkwebhook.EnvSigningSecret+", else $"+clerkwebhook.EnvSecret+", else generated)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if !strings.HasPrefix(cfg.path, "/") || strings.ContainsAny(cfg.path, "{} \t") {
		return config{}, fmt.Errorf("--path must be a URL path such as /webhooks/clerk")
	}
	for _, v := range []string{clerkwebhook.EnvSigningSecret, clerkwebhook.EnvSecret} {
		if cfg.secret == "" {
			cfg.secret = getenv(v)
		}
	}
	if cfg.secret == "" {
		cfg.secret, cfg.generated = newSecret(), true
	}
	if v := getenv(envApplyDelay); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return config{}, fmt.Errorf("%s: %w", envApplyDelay, err)
		}
		cfg.applyDelay = d
	}
	return cfg, nil
}

// newSecret returns a random signing secret in Clerk's form: "whsec_" and
// the base64 of 24 random bytes.
func newSecret() string {
	key := make([]byte, 24)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// serve runs the service until ctx is done, then stops it gracefully.
func serve(ctx context.Context, cfg config, stdout io.Writer, logger *slog.Logger) error {
	svc, err := start(ctx, cfg, logger)
	if err != nil {
		return err
	}
	// Two listeners: the webhooks, which Svix must reach, and the reads,
	// which return personal data and stay private.
	servers := []*http.Server{{Handler: svc.webhooks}}
	addrs := []string{cfg.addr}
	if cfg.readAddr != "" {
		servers = append(servers, &http.Server{Handler: svc.reads})
		addrs = append(addrs, cfg.readAddr)
	}
	listeners := make([]net.Listener, len(servers))
	for i, addr := range addrs {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range listeners[:i] {
				l.Close()
			}
			_ = svc.stop(context.Background())
			return err
		}
		listeners[i] = ln
		servers[i].ReadHeaderTimeout, servers[i].ReadTimeout = 10*time.Second, time.Minute
	}
	if cfg.generated {
		fmt.Fprintf(stdout, "no secret given: generated signing secret %s (for this run only)\n", cfg.secret)
	}
	reads := "off"
	if len(listeners) > 1 {
		reads = "http://" + listeners[1].Addr().String()
	}
	fmt.Fprintf(stdout, "usersync: receiving webhooks at http://%s%s, reads at %s, database %s\n",
		listeners[0].Addr(), cfg.path, reads, redact(cfg.db))
	served := make(chan error, len(servers))
	for i, srv := range servers {
		go func(srv *http.Server, ln net.Listener) { served <- srv.Serve(ln) }(srv, listeners[i])
	}
	select {
	case err = <-served: // a listener failed: stop everything
	case <-ctx.Done():
	}
	fmt.Fprintln(stdout, "usersync: stopping")
	stopCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	// First the requests in flight: each event is stored, or answered 500
	// and retried by Svix. Then the applies.
	for _, srv := range servers {
		if shutdownErr := srv.Shutdown(stopCtx); err == nil {
			err = shutdownErr
		}
	}
	if err := svc.stop(stopCtx); err != nil {
		return err
	}
	if err == nil {
		fmt.Fprintln(stdout, "usersync: stopped")
	}
	return err
}

// redact hides a PostgreSQL URL's password.
func redact(db string) string {
	if u, err := url.Parse(db); err == nil && u.User != nil {
		return u.Redacted()
	}
	return db
}

// A service is the program's parts, wired: the database with its River
// client running, and the HTTP handlers of its two listeners.
type service struct {
	db       *database
	store    *store
	webhooks http.Handler // POST --path only
	reads    http.Handler // the read endpoints
}

// start opens and migrates the database, wires the Handler to River, and
// starts River's workers. The wiring is clerkriver's: the Queue needs the
// client, and the worker needs the Handler.
func start(ctx context.Context, cfg config, logger *slog.Logger) (*service, error) {
	v, err := clerkwebhook.NewVerifier(cfg.secret)
	if err != nil {
		return nil, err // names the mistake, never the secret
	}
	db, err := openDatabase(ctx, cfg.db, logger)
	if err != nil {
		return nil, err
	}
	st := &store{db: db.sql}
	// Failed deliveries are logged: a rejection (a forgery, a stale retry,
	// a wrong secret) as a warning, a database failure (answered 500: Svix
	// retries) as an error.
	h := clerkwebhook.NewHandler(v, clerkwebhook.WithQueue(db.queue), clerkwebhook.WithLogger(logger))
	river.AddWorker(db.workers, clerkriver.NewWorker(h))
	(&applier{store: st, delay: cfg.applyDelay}).register(h)
	// Not ctx: a signal stops River through stop, gracefully.
	if err := db.river.Start(context.WithoutCancel(ctx)); err != nil {
		db.close()
		return nil, err
	}
	return &service{db: db, store: st, webhooks: newWebhookMux(cfg.path, h), reads: newReadMux(st, logger)}, nil
}

// stop stops River's workers, letting the applies running finish until ctx
// is done and cancelling the rest (their jobs run again at the next start),
// and closes the database.
func (s *service) stop(ctx context.Context) error {
	err := s.db.river.Stop(ctx)
	if err != nil {
		cancelCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = s.db.river.StopAndCancel(cancelCtx)
	}
	s.db.close()
	return err
}
