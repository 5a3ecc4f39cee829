package dropboxsign

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

func TestNewValidates(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"empty key", Config{Account: "a"}, "API key is empty"},
		{"blank key", Config{Account: "a", APIKey: "   "}, "API key is empty"},
		{"key with a colon", Config{Account: "a", APIKey: "ab:cd" + testKey}, "colon"},
		{"plain http to a remote host", Config{Account: "a", APIKey: testKey, BaseURL: "http://api.example.com/v3"}, "https"},
		{"user info in the URL", Config{Account: "a", APIKey: testKey, BaseURL: "https://" + testKey + ":@api.example.com/v3"}, "user name"},
	}
	for _, tc := range cases {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New error %v, want one mentioning %q", tc.name, err, tc.want)
			continue
		}
		assertNoSecret(t, tc.name, err.Error())
	}
	c, err := New(Config{Account: "a", APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if c.http.BaseURL() != DefaultBaseURL {
		t.Errorf("default base URL %q", c.http.BaseURL())
	}
	caps := c.Capabilities()
	if !caps.Cancel || !caps.AsyncCancel || !caps.Copy || !caps.Query || caps.LiteList ||
		strings.Join(caps.CopyOptions, ",") != "test_mode,cancel_original,allow_signed_source" ||
		caps.Limits.MaxTitle != 255 || caps.Limits.MaxSubject != 255 || caps.Limits.MaxMessage != 5000 {
		t.Errorf("capabilities %+v", caps)
	}
	if c.Kind() != models.DropboxSign || c.Account() != "a" {
		t.Errorf("kind/account %v %v", c.Kind(), c.Account())
	}
}

func TestVerifyAndAuth(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 1, Size: 3})
	info, err := e.c.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Who != dropboxsigntest.DefaultOwner || !strings.Contains(info.Detail, "1250 API signature requests left") {
		t.Errorf("verify: %+v", info)
	}
	// The key travels as the Basic user name with an empty password: the
	// emulator refuses anything else, so a wrong key is a 401.
	bad, err := New(Config{Account: "dbx", BaseURL: e.srv.URL, APIKey: "wrong-" + testKey})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Verify(context.Background())
	pe := checkErr(t, err, providers.ErrUnauthorized)
	if pe.Status != 401 || pe.Name != "unauthorized" || pe.Account != "dbx" || pe.Provider != "dropboxsign" {
		t.Errorf("401: %+v", pe)
	}
	if recs := e.srv.Requests(); recs[len(recs)-1].KeyIndex != -1 || recs[0].KeyIndex != 0 {
		t.Errorf("emulator key indexes: %+v", recs)
	}
}

