package cli

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/models"
)

// Shell completion of real values (cobra's `completion` command prints the
// scripts; see the README). Suggestions come from the config file and the
// local session cache only, never from the network:
//
//   - --account and `auth login|logout ACCOUNT`: the configured accounts
//   - --status: the neutral statuses
//   - --view: expiring, stalled and the config's saved views
//   - ACCOUNT/ID arguments: "ACCOUNT/" for each account, then the refs the
//     session cache knows (a.cachedRefs)
//
// registerCompletions walks the whole tree, so commands added later (with
// an --account or --status flag, or an ACCOUNT/ID argument in their Use
// line) complete too.
func (a *app) registerCompletions(root *cobra.Command) {
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Flags().Lookup("account") != nil {
			_ = c.RegisterFlagCompletionFunc("account", a.completeAccounts)
		}
		if c.Flags().Lookup("status") != nil {
			_ = c.RegisterFlagCompletionFunc("status", completeStatuses)
		}
		if c.Flags().Lookup("view") != nil {
			_ = c.RegisterFlagCompletionFunc("view", a.completeViews)
		}
		if c.ValidArgsFunction == nil {
			switch {
			case strings.Contains(c.Use, "ACCOUNT/ID"):
				multi := strings.Contains(c.Use, "ACCOUNT/ID...")
				c.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
					if len(args) > 0 && !multi {
						return nil, cobra.ShellCompDirectiveNoFileComp
					}
					return a.completeRefs(args, toComplete)
				}
			case c.Parent() != nil && c.Parent().Name() == "auth" && (c.Name() == "login" || c.Name() == "logout"):
				c.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
					if len(args) > 0 {
						return nil, cobra.ShellCompDirectiveNoFileComp
					}
					return a.completeAccounts(cmd, args, toComplete)
				}
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// completionConfig reads the config for completion: no output, no error
// (a broken config completes nothing).
func (a *app) completionConfig() *config.Config {
	if a.cfg != nil {
		return a.cfg
	}
	cfg, err := config.Load(a.configFlag)
	if err != nil {
		return nil
	}
	a.cfg = cfg
	return cfg
}

func (a *app) completeAccounts(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	cfg := a.completionConfig()
	if cfg == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	// --account takes a comma-separated list too.
	done, last := "", toComplete
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		done, last = toComplete[:i+1], toComplete[i+1:]
	}
	var out []string
	for _, acct := range cfg.Accounts {
		if strings.HasPrefix(acct.Name, last) {
			out = append(out, done+acct.Name+"\t"+acct.Provider.Label())
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func (a *app) completeViews(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	out := []string{}
	add := func(name, desc string) {
		if strings.HasPrefix(strings.ToLower(name), strings.ToLower(toComplete)) {
			out = append(out, name+"\t"+desc)
		}
	}
	add("expiring", "awaiting signature, expiring soon")
	add("stalled", "awaiting signature, no signer activity")
	if cfg := a.completionConfig(); cfg != nil {
		for _, v := range cfg.Views {
			add(v.Name, clean(v.Filter))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func completeStatuses(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	done, last := "", toComplete
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		done, last = toComplete[:i+1], toComplete[i+1:]
	}
	var out []string
	for _, s := range models.AllStatuses {
		if strings.HasPrefix(string(s), last) {
			out = append(out, done+string(s)+"\t"+s.Label())
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// maxCompletions bounds the refs offered at once.
const maxCompletions = 200

// completeRefs offers ACCOUNT/ for each configured account until an
// account is typed, then the cached refs of that account.
func (a *app) completeRefs(args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	cfg := a.completionConfig()
	if cfg == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	acct, _, hasSlash := strings.Cut(toComplete, "/")
	if !hasSlash {
		var out []string
		for _, ac := range cfg.Accounts {
			if strings.HasPrefix(ac.Name, acct) {
				out = append(out, ac.Name+"/")
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	refs := a.cachedRefs
	if refs == nil {
		refs = a.storeRefs
	}
	if _, ok := cfg.Account(acct); !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, r := range refs(toComplete, maxCompletions) {
		if strings.HasPrefix(r, toComplete) && !slices.Contains(args, r) {
			out = append(out, r)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// storeRefs reads refs from the local session cache (the store), when it
// exists: completion never creates it and never calls a provider.
func (a *app) storeRefs(prefix string, limit int) []string {
	path := a.storePath()
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) || err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	db, err := a.openStore(ctx)
	if err != nil {
		return nil
	}
	refs, err := db.SessionRefs(ctx, prefix, limit)
	if err != nil {
		return nil
	}
	return refs
}
