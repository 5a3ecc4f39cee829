package dropboxsigntest

import (
	"strings"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// The sandbox's and the demo's Dropbox Sign: registered with the
// providers' emulator registry.
func init() {
	providers.RegisterEmulator(providers.Emulator{Kind: models.DropboxSign, Order: 1, Start: startSandbox})
}

// publishedRatePerMin is the vendor's published standard limit.
const publishedRatePerMin = 100

type sandbox struct{ *Server }

func startSandbox(o providers.EmulatorOptions) (providers.RunningEmulator, error) {
	rate := o.RatePerMin
	if rate <= 0 {
		rate = publishedRatePerMin
	}
	srv, err := NewServer(Options{
		Seed:    o.Seed,
		Size:    o.Size,
		APIKeys: []string{o.Token},
		Addr:    o.Addr,
		// The send/files and test-mode limits keep the vendor's ratios.
		RateLimit:         rate,
		SendRateLimit:     max(1, rate/4),
		TestModeRateLimit: max(1, rate/10),
		CancelDelay:       o.CancelDelay,
		// Dates relative to now, so the data looks current; the content
		// still depends only on the seed.
		Now: time.Now,
	})
	if err != nil {
		return nil, err
	}
	return sandbox{srv}, nil
}

func (s sandbox) URL() string { return strings.TrimRight(s.Server.URL, "/") }

// Account sends copies as test requests and, since the emulator files
// some requests under team members as a real team account does, lists the
// whole team.
func (s sandbox) Account() providers.Setup {
	return providers.Setup{BaseURL: s.URL(), TestMode: true, Team: true}
}
