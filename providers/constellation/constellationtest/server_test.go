package constellationtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var fixedNow = time.Date(2025, 6, 2, 15, 4, 5, 0, time.UTC)

func start(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixedNow }
	}
	s, err := NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// raw is a bare client for the emulator.
type raw struct {
	t   *testing.T
	s   *Server
	hc  *http.Client
	tok string
}

func newRaw(t *testing.T, s *Server) *raw {
	return &raw{t: t, s: s, hc: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}}
}

func (r *raw) do(method, path, auth string, body []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequest(method, r.s.URL()+"/"+path, bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	if body == nil {
		req.Body = http.NoBody
		req.ContentLength = 0
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

// json calls path and decodes the answer, failing on transport errors or
// a status other than 200.
func (r *raw) json(method, path string, body []byte) map[string]any {
	r.t.Helper()
	status, _, b, err := r.do(method, path, r.tok, body)
	if err != nil || status != 200 {
		r.t.Fatalf("%s %s: %d %v", method, path, status, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		r.t.Fatalf("%s %s: %v in %q", method, path, err, b)
	}
	return m
}

func (r *raw) login() {
	r.t.Helper()
	const salt = "Z1s6aXNQpjQ75wRX1ulI551sR1uHyg3YsOcPLeL9TaM"
	enc := r.json("GET", "v1/encrypt/"+url.PathEscape(r.s.APIKeys()[0])+"/"+salt, nil)["ReturnValue"].(string)
	r.tok = ""
	status, _, b, err := r.do("GET", "v1/gettoken/"+salt, enc, nil)
	if err != nil || status != 200 {
		r.t.Fatal(status, err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	tok, _ := m["ReturnValue"].(string)
	if tok == "" {
		r.t.Fatalf("no token: %s", b)
	}
	r.tok = tok
}

func TestSameSeedSameData(t *testing.T) {
	a := start(t, Options{Seed: 9})
	b := start(t, Options{Seed: 9})
	c := start(t, Options{Seed: 10})
	if !reflect.DeepEqual(a.Sessions(), b.Sessions()) {
		t.Error("the same seed and clock gave different data")
	}
	if reflect.DeepEqual(a.Sessions(), c.Sessions()) {
		t.Error("different seeds gave the same data")
	}
	if a.Len() != DefaultSize || len(a.Transactions()) != 8 || a.Transactions()[0] != "TX-1001" || a.Username() != DefaultUsername {
		t.Errorf("defaults: %d sessions, transactions %v, user %q", a.Len(), a.Transactions(), a.Username())
	}
}

func TestSeededDataIsRealistic(t *testing.T) {
	s := start(t, Options{Seed: 3, Size: 120})
	addr := regexp.MustCompile(` - \d{3,4} [A-Z][a-z]+( [A-Z][a-z]+)* (Ave|St|Ln|Rd|Way|Dr|Ct|Trl|Blvd|Pl|Cir)$`)
	perTx := map[string]int{}
	statuses := map[int]int{}
	for _, ss := range s.Sessions() {
		perTx[ss.TransactionID]++
		statuses[ss.StatusCode]++
		if !addr.MatchString(ss.Title) {
			t.Errorf("title %q has no street address", ss.Title)
		}
		if len(ss.Signers) < 1 || len(ss.Signers) > 4 {
			t.Errorf("%s: %d signers", ss.ID, len(ss.Signers))
		}
		for i, g := range ss.Signers {
			if g.Sequence != i+1 || g.LastName == "" || g.Role == "" {
				t.Errorf("%s: signer %+v", ss.ID, g)
			}
			if a, err := mail.ParseAddress(g.Email); err != nil || a.Address != g.Email {
				t.Errorf("%s: email %q", ss.ID, g.Email)
			}
			if ss.StatusCode == StatusCompleted && (g.StatusCode != SignerCompleted || g.SignedOn.IsZero()) {
				t.Errorf("%s: a completed session has signer status %d", ss.ID, g.StatusCode)
			}
			if ss.StatusCode == StatusDraft && g.StatusCode != SignerPendingInvite {
				t.Errorf("%s: a draft has signer status %d", ss.ID, g.StatusCode)
			}
		}
		if len(ss.ActionLog) == 0 || !strings.HasPrefix(ss.ActionLog[0].Description, "Session created") {
			t.Errorf("%s: action log %v", ss.ID, ss.ActionLog)
		}
		for i := 1; i < len(ss.ActionLog); i++ {
			if ss.ActionLog[i].Date.Before(ss.ActionLog[i-1].Date) {
				t.Errorf("%s: action log out of order", ss.ID)
			}
		}
		if ss.CreatedOn.After(fixedNow) || ss.ModifiedOn.Before(ss.CreatedOn) {
			t.Errorf("%s: created %v modified %v", ss.ID, ss.CreatedOn, ss.ModifiedOn)
		}
		if ss.StatusCode == StatusExpired && !ss.ExpiresOn.Before(fixedNow) {
			t.Errorf("%s: expired but expires %v", ss.ID, ss.ExpiresOn)
		}
	}
	for _, tx := range s.Transactions() {
		if perTx[tx] < 3 {
			t.Errorf("%s has %d sessions", tx, perTx[tx])
		}
	}
	if len(statuses) < 7 {
		t.Errorf("only statuses %v", statuses)
	}
}

func TestAuthentication(t *testing.T) {
	s := start(t, Options{Seed: 1, APIKeys: []string{"key/one"}, TokenTTL: time.Minute})
	r := newRaw(t, s)
	// Without a token.
	if m := r.json("GET", "v1/sessions/"+s.Sessions()[0].ID, nil); m["Details"] != MsgBadToken || m["ReturnValue"] != nil {
		t.Errorf("no token: %v", m)
	}
	// A wrong encrypted key.
	status, _, b, _ := r.do("GET", "v1/gettoken/salt", "not-encrypted", nil)
	if status != 200 || !strings.Contains(string(b), MsgInvalidAPIKey) || !strings.Contains(string(b), `"ReturnValue":null`) {
		t.Errorf("wrong key: %d %s", status, b)
	}
	// The key encrypted with another salt.
	if _, _, b, _ := r.do("GET", "v1/gettoken/salt2", s.Encrypt("key/one", "salt1"), nil); !strings.Contains(string(b), MsgInvalidAPIKey) {
		t.Errorf("other salt accepted: %s", b)
	}
	r.login()
	if m := r.json("GET", "v1/sessions/"+s.Sessions()[0].ID, nil); m["Sessions"] == nil {
		t.Errorf("with a token: %v", m)
	}
	tok := r.tok
	r.tok = "Bearer " + tok
	if m := r.json("GET", "v1/users?username="+url.QueryEscape(s.Username()), nil); m["ReturnValue"] != nil || m["Details"] != MsgBadToken {
		t.Errorf("a Bearer scheme was accepted: %v", m)
	}
}

func TestTokensExpire(t *testing.T) {
	var mu sync.Mutex
	now := fixedNow
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := start(t, Options{Seed: 1, TokenTTL: 5 * time.Second, Now: clock})
	r := newRaw(t, s)
	r.login()
	id := s.Sessions()[0].ID
	if m := r.json("GET", "v1/sessions/"+id, nil); m["Details"] != nil {
		t.Fatalf("fresh token refused: %v", m)
	}
	mu.Lock()
	now = now.Add(6 * time.Second)
	mu.Unlock()
	if m := r.json("GET", "v1/sessions/"+id, nil); m["Details"] != MsgBadToken {
		t.Errorf("an expired token was accepted: %v", m)
	}
	s.SetFaults(Faults{ExpiredTokens: 1})
	r.login()
	if m := r.json("GET", "v1/sessions/"+id, nil); m["Details"] != MsgBadToken {
		t.Errorf("a token issued expired was accepted: %v", m)
	}
	r.login()
	if m := r.json("GET", "v1/sessions/"+id, nil); m["Details"] != nil {
		t.Errorf("only one token should be issued expired: %v", m)
	}
}

func TestWireFormat(t *testing.T) {
	s := start(t, Options{Seed: 2})
	r := newRaw(t, s)
	r.login()
	id := s.Sessions()[0].ID
	_, h, b, _ := r.do("GET", "v1/sessions/"+id, r.tok, nil)
	if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Errorf("Content-Type %q", h.Get("Content-Type"))
	}
	for _, want := range []string{`"SigningSessionId":"` + id + `"`, `"CreatedOn":"\/Date(`, `"SessionInfo":{"Title":`,
		`"Signers":[{"SignerId":`, `"EmailAddress":`, `"Sequence":1`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("session answer lacks %s", want)
		}
	}
	_, _, b, _ = r.do("GET", "v1/sessions/"+id+"/actionlogs", r.tok, nil)
	for _, want := range []string{`{"ActionLog":[{"Date":"\/Date(`, `"IPAddress":"`, `"Description":"Session created by `} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("action log lacks %s: %s", want, b)
		}
	}
}

func TestLite(t *testing.T) {
	s := start(t, Options{Seed: 4, Size: 70, Transactions: []string{"TX-1"}})
	r := newRaw(t, s)
	r.login()
	path := func(user, size, num, query string) string {
		return "v1/sessions/lite/" + url.PathEscape(user) + "/TX-1/" + size + "/" + num + "/sortBy?" + query
	}
	q := "colName=CreatedOn&sortOrder=desc"
	m := r.json("GET", path(s.Username(), "50", "0", q), nil)
	total := int(m["TotalCount"].(float64))
	rows := m["Sessions"].([]any)
	if total < 51 || len(rows) != 50 {
		t.Fatalf("total %d, %d rows", total, len(rows))
	}
	row := rows[0].(map[string]any)
	for _, k := range []string{"SigningSessionId", "Title", "TransactionId", "StatusCode", "CreatedOn"} {
		if _, ok := row[k]; !ok {
			t.Errorf("a lite row lacks %s", k)
		}
	}
	m2 := r.json("GET", path(s.Username(), "50", "1", q), nil)
	if n := len(m2["Sessions"].([]any)); n != total-50 {
		t.Errorf("page 1 holds %d, want %d", n, total-50)
	}
	if m := r.json("GET", path(s.Username(), "51", "0", q), nil); m["Details"].([]any)[0] != MsgPageSize || len(m["Sessions"].([]any)) != 0 {
		t.Errorf("a page size of 51: %v", m)
	}
	if m := r.json("GET", path("someone@example.com", "50", "0", q), nil); m["Details"].([]any)[0] != MsgUsername {
		t.Errorf("wrong user: %v", m)
	}
	if m := r.json("GET", path(s.Username(), "50", "0", "colName=Owner&sortOrder=desc"), nil); m["Details"] == nil {
		t.Errorf("a bad sort column was accepted: %v", m)
	}
	asc := r.json("GET", path(s.Username(), "50", "0", "colName=CreatedOn&sortOrder=asc"), nil)["Sessions"].([]any)
	if asc[0].(map[string]any)["SigningSessionId"] == rows[0].(map[string]any)["SigningSessionId"] {
		t.Error("asc and desc give the same first row")
	}
}

func TestBuckets(t *testing.T) {
	s := start(t, Options{Seed: 5, Size: 80})
	r := newRaw(t, s)
	r.login()
	want := map[string]int{}
	for _, ss := range s.Sessions() {
		switch ss.StatusCode {
		case StatusExpired:
			want["expired"]++
		case StatusArchived:
			want["archived"]++
		case StatusDeleted, StatusPurged:
			want["deleted"]++
		}
	}
	for _, b := range []string{"expired", "archived", "deleted"} {
		m := r.json("GET", "v1/sessions/"+b+"/50/0", nil)
		if int(m["TotalCount"].(float64)) != want[b] || len(m["SigningSessionIds"].([]any)) != min(want[b], 50) {
			t.Errorf("%s: %v, want %d", b, m, want[b])
		}
		for _, id := range m["SigningSessionIds"].([]any) {
			ss, ok := s.Session(id.(string))
			if !ok {
				t.Errorf("%s: unknown id", b)
			}
			if b == "expired" && ss.StatusCode != StatusExpired {
				t.Errorf("%s holds status %d", b, ss.StatusCode)
			}
		}
	}
}

func TestCancelRules(t *testing.T) {
	s := start(t, Options{Seed: 6})
	r := newRaw(t, s)
	r.login()
	byCode := map[int]string{}
	for _, ss := range s.Sessions() {
		if _, ok := byCode[ss.StatusCode]; !ok {
			byCode[ss.StatusCode] = ss.ID
		}
	}
	for code, id := range byCode {
		m := r.json("PUT", "v1/sessions/"+id+"/cancel?returnURL="+url.QueryEscape("https://x.example/"), nil)
		ok := code == StatusDraft || code == StatusSent || code == StatusPaused
		if ok != (m["ReturnValue"] == "True") {
			t.Errorf("cancel of status %d: %v", code, m)
		}
		if !ok && !strings.Contains(m["Details"].(string), "cannot be cancelled because it is "+statusNames[code]) {
			t.Errorf("cancel of status %d: details %v", code, m["Details"])
		}
		got, _ := s.Session(id)
		if ok && (got.StatusCode != StatusCancelled || !strings.Contains(got.ActionLog[len(got.ActionLog)-1].Description, "cancelled")) {
			t.Errorf("canceled session %+v", got)
		}
		if !ok && got.StatusCode != code {
			t.Errorf("a refused cancel changed status %d", code)
		}
	}
	id := byCode[StatusCancelled]
	if m := r.json("PUT", "v1/sessions/"+id+"/cancel", nil); m["ReturnValue"] != "False" || !strings.Contains(m["Details"].(string), "returnURL") {
		t.Errorf("cancel without returnURL: %v", m)
	}
	if m := r.json("PUT", "v1/sessions/nope/cancel?returnURL=x", nil); m["Details"] != MsgNotFound {
		t.Errorf("cancel of an unknown id: %v", m)
	}
	if status, _, _, _ := r.do("GET", "v1/sessions/"+id+"/cancel?returnURL=x", r.tok, nil); status != 405 {
		t.Errorf("GET cancel: %d", status)
	}
}

func TestCopyRules(t *testing.T) {
	s := start(t, Options{Seed: 7})
	r := newRaw(t, s)
	r.login()
	var src Session
	for _, ss := range s.Sessions() {
		if ss.StatusCode == StatusSent && len(ss.Signers) >= 2 {
			src = ss
			break
		}
	}
	body := func(signers string) []byte {
		return []byte(`{"copyOptions":{"Version":0,"RetainFields":true},"session":{"SigningSessionId":"` + src.ID +
			`","SessionInfo":{"TransactionId":"TX-NEW","Title":"Copied deal"},"Signers":[` + signers + `]}}`)
	}
	m := r.json("POST", "v1/sessions/copy", body(`{"SignerId":"`+src.Signers[0].ID+`"},`+
		`{"SignerId":"`+src.Signers[1].ID+`","EmailAddress":"changed@example.com"},`+
		`{"FirstName":"Dana","LastName":"Whitaker","EmailAddress":"dana@example.org"}`))
	id, _ := m["SigningSessionId"].(string)
	made, ok := s.Session(id)
	if !ok || made.StatusCode != StatusDraft || made.TransactionID != "TX-NEW" || made.Title != "Copied deal" ||
		!made.RetainFields || made.CopiedFrom != src.ID || len(made.Signers) != 3 {
		t.Fatalf("copy: %v / %+v", m, made)
	}
	if made.Signers[0].Email != src.Signers[0].Email || made.Signers[1].Email != "changed@example.com" ||
		made.Signers[1].LastName != src.Signers[1].LastName || made.Signers[2].LastName != "Whitaker" ||
		made.Signers[0].ID == src.Signers[0].ID || made.Signers[2].Sequence != 3 {
		t.Errorf("signers %+v", made.Signers)
	}
	for _, g := range made.Signers {
		if g.StatusCode != SignerPendingInvite {
			t.Errorf("signer status %d", g.StatusCode)
		}
	}
	if got, _ := s.Session(src.ID); !strings.Contains(got.ActionLog[len(got.ActionLog)-1].Description, "copied to new session "+id) {
		t.Error("the source's log does not record the copy")
	}
	for name, tc := range map[string]struct{ body, want string }{
		"no last name":         {string(body(`{"FirstName":"Dana","EmailAddress":"dana@example.org"}`)), MsgSigners},
		"bad email":            {string(body(`{"LastName":"Whitaker","EmailAddress":"dana"}`)), MsgSigners},
		"camelCase signer id":  {string(body(`{"signerId":"` + src.Signers[0].ID + `"}`)), MsgSigners},
		"PascalCase top level": {`{"CopyOptions":{"Version":0},"Session":{"SigningSessionId":"` + src.ID + `"}}`, "copyOptions is required"},
		"unknown signer":       {string(body(`{"SignerId":"nope"}`)), "was not found"},
		"unknown source":       {`{"copyOptions":{},"session":{"SigningSessionId":"nope"}}`, MsgNotFound},
	} {
		before := s.Len()
		m := r.json("POST", "v1/sessions/copy", []byte(tc.body))
		d, _ := m["Details"].([]any)
		if len(d) != 1 || !strings.Contains(d[0].(string), tc.want) || m["SigningSessionId"] != nil || s.Len() != before {
			t.Errorf("%s: %v", name, m)
		}
	}
	// TransactionTitle alone (the member only the vendor's copy sample uses)
	// does not set the title: the copy keeps the source's.
	m = r.json("POST", "v1/sessions/copy", []byte(`{"copyOptions":{"Version":0},"session":{"SigningSessionId":"`+src.ID+
		`","SessionInfo":{"TransactionTitle":"Only the sample's member"},"Signers":[]}}`))
	id, _ = m["SigningSessionId"].(string)
	if made, ok := s.Session(id); !ok || made.Title != src.Title {
		t.Errorf("TransactionTitle alone: %v / title %q, want the source's %q", m, made.Title, src.Title)
	}
}

func TestFaults(t *testing.T) {
	s := start(t, Options{Seed: 8})
	r := newRaw(t, s)
	r.login()
	id := s.Sessions()[0].ID
	get := func() (int, http.Header, []byte, error) { return r.do("GET", "v1/sessions/"+id, r.tok, nil) }

	s.SetFaults(Faults{ErrorRate: 1, Ops: []string{"get"}, Limit: 1})
	status, h, b, _ := get()
	if status != 503 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !bytes.Contains(b, []byte("<title>503 Service Unavailable</title>")) {
		t.Errorf("error fault: %d %q", status, h.Get("Content-Type"))
	}
	if status, _, _, _ := get(); status != 200 {
		t.Errorf("Limit 1 did not stop the faults: %d", status)
	}
	if status, _, _, _ := r.do("GET", "v1/sessions/"+id+"/actionlogs", r.tok, nil); status != 200 {
		t.Error("Ops did not limit the faults")
	}

	s.SetFaults(Faults{MalformedRate: 1})
	if status, _, b, _ := get(); status != 200 || json.Valid(b) {
		t.Errorf("malformed fault: %d valid=%v", status, json.Valid(b))
	}
	s.SetFaults(Faults{TruncateRate: 1})
	if _, _, _, err := get(); err == nil {
		t.Error("truncate fault: the body read completely")
	}
	s.SetFaults(Faults{ResetRate: 1})
	if _, _, _, err := get(); err == nil {
		t.Error("reset fault: an answer came")
	}
	s.SetFaults(Faults{Latency: 100 * time.Millisecond})
	t0 := time.Now()
	get()
	if time.Since(t0) < 100*time.Millisecond {
		t.Error("latency not applied")
	}

	// Before handling, a faulted write has no effect; after, it has.
	var sent []string
	for _, ss := range s.Sessions() {
		if ss.StatusCode == StatusSent {
			sent = append(sent, ss.ID)
		}
	}
	s.SetFaults(Faults{ResetRate: 1, Ops: []string{"cancel"}})
	_, _, _, _ = r.do("PUT", "v1/sessions/"+sent[0]+"/cancel?returnURL=x", r.tok, nil)
	if got, _ := s.Session(sent[0]); got.StatusCode != StatusSent {
		t.Error("a cancel refused before handling took effect")
	}
	s.SetFaults(Faults{ResetRate: 1, Ops: []string{"cancel"}, AfterEffect: true})
	_, _, _, _ = r.do("PUT", "v1/sessions/"+sent[0]+"/cancel?returnURL=x", r.tok, nil)
	if got, _ := s.Session(sent[0]); got.StatusCode != StatusCancelled {
		t.Error("a cancel whose answer was lost did not take effect")
	}
	var faults []string
	for _, q := range s.Requests() {
		if q.Fault != "" {
			faults = append(faults, q.Fault)
		}
	}
	if strings.Join(faults, ",") != "error,malformed,truncate,reset,reset,reset" {
		t.Errorf("recorded faults %v", faults)
	}
}

func TestRequestsLog(t *testing.T) {
	s := start(t, Options{Seed: 9, APIKeys: []string{"a b/c"}})
	r := newRaw(t, s)
	r.login()
	reqs := s.Requests()
	if len(reqs) != 2 || reqs[0].Op != "encrypt" || reqs[1].Op != "gettoken" {
		t.Fatalf("requests %+v", reqs)
	}
	if reqs[0].Path != "/rest/v1/encrypt/a b/c/Z1s6aXNQpjQ75wRX1ulI551sR1uHyg3YsOcPLeL9TaM" ||
		reqs[0].RawPath != "/rest/v1/encrypt/a%20b%2Fc/Z1s6aXNQpjQ75wRX1ulI551sR1uHyg3YsOcPLeL9TaM" {
		t.Errorf("paths %q %q", reqs[0].Path, reqs[0].RawPath)
	}
	if reqs[1].Header.Get("Authorization") == "" || s.Count("gettoken") != 1 {
		t.Error("header or count")
	}
	s.ClearRequests()
	if len(s.Requests()) != 0 {
		t.Error("ClearRequests")
	}
	if status, _, _, _ := r.do("GET", "v2/whatever", "", nil); status != 404 || s.Requests()[0].Op != "unknown" {
		t.Errorf("unknown route: %d", status)
	}
}

// A large sandbox spreads its sessions over more transactions, so no
// transaction outgrows the client's listing cap (200 pages of 50).
func TestLargeSizeGetsMoreTransactions(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 45,000 sessions")
	}
	srv, err := NewServer(Options{Seed: 1, Size: 45000})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	per := map[string]int{}
	for _, s := range srv.Sessions() {
		per[s.TransactionID]++
	}
	if len(srv.Transactions()) != 9 || len(per) != 9 {
		t.Fatalf("%d transactions listed, %d used", len(srv.Transactions()), len(per))
	}
	for tx, n := range per {
		if n > maxPerTransaction {
			t.Errorf("transaction %s holds %d sessions", tx, n)
		}
	}
}
