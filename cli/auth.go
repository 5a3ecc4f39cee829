package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	core "github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/keyring"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

func (a *app) authCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth",
		Short: "Manage the accounts' API tokens",
		Long: `Manage the accounts' API tokens. A token comes from the environment
variable SIGNDECK_TOKEN_<ACCOUNT> (the account name upper-cased, other
characters turned into '_') when it is set, else from the OS keyring
(service "signdeck"). Tokens never go in the config file.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(a.stderr)
			_ = cmd.Help()
			return &exitError{code: ExitUsage, err: errors.New("auth needs a command: login, logout or status")}
		},
	}
	cmd.AddCommand(a.authLoginCmd(), a.authLogoutCmd(), a.authStatusCmd())
	return cmd
}

func (a *app) authLoginCmd() *cobra.Command {
	var noVerify bool
	cmd := &cobra.Command{
		Use:   "login ACCOUNT",
		Short: "Verify an account's token and store it in the OS keyring",
		Long: `Store ACCOUNT's API token in the OS keyring. The token is read from stdin
when stdin is not a terminal (one line), else asked for without echo. It is
checked against the provider first unless --no-verify is given; a token the
provider refuses is not stored (exit 1). The token is never printed.`,
		Example: `  signdeck auth login acme
  printf '%s\n' "$TOKEN" | signdeck auth login acme`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.authLogin(cmd.Context(), args[0], noVerify)
		},
	}
	cmd.Flags().BoolVar(&noVerify, "no-verify", false, "store the token without checking it against the provider")
	return cmd
}

func (a *app) authLogoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout ACCOUNT",
		Short: "Remove an account's token from the OS keyring",
		Long: `Remove ACCOUNT's token from the OS keyring. The account does not have to
be in the config any more. SIGNDECK_TOKEN_<ACCOUNT>, if set, is not
affected.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.authLogout(cmd.Context(), args[0])
		},
	}
}

