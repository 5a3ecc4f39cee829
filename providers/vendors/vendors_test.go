package vendors_test

import (
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	_ "github.com/signdeck/signdeck/providers/vendors"
)

// Every provider kind the models know has a registered client, with an
// https default address, built from a neutral Setup.
func TestEveryKindIsRegistered(t *testing.T) {
	for _, kind := range []models.ProviderKind{models.DropboxSign, models.Constellation1} {
		v, ok := providers.Lookup(kind)
		if !ok {
			t.Fatalf("%s: not registered", kind)
		}
		if !strings.HasPrefix(v.DefaultBaseURL, "https://") || providers.DefaultBaseURL(kind) != v.DefaultBaseURL {
			t.Errorf("%s: default base URL %q", kind, v.DefaultBaseURL)
		}
		var asked time.Duration
		p, err := providers.New(kind, providers.Setup{
			Account: "acme", BaseURL: "http://127.0.0.1:1", Token: "k", Username: "a@example.com",
			Transactions: []string{"t1"},
			QueuedCancels: func(ttl time.Duration) map[string]time.Time {
				asked = ttl
				return nil
			},
		})
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if p.Kind() != kind || p.Account() != "acme" {
			t.Errorf("%s: built %s for %q", kind, p.Kind(), p.Account())
		}
		// A vendor whose cancels complete later asks the journal for the
		// ones queued within its own window.
		if ttl := p.Capabilities().CancelPendingTTL; ttl != asked {
			t.Errorf("%s: asked for queued cancels within %v, its window is %v", kind, asked, ttl)
		}
	}
	if got := providers.Vendors(); len(got) != 2 {
		t.Errorf("vendors %v", got)
	}
}

func TestUnknownKindAndDoubleRegistration(t *testing.T) {
	if _, err := providers.New("faxmachine", providers.Setup{}); err == nil || !strings.Contains(err.Error(), `unknown provider "faxmachine"`) {
		t.Errorf("unknown kind: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a kind twice did not panic")
		}
	}()
	providers.Register(providers.Vendor{Kind: models.DropboxSign})
}

// Every vendor has an emulator; started together, each lists its sample
// sessions to its own client built from the emulator's account settings
// alone: nothing outside the vendor's packages knows either.
func TestEveryVendorHasAnEmulatorItsClientReads(t *testing.T) {
	var kinds []models.ProviderKind
	for _, e := range providers.Emulators() {
		kinds = append(kinds, e.Kind)
	}
	if len(kinds) != 2 || kinds[0] != models.DropboxSign || kinds[1] != models.Constellation1 {
		t.Fatalf("emulators %v, want Dropbox Sign then Constellation1", kinds)
	}
	run, err := providers.StartEmulators(providers.EmulatorOptions{Seed: 3, Size: 7, Token: "tok", RatePerMin: 6000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, r := range run {
			r.Close()
		}
	}()
	for _, r := range run {
		s := r.Account()
		if s.BaseURL != r.URL() || !strings.HasPrefix(r.URL(), "http://127.0.0.1:") {
			t.Errorf("%s: URL %q, account base URL %q", r.Kind, r.URL(), s.BaseURL)
		}
		s.Account, s.Token = "demo", "tok"
		p, err := providers.New(r.Kind, s)
		if err != nil {
			t.Fatalf("%s: %v", r.Kind, err)
		}
		n := 0
		if err := p.List(t.Context(), providers.ListQuery{}, func(pg providers.Page) error {
			n += len(pg.Sessions)
			return nil
		}); err != nil {
			t.Fatalf("%s: list: %v", r.Kind, err)
		}
		if n == 0 || n > 7 {
			t.Errorf("%s: listed %d sessions of 7", r.Kind, n)
		}
	}
}
