// Package dropboxsigntest is an in-memory, stateful emulator of the Dropbox
// Sign REST API v3, in the style of net/http/httptest. It speaks the
// endpoints signdeck uses with the vendor's response shapes (checked
// against the official OpenAPI spec by the contract tests): account,
// signature_request list (pagination and the `query` syntax), get,
// asynchronous cancel, remind, files_as_file_url (and the file it points
// to), send and send_with_template. It enforces HTTP Basic auth, per-key
// rate limits with the vendor's headers, and can inject faults (errors,
// latency, malformed or truncated bodies, HTML 5xx pages, connection
// resets).
package dropboxsigntest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
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
	// SearchDelay keeps a newly sent request out of `query` searches for
	// this long, as the vendor's eventually consistent search index does
	// (default 0). Plain lists show it at once.
	SearchDelay time.Duration
	// Now is the generator's clock (default DefaultNow, so a seed always
	// gives the same data). Runtime events (sends, cancels, reminders,
	// rate windows) use the real clock.
	Now func() time.Time
	// Owner is the account's email (default DefaultOwner); Team the other
	// team members whose requests list with account_id=all.
	Owner string
	Team  []string
	// Faults to inject from the start; see SetFaults.
	Faults Faults
	Logger *slog.Logger
}

// Faults are injected into the emulator's answers. Rates are
// probabilities from 0 to 1 (1 strikes every matching request).
type Faults struct {
	// ErrorRate answers 500 with an `unknown` API error.
	ErrorRate float64
	// HTML5xxRate answers 502 with an HTML proxy page.
	HTML5xxRate float64
	// ResetRate closes the connection without an answer.
	ResetRate float64
	// MalformedRate and TruncatedRate mangle the real answer's body (the
	// request took effect): a stray character, or the body cut in half.
	MalformedRate float64
	TruncatedRate float64
	// Latency is added before every answer.
	Latency time.Duration
	// Match limits faults to requests whose "METHOD /path" contains it,
	// e.g. "POST /v3/signature_request/send"; "" matches all.
	Match string
	// AfterEffect makes ErrorRate, HTML5xxRate and ResetRate strike after
	// the request took effect: the answer is lost, the change is not.
	AfterEffect bool
	// Times stops injecting after this many faults (0: no limit).
	Times int
	// Skip lets this many matching requests through before the first
	// fault.
	Skip int
}

// Recorded is one request the emulator received.
type Recorded struct {
	Time   time.Time
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
	faults    Faults
	faulted   int
	skipped   int
	rng       *rand.Rand
	reqs      []*Recorded
	quota     int
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
		faults:    opts.Faults,
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

// SetFaults replaces the injected faults (the Times count starts over).
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults, s.faulted, s.skipped = f, 0, 0
}

// Requests returns the log of received requests, oldest first.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Recorded, len(s.reqs))
	for i, r := range s.reqs {
		out[i] = *r
	}
	return out
}

// ClearRequests empties the request log.
func (s *Server) ClearRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = nil
}

// Count returns how many logged requests had this method and a path
// starting with prefix (e.g. "POST", "/v3/signature_request/send").
func (s *Server) Count(method, prefix string) int {
	n := 0
	for _, r := range s.Requests() {
		if (method == "" || r.Method == method) && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

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
		c.CreatedAt = time.Now().Unix()
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
		fn(r)
		s.version++
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
			r.CancelRequestedAt = time.Now()
		}
		r.Canceled = true
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
	if !r.Canceled && !r.CancelRequestedAt.IsZero() && time.Since(r.CancelRequestedAt) >= s.opts.CancelDelay {
		r.Canceled = true
	}
}

// ---- HTTP ----

type apiErr struct {
	status int
	name   string
	msg    string
	path   string
}

func (e *apiErr) Error() string { return e.name + ": " + e.msg }

