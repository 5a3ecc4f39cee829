package providers

import (
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/signdeck/signdeck/models"
)

// Setup is what a vendor's client is built from: one configured account
// and its token. The front ends fill it from the config without knowing
// which vendor it is for; each vendor reads the fields it has use for.
type Setup struct {
	Account string
	// BaseURL is empty for the vendor's default (Vendor.DefaultBaseURL).
	BaseURL string
	// Token is the API key. It is never logged.
	Token  string
	Logger *slog.Logger
	// Tune adjusts the shared HTTP client (tests, the demo's budgets).
	Tune func(*ClientConfig)
	// RatePerMin, when > 0, replaces the vendor's own request budget with
	// this many API calls a minute (the sandbox's --rate-limit).
	RatePerMin int

	// Account settings from the config; a vendor ignores the ones it has
	// no such notion for.
	TestMode     bool     // send copies as test requests
	Team         bool     // list the whole team's requests
	Username     string   // the agent's sign-in email
	Transactions []string // the transactions whose sessions are listed
	ReturnURL    string   // where signers land after signing

	// QueuedCancels, when set, returns the cancels an earlier process
	// queued within ttl (id -> when), so a vendor whose cancels complete
	// later never sends one twice.
	QueuedCancels func(ttl time.Duration) map[string]time.Time

	// Test hooks: how long a copy's recovery search and FindCopy keep
	// searching (0 keeps the vendor's default).
	RecoverWait, FindWindow time.Duration
}

// Vendor is one provider kind's entry in the registry.
type Vendor struct {
	Kind models.ProviderKind
	// DefaultBaseURL is the production API address.
	DefaultBaseURL string
	// New builds a client for one account.
	New func(Setup) (Provider, error)
}

var registry struct {
	sync.RWMutex
	m map[models.ProviderKind]Vendor
}

// Register adds a vendor; each vendor package registers itself from
// init, and providers/vendors imports them all. Registering a kind twice
// panics (a programming error).
func Register(v Vendor) {
	registry.Lock()
	defer registry.Unlock()
	if registry.m == nil {
		registry.m = map[models.ProviderKind]Vendor{}
	}
	if _, dup := registry.m[v.Kind]; dup {
		panic("providers: vendor " + string(v.Kind) + " registered twice")
	}
	registry.m[v.Kind] = v
}

// Lookup returns the registered vendor of kind.
func Lookup(kind models.ProviderKind) (Vendor, bool) {
	registry.RLock()
	defer registry.RUnlock()
	v, ok := registry.m[kind]
	return v, ok
}

// Vendors returns the registered kinds, sorted.
func Vendors() []models.ProviderKind {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]models.ProviderKind, 0, len(registry.m))
	for k := range registry.m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// New builds the client of one account of the given kind.
func New(kind models.ProviderKind, s Setup) (Provider, error) {
	v, ok := Lookup(kind)
	if !ok {
		return nil, fmt.Errorf("unknown provider %q", models.CleanText(string(kind)))
	}
	return v.New(s)
}

// DefaultBaseURL is the production API address of kind, or "".
func DefaultBaseURL(kind models.ProviderKind) string {
	v, _ := Lookup(kind)
	return v.DefaultBaseURL
}
