// Package cli is signdeck's command line: the cobra command tree, the
// provider factory, token resolution, and the scriptable subcommands
// (list, show, cancel, copy, auth, sandbox, demo, version). Main runs it
// in-process with the given streams so tests can drive it with buffers.
//
// Exit codes:
//
//	0  success
//	1  an operation failed (a provider call, a missing token, a copy that
//	   was not sent, a cancel that was not confirmed in time, ...)
//	2  usage or config error: bad flags or arguments, unknown account, bad
//	   session reference, config file problems, a copy spec that fails
//	   validation, or a confirmation that cannot be asked because stdin is
//	   not a terminal
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	core "github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/keyring"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/store"
	"github.com/signdeck/signdeck/ui"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Version is signdeck's version; release builds set it with
// -ldflags "-X github.com/signdeck/signdeck/cli.Version=v1.2.3".
var Version = "dev"

// Commit is the VCS revision; builds may set it with -ldflags like Version.
// When empty, the revision recorded by the Go toolchain is used.
var Commit = ""

// keyringTimeout bounds each OS keyring call.
const keyringTimeout = 5 * time.Second

// Main runs signdeck with args (without the program name) and returns the
// process exit code. SIGINT, SIGTERM and SIGHUP cancel the running
// command: the service layer sends nothing new, lets requests in flight
// finish and records not_sent for the rest.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	providers.SetVersion(Version)
	a := newApp(stdin, stdout, stderr)
	a.ownProcess = true
	return a.run(ctx, args)
}

// app holds one invocation's streams, flags, hooks and lazily opened
// resources (config, keyring, log file, audit log).
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	// Hooks; newApp sets the real ones and tests replace them.
	lookupEnv  func(string) (string, bool)
	newStore   func() keyring.Store // the token store (OS keyring)
	isTerminal func(any) bool       // whether a stream is a terminal
	readSecret func(fd int) ([]byte, error)
	runUI      func(context.Context, ui.Options) error
	// ownProcess is set by Main: the app may change process-wide state
	// (the default slog logger while the dashboard runs).
	ownProcess bool
	// pollFirstD and pollMaxD pace `cancel --wait` (0: defaults).
	pollFirstD, pollMaxD time.Duration
	// dbxRecoverWait replaces the Dropbox Sign client's RecoverWait (how
	// long a copy with an unknown outcome keeps searching for its
	// operation id); 0 keeps the client's default. Tests shorten it.
	dbxRecoverWait time.Duration
	// tuneHTTP, when set, adjusts every provider client's shared HTTP
	// settings (tests shorten the retry backoff).
	tuneHTTP func(*providers.ClientConfig)
	// c1RatePerMin replaces the Constellation1 client's own request budget
	// (0: the client's default). Only the demo sets it, from --rate-limit:
	// that vendor sends no rate-limit headers to learn from.
	c1RatePerMin int
	// cachedRefs replaces the session cache (the store) as the source of
	// the refs (ACCOUNT/ID) that shell completion offers, for tests. It
	// must never reach the network.
	cachedRefs func(prefix string, limit int) []string

	// Global flags.
	configFlag string
	debug      bool
	readonly   bool

	// Lazily opened.
	cfg       *config.Config
	storeOnce sync.Once
	store     keyring.Store
	logOnce   sync.Once
	logger    *slog.Logger
	logFile   *os.File
	logErr    error
	// The store (journal) and the service layer, opened on first use.
	dbOnce sync.Once
	db     *store.DB
	dbErr  error
	svc    *core.Service
	// sessCache is the session cache over the store (cli/cache.go).
	sessCache *core.SessionCache
	// storeDir replaces the state directory for the store (the demo's
	// temporary directory, --store).
	storeDir string
	// viaTUI: the journal records the dashboard as the front end.
	viaTUI bool
	// shutdownGrace replaces the service's grace period (tests).
	shutdownGrace time.Duration
	// dbxFindWindow replaces how long a Dropbox Sign copy retry keeps
	// searching the index (tests).
	dbxFindWindow time.Duration
	// out is the running command's output flags (--json, --jq,
	// --template), when it has them.
	out *outputFlags
	// secrets are the tokens this process resolved, for redaction.
	secretsMu sync.Mutex
	secrets   []string
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{
		stdin:      stdin,
		stdout:     stdout,
		stderr:     stderr,
		lookupEnv:  os.LookupEnv,
		newStore:   func() keyring.Store { return keyring.NewOS(keyringTimeout) },
		isTerminal: isTerminal,
		readSecret: readPassword,
		runUI:      ui.Run,
	}
}

