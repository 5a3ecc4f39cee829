package dropboxsigntest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const key = "emulator-test-key-93f1"

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func start(t *testing.T, o Options) *Server {
	t.Helper()
	if o.APIKeys == nil {
		o.APIKeys = []string{key}
	}
	logs := &lockedBuf{}
	o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if strings.Contains(logs.String(), key) {
			t.Error("the emulator logged an API key")
		}
	})
	return s
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("HTTP %d body %q: %v", a.status, a.body, err)
	}
	return m
}

func (a answer) errName(t *testing.T) string {
	t.Helper()
	e, _ := a.json(t)["error"].(map[string]any)
	name, _ := e["error_name"].(string)
	return name
}

func call(t *testing.T, s *Server, method, path, body string, auth ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, s.URL+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if len(auth) == 0 {
		req.SetBasicAuth(key, "")
	} else if auth[0] != "" {
		req.Header.Set("Authorization", auth[0])
	}
	resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

func TestAuth(t *testing.T) {
	s := start(t, Options{Size: 1})
	cases := []struct {
		name, auth string
		want       int
	}{
		{"no credentials", "", 401},
		{"wrong key", "Basic " + b64("nope:"), 401},
		{"key with a password", "Basic " + b64(key+":secret"), 401},
		{"bearer", "Bearer " + key, 401},
		{"garbage", "Basic !!!", 401},
		{"right key", "Basic " + b64(key+":"), 200},
	}
	for _, tc := range cases {
		a := call(t, s, "GET", "/account", "", tc.auth)
		if a.status != tc.want {
			t.Errorf("%s: HTTP %d, want %d", tc.name, a.status, tc.want)
		}
		if tc.want == 401 && a.errName(t) != "unauthorized" {
			t.Errorf("%s: %s", tc.name, a.body)
		}
	}
	if a := call(t, s, "GET", "/account", "", ""); !strings.Contains(string(a.body), "No credentials supplied") {
		t.Errorf("401 body %s", a.body)
	}
	if a := call(t, s, "DELETE", "/account", ""); a.status != 405 || a.errName(t) != "method_not_supported" {
		t.Errorf("DELETE /account: %d %s", a.status, a.body)
	}
	if a := call(t, s, "GET", "/nope", ""); a.status != 404 || a.errName(t) != "not_found" {
		t.Errorf("unknown path: %d %s", a.status, a.body)
	}
	for i, r := range s.Requests() {
		want := -1
		if i == 5 || i == 7 || i == 8 { // the right key, DELETE /account, GET /v3/nope
			want = 0
		}
		if r.KeyIndex != want {
			t.Errorf("request %d key index %d, want %d", i, r.KeyIndex, want)
		}
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestListParamsAndPaging(t *testing.T) {
	s := start(t, Options{Seed: 2, Size: 130, Owner: "me@example.com", Team: []string{}})
	a := call(t, s, "GET", "/signature_request/list?page_size=100&page=2", "")
	m := a.json(t)
	li := m["list_info"].(map[string]any)
	if li["page"] != 2.0 || li["num_pages"] != 2.0 || li["num_results"] != 130.0 || li["page_size"] != 100.0 || len(m["signature_requests"].([]any)) != 30 {
		t.Errorf("page 2: %v, %d requests", li, len(m["signature_requests"].([]any)))
	}
	if a := call(t, s, "GET", "/signature_request/list", ""); a.json(t)["list_info"].(map[string]any)["page_size"] != 20.0 {
		t.Error("default page size is not 20")
	}
	for _, q := range []string{"page_size=101", "page_size=0", "page=0", "page=x"} {
		a := call(t, s, "GET", "/signature_request/list?"+q, "")
		if a.status != 400 || a.errName(t) != "bad_request" {
			t.Errorf("%s: %d %s", q, a.status, a.body)
		}
	}
	if a := call(t, s, "GET", "/signature_request/list?page=9", ""); len(a.json(t)["signature_requests"].([]any)) != 0 {
		t.Error("a page past the end is not empty")
	}
	if a := call(t, s, "GET", "/signature_request/list?account_id=someone", ""); a.status != 400 {
		t.Errorf("foreign account_id: %d", a.status)
	}
}

func TestQuerySyntax(t *testing.T) {
	s := start(t, Options{Size: -1, Owner: "me@example.com"})
	add := func(title, signer, requester string, complete bool, meta map[string]any) string {
		return s.Add(SignatureRequest{Title: title, RequesterEmailAddress: &requester, IsComplete: complete, Metadata: meta,
			CreatedAt:  time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC).Unix(),
			Signatures: []Signature{{SignerEmailAddress: signer, SignerName: ptr("Signer " + title)}}})
	}
	a := add("Field Trip Release", "kid@example.com", "me@example.com", false, nil)
	b := add("Purchase Agreement", "ana+offers@example.com", "me@example.com", true, map[string]any{"deal": "HL-7", "p": map[string]any{"apn": "1-2-3"}})
	c := add("Lease Renewal", "me@example.com", "boss@example.com", false, nil)
	cases := []struct {
		q    string
		want []string
	}{
		{"", []string{a, b, c}},
		{"title:Field Trip Release AND from:me", []string{a}},
		{"title:field trip", []string{a}},
		{"complete:true", []string{b}},
		{"complete:false AND declined:false", []string{a, c}},
		{"to:ana+offers@example.com", []string{b}},
		{"to:me", []string{c}},
		{"from:me", []string{a, b}},
		{"metadata:HL-7", []string{b}},
		{"metadata:1-2-3", []string{b}},
		{"title:Lease OR title:Trip", []string{a, c}},
		{"title:Renewal OR complete:true AND title:Purchase", []string{b, c}},
		{"title:Lease", []string{a, c}}, // substring: "Release" holds "lease"
		{"title:Lease AND complete:true OR title:Trip", []string{a}},
		{"Purchase", []string{b}},
		{`title:"Lease Renewal"`, []string{c}},
		{"title:Purch*", []string{b}},
		{"created:[2026-02-01 TO 2026-02-10]", []string{a, b, c}},
		{"created:{2026-02-10 TO 2026-03-01}", []string{a, b, c}},
		{"created:[2026-03-01 TO 2026-03-31]", nil},
		{"title:Lease and title:Trip", nil}, // lowercase "and" is a search word
	}
	for _, tc := range cases {
		got := listIDs(t, s, tc.q)
		if strings.Join(sorted(got), ",") != strings.Join(sorted(tc.want), ",") {
			t.Errorf("query %q: got %d %v, want %d", tc.q, len(got), got, len(tc.want))
		}
	}
	for _, bad := range []string{"title:*ease", `title:"open`} {
		if a := call(t, s, "GET", "/signature_request/list?query="+url.QueryEscape(bad), ""); a.status != 400 {
			t.Errorf("%q: HTTP %d", bad, a.status)
		}
	}
}

func listIDs(t *testing.T, s *Server, q string) []string {
	t.Helper()
	a := call(t, s, "GET", "/signature_request/list?page_size=100&account_id=all&query="+url.QueryEscape(q), "")
	var out []string
	for _, r := range a.json(t)["signature_requests"].([]any) {
		out = append(out, r.(map[string]any)["signature_request_id"].(string))
	}
	return out
}

func sorted(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestCancelLifecycle(t *testing.T) {
	s := start(t, Options{Size: -1, CancelDelay: 100 * time.Millisecond})
	open := s.Add(SignatureRequest{Title: "Open", RequesterEmailAddress: ptr(DefaultOwner), Signatures: []Signature{{SignerEmailAddress: "a@example.com"}}})
	done := s.Add(SignatureRequest{Title: "Done", RequesterEmailAddress: ptr(DefaultOwner), IsComplete: true, Signatures: []Signature{{SignerEmailAddress: "a@example.com", StatusCode: "signed"}}})
	notMine := s.Add(SignatureRequest{Title: "Theirs", RequesterEmailAddress: ptr("other@example.com"), Signatures: []Signature{{SignerEmailAddress: DefaultOwner}}})
	a := call(t, s, "POST", "/signature_request/cancel/"+open, "")
	if a.status != 200 || len(a.body) != 0 || a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("cancel: %d %q %q", a.status, a.body, a.header.Get("Content-Type"))
	}
	if a := call(t, s, "GET", "/signature_request/"+open, ""); a.status != 200 {
		t.Errorf("queued cancel already answers %d", a.status)
	}
	if a := call(t, s, "POST", "/signature_request/cancel/"+open, ""); a.status != 200 {
		t.Errorf("second cancel while queued: %d", a.status)
	}
	time.Sleep(150 * time.Millisecond)
	if a := call(t, s, "GET", "/signature_request/"+open, ""); a.status != 410 || a.errName(t) != "deleted" {
		t.Errorf("after the delay: %d %s", a.status, a.body)
	}
	if ids := listIDs(t, s, ""); len(ids) != 2 {
		t.Errorf("a canceled request still lists: %v", ids)
	}
	if a := call(t, s, "POST", "/signature_request/cancel/"+open, ""); a.status != 410 {
		t.Errorf("cancel of a canceled request: %d", a.status)
	}
	for _, id := range []string{done, notMine} {
		if a := call(t, s, "POST", "/signature_request/cancel/"+id, ""); a.status != 400 || a.errName(t) != "signature_request_cancel_failed" {
			t.Errorf("cancel %s: %d %s", id, a.status, a.body)
		}
	}
	if a := call(t, s, "POST", "/signature_request/cancel/nope", ""); a.status != 404 {
		t.Errorf("unknown: %d", a.status)
	}
	if s.Len() != 2 {
		t.Errorf("Len %d", s.Len())
	}
	if r, ok := s.Get(open); !ok || !r.Canceled {
		t.Errorf("Get of a canceled request: %v %v", ok, r.Canceled)
	}
	s.CancelNow(done)
	if a := call(t, s, "GET", "/signature_request/"+done, ""); a.status != 410 {
		t.Errorf("CancelNow: %d", a.status)
	}
}

func TestSendValidation(t *testing.T) {
	s := start(t, Options{Size: -1})
	tmpl := Template{ID: "t1", Title: "T", Roles: []string{"Buyer", "Seller"}, CCRoles: []string{"Escrow"}}
	s.AddTemplate(tmpl)
	meta11 := map[string]string{}
	for i := 0; i < 11; i++ {
		meta11["k"+strconv.Itoa(i)] = "v"
	}
	m11, _ := json.Marshal(meta11)
	cases := []struct {
		name, path, body string
		status           int
		errName, errPath string
	}{
		{"no files", "send", `{"signers":[{"name":"A","email_address":"a@example.com"}]}`, 400, "bad_request", "file_urls"},
		{"no signers", "send", `{"file_urls":["https://x.example/a.pdf"]}`, 400, "bad_request", "signers"},
		{"bad email", "send", `{"file_urls":["https://x.example/a.pdf"],"signers":[{"name":"A","email_address":"a@"}]}`, 400, "invalid_recipient", "signers[0].email_address"},
		{"bad cc", "send", `{"file_urls":["https://x.example/a.pdf"],"signers":[{"name":"A","email_address":"a@example.com"}],"cc_email_addresses":["x"]}`, 400, "invalid_recipient", "cc_email_addresses[0]"},
		{"title too long", "send", `{"file_urls":["https://x.example/a.pdf"],"signers":[{"name":"A","email_address":"a@example.com"}],"title":"` + strings.Repeat("x", 256) + `"}`, 400, "bad_request", "title"},
		{"11 metadata keys", "send", `{"file_urls":["https://x.example/a.pdf"],"signers":[{"name":"A","email_address":"a@example.com"}],"metadata":` + string(m11) + `}`, 400, "bad_request", "metadata"},
		{"long metadata value", "send", `{"file_urls":["https://x.example/a.pdf"],"signers":[{"name":"A","email_address":"a@example.com"}],"metadata":{"k":"` + strings.Repeat("x", 1001) + `"}}`, 400, "bad_request", "metadata"},
		{"not JSON", "send", `{`, 400, "bad_request", ""},
		{"expired file url", "send", `{"file_urls":["` + s.Root + `/files/nope/x.pdf"],"signers":[{"name":"A","email_address":"a@example.com"}]}`, 400, "bad_request", "file_urls[0]"},
		{"unknown template", "send_with_template", `{"template_ids":["zz"],"signers":[{"role":"Buyer","name":"A","email_address":"a@example.com"}]}`, 400, "bad_request", "template_ids[0]"},
		{"missing role", "send_with_template", `{"template_ids":["t1"],"signers":[{"role":"Buyer","name":"A","email_address":"a@example.com"}]}`, 400, "bad_request", "signers"},
		{"unknown role", "send_with_template", `{"template_ids":["t1"],"signers":[{"role":"buyer","name":"A","email_address":"a@example.com"},{"role":"Seller","name":"B","email_address":"b@example.com"}]}`, 400, "bad_request", "signers[0].role"},
		{"missing cc role", "send_with_template", `{"template_ids":["t1"],"signers":[{"role":"Buyer","name":"A","email_address":"a@example.com"},{"role":"Seller","name":"B","email_address":"b@example.com"}]}`, 400, "bad_request", "ccs"},
		{"unknown cc role", "send_with_template", `{"template_ids":["t1"],"ccs":[{"role":"escrow","email_address":"e@example.com"}],"signers":[{"role":"Buyer","name":"A","email_address":"a@example.com"},{"role":"Seller","name":"B","email_address":"b@example.com"}]}`, 400, "bad_request", "ccs[0].role"},
		{"boolean custom field", "send_with_template", `{"template_ids":["t1"],"ccs":[{"role":"Escrow","email_address":"e@example.com"}],"custom_fields":[{"name":"Rush","value":true}],"signers":[{"role":"Buyer","name":"A","email_address":"a@example.com"},{"role":"Seller","name":"B","email_address":"b@example.com"}]}`, 400, "bad_request", "custom_fields[0].value"},
	}
	for _, tc := range cases {
		a := call(t, s, "POST", "/signature_request/"+tc.path, tc.body)
		m := a.json(t)
		e, _ := m["error"].(map[string]any)
		if a.status != tc.status || e["error_name"] != tc.errName || (tc.errPath != "" && e["error_path"] != tc.errPath) {
			t.Errorf("%s: %d %s", tc.name, a.status, a.body)
		}
	}
	if s.Len() != 0 {
		t.Errorf("invalid sends created %d requests", s.Len())
	}

	// Valid sends: metadata echoed as the vendor does (scalars as strings).
	a := call(t, s, "POST", "/signature_request/send", `{"file_urls":["https://x.example/a.pdf"],"title":"NDA","test_mode":true,
		"signers":[{"name":"Jack","email_address":"jack@example.com","order":0},{"name":"Jill","email_address":"jill@example.com","order":1}],
		"metadata":{"custom_id":1234,"custom_text":"NDA #9","nested":{"a":1}}}`)
	if a.status != 200 {
		t.Fatalf("send: %d %s", a.status, a.body)
	}
	sr := a.json(t)["signature_request"].(map[string]any)
	md := sr["metadata"].(map[string]any)
	if md["custom_id"] != "1234" || md["custom_text"] != "NDA #9" || md["nested"].(map[string]any)["a"] != 1.0 || sr["test_mode"] != true {
		t.Errorf("send answer %s", a.body)
	}
	a = call(t, s, "POST", "/signature_request/send_with_template", `{"template_ids":["t1"],"ccs":[{"role":"Escrow","email_address":"e@example.com"}],
		"signers":[{"role":"Seller","name":"S","email_address":"s@example.com"},{"role":"Buyer","name":"B","email_address":"b@example.com"}]}`)
	if a.status != 200 {
		t.Fatalf("send_with_template: %d %s", a.status, a.body)
	}
	sr = a.json(t)["signature_request"].(map[string]any)
	sigs := sr["signatures"].([]any)
	if sigs[0].(map[string]any)["signer_role"] != "Buyer" || sr["cc_email_addresses"].([]any)[0] != "e@example.com" {
		t.Errorf("template send %s", a.body)
	}
	if s.Len() != 2 {
		t.Errorf("Len %d after two sends", s.Len())
	}
	if q := call(t, s, "GET", "/account", "").json(t)["account"].(map[string]any)["quotas"].(map[string]any)["api_signature_requests_left"]; q != 1249.0 {
		t.Errorf("quota %v: one live send should have used one", q)
	}
}

func TestFilesAndRemind(t *testing.T) {
	s := start(t, Options{Size: -1})
	id := s.Add(SignatureRequest{Title: "Disclosure (Seller)", RequesterEmailAddress: ptr(DefaultOwner),
		Signatures: []Signature{{SignerEmailAddress: "a@example.com", SignerName: ptr("A")}, {SignerEmailAddress: "b@example.com", StatusCode: "signed"}}})
	a := call(t, s, "GET", "/signature_request/files_as_file_url/"+id+"?force_download=0", "")
	m := a.json(t)
	fileURL, _ := m["file_url"].(string)
	if a.status != 200 || !strings.HasPrefix(fileURL, s.Root+"/files/") || m["expires_at"].(float64) < float64(time.Now().Unix()) {
		t.Fatalf("file url: %d %s", a.status, a.body)
	}
	resp, err := http.Get(fileURL)
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF-1.4")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
		t.Errorf("file: %s %q", resp.Header.Get("Content-Type"), pdf[:min(20, len(pdf))])
	}
	if resp, _ := http.Get(s.Root + "/files/forged/x.pdf"); resp.StatusCode != 403 {
		t.Errorf("forged file url: %d", resp.StatusCode)
	}
	s.Modify(id, func(r *SignatureRequest) { r.FilesPreparing = true })
	if a := call(t, s, "GET", "/signature_request/files_as_file_url/"+id, ""); a.status != 409 || a.errName(t) != "conflict" {
		t.Errorf("preparing: %d %s", a.status, a.body)
	}
	s.Modify(id, func(r *SignatureRequest) { r.FilesPreparing, r.HasError = false, true })
	if a := call(t, s, "GET", "/signature_request/files_as_file_url/"+id, ""); a.status != 422 || a.errName(t) != "unprocessable_entity" {
		t.Errorf("error state: %d %s", a.status, a.body)
	}

	if a := call(t, s, "POST", "/signature_request/remind/"+id, `{"email_address":"a@example.com"}`); a.status != 200 {
		t.Errorf("remind: %d %s", a.status, a.body)
	}
	for _, tc := range []struct{ body, name string }{
		{`{"email_address":"a@example.com"}`, "invalid_reminder"}, // within the hour
		{`{"email_address":"b@example.com"}`, "invalid_reminder"}, // already signed
		{`{"email_address":"z@example.com"}`, "bad_request"},
		{`{}`, "bad_request"},
	} {
		if a := call(t, s, "POST", "/signature_request/remind/"+id, tc.body); a.status != 400 || a.errName(t) != tc.name {
			t.Errorf("remind %s: %d %s", tc.body, a.status, a.body)
		}
	}
}

func TestRateLimits(t *testing.T) {
	s := start(t, Options{Size: 1, RateLimit: 2, SendRateLimit: 1, TestModeRateLimit: 1, RateWindow: time.Hour,
		APIKeys: []string{key, "second-key-7a7a"}})
	for i := 0; i < 2; i++ {
		a := call(t, s, "GET", "/account", "")
		if a.status != 200 || a.header.Get("X-RateLimit-Limit") != "2" || a.header.Get("X-RateLimit-Remaining") != strconv.Itoa(1-i) {
			t.Fatalf("call %d: %d %v", i, a.status, a.header)
		}
		reset, _ := strconv.ParseInt(a.header.Get("X-Ratelimit-Reset"), 10, 64)
		if d := time.Until(time.Unix(reset, 0)); d < 59*time.Minute || d > 61*time.Minute {
			t.Errorf("reset in %v", d)
		}
	}
	a := call(t, s, "GET", "/account", "")
	if a.status != 429 || a.errName(t) != "exceeded_rate" || a.header.Get("X-RateLimit-Remaining") != "0" || a.header.Get("X-Ratelimit-Reset") == "" {
		t.Errorf("third call: %d %v %s", a.status, a.header, a.body)
	}
	// Per key.
	if a := call(t, s, "GET", "/account", "", "Basic "+b64("second-key-7a7a:")); a.status != 200 {
		t.Errorf("the second key shares the first one's budget: %d", a.status)
	}
	// Sends use their own tier; test-mode sends yet another.
	send := func(test bool) int {
		return call(t, s, "POST", "/signature_request/send", `{"file_urls":["https://x.example/a.pdf"],"test_mode":`+strconv.FormatBool(test)+
			`,"signers":[{"name":"A","email_address":"a@example.com"}]}`).status
	}
	if send(false) != 200 || send(false) != 429 || send(true) != 200 || send(true) != 429 {
		t.Error("send tiers: want one live and one test-mode send per window")
	}
	if a := call(t, s, "GET", "/signature_request/files_as_file_url/x", ""); a.status != 429 {
		t.Errorf("files_as_file_url counts against the send tier: %d", a.status)
	}
	// Disabled limits send no headers.
	off := start(t, Options{Size: 1, RateLimit: -1})
	if a := call(t, off, "GET", "/account", ""); a.header.Get("X-RateLimit-Limit") != "" {
		t.Error("headers with the limit disabled")
	}
}

func TestFaultInjection(t *testing.T) {
	s := start(t, Options{Size: 3})
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path string) (*http.Response, []byte, error) {
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		req.SetBasicAuth(key, "")
		resp, err := hc.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}
	s.SetFaults(Faults{ResetRate: 1, Limit: 1})
	if _, _, err := get("/account"); err == nil {
		t.Error("reset: no transport error")
	}
	if resp, _, err := get("/account"); err != nil || resp.StatusCode != 200 {
		t.Errorf("after Times=1: %v", err)
	}
	s.SetFaults(Faults{HTML5xxRate: 1})
	resp, body, _ := get("/account")
	if resp.StatusCode != 502 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !bytes.Contains(body, []byte("<title>502 Bad Gateway</title>")) {
		t.Errorf("html: %d %s", resp.StatusCode, body)
	}
	s.SetFaults(Faults{ErrorRate: 1})
	if resp, body, _ := get("/account"); resp.StatusCode != 500 || !bytes.Contains(body, []byte(`"error_name":"unknown"`)) {
		t.Errorf("error: %d %s", resp.StatusCode, body)
	}
	s.SetFaults(Faults{MalformedRate: 1})
	if resp, body, _ := get("/account"); resp.StatusCode != 200 || json.Valid(body) {
		t.Errorf("malformed: %d valid=%v", resp.StatusCode, json.Valid(body))
	}
	s.SetFaults(Faults{TruncateRate: 1})
	if _, body, _ := get("/account"); json.Valid(body) || len(body) == 0 {
		t.Errorf("truncated: %q", body)
	}
	s.SetFaults(Faults{ErrorRate: 1, Ops: []string{"/signature_request/list"}})
	if resp, _, _ := get("/account"); resp.StatusCode != 200 {
		t.Error("Match did not limit the fault")
	}
	s.SetFaults(Faults{ErrorRate: 1, Skip: 1, Limit: 1})
	codes := []int{}
	for i := 0; i < 3; i++ {
		resp, _, _ := get("/account")
		codes = append(codes, resp.StatusCode)
	}
	if codes[0] != 200 || codes[1] != 500 || codes[2] != 200 {
		t.Errorf("Skip 1, Times 1: %v", codes)
	}
	s.SetFaults(Faults{Latency: 80 * time.Millisecond})
	start := time.Now()
	_, _, _ = get("/account")
	if time.Since(start) < 80*time.Millisecond {
		t.Error("no latency")
	}
	// A partial rate injects about that share.
	s.SetFaults(Faults{ErrorRate: 0.3})
	n := 0
	for i := 0; i < 100; i++ {
		if resp, _, _ := get("/account"); resp.StatusCode == 500 {
			n++
		}
	}
	if n < 12 || n > 50 {
		t.Errorf("ErrorRate 0.3 failed %d of 100", n)
	}
	s.SetFaults(Faults{})
	recs := s.Requests()
	if recs[0].Fault != "reset" || recs[0].Status != 0 || recs[2].Fault != "html5xx" {
		t.Errorf("log: %+v", recs[:3])
	}
}

