// Package dropboxsigntest is an in-memory, stateful emulator of the Dropbox
// Sign REST API v3, in the style of net/http/httptest. It speaks the
// endpoints signdeck uses with the vendor's response shapes (checked
// against the official OpenAPI spec by the contract tests): account,
// signature_request list (pagination and the `query` syntax), get,
// asynchronous cancel, remind, files_as_file_url (and the file it points
// to), send and send_with_template. It enforces HTTP Basic auth, per-key
// rate limits with the vendor's headers, and can inject faults (errors,
// latency, malformed or truncated bodies, HTML 5xx pages, connection
// resets, with the shared kit providers/emulatortest).
package dropboxsigntest

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/signdeck/signdeck/providers/emulatortest"
)

// Defaults.
const (
	DefaultSize              = 60
	DefaultAPIKey            = "sandbox-token"
	DefaultCancelDelay       = 3 * time.Second
	DefaultRateLimit         = 100
	DefaultSendRateLimit     = 25
	DefaultTestModeRateLimit = 10
	DefaultOwner             = "dana.whitfield@harborlinerealty.com"
	DefaultAccountID         = "5008b25c7f67153e57d5a357b1687968068fb465"
)

// DefaultTeam are the other members of the default owner's team.
var DefaultTeam = []string{"marcus.okafor@harborlinerealty.com", "priya.raman@harborlinerealty.com"}

// Options configure a Server. Zero values take the defaults.
type Options struct {
	Seed int64
	Size int // generated requests (default 60; 0 keeps the default, -1 generates none)
	// APIKeys are the accepted keys (default ["sandbox-token"]).
	APIKeys []string
	// Addr is the listen address (default "127.0.0.1:0").
	Addr string
	// CancelDelay is how long a queued cancel takes (default 3s).
	CancelDelay time.Duration
	// Per-minute limits (per key): standard endpoints, high-tier
	// send/files endpoints, and test-mode sends. 0 keeps the default
	// (100, 25, 10); -1 disables the limit and its headers.
	RateLimit, SendRateLimit, TestModeRateLimit int
	// RateWindow is the rate-limit window (default one minute); tests
	// shorten it.
	RateWindow time.Duration
	// SearchDelay is the lag of the vendor's eventually consistent search
	// index (default 0): for this long a newly sent request is not found
	// by `query` searches, and a request that was completed, declined
	// (through Modify) or canceled is still found in its old state. Plain
	// lists show the current state at once.
	SearchDelay time.Duration
	// Now is the generator's clock (default DefaultNow, so a seed always
	// gives the same data). Runtime events use Clock.
	Now func() time.Time
	// Clock is the clock of runtime events: sends' created_at, cancels
	// completing, reminders, rate-limit windows, file URL expiry and the
	// search index lag (default time.Now). A test moves it to see a
	// cancel complete or a window reset without waiting.
	Clock func() time.Time
	// Owner is the account's email (default DefaultOwner); Team the other
	// team members whose requests list with account_id=all.
	Owner string
	Team  []string
	// Faults to inject from the start; see SetFaults.
	Faults Faults
	Logger *slog.Logger
}

// Faults are injected into the emulator's answers: the shared kit's
// Faults. Ops entries match a request's operation name (see Recorded.Op)
// or a substring of its "METHOD /path" ("POST /v3/signature_request/send").
// ErrorRate answers 500 with an `unknown` API error; TruncateRate cuts the
// body in half (the request took effect); AfterEffect makes ErrorRate,
// HTML5xxRate and ResetRate strike after the request took effect.
type Faults = emulatortest.Faults

// Recorded is one request the emulator received.
type Recorded struct {
	Time time.Time
	// Op names the operation from the routing table ("list", "get",
	// "send", "cancel", ...); "" for files and unknown paths.
	Op     string
	Method string
	// Path is the escaped path, as sent.
	Path     string
	RawQuery string
	// Body is the request body (up to 64 KiB).
	Body   []byte
	Status int    // 0 when the connection was reset
	Fault  string // the injected fault, if any
	// KeyIndex is the index of the API key in Options.APIKeys, -1 when
	// the request was not authenticated. The key itself is never kept.
	KeyIndex int
}

