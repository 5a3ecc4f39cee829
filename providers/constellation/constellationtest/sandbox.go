package constellationtest

import (
	"strings"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// The sandbox's and the demo's Constellation1: registered with the
// providers' emulator registry.
func init() {
	providers.RegisterEmulator(providers.Emulator{Kind: models.Constellation1, Order: 2, Start: startSandbox})
}

type sandbox struct{ *Server }

// startSandbox starts the emulator; it has no rate limit of its own (the
// client's budget stands for the vendor's).
func startSandbox(o providers.EmulatorOptions) (providers.RunningEmulator, error) {
	srv, err := NewServer(Options{Seed: o.Seed, Size: o.Size, APIKeys: []string{o.Token}, Addr: o.Addr})
	if err != nil {
		return nil, err
	}
	return sandbox{srv}, nil
}

func (s sandbox) URL() string { return strings.TrimRight(s.Server.URL(), "/") }

// Account lists the emulator's transactions as its agent.
func (s sandbox) Account() providers.Setup {
	return providers.Setup{BaseURL: s.URL(), Username: s.Username(), Transactions: s.Transactions()}
}