func (a *app) authStatusCmd() *cobra.Command {
	var asJSON bool
	var out *outputFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show where each account's token comes from",
		Long: `Show where each configured account's token comes from: env
(SIGNDECK_TOKEN_<ACCOUNT>), keyring, or none. Tokens are not checked
against the providers and never printed.

When the OS keyring cannot be reached, a warning is printed once on stderr,
the accounts without an environment token are reported with source none,
and the exit status is still 0.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			asJSON, a.out = out.on(), out
			return a.authStatus(cmd.Context(), asJSON)
		},
	}
	out = a.addOutputFlags(cmd, jsonFields(authStatusJSON{}))
	return cmd
}

func (a *app) authLogin(ctx context.Context, name string, noVerify bool) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	acct, err := a.account(cfg, name)
	if err != nil {
		return err
	}
	env := keyring.EnvName(acct.Name)
	if v, ok := a.lookupEnv(env); ok && strings.TrimSpace(v) != "" {
		fmt.Fprintf(a.stderr, "signdeck: warning: %s is set; it is used instead of the token stored in the keyring\n", env)
	}
	// Fail before asking for the token when it could not be stored.
	tok := a.tokens()
	pctx, cancel := context.WithTimeout(ctx, keyringTimeout)
	err = keyring.Probe(pctx, tok.Store)
	cancel()
	if err != nil {
		return fmt.Errorf("cannot store a token: %w", err)
	}
	secret, err := a.readToken(acct)
	if err != nil {
		return err
	}
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	res := svc.Login(ctx, core.LoginRequest{
		Account:  core.Account{Name: acct.Name, Kind: acct.Provider, Endpoint: endpoint(acct)},
		Secret:   secret,
		Build:    func(secret string) (providers.Provider, error) { return a.provider(acct, secret) },
		Tokens:   tok,
		NoVerify: noVerify,
	})
	if res.Verified {
		who := clean(res.Info.Who)
		if who == "" {
			who = "account " + acct.Name
		}
		if res.Info.Detail != "" {
			who += " (" + clean(res.Info.Detail) + ")"
		}
		fmt.Fprintf(a.stdout, "verified: the token works for %s\n", who)
	}
	if res.Err != nil {
		if errors.Is(res.Err, keyring.ErrInvalidSecret) {
			return usageError(res.Err)
		}
		return res.Err
	}
	fmt.Fprintf(a.stdout, "stored token for %s in %s\n", acct.Name, storeLabel(tok.Store.Source()))
	return nil
}

// maxTokenInput bounds what is read from stdin for a token.
const maxTokenInput = 64 << 10

// readToken reads the token: from stdin when it is not a terminal (one
// non-empty line), else with a hidden prompt on the terminal.
func (a *app) readToken(acct config.Account) (string, error) {
	if !a.stdinIsTerminal() {
		data, err := io.ReadAll(io.LimitReader(a.stdin, maxTokenInput+1))
		if err != nil {
			return "", fmt.Errorf("read token from stdin: %w", err)
		}
		if len(data) > maxTokenInput {
			return "", usageErrorf("stdin holds more than %d bytes; pipe the token alone", maxTokenInput)
		}
		var lines []string
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		switch len(lines) {
		case 0:
			return "", usageErrorf("no token on stdin: pipe the token on one line, or run on a terminal to be asked")
		case 1:
			return lines[0], nil
		}
		return "", usageErrorf("stdin holds %d non-empty lines; pipe the token alone, on one line", len(lines))
	}
	fmt.Fprintf(a.stderr, "%s token for %s (input hidden): ", tokenKind(acct.Provider), acct.Name)
	fd := -1
	if f, ok := a.stdin.(interface{ Fd() uintptr }); ok {
		fd = int(f.Fd())
	}
	b, err := a.readSecret(fd)
	fmt.Fprintln(a.stderr)
	if err != nil {
		return "", fmt.Errorf("read token: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", usageErrorf("no token given")
	}
	return s, nil
}

func tokenKind(k models.ProviderKind) string {
	switch k {
	case models.DropboxSign:
		return "Dropbox Sign API key"
	case models.Constellation1:
		return "Constellation1 API key"
	}
	return "API"
}

func (a *app) authLogout(ctx context.Context, name string) error {
	if err := models.ValidateAccountName(name); err != nil {
		return usageError(err)
	}
	var provider string
	cfg, err := a.loadConfig()
	switch {
	case err == nil:
		if acct, ok := cfg.Account(name); ok {
			provider = string(acct.Provider)
		} else {
			fmt.Fprintf(a.stderr, "signdeck: note: account %s is not in %s; removing its stored token anyway\n", name, cfg.Path)
		}
	case errors.Is(err, config.ErrNotFound):
		// No config: the token can still be removed.
	default:
		return err
	}
	tok := a.tokens()
	label := storeLabel(tok.Store.Source())
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	acct := core.Account{Name: name, Kind: models.ProviderKind(provider)}
	if cfg != nil {
		if c, ok := cfg.Account(name); ok {
			acct.Endpoint = endpoint(c)
		}
	}
	_, err = svc.Logout(ctx, acct, tok)
	if env := keyring.EnvName(name); a.getenv(env) != "" {
		defer fmt.Fprintf(a.stderr, "signdeck: warning: %s is still set and provides the token\n", env)
	}
	if errors.Is(err, keyring.ErrNotFound) {
		fmt.Fprintf(a.stdout, "no token was stored for %s in %s\n", name, label)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "removed token for %s from %s\n", name, label)
	return nil
}

func (a *app) authStatus(ctx context.Context, asJSON bool) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	tok := a.tokens()
	rows := make([]authStatusJSON, 0, len(cfg.Accounts))
	for _, acct := range cfg.Accounts {
		src, err := tok.Source(ctx, acct.Name)
		if err != nil && keyringDown(err) {
			fmt.Fprintf(a.stderr, "signdeck: warning: %s\nsigndeck: accounts without %s<ACCOUNT> are shown with source none\n",
				clean(err.Error()), keyring.EnvPrefix)
			// Ask the environment only from now on.
			tok = &keyring.Tokens{LookupEnv: a.lookupEnv}
			src, err = tok.Source(ctx, acct.Name)
		}
		if err != nil {
			fmt.Fprintf(a.stderr, "signdeck: %s: %s\n", acct.Name, clean(err.Error()))
			src = keyring.SourceNone
		}
		rows = append(rows, authStatusJSON{Account: acct.Name, Provider: string(acct.Provider), Source: string(src)})
	}
	if asJSON {
		return a.emit(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintf(a.stderr, "signdeck: %s configures no accounts\n", cfg.Path)
		return nil
	}
	tw := newTable(a.stdout)
	row(tw, "ACCOUNT", "PROVIDER", "SOURCE", "NOTE")
	for _, r := range rows {
		var note string
		switch keyring.Source(r.Source) {
		case keyring.SourceEnv:
			note = keyring.EnvName(r.Account)
		case keyring.SourceNone:
			note = "run: signdeck auth login " + r.Account
		}
		row(tw, r.Account, models.ProviderKind(r.Provider).Label(), r.Source, dash(note))
	}
	return tw.Flush()
}