func listAll(t *testing.T, c *Client, q providers.ListQuery) ([]models.Session, []providers.Page) {
	t.Helper()
	var all []models.Session
	var pages []providers.Page
	err := c.List(context.Background(), q, func(p providers.Page) error {
		all = append(all, p.Sessions...)
		pages = append(pages, providers.Page{Page: p.Page, Pages: p.Pages, Total: p.Total})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all, pages
}

func TestListPagesUntilNumPages(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 3, Size: 320})
	all, pages := listAll(t, e.c, providers.ListQuery{})
	own := 0
	for _, id := range e.srv.IDs() {
		r, _ := e.srv.Get(id)
		if *r.RequesterEmailAddress == e.srv.Owner() {
			own++
		}
	}
	if len(all) != own || own <= 200 {
		t.Fatalf("listed %d, the account owns %d (want > 200 for three pages)", len(all), own)
	}
	if len(pages) != 3 || pages[0].Pages != 3 || pages[2].Page != 3 || pages[0].Total != own {
		t.Errorf("pages %+v", pages)
	}
	seen := map[string]bool{}
	for i, s := range all {
		if seen[s.Ref.ID] {
			t.Fatalf("%s listed twice", s.Ref.ID)
		}
		seen[s.Ref.ID] = true
		if !s.Complete || s.Ref.Account != "dbx" {
			t.Fatalf("session %d: %+v", i, s)
		}
		if i > 0 && s.CreatedAt.After(all[i-1].CreatedAt) {
			t.Fatalf("not newest first at %d", i)
		}
	}
	for i, r := range e.srv.Requests() {
		q, _ := url.ParseQuery(r.RawQuery)
		if q.Get("page_size") != "100" || q.Get("page") != fmt.Sprint(i+1) || q.Has("account_id") || q.Has("query") {
			t.Errorf("request %d: %s?%s", i, r.Path, r.RawQuery)
		}
	}

	// Team: account_id=all lists every member's requests.
	e.srv.ClearRequests()
	team := newEnv(t, dropboxsigntest.Options{Seed: 3, Size: 320}, tuneConfig(func(c *Config) { c.Team = true }))
	tall, _ := listAll(t, team.c, providers.ListQuery{})
	if len(tall) != 320 {
		t.Errorf("team list %d, want 320", len(tall))
	}
	reqs := team.srv.Requests()
	if reqs[0].Path != "/v3/account" {
		t.Errorf("a team listing first learns the account's email; first request %s", reqs[0].Path)
	}
	if q, _ := url.ParseQuery(reqs[1].RawQuery); q.Get("account_id") != "all" {
		t.Errorf("team list query %q", reqs[1].RawQuery)
	}
	// A teammate's request says why it cannot be canceled; the owner's
	// own requests do not.
	var mine, theirs int
	for _, s := range tall {
		switch {
		case strings.EqualFold(s.Requester, team.srv.Owner()):
			mine++
			if s.NotCancelable != "" {
				t.Fatalf("own request marked: %q", s.NotCancelable)
			}
		case s.Requester != "":
			theirs++
			if s.NotCancelable != "sent by "+s.Requester+"; Dropbox Sign lets only the sender cancel or change it" {
				t.Fatalf("teammate's request %s: NotCancelable %q", s.Ref.ID, s.NotCancelable)
			}
			if s.Status.Cancelable() && s.CancelBlockedReason() != s.NotCancelable {
				t.Fatalf("CancelBlockedReason = %q", s.CancelBlockedReason())
			}
		}
	}
	if mine == 0 || theirs == 0 {
		t.Fatalf("fixture has %d own and %d teammates' requests", mine, theirs)
	}
	if _, err := team.c.Cancel(context.Background(), func() string {
		for _, s := range tall {
			if s.NotCancelable != "" && s.Status.Cancelable() {
				return s.Ref.ID
			}
		}
		t.Fatal("no cancelable teammate request in the fixture")
		return ""
	}()); err == nil {
		t.Error("the emulator let a teammate's request be canceled: the marking would be wrong")
	}

	// MaxPages stops early; an error from fn stops the listing.
	_, pages = listAll(t, e.c, providers.ListQuery{MaxPages: 2})
	if len(pages) != 2 {
		t.Errorf("MaxPages 2: %d pages", len(pages))
	}
	stop := errors.New("enough")
	n := 0
	err := e.c.List(context.Background(), providers.ListQuery{}, func(providers.Page) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("fn error: %v after %d pages", err, n)
	}
	// No list buckets on Dropbox Sign.
	checkErr(t, e.c.List(context.Background(), providers.ListQuery{Bucket: "archived"}, func(providers.Page) error { return nil }), providers.ErrInvalid)
}