func errf(status int, name, path, format string, args ...any) *apiErr {
	return &apiErr{status: status, name: name, path: path, msg: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v == nil {
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeErr(w http.ResponseWriter, e *apiErr) {
	body := map[string]string{"error_msg": e.msg, "error_name": e.name}
	if e.path != "" {
		body["error_path"] = e.path
	}
	writeJSON(w, e.status, map[string]any{"error": body})
}

// ServeHTTP handles one request: log, faults, auth, rate limit, route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Recorded{Time: time.Now(), Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, KeyIndex: -1}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if len(body) > 0 {
		rec.Body = append([]byte(nil), body[:min(len(body), 64<<10)]...)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	// Logged on arrival, so a test sees a request even when its client gave
	// up (timeout, reset) before the emulator finished; record() fills in
	// the outcome.
	slot := new(Recorded)
	*slot = rec
	s.mu.Lock()
	s.reqs = append(s.reqs, slot)
	s.mu.Unlock()

	fault := s.pickFault(r.Method + " " + r.URL.Path)
	if s.faultsLatency(r.Method+" "+r.URL.Path) > 0 {
		t := time.NewTimer(s.faultsLatency(r.Method + " " + r.URL.Path))
		select {
		case <-r.Context().Done():
			t.Stop()
		case <-t.C:
		}
	}
	after := s.currentFaults().AfterEffect
	rec.Fault = fault

	// Faults that strike before the request takes effect.
	if (!after || fault == "") && s.strike(w, fault, nil, &rec) {
		s.record(slot, rec)
		return
	}

	rw := httptest.NewRecorder()
	rec.KeyIndex = s.serve(rw, r, body)
	res := rw.Result()
	out, _ := io.ReadAll(res.Body)

	if s.strike(w, fault, res.Header, &rec) {
		s.record(slot, rec)
		return
	}
	switch fault {
	case "malformed":
		if i := len(out) / 2; len(out) > 2 {
			out = append(append(append([]byte(nil), out[:i]...), []byte(`,,}"`)...), out[i:]...)
		} else {
			out = []byte(`{"x":,}`)
		}
	case "truncated":
		out = out[:len(out)/2]
	}
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(out)
	rec.Status = res.StatusCode
	s.record(slot, rec)
}

// strike answers with a reset, HTML 5xx or error fault and reports true;
// other faults are left to the caller. rateFrom, when not nil, holds the
// rate-limit headers of a request that took effect before the fault.
func (s *Server) strike(w http.ResponseWriter, fault string, rateFrom http.Header, rec *Recorded) bool {
	switch fault {
	case "reset":
		s.reset(w)
	case "html5xx":
		rec.Status = s.writeHTML5xx(w)
	case "error":
		if rateFrom != nil {
			copyRateHeaders(w.Header(), rateFrom)
		}
		writeErr(w, errf(500, "unknown", "", "An unknown error has occurred, please try again."))
		rec.Status = 500
	default:
		return false
	}
	return true
}

func copyRateHeaders(dst, src http.Header) {
	for _, k := range []string{"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset"} {
		if v := src.Get(k); v != "" {
			dst.Set(k, v)
		}
	}
}

// record replaces the arrival entry slot with the finished rec.
func (s *Server) record(slot *Recorded, rec Recorded) {
	s.mu.Lock()
	for i := len(s.reqs) - 1; i >= 0; i-- {
		if s.reqs[i] == slot {
			s.reqs[i] = &rec
			break
		}
	}
	s.mu.Unlock()
	s.log.Debug("dropboxsigntest", "method", rec.Method, "path", rec.Path, "status", rec.Status, "fault", rec.Fault)
}

func (s *Server) currentFaults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

func (s *Server) faultsLatency(target string) time.Duration {
	f := s.currentFaults()
	if f.Match != "" && !strings.Contains(target, f.Match) {
		return 0
	}
	return f.Latency
}

// pickFault decides the fault for one request ("" for none).
func (s *Server) pickFault(target string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	if f.Match != "" && !strings.Contains(target, f.Match) {
		return ""
	}
	if s.skipped < f.Skip {
		s.skipped++
		return ""
	}
	if f.Times > 0 && s.faulted >= f.Times {
		return ""
	}
	for _, c := range []struct {
		rate float64
		name string
	}{{f.ResetRate, "reset"}, {f.HTML5xxRate, "html5xx"}, {f.ErrorRate, "error"},
		{f.MalformedRate, "malformed"}, {f.TruncatedRate, "truncated"}} {
		if c.rate > 0 && (c.rate >= 1 || s.rng.Float64() < c.rate) {
			s.faulted++
			return c.name
		}
	}
	return ""
}

func (s *Server) reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // send RST rather than FIN
	}
	_ = conn.Close()
}

