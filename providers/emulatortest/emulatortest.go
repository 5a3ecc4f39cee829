// Package emulatortest is the kit both provider emulators (dropboxsigntest,
// constellationtest) are built on: one fault-injection API, one request
// log and the connection-level faults (resets, truncated answers), so a
// test speaks to either emulator the same way.
//
// Faults say what to inject and where; an Injector decides, request by
// request, which fault strikes. The emulator applies it: "error" and
// "html5xx" are its own error answers, "reset" drops the connection
// (Reset), "malformed" and "truncate" mangle its real answer.
package emulatortest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Fault names, as recorded in the request log.
const (
	FaultReset     = "reset"
	FaultHTML5xx   = "html5xx"
	FaultError     = "error"
	FaultMalformed = "malformed"
	FaultTruncate  = "truncate"
)

// Faults make an emulator misbehave. Rates are probabilities from 0 to 1
// of the requests the faults apply to; 1 strikes every such request, so a
// test is deterministic.
type Faults struct {
	// ErrorRate answers with the vendor's own error: Dropbox Sign a 500
	// `unknown` API error, Constellation1 an HTML error page with
	// ErrorStatus (default 503).
	ErrorRate   float64
	ErrorStatus int
	// HTML5xxRate answers 502 with an HTML proxy page.
	HTML5xxRate float64
	// ResetRate closes the connection without an answer.
	ResetRate float64
	// MalformedRate answers with a body that is not valid JSON.
	MalformedRate float64
	// TruncateRate cuts the answer's body in half.
	TruncateRate float64
	// Latency delays every answer the faults apply to.
	Latency time.Duration
	// Ops limits the faults to matching requests. An entry matches a
	// request whose operation name equals it ("lite", "send"), whose
	// method is it ("POST"), or, when it holds a '/', whose
	// "METHOD /path" contains it ("POST /v3/signature_request/send").
	// Empty matches every request.
	Ops []string
	// Skip lets this many matching requests through before the first
	// fault.
	Skip int
	// Limit stops injecting after this many faults (0: no limit).
	// Latency is not counted.
	Limit int
	// AfterEffect makes the faults strike after the request took effect:
	// the answer is lost or mangled, the change is made. By default a
	// faulted request does nothing.
	AfterEffect bool
	// ExpiredTokens makes the next N tokens issued already expired
	// (Constellation1 only).
	ExpiredTokens int
}

// Matches reports whether f applies to the request named op with the
// given method and path.
func (f Faults) Matches(op, method, path string) bool {
	if len(f.Ops) == 0 {
		return true
	}
	target := method + " " + path
	return slices.ContainsFunc(f.Ops, func(o string) bool {
		return o == op || o == method || (strings.Contains(o, "/") && strings.Contains(target, o))
	})
}

// Injector decides the fault of each request. It is safe for concurrent
// use.
type Injector struct {
	mu      sync.Mutex
	f       Faults
	skipped int
	struck  int
	rng     *rand.Rand
}

// NewInjector returns an injector with the given faults and random seed.
func NewInjector(f Faults, seed int64) *Injector {
	return &Injector{f: f, rng: rand.New(rand.NewPCG(uint64(seed), 0xfa17))}
}

// Set replaces the faults; the Skip and Limit counts start over.
func (in *Injector) Set(f Faults) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.f, in.skipped, in.struck = f, 0, 0
}

// Faults returns the current faults.
func (in *Injector) Faults() Faults {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.f
}

// TakeExpiredToken reports whether the next token issued should be
// already expired, counting it down.
func (in *Injector) TakeExpiredToken() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.f.ExpiredTokens > 0 {
		in.f.ExpiredTokens--
		return true
	}
	return false
}

// Pick decides the fault for one request ("" for none) and returns the
// latency to add and whether the fault strikes after the request took
// effect.
func (in *Injector) Pick(op, method, path string) (fault string, latency time.Duration, after bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	f := in.f
	if !f.Matches(op, method, path) {
		return "", 0, false
	}
	latency, after = f.Latency, f.AfterEffect
	if in.skipped < f.Skip {
		in.skipped++
		return "", latency, after
	}
	if f.Limit > 0 && in.struck >= f.Limit {
		return "", latency, after
	}
	for _, c := range []struct {
		rate float64
		name string
	}{{f.ResetRate, FaultReset}, {f.HTML5xxRate, FaultHTML5xx}, {f.ErrorRate, FaultError},
		{f.TruncateRate, FaultTruncate}, {f.MalformedRate, FaultMalformed}} {
		if c.rate > 0 && (c.rate >= 1 || in.rng.Float64() < c.rate) {
			in.struck++
			return c.name, latency, after
		}
	}
	return "", latency, after
}

// Sleep waits d, or less when the request's context ends or done closes.
// It reports whether the full delay passed.
func Sleep(r *http.Request, d time.Duration, done <-chan struct{}) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-done:
		return false
	}
}

// Reset closes the request's connection with a TCP reset, without an
// answer.
func Reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // RST rather than FIN
	}
	_ = conn.Close()
}

// TruncateConn writes the status line and headers announcing the whole
// body, then half of it, and closes the connection: the client sees a
// body cut short.
func TruncateConn(w http.ResponseWriter, status int, ctype string, body []byte) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
		status, http.StatusText(status), ctype, len(body))
	_, _ = buf.Write(body[:len(body)/2])
	_ = buf.Flush()
}

// Log is a request log: entries are added on arrival (so a test sees a
// request even when its client gave up) and may be finished later with
// the outcome. It is safe for concurrent use.
type Log[T any] struct {
	mu      sync.Mutex
	entries []*T
}

// Add appends rec and returns its slot for Finish.
func (l *Log[T]) Add(rec T) *T {
	p := &rec
	l.mu.Lock()
	l.entries = append(l.entries, p)
	l.mu.Unlock()
	return p
}

// Finish replaces the entry in slot with rec (a cleared log ignores it).
func (l *Log[T]) Finish(slot *T, rec T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.entries) - 1; i >= 0; i-- {
		if l.entries[i] == slot {
			l.entries[i] = &rec
			return
		}
	}
}

// All returns a copy of the log, oldest first.
func (l *Log[T]) All() []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]T, len(l.entries))
	for i, p := range l.entries {
		out[i] = *p
	}
	return out
}

// Count returns how many entries satisfy keep.
func (l *Log[T]) Count(keep func(*T) bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, p := range l.entries {
		if keep(p) {
			n++
		}
	}
	return n
}

// Clear empties the log.
func (l *Log[T]) Clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
}
