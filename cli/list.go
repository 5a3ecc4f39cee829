package cli

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	core "github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

func (a *app) listCmd() *cobra.Command {
	var accounts, statuses []string
	var out *outputFlags
	var cached bool
	var view string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the sessions of every account, newest first",
		Long: `List the sessions of every configured account (or those named with
--account), newest first. Accounts are listed concurrently; an account that
fails is reported on stderr and makes the exit status 1 while the others
still print.

--status keeps only sessions in the given neutral statuses (repeatable or
comma-separated; unambiguous prefixes work: awaiting, completed, cancel-p).
Statuses a provider keeps in a separate view (expired, archived, deleted
where the provider has such a view) are fetched from it when asked for.

Providers that list summaries (Constellation1) may show no signers here;
use 'signdeck show ACCOUNT/ID' for the full session.

--view shows one of the dashboard's views of the active sessions, by the
same rules: expiring (awaiting signature, expiring within ui.expiring_days,
default 7; soonest first), stalled (awaiting signature, no signer activity,
that is no signature since it was sent, for ui.stalled_days, default 7;
oldest first), or the name of a saved view from the config's views:
section. A session whose expiry is not known is not expiring: Constellation1
lists summaries without one (the dashboard fetches the details in the
background; --cached reads what it fetched).

The listing is live, and every listed session is written through to the
local session cache (unless 'cache: false'); --cached prints the cache
instead, without a request.`,
		Example: `  signdeck list
  signdeck list --account acme --status awaiting
  signdeck list --cached
  signdeck list --view expiring
  signdeck list --view "cedar deals"
  signdeck list --json=ref,status,title
  signdeck list --jq '.[] | select(.status == "declined") | .ref'
  signdeck list --template '{{range .}}{{tablerow .ref .status (timeago .created_at)}}{{end}}'`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.list(cmd.Context(), accounts, statuses, out, cached, view)
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&accounts, "account", "a", nil, "only this account (repeatable)")
	f.StringSliceVarP(&statuses, "status", "s", nil, "only sessions in this status (repeatable): "+statusNames())
	out = a.addOutputFlags(cmd, jsonFields(sessionJSON{}))
	f.BoolVar(&cached, "cached", false, "print the session cache; send no request")
	f.StringVar(&view, "view", "", "only the sessions of a view: expiring, stalled or a saved view's name")
	return cmd
}

func statusNames() string {
	var out string
	for i, s := range models.AllStatuses {
		if i > 0 {
			out += ", "
		}
		out += string(s)
	}
	return out
}

// listResult is one account's part of a list.
type listResult struct {
	sessions []models.Session
	err      error
}

func (a *app) list(ctx context.Context, accountNames, statusArgs []string, of *outputFlags, cached bool, viewName string) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	view, err := listView(cfg, viewName, time.Now())
	if err != nil {
		return err
	}
	want := map[models.Status]bool{}
	for _, s := range statusArgs {
		st, err := models.ParseStatus(s)
		if err != nil {
			return usageErrorf("--status: %v", err)
		}
		want[st] = true
	}
	accts, err := a.selectAccounts(cfg, accountNames)
	if err != nil {
		return err
	}
	if len(accts) == 0 {
		fmt.Fprintf(a.stderr, "signdeck: %s configures no accounts\n", cfg.Path)
	}

	results := make([]listResult, len(accts))
	if cached {
		s, err := a.listCached(ctx, cfg, accts, want)
		if err != nil {
			return err
		}
		results = []listResult{{sessions: s}}
	} else {
		cache := a.sessionCache(ctx, cfg)
		var wg sync.WaitGroup
		for i, acct := range accts {
			wg.Go(func() {
				s, err := a.listAccount(ctx, acct, want, cache)
				results[i] = listResult{sessions: s, err: err}
			})
		}
		wg.Wait()
	}

	all := []models.Session{}
	failed := false
	for i, r := range results {
		if r.err != nil {
			// The rows listed before the failure (or of the streams that
			// worked) still print; the failure goes to stderr.
			failed = true
			fmt.Fprintf(a.stderr, "signdeck: list %s: %s\n", accts[i].Name, reason(r.err))
		}
		all = append(all, r.sessions...)
	}
	sortNewestFirst(all)
	all = view.apply(all)

	if of != nil && of.on() {
		out := make([]sessionJSON, 0, len(all))
		for i := range all {
			out = append(out, toSessionJSON(&all[i]))
		}
		if err := of.write(a.stdout, out); err != nil {
			return err
		}
	} else {
		a.printSessions(all)
	}
	if failed {
		return errFailed
	}
	return nil
}

// selectAccounts returns the named accounts in the order given (each once),
// or every account when names is empty.
func (a *app) selectAccounts(cfg *config.Config, names []string) ([]config.Account, error) {
	if len(names) == 0 {
		return cfg.Accounts, nil
	}
	var out []config.Account
	seen := map[string]bool{}
	for _, n := range names {
		acct, err := a.account(cfg, n)
		if err != nil {
			return nil, err
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, acct)
		}
	}
	return out, nil
}