// run executes one command line and returns the exit code.
func (a *app) run(ctx context.Context, args []string) int {
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	err := root.ExecuteContext(ctx)
	a.close()
	return a.report(err)
}

// report prints err (if any) on stderr and maps it to an exit code.
func (a *app) report(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if !ee.silent && ee.err != nil {
			a.printErr(ee.err)
		}
		if ee.hint != "" {
			fmt.Fprintln(a.stderr, ee.hint)
		}
		return ee.code
	}
	a.printErr(err)
	return ExitFailure
}

func (a *app) printErr(err error) {
	// Each line is cleaned: errors may quote text from a provider.
	lines := strings.Split(strings.TrimRight(err.Error(), "\n"), "\n")
	for i, l := range lines {
		lines[i] = clean(l)
	}
	fmt.Fprintf(a.stderr, "signdeck: %s\n", strings.Join(lines, "\n"))
}

// close waits for the service's requests in flight, then releases the
// store and the log file.
func (a *app) close() {
	if a.svc != nil {
		a.svc.Shutdown()
		a.svc.Close()
	}
	if a.sessCache != nil {
		a.sessCache.Close() // stores what is queued
	}
	if a.db != nil {
		a.db.Close()
	}
	if a.logFile != nil {
		a.logFile.Close()
	}
}

