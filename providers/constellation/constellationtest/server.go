// Package constellationtest is a stateful emulator of the Constellation1
// eSign REST API, in the style of net/http/httptest: NewServer starts it on
// a loopback port with seeded real-estate data, and URL is the base URL
// (ending in "/rest") to give the client.
//
// It follows the same rules as the client's reference notes: the API key
// is encrypted with GET v1/encrypt/{plainText}/{salt}, tokens come from GET
// v1/gettoken/{salt} with the encrypted key as the raw Authorization value,
// expire quickly (Options.TokenTTL) and are then refused with "Error: Bad
// Token Information. Please authenticate."; errors are answered with HTTP
// 200 and a Details text; cancel works for draft, sent and paused
// sessions only; copy makes a new draft session; the lite list refuses a
// page size over 50; and the expired, archived and deleted buckets list
// session ids. Dates are written "\/Date(ms)\/" as .NET does.
//
// Faults (error rate, latency, malformed or truncated bodies, HTML 5xx
// pages, connection resets, pre-expired tokens) can be set at start and
// changed at runtime with SetFaults. Requests records every request seen.
package constellationtest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/signdeck/signdeck/providers/emulatortest"
)

// Defaults.
const (
	DefaultAPIKey   = "sandbox-token"
	DefaultUsername = "agent@demo-brokerage.example"
	DefaultSize     = 40
	DefaultTokenTTL = 30 * time.Second
	// MaxPageSize is the lite list's "Maximum value is 50".
	MaxPageSize = 50
)

// The vendor's error texts (reference Appendix A) and the emulator's own
// for the cases the vendor does not document.
const (
	MsgBadToken      = "Error: Bad Token Information. Please authenticate."
	MsgInvalidAPIKey = "Error: Invalid API key."
	MsgUsername      = "Error: Username not found."
	MsgSigners       = "Error: All signers must have a last name and valid email address."
	MsgNotFound      = "Error: Signing session not found."
	MsgPageSize      = "Error: The page size must be between 1 and 50."
)

// Options configure a Server. Zero values take the defaults.
type Options struct {
	Seed int64
	// Size is the number of seeded sessions (default 40), spread over
	// the transactions.
	Size int
	// APIKeys are the keys accepted (default ["sandbox-token"]).
	APIKeys []string
	// Username is the account's user (default
	// "agent@demo-brokerage.example").
	Username string
	// Transactions are the transaction ids (default TX-1001..TX-1008).
	Transactions []string
	// Addr is the listen address (default "127.0.0.1:0").
	Addr string
	// TokenTTL is how long a token lives (default 30s).
	TokenTTL time.Duration
	// Now is the clock (default time.Now). Seeded dates are relative to
	// its value at start.
	Now    func() time.Time
	Faults Faults
	Logger *slog.Logger
}

// Faults make the server misbehave: the shared kit's Faults
// (providers/emulatortest). Ops entries are operation names (see
// Request.Op). ErrorRate answers an HTML error page with ErrorStatus
// (default 503), HTML5xxRate one with 502; MalformedRate answers 200 with
// a body that is not JSON; TruncateRate announces the whole body, sends
// half and closes the connection; AfterEffect applies them after the
// request took effect (a lost answer). ExpiredTokens makes the next N
// tokens issued already expired.
type Faults = emulatortest.Faults

// Request is one request the server saw.
type Request struct {
	Time time.Time
	// Op names the operation: "encrypt", "gettoken", "users", "lite",
	// "bucket", "get", "actionlogs", "cancel", "copy", "start", "invite",
	// "signers", "signerdocs", or "unknown".
	Op            string
	Method        string
	Path          string // decoded
	RawPath       string // as sent
	Query         url.Values
	RawQuery      string
	Header        http.Header
	Body          []byte
	ContentLength int64
	// Fault is the fault injected into the answer, if any: "error",
	// "html5xx", "malformed", "truncate" or "reset".
	Fault string
}

