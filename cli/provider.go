package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/keyring"
	"github.com/signdeck/signdeck/providers"
	// Every vendor's client, through the registry.
	_ "github.com/signdeck/signdeck/providers/vendors"
)

// provider builds the client of acct with token through the vendor
// registry. Its logger writes to the log file, never to stdout or stderr.
func (a *app) provider(acct config.Account, token string) (providers.Provider, error) {
	a.rememberSecret(token)
	p, err := providers.New(acct.Provider, providers.Setup{
		Account:      acct.Name,
		BaseURL:      acct.BaseURL,
		Token:        token,
		Logger:       a.log(),
		Tune:         a.tuneHTTP,
		RatePerMin:   a.c1RatePerMin,
		TestMode:     acct.TestMode,
		Team:         acct.Team,
		Username:     acct.Username,
		Transactions: acct.Transactions,
		ReturnURL:    acct.ReturnURL,
		QueuedCancels: func(ttl time.Duration) map[string]time.Time {
			return a.queuedCancels(acct, ttl)
		},
		RecoverWait: a.dbxRecoverWait,
		FindWindow:  a.dbxFindWindow,
	})
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", acct.Name, err)
	}
	return p, nil
}

// providerFor resolves acct's token and builds its client. A missing
// token says how to add one.
func (a *app) providerFor(ctx context.Context, acct config.Account) (providers.Provider, error) {
	token, _, err := a.tokens().Get(ctx, acct.Name)
	if err != nil {
		if errors.Is(err, keyring.ErrNotFound) {
			return nil, &noTokenError{account: acct.Name}
		}
		return nil, fmt.Errorf("account %s: %w", acct.Name, err)
	}
	return a.provider(acct, token)
}

// queuedCancels returns the cancels the journal says were queued for
// acct within ttl (the vendor's confirmation window).
func (a *app) queuedCancels(acct config.Account, ttl time.Duration) map[string]time.Time {
	db, err := a.openStore(context.Background())
	if err != nil {
		return nil
	}
	m, err := db.PendingCancels(context.Background(), acct.Name, endpoint(acct), time.Now().Add(-ttl))
	if err != nil {
		a.log().Warn("journal: cannot read pending cancels", "account", acct.Name, "error", err)
		return nil
	}
	return m
}