// exitError carries an exit code. silent errors have been printed already.
type exitError struct {
	code   int
	err    error
	hint   string
	silent bool
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf returns an exit-2 error.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// usageError wraps err as an exit-2 error.
func usageError(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return &exitError{code: ExitUsage, err: err}
}

// errFailed reports that some items failed; their reasons have been
// printed already.
var errFailed = &exitError{code: ExitFailure, silent: true}

// rootCmd builds the command tree.
func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "signdeck",
		Short: "Triage e-signature sessions across Dropbox Sign and Constellation1",
		Long: `signdeck is a keyboard-driven dashboard for e-signature sessions across
providers (Dropbox Sign, Constellation1). Run it without a command to open
the dashboard; the commands below script the same operations.

Tokens come from SIGNDECK_TOKEN_<ACCOUNT> or the OS keyring
(signdeck auth login ACCOUNT); they never go in the config file.

Exit codes: 0 success, 1 an operation failed, 2 usage or config error.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noArgs,
		RunE:          a.runDashboard,
	}
	root.SuggestionsMinimumDistance = 2
	// --version prints what `signdeck version` prints (no -v shorthand:
	// cobra would add one, and it reads as --verbose to many).
	root.Version = buildVersion().version
	root.SetVersionTemplate(strings.ReplaceAll(versionText(), "{{", `{{"{{"}}`))
	root.Flags().Bool("version", false, "print the version (same as signdeck version)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: ExitUsage, err: err, hint: fmt.Sprintf("Run '%s --help' for usage.", c.CommandPath())}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&a.configFlag, "config", "", "config file (default $SIGNDECK_CONFIG or $XDG_CONFIG_HOME/signdeck/config.yaml)")
	pf.BoolVar(&a.debug, "debug", false, "log debug detail to the log file ($XDG_STATE_HOME/signdeck/signdeck.log)")
	pf.BoolVar(&a.readonly, "readonly", false, "refuse every action that changes a session (also ui.readonly in the config)")

	root.AddCommand(
		a.listCmd(),
		a.cacheCmd(),
		a.showCmd(),
		a.cancelCmd(),
		a.copyCmd(),
		a.remindCmd(),
		a.updateCmd(),
		a.downloadCmd(),
		a.sendCmd(),
		a.auditCmd(),
		a.authCmd(),
		a.versionCmd(),
		a.sandboxCmd(),
		a.demoCmd(),
		a.configCmd(),
		a.doctorCmd(),
		&cobra.Command{Use: "formatting", Short: "Scripting with --json, --jq and --template", Long: templateHelp},
	)
	a.registerCompletions(root)
	return root
}

// noArgs rejects positional arguments as an unknown command (exit 2).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return &exitError{code: ExitUsage, err: errors.New(msg), hint: fmt.Sprintf("Run '%s --help' for usage.", cmd.CommandPath())}
}

// usageArgs makes a cobra argument validator's errors exit 2.
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return &exitError{code: ExitUsage, err: err, hint: fmt.Sprintf("Run '%s --help' for usage.", cmd.CommandPath())}
		}
		return nil
	}
}

// loadConfig reads the config file once. A missing file gives the
// first-run hint; any config problem exits 2.
func (a *app) loadConfig() (*config.Config, error) {
	if a.cfg != nil {
		return a.cfg, nil
	}
	cfg, err := a.readConfig()
	if err != nil {
		if errors.Is(err, config.ErrNotFound) {
			return nil, &exitError{code: ExitUsage, err: err}
		}
		return nil, &exitError{code: ExitUsage, err: fmt.Errorf("config: %w", err)}
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(a.stderr, "signdeck: %s\n", clean(w))
	}
	a.cfg = cfg
	return cfg, nil
}

// readConfig loads the config file and applies the checks that need the
// dashboard's defaults (key-binding conflicts), so that every command
// refuses the same files with the same file:line:col messages.
func (a *app) readConfig() (*config.Config, error) {
	cfg, err := config.Load(a.configFlag)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// checkKeys reports the key rebindings the dashboard would refuse as
// config errors placed at the key in the file.
func checkKeys(cfg *config.Config) error {
	probs := ui.CheckKeys(cfg.Keys)
	if len(probs) == 0 {
		return nil
	}
	var errs config.Errors
	for _, p := range probs {
		errs = append(errs, cfg.KeyError(p.Action, p.Index, p.Msg))
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errs
}

// account returns the configured account name, or an exit-2 error that
// lists the configured ones.
func (a *app) account(cfg *config.Config, name string) (config.Account, error) {
	if acct, ok := cfg.Account(name); ok {
		return acct, nil
	}
	names := cfg.AccountNames()
	if len(names) == 0 {
		return config.Account{}, usageErrorf("unknown account %q: %s configures no accounts", clean(name), cfg.Path)
	}
	return config.Account{}, usageErrorf("unknown account %q (configured: %s)", clean(name), strings.Join(names, ", "))
}

// isReadonly reports whether --readonly or ui.readonly forbids changes.
func (a *app) isReadonly(cfg *config.Config) bool {
	return a.readonly || (cfg != nil && cfg.UI.Readonly)
}

func (a *app) refuseReadonly(cfg *config.Config, verb string) error {
	if a.isReadonly(cfg) {
		return usageErrorf("refusing to %s: read-only mode (--readonly or ui.readonly in %s)", verb, cfg.Path)
	}
	return nil
}

func (a *app) getenv(name string) string {
	v, _ := a.lookupEnv(name)
	return v
}

// Command returns signdeck's command tree, for generating documentation
// (man pages, shell completions) at build time. Nothing in it runs until
// it is executed.
func Command() *cobra.Command {
	return newApp(os.Stdin, os.Stdout, os.Stderr).rootCmd()
}
