package dropboxsign

import (
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

func init() {
	providers.Register(providers.Vendor{Kind: models.DropboxSign, DefaultBaseURL: DefaultBaseURL, New: fromSetup})
}

// fromSetup builds a client from the registry's account setup.
func fromSetup(s providers.Setup) (providers.Provider, error) {
	cfg := Config{
		Account:     s.Account,
		BaseURL:     s.BaseURL,
		APIKey:      s.Token,
		TestMode:    s.TestMode,
		Team:        s.Team,
		Logger:      s.Logger,
		Tune:        s.Tune,
		RecoverWait: s.RecoverWait,
		FindWindow:  s.FindWindow,
	}
	if s.QueuedCancels != nil {
		// Queued cancels are invisible at Dropbox Sign until they
		// complete: the caller's journal remembers them across runs.
		cfg.QueuedCancels = s.QueuedCancels(CancelPendingTTL)
	}
	// A sandbox rate limit is the emulator's; the client learns it from
	// the rate-limit headers, as from the real API.
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}
