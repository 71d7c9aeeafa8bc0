// Command ticketd turns mail sent to a support address into tickets and
// answers on time. `ticketd help` lists the commands; `ticketd demo` runs
// the whole pipeline against embedded mail servers with no setup.
//
// Size: about 2,800 lines, one file per command family (tickets,
// customers and contacts, quarantine, templates, classify, reports, sla,
// bench, demo); each only parses flags, calls desk, store or daemon and
// prints for people or --json.
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
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // zones work on hosts without a zoneinfo database

	"ticketd/ticket"
)

func main() {
	m := NewMain()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(m.Run(ctx, os.Args[1:]))
}

// Main is the whole program behind a testable interface: streams and
// environment are fields, Run returns the exit code.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Signals, when set, delivers SIGHUP-style reload requests and a
	// second shutdown signal (for forced exit) to `run`.
	Signals <-chan os.Signal
	// Clock is "now" for every command (overdue, reports, the daemon);
	// nil means the system clock.
	Clock ticket.Clock
}

// now returns the current time from m's clock, in UTC.
func (m *Main) now() time.Time {
	if m.Clock == nil {
		return ticket.SystemClock{}.Now()
	}
	return m.Clock.Now().UTC()
}

// NewMain returns a Main wired to the process's streams and environment.
func NewMain() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// command is one subcommand: its usage line, a one-line summary, and the
// function that runs it with the arguments after its name.
type command struct {
	usage   string
	summary string
	run     func(m *Main, ctx context.Context, args []string) error
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"run":          {"run [--config F]", "run the daemon: read the mailbox, open tickets, send mail", (*Main).cmdRun},
		"check-config": {"check-config [--config F]", "validate the configuration and report problems and warnings", (*Main).cmdCheckConfig},
		"demo":         {"demo [--serve]", "run the real pipeline against embedded IMAP and SMTP servers with sample mail", (*Main).cmdDemo},
		"version":      {"version", "print version and build information", (*Main).cmdVersion},
		"migrate":      {"migrate [--config F] | migrate --from sqlite:PATH [--to postgres:DSN] [--json]", "upgrade the database schema explicitly; with --from, copy a desk into a new, empty database (default --to: the configured [store]) and verify it by row counts and checksums", (*Main).cmdMigrate},
		"backup":       {"backup [--config F] FILE", "write an online, consistent copy of the SQLite database to FILE (PostgreSQL: use pg_dump)", (*Main).cmdBackup},
		"tickets":      {"tickets list|show …", "list tickets, 50 a page (filters: --status, --level, --customer, --overdue; --limit N, --before N) or show one", (*Main).cmdTickets},
		"customers":    {"customers add|list|show|set|rm …", "manage customers and their plans", (*Main).cmdCustomers},
		"contacts":     {"contacts add|rm|list|import|export …", "manage technical contacts", (*Main).cmdContacts},
		"quarantine":   {"quarantine list|show|release|drop …", "review mail that did not become a ticket", (*Main).cmdQuarantine},
		"templates":    {"templates list|preview|check|export …", "inspect, preview and validate mail templates", (*Main).cmdTemplates},
		"sla":          {"sla due|plans|regions …", "compute a due time, list plans, calendars and holiday regions", (*Main).cmdSLA},
		"classify":     {"classify [--config F] [--json] [--learn-from CORRECTIONS] FILE.eml… | --explain-corrections CORRECTIONS | --table", "show the level, impact factors, confidence and sender outcome ticketd would give mail files; report on #level corrections; print the level table", (*Main).cmdClassify},
		"report":       {"report sla|hours|corrections [--since …] [--json]", "first-response performance per plan and level; time against included hours; engineers' level corrections", (*Main).cmdReport},
		"status":       {"status [--json]", "instances using the database and the leases they hold (who reads which inbox, since when)", (*Main).cmdStatus},
		"digest":       {"digest preview --customer NAME [--lang L] [--html] [--json]", "show the status digest a customer's primary contact would get now", (*Main).cmdDigest},
		"bench":        {"bench [--messages N] [--prefill N[,N…]] [--store sqlite|postgres:DSN] [--json]", "measure the whole pipeline against in-process servers, on a database of N tickets", (*Main).cmdBench},
	}
}

// Run runs the command named by args[0] and returns the exit code:
// 0 success, 1 failure, 2 usage error.
func (m *Main) Run(ctx context.Context, args []string) int {
	// Everything printed may carry text from outside mail: show control
	// characters instead of letting them drive the terminal.
	m.Stdout, m.Stderr = newTerminalWriter(m.Stdout), newTerminalWriter(m.Stderr)
	args = globalFlagsAfterCommand(args)
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				fmt.Fprintf(m.Stdout, "usage: ticketd %s\n\n%s\n", c.usage, c.summary)
				return 0
			}
		}
		m.usage(m.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(m.Stderr, "ticketd: unknown command %q\n\n", args[0])
		m.usage(m.Stderr)
		return 2
	}
	if err := c.run(m, ctx, args[1:]); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(m.Stderr, "ticketd %s: %v\nusage: ticketd %s\n", args[0], ue.err, c.usage)
			return 2
		}
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var silent exitCode
		if errors.As(err, &silent) {
			return int(silent)
		}
		fmt.Fprintf(m.Stderr, "ticketd %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// globalFlags are the flags every command takes; they may also stand
// before the command (`ticketd --config F tickets list`).
var globalFlags = map[string]bool{"config": true}

// globalFlagsAfterCommand moves global flags written before the command to
// the end of its arguments (before a "--"), where the command's flag set
// parses them: flags may follow positional arguments.
func globalFlagsAfterCommand(args []string) []string {
	var moved []string
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" && args[i] != "--" {
		name, _, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !globalFlags[name] {
			break
		}
		if hasValue || i+1 >= len(args) {
			moved = append(moved, args[i])
			i++
			continue
		}
		moved = append(moved, args[i], args[i+1])
		i += 2
	}
	if len(moved) == 0 || i >= len(args) {
		return args
	}
	rest := args[i:]
	end := slices.Index(rest, "--")
	if end < 0 {
		end = len(rest)
	}
	out := append(append(append([]string{}, rest[:end]...), moved...), rest[end:]...)
	return out
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprintln(w, "ticketd turns mail sent to a support address into tickets and answers on time.")
	fmt.Fprintln(w, "\nusage: ticketd COMMAND [flags] [arguments]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nEvery command takes --config F (default ./ticketd.toml or $TICKETD_CONFIG). `ticketd help COMMAND` for one command.")
}

// usageError marks errors in how a command was called (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitCode ends the command with that code without another message.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// flags is a FlagSet with the --config flag every command takes.
type flags struct {
	*flag.FlagSet
	config *string
	m      *Main
}

func (m *Main) newFlags(name string) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	def := m.Getenv("TICKETD_CONFIG")
	if def == "" {
		def = "ticketd.toml"
	}
	return &flags{FlagSet: fs, config: fs.String("config", def, "configuration `file`"), m: m}
}

// parse parses flags wherever they stand among the positional arguments,
// as people type them (`tickets show 42 --json`), and returns the
// positional arguments. "--" ends flag parsing.
func (f *flags) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.FlagSet.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err}
		}
		rest := f.FlagSet.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// logger builds the slog logger for level and format ("text" or "json").
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: l}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