func TestListQueryEncoding(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 4, Size: 150})
	// complete:false AND declined:false: spaces go out as '+', which the
	// server reads as spaces; no %2B or %20.
	got, _ := listAll(t, e.c, providers.ListQuery{Text: "complete:false AND declined:false"})
	raw := e.srv.Requests()[0].RawQuery
	if !strings.Contains(raw, "query=complete%3Afalse+AND+declined%3Afalse") || strings.Contains(raw, "%2B") || strings.Contains(raw, "%20") {
		t.Errorf("query sent as %q", raw)
	}
	want := 0
	for _, id := range e.srv.IDs() {
		r, _ := e.srv.Get(id)
		if *r.RequesterEmailAddress == e.srv.Owner() && !r.IsComplete && !r.IsDeclined {
			want++
		}
	}
	if len(got) != want || want == 0 {
		t.Errorf("complete:false AND declined:false gave %d, want %d", len(got), want)
	}
	for _, s := range got {
		if s.Status == models.StatusCompleted || s.Status == models.StatusDeclined {
			t.Errorf("%s is %s", s.Ref.ID, s.Status)
		}
	}

	// A literal '+' (as in a sub-addressed email) must reach the server as
	// a plus, i.e. %2B on the wire.
	id := e.srv.Add(dropboxsigntest.SignatureRequest{Title: "Counter Offer - 12 Elm St", RequesterEmailAddress: ptrTo(e.srv.Owner()),
		Signatures: []dropboxsigntest.Signature{{SignerEmailAddress: "ana+offers@example.com", SignerName: ptrTo("Ana Ruiz")}}})
	e.srv.Add(dropboxsigntest.SignatureRequest{Title: "Decoy", RequesterEmailAddress: ptrTo(e.srv.Owner()),
		Signatures: []dropboxsigntest.Signature{{SignerEmailAddress: "ana offers@example.com", SignerName: ptrTo("Decoy")}}})
	e.srv.ClearRequests()
	got, _ = listAll(t, e.c, providers.ListQuery{Text: "to:ana+offers@example.com"})
	if raw := e.srv.Requests()[0].RawQuery; !strings.Contains(raw, "query=to%3Aana%2Boffers%40example.com") {
		t.Errorf("plus sent as %q", raw)
	}
	if len(got) != 1 || got[0].Ref.ID != id {
		t.Errorf("to:ana+offers@example.com found %d requests", len(got))
	}

	// A multi-word title term, OR, and a metadata search.
	got, _ = listAll(t, e.c, providers.ListQuery{Text: "title:Counter Offer - 12 Elm OR title:Decoy"})
	if len(got) != 2 {
		t.Errorf("OR query found %d", len(got))
	}
	e.srv.Modify(id, func(r *dropboxsigntest.SignatureRequest) { r.Metadata = map[string]any{"deal": "HL-42-ABC"} })
	got, _ = listAll(t, e.c, providers.ListQuery{Text: "metadata:HL-42-ABC"})
	if len(got) != 1 || got[0].Metadata["deal"] != "HL-42-ABC" {
		t.Errorf("metadata search found %v", got)
	}
	// A leading wildcard is refused by the vendor's search.
	err := e.c.List(context.Background(), providers.ListQuery{Text: "title:*Offer"}, func(providers.Page) error { return nil })
	if pe := checkErr(t, err, providers.ErrInvalid); pe.Path != "query" {
		t.Errorf("leading wildcard: %+v", pe)
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestGetAndRemind(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 5, Size: 10})
	ctx := context.Background()
	id := e.srv.Add(dropboxsigntest.SignatureRequest{
		Title: "Lease Renewal - 9 Oak Ct", Subject: ptrTo("Renewal"), RequesterEmailAddress: ptrTo(e.srv.Owner()),
		Metadata: map[string]any{"unit": map[string]any{"no": "4B"}}, CCEmailAddresses: []string{"tc@example.com"},
		Signatures: []dropboxsigntest.Signature{
			{SignerEmailAddress: "t@example.com", SignerName: ptrTo("Tess Tenant"), SignerRole: ptrTo("Tenant"), Order: ptrTo(0), StatusCode: "signed", SignedAt: ptrTo(time.Now().Unix())},
			{SignerEmailAddress: "l@example.com", SignerName: ptrTo("Lou Landlord"), SignerRole: ptrTo("Landlord"), Order: ptrTo(1)},
		}})
	s, err := e.c.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if s.Title != "Lease Renewal - 9 Oak Ct" || s.Subject != "Renewal" || s.Status != models.StatusAwaitingSignature ||
		s.Metadata["unit"] != `{"no":"4B"}` || s.CC[0] != "tc@example.com" || len(s.Signers) != 2 ||
		s.Signers[0].Status != models.SignerSigned || s.Signers[1].Status != models.SignerAwaiting || s.Signers[1].Order != 1 ||
		!strings.HasSuffix(s.URL, "/home/manage?guid="+id) {
		t.Errorf("get: %+v", s)
	}
	if n, d := s.SignedCount(); n != 1 || d != 2 {
		t.Errorf("signed %d/%d", n, d)
	}
	_, err = e.c.Get(ctx, "deadbeef")
	checkErr(t, err, providers.ErrNotFound)
	before := len(e.srv.Requests())
	_, err = e.c.Get(ctx, "bad id")
	checkErr(t, err, providers.ErrInvalid)
	if len(e.srv.Requests()) != before {
		t.Error("an invalid id was sent to the server")
	}
	// An id with characters that need escaping stays one path segment.
	_, err = e.c.Get(ctx, "a/b?c")
	checkErr(t, err, providers.ErrNotFound)
	if last := e.srv.Requests()[len(e.srv.Requests())-1]; last.Path != "/v3/signature_request/a%2Fb%3Fc" || last.RawQuery != "" {
		t.Errorf("escaped id arrived as %q ? %q", last.Path, last.RawQuery)
	}

	// Remind.
	if err := e.c.Remind(ctx, id, "l@example.com"); err != nil {
		t.Fatal(err)
	}
	r, _ := e.srv.Get(id)
	if r.Signatures[1].LastRemindedAt == nil {
		t.Error("the emulator recorded no reminder")
	}
	last := e.srv.Requests()[len(e.srv.Requests())-1]
	if last.Method != "POST" || string(last.Body) != `{"email_address":"l@example.com"}` {
		t.Errorf("remind sent %s %s", last.Method, last.Body)
	}
	pe := checkErr(t, e.c.Remind(ctx, id, "l@example.com"), providers.ErrInvalid)
	if pe.Name != "invalid_reminder" || !strings.Contains(pe.Message, "1 hour") {
		t.Errorf("second reminder: %+v", pe)
	}
	before = len(e.srv.Requests())
	pe = checkErr(t, e.c.Remind(ctx, id, "Lou <l@example.com>"), providers.ErrInvalid)
	if pe.Path != "email_address" || len(e.srv.Requests()) != before {
		t.Errorf("bad email: %+v (sent: %v)", pe, len(e.srv.Requests()) != before)
	}
	pe = checkErr(t, e.c.Remind(ctx, id, "nobody@example.com"), providers.ErrInvalid)
	if pe.Path != "email_address" {
		t.Errorf("not a signer: %+v", pe)
	}
}

