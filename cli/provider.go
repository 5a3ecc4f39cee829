package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/keyring"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/constellation"
	"github.com/signdeck/signdeck/providers/dropboxsign"
)

// provider builds the client of acct with token. Its logger writes to the
// log file, never to stdout or stderr.
func (a *app) provider(acct config.Account, token string) (providers.Provider, error) {
	a.rememberSecret(token)
	switch acct.Provider {
	case models.DropboxSign:
		c, err := dropboxsign.New(dropboxsign.Config{
			Account:  acct.Name,
			BaseURL:  acct.BaseURL,
			APIKey:   token,
			TestMode: acct.TestMode,
			Team:     acct.Team,
			Logger:   a.log(),
			// 0 keeps the client's default.
			RecoverWait: a.dbxRecoverWait,
			Tune:        a.tuneHTTP,
			// Queued cancels are invisible at Dropbox Sign until they
			// complete: the journal remembers them across runs.
			QueuedCancels: a.queuedCancels(acct),
			FindWindow:    a.dbxFindWindow,
		})
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", acct.Name, err)
		}
		return c, nil
	case models.Constellation1:
		c, err := constellation.New(constellation.Config{
			Account:      acct.Name,
			BaseURL:      acct.BaseURL,
			APIKey:       token,
			Username:     acct.Username,
			Transactions: acct.Transactions,
			ReturnURL:    acct.ReturnURL,
			Logger:       a.log(),
			Tune:         a.tuneConstellation,
		})
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", acct.Name, err)
		}
		return c, nil
	}
	return nil, fmt.Errorf("account %s: unknown provider %q", acct.Name, clean(string(acct.Provider)))
}

// tuneConstellation applies the demo's request budget, if any.
func (a *app) tuneConstellation(cc *providers.ClientConfig) {
	if a.c1RatePerMin > 0 {
		// Every Constellation1 call costs two requests (token + call).
		cc.Limiter = providers.NewLimiter(2*a.c1RatePerMin, time.Minute, 20)
	}
	if a.tuneHTTP != nil {
		a.tuneHTTP(cc)
	}
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

// queuedCancels returns the cancels the journal says were queued for a
// Dropbox Sign account within the vendor's confirmation window.
func (a *app) queuedCancels(acct config.Account) map[string]time.Time {
	db, err := a.openStore(context.Background())
	if err != nil {
		return nil
	}
	m, err := db.PendingCancels(context.Background(), acct.Name, endpoint(acct), time.Now().Add(-dropboxsign.CancelPendingTTL))
	if err != nil {
		a.log().Warn("journal: cannot read pending cancels", "account", acct.Name, "error", err)
		return nil
	}
	return m
}
