package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/riverqueue/river"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkriver"
	"github.com/seed77920f6a/clerkwebhook/clerksync"
)

// shutdownTimeout bounds a graceful stop: the requests in flight, then the
// applies running, get this long to finish; applies still running then are
// cancelled, and their jobs run again at the next start.
const shutdownTimeout = 10 * time.Second

// serveConfig is serve's command line and environment, resolved.
type serveConfig struct {
	addr, path, db string
	readAddr       string // "": no read endpoints
	secret         string
	generated      bool // secret was generated for this run
	key            string
	api            apiFlags
	every          time.Duration // 0: no periodic reconcile
	applyDelay     time.Duration // envApplyDelay
	retryLimit     time.Duration // envRetryLimit, 0 for the default
}

func runServe(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := parseServe(args, getenv, stderr)
	if err != nil {
		return usageStatus(err, stderr)
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()
	if err := serve(ctx, cfg, stdout, logger); err != nil {
		fmt.Fprintln(stderr, "clerksync:", err)
		return 1
	}
	return 0
}

// parseServe reads serve's command line and the environment.
func parseServe(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	fs := flag.NewFlagSet("clerksync serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg serveConfig
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:3000", "receive webhooks on this `address`")
	fs.StringVar(&cfg.readAddr, "read-addr", "127.0.0.1:3001", "serve the read endpoints on this `address` (empty: none); keep it private")
	fs.StringVar(&cfg.path, "path", "/webhooks/clerk", "receive webhooks at this URL `path`")
	fs.StringVar(&cfg.db, "db", "sqlite:clerksync.db", "the `database`: sqlite:FILE (an embedded file) or a postgres:// URL")
	fs.StringVar(&cfg.secret, "secret", "", "the endpoint's signing `secret` (default $"+
		clerkwebhook.EnvSigningSecret+", else $"+clerkwebhook.EnvSecret+", else generated)")
	fs.DurationVar(&cfg.every, "reconcile-every", 24*time.Hour, "reconcile with the Backend API this often (0: never)")
	cfg.api.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return serveConfig{}, err
	}
	if !strings.HasPrefix(cfg.path, "/") || strings.ContainsAny(cfg.path, "{} \t") {
		return serveConfig{}, fmt.Errorf("--path must be a URL path such as /webhooks/clerk")
	}
	if cfg.every < 0 {
		return serveConfig{}, fmt.Errorf("--reconcile-every must not be negative")
	}
	if err := cfg.api.check(); err != nil {
		return serveConfig{}, err
	}
	for _, v := range []string{clerkwebhook.EnvSigningSecret, clerkwebhook.EnvSecret} {
		if cfg.secret == "" {
			cfg.secret = getenv(v)
		}
	}
	if cfg.secret == "" {
		cfg.secret, cfg.generated = newSecret(), true
	}
	cfg.key = getenv(EnvSecretKey)
	var err error
	if cfg.applyDelay, err = durationEnv(getenv, envApplyDelay); err != nil {
		return serveConfig{}, err
	}
	if cfg.retryLimit, err = durationEnv(getenv, envRetryLimit); err != nil {
		return serveConfig{}, err
	}
	return cfg, nil
}

func durationEnv(getenv func(string) string, name string) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

// newSecret returns a random signing secret in Clerk's form: "whsec_" and
// the base64 of 24 random bytes.
func newSecret() string {
	key := make([]byte, 24)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// mirrorOptions are the clerksync options the Backend API flags and
// variables make.
func mirrorOptions(key string, api apiFlags, retryLimit time.Duration, logger *slog.Logger) []clerksync.Option {
	opts := []clerksync.Option{clerksync.WithAPIURL(api.url), clerksync.WithRequestRate(api.rate, 10*time.Second), clerksync.WithLogger(logger)}
	if key != "" {
		opts = append(opts, clerksync.WithSecretKey(key))
	}
	if retryLimit > 0 {
		opts = append(opts, clerksync.WithRetryLimit(retryLimit))
	}
	return opts
}

// serve runs the service until ctx is done, then stops it gracefully.
func serve(ctx context.Context, cfg serveConfig, stdout io.Writer, logger *slog.Logger) error {
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
	fmt.Fprintf(stdout, "clerksync: receiving webhooks at http://%s%s, reads at %s, database %s\n",
		listeners[0].Addr(), cfg.path, reads, redact(cfg.db))
	switch {
	case cfg.key == "":
		fmt.Fprintf(stdout, "clerksync: no %s: reconcile and fetch-on-miss are off; the mirror follows the webhooks only\n", EnvSecretKey)
	case cfg.every == 0:
		fmt.Fprintf(stdout, "clerksync: Backend API %s: fetch-on-miss on, periodic reconcile off (--reconcile-every 0)\n", svc.mirror.APIURL())
	default:
		fmt.Fprintf(stdout, "clerksync: Backend API %s: fetch-on-miss on, reconcile every %v\n", svc.mirror.APIURL(), cfg.every)
	}
	served := make(chan error, len(servers))
	for i, srv := range servers {
		go func(srv *http.Server, ln net.Listener) { served <- srv.Serve(ln) }(srv, listeners[i])
	}
	select {
	case err = <-served: // a listener failed: stop everything
	case <-ctx.Done():
	}
	fmt.Fprintln(stdout, "clerksync: stopping")
	stopCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	// First the requests in flight: each event is stored, or answered 500
	// and retried by Svix. Then the applies, and the reconcile, which
	// stops at once and resumes at the next start.
	for _, srv := range servers {
		if shutdownErr := srv.Shutdown(stopCtx); err == nil {
			err = shutdownErr
		}
	}
	if err := svc.stop(stopCtx); err != nil {
		return err
	}
	if err == nil {
		fmt.Fprintln(stdout, "clerksync: stopped")
	}
	return err
}

// A service is serve's parts, wired: the database with its River client
// running, the mirror, and the HTTP handlers of its two listeners.
type service struct {
	db       *database
	river    riverClient
	mirror   *clerksync.Mirror
	webhooks http.Handler // POST --path only
	reads    http.Handler // the read endpoints
	stopping chan struct{}
}

// start opens and migrates the database, makes the mirror, wires the
// Handler to River (clerkriver's wiring: the Queue needs the client, and
// the worker needs the Handler), adds the periodic reconcile, and starts
// River's workers.
func start(ctx context.Context, cfg serveConfig, logger *slog.Logger) (*service, error) {
	v, err := clerkwebhook.NewVerifier(cfg.secret)
	if err != nil {
		return nil, err // names the mistake, never the secret
	}
	db, err := openDatabase(ctx, cfg.db, 20, logger)
	if err != nil {
		return nil, err
	}
	mirror, err := clerksync.New(db.sql, db.dialect, mirrorOptions(cfg.key, cfg.api, cfg.retryLimit, logger)...)
	if err != nil {
		db.close()
		return nil, err
	}
	svc := &service{db: db, mirror: mirror, stopping: make(chan struct{})}
	workers := river.NewWorkers()
	rc := &river.Config{
		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}},
		Workers: workers,
	}
	if mirror.HasAPI() && cfg.every > 0 {
		addReconcileJob(rc, workers, &reconcileWorker{mirror: mirror, every: cfg.every, logger: logger, stopping: svc.stopping})
	}
	client, queue, err := db.river(ctx, rc)
	if err != nil {
		db.close()
		return nil, err
	}
	svc.river = client
	// Failed deliveries are logged: a rejection (a forgery, a stale retry,
	// a wrong secret) as a warning, a database failure (answered 500: Svix
	// retries) as an error.
	h := clerkwebhook.NewHandler(v, clerkwebhook.WithQueue(queue), clerkwebhook.WithLogger(logger))
	var worker river.Worker[clerkriver.Args] = clerkriver.NewWorker(h)
	if cfg.applyDelay > 0 {
		worker = &delayedWorker{Worker: worker, delay: cfg.applyDelay}
	}
	river.AddWorker(workers, worker)
	mirror.Register(h)
	// Not ctx: a signal stops River through stop, gracefully.
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		db.close()
		return nil, err
	}
	svc.webhooks = newWebhookMux(cfg.path, h)
	svc.reads = newReadMux(mirror, logger)
	return svc, nil
}

// stop stops the reconcile, then River's workers, letting the applies
// running finish until ctx is done and cancelling the rest (their jobs run
// again at the next start), and closes the database.
func (s *service) stop(ctx context.Context) error {
	close(s.stopping)
	err := s.river.Stop(ctx)
	if err != nil {
		cancelCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = s.river.StopAndCancel(cancelCtx)
	}
	s.db.close()
	return err
}

// delayedWorker is for tests only (envApplyDelay): every apply waits
// first, so that a test can kill the process while jobs run.
type delayedWorker struct {
	river.Worker[clerkriver.Args]
	delay time.Duration
}

func (w *delayedWorker) Work(ctx context.Context, job *river.Job[clerkriver.Args]) error {
	select {
	case <-time.After(w.delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	return w.Worker.Work(ctx, job)
}