func TestCancelIsAsynchronous(t *testing.T) {
	delay := 300 * time.Millisecond
	e := newEnv(t, dropboxsigntest.Options{Seed: 6, Size: 5, CancelDelay: delay})
	ctx := context.Background()
	id := e.srv.Add(dropboxsigntest.SignatureRequest{Title: "Counter Offer", RequesterEmailAddress: ptrTo(e.srv.Owner()),
		Signatures: []dropboxsigntest.Signature{{SignerEmailAddress: "b@example.com", SignerName: ptrTo("B")}}})
	start := time.Now()
	res, err := e.c.Cancel(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != models.StatusCancelPending {
		t.Errorf("cancel result %+v, want cancel_pending", res)
	}
	// Queued: the vendor still shows it open, signdeck shows the pending cancel.
	st, err := e.c.CancelStatus(ctx, id)
	if err != nil || st != models.StatusCancelPending {
		t.Fatalf("right after the cancel: %v %v", st, err)
	}
	if s, _ := e.c.Get(ctx, id); s.Status != models.StatusCancelPending {
		t.Errorf("get right after the cancel: %v", s.Status)
	}
	listed := false
	all, _ := listAll(t, e.c, providers.ListQuery{})
	for _, s := range all {
		if s.Ref.ID == id {
			listed = s.Status == models.StatusCancelPending
		}
	}
	if !listed {
		t.Error("the list does not show the pending cancel")
	}
	for st != models.StatusCanceled {
		time.Sleep(20 * time.Millisecond)
		if st, err = e.c.CancelStatus(ctx, id); err != nil {
			t.Fatalf("CancelStatus: %v %v", st, err)
		}
	}
	if el := time.Since(start); el < delay {
		t.Errorf("confirmed after %v, before the emulator's %v delay", el, delay)
	}
	// Gone: 410 on GET, no longer listed.
	_, err = e.c.Get(ctx, id)
	checkErr(t, err, providers.ErrGone)
	all, _ = listAll(t, e.c, providers.ListQuery{})
	for _, s := range all {
		if s.Ref.ID == id {
			t.Error("a canceled request still lists")
		}
	}
	// Canceling again: the vendor says 410.
	_, err = e.c.Cancel(ctx, id)
	checkErr(t, err, providers.ErrGone)
	// 404 on CancelStatus also counts as canceled.
	if st, err := e.c.CancelStatus(ctx, "0123456789abcdef"); err != nil || st != models.StatusCanceled {
		t.Errorf("404: %v %v", st, err)
	}
	if n := e.srv.Count("POST", "/v3/signature_request/cancel/"); n != 2 {
		t.Errorf("%d cancel POSTs, want 2", n)
	}
}

func TestCancelQueuedThenGoneIsSuccess(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 6, Size: 5, CancelDelay: time.Hour})
	ctx := context.Background()
	id := e.srv.IDs()[0]
	e.srv.Modify(id, func(r *dropboxsigntest.SignatureRequest) {
		r.IsComplete, r.IsDeclined, r.HasError = false, false, false
		r.RequesterEmailAddress = ptrTo(e.srv.Owner())
	})
	if _, err := e.c.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	e.srv.CancelNow(id)
	// A second Cancel (say, a retry after a lost answer) finds it gone:
	// that is our cancel having completed.
	res, err := e.c.Cancel(ctx, id)
	if err != nil || res.Status != models.StatusCanceled {
		t.Errorf("cancel after our queued cancel completed: %+v %v", res, err)
	}
}

