package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/adrg/xdg"
	"log/slog"
	"sync"

	"github.com/spf13/cobra"

	core "github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/keyring"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/ui"
)

// runDashboard is `signdeck` without a command: the TUI over the
// configured accounts.
func (a *app) runDashboard(cmd *cobra.Command, _ []string) error {
	ctx := cmd.Context()
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	if err := a.needTerminal(); err != nil {
		return err
	}
	// Warnings go out before the dashboard takes the terminal; nothing is
	// written to stdout or stderr while it runs.
	if err := a.openLog(); err != nil {
		fmt.Fprintf(a.stderr, "signdeck: warning: %v; running without a log file\n", err)
	}
	a.viaTUI = true
	svc, err := a.service(ctx)
	if err != nil {
		// Without the journal nothing may be changed: the dashboard opens
		// read-only and says why.
		fmt.Fprintf(a.stderr, "signdeck: warning: %v; the dashboard opens read-only\n", err)
	}
	tok := a.tokens()
	opts := a.uiOptions(ctx, cfg, tok, svc)
	return a.runDashboardUI(ctx, opts)
}

// runDashboardUI runs the TUI. In a real process, anything a library logs
// through the standard log or slog defaults goes to the log file too, so
// that nothing reaches the terminal while the dashboard owns it.
func (a *app) runDashboardUI(ctx context.Context, opts ui.Options) error {
	if a.ownProcess {
		prev := slog.Default()
		slog.SetDefault(opts.Logger)
		defer slog.SetDefault(prev)
	}
	return a.runUI(ctx, opts)
}

// needTerminal refuses to start the dashboard without a terminal.
func (a *app) needTerminal() error {
	if a.isTerminal(a.stdin) && a.isTerminal(a.stdout) {
		return nil
	}
	return usageErrorf("the dashboard needs a terminal (stdin and stdout); for scripts use signdeck list, show, cancel and copy (see signdeck --help)")
}

// uiOptions builds the dashboard's options: one ui.Account per configured
// account, with a client when a token is found.
func (a *app) uiOptions(ctx context.Context, cfg *config.Config, tok *keyring.Tokens, svc *core.Service) ui.Options {
	o := ui.Options{
		Accounts:        a.uiAccounts(ctx, cfg.Accounts, tok),
		RefreshInterval: cfg.UI.RefreshInterval,
		Readonly:        a.isReadonly(cfg) || svc == nil,
		Keys:            cfg.Keys,
		Mouse:           cfg.UI.Mouse,
		Theme:           cfg.UI.Theme,
		Logger:          a.log(),
		Service:         svc,
		Reconcile:       svc != nil,
		DownloadDir:     xdg.UserDirs.Download,
		ExpiringDays:    cfg.UI.Expiring(),
		StalledDays:     cfg.UI.Stalled(),
	}
	for _, v := range cfg.Views {
		o.Views = append(o.Views, ui.SavedView{Name: v.Name, Filter: v.Filter})
	}
	if svc != nil {
		// The dashboard opens from the session cache and writes every
		// listed page through to it (unless cache: false).
		o.Cache = a.sessionCache(ctx, cfg)
		o.Login = a.uiLogin(cfg, tok, svc)
		o.Logout = func(ctx context.Context, account string) error {
			acct := core.Account{Name: account}
			if c, ok := cfg.Account(account); ok {
				acct.Kind, acct.Endpoint = c.Provider, endpoint(c)
			}
			_, err := svc.Logout(ctx, acct, tok)
			return err
		}
	}
	return o
}

// uiAccounts resolves every account's token concurrently (each keyring
// call is bounded by its timeout). An account without a token gets no
// Provider and TokenSource "none"; a keyring or setup error goes in Err.
func (a *app) uiAccounts(ctx context.Context, accts []config.Account, tok *keyring.Tokens) []ui.Account {
	out := make([]ui.Account, len(accts))
	var wg sync.WaitGroup
	for i, acct := range accts {
		wg.Go(func() {
			ua := ui.Account{Name: acct.Name, Kind: acct.Provider, TokenSource: string(keyring.SourceNone), Endpoint: endpoint(acct)}
			token, src, err := tok.Get(ctx, acct.Name)
			switch {
			case errors.Is(err, keyring.ErrNotFound):
			case err != nil:
				ua.Err = err
			default:
				p, err := a.provider(acct, token)
				if err != nil {
					ua.Err = err
				} else {
					ua.Provider, ua.TokenSource = p, string(src)
				}
			}
			out[i] = ua
		})
	}
	wg.Wait()
	return out
}

// uiLogin logs in through the service: verify, then store.
func (a *app) uiLogin(cfg *config.Config, tok *keyring.Tokens, svc *core.Service) func(context.Context, string, string) (providers.Provider, string, error) {
	return func(ctx context.Context, account, secret string) (providers.Provider, string, error) {
		acct, ok := cfg.Account(account)
		if !ok {
			return nil, "", fmt.Errorf("unknown account %q", clean(account))
		}
		res := svc.Login(ctx, core.LoginRequest{
			Account: core.Account{Name: acct.Name, Kind: acct.Provider, Endpoint: endpoint(acct)},
			Secret:  secret,
			Build:   func(secret string) (providers.Provider, error) { return a.provider(acct, secret) },
			Tokens:  tok,
		})
		if res.Err != nil {
			return nil, "", res.Err
		}
		return res.Provider, string(tok.Store.Source()), nil
	}
}
