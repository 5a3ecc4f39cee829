package providers

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate-limit tiers. A vendor may count some endpoints against a budget of
// their own (Dropbox Sign: 100/min standard, 25/min for sends and file
// downloads, 10/min for test-mode sends); each tier has its own bucket, so
// a small tier's headers never slow the others. A Request names its tier;
// "" is TierStandard.
const (
	TierStandard = "standard"
	// TierHigh is a vendor's smaller budget for expensive calls (sends,
	// file downloads).
	TierHigh = "high"
	// TierTest is the budget of test-mode sends.
	TierTest = "test"
)

// RateInfo is what a response said about the rate limit.
type RateInfo struct {
	Limit     int       // requests per window; 0 when not said
	Remaining int       // -1 when not said
	Reset     time.Time // zero when not said
}

// Limiter is a per-account set of token buckets (golang.org/x/time/rate),
// one per rate-limit tier, that the provider's rate-limit headers keep in
// tune: the limit a response announces sets the rate of the tier the
// request was counted in, and an exhausted budget or a 429 holds the calls
// of that tier until its reset. A tier is made on first use with the
// limiter's initial rate and burst.
type Limiter struct {
	mu        sync.Mutex
	window    time.Duration
	perWindow int
	burst     int
	tiers     map[string]*tier
	now       func() time.Time
}

// tier is one budget.
type tier struct {
	lim     *rate.Limiter
	limit   int
	remain  int
	reset   time.Time
	blocked time.Time
}

// NewLimiter allows perWindow requests each window in each tier, with the
// given burst, until the provider's headers say otherwise.
func NewLimiter(perWindow int, window time.Duration, burst int) *Limiter {
	if perWindow <= 0 {
		perWindow = 100
	}
	if window <= 0 {
		window = time.Minute
	}
	if burst <= 0 {
		burst = 1
	}
	return &Limiter{window: window, perWindow: perWindow, burst: burst,
		tiers: map[string]*tier{}, now: time.Now}
}

func tierName(name string) string {
	if name == "" {
		return TierStandard
	}
	return name
}

// tierLocked returns the named tier, making it. Call with l.mu held.
func (l *Limiter) tierLocked(name string) *tier {
	name = tierName(name)
	t := l.tiers[name]
	if t == nil {
		t = &tier{lim: rate.NewLimiter(rate.Every(l.window/time.Duration(l.perWindow)), l.burst), remain: -1}
		l.tiers[name] = t
	}
	return t
}

// Wait blocks until a standard-tier call may be made or ctx ends.
func (l *Limiter) Wait(ctx context.Context) error { return l.WaitTier(ctx, TierStandard) }

// WaitTier blocks until a call of the tier may be made or ctx ends.
func (l *Limiter) WaitTier(ctx context.Context, name string) error {
	if l == nil {
		return nil
	}
	for {
		l.mu.Lock()
		t := l.tierLocked(name)
		until := t.blocked
		now := l.now()
		lim := t.lim
		l.mu.Unlock()
		if !until.After(now) {
			return lim.Wait(ctx)
		}
		tm := time.NewTimer(until.Sub(now))
		select {
		case <-ctx.Done():
			tm.Stop()
			return ctx.Err()
		case <-tm.C:
		}
	}
}

// Observe feeds the standard tier what a response said.
func (l *Limiter) Observe(info RateInfo) { l.ObserveTier(TierStandard, info) }

// ObserveTier feeds the tier what a response to one of its calls said.
func (l *Limiter) ObserveTier(name string, info RateInfo) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.tierLocked(name)
	if info.Limit > 0 && info.Limit != t.limit {
		t.limit = info.Limit
		t.lim.SetLimit(rate.Every(l.window / time.Duration(info.Limit)))
	}
	if info.Remaining >= 0 {
		t.remain = info.Remaining
	}
	if !info.Reset.IsZero() {
		t.reset = info.Reset
	}
	if info.Remaining == 0 && !info.Reset.IsZero() && info.Reset.After(t.blocked) {
		t.blocked = info.Reset
	}
}

// HeldUntil returns the time standard-tier calls are held until (a 429's
// or an exhausted budget's reset), or the zero time when calls may go.
func (l *Limiter) HeldUntil() time.Time { return l.HeldUntilTier(TierStandard) }

// HeldUntilTier is HeldUntil for one tier.
func (l *Limiter) HeldUntilTier(name string) time.Time {
	if l == nil {
		return time.Time{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.tierLocked(name)
	if t.blocked.After(l.now()) {
		return t.blocked
	}
	return time.Time{}
}

// Block holds every standard-tier call until t (a 429's announced reset).
func (l *Limiter) Block(t time.Time) { l.BlockTier(TierStandard, t) }

// BlockTier holds the tier's calls until until.
func (l *Limiter) BlockTier(name string, until time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.tierLocked(name)
	if until.After(t.blocked) {
		t.blocked = until
	}
	t.remain = 0
	if until.After(t.reset) {
		t.reset = until
	}
}

// Budget returns the last known budget of the standard tier, with every
// tier seen so far in Tiers.
func (l *Limiter) Budget() Budget {
	if l == nil {
		return Budget{Remaining: -1, Tier: TierStandard}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	snap := func(name string, t *tier) Budget {
		return Budget{Tier: name, Limit: t.limit, Remaining: t.remain, Reset: t.reset, Waiting: t.blocked.After(now)}
	}
	b := snap(TierStandard, l.tierLocked(TierStandard))
	names := make([]string, 0, len(l.tiers))
	for n := range l.tiers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.Tiers = append(b.Tiers, snap(n, l.tiers[n]))
	}
	return b
}

// StandardRateHeaders reads X-RateLimit-Limit, X-RateLimit-Remaining and
// X-RateLimit-Reset (Unix seconds; any capitalisation, as Dropbox Sign
// writes X-Ratelimit-Reset), falling back to Retry-After (seconds or an
// HTTP date) for the reset.
func StandardRateHeaders(h http.Header, now time.Time) (RateInfo, bool) {
	info := RateInfo{Remaining: -1}
	seen := false
	if v, err := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Limit"))); err == nil && v > 0 {
		info.Limit, seen = v, true
	}
	if v, err := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Remaining"))); err == nil && v >= 0 {
		info.Remaining, seen = v, true
	}
	if v, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64); err == nil && v > 0 {
		info.Reset, seen = time.Unix(v, 0), true
	}
	if ra := strings.TrimSpace(h.Get("Retry-After")); ra != "" && info.Reset.IsZero() {
		if secs, err := strconv.Atoi(ra); err == nil && secs >= 0 {
			info.Reset, seen = now.Add(time.Duration(secs)*time.Second), true
		} else if t, err := http.ParseTime(ra); err == nil {
			info.Reset, seen = t, true
		}
	}
	return info, seen
}