func TestCancelRefusedForCompleted(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 8, Size: 5})
	id := e.srv.Add(dropboxsigntest.SignatureRequest{Title: "Done", RequesterEmailAddress: ptrTo(e.srv.Owner()), IsComplete: true,
		Signatures: []dropboxsigntest.Signature{{SignerEmailAddress: "b@example.com", SignerName: ptrTo("B"), StatusCode: "signed"}}})
	_, err := e.c.Cancel(context.Background(), id)
	pe := checkErr(t, err, providers.ErrInvalid)
	if pe.Status != 400 || pe.Name != "signature_request_cancel_failed" || !strings.Contains(pe.Message, "can no longer be cancelled") {
		t.Errorf("refusal: %+v", pe)
	}
	if r, _ := e.srv.Get(id); !r.CancelRequestedAt.IsZero() || r.Canceled {
		t.Error("the emulator queued a cancel of a completed request")
	}
	if st, _ := e.c.CancelStatus(context.Background(), id); st != models.StatusCompleted {
		t.Errorf("status after a refused cancel: %v", st)
	}
}

// canned serves fixed answers, for error classes the emulator has no
// reason to produce.
func canned(t *testing.T, status int, header http.Header, body string) (*Client, *syncBuffer) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	logs := &syncBuffer{}
	c, err := New(Config{Account: "dbx", BaseURL: srv.URL + "/v3", APIKey: testKey,
		Logger: newTestLogger(logs), Tune: func(cc *providers.ClientConfig) { cc.MaxRetries = -1 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { assertNoSecret(t, "client log", logs.String()) })
	return c, logs
}

func TestErrorClasses(t *testing.T) {
	apiErr := func(name, msg, path string) string {
		if path != "" {
			return fmt.Sprintf(`{"error":{"error_msg":%q,"error_name":%q,"error_path":%q}}`, msg, name, path)
		}
		return fmt.Sprintf(`{"error":{"error_msg":%q,"error_name":%q}}`, msg, name)
	}
	json := http.Header{"Content-Type": {"application/json"}}
	html := http.Header{"Content-Type": {"text/html"}}
	longHTML := "<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title></head><body>" +
		strings.Repeat("<p>maintenance in progress, please come back later</p>", 80) + "</body></html>"
	cases := []struct {
		name     string
		status   int
		header   http.Header
		body     string
		kind     error
		errName  string
		contains string
		path     string
	}{
		{"bad_request with path", 400, json, apiErr("bad_request", "This value should not be blank", "cc_email_addresses[0]"), providers.ErrInvalid, "bad_request", "should not be blank", "cc_email_addresses[0]"},
		{"unauthorized", 401, json, apiErr("unauthorized", "Unauthorized user. No credentials supplied.", ""), providers.ErrUnauthorized, "unauthorized", "No credentials", ""},
		{"payment_required", 402, json, apiErr("payment_required", "You must upgrade to make additional requests.", ""), providers.ErrProvider, "payment_required", "upgrade", ""},
		{"forbidden", 403, json, apiErr("forbidden", "A paid API plan is required to access this endpoint.", ""), providers.ErrForbidden, "forbidden", "paid API plan is required to access this endpoint. (the credentials were accepted", ""},
		{"team_invite_failed", 403, json, apiErr("team_invite_failed", "Invitee is already on a team.", ""), providers.ErrConflict, "team_invite_failed", "already on a team", ""},
		{"not_found", 404, json, apiErr("not_found", "Not found.", ""), providers.ErrNotFound, "not_found", "Not found.", ""},
		{"method_not_supported", 405, json, apiErr("method_not_supported", "Method not supported.", ""), providers.ErrProvider, "method_not_supported", "Method", ""},
		{"conflict", 409, json, apiErr("conflict", "An identical request is already being processed.", ""), providers.ErrConflict, "conflict", "identical", ""},
		{"deleted", 410, json, apiErr("deleted", "This resource has been deleted.", ""), providers.ErrGone, "deleted", "deleted. (Dropbox Sign answers 410 for a canceled or removed request)", ""},
		{"unprocessable", 422, json, apiErr("unprocessable_entity", "This entity is unprocessable.", ""), providers.ErrInvalid, "unprocessable_entity", "unprocessable", ""},
		{"exceeded_rate", 429, http.Header{"Content-Type": {"application/json"}, "X-Ratelimit-Reset": {fmt.Sprint(time.Now().Add(time.Hour).Unix())}, "X-Ratelimit-Limit": {"100"}, "X-Ratelimit-Remaining": {"0"}}, apiErr("exceeded_rate", "Too many requests.", ""), providers.ErrRateLimited, "exceeded_rate", "Too many", ""},
		{"unknown 500", 500, json, apiErr("unknown", "An unknown error has occurred, please try again.", ""), providers.ErrUnavailable, "unknown", "unknown error", ""},
		{"maintenance", 503, json, apiErr("maintenance", "Down for maintenance.", ""), providers.ErrUnavailable, "maintenance", "maintenance", ""},
		{"invalid_recipient", 400, json, apiErr("invalid_recipient", "Invalid recipient.", "signers[0].email_address"), providers.ErrInvalid, "invalid_recipient", "Invalid recipient", "signers[0].email_address"},
		{"unknown name falls back to the status", 418, json, apiErr("teapot_overflow", "Short and stout.", ""), providers.ErrProvider, "teapot_overflow", "stout", ""},
		{"unknown name on 404", 404, json, apiErr("gone_fishing", "No.", ""), providers.ErrNotFound, "gone_fishing", "No.", ""},
		{"huge vendor message is capped", 400, json, apiErr("bad_request", strings.Repeat("long ", 400), ""), providers.ErrInvalid, "bad_request", "long long", ""},
		{"HTML 503 page", 503, html, longHTML, providers.ErrUnavailable, "", `HTML page titled "503 Service Temporarily Unavailable"`, ""},
		{"HTML without a title", 502, html, "<html><body><h1>Bad gateway</h1></body></html>", providers.ErrUnavailable, "", "HTML page: Bad gateway", ""},
		{"truncated JSON 500", 500, json, `{"error":{"error_msg":"An unkn`, providers.ErrUnavailable, "", "broken JSON, truncated", ""},
		{"plain text 400", 400, http.Header{"Content-Type": {"text/plain"}}, "nope", providers.ErrInvalid, "", "not the documented JSON error (4 bytes of text/plain: nope)", ""},
		{"empty 404", 404, nil, "", providers.ErrNotFound, "", "Not Found", ""},
		{"200 HTML", 200, html, "<html><head><title>Login</title></head></html>", providers.ErrResponse, "", `not JSON (an HTML page titled "Login")`, ""},
		{"200 truncated", 200, json, `{"signature_request":{"signature_request_id":"ab`, providers.ErrResponse, "", "truncated", ""},
		{"200 malformed", 200, json, `{"signature_request":,}`, providers.ErrResponse, "", "malformed at byte", ""},
		{"200 wrong type", 200, json, `{"signature_request":{"created_at":"yesterday"}}`, providers.ErrResponse, "", "wrong type", ""},
		{"200 empty", 200, json, ``, providers.ErrResponse, "", "empty", ""},
		{"200 without the object", 200, json, `{"warnings":[]}`, providers.ErrResponse, "", "no signature_request", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := canned(t, tc.status, tc.header, tc.body)
			_, err := c.Get(context.Background(), "abc")
			pe := checkErr(t, err, tc.kind)
			if pe == nil {
				t.Fatalf("not a *providers.Error: %T", err)
			}
			if pe.Name != tc.errName || pe.Path != tc.path || !strings.Contains(pe.Error(), tc.contains) {
				t.Errorf("got %q (name %q, path %q); want name %q, path %q, text containing %q", pe.Error(), pe.Name, pe.Path, tc.errName, tc.path, tc.contains)
			}
			if len(pe.Message) > 400 {
				t.Errorf("message is %d bytes long: an excerpt must be capped", len(pe.Message))
			}
			if tc.kind == providers.ErrRateLimited && (pe.RetryAt.IsZero() || time.Until(pe.RetryAt) < 50*time.Minute) {
				t.Errorf("429 RetryAt %v, want the announced reset", pe.RetryAt)
			}
		})
	}
}