// Server is a running emulator.
type Server struct {
	opts   Options
	ln     net.Listener
	srv    *http.Server
	url    string
	secret []byte
	log    *slog.Logger
	closed chan struct{}
	once   sync.Once

	mu       sync.Mutex
	sessions map[string]*Session // by lower-case id
	order    []string            // ids in creation order
	tokens   map[string]time.Time
	requests emulatortest.Log[Request]
	inj      *emulatortest.Injector
	rng      *mrand.Rand
}

// NewServer starts a server.
func NewServer(opts Options) (*Server, error) {
	if opts.Size <= 0 {
		opts.Size = DefaultSize
	}
	if len(opts.APIKeys) == 0 {
		opts.APIKeys = []string{DefaultAPIKey}
	}
	if opts.Username == "" {
		opts.Username = DefaultUsername
	}
	if len(opts.Transactions) == 0 {
		opts.Transactions = defaultTransactions(opts.Size)
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("constellationtest: listen %s: %w", opts.Addr, err)
	}
	secret := sha256.Sum256([]byte("constellationtest/" + strconv.FormatInt(opts.Seed, 10)))
	s := &Server{
		opts:     opts,
		ln:       ln,
		url:      "http://" + ln.Addr().String() + "/rest",
		secret:   secret[:],
		log:      opts.Logger,
		closed:   make(chan struct{}),
		sessions: map[string]*Session{},
		tokens:   map[string]time.Time{},
		inj:      emulatortest.NewInjector(opts.Faults, opts.Seed),
		rng:      mrand.New(mrand.NewPCG(uint64(opts.Seed), 0xc0ffee)),
	}
	for _, ss := range generate(opts.Seed, opts.Size, opts.Transactions, opts.Username, opts.Now()) {
		s.sessions[strings.ToLower(ss.ID)] = ss
		s.order = append(s.order, ss.ID)
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the base URL, ending in "/rest".
func (s *Server) URL() string { return s.url }

// Close stops the server.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closed)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			_ = s.srv.Close()
		}
	})
}

// Username is the account's user.
func (s *Server) Username() string { return s.opts.Username }

// APIKeys are the accepted API keys.
func (s *Server) APIKeys() []string { return slices.Clone(s.opts.APIKeys) }

// Transactions are the seeded transaction ids.
func (s *Server) Transactions() []string { return slices.Clone(s.opts.Transactions) }

// Len is the number of sessions.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Session returns a copy of the session with id.
func (s *Server) Session(id string) (Session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[strings.ToLower(id)]
	if !ok {
		return Session{}, false
	}
	return ss.clone(), true
}

// Sessions returns copies of every session, in creation order.
func (s *Server) Sessions() []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Session, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.sessions[strings.ToLower(id)].clone())
	}
	return out
}

// SetStatus sets a session's status code, as if it had changed on the
// vendor's side.
func (s *Server) SetStatus(id string, code int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[strings.ToLower(id)]
	if ok {
		ss.StatusCode = code
		ss.ModifiedOn = s.opts.Now()
	}
	return ok
}

// Requests returns the requests seen so far.
func (s *Server) Requests() []Request { return s.requests.All() }

// Count returns how many requests of op were seen.
func (s *Server) Count(op string) int {
	return s.requests.Count(func(r *Request) bool { return r.Op == op })
}

// ClearRequests forgets the requests seen.
func (s *Server) ClearRequests() { s.requests.Clear() }

// SetFaults replaces the faults; the Skip and Limit counts start over.
func (s *Server) SetFaults(f Faults) { s.inj.Set(f) }

// Encrypt is the emulator's EncryptString: a deterministic keyed hash of
// the salt and the text, base64 like the vendor's Rijndael output.
func (s *Server) Encrypt(plain, salt string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(salt))
	m.Write([]byte{0})
	m.Write([]byte(plain))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// IssuedTokens returns the tokens issued and not yet pruned.
