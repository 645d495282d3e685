// Command clerkwebhook receives, sends, signs and checks Clerk webhooks on a
// developer's machine, using the clerkwebhook library for every verification.
//
//	clerkwebhook demo                          # a self-contained tour: receiver, good and bad deliveries
//	clerkwebhook listen --secret whsec_...     # a local receiver that explains every rejection, with a page
//	clerkwebhook send user.created             # a signed fixture, POSTed as Clerk would
//	clerkwebhook sign body.json                # the three svix-* headers for a body
//	clerkwebhook verify --headers h.txt body.json   # is this capture genuine, and if not, why?
//
// Run "clerkwebhook -h" for the exit codes and "clerkwebhook <command> -h"
// for each command's flags.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/secretenv"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // the operation ran and failed
	exitUsage  = 2 // the command line is wrong
)

const topUsage = `clerkwebhook receives, sends, signs and checks Clerk webhooks locally.

Usage:
  clerkwebhook <command> [flags] [arguments]

Commands:
  demo     start a receiver and send it every fixture plus forged, tampered,
           stale, future, oversized, header-less, GET and duplicate deliveries
  listen   run a local receiver that prints one line per delivery and explains
           every rejection; shows them on a page, and forwards them to your
           app with --forward-to
  send     sign a payload (event type fixture, file or stdin) and POST it as
           Clerk would; with --from-capture, replay a captured delivery
  sign     print the svix-id, svix-timestamp and svix-signature headers for a body
  verify   check a captured delivery (headers file and body) and diagnose why it
           fails

Run "clerkwebhook <command> -h" for a command's flags and an example.

The signing secret comes from --secret, else $CLERK_WEBHOOK_SIGNING_SECRET,
else $CLERK_WEBHOOK_SECRET. No command prints it, except listen when it
generates one.

Exit status:
  0  success
  1  the operation failed: verify found the delivery invalid, send got a
     non-2xx answer (or none), demo saw an unexpected verdict, listen could
     not start, a file could not be read
  2  usage error: unknown command or flag, bad flag value, wrong arguments,
     no secret (listen, send, sign: or one the library rejects; verify
     diagnoses a rejected secret and exits 1)

Example:
  clerkwebhook demo
`

// run is the whole program; main only wires it to the process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "-help", "--help", "help":
		if cmd == "help" && len(rest) > 0 {
			// "clerkwebhook help send" is "clerkwebhook send -h".
			if _, ok := commands[rest[0]]; ok {
				return run(ctx, []string{rest[0], "-h"}, stdin, stdout, stderr)
			}
			fmt.Fprintf(stderr, "clerkwebhook: unknown command %q\n", rest[0])
			return exitUsage
		}
		fmt.Fprint(stdout, topUsage)
		return exitOK
	}
	c, ok := commands[cmd]
	if !ok {
		fmt.Fprintf(stderr, "clerkwebhook: unknown command %q (run \"clerkwebhook -h\" for the list)\n", cmd)
		return exitUsage
	}
	return c(ctx, &env{args: rest, stdin: stdin, stdout: stdout, stderr: stderr})
}

// env is what a command runs with.
type env struct {
	args           []string
	stdin          io.Reader
	stdout, stderr io.Writer
}

var commands = map[string]func(context.Context, *env) int{
	"demo":   runDemo,
	"listen": runListen,
	"send":   runSend,
	"sign":   runSign,
	"verify": runVerify,
}

// usageError is a problem with the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// command is one subcommand's flag set and help text.
type command struct {
	name  string
	fs    *flag.FlagSet
	usage string // synopsis and description; the flags and example follow
	ex    string
}

func newCommand(name, usage, example string) *command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and help are printed by parse
	fs.Usage = func() {}
	return &command{name: name, fs: fs, usage: usage, ex: example}
}

func (c *command) help(w io.Writer) {
	fmt.Fprint(w, c.usage)
	hasFlags := false
	c.fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprint(w, "\nFlags:\n")
		c.fs.SetOutput(w)
		c.fs.PrintDefaults()
		c.fs.SetOutput(io.Discard)
	}
	fmt.Fprintf(w, "\nExample:\n%s", c.ex)
}

// parse parses flags and positional arguments, which may be interleaved
// ("send user.created --url ..."): the flag package alone stops at the first
// positional argument. "--" ends the flags. It returns the positional
// arguments, or done with the exit code when help was asked for or the
// command line is wrong.
func (c *command) parse(e *env) (pos []string, code int, done bool) {
	args := e.args
	for {
		err := c.fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			c.help(e.stdout)
			return nil, exitOK, true
		}
		if err != nil {
			return nil, c.fail(e, &usageError{err.Error()}), true
		}
		rest := c.fs.Args() // a suffix of args
		if len(rest) == 0 {
			return pos, 0, false
		}
		if i := len(args) - len(rest) - 1; i >= 0 && args[i] == "--" {
			return append(pos, rest...), 0, false
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// fail reports err and returns its exit code: 2 for a usage error, else 1.
func (c *command) fail(e *env, err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(e.stderr, "clerkwebhook %s: %v\nRun \"clerkwebhook %s -h\" for usage.\n", c.name, err, c.name)
		return exitUsage
	}
	fmt.Fprintf(e.stderr, "clerkwebhook %s: %v\n", c.name, err)
	return exitFailed
}

// secretFlagHelp is the --secret flag's description, shared by the commands.
const secretFlagHelp = "the endpoint's `whsec_...` signing secret (default $" + secretenv.Primary + ", then $" + secretenv.Fallback + ")"

// resolveSecret returns the secret from the flag, else from the
// environment, and where it came from; "" when there is none.
func resolveSecret(flagValue string) (secret, source string) {
	if flagValue != "" {
		return flagValue, "--secret"
	}
	if secret, name := secretenv.Lookup(); secret != "" {
		return secret, "$" + name
	}
	return "", ""
}

// errNoSecret is the usage error when no secret was given.
var errNoSecret = usagef("no signing secret: pass --secret or set %s", secretenv.Primary)

// requireSecret resolves the secret and checks that the library accepts it.
// Both failures are usage errors; neither message contains the secret.
func requireSecret(flagValue string) (string, error) {
	secret, source := resolveSecret(flagValue)
	if secret == "" {
		return "", errNoSecret
	}
	if _, err := clerkwebhook.NewVerifier(secret); err != nil {
		return "", usagef("the secret from %s is unusable: %v", source, err)
	}
	return secret, nil
}

// readInput reads a named file, or standard input for "-".
func readInput(e *env, name string) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(e.stdin)
		if err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
		return b, nil
	}
	return os.ReadFile(name)
}

// peek reads the event type and data.id from a body without verifying it,
// for display; either is "" when absent.
func peek(body []byte) (eventType, dataID string) {
	var env struct {
		Type string `json:"type"`
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	// An error is ignored: a partly decoded envelope still names what it can.
	_ = json.Unmarshal(body, &env)
	return env.Type, env.Data.ID
}