func TestHelpers(t *testing.T) {
	s := start(t, Options{Seed: 5, Size: 10})
	if s.Len() != 10 || len(s.IDs()) != 10 || len(s.Templates()) != 6 {
		t.Fatalf("Len %d IDs %d templates %d", s.Len(), len(s.IDs()), len(s.Templates()))
	}
	id := s.IDs()[0]
	r, _ := s.Get(id)
	r.Title = "changed"
	r.Signatures[0].SignerEmailAddress = "changed@example.com"
	if again, _ := s.Get(id); again.Title == "changed" || again.Signatures[0].SignerEmailAddress == "changed@example.com" {
		t.Error("Get returned shared state")
	}
	nid := s.Add(SignatureRequest{Title: "New", Signatures: []Signature{{SignerEmailAddress: "n@example.com"}}})
	n, _ := s.Get(nid)
	if len(nid) != 40 || n.CreatedAt == 0 || n.Signatures[0].SignatureID == "" || n.Signatures[0].StatusCode != "awaiting_signature" ||
		!strings.HasSuffix(n.DetailsURL, nid) || n.SigningURL == nil || s.IDs()[0] != nid {
		t.Errorf("Add: %+v", n)
	}
	if !s.Modify(nid, func(r *SignatureRequest) { r.Title = "Renamed" }) || s.Modify("nope", func(*SignatureRequest) {}) {
		t.Error("Modify")
	}
	if s.Count("GET", "/v3") != 0 {
		t.Error("Count before any call")
	}
	call(t, s, "GET", "/signature_request/"+nid, "")
	if s.Count("GET", "/v3/signature_request/") != 1 {
		t.Error("Count after a call")
	}
	s.ClearRequests()
	if len(s.Requests()) != 0 {
		t.Error("ClearRequests")
	}
	// The emulator's JSON keeps non-nullable collections as [] and {}.
	a := call(t, s, "GET", "/signature_request/"+nid, "")
	for _, f := range []string{`"metadata":{}`, `"cc_email_addresses":[]`, `"custom_fields":[]`, `"template_ids":null`} {
		if !bytes.Contains(a.body, []byte(f)) {
			t.Errorf("body lacks %s: %s", f, a.body)
		}
	}
	// A fixed port.
	fixed := start(t, Options{Size: 1, Addr: "127.0.0.1:0"})
	if !strings.HasPrefix(fixed.URL, "http://127.0.0.1:") || !strings.HasSuffix(fixed.URL, "/v3") {
		t.Errorf("URL %q", fixed.URL)
	}
	if _, err := NewServer(Options{Addr: "256.0.0.1:1"}); err == nil {
		t.Error("a bad address did not fail")
	}
}

