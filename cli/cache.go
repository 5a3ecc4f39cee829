package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	core "github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/models"
)

// The session cache (issue 9) lives in the store next to the journal. The
// dashboard opens from it; `signdeck list` writes every listed page
// through to it and reads it with --cached; `cache: false` in the config
// turns it off.

func (a *app) cacheCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Manage the local session cache",
		Long: `The session cache keeps every listed session (title, status, dates and
its signers' names and emails) in the local store, so that the dashboard
opens at once and 'signdeck list --cached' works offline. 'cache: false' in
the config turns it off. Tokens are never cached.`,
		Args: usageArgs(cobra.NoArgs),
	}
	clearCmd := &cobra.Command{
		Use:   "clear",
		Short: "Empty the session cache (the journal is kept)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			if err := db.ClearSessions(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintln(a.stderr, "signdeck: the session cache is empty")
			return nil
		},
	}
	cmd.AddCommand(clearCmd)
	return cmd
}

// sessionCache returns the session cache, made once; nil when the config
// turns it off or the store cannot be opened (the listing then works
// without it, after a warning in the log).
func (a *app) sessionCache(ctx context.Context, cfg *config.Config) *core.SessionCache {
	if cfg == nil || cfg.NoCache {
		return nil
	}
	if a.sessCache != nil {
		return a.sessCache
	}
	db, err := a.openStore(ctx)
	if err != nil {
		a.log().Warn("session cache unavailable", "err", models.CleanText(err.Error()))
		return nil
	}
	a.sessCache = core.NewSessionCache(db, a.log())
	return a.sessCache
}

// listCached is `signdeck list --cached`: the cached sessions of accts,
// no request sent.
func (a *app) listCached(ctx context.Context, cfg *config.Config, accts []config.Account,
	want map[models.Status]bool) ([]models.Session, error) {
	if cfg.NoCache {
		return nil, usageErrorf("--cached: the session cache is off (cache: false in %s)", cfg.Path)
	}
	c := a.sessionCache(ctx, cfg)
	if c == nil {
		return nil, fmt.Errorf("--cached: the store cannot be opened: %w", a.dbErr)
	}
	names := make([]string, len(accts))
	for i, acct := range accts {
		names[i] = acct.Name
	}
	got, err := c.Load(ctx, names)
	if err != nil {
		return nil, err
	}
	out := []models.Session{}
	for _, acct := range accts {
		ca := got[acct.Name]
		if ca == nil || len(ca.Sessions) == 0 {
			fmt.Fprintf(a.stderr, "signdeck: list %s: nothing cached yet (run signdeck list or the dashboard)\n", clean(acct.Name))
			continue
		}
		if !ca.ListedAt.IsZero() {
			fmt.Fprintf(a.stderr, "signdeck: list %s: cached %s\n", clean(acct.Name), ca.ListedAt.Local().Format("2006-01-02 15:04:05"))
		}
		for _, s := range ca.Sessions {
			if len(want) == 0 || want[s.Status] {
				out = append(out, s)
			}
		}
	}
	return out, nil
}
