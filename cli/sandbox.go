package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/keyring"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// The sandbox's and the demo's accounts and token.
const (
	sandboxToken       = "sandbox-token"
	defaultSandboxSize = 40
	defaultSandboxSeed = 1
	// demoCancelDelay is how long the demo's Dropbox Sign emulator takes to
	// confirm a cancel, so that the confirmation shows within seconds.
	demoCancelDelay = 3 * time.Second
)

// emuOpts configure the emulators.
type emuOpts struct {
	size              int
	seed              int64
	dropboxSignAddr   string
	constellationAddr string
	cancelDelay       time.Duration
	// rateLimit is the emulated per-account budget in requests per minute
	// (the vendor's published standard limit by default). The send/files
	// and test-mode limits keep the vendor's ratios (1/4 and 1/10).
	rateLimit int
	// storeDir keeps the demo's store (--store); "" is a temporary one.
	storeDir string
}

// defaultRateLimit is Dropbox Sign's published standard limit.
const defaultRateLimit = 100

func (o emuOpts) check() error {
	if o.size < 1 {
		return usageErrorf("--size must be at least 1")
	}
	if o.rateLimit < 1 {
		return usageErrorf("--rate-limit must be at least 1 request per minute")
	}
	return nil
}

// emulators are the in-process emulators of every registered vendor
// (providers.Emulators).
type emulators struct {
	running []providers.Started
}

func startEmulators(o emuOpts) (*emulators, error) {
	run, err := providers.StartEmulators(providers.EmulatorOptions{
		Seed:        o.seed,
		Size:        o.size,
		Token:       sandboxToken,
		RatePerMin:  o.rateLimit,
		CancelDelay: o.cancelDelay,
	}, map[models.ProviderKind]string{models.DropboxSign: o.dropboxSignAddr, models.Constellation1: o.constellationAddr})
	if err != nil {
		return nil, err
	}
	return &emulators{running: run}, nil
}

func (e *emulators) Close() {
	for _, r := range e.running {
		r.Close()
	}
}

// sandboxAccount names the sandbox's account of a vendor.
func sandboxAccount(kind models.ProviderKind) string { return "demo-" + string(kind) }

// accounts are the config accounts that point at the emulators.
func (e *emulators) accounts() []config.Account {
	var out []config.Account
	for _, r := range e.running {
		s := r.Account()
		out = append(out, config.Account{
			Name:         sandboxAccount(r.Kind),
			Provider:     r.Kind,
			BaseURL:      s.BaseURL,
			TestMode:     s.TestMode,
			Team:         s.Team,
			Username:     s.Username,
			Transactions: s.Transactions,
			ReturnURL:    s.ReturnURL,
		})
	}
	return out
}

// checkLoopback refuses a listen address that is not on the loopback
// interface, so the emulators are never reachable from the network.
func checkLoopback(flag, addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageErrorf("--%s %q: want HOST:PORT on the loopback interface, like 127.0.0.1:8080", flag, clean(addr))
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return usageErrorf("--%s %q: the sandbox only listens on the loopback interface (127.0.0.1, ::1 or localhost)", flag, clean(addr))
}

func (a *app) sandboxCmd() *cobra.Command {
	var o emuOpts
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run local emulators of both providers and print a config for them",
		Long: `Start in-memory emulators of Dropbox Sign and Constellation1 on 127.0.0.1
(random ports unless --dropboxsign-addr or --constellation-addr say
otherwise), print a config file for their accounts (demo-dropboxsign and
demo-constellation1) on stdout, then a line "# ready", and serve until
interrupted. Every sandbox account accepts the token "sandbox-token".

The sample data is generated from --seed, so the same seed gives the same
sessions.`,
		Example: `  signdeck sandbox > /tmp/sandbox.yaml &
  export SIGNDECK_TOKEN_DEMO_DROPBOXSIGN=sandbox-token SIGNDECK_TOKEN_DEMO_CONSTELLATION1=sandbox-token
  signdeck --config /tmp/sandbox.yaml list`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.sandbox(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.size, "size", defaultSandboxSize, "sessions per provider")
	f.Int64Var(&o.seed, "seed", defaultSandboxSeed, "seed of the sample data")
	f.IntVar(&o.rateLimit, "rate-limit", defaultRateLimit, "emulated Dropbox Sign rate limit, requests per minute (sends get 1/4, test mode 1/10)")
	f.StringVar(&o.dropboxSignAddr, "dropboxsign-addr", "", "listen address of the Dropbox Sign emulator (default 127.0.0.1:0, a random port)")
	f.StringVar(&o.constellationAddr, "constellation-addr", "", "listen address of the Constellation1 emulator (default 127.0.0.1:0, a random port)")
	return cmd
}