func (s *Server) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.tokens))
	for t := range s.tokens {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// answer is a response to write.
type answer struct {
	status int
	ctype  string
	body   []byte
}

func jsonAnswer(v any) answer {
	b, err := json.Marshal(v)
	if err != nil {
		return htmlAnswer(http.StatusInternalServerError, "500 Internal Server Error")
	}
	return answer{status: http.StatusOK, ctype: "application/json; charset=utf-8", body: b}
}

func htmlAnswer(status int, title string) answer {
	body := "<!DOCTYPE html>\r\n<html><head><title>" + title + "</title>\r\n<style>body{font-family:Verdana}</style></head>" +
		"<body><h1>Server Error in '/rest' Application.</h1><h2><i>" + title + "</i></h2>" +
		"<p>An error occurred while processing your request. " + strings.Repeat("Please try again later. ", 20) + "</p></body></html>"
	return answer{status: status, ctype: "text/html; charset=utf-8", body: []byte(body)}
}

// failure is the RequestResponse a refused call gets.
func failure(returnValue *string, details any) answer {
	return jsonAnswer(wireRequestResponse{ReturnValue: returnValue, Details: details})
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	segs, op := route(r)
	req := Request{Time: s.opts.Now(), Op: op, Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(),
		Query: r.URL.Query(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body, ContentLength: r.ContentLength}
	fault, latency, after := s.inj.Pick(op, r.Method, r.URL.Path)
	req.Fault = fault
	s.requests.Add(req)

	s.log.Debug("constellationtest request", "op", op, "method", r.Method, "path", logPath(segs, r.URL.Path), "fault", fault)
	if !emulatortest.Sleep(r, latency, s.closed) {
		return
	}
	var a answer
	if fault == "" || after {
		a = s.handle(r, segs, op, body)
	} else {
		a = jsonAnswer(wireRequestResponse{ReturnValue: strPtr("True")})
	}
	switch fault {
	case emulatortest.FaultReset:
		emulatortest.Reset(w)
		return
	case emulatortest.FaultError, emulatortest.FaultHTML5xx:
		status := s.inj.Faults().ErrorStatus
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		if fault == emulatortest.FaultHTML5xx {
			status = http.StatusBadGateway
		}
		a = htmlAnswer(status, strconv.Itoa(status)+" "+http.StatusText(status))
	case emulatortest.FaultMalformed:
		a = answer{status: http.StatusOK, ctype: "application/json; charset=utf-8",
			body: []byte(`{"ReturnValue": "True", "Sessions": [{"SigningSessionId": tru`)}
	case emulatortest.FaultTruncate:
		emulatortest.TruncateConn(w, a.status, a.ctype, a.body)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("Cache-Control", "private")
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// route splits the path under /rest/v1/ into unescaped segments and names
// the operation.
func route(r *http.Request) ([]string, string) {
	p := r.URL.EscapedPath()
	const prefix = "/rest/v1/"
	if !strings.HasPrefix(p, prefix) {
		return nil, "unknown"
	}
	raw := strings.Split(strings.TrimPrefix(p, prefix), "/")
	segs := make([]string, len(raw))
	for i, sgm := range raw {
		u, err := url.PathUnescape(sgm)
		if err != nil {
			return nil, "unknown"
		}
		segs[i] = u
	}
	switch {
	case len(segs) == 3 && segs[0] == "encrypt":
		return segs, "encrypt"
	case len(segs) == 2 && segs[0] == "gettoken":
		return segs, "gettoken"
	case len(segs) == 1 && segs[0] == "users":
		return segs, "users"
	case len(segs) == 7 && segs[0] == "sessions" && segs[1] == "lite" && segs[6] == "sortBy":
		return segs, "lite"
	case len(segs) == 4 && segs[0] == "sessions" && isBucket(segs[1]):
		return segs, "bucket"
	case len(segs) == 2 && segs[0] == "sessions" && segs[1] == "copy":
		return segs, "copy"
	case len(segs) == 2 && segs[0] == "sessions" && segs[1] != "":
		return segs, "get"
	case len(segs) == 3 && segs[0] == "sessions" && segs[2] == "actionlogs":
		return segs, "actionlogs"
	case len(segs) == 3 && segs[0] == "sessions" && segs[2] == "cancel":
		return segs, "cancel"
	case len(segs) == 3 && segs[0] == "sessions" && segs[2] == "start",
		len(segs) == 2 && segs[0] == "signers" && segs[1] == "invite",
		len(segs) == 1 && segs[0] == "signers",
		len(segs) == 7 && segs[0] == "signer" && segs[1] == "docs":
		return segs, actionOp(segs)
	}
	return segs, "unknown"
}

func isBucket(s string) bool { return s == "expired" || s == "archived" || s == "deleted" }

// logPath is the path for the server's own log, without the plain text
// of an encrypt call (an API key).
func logPath(segs []string, path string) string {
	if len(segs) == 3 && segs[0] == "encrypt" {
		return "/rest/v1/encrypt/[REDACTED]/" + segs[2]
	}
	return path
}

var methodFor = map[string]string{
	"encrypt": http.MethodGet, "gettoken": http.MethodGet, "users": http.MethodGet, "lite": http.MethodGet,
	"bucket": http.MethodGet, "get": http.MethodGet, "actionlogs": http.MethodGet,
	"cancel": http.MethodPut, "copy": http.MethodPost,
	"start": http.MethodPut, "invite": http.MethodPut, "signers": http.MethodPut, "signerdocs": http.MethodGet,
}

func (s *Server) handle(r *http.Request, segs []string, op string, body []byte) answer {
	if op == "unknown" {
		return htmlAnswer(http.StatusNotFound, "404 - File or directory not found.")
	}
	if r.Method != methodFor[op] {
		return htmlAnswer(http.StatusMethodNotAllowed, "405 - HTTP verb used to access this page is not allowed.")
	}
	switch op {
	case "encrypt":
		return jsonAnswer(wireRequestResponse{ReturnValue: strPtr(s.Encrypt(segs[1], segs[2]))})
	case "gettoken":
		return s.getToken(r, segs[1])
	}
	if !s.tokenOK(r.Header.Get("Authorization")) {
		return failure(nil, MsgBadToken)
	}
	switch op {
	case "users":
		return s.users(r.URL.Query().Get("username"))
	case "lite":
		return s.lite(segs, r.URL.Query())
	case "bucket":
		return s.bucket(segs)
	case "get":
		return s.get(segs[1])
	case "actionlogs":
		return s.actionLogs(segs[1])
	case "cancel":
		return s.cancel(segs[1], r.URL.Query())
	case "copy":
		return s.copy(body)
	case "start", "invite", "signers", "signerdocs":
		return s.handleAction(r, segs, op, body)
	}
	return htmlAnswer(http.StatusNotFound, "404 - File or directory not found.")
}

func (s *Server) getToken(r *http.Request, salt string) answer {
	auth := r.Header.Get("Authorization")
	ok := false
	for _, k := range s.opts.APIKeys {
		if auth != "" && hmac.Equal([]byte(auth), []byte(s.Encrypt(k, salt))) {
			ok = true
		}
	}
	if !ok {
		return failure(nil, MsgInvalidAPIKey)
	}
	var b [33]byte
	_, _ = rand.Read(b[:])
	tok := base64.StdEncoding.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	for t, exp := range s.tokens {
		if now.Sub(exp) > time.Minute {
			delete(s.tokens, t)
		}
	}
	exp := now.Add(s.opts.TokenTTL)
	if s.inj.TakeExpiredToken() {
		exp = now.Add(-time.Second)
	}
	s.tokens[tok] = exp
	return jsonAnswer(wireRequestResponse{ReturnValue: strPtr(tok)})
}

func (s *Server) tokenOK(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	return ok && tok != "" && s.opts.Now().Before(exp)
}

func (s *Server) users(username string) answer {
	if !strings.EqualFold(strings.TrimSpace(username), s.opts.Username) {
		return jsonAnswer(wireUserResponse{Users: []wireUser{}, Details: []string{MsgUsername}})
	}
	return jsonAnswer(wireUserResponse{Users: []wireUser{{
		SystemUserID: "5f1c2b7e-2a0d-4c1e-9b8f-3d6a1e0c4b21", Username: s.opts.Username,
		FirstName: "Jordan", LastName: "Avery", Company: "Demo Brokerage", StatusCode: 1,
		SubscriptionType: "Annual", TimeZoneId: "America/Chicago",
	}}})
}

func pageArgs(sizeS, numS string) (size, num int, msg string) {
	size, err1 := strconv.Atoi(sizeS)
	num, err2 := strconv.Atoi(numS)
	if err1 != nil || size < 1 || size > MaxPageSize {
		return 0, 0, MsgPageSize
	}
	if err2 != nil || num < 0 {
		return 0, 0, "Error: The page number must be 0 or more."
	}
	return size, num, ""
}

var liteColumns = []string{"SigningSessionId", "Title", "TransactionId", "StatusCode", "CreatedOn"}

// lite answers GET v1/sessions/lite/{username}/{transactionId}/{pageSize}/{pageNum}/sortBy.
// It lists the transaction's sessions except the deleted, purged and
// archived ones (those are in the buckets).
func (s *Server) lite(segs []string, q url.Values) answer {
	fail := func(msg string) answer {
		return jsonAnswer(wireLiteView{TotalCount: 0, Sessions: []wireLite{}, Details: []string{msg}})
	}
	if !strings.EqualFold(segs[2], s.opts.Username) {
		return fail(MsgUsername)
	}
	size, num, msg := pageArgs(segs[4], segs[5])
	if msg != "" {
		return fail(msg)
	}
	col, order := q.Get("colName"), strings.ToLower(q.Get("sortOrder"))
	if !slices.Contains(liteColumns, col) {
		return fail("Error: Invalid sort column. Use one of SigningSessionId, Title, TransactionId, StatusCode, CreatedOn.")
	}
	if order != "asc" && order != "desc" {
		return fail("Error: Invalid sort order. Use asc or desc.")
	}
	s.mu.Lock()
	var rows []*Session
	for _, id := range s.order {
		ss := s.sessions[strings.ToLower(id)]
		if ss.TransactionID == segs[3] && ss.StatusCode != StatusDeleted && ss.StatusCode != StatusPurged &&
			ss.StatusCode != StatusArchived {
			rows = append(rows, ss)
		}
	}
	sortSessions(rows, col, order == "desc")
	view := wireLiteView{TotalCount: len(rows), Sessions: []wireLite{}}
	for _, ss := range page(rows, size, num) {
		view.Sessions = append(view.Sessions, ss.lite())
	}
	s.mu.Unlock()
	return jsonAnswer(view)
}

func sortSessions(rows []*Session, col string, desc bool) {
	less := func(a, b *Session) int {
		switch col {
		case "SigningSessionId":
			return strings.Compare(a.ID, b.ID)
		case "Title":
			return strings.Compare(a.Title, b.Title)
		case "TransactionId":
			return strings.Compare(a.TransactionID, b.TransactionID)
		case "StatusCode":
			return a.StatusCode - b.StatusCode
		}
		return a.CreatedOn.Compare(b.CreatedOn)
	}
	slices.SortStableFunc(rows, func(a, b *Session) int {
		c := less(a, b)
		if c == 0 {
			c = strings.Compare(a.ID, b.ID)
		}
		if desc {
			return -c
		}
		return c
	})
}

func page(rows []*Session, size, num int) []*Session {
	from := num * size
	if from >= len(rows) {
		return nil
	}
	return rows[from:min(from+size, len(rows))]
}

// bucket answers GET v1/sessions/{expired|archived|deleted}/{pageSize}/{pageNum}
// with a SessionLiteBucketView: the session ids and the total count,
// newest first. The deleted bucket holds deleted and purged sessions.
func (s *Server) bucket(segs []string) answer {
	size, num, msg := pageArgs(segs[2], segs[3])
	if msg != "" {
		return jsonAnswer(wireBucketView{SigningSessionIds: []string{}, Details: []string{msg}})
	}
	want := map[string][]int{"expired": {StatusExpired}, "archived": {StatusArchived},
		"deleted": {StatusDeleted, StatusPurged}}[segs[1]]
	s.mu.Lock()
	var rows []*Session
	for _, id := range s.order {
		if ss := s.sessions[strings.ToLower(id)]; slices.Contains(want, ss.StatusCode) {
			rows = append(rows, ss)
		}
	}
	sortSessions(rows, "CreatedOn", true)
	view := wireBucketView{TotalCount: len(rows), SigningSessionIds: []string{}}
	for _, ss := range page(rows, size, num) {
		view.SigningSessionIds = append(view.SigningSessionIds, ss.ID)
	}
	s.mu.Unlock()
	return jsonAnswer(view)
}

func (s *Server) get(id string) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[strings.ToLower(id)]
	if !ok {
		return jsonAnswer(wireSessionResponse{Details: []string{MsgNotFound}})
	}
	return jsonAnswer(wireSessionResponse{SigningSessionId: strPtr(ss.ID), Sessions: []wireSession{ss.wire()}})
}

func (s *Server) actionLogs(id string) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[strings.ToLower(id)]
	if !ok {
		return jsonAnswer(wireActionLogResponse{Details: []string{MsgNotFound}})
	}
	out := wireActionLogResponse{ActionLog: []wireActionLog{}}
	for _, e := range ss.ActionLog {
		out.ActionLog = append(out.ActionLog, wireActionLog{Date: wireDate(e.Date), IPAddress: e.IPAddress, Description: e.Description})
	}
	return jsonAnswer(out)
}

// cancel answers PUT v1/sessions/{id}/cancel?returnURL=...: only draft,
// sent and paused sessions can be canceled.
func (s *Server) cancel(id string, q url.Values) answer {
	if strings.TrimSpace(q.Get("returnURL")) == "" {
		return failure(strPtr("False"), "Error: returnURL is required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[strings.ToLower(id)]
	if !ok {
		return failure(strPtr("False"), MsgNotFound)
	}
	switch ss.StatusCode {
	case StatusDraft, StatusSent, StatusPaused:
	default:
		return failure(strPtr("False"), "Error: The signing session cannot be cancelled because it is "+statusNames[ss.StatusCode]+".")
	}
	now := s.opts.Now()
	ss.StatusCode = StatusCancelled
	ss.ModifiedOn = now
	for i := range ss.Signers {
		if g := &ss.Signers[i]; g.StatusCode != SignerCompleted && g.StatusCode != SignerDeclined {
			g.StatusCode = SignerCancelled
		}
	}
	ss.log(now, "192.0.2.10", "Session cancelled by "+s.opts.Username+" via the API.")
	return jsonAnswer(wireRequestResponse{ReturnValue: strPtr("True")})
}

// copy answers POST v1/sessions/copy. Member names are matched exactly, as
// WCF does: {"copyOptions": {...}, "session": {...}} with PascalCase
// members inside; unknown members are ignored. The new session is a draft
// in the chosen transaction, with the signers as sent: by SignerId (kept,
// or changed by the values sent with it) or new (last name and a valid
// email required).
func (s *Server) copy(body []byte) answer {
	fail := func(msg string) answer { return jsonAnswer(wireSessionResponse{Details: []string{msg}}) }
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return fail("Error: The request body could not be read.")
	}
	var opts map[string]any
	if err := exactObject(top["copyOptions"], &opts); err != nil || opts == nil {
		return fail("Error: copyOptions is required.")
	}
	var sess map[string]json.RawMessage
	if err := exactObject(top["session"], &sess); err != nil || sess == nil {
		return fail("Error: session is required.")
	}
	var srcID string
	_ = json.Unmarshal(sess["SigningSessionId"], &srcID)
	var info map[string]any
	_ = exactObject(sess["SessionInfo"], &info)
	var signers []map[string]any
	_ = json.Unmarshal(sess["Signers"], &signers)
	str := func(m map[string]any, k string) string {
		v, _ := m[k].(string)
		return strings.TrimSpace(v)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	src, ok := s.sessions[strings.ToLower(srcID)]
	if !ok || srcID == "" {
		return fail(MsgNotFound)
	}
	if src.StatusCode == StatusPurged {
		return fail("Error: The session's documents were purged; it cannot be copied.")
	}
	now := s.opts.Now()
	n := &Session{
		ID:            newUUID(s.rng),
		TransactionID: src.TransactionID,
		Title:         src.Title,
		Description:   src.Description,
		OwnerEmail:    src.OwnerEmail,
		OwnerName:     src.OwnerName,
		StatusCode:    StatusDraft,
		CreatedOn:     now,
		ModifiedOn:    now,
		ExpiresOn:     now.Add(45 * 24 * time.Hour),
		Documents:     slices.Clone(src.Documents),
		CopiedFrom:    src.ID,
	}
	n.RetainFields, _ = opts["RetainFields"].(bool)
	if tx := str(info, "TransactionId"); tx != "" {
		n.TransactionID = tx
	}
	// Only the documented member sets the title; TransactionTitle (seen only
	// in the vendor's copy sample) is ignored, so a client that sends only
	// that loses an edited title here as it could on the real service.
	if t := str(info, "Title"); t != "" {
		n.Title = t
	}
	if len(signers) == 0 {
		for _, g := range src.Signers {
			g.ID, g.StatusCode, g.SignedOn, g.DeclinedReason = newUUID(s.rng), SignerPendingInvite, time.Time{}, ""
			n.Signers = append(n.Signers, g)
		}
	}
	for i, m := range signers {
		var g Signer
		if id := str(m, "SignerId"); id != "" {
			found := false
			for _, old := range src.Signers {
				if strings.EqualFold(old.ID, id) {
					g, found = old, true
				}
			}
			if !found {
				return fail("Error: Signer " + id + " was not found in the signing session.")
			}
		} else {
			g.Sequence = i + 1
		}
		if v := str(m, "FirstName"); v != "" {
			g.FirstName = v
		}
		if v := str(m, "LastName"); v != "" {
			g.LastName = v
		}
		if v := str(m, "EmailAddress"); v != "" {
			g.Email = v
		}
		if v := str(m, "SignerRole"); v != "" {
			g.Role = v
		}
		if v, ok := m["Sequence"].(float64); ok && v > 0 {
			g.Sequence = int(v)
		}
		if strings.TrimSpace(g.LastName) == "" || !validEmail(g.Email) {
			return fail(MsgSigners)
		}
		g.ID, g.StatusCode, g.SignedOn, g.DeclinedReason = newUUID(s.rng), SignerPendingInvite, time.Time{}, ""
		n.Signers = append(n.Signers, g)
	}
	n.log(now, "192.0.2.10", "Session created by "+s.opts.Username+" as a copy of session "+src.ID+".")
	src.log(now, "192.0.2.10", "Session copied to new session "+n.ID+" by "+s.opts.Username+".")
	s.sessions[strings.ToLower(n.ID)] = n
	s.order = append(s.order, n.ID)
	return jsonAnswer(wireSessionResponse{SigningSessionId: strPtr(n.ID), Sessions: []wireSession{n.wire()}})
}

// exactObject decodes raw into a map when it is an object.
func exactObject[T any](raw json.RawMessage, out *map[string]T) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return errors.New("not an object")
	}
	return json.Unmarshal(raw, out)
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".")
}