// TestIncrementalQueries (issue 9 item 2): the queries an incremental
// refresh uses work, `created:` ranges and the open listing, and a new
// send stays out of them for SearchDelay (the search index lag) while a
// plain list shows it at once.
func TestIncrementalQueries(t *testing.T) {
	s := start(t, Options{Size: 40, Seed: 3, SearchDelay: time.Hour, RateLimit: -1, SendRateLimit: -1, TestModeRateLimit: -1})
	count := func(q string) int {
		t.Helper()
		a := call(t, s, "GET", "/signature_request/list?page_size=100&query="+url.QueryEscape(q), "")
		if a.status != 200 {
			t.Fatalf("%s: %d %s", q, a.status, a.body)
		}
		return len(a.json(t)["signature_requests"].([]any))
	}
	open, all := 0, 0
	var newest time.Time
	for _, id := range s.IDs() {
		r, _ := s.Get(id)
		if !r.IsComplete && !r.IsDeclined && s.own(&r) {
			open++
		}
		if s.own(&r) {
			all++
			if c := time.Unix(r.CreatedAt, 0); c.After(newest) {
				newest = c
			}
		}
	}
	if got := count("complete:false AND declined:false"); got != open {
		t.Errorf("open listing: %d, want %d", got, open)
	}
	day := newest.UTC().Format("2006-01-02")
	since := count("created:[" + day + " TO *]")
	if since == 0 || since > all {
		t.Errorf("created since %s: %d of %d", day, since, all)
	}
	if got := count("created:[* TO *]"); got != all {
		t.Errorf("created:[* TO *] %d, want %d", got, all)
	}
	// A new send: listed at once, found by the queries only after the lag.
	a := call(t, s, "POST", "/signature_request/send", `{"file_urls":["https://x.example/a.pdf"],"title":"Zyzzyva",
		"signers":[{"name":"A","email_address":"a@example.com"}]}`)
	if a.status != 200 {
		t.Fatalf("send: %d %s", a.status, a.body)
	}
	if count("title:Zyzzyva") != 0 || count("complete:false AND declined:false") != open {
		t.Errorf("the new send is found by a search before the index lag passed")
	}
	plain := call(t, s, "GET", "/signature_request/list?page_size=100", "")
	if n := len(plain.json(t)["signature_requests"].([]any)); n != all+1 {
		t.Errorf("plain list %d, want %d with the new send", n, all+1)
	}
}

