// Command commonground runs a Common Ground instance: the browser UI and the
// federation endpoints of one movement, from one process.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	// Members choose the time zone they read times in; the time zone database
	// is built in so that this works where the system has none (containers).
	_ "time/tzdata"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `Usage: commonground [command] [flags]

Commands:
  serve     run the instance (the default)
  migrate   apply database migrations and exit
  admin     operator commands from the shell (run "commonground admin" to list them)
  match     group objectives that state the same aim: commonground match FILE.json
  version   print the version

Run "commonground COMMAND --help" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program behind main, with its inputs passed in so that tests
// can drive it. It returns the exit code: 0 on success, 1 on a failure at run
// time, 2 on a usage error.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	// No command, or flags first, is serve (so that "commonground --listen …"
	// runs the service); "--help" on its own lists the commands.
	command := "serve"
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] != "" && args[0][0] != '-') {
		command, args = args[0], args[1:]
	}
	var err error
	switch command {
	case "serve":
		err = withConfig(command, args, getenv, stdout, func(c Config) error { return serve(ctx, c, stderr) })
	case "migrate":
		err = withConfig(command, args, getenv, stdout, func(c Config) error { return migrate(ctx, c, stdout, stderr) })
	case "admin":
		err = admin(ctx, args, getenv, os.Stdin, stdout, stderr)
	case "match":
		err = matchCommand(args, os.Stdin, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "commonground", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "commonground: unknown command %q\n%s", command, usage)
		return 2
	}
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "commonground: %v\n", errors.Unwrap(err))
		return 2
	default:
		fmt.Fprintf(stderr, "commonground: %v\n", err)
		return 1
	}
}

// errUsage wraps configuration errors, which exit with 2 like other usage errors.
var errUsage = errors.New("usage")

type usageError struct{ err error }

func (u usageError) Error() string        { return u.err.Error() }
func (u usageError) Is(target error) bool { return target == errUsage }
func (u usageError) Unwrap() error        { return u.err }

func withConfig(command string, args []string, getenv func(string) string, helpOut io.Writer, fn func(Config) error) error {
	c, err := parseConfig(command, args, getenv, helpOut)
	if errors.Is(err, errHelp) {
		return err
	}
	if err != nil {
		return usageError{err}
	}
	return fn(c)
}