const html5xxPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>502 Bad Gateway</title>
<style>body{font-family:sans-serif;margin:4em;color:#333}h1{font-size:2em}p{max-width:40em}</style></head>
<body><h1>502 Bad Gateway</h1>
<p>The server encountered a temporary error and could not complete your request. Please try again in 30 seconds.
Our engineers have been notified. If the problem persists, check the status page for ongoing incidents and
scheduled maintenance windows that may affect the API, the web application and the signing pages.</p>
<p>Reference: edge-proxy / upstream connect error or disconnect/reset before headers.</p>
</body></html>
`

func (s *Server) writeHTML5xx(w http.ResponseWriter) int {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadGateway)
	_, _ = io.WriteString(w, html5xxPage)
	return http.StatusBadGateway
}

// serve authenticates, rate-limits and routes. It returns the key index.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, body []byte) int {
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/files/"):
		s.serveFile(w, r)
		return -1
	case path == "/home/manage" || strings.HasPrefix(path, "/sign/"):
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = fmt.Fprintf(w, "<!DOCTYPE html><title>Dropbox Sign emulator</title><p>Signature request %s</p>\n",
			htmlEscape(r.URL.Query().Get("guid")+strings.TrimPrefix(path, "/sign/")))
		return -1
	case !strings.HasPrefix(path, "/v3/"):
		writeErr(w, errf(404, "not_found", "", "Not found."))
		return -1
	}
	key := s.authenticate(r)
	if key < 0 {
		msg := "Unauthorized user. No credentials supplied."
		if r.Header.Get("Authorization") != "" {
			msg = "Unauthorized user. The API key is not valid."
		}
		writeErr(w, errf(401, "unauthorized", "", "%s", msg))
		return key
	}
	route := strings.TrimPrefix(path, "/v3")
	bucket := "standard"
	if strings.HasPrefix(route, "/signature_request/send") || strings.HasPrefix(route, "/signature_request/files") {
		bucket = "send"
		if r.Method == http.MethodPost {
			var tm struct {
				TestMode any `json:"test_mode"`
			}
			if json.Unmarshal(body, &tm) == nil && truthy(tm.TestMode) {
				bucket = "test"
			}
		}
	}
	if !s.allow(w, key, bucket) {
		writeErr(w, errf(429, "exceeded_rate", "", "Too many requests."))
		return key
	}
	if e := s.route(w, r, route, body); e != nil {
		writeErr(w, e)
	}
	return key
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

func truthy(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case float64:
		return t != 0
	case string:
		return t == "1" || t == "true"
	}
	return false
}

func (s *Server) authenticate(r *http.Request) int {
	h := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Basic ")
	if !ok {
		return -1
	}
	dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(raw))
	if err != nil {
		return -1
	}
	user, pass, ok := strings.Cut(string(dec), ":")
	if !ok || pass != "" {
		return -1
	}
	for i, k := range s.opts.APIKeys {
		if k != "" && user == k {
			return i
		}
	}
	return -1
}

// allow counts the request against its bucket and sets the rate headers.
func (s *Server) allow(w http.ResponseWriter, key int, bucket string) bool {
	limit := s.limits[bucket]
	if limit <= 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	id := strconv.Itoa(key) + "/" + bucket
	win := s.rate[id]
	if win == nil || !now.Before(win.start.Add(s.opts.RateWindow)) {
		win = &window{start: now}
		s.rate[id] = win
	}
	reset := win.start.Add(s.opts.RateWindow)
	resetUnix := reset.Unix()
	if reset.Nanosecond() > 0 {
		resetUnix++
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(resetUnix, 10))
	if win.count >= limit {
		h.Set("X-RateLimit-Remaining", "0")
		return false
	}
	win.count++
	h.Set("X-RateLimit-Remaining", strconv.Itoa(limit-win.count))
	return true
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, route string, body []byte) *apiErr {
	seg := strings.Split(strings.Trim(route, "/"), "/")
	method := r.Method
	switch {
	case route == "/account":
		if method != http.MethodGet {
			return errf(405, "method_not_supported", "", "Method not supported.")
		}
		return s.account(w)
	case len(seg) == 2 && seg[0] == "signature_request" && seg[1] == "list":
		if method != http.MethodGet {
			return errf(405, "method_not_supported", "", "Method not supported.")
		}
		return s.list(w, r)
	case len(seg) == 2 && seg[0] == "signature_request" && (seg[1] == "send" || seg[1] == "send_with_template"):
		if method != http.MethodPost {
			return errf(405, "method_not_supported", "", "Method not supported.")
		}
		return s.send(w, r, body, seg[1] == "send_with_template")
	case len(seg) == 3 && seg[0] == "signature_request" && seg[1] == "cancel":
		if method != http.MethodPost {
			return errf(405, "method_not_supported", "", "Method not supported.")
		}
		return s.cancel(w, seg[2])
	case len(seg) == 3 && seg[0] == "signature_request" && seg[1] == "remind":
		if method != http.MethodPost {
			return errf(405, "method_not_supported", "", "Method not supported.")
		}
		return s.remind(w, seg[2], body)
	case len(seg) == 3 && seg[0] == "signature_request" && (seg[1] == "update" || seg[1] == "files"):
		return s.routeAction(w, r, seg[1], seg[2], body)
	case len(seg) == 3 && seg[0] == "signature_request" && seg[1] == "files_as_file_url":
		if method != http.MethodGet {
			return errf(405, "method_not_supported", "", "Method not supported.")
		}
		return s.fileURL(w, r, seg[2])
	case len(seg) == 2 && seg[0] == "signature_request":
		if method != http.MethodGet {
			return errf(405, "method_not_supported", "", "Method not supported.")
		}
		return s.get(w, seg[1])
	}
	return errf(404, "not_found", "", "Not found.")
}

func (s *Server) account(w http.ResponseWriter) *apiErr {
	s.mu.Lock()
	quota := s.quota
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"account": map[string]any{
		"account_id":    DefaultAccountID,
		"email_address": s.opts.Owner,
		"is_locked":     false,
		"is_paid_hs":    true,
		"is_paid_hf":    false,
		"quotas": map[string]any{
			"api_signature_requests_left": quota, "documents_left": nil, "templates_total": nil,
			"templates_left": nil, "sms_verifications_left": 10, "num_fax_pages_left": nil,
		},
		"callback_url": nil,
		"role_code":    "a",
		"team_id":      "4fea99bfcf2b26bfccf6cea3e127fb8bb74d8d9c",
		"locale":       "en-US",
		"usage":        map[string]any{"fax_pages_sent": 0},
		"settings":     map[string]any{"signer_access_codes": false, "sms_delivery": false, "sms_authentication": false},
	}})
	return nil
}

// lookup finds a live request: 404 when unknown, 410 when canceled.
func (s *Server) lookup(id string) (*SignatureRequest, *apiErr) {
	r, ok := s.byID[id]
	if !ok {
		return nil, errf(404, "not_found", "", "Not found.")
	}
	s.settle(r)
	if r.Canceled {
		return nil, errf(410, "deleted", "", "This resource has been deleted.")
	}
	return r, nil
}

func (s *Server) render(r *SignatureRequest) SignatureRequest {
	c := r.Clone()
	c.normalize()
	return c
}

func (s *Server) get(w http.ResponseWriter, id string) *apiErr {
	s.mu.Lock()
	r, e := s.lookup(id)
	if e != nil {
		s.mu.Unlock()
		return e
	}
	out := s.render(r)
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"signature_request": out})
	return nil
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) *apiErr {
	q := r.URL.Query()
	intParam := func(name string, def, lo, hi int) (int, *apiErr) {
		v := q.Get(name)
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || (hi > 0 && n > hi) {
			if hi > 0 {
				return 0, errf(400, "bad_request", name, "%s must be between %d and %d.", name, lo, hi)
			}
			return 0, errf(400, "bad_request", name, "%s must be a positive integer.", name)
		}
		return n, nil
	}
	page, e := intParam("page", 1, 1, 0)
	if e != nil {
		return e
	}
	size, e := intParam("page_size", 20, 1, 100)
	if e != nil {
		return e
	}
	all := false
	switch acct := q.Get("account_id"); acct {
	case "", DefaultAccountID:
	case "all":
		all = true
	default:
		return errf(400, "bad_request", "account_id", "Account is not a member of your team.")
	}
	qry, err := parseQuery(q.Get("query"))
	if err != nil {
		return errf(400, "bad_request", "query", "Invalid search query: %v", err)
	}
	s.mu.Lock()
	hits := s.hits(all, qry, strconv.FormatBool(all)+"\x00"+q.Get("query"))
	total := len(hits)
	pages := (total + size - 1) / size
	from := min((page-1)*size, total)
	to := min(from+size, total)
	out := make([]SignatureRequest, 0, to-from)
	for _, sr := range hits[from:to] {
		out = append(out, s.render(sr))
	}
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{
		"signature_requests": out,
		"list_info":          map[string]any{"page": page, "num_pages": pages, "num_results": total, "page_size": size},
	})
	return nil
}

// hits returns the requests a list shows, newest first, from the cache
// while nothing changed. Call with s.mu held.
func (s *Server) hits(all bool, qry query, key string) []*SignatureRequest {
	now := time.Now()
	if c := s.lists[key]; c != nil && c.version == s.version && (c.until.IsZero() || now.Before(c.until)) {
		return c.hits
	}
	var until time.Time
	note := func(t time.Time) {
		if t.After(now) && (until.IsZero() || t.Before(until)) {
			until = t
		}
	}
	var hits []*SignatureRequest
	for _, sr := range s.order {
		s.settle(sr)
		if !sr.Canceled && !sr.CancelRequestedAt.IsZero() {
			note(sr.CancelRequestedAt.Add(s.opts.CancelDelay))
		}
		if sr.Canceled || (!all && !s.own(sr)) {
			continue
		}
		if len(qry) > 0 {
			if now.Before(sr.SearchableAt) {
				note(sr.SearchableAt)
				continue
			}
			if !qry.match(sr, s.opts.Owner) {
				continue
			}
		}
		hits = append(hits, sr)
	}
	if len(s.lists) >= 16 {
		clear(s.lists)
	}
	s.lists[key] = &listCache{version: s.version, until: until, hits: hits}
	return hits
}

// own reports whether the account sent or signs the request.
func (s *Server) own(r *SignatureRequest) bool {
	if r.RequesterEmailAddress != nil && strings.EqualFold(*r.RequesterEmailAddress, s.opts.Owner) {
		return true
	}
	for _, g := range r.Signatures {
		if strings.EqualFold(g.SignerEmailAddress, s.opts.Owner) {
			return true
		}
	}
	return false
}

func (s *Server) cancel(w http.ResponseWriter, id string) *apiErr {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, e := s.lookup(id)
	if e != nil {
		return e
	}
	if r.IsComplete || r.IsDeclined || (r.RequesterEmailAddress != nil && !strings.EqualFold(*r.RequesterEmailAddress, s.opts.Owner)) {
		return errf(400, "signature_request_cancel_failed", "",
			"Either you are not the requester or the Signature Request can no longer be cancelled.")
	}
	if r.CancelRequestedAt.IsZero() {
		r.CancelRequestedAt = time.Now()
		s.version++
	}
	// An empty 200: the cancel is queued, not done.
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) remind(w http.ResponseWriter, id string, body []byte) *apiErr {
	var in struct {
		EmailAddress string `json:"email_address"`
		Name         string `json:"name"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return errf(400, "bad_request", "", "The request body must be JSON.")
	}
	if strings.TrimSpace(in.EmailAddress) == "" {
		return errf(400, "bad_request", "email_address", "This value should not be blank")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, e := s.lookup(id)
	if e != nil {
		return e
	}
	if r.IsComplete || r.IsDeclined {
		return errf(400, "invalid_reminder", "", "This signature request is closed; reminders cannot be sent.")
	}
	now := time.Now().Unix()
	for i := range r.Signatures {
		g := &r.Signatures[i]
		if !strings.EqualFold(g.SignerEmailAddress, in.EmailAddress) {
			continue
		}
		if in.Name != "" && (g.SignerName == nil || *g.SignerName != in.Name) {
			continue
		}
		if g.StatusCode != "awaiting_signature" {
			return errf(400, "invalid_reminder", "", "This signer is not awaiting a signature.")
		}
		if g.LastRemindedAt != nil && now-*g.LastRemindedAt < 3600 {
			return errf(400, "invalid_reminder", "", "You cannot send a reminder within 1 hour of the last reminder that was sent.")
		}
		g.LastRemindedAt = ptr(now)
		writeJSON(w, 200, map[string]any{"signature_request": s.render(r)})
		return nil
	}
	return errf(400, "bad_request", "email_address", "No signer with this email address.")
}