// TestClockOption: runtime events follow Options.Clock, so a test sees a
// queued cancel complete by moving the clock, without waiting.
func TestClockOption(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := start(t, Options{Size: 5, Seed: 4, CancelDelay: time.Hour, Clock: clock, RateLimit: -1})
	var id string
	for _, x := range s.IDs() {
		if r, _ := s.Get(x); !r.IsComplete && !r.IsDeclined && r.RequesterEmailAddress != nil && *r.RequesterEmailAddress == s.Owner() {
			id = x
			break
		}
	}
	if id == "" {
		t.Skip("seed 4 has no open request of the owner")
	}
	if a := call(t, s, "POST", "/signature_request/cancel/"+id, ""); a.status != 200 {
		t.Fatalf("cancel: %d %s", a.status, a.body)
	}
	if a := call(t, s, "GET", "/signature_request/"+id, ""); a.status != 200 {
		t.Fatalf("before the delay: %d", a.status)
	}
	mu.Lock()
	now = now.Add(time.Hour + time.Second)
	mu.Unlock()
	if a := call(t, s, "GET", "/signature_request/"+id, ""); a.status != 410 {
		t.Errorf("after the clock passed the cancel delay: %d, want 410", a.status)
	}
	if r := s.Requests(); r[0].Op != "cancel" || r[1].Op != "get" {
		t.Errorf("ops %q %q", r[0].Op, r[1].Op)
	}
}