func TestErrorsAreCleanedAndRedacted(t *testing.T) {
	// A hostile or careless server echoes the credentials and terminal
	// escapes in its error text.
	body := fmt.Sprintf(`{"error":{"error_msg":"bad key %s (Authorization: Basic %s) \u001b]8;;http://evil\u0007click\u001b[2J","error_name":"unauthorized","error_path":"api_key=%s"}}`,
		testKey, testKeyB64, testKey)
	c, logs := canned(t, 401, http.Header{"Content-Type": {"application/json"}}, body)
	_, err := c.Get(context.Background(), "abc")
	pe := checkErr(t, err, providers.ErrUnauthorized)
	if strings.ContainsAny(pe.Error(), "\x1b\x07") || !strings.Contains(pe.Error(), providers.Redacted) {
		t.Errorf("error text %q", pe.Error())
	}
	assertNoSecret(t, "error path", pe.Path)
	// Same for an HTML page that quotes the key.
	c2, _ := canned(t, 502, http.Header{"Content-Type": {"text/html"}}, "<html><title>proxy error for "+testKey+"</title></html>")
	_, err = c2.Get(context.Background(), "abc")
	checkErr(t, err, providers.ErrUnavailable)
	// And a transport failure (nothing listens).
	c3, err := New(Config{Account: "dbx", BaseURL: "http://127.0.0.1:1/v3", APIKey: testKey, Logger: newTestLogger(logs),
		Tune: func(cc *providers.ClientConfig) { cc.MaxRetries = -1 }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c3.Get(context.Background(), "abc")
	checkErr(t, err, providers.ErrUnavailable)
	if !strings.Contains(logs.String(), "path=/v3/signature_request/abc") {
		t.Errorf("the debug log did not record the calls: %s", logs.String())
	}
	assertNoSecret(t, "log", logs.String())
}

// TestQueuedCancelsCarryAcrossClients: Dropbox Sign shows nothing of a
// queued cancel, so a second client (a later signdeck process) learns of it
// through Config.QueuedCancels, fed from Config.OnCancelQueued.
func TestQueuedCancelsCarryAcrossClients(t *testing.T) {
	var mu sync.Mutex
	queued := map[string]time.Time{}
	e := newEnv(t, dropboxsigntest.Options{Seed: 6, Size: 5, CancelDelay: time.Hour},
		tuneConfig(func(c *Config) {
			c.OnCancelQueued = func(id string, at time.Time) {
				mu.Lock()
				defer mu.Unlock()
				queued[id] = at
			}
		}))
	ctx := context.Background()
	id := e.srv.Add(dropboxsigntest.SignatureRequest{Title: "Lease", RequesterEmailAddress: ptrTo(e.srv.Owner()),
		Signatures: []dropboxsigntest.Signature{{SignerEmailAddress: "b@example.com", SignerName: ptrTo("B")}}})
	if _, err := e.c.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	at, ok := queued[id]
	mu.Unlock()
	if !ok || time.Since(at) > time.Minute {
		t.Fatalf("OnCancelQueued was not told of the cancel: %v", queued)
	}

	other := func(seed map[string]time.Time) *Client {
		c, err := New(Config{Account: "dbx", BaseURL: e.srv.URL, APIKey: testKey, QueuedCancels: seed})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Without the seed a new client sees an open request.
	if s, err := other(nil).Get(ctx, id); err != nil || s.Status != models.StatusAwaitingSignature {
		t.Fatalf("unseeded: %v %v", s.Status, err)
	}
	// With it, the request shows the pending cancel, with when.
	s, err := other(queued).Get(ctx, id)
	if err != nil || s.Status != models.StatusCancelPending || !strings.Contains(s.RawStatus, "cancel queued by signdeck at ") {
		t.Fatalf("seeded: %v %q %v", s.Status, s.RawStatus, err)
	}
	// A marker older than CancelPendingTTL is ignored (Dropbox Sign says to
	// retry a cancel not confirmed within the hour).
	if s, _ := other(map[string]time.Time{id: time.Now().Add(-CancelPendingTTL - time.Minute)}).Get(ctx, id); s.Status != models.StatusAwaitingSignature {
		t.Errorf("stale marker: %v", s.Status)
	}
	// Once the cancel completes (410), a seeded client's repeated cancel
	// is the earlier cancel having gone through.
	e.srv.CancelNow(id)
	if res, err := other(queued).Cancel(ctx, id); err != nil || res.Status != models.StatusCanceled {
		t.Errorf("cancel after the queued one completed: %+v %v", res, err)
	}
}