func (a *app) sandbox(ctx context.Context, o emuOpts) error {
	if err := o.check(); err != nil {
		return err
	}
	if err := checkLoopback("dropboxsign-addr", o.dropboxSignAddr); err != nil {
		return err
	}
	if err := checkLoopback("constellation-addr", o.constellationAddr); err != nil {
		return err
	}
	emu, err := startEmulators(o)
	if err != nil {
		return err
	}
	defer emu.Close()

	cfg := config.Default()
	cfg.Accounts = emu.accounts()
	yml, err := config.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("sandbox config: %w", err)
	}
	var b strings.Builder
	b.WriteString("# signdeck sandbox: in-memory emulators, serving until interrupted\n")
	for _, r := range emu.running {
		fmt.Fprintf(&b, "#   %-15s %s\n", r.Kind.Label(), r.URL())
	}
	fmt.Fprintf(&b, "# Every sandbox account accepts the token %q:\n", sandboxToken)
	for _, acct := range cfg.Accounts {
		fmt.Fprintf(&b, "#   export %s=%s\n", keyring.EnvName(acct.Name), sandboxToken)
	}
	b.WriteString("# Save this as a config file and run: signdeck --config FILE\n")
	b.Write(yml)
	b.WriteString("# ready\n")
	if _, err := fmt.Fprint(a.stdout, b.String()); err != nil {
		return err
	}
	if f, ok := a.stdout.(*os.File); ok {
		_ = f.Sync()
	}

	<-ctx.Done()
	fmt.Fprintln(a.stderr, "signdeck: sandbox stopped")
	return nil
}

func (a *app) demoCmd() *cobra.Command {
	var o emuOpts
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Open the dashboard on built-in sample sessions of both providers",
		Long: `Open the dashboard on in-process emulators of Dropbox Sign and
Constellation1 (the sandbox's accounts) with sample sessions generated from
--seed. Nothing leaves the machine: tokens are kept in memory, the
operations journal in a temporary directory (--store keeps it), and the
OS keyring is not used. Cancel, copy, login and logout
all work against the emulators.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.demo(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.size, "size", defaultSandboxSize, "sessions per provider")
	f.Int64Var(&o.seed, "seed", defaultSandboxSeed, "seed of the sample data")
	f.IntVar(&o.rateLimit, "rate-limit", defaultRateLimit, "emulated Dropbox Sign rate limit, requests per minute (raise it to load a large --size quickly)")
	f.StringVar(&o.storeDir, "store", "", "keep the demo's store (journal) in this directory instead of a temporary one")
	return cmd
}

func (a *app) demo(ctx context.Context, o emuOpts) error {
	if err := o.check(); err != nil {
		return err
	}
	if err := a.needTerminal(); err != nil {
		return err
	}
	if err := a.openLog(); err != nil {
		if terr := a.tempLog(); terr != nil {
			fmt.Fprintf(a.stderr, "signdeck: warning: %v; running without a log file\n", err)
		}
	}
	o.cancelDelay = demoCancelDelay
	if o.rateLimit > defaultRateLimit {
		a.c1RatePerMin = o.rateLimit
	}
	emu, err := startEmulators(o)
	if err != nil {
		return err
	}
	defer emu.Close()

	// The demo's store (journal) lives in a temporary directory unless
	// --store keeps it.
	if o.storeDir != "" {
		a.storeDir = o.storeDir
	} else {
		dir, err := os.MkdirTemp("", "signdeck-demo-*")
		if err != nil {
			return fmt.Errorf("demo store: %w", err)
		}
		defer os.RemoveAll(dir)
		a.storeDir = dir
	}
	a.viaTUI = true
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	cfg := config.Default()
	cfg.Path = "demo"
	cfg.Accounts = emu.accounts()
	tok := a.demoTokens()
	opts := a.uiOptions(ctx, cfg, tok, svc)
	opts.Readonly = a.readonly
	opts.CancelPollFirst = time.Second
	opts.CancelPollMax = 3 * time.Second
	return a.runDashboardUI(ctx, opts)
}

// demoTokens is an in-memory keyring holding the sandbox token for both
// demo accounts; the environment is ignored.
func (a *app) demoTokens() *keyring.Tokens {
	toks := map[string]string{}
	for _, kind := range providers.Vendors() {
		toks[sandboxAccount(kind)] = sandboxToken
	}
	return &keyring.Tokens{
		Store:     keyring.NewMemory(toks),
		LookupEnv: func(string) (string, bool) { return "", false },
	}
}