// TestSearchIndexLagsChanges (issue 9 item 2): a request completed or
// canceled is still found in its old state by searches (the open listing)
// until SearchDelay has passed on the emulator's clock; a plain list
// shows the change at once.
func TestSearchIndexLagsChanges(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s := start(t, Options{Size: -1, Clock: clock, SearchDelay: time.Minute, RateLimit: -1})
	owner := s.Owner()
	a := s.Add(SignatureRequest{Title: "A", RequesterEmailAddress: &owner, Signatures: []Signature{{SignerEmailAddress: "x@example.com"}}})
	b := s.Add(SignatureRequest{Title: "B", RequesterEmailAddress: &owner, Signatures: []Signature{{SignerEmailAddress: "y@example.com"}}})
	ids := func(q string) []string {
		t.Helper()
		path := "/signature_request/list?page_size=100"
		if q != "" {
			path += "&query=" + url.QueryEscape(q)
		}
		ans := call(t, s, "GET", path, "")
		var out []string
		for _, r := range ans.json(t)["signature_requests"].([]any) {
			out = append(out, r.(map[string]any)["signature_request_id"].(string))
		}
		sort.Strings(out)
		return out
	}
	open := "complete:false AND declined:false"
	both := []string{a, b}
	sort.Strings(both)
	if got := ids(open); !slices.Equal(got, both) {
		t.Fatalf("open before any change: %v", got)
	}
	s.Modify(a, func(r *SignatureRequest) { r.IsComplete = true })
	s.CancelNow(b)
	if got := ids(open); !slices.Equal(got, both) {
		t.Errorf("open listing within the lag: %v, want the stale %v", got, both)
	}
	if got := ids(""); len(got) != 1 || got[0] != a {
		t.Errorf("plain list: %v, want only %s (b canceled)", got, a)
	}
	advance(time.Minute + time.Second)
	if got := ids(open); len(got) != 0 {
		t.Errorf("open listing after the lag: %v, want none", got)
	}
	if got := ids("complete:true"); len(got) != 1 || got[0] != a {
		t.Errorf("complete:true after the lag: %v", got)
	}
}
