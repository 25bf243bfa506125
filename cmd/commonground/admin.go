package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/commonground/commonground/proposals"
)

const adminUsage = `Usage: commonground admin COMMAND [flags]

Commands:
  setup-token      print the one-time token that the setup page asks for
  init             set up the instance without a browser:
                   --name NAME --handle HANDLE [--summary TEXT] --admin USERNAME
  create-user      add an account: --username NAME [--display-name NAME] [--role member|facilitator|admin]
  reset-password   set an account's password: --username NAME

Passwords are read from standard input (one line) or COMMONGROUND_ADMIN_PASSWORD.
Every admin command also takes serve's database flags (--data-dir, --database-url).
`

// admin runs an operator command against the instance's database.
func admin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stdout, adminUsage)
		return nil
	}
	command, args := args[0], args[1:]
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			// The admin commands' flags, not serve's long list.
			fmt.Fprint(stdout, adminUsage)
			return errHelp
		}
	}
	own := flag.NewFlagSet("admin "+command, flag.ContinueOnError)
	own.SetOutput(io.Discard)
	name := own.String("name", "", "the movement's name")
	handle := own.String("handle", "", "the movement's handle")
	summary := own.String("summary", "", "the movement's short description")
	adminUser := own.String("admin", "", "the first admin's username")
	username := own.String("username", "", "the account's username")
	display := own.String("display-name", "", "the account's display name")
	role := own.String("role", "member", "the account's role")

	// Split the arguments: this command's own flags, and serve's database flags.
	ownArgs, configArgs := splitFlags(args, own)
	if err := own.Parse(ownArgs); err != nil {
		return usageError{fmt.Errorf("admin %s: %v", command, err)}
	}
	c, err := parseConfig("admin "+command, configArgs, getenv, stdout)
	if err != nil {
		if errors.Is(err, errHelp) {
			return err
		}
		return usageError{err}
	}
	db, err := openDatabase(ctx, c, c.logger(io.Discard))
	if err != nil {
		return err
	}
	defer db.Close()
	svc := proposals.NewService(db.Store(), time.Now)
	password := func() (string, error) { return readPassword(getenv, stdin) }

	switch command {
	case "setup-token":
		token, err := svc.SetupToken(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, token)
	case "init":
		pw, err := password()
		if err != nil {
			return err
		}
		m, err := svc.Initialize(ctx, proposals.Founding{
			Movement: proposals.Movement{Name: *name, Handle: *handle, Summary: *summary},
			Admin:    proposals.NewAccount{Username: *adminUser, Password: pw},
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "set up @%s with admin %s\n", strings.ToLower(strings.TrimPrefix(*handle, "@")), m.Username)
	case "create-user":
		pw, err := password()
		if err != nil {
			return err
		}
		m, err := svc.CreateMember(ctx, proposals.NewAccount{Username: *username, DisplayName: *display, Password: pw}, proposals.Role(*role))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created %s (%s)\n", m.Username, m.Role)
	case "reset-password":
		pw, err := password()
		if err != nil {
			return err
		}
		if err := svc.ResetPassword(ctx, *username, pw); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s reset; their sessions have ended\n", *username)
	default:
		return usageError{fmt.Errorf("unknown admin command %q (run commonground admin)", command)}
	}
	return nil
}

// splitFlags separates the flags own defines from the rest, keeping each
// flag's value with it ("--name X" or "--name=X").
func splitFlags(args []string, own *flag.FlagSet) (ownArgs, rest []string) {
	for i := 0; i < len(args); i++ {
		name := strings.TrimLeft(args[i], "-")
		name, _, hasValue := strings.Cut(name, "=")
		target := &rest
		if own.Lookup(name) != nil {
			target = &ownArgs
		}
		*target = append(*target, args[i])
		if !hasValue && strings.HasPrefix(args[i], "-") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			i++
			*target = append(*target, args[i])
		}
	}
	return ownArgs, rest
}

// readPassword takes COMMONGROUND_ADMIN_PASSWORD, or one line of standard input,
// so that a password never appears in the process list or shell history.
func readPassword(getenv func(string) string, stdin io.Reader) (string, error) {
	if pw := getenv("COMMONGROUND_ADMIN_PASSWORD"); pw != "" {
		return pw, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usageError{errors.New("no password: pipe it on standard input or set COMMONGROUND_ADMIN_PASSWORD")}
	}
	return line, nil
}