func (s *Server) fileURL(w http.ResponseWriter, r *http.Request, id string) *apiErr {
	if fd := r.URL.Query().Get("force_download"); fd != "" {
		if _, err := strconv.Atoi(fd); err != nil {
			return errf(400, "bad_request", "force_download", "force_download must be an integer.")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sr, e := s.lookup(id)
	if e != nil {
		return e
	}
	if sr.HasError {
		return errf(422, "unprocessable_entity", "", "This entity is unprocessable.")
	}
	if sr.FilesPreparing {
		return errf(409, "conflict", "", "Files are still being processed. Please try again later.")
	}
	token := s.newID(32)
	exp := time.Now().Add(time.Hour)
	s.files[token] = fileToken{id: id, expires: exp}
	writeJSON(w, 200, map[string]any{
		"file_url":   fmt.Sprintf("%s/files/%s/%s.pdf?Expires=%d", s.Root, token, id, exp.Unix()),
		"expires_at": exp.Unix(),
	})
	return nil
}

// serveFile answers a pre-signed file URL with a small PDF.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/files/")
	token, _, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	ft, ok := s.files[token]
	var title string
	if ok {
		if sr, found := s.byID[ft.id]; found {
			title = sr.Title
		}
	}
	s.mu.Unlock()
	if !ok || time.Now().After(ft.expires) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>\n")
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	_, _ = w.Write(minimalPDF(title))
}

func minimalPDF(title string) []byte {
	title = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '(' || r == ')' || r == '\\' {
			return ' '
		}
		return r
	}, title)
	content := fmt.Sprintf("BT /F1 12 Tf 72 720 Td (%s) Tj ET", title)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// sendBody is the JSON body of send and send_with_template.
