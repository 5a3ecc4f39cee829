package providers

import (
	"fmt"
	"sort"
	"time"

	"github.com/signdeck/signdeck/models"
)

// EmulatorOptions start a vendor's in-process emulator for the sandbox
// and the demo.
type EmulatorOptions struct {
	Seed int64
	// Size is the number of sample sessions.
	Size int
	// Addr is the listen address ("" for 127.0.0.1 on a random port).
	Addr string
	// Token is the one API key the emulator accepts.
	Token string
	// RatePerMin is the request budget to emulate, requests per minute
	// (0: the vendor's published one). An emulator without rate limits
	// ignores it.
	RatePerMin int
	// CancelDelay is how long a cancel takes to complete where the vendor
	// completes cancels later (0: the emulator's default).
	CancelDelay time.Duration
}

// RunningEmulator is a started emulator.
type RunningEmulator interface {
	// URL is its base URL.
	URL() string
	// Account is the account settings that point at it (BaseURL and the
	// vendor's own settings; no name and no token).
	Account() Setup
	Close()
}

// Emulator is one vendor's entry in the emulator registry.
type Emulator struct {
	Kind models.ProviderKind
	// Order places the vendor's sandbox account among the others (lower
	// first, then by kind).
	Order int
	Start func(EmulatorOptions) (RunningEmulator, error)
}

var emulators = map[models.ProviderKind]Emulator{}

// RegisterEmulator adds a vendor's emulator; each vendor's ...test package
// registers its own from init, and providers/vendors imports them all.
// Registering a kind twice panics (a programming error).
func RegisterEmulator(e Emulator) {
	registry.Lock()
	defer registry.Unlock()
	if _, dup := emulators[e.Kind]; dup {
		panic("providers: emulator " + string(e.Kind) + " registered twice")
	}
	emulators[e.Kind] = e
}

// Emulators returns the registered emulators, by Order then kind.
func Emulators() []Emulator {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]Emulator, 0, len(emulators))
	for _, e := range emulators {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Order != out[j].Order {
			return out[i].Order < out[j].Order
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}

// Started is a running emulator and its vendor.
type Started struct {
	Kind models.ProviderKind
	RunningEmulator
}

// StartEmulators starts every registered emulator at once, in Emulators' order
// (addrs by kind; an absent kind listens on a random loopback port). On an
// error the ones started are closed.
func StartEmulators(o EmulatorOptions, addrs map[models.ProviderKind]string) ([]Started, error) {
	all := Emulators()
	type result struct {
		r   RunningEmulator
		err error
	}
	res := make([]result, len(all))
	done := make(chan struct{}, len(all))
	for i, e := range all {
		go func() {
			eo := o
			eo.Addr = addrs[e.Kind]
			r, err := e.Start(eo)
			if err != nil {
				err = fmt.Errorf("start the %s emulator: %w", e.Kind.Label(), err)
			}
			res[i] = result{r, err}
			done <- struct{}{}
		}()
	}
	for range all {
		<-done
	}
	var out []Started
	var first error
	for i, r := range res {
		if r.err != nil && first == nil {
			first = r.err
		}
		if r.r != nil {
			out = append(out, Started{Kind: all[i].Kind, RunningEmulator: r.r})
		}
	}
	if first != nil {
		for _, r := range out {
			r.Close()
		}
		return nil, first
	}
	return out, nil
}
