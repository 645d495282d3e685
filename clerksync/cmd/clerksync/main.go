// Command clerksync keeps a database's mirror of a Clerk instance's users,
// organizations and organization memberships, complete and current: it
// reconciles the mirror with Clerk's Backend API, and applies Clerk's
// webhooks as they come.
//
//	clerksync reconcile [--db sqlite:FILE | --db postgres://…] [--api-url URL] [--api-rate N]
//	clerksync serve     [--addr 127.0.0.1:3000] [--path /webhooks/clerk] [--read-addr 127.0.0.1:3001]
//	                    [--db …] [--api-url URL] [--api-rate N] [--reconcile-every 24h] [--secret whsec_…]
//
// On a new instance (or a new database), run reconcile once: it copies
// every user, organization and membership, and exits 0 when the mirror is
// complete. Then run serve: it receives the webhooks on --addr (POST
// --path, which Svix must reach), stores each as a River job in the same
// database and applies it under the order rule, serves the mirror
// read-only on --read-addr (keep it private), and reconciles again every
// --reconcile-every (0 for never), one replica at a time.
//
// The Backend API key comes from $CLERK_SECRET_KEY; without it, serve
// follows the webhooks only, and says so. The webhook signing secret comes
// from --secret, else $CLERK_WEBHOOK_SIGNING_SECRET, else
// $CLERK_WEBHOOK_SECRET; with none, serve generates one for the run and
// prints it. Neither key is ever printed otherwise. SIGINT or SIGTERM stops
// either command gracefully; a reconcile stopped anywhere is resumed by the
// next one.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
)

// EnvSecretKey names the environment variable that holds the Backend
// API's secret key, as Clerk's documentation and SDKs call it.
const EnvSecretKey = "CLERK_SECRET_KEY"

// Variables for tests only.
const (
	// envApplyDelay is a Go duration every webhook's apply waits first,
	// so that a test can kill serve while jobs run.
	envApplyDelay = "CLERKSYNC_TEST_APPLY_DELAY"
	// envRetryLimit replaces the two minutes a Backend API request is
	// retried for, so that a test of an unreachable API ends sooner.
	envRetryLimit = "CLERKSYNC_TEST_RETRY_LIMIT"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

const usage = `usage:
  clerksync reconcile [--db sqlite:FILE | postgres://…] [--api-url URL] [--api-rate N]
  clerksync serve     [--addr 127.0.0.1:3000] [--path /webhooks/clerk] [--read-addr 127.0.0.1:3001]
                      [--db …] [--api-url URL] [--api-rate N] [--reconcile-every 24h] [--secret whsec_…]

The Backend API key is $` + EnvSecretKey + `. "clerksync COMMAND -h" lists a command's flags.
`

// run is the program: it returns the exit status, 0 when the command
// completed, 2 for a usage error and 1 when it failed.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var status int
	switch args[0] {
	case "serve":
		status = runServe(args[1:], getenv, stdout, stderr)
	case "reconcile":
		status = runReconcile(args[1:], getenv, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "clerksync: unknown command %q\n\n%s", args[0], usage)
		status = 2
	}
	return status
}

// apiFlags are the flags both commands have for the Backend API.
type apiFlags struct {
	url  string
	rate int // requests per 10 seconds
}

func (a *apiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.url, "api-url", "https://api.clerk.com/v1", "the Backend API's base `URL`")
	fs.IntVar(&a.rate, "api-rate", 80, "send at most `N` requests to the Backend API in any 10 seconds (Clerk allows 100 to a development instance, 1000 to a production one)")
}

func (a *apiFlags) check() error {
	if a.rate <= 0 {
		return fmt.Errorf("--api-rate must be positive")
	}
	if u, err := url.Parse(a.url); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("--api-url must be an http(s) URL such as https://api.clerk.com/v1")
	}
	return nil
}

// parseFlags parses args with fs, refusing extra arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// usageStatus prints a parse error and returns the exit status for it.
func usageStatus(err error, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "clerksync:", err)
	return 2
}