type sendBody struct {
	FileURLs []string          `json:"file_urls"`
	Files    []json.RawMessage `json:"files"`
	Signers  []struct {
		Name         string `json:"name"`
		EmailAddress string `json:"email_address"`
		Order        *int   `json:"order"`
		Role         string `json:"role"`
	} `json:"signers"`
	GroupedSigners   json.RawMessage            `json:"grouped_signers"`
	TemplateIDs      []string                   `json:"template_ids"`
	Title            *string                    `json:"title"`
	Subject          *string                    `json:"subject"`
	Message          *string                    `json:"message"`
	Metadata         map[string]json.RawMessage `json:"metadata"`
	CCEmailAddresses []string                   `json:"cc_email_addresses"`
	CCs              []struct {
		Role         string `json:"role"`
		EmailAddress string `json:"email_address"`
	} `json:"ccs"`
	CustomFields []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	} `json:"custom_fields"`
	TestMode  any    `json:"test_mode"`
	ExpiresAt *int64 `json:"expires_at"`
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".")
}

func (s *Server) send(w http.ResponseWriter, r *http.Request, body []byte, withTemplate bool) *apiErr {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return errf(400, "bad_request", "", "The emulator accepts JSON bodies only (Content-Type %q).", ct)
	}
	var in sendBody
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&in); err != nil {
		return errf(400, "bad_request", "", "The request body is not valid JSON.")
	}
	if e := validateSend(&in, withTemplate); e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var roles []string
	if withTemplate {
		for i, id := range in.TemplateIDs {
			t, ok := s.templates[id]
			if !ok {
				return errf(400, "bad_request", fmt.Sprintf("template_ids[%d]", i), "Template not found.")
			}
			for _, role := range t.Roles {
				if !slicesContains(roles, role) {
					roles = append(roles, role)
				}
			}
		}
		given := map[string]bool{}
		for i, g := range in.Signers {
			if !slicesContains(roles, g.Role) {
				return errf(400, "bad_request", fmt.Sprintf("signers[%d].role", i), "Role %q is not a signer role of the template.", g.Role)
			}
			if given[g.Role] {
				return errf(400, "bad_request", fmt.Sprintf("signers[%d].role", i), "Role %q is given twice.", g.Role)
			}
			given[g.Role] = true
		}
		for _, role := range roles {
			if !given[role] {
				return errf(400, "bad_request", "signers", "A signer is required for role %q.", role)
			}
		}
	} else {
		for i, u := range in.FileURLs {
			if strings.HasPrefix(u, s.Root+"/files/") {
				token, _, _ := strings.Cut(strings.TrimPrefix(u, s.Root+"/files/"), "/")
				if ft, ok := s.files[token]; !ok || time.Now().After(ft.expires) {
					return errf(400, "bad_request", fmt.Sprintf("file_urls[%d]", i), "The file could not be downloaded (the URL has expired).")
				}
			}
		}
	}

	now := time.Now().Unix()
	title := "Untitled"
	if in.Title != nil && *in.Title != "" {
		title = *in.Title
	}
	sr := &SignatureRequest{
		SignatureRequestID:    s.newID(40),
		Title:                 title,
		OriginalTitle:         title,
		Subject:               in.Subject,
		Message:               in.Message,
		Metadata:              normalizeMetadata(in.Metadata),
		CreatedAt:             now,
		ExpiresAt:             in.ExpiresAt,
		TestMode:              truthy(in.TestMode),
		RequesterEmailAddress: ptr(s.opts.Owner),
		CCEmailAddresses:      in.CCEmailAddresses,
	}
	if withTemplate {
		sr.TemplateIDs = append([]string(nil), in.TemplateIDs...)
		for _, cc := range in.CCs {
			sr.CCEmailAddresses = append(sr.CCEmailAddresses, cc.EmailAddress)
		}
		for _, f := range in.CustomFields {
			if v, ok := f.Value.(string); ok {
				sr.CustomFields = append(sr.CustomFields, CustomField{Type: "text", Name: f.Name, Value: v, APIID: s.newID(8)})
			}
		}
		// Signers in the template's role order.
		for _, role := range roles {
			for _, g := range in.Signers {
				if g.Role == role {
					sr.Signatures = append(sr.Signatures, Signature{SignatureID: s.newID(32), SignerEmailAddress: g.EmailAddress,
						SignerName: ptr(g.Name), SignerRole: ptr(role), StatusCode: "awaiting_signature", HasSMSAuth: ptr(false)})
				}
			}
		}
	} else {
		for _, g := range in.Signers {
			sr.Signatures = append(sr.Signatures, Signature{SignatureID: s.newID(32), SignerEmailAddress: g.EmailAddress,
				SignerName: ptr(g.Name), Order: clonePtr(g.Order), StatusCode: "awaiting_signature", HasSMSAuth: ptr(false)})
		}
	}
	sr.normalize()
	s.setURLs(sr)
	if s.opts.SearchDelay > 0 {
		sr.SearchableAt = time.Now().Add(s.opts.SearchDelay)
	}
	s.insert(sr)
	if !sr.TestMode && s.quota > 0 {
		s.quota--
	}
	writeJSON(w, 200, map[string]any{"signature_request": s.render(sr)})
	return nil
}

