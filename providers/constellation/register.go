package constellation

import (
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

func init() {
	providers.Register(providers.Vendor{Kind: models.Constellation1, DefaultBaseURL: DefaultBaseURL, New: fromSetup})
}

// fromSetup builds a client from the registry's account setup.
func fromSetup(s providers.Setup) (providers.Provider, error) {
	tune := s.Tune
	if s.RatePerMin > 0 {
		tune = func(cc *providers.ClientConfig) {
			// Every call costs two requests (token + call).
			cc.Limiter = providers.NewLimiter(2*s.RatePerMin, time.Minute, 20)
			if s.Tune != nil {
				s.Tune(cc)
			}
		}
	}
	c, err := New(Config{
		Account:      s.Account,
		BaseURL:      s.BaseURL,
		APIKey:       s.Token,
		Username:     s.Username,
		Transactions: s.Transactions,
		ReturnURL:    s.ReturnURL,
		Logger:       s.Logger,
		Tune:         tune,
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
