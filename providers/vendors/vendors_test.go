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