func slicesContains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func validateSend(in *sendBody, withTemplate bool) *apiErr {
	if withTemplate {
		if len(in.TemplateIDs) == 0 {
			return errf(400, "bad_request", "template_ids", "This value should not be blank")
		}
	} else {
		switch {
		case len(in.FileURLs) == 0 && len(in.Files) == 0:
			return errf(400, "bad_request", "file_urls", "Either files or file_urls is required.")
		case len(in.FileURLs) > 0 && len(in.Files) > 0:
			return errf(400, "bad_request", "file_urls", "Use either files or file_urls, not both.")
		}
		for i, u := range in.FileURLs {
			if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
				return errf(400, "bad_request", fmt.Sprintf("file_urls[%d]", i), "This value is not a valid URL.")
			}
		}
		if len(in.GroupedSigners) > 0 && string(in.GroupedSigners) != "null" && len(in.Signers) > 0 {
			return errf(400, "bad_request", "signers", "Use either signers or grouped_signers, not both.")
		}
	}
	if len(in.Signers) == 0 {
		return errf(400, "bad_request", "signers", "This value should not be blank")
	}
	for i, g := range in.Signers {
		p := fmt.Sprintf("signers[%d]", i)
		if strings.TrimSpace(g.Name) == "" {
			return errf(400, "bad_request", p+".name", "This value should not be blank")
		}
		if !validEmail(g.EmailAddress) {
			return errf(400, "invalid_recipient", p+".email_address", "This value is not a valid email address.")
		}
		if withTemplate && g.Role == "" {
			return errf(400, "bad_request", p+".role", "This value should not be blank")
		}
	}
	for i, cc := range in.CCEmailAddresses {
		if !validEmail(cc) {
			return errf(400, "invalid_recipient", fmt.Sprintf("cc_email_addresses[%d]", i), "This value is not a valid email address.")
		}
	}
	checkLen := func(path string, p *string, max int) *apiErr {
		if p != nil && utf8.RuneCountInString(*p) > max {
			return errf(400, "bad_request", path, "This value is too long. It should have %d characters or less.", max)
		}
		return nil
	}
	for _, c := range []struct {
		path string
		p    *string
		max  int
	}{{"title", in.Title, 255}, {"subject", in.Subject, 255}, {"message", in.Message, 5000}} {
		if e := checkLen(c.path, c.p, c.max); e != nil {
			return e
		}
	}
	if len(in.Metadata) > 10 {
		return errf(400, "bad_request", "metadata", "Metadata may hold at most 10 keys.")
	}
	for k, v := range in.Metadata {
		if utf8.RuneCountInString(k) > 40 {
			return errf(400, "bad_request", "metadata", "Metadata keys may be at most 40 characters.")
		}
		n := utf8.RuneCount(v)
		var str string
		if json.Unmarshal(v, &str) == nil {
			n = utf8.RuneCountInString(str)
		}
		if n > 1000 {
			return errf(400, "bad_request", "metadata", "Metadata values may be at most 1000 characters.")
		}
	}
	if in.ExpiresAt != nil {
		d := time.Until(time.Unix(*in.ExpiresAt, 0))
		if d < 24*time.Hour || d > 90*24*time.Hour {
			return errf(400, "bad_request", "expires_at", "expires_at must be between 1 and 90 days from now.")
		}
	}
	return nil
}

// normalizeMetadata stores metadata the way the vendor echoes it: scalars
// become strings ({"custom_id":1234} comes back as "1234"); objects stay.
func normalizeMetadata(in map[string]json.RawMessage) map[string]any {
	out := map[string]any{}
	for k, raw := range in {
		var v any
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		switch t := v.(type) {
		case nil:
			continue
		case string:
			out[k] = t
		case map[string]any, []any:
			out[k] = t
		default:
			out[k] = strings.TrimSpace(string(raw))
		}
	}
	return out
}
