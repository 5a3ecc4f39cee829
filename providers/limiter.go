package providers

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateInfo is what a response said about the rate limit.
type RateInfo struct {
	Limit     int       // requests per window; 0 when not said
	Remaining int       // -1 when not said
	Reset     time.Time // zero when not said
}

// Limiter is a per-account token bucket (golang.org/x/time/rate) that the
// provider's rate-limit headers keep in tune: the announced limit sets the
// rate, and an exhausted budget or a 429 holds every call until the reset.
type Limiter struct {
	mu      sync.Mutex
	lim     *rate.Limiter
	window  time.Duration
	limit   int
	remain  int
	reset   time.Time
	blocked time.Time
	now     func() time.Time
}

// NewLimiter allows perWindow requests each window, with the given burst.
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
	return &Limiter{
		lim:    rate.NewLimiter(rate.Every(window/time.Duration(perWindow)), burst),
		window: window,
		remain: -1,
		now:    time.Now,
	}
}

// Wait blocks until a call may be made or ctx ends.
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil {
		return nil
	}
	for {
		l.mu.Lock()
		until := l.blocked
		now := l.now()
		l.mu.Unlock()
		if !until.After(now) {
			break
		}
		t := time.NewTimer(until.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	return l.lim.Wait(ctx)
}

// Observe feeds the limiter what a response said.
func (l *Limiter) Observe(info RateInfo) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if info.Limit > 0 && info.Limit != l.limit {
		l.limit = info.Limit
		l.lim.SetLimit(rate.Every(l.window / time.Duration(info.Limit)))
	}
	if info.Remaining >= 0 {
		l.remain = info.Remaining
	}
	if !info.Reset.IsZero() {
		l.reset = info.Reset
	}
	if info.Remaining == 0 && !info.Reset.IsZero() && info.Reset.After(l.blocked) {
		l.blocked = info.Reset
	}
}

// HeldUntil returns the time every call is held until (a 429's or an
// exhausted budget's reset), or the zero time when calls may go.
func (l *Limiter) HeldUntil() time.Time {
	if l == nil {
		return time.Time{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.blocked.After(l.now()) {
		return l.blocked
	}
	return time.Time{}
}

// Block holds every call until t (a 429's announced reset).
func (l *Limiter) Block(t time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.blocked) {
		l.blocked = t
	}
	l.remain = 0
	if t.After(l.reset) {
		l.reset = t
	}
}

// Budget returns the last known budget.
func (l *Limiter) Budget() Budget {
	if l == nil {
		return Budget{Remaining: -1}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := Budget{Limit: l.limit, Remaining: l.remain, Reset: l.reset}
	b.Waiting = l.blocked.After(l.now())
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
