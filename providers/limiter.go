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

// Priority orders the calls of an account competing for its budget.
type Priority int

const (
	// PriorityPeople is a person's action: a cancel, a copy, a reminder,
	// a confirmation poll, a listing someone asked for. The default.
	PriorityPeople Priority = iota
	// PriorityBackground is background sync: it uses at most the
	// limiter's background share of each tier and yields to people's calls.
	PriorityBackground
)

type priorityKey struct{}

// WithPriority marks the calls made with ctx.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// PriorityOf returns the priority ctx carries (PriorityPeople when none).
func PriorityOf(ctx context.Context) Priority {
	p, _ := ctx.Value(priorityKey{}).(Priority)
	return p
}

// DefaultBackgroundShare is the share of each tier's rate background
// calls may use.
const DefaultBackgroundShare = 0.5

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
	// share is the fraction of a tier's rate background calls may use.
	share float64
}

// tier is one budget.
type tier struct {
	lim *rate.Limiter
	// bg paces background calls at share of lim's rate; people waiting
	// counts people's calls waiting on this tier, which background calls
	// yield to; bgHeld counts background calls held back.
	bg            *rate.Limiter
	peopleWaiting int
	bgHeld        int
	wake          chan struct{} // closed when peopleWaiting drops to 0
	limit         int
	remain        int
	reset         time.Time
	blocked       time.Time
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
		tiers: map[string]*tier{}, now: time.Now, share: DefaultBackgroundShare}
}

// SetBackgroundShare sets the fraction (0 to 1) of each tier's rate that
// background calls may use; 0 holds them while people's calls wait and
// paces them at the smallest rate otherwise.
func (l *Limiter) SetBackgroundShare(share float64) {
	if l == nil {
		return
	}
	share = max(0, min(1, share))
	l.mu.Lock()
	defer l.mu.Unlock()
	l.share = share
	for _, t := range l.tiers {
		t.bg.SetLimit(l.bgLimit(t.lim.Limit()))
		t.bg.SetBurst(l.bgBurst())
	}
}

func (l *Limiter) bgLimit(full rate.Limit) rate.Limit {
	return max(full*rate.Limit(l.share), rate.Every(l.window))
}

func (l *Limiter) bgBurst() int { return max(1, int(float64(l.burst)*l.share)) }

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
		full := rate.Every(l.window / time.Duration(l.perWindow))
		t = &tier{lim: rate.NewLimiter(full, l.burst), bg: rate.NewLimiter(l.bgLimit(full), l.bgBurst()), remain: -1}
		l.tiers[name] = t
	}
	return t
}

// Wait blocks until a standard-tier call may be made or ctx ends.
func (l *Limiter) Wait(ctx context.Context) error { return l.WaitTier(ctx, TierStandard) }

// WaitTier blocks until a call of the tier may be made or ctx ends. A
// background call (WithPriority) also waits for its share of the tier's
// rate and while people's calls wait on the tier.
func (l *Limiter) WaitTier(ctx context.Context, name string) error {
	if l == nil {
		return nil
	}
	if PriorityOf(ctx) == PriorityBackground {
		return l.waitBackground(ctx, name)
	} else {
		l.mu.Lock()
		t := l.tierLocked(name)
		t.peopleWaiting++
		l.mu.Unlock()
		defer func() {
			l.mu.Lock()
			t.peopleWaiting--
			if t.peopleWaiting == 0 && t.wake != nil {
				close(t.wake)
				t.wake = nil
			}
			l.mu.Unlock()
		}()
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

// waitBackground holds a background call while people's calls wait on
// the tier, takes a token of the background share, then a token of the
// tier's bucket only when that leaves the reserve (half the burst) for
// people: a background call never takes the token a person's call is
// about to need. While people's calls keep the bucket low (a bulk
// cancel), background calls wait; when people are idle the bucket refills
// and background calls go at their share. Without the reserve, every
// moment no person's call happened to be waiting (a cancel's journal
// write between two calls) gave the sweep a token: 200 cancels during a
// sweep used 0.88 of the rate instead of all of it.
func (l *Limiter) waitBackground(ctx context.Context, name string) error {
	l.mu.Lock()
	t := l.tierLocked(name)
	l.mu.Unlock()
	// held: this call is yielding (to people, to their reserve, or to a
	// rate-limit block), which the status line shows as "sync paused for
	// the budget"; waiting for its own share is its normal pace, not that.
	held := false
	hold := func() {
		if !held {
			held = true
			t.bgHeld++
		}
	}
	defer func() {
		l.mu.Lock()
		if held {
			t.bgHeld--
		}
		l.mu.Unlock()
	}()
	shared := false
	for {
		l.mu.Lock()
		now := l.now()
		var wait <-chan struct{}
		var d time.Duration
		switch {
		case t.peopleWaiting > 0:
			hold()
			if t.wake == nil {
				t.wake = make(chan struct{})
			}
			wait = t.wake
		case !shared:
			bg := t.bg
			l.mu.Unlock()
			if err := bg.Wait(ctx); err != nil {
				return err
			}
			shared = true
			continue
		case t.blocked.After(now):
			hold()
			d = t.blocked.Sub(now)
		default:
			need := float64(t.lim.Burst()/2 + 1)
			have := t.lim.TokensAt(now)
			if have >= need && t.lim.AllowN(now, 1) {
				l.mu.Unlock()
				return nil
			}
			hold()
			d = time.Second
			if r := float64(t.lim.Limit()); r > 0 {
				d = time.Duration((need - have) / r * float64(time.Second))
			}
			d = max(d, time.Millisecond)
		}
		l.mu.Unlock()
		var tc <-chan time.Time
		var tm *time.Timer
		if d > 0 {
			tm = time.NewTimer(d)
			tc = tm.C
		}
		select {
		case <-ctx.Done():
		case <-wait:
		case <-tc:
		}
		if tm != nil {
			tm.Stop()
		}
		if err := ctx.Err(); err != nil {
			return err
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
		t.bg.SetLimit(l.bgLimit(t.lim.Limit()))
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
		return Budget{Tier: name, Limit: t.limit, Remaining: t.remain, Reset: t.reset, Waiting: t.blocked.After(now),
			BackgroundHeld: t.bgHeld > 0}
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
