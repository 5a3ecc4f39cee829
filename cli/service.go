package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	core "github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/keyring"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/store"
)

// legacyPendingFile is the file where earlier versions remembered queued
// Dropbox Sign cancels; it is imported into the journal once.
const legacyPendingFile = "pending-cancels.jsonl"

// storePath is the database of this invocation: --store / the demo's
// temporary directory when set, else $XDG_STATE_HOME/signdeck/signdeck.db.
func (a *app) storePath() string {
	if a.storeDir != "" {
		return store.DefaultPath(a.storeDir)
	}
	return store.DefaultPath(a.stateDir())
}

// openStore opens the store once. The legacy pending-cancels file is
// imported the first time.
func (a *app) openStore(ctx context.Context) (*store.DB, error) {
	a.dbOnce.Do(func() {
		db, err := store.Open(a.storePath())
		if err != nil {
			a.dbErr = err
			return
		}
		if a.storeDir == "" {
			if n, err := db.ImportPendingCancels(ctx, filepath.Join(a.stateDir(), legacyPendingFile)); err != nil {
				a.log().Warn("import of the legacy pending-cancels file failed", "error", err)
			} else if n > 0 {
				a.log().Info("imported legacy pending cancels into the journal", "count", n)
			}
		}
		a.db = db
	})
	return a.db, a.dbErr
}

// service returns the service layer, made once, over the store. SIGINT,
// SIGTERM and SIGHUP (ctx ending) start its shutdown: nothing new is sent,
// requests in flight finish (at most its grace period), the rest is
// recorded not_sent.
func (a *app) service(ctx context.Context) (*core.Service, error) {
	if a.svc != nil {
		return a.svc, nil
	}
	db, err := a.openStore(ctx)
	if err != nil {
		return nil, fmt.Errorf("the operations journal cannot be opened, so nothing will be changed: %w", err)
	}
	svc := core.New(core.Options{Journal: db, Via: a.via(), Logger: a.log(), Secrets: a.knownSecrets,
		Grace: a.shutdownGrace})
	a.svc = svc
	go func() {
		<-ctx.Done()
		svc.Shutdown()
	}()
	return svc, nil
}

func (a *app) via() string {
	if a.viaTUI {
		return "tui"
	}
	return "cli"
}

// knownSecrets returns every token this process has resolved.
func (a *app) knownSecrets() []string {
	a.secretsMu.Lock()
	defer a.secretsMu.Unlock()
	return append([]string(nil), a.secrets...)
}

func (a *app) rememberSecret(s string) {
	if strings.TrimSpace(s) == "" {
		return
	}
	a.secretsMu.Lock()
	defer a.secretsMu.Unlock()
	for _, k := range a.secrets {
		if k == s {
			return
		}
	}
	a.secrets = append(a.secrets, s)
}

// endpoint is the account's base URL as the journal keys it.
func endpoint(acct config.Account) string {
	u := strings.TrimRight(acct.BaseURL, "/")
	if u != "" {
		return u
	}
	return providers.DefaultBaseURL(acct.Provider)
}

// appAccount resolves acct's token and client for the service; a missing
// token leaves Provider nil with the reason in Err.
func (a *app) appAccount(ctx context.Context, acct config.Account) core.Account {
	out := core.Account{Name: acct.Name, Kind: acct.Provider, Endpoint: endpoint(acct)}
	p, err := a.providerFor(ctx, acct)
	if err != nil {
		var nt *noTokenError
		if !errors.As(err, &nt) {
			out.Err = err
		}
		return out
	}
	out.Provider = p
	return out
}

// appAccounts resolves several accounts concurrently, keyed by name.
func (a *app) appAccounts(ctx context.Context, accts []config.Account) map[string]core.Account {
	out := make(map[string]core.Account, len(accts))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, acct := range accts {
		wg.Go(func() {
			aa := a.appAccount(ctx, acct)
			mu.Lock()
			out[acct.Name] = aa
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// reconcile settles the journal's unresolved operations of the given
// accounts before a command acts, and says so on stderr.
func (a *app) reconcile(ctx context.Context, svc *core.Service, accts map[string]core.Account) {
	list := make([]core.Account, 0, len(accts))
	for _, aa := range accts {
		list = append(list, aa)
	}
	rep := svc.Reconcile(ctx, list)
	if s := rep.Summary(); s != "" {
		fmt.Fprintf(a.stderr, "signdeck: %s (see signdeck audit --unresolved)\n", s)
	}
	for _, n := range rep.NeedYou {
		fmt.Fprintf(a.stderr, "signdeck:   %s %s: %s\n", n.Op.Action, clean(n.Op.Ref), clean(n.Reason))
	}
}

// noTokenError is providerFor's error for an account without a token.
type noTokenError struct{ account string }

func (e *noTokenError) Error() string { return core.NoTokenReason(e.account) }

func (e *noTokenError) Is(target error) bool { return target == keyring.ErrNotFound }