// Server is a running emulator.
type Server struct {
	// URL is the API base URL, ending in /v3: pass it as the client's
	// BaseURL.
	URL string
	// Root is the server's root URL (files and detail pages live there).
	Root string

	opts   Options
	ln     net.Listener
	srv    *http.Server
	log    *slog.Logger
	limits map[string]int

	mu        sync.Mutex
	byID      map[string]*SignatureRequest
	order     []*SignatureRequest // newest first
	templates map[string]Template
	files     map[string]fileToken
	rate      map[string]*window
	rng       *rand.Rand
	quota     int
	inj       *emulatortest.Injector
	reqs      emulatortest.Log[Recorded]
	// version counts changes that can alter a list's membership; lists
	// caches the hits of recent (account, query) lists, so paging through
	// 100,000 requests scans them once, not once per page.
	version uint64
	lists   map[string]*listCache
}

type listCache struct {
	version uint64
	until   time.Time // a queued cancel completes or a send becomes searchable
	hits    []*SignatureRequest
}

type fileToken struct {
	id      string
	expires time.Time
}

type window struct {
	start time.Time
	count int
}

// NewServer starts an emulator.
func NewServer(opts Options) (*Server, error) {
	if opts.Size == 0 {
		opts.Size = DefaultSize
	} else if opts.Size < 0 {
		opts.Size = 0
	}
	if len(opts.APIKeys) == 0 {
		opts.APIKeys = []string{DefaultAPIKey}
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.CancelDelay == 0 {
		opts.CancelDelay = DefaultCancelDelay
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = time.Minute
	}
	if opts.Owner == "" {
		opts.Owner = DefaultOwner
		if opts.Team == nil {
			opts.Team = DefaultTeam
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	lim := func(v, def int) int {
		switch {
		case v == 0:
			return def
		case v < 0:
			return 0
		}
		return v
	}
	s := &Server{
		opts: opts,
		log:  opts.Logger,
		limits: map[string]int{
			"standard": lim(opts.RateLimit, DefaultRateLimit),
			"send":     lim(opts.SendRateLimit, DefaultSendRateLimit),
			"test":     lim(opts.TestModeRateLimit, DefaultTestModeRateLimit),
		},
		byID:      map[string]*SignatureRequest{},
		templates: map[string]Template{},
		files:     map[string]fileToken{},
		rate:      map[string]*window{},
		lists:     map[string]*listCache{},
		inj:       emulatortest.NewInjector(opts.Faults, opts.Seed),
		rng:       rand.New(rand.NewPCG(uint64(opts.Seed), 0xfa17)),
		quota:     1250,
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("dropboxsigntest: listen on %s: %w", opts.Addr, err)
	}
	s.ln = ln
	s.Root = "http://" + ln.Addr().String()
	s.URL = s.Root + "/v3"

	now := DefaultNow
	if opts.Now != nil {
		now = opts.Now()
	}
	ds := Generate(GenConfig{Seed: opts.Seed, Size: opts.Size, Now: now, Owner: opts.Owner, Team: opts.Team})
	for _, t := range ds.Templates {
		s.templates[t.ID] = t
	}
	for _, r := range ds.Requests {
		s.setURLs(r)
		s.byID[r.SignatureRequestID] = r
	}
	s.order = ds.Requests // already newest first

	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close shuts the server down, closing open connections.
func (s *Server) Close() { _ = s.srv.Close() }

// Owner returns the account's email.
func (s *Server) Owner() string { return s.opts.Owner }

// Templates returns the templates send_with_template accepts.
func (s *Server) Templates() []Template {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Template, 0, len(s.templates))
	for _, t := range s.templates {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// AddTemplate registers a template.
func (s *Server) AddTemplate(t Template) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.templates[t.ID] = t
}

// SetFaults replaces the injected faults (the Skip and Limit counts
// start over).
func (s *Server) SetFaults(f Faults) { s.inj.Set(f) }

// Requests returns the log of received requests, oldest first.
func (s *Server) Requests() []Recorded { return s.reqs.All() }

// ClearRequests empties the request log.
func (s *Server) ClearRequests() { s.reqs.Clear() }

// Count returns how many logged requests had this method ("" for any)
// and a path starting with prefix (e.g. "POST",
// "/v3/signature_request/send").
func (s *Server) Count(method, prefix string) int {
	return s.reqs.Count(func(r *Recorded) bool {
		return (method == "" || r.Method == method) && strings.HasPrefix(r.Path, prefix)
	})
}

// now is the runtime clock.
func (s *Server) now() time.Time { return s.opts.Clock() }

// Len returns how many requests exist (canceled ones excluded).
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.order {
		s.settle(r)
		if !r.Canceled {
			n++
		}
	}
	return n
}

// Get returns a copy of a request, canceled ones included.
func (s *Server) Get(id string) (SignatureRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[id]
	if !ok {
		return SignatureRequest{}, false
	}
	s.settle(r)
	return r.Clone(), true
}

// IDs returns the ids of the live requests, newest first.
func (s *Server) IDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.order {
		s.settle(r)
		if !r.Canceled {
			out = append(out, r.SignatureRequestID)
		}
	}
	return out
}

// Add stores a request and returns its id. An empty id gets a fresh one,
// a zero created_at the current time; URLs are filled in.
func (s *Server) Add(r SignatureRequest) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := r.Clone()
	if c.SignatureRequestID == "" {
		c.SignatureRequestID = s.newID(40)
	}
	if c.CreatedAt == 0 {
		c.CreatedAt = s.now().Unix()
	}
	for i := range c.Signatures {
		if c.Signatures[i].SignatureID == "" {
			c.Signatures[i].SignatureID = s.newID(32)
		}
		if c.Signatures[i].StatusCode == "" {
			c.Signatures[i].StatusCode = "awaiting_signature"
		}
	}
	c.normalize()
	s.setURLs(&c)
	s.insert(&c)
	return c.SignatureRequestID
}

// Modify changes a stored request in place under the lock.
func (s *Server) Modify(id string, fn func(*SignatureRequest)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[id]
	if ok {
		complete, declined := r.IsComplete, r.IsDeclined
		fn(r)
		s.version++
		if (complete != r.IsComplete || declined != r.IsDeclined) && s.opts.SearchDelay > 0 {
			if now := s.now(); r.indexed == nil || !now.Before(r.indexed.until) {
				r.indexed = &indexState{isComplete: complete, isDeclined: declined, until: now.Add(s.opts.SearchDelay)}
			}
		}
	}
	return ok
}

// CancelNow completes the cancel of id at once (queued or not).
func (s *Server) CancelNow(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[id]
	if ok {
		if r.CancelRequestedAt.IsZero() {
			r.CancelRequestedAt = s.now()
		}
		if !r.Canceled {
			r.Canceled, r.CanceledAt = true, s.now()
		}
		s.version++
	}
	return ok
}

func (s *Server) insert(r *SignatureRequest) {
	s.version++
	if old, ok := s.byID[r.SignatureRequestID]; ok {
		for i, o := range s.order {
			if o == old {
				s.order = append(s.order[:i], s.order[i+1:]...)
				break
			}
		}
	}
	s.byID[r.SignatureRequestID] = r
	i := sort.Search(len(s.order), func(i int) bool { return newer(r, s.order[i]) })
	s.order = append(s.order, nil)
	copy(s.order[i+1:], s.order[i:])
	s.order[i] = r
}

func newer(a, b *SignatureRequest) bool {
	if a.CreatedAt != b.CreatedAt {
		return a.CreatedAt > b.CreatedAt
	}
	return a.SignatureRequestID < b.SignatureRequestID
}

func sortNewestFirst(rs []*SignatureRequest) {
	sort.Slice(rs, func(i, j int) bool { return newer(rs[i], rs[j]) })
}

func (s *Server) setURLs(r *SignatureRequest) {
	id := r.SignatureRequestID
	r.FilesURL = s.URL + "/signature_request/files/" + id
	r.DetailsURL = s.Root + "/home/manage?guid=" + id
	if !r.IsComplete && !r.IsDeclined {
		r.SigningURL = ptr(s.Root + "/sign/" + id)
	} else {
		r.SigningURL = nil
	}
}

func (s *Server) newID(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = hexDigits[s.rng.IntN(16)]
	}
	return string(b)
}

// settle completes a queued cancel whose delay has passed.
func (s *Server) settle(r *SignatureRequest) {
	if !r.Canceled && !r.CancelRequestedAt.IsZero() && s.now().Sub(r.CancelRequestedAt) >= s.opts.CancelDelay {
		r.Canceled, r.CanceledAt = true, r.CancelRequestedAt.Add(s.opts.CancelDelay)
	}
}

// ---- HTTP ----