// listAccount lists one account, plus the provider's extra views that hold
// wanted statuses, keeping only wanted statuses (all when want is empty).
func (a *app) listAccount(ctx context.Context, acct config.Account, want map[models.Status]bool, cache *core.SessionCache) ([]models.Session, error) {
	p, err := a.providerFor(ctx, acct)
	if err != nil {
		return nil, err
	}
	buckets := []string{""}
	for _, b := range p.Capabilities().Buckets {
		if want[models.Status(b)] {
			buckets = append(buckets, b)
		}
	}
	var out []models.Session
	seen := map[string]bool{}
	listed := map[string]bool{} // every id of the active view, for the cache
	for _, b := range buckets {
		err := p.List(ctx, providers.ListQuery{Bucket: b}, func(pg providers.Page) error {
			if b == "" && cache != nil {
				cache.Put(acct.Name, pg.Sessions)
				for _, s := range pg.Sessions {
					listed[s.Ref.ID] = true
				}
			}
			for _, w := range pg.Warnings {
				fmt.Fprintf(a.stderr, "signdeck: list %s: warning: %s\n", acct.Name, clean(w))
			}
			for _, s := range pg.Sessions {
				if len(want) > 0 && !want[s.Status] {
					continue
				}
				if k := s.Ref.Key(); !seen[k] {
					seen[k] = true
					out = append(out, s)
				}
			}
			return nil
		})
		if err != nil {
			return out, err
		}
		if b == "" && cache != nil {
			a.cacheListed(ctx, cache, acct.Name, listed)
		}
	}
	return out, nil
}

// cacheListed records a complete listing of account in the cache: the
// sessions cached before and not listed now leave it.
func (a *app) cacheListed(ctx context.Context, cache *core.SessionCache, account string, listed map[string]bool) {
	if a.db != nil {
		refs, err := a.db.SessionRefs(ctx, account+"/", 0)
		if err == nil {
			var gone []string
			for _, r := range refs {
				if id := r[len(account)+1:]; !listed[id] {
					gone = append(gone, id)
				}
			}
			cache.Delete(account, gone)
		}
	}
	cache.Listed(account, true, time.Now())
}

// sortNewestFirst orders by creation time, newest first; sessions without
// one go last; ties by ref.
func sortNewestFirst(ss []models.Session) {
	slices.SortStableFunc(ss, func(x, y models.Session) int {
		switch {
		case x.CreatedAt.IsZero() && !y.CreatedAt.IsZero():
			return 1
		case !x.CreatedAt.IsZero() && y.CreatedAt.IsZero():
			return -1
		}
		if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(x.Ref.String(), y.Ref.String())
	})
}

// printSessions prints the human table of sessions.
func (a *app) printSessions(ss []models.Session) {
	if len(ss) == 0 {
		fmt.Fprintln(a.stderr, "no sessions")
		return
	}
	color := a.color()
	tw := newTable(a.stdout)
	row(tw, "REF", "PROVIDER", paint("STATUS", ansiDefault, color), "SIGNED", "CREATED", "EXPIRES", "TITLE")
	for i := range ss {
		s := &ss[i]
		row(tw, clean(s.Ref.String()), s.Provider.Label(), statusCell(s.Status, color), signedCell(s),
			humanTime(s.CreatedAt), humanTime(s.ExpiresAt), dash(clean(s.Title)))
	}
	tw.Flush()
}

// signedCell is "signed/total", or "-" for a summary without signers.
func signedCell(s *models.Session) string {
	if len(s.Signers) == 0 {
		return "-"
	}
	n, total := s.SignedCount()
	return strconv.Itoa(n) + "/" + strconv.Itoa(total)
}

// sessionView is a dashboard view for list --view: which sessions it
// keeps and the order it shows them in (nil: newest first).
type sessionView struct {
	keep  func(*models.Session) bool
	order func(x, y *models.Session) int
}

// listView resolves --view: expiring, stalled (the models rules the
// dashboard uses) or a saved view of the config; "" and active keep all.
func listView(cfg *config.Config, name string, now time.Time) (sessionView, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "active":
		return sessionView{}, nil
	case "expiring":
		n := cfg.UI.Expiring()
		return sessionView{
			keep:  func(s *models.Session) bool { return s.ExpiringSoon(now, n) },
			order: func(x, y *models.Session) int { return x.ExpiresAt.Compare(y.ExpiresAt) },
		}, nil
	case "stalled":
		n := cfg.UI.Stalled()
		return sessionView{
			keep:  func(s *models.Session) bool { return s.Stalled(now, n) },
			order: func(x, y *models.Session) int { return x.LastActivity().Compare(y.LastActivity()) },
		}, nil
	}
	v, ok := cfg.View(name)
	if !ok {
		names := []string{"expiring", "stalled"}
		for _, v := range cfg.Views {
			names = append(names, strconv.Quote(v.Name))
		}
		return sessionView{}, usageErrorf("--view: unknown view %q (views: %s)", clean(name), strings.Join(names, ", "))
	}
	f, err := models.ParseFilter(v.Filter)
	if err != nil {
		return sessionView{}, usageErrorf("--view %s: filter: %v", clean(v.Name), err)
	}
	return sessionView{keep: f.Match}, nil
}

// apply keeps the view's sessions (sorted newest first) in its order.
func (v sessionView) apply(ss []models.Session) []models.Session {
	if v.keep == nil {
		return ss
	}
	out := ss[:0]
	for i := range ss {
		if v.keep(&ss[i]) {
			out = append(out, ss[i])
		}
	}
	if v.order != nil {
		slices.SortStableFunc(out, func(x, y models.Session) int { return v.order(&x, &y) })
	}
	return out
}
