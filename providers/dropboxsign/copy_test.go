package dropboxsign

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

// addFileSource adds an open, file-based request with metadata and CCs.
func addFileSource(e *env) string {
	return e.srv.Add(dropboxsigntest.SignatureRequest{
		Title: "Residential Purchase Agreement - 1423 Maple Ave", Subject: ptrTo("Purchase Agreement for 1423 Maple Ave"),
		Message: ptrTo("Please sign by Friday."), RequesterEmailAddress: ptrTo(e.srv.Owner()),
		Metadata:         map[string]any{"transaction_id": "HL-2026-00042", "property": map[string]any{"apn": "123-456-789"}},
		CCEmailAddresses: []string{"tc@harborlinerealty.com"},
		Signatures: []dropboxsigntest.Signature{
			{SignerEmailAddress: "buyer@example.com", SignerName: ptrTo("Bea Buyer"), Order: ptrTo(0)},
			{SignerEmailAddress: "seller@example.com", SignerName: ptrTo("Sam Seller"), Order: ptrTo(1)},
		}})
}

// addTemplateSource adds an open request sent from a registered template.
func addTemplateSource(e *env) (id string, tmpl dropboxsigntest.Template) {
	tmpl = dropboxsigntest.Template{ID: "tmpl0000000000000000000000000000000000001", Title: "Lease Renewal", Roles: []string{"Tenant", "Landlord"}}
	e.srv.AddTemplate(tmpl)
	id = e.srv.Add(dropboxsigntest.SignatureRequest{
		Title: "Residential Lease Renewal - 9 Oak Ct", RequesterEmailAddress: ptrTo(e.srv.Owner()), TemplateIDs: []string{tmpl.ID},
		CCEmailAddresses: []string{"broker@example.com"},
		CustomFields:     []dropboxsigntest.CustomField{{Type: "text", Name: "Property Address", Value: "9 Oak Ct"}},
		Signatures: []dropboxsigntest.Signature{
			{SignerEmailAddress: "tess@example.com", SignerName: ptrTo("Tess Tenant"), SignerRole: ptrTo("Tenant")},
			{SignerEmailAddress: "lou@example.com", SignerName: ptrTo("Lou Landlord"), SignerRole: ptrTo("Landlord")},
		}})
	return id, tmpl
}

func lastBody(t *testing.T, e *env, path string) map[string]any {
	t.Helper()
	recs := e.srv.Requests()
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Path == path {
			var m map[string]any
			if err := json.Unmarshal(recs[i].Body, &m); err != nil {
				t.Fatalf("%s body: %v", path, err)
			}
			return m
		}
	}
	t.Fatalf("no request to %s", path)
	return nil
}

func TestCopyByFileURLs(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 10, Size: 5})
	ctx := context.Background()
	id := addFileSource(e)
	src, err := e.c.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	signers := models.CopySignersFrom(&src)
	signers[1].Email = "sam.seller@example.org" // edited
	signers = append(signers, models.CopySigner{FirstName: "Ada", LastName: "Agent", Email: "ada@harborlinerealty.com", Order: 2})
	title := "Purchase Agreement (corrected) - 1423 Maple Ave"
	before := e.srv.Len()
	res, err := e.c.Copy(ctx, models.CopySpec{Source: src.Ref, Signers: signers, Title: &title})
	if err != nil {
		t.Fatal(err)
	}
	if res.Recovered || !strings.HasPrefix(res.OperationID, "sdop") || len(res.OperationID) != 30 {
		t.Errorf("result %+v", res)
	}
	if e.srv.Len() != before+1 {
		t.Errorf("emulator holds %d requests, want %d", e.srv.Len(), before+1)
	}
	if e.srv.Count("GET", "/v3/signature_request/files_as_file_url/"+id) != 1 || e.srv.Count("POST", "/v3/signature_request/send") != 1 {
		t.Errorf("requests: %+v", e.srv.Requests())
	}
	body := lastBody(t, e, "/v3/signature_request/send")
	urls, _ := body["file_urls"].([]any)
	if len(urls) != 1 || !strings.HasPrefix(urls[0].(string), e.srv.Root+"/files/") {
		t.Errorf("file_urls %v", body["file_urls"])
	}
	if body["test_mode"] != false || body["message"] != "Please sign by Friday." || body["subject"] != "Purchase Agreement for 1423 Maple Ave" {
		t.Errorf("body %v", body)
	}
	got, ok := e.srv.Get(res.Session.Ref.ID)
	if !ok {
		t.Fatal("the new request is not in the emulator")
	}
	if got.Title != title || len(got.Signatures) != 3 || got.Signatures[1].SignerEmailAddress != "sam.seller@example.org" ||
		*got.Signatures[2].SignerName != "Ada Agent" || *got.Signatures[2].Order != 2 ||
		len(got.CCEmailAddresses) != 1 || got.CCEmailAddresses[0] != "tc@harborlinerealty.com" || got.TestMode {
		t.Errorf("new request %+v", got)
	}
	meta := res.Session.Metadata
	if meta[MetaSource] != id || meta[MetaOperation] != res.OperationID || meta["transaction_id"] != "HL-2026-00042" || meta["property"] != `{"apn":"123-456-789"}` {
		t.Errorf("metadata %v", meta)
	}
	if res.Session.Status != models.StatusAwaitingSignature || res.Session.Ref.Account != "dbx" || len(res.Session.Warnings) != 0 {
		t.Errorf("session %+v", res.Session)
	}
	// The source is untouched.
	if r, _ := e.srv.Get(id); !r.CancelRequestedAt.IsZero() {
		t.Error("the source was canceled without CancelOriginal")
	}
}

func TestCopyTestModePrecedence(t *testing.T) {
	yes, no := true, false
	cases := []struct {
		name       string
		account    bool
		source     bool
		option     *bool
		wantTestOn bool
	}{
		{"source live, nothing set", false, false, nil, false},
		{"source test", false, true, nil, true},
		{"account test mode", true, false, nil, true},
		{"option on", false, false, &yes, true},
		{"option off beats the source", false, true, &no, false},
		{"option off is refused on a test_mode account", true, true, &no, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, dropboxsigntest.Options{Seed: 11, Size: 1, TestModeRateLimit: 100, SendRateLimit: 100},
				tuneConfig(func(c *Config) { c.TestMode = tc.account }))
			id := addFileSource(e)
			e.srv.Modify(id, func(r *dropboxsigntest.SignatureRequest) { r.TestMode = tc.source })
			src, _ := e.c.Get(context.Background(), id)
			res, err := e.c.Copy(context.Background(), models.CopySpec{Source: src.Ref, Signers: models.CopySignersFrom(&src),
				Options: models.CopyOptions{TestMode: tc.option}})
			if tc.account && tc.option != nil && !*tc.option {
				var pe *providers.Error
				if !errors.As(err, &pe) || !errors.Is(err, providers.ErrInvalid) || pe.Path != "options.test_mode" ||
					!strings.Contains(err.Error(), "always test requests") {
					t.Fatalf("err = %v", err)
				}
				if n := e.srv.Count("POST", "/v3/signature_request/send"); n != 0 {
					t.Fatalf("%d sends despite the refusal", n)
				}
				if !e.c.Capabilities().TestModeForced {
					t.Error("Capabilities.TestModeForced is false on a test_mode account")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := e.srv.Get(res.Session.Ref.ID)
			if got.TestMode != tc.wantTestOn || res.Session.TestMode != tc.wantTestOn {
				t.Errorf("test_mode %v, want %v", got.TestMode, tc.wantTestOn)
			}
			if body := lastBody(t, e, "/v3/signature_request/send"); body["test_mode"] != tc.wantTestOn {
				t.Errorf("sent test_mode %v, want %v", body["test_mode"], tc.wantTestOn)
			}
		})
	}
}

func TestCopyByTemplate(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 12, Size: 3})
	ctx := context.Background()
	id, tmpl := addTemplateSource(e)
	src, err := e.c.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	signers := models.CopySignersFrom(&src)
	signers[0].Role = "" // matched back to "Tenant" by its signature id
	signers[0].Email = "tess.new@example.com"
	signers[1], signers[0] = signers[0], signers[1] // order in the spec does not matter
	res, err := e.c.Copy(ctx, models.CopySpec{Source: src.Ref, Signers: signers})
	if err != nil {
		t.Fatal(err)
	}
	if e.srv.Count("POST", "/v3/signature_request/send_with_template") != 1 || e.srv.Count("", "/v3/signature_request/files_as_file_url") != 0 {
		t.Errorf("requests %+v", e.srv.Requests())
	}
	body := lastBody(t, e, "/v3/signature_request/send_with_template")
	if ids, _ := body["template_ids"].([]any); len(ids) != 1 || ids[0] != tmpl.ID {
		t.Errorf("template_ids %v", body["template_ids"])
	}
	if cf, _ := body["custom_fields"].([]any); len(cf) != 1 {
		t.Errorf("custom fields not replayed: %v", body["custom_fields"])
	}
	got, _ := e.srv.Get(res.Session.Ref.ID)
	if len(got.Signatures) != 2 || *got.Signatures[0].SignerRole != "Tenant" || got.Signatures[0].SignerEmailAddress != "tess.new@example.com" ||
		*got.Signatures[1].SignerRole != "Landlord" || got.Signatures[1].SignerEmailAddress != "lou@example.com" {
		t.Errorf("new request signers %+v", got.Signatures)
	}
	if len(got.TemplateIDs) != 1 || got.TemplateIDs[0] != tmpl.ID {
		t.Errorf("new request templates %v", got.TemplateIDs)
	}
	warned := false
	for _, w := range res.Session.Warnings {
		warned = warned || strings.Contains(w, "CC address(es) not carried")
	}
	if !warned {
		t.Errorf("no warning about the CC that send_with_template cannot carry: %q", res.Session.Warnings)
	}

	// A role without a signer, an unknown role, a role given twice.
	e.srv.ClearRequests()
	_, err = e.c.Copy(ctx, models.CopySpec{Source: src.Ref, Signers: []models.CopySigner{{Name: "T", Email: "t@example.com", Role: "Tenant"}}})
	pe := checkErr(t, err, providers.ErrInvalid)
	if !strings.Contains(pe.Message, `role "Landlord" has no signer`) || pe.Path != "signers" {
		t.Errorf("missing role: %+v", pe)
	}
	_, err = e.c.Copy(ctx, models.CopySpec{Source: src.Ref, Signers: []models.CopySigner{
		{Name: "T", Email: "t@example.com", Role: "tenant"}, {Name: "L", Email: "l@example.com", Role: "Landlord"}}})
	pe = checkErr(t, err, providers.ErrInvalid)
	if pe.Path != "signers[0].role" || !strings.Contains(pe.Message, "case-sensitive") {
		t.Errorf("unknown role: %+v", pe)
	}
	var ve models.ValidationErrors
	if !errors.As(err, &ve) || len(ve.For("signers[0]")) != 1 {
		t.Errorf("the field errors are not reachable with errors.As: %v", err)
	}
	_, err = e.c.Copy(ctx, models.CopySpec{Source: src.Ref, Signers: []models.CopySigner{
		{Name: "T", Email: "t@example.com", Role: "Tenant"}, {Name: "U", Email: "u@example.com", Role: "Tenant"}, {Name: "L", Email: "l@example.com", Role: "Landlord"}}})
	pe = checkErr(t, err, providers.ErrInvalid)
	if pe.Path != "signers[1].role" {
		t.Errorf("duplicate role: %+v", pe)
	}
	if n := e.srv.Count("POST", ""); n != 0 {
		t.Errorf("%d POSTs sent for invalid copies", n)
	}
}

func TestCopyValidatesFirst(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 13, Size: 1})
	ref := models.Ref{Account: "dbx", ID: "abc"}
	long := strings.Repeat("x", 256)
	cases := []struct {
		name string
		spec models.CopySpec
		path string
	}{
		{"no signers", models.CopySpec{Source: ref}, "signers"},
		{"title too long", models.CopySpec{Source: ref, Title: &long, Signers: []models.CopySigner{{Name: "A", Email: "a@example.com"}}}, "title"},
		{"bad email", models.CopySpec{Source: ref, Signers: []models.CopySigner{{Name: "A", Email: "a@"}}}, "signers[0].email"},
		{"other account", models.CopySpec{Source: models.Ref{Account: "c1", ID: "abc"}, Signers: []models.CopySigner{{Name: "A", Email: "a@example.com"}}}, "source"},
		{"bad operation id", models.CopySpec{Source: ref, OperationID: "x y", Signers: []models.CopySigner{{Name: "A", Email: "a@example.com"}}}, "operation_id"},
	}
	for _, tc := range cases {
		_, err := e.c.Copy(context.Background(), tc.spec)
		pe := checkErr(t, err, providers.ErrInvalid)
		if pe.Path != tc.path {
			t.Errorf("%s: path %q, want %q (%v)", tc.name, pe.Path, tc.path, err)
		}
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("%d requests sent for invalid specs", n)
	}
}

func TestCopyFilesNotReadyOrUnavailable(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 14, Size: 1})
	ctx := context.Background()
	id := addFileSource(e)
	src, _ := e.c.Get(ctx, id)
	spec := models.CopySpec{Source: src.Ref, Signers: models.CopySignersFrom(&src)}
	e.srv.Modify(id, func(r *dropboxsigntest.SignatureRequest) { r.FilesPreparing = true })
	_, err := e.c.Copy(ctx, spec)
	pe := checkErr(t, err, providers.ErrConflict)
	if pe.Status != 409 || !strings.Contains(pe.Message, "files not ready yet, try again in a moment") {
		t.Errorf("409: %+v", pe)
	}
	e.srv.Modify(id, func(r *dropboxsigntest.SignatureRequest) { r.FilesPreparing, r.HasError = false, true })
	_, err = e.c.Copy(ctx, spec)
	pe = checkErr(t, err, providers.ErrInvalid)
	if pe.Status != 422 || !strings.Contains(pe.Message, "cannot copy") {
		t.Errorf("422: %+v", pe)
	}
	if n := e.srv.Count("POST", ""); n != 0 {
		t.Errorf("%d sends despite no files", n)
	}
}

// TestCopyExactlyOnce: the send's answer is lost after the emulator
// created the request; the client finds it by operation id instead of
// sending again.
func TestCopyExactlyOnce(t *testing.T) {
	faults := []struct {
		name string
		f    dropboxsigntest.Faults
	}{
		{"connection reset after the create", dropboxsigntest.Faults{ResetRate: 1, AfterEffect: true}},
		{"truncated answer", dropboxsigntest.Faults{TruncateRate: 1}},
		{"malformed answer", dropboxsigntest.Faults{MalformedRate: 1}},
		{"HTML 502 after the create", dropboxsigntest.Faults{HTML5xxRate: 1, AfterEffect: true}},
		{"500 after the create", dropboxsigntest.Faults{ErrorRate: 1, AfterEffect: true}},
	}
	for _, tc := range faults {
		t.Run(tc.name, func(t *testing.T) {
			for _, route := range []string{"send", "send_with_template"} {
				e := newEnv(t, dropboxsigntest.Options{Seed: 16, Size: 20})
				ctx := context.Background()
				id := addFileSource(e)
				if route == "send_with_template" {
					id, _ = addTemplateSource(e)
				}
				src, _ := e.c.Get(ctx, id)
				f := tc.f
				f.Ops, f.Limit = []string{"POST /v3/signature_request/" + route}, 1
				e.srv.SetFaults(f)
				before := e.srv.Len()
				res, err := e.c.Copy(ctx, models.CopySpec{Source: src.Ref, Signers: models.CopySignersFrom(&src)})
				if err != nil {
					t.Fatalf("%s: %v", route, err)
				}
				if !res.Recovered || res.Session.Metadata[MetaOperation] != res.OperationID || res.Session.Metadata[MetaSource] != id {
					t.Errorf("%s: result %+v", route, res)
				}
				if n := e.srv.Len(); n != before+1 {
					t.Errorf("%s: the emulator holds %d new requests, want exactly 1", route, n-before)
				}
				if n := e.srv.Count("POST", "/v3/signature_request/"+route); n != 1 {
					t.Errorf("%s: %d sends, want 1 (never retried)", route, n)
				}
				search := false
				for _, r := range e.srv.Requests() {
					search = search || (r.Path == "/v3/signature_request/list" && strings.Contains(r.RawQuery, "query=metadata%3A"+res.OperationID))
				}
				if !search {
					t.Errorf("%s: no search for the operation id", route)
				}
				if w := strings.Join(res.Session.Warnings, " | "); !strings.Contains(w, "found the new request by its operation id") {
					t.Errorf("%s: warnings %q", route, w)
				}
			}
		})
	}
}

func TestCopyAmbiguousNotFound(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 17, Size: 20})
	ctx := context.Background()
	id := addFileSource(e)
	src, _ := e.c.Get(ctx, id)
	// The connection drops before the emulator acts: nothing was created.
	e.srv.SetFaults(dropboxsigntest.Faults{ResetRate: 1, Ops: []string{"POST /v3/signature_request/send"}, Limit: 1})
	before := e.srv.Len()
	spec := models.CopySpec{Source: src.Ref, Signers: models.CopySignersFrom(&src)}
	res, err := e.c.Copy(ctx, spec)
	pe := checkErr(t, err, providers.ErrAmbiguous)
	for _, want := range []string{"may or may not have happened", "searched for operation id " + res.OperationID, "found nothing",
		"retrying the copy with the same operation id is the safe path"} {
		if !strings.Contains(pe.Error(), want) {
			t.Errorf("error %q lacks %q", pe.Error(), want)
		}
	}
	if res.OperationID == "" || res.Session.Ref.ID != "" {
		t.Errorf("result %+v: want the operation id and no session", res)
	}
	if e.srv.Len() != before || e.srv.Count("POST", "/v3/signature_request/send") != 1 {
		t.Fatalf("len %d (was %d), sends %d", e.srv.Len(), before, e.srv.Count("POST", "/v3/signature_request/send"))
	}
	// The safe retry: same operation id. FindCopy searches first and finds
	// nothing; then the copy is sent once.
	spec.OperationID = res.OperationID
	if _, found, err := e.c.FindCopy(ctx, spec, providers.FindQuery{Since: time.Now().Add(-FindCopyWindow)}); err != nil || found {
		t.Fatalf("find before the retry: found %v, %v", found, err)
	}
	res2, err := e.c.Copy(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Recovered || res2.OperationID != res.OperationID || res2.Session.Metadata[MetaOperation] != res.OperationID {
		t.Errorf("retry %+v", res2)
	}
	if e.srv.Len() != before+1 || e.srv.Count("POST", "/v3/signature_request/send") != 2 {
		t.Errorf("after the retry: len %d (want %d), sends %d", e.srv.Len(), before+1, e.srv.Count("POST", "/v3/signature_request/send"))
	}
	// Looking again with the same id finds the request.
	s3, found, err := e.c.FindCopy(ctx, spec, providers.FindQuery{Since: time.Now().Add(-FindCopyWindow)})
	if err != nil || !found || s3.Ref.ID != res2.Session.Ref.ID {
		t.Errorf("second find: %+v %v %v", s3, found, err)
	}
	if e.srv.Len() != before+1 || e.srv.Count("POST", "/v3/signature_request/send") != 2 {
		t.Errorf("the second retry sent again")
	}
}

func TestCopyAmbiguousSearchFails(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 18, Size: 5})
	ctx := context.Background()
	id := addFileSource(e)
	src, _ := e.c.Get(ctx, id)
	// The source GET and the file URL go through; then the send creates
	// the request but answers 502, and every search fails too.
	e.srv.SetFaults(dropboxsigntest.Faults{HTML5xxRate: 1, AfterEffect: true, Ops: []string{"/v3/signature_request/"}, Skip: 2})
	before := e.srv.Len()
	spec := models.CopySpec{Source: src.Ref, Signers: models.CopySignersFrom(&src)}
	res, err := e.c.Copy(ctx, spec)
	pe := checkErr(t, err, providers.ErrAmbiguous)
	for _, want := range []string{"may or may not have happened", "the search failed", "same operation id is the safe path", "502"} {
		if !strings.Contains(pe.Error(), want) {
			t.Errorf("error %q lacks %q", pe.Error(), want)
		}
	}
	if e.srv.Len() != before+1 || e.srv.Count("POST", "/v3/signature_request/send") != 1 {
		t.Fatalf("the send should have created exactly one request (len %d, was %d)", e.srv.Len(), before)
	}
	// Once the service recovers, the retry with the same operation id finds
	// the request and sends nothing.
	e.srv.SetFaults(dropboxsigntest.Faults{})
	spec.OperationID = res.OperationID
	s2, found, err := e.c.FindCopy(ctx, spec, providers.FindQuery{Since: time.Now().Add(-FindCopyWindow)})
	if err != nil || !found || s2.Metadata[MetaOperation] != res.OperationID {
		t.Fatalf("find: %+v %v %v", s2, found, err)
	}
	if e.srv.Len() != before+1 || e.srv.Count("POST", "/v3/signature_request/send") != 1 {
		t.Errorf("the retry sent again: len %d, sends %d", e.srv.Len(), e.srv.Count("POST", "/v3/signature_request/send"))
	}
	// A search that fails is an error, not "not found".
	e.srv.SetFaults(dropboxsigntest.Faults{HTML5xxRate: 1, Ops: []string{"GET /v3/signature_request/list"}})
	_, found, err = e.c.FindCopy(ctx, spec, providers.FindQuery{Since: time.Now().Add(-FindCopyWindow)})
	pe = checkErr(t, err, providers.ErrUnavailable)
	if found || !strings.Contains(pe.Message, "could not check") || e.srv.Count("POST", "") != 1 {
		t.Errorf("failed search: %v (POSTs %d)", pe, e.srv.Count("POST", ""))
	}
}

func TestCopyInterrupted(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 19, Size: 5})
	id := addFileSource(e)
	src, _ := e.c.Get(context.Background(), id)
	e.srv.SetFaults(dropboxsigntest.Faults{Latency: time.Second, Ops: []string{"POST /v3/signature_request/send"}})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	res, err := e.c.Copy(ctx, models.CopySpec{Source: src.Ref, Signers: models.CopySignersFrom(&src)})
	pe := checkErr(t, err, providers.ErrAmbiguous)
	if !strings.Contains(pe.Message, "interrupted") || !strings.Contains(pe.Message, res.OperationID) {
		t.Errorf("interrupted copy: %v", pe)
	}
}

// TestCopyRecoversDespiteSearchLag: the vendor's search index lags behind
// a send; the client keeps searching (Config.RecoverWait) until it shows.
func TestCopyRecoversDespiteSearchLag(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 25, Size: 5, SearchDelay: 400 * time.Millisecond},
		tuneConfig(func(c *Config) { c.RecoverWait = 5 * time.Second }))
	ctx := context.Background()
	id := addFileSource(e)
	src, _ := e.c.Get(ctx, id)
	e.srv.SetFaults(dropboxsigntest.Faults{ResetRate: 1, AfterEffect: true, Ops: []string{"POST /v3/signature_request/send"}, Limit: 1})
	start := time.Now()
	res, err := e.c.Copy(ctx, models.CopySpec{Source: src.Ref, Signers: models.CopySignersFrom(&src)})
	if err != nil || !res.Recovered {
		t.Fatalf("copy: %+v %v", res, err)
	}
	searches := e.srv.Count("GET", "/v3/signature_request/list")
	if searches < 2 || time.Since(start) < 400*time.Millisecond {
		t.Errorf("found after %d searches in %v: the first searches should have missed it", searches, time.Since(start))
	}
	if e.srv.Count("POST", "") != 1 {
		t.Error("sent again")
	}
}

// TestFindCopyWaitsOutSearchLag: after an unclear send the index may lag
// longer than the first attempt's own search; FindCopy keeps looking until
// the attempt's time plus the window has passed (reporting its progress),
// so the request the first attempt made is found, not sent twice. Without
// the window (one search) it is missed.
func TestFindCopyWaitsOutSearchLag(t *testing.T) {
	for _, tc := range []struct {
		window time.Duration
		found  bool
	}{{-1, false}, {5 * time.Second, true}} {
		e := newEnv(t, dropboxsigntest.Options{Seed: 26, Size: 5, SearchDelay: time.Second},
			tuneConfig(func(c *Config) { c.RecoverWait = -1; c.FindWindow = tc.window }))
		ctx := context.Background()
		id := addFileSource(e)
		src, _ := e.c.Get(ctx, id)
		e.srv.SetFaults(dropboxsigntest.Faults{ResetRate: 1, AfterEffect: true, Ops: []string{"POST /v3/signature_request/send"}, Limit: 1})
		before := e.srv.Len()
		spec := models.CopySpec{Source: src.Ref, Signers: models.CopySignersFrom(&src), OperationID: NewOperationID()}
		start := time.Now()
		_, err := e.c.Copy(ctx, spec)
		checkErr(t, err, providers.ErrAmbiguous) // the index did not show it
		if e.srv.Len() != before+1 {
			t.Fatalf("the first attempt should have created the request")
		}
		var progress []string
		pctx := providers.WithProgress(ctx, func(m string) { progress = append(progress, m) })
		s, found, err := e.c.FindCopy(pctx, spec, providers.FindQuery{Since: start})
		if err != nil || found != tc.found {
			t.Fatalf("window %v: found %v (want %v), %v", tc.window, found, tc.found, err)
		}
		if tc.found && (s.Metadata[MetaOperation] != spec.OperationID || len(progress) == 0) {
			t.Errorf("found %+v; progress %q", s.Metadata, progress)
		}
	}
}

// TestCopyRetryRefusesAnotherSourcesOperation: an operation id that made a
// copy of another request is not taken as this source's copy.
func TestCopyRetryRefusesAnotherSourcesOperation(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 27, Size: 5})
	ctx := context.Background()
	a, b := addFileSource(e), addFileSource(e)
	srcA, _ := e.c.Get(ctx, a)
	srcB, _ := e.c.Get(ctx, b)
	res, err := e.c.Copy(ctx, models.CopySpec{Source: srcA.Ref, Signers: models.CopySignersFrom(&srcA)})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.c.FindCopy(ctx, models.CopySpec{Source: srcB.Ref, Signers: models.CopySignersFrom(&srcB), OperationID: res.OperationID}, providers.FindQuery{Since: time.Now().Add(-FindCopyWindow)})
	pe := checkErr(t, err, providers.ErrInvalid)
	if pe.Path != "operation_id" || !strings.Contains(pe.Message, "made a copy of request "+a) {
		t.Errorf("got %v", pe)
	}
	if n := e.srv.Count("POST", "/v3/signature_request/send"); n != 1 {
		t.Errorf("%d sends, want 1", n)
	}
}

// TestTestModeCopyKeepsTheStandardBudget: a test-mode copy counts against
// the 10/min test tier and the file download against the 25/min tier; the
// account's budget (the standard tier) is untouched by their headers.
func TestTestModeCopyKeepsTheStandardBudget(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 13, Size: 1, RateLimit: 100, SendRateLimit: 25, TestModeRateLimit: 10})
	ctx := context.Background()
	id := addFileSource(e)
	src, err := e.c.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := e.c.Copy(ctx, models.CopySpec{Source: src.Ref, Signers: models.CopySignersFrom(&src),
		Options: models.CopyOptions{TestMode: &yes}}); err != nil {
		t.Fatal(err)
	}
	b := e.c.Budget()
	if b.Limit != 100 || b.Remaining < 90 {
		t.Errorf("account budget %d/%d after a test-mode copy, want the standard tier's ~98/100", b.Remaining, b.Limit)
	}
	tiers := map[string]providers.Budget{}
	for _, tb := range b.Tiers {
		tiers[tb.Tier] = tb
	}
	if tb := tiers[providers.TierTest]; tb.Limit != 10 || tb.Remaining != 9 {
		t.Errorf("test tier %+v, want 9/10", tb)
	}
	if tb := tiers[providers.TierHigh]; tb.Limit != 25 || tb.Remaining != 24 {
		t.Errorf("high tier %+v, want 24/25", tb)
	}
}

// addCCTemplateSource adds an open request sent from a template with the
// given CC roles, the given CC addresses and custom fields of each kind.
func addCCTemplateSource(e *env, ccRoles, ccs []string) (string, dropboxsigntest.Template) {
	tmpl := dropboxsigntest.Template{ID: "tmplcc000000000000000000000000000000000a", Title: "Listing", Roles: []string{"Seller"}, CCRoles: ccRoles}
	e.srv.AddTemplate(tmpl)
	id := e.srv.Add(dropboxsigntest.SignatureRequest{Title: "Listing - 4 Elm St", RequesterEmailAddress: ptrTo(e.srv.Owner()),
		TemplateIDs: []string{tmpl.ID}, CCEmailAddresses: ccs,
		CustomFields: []dropboxsigntest.CustomField{
			{Type: "text", Name: "Price", Value: "500000"},
			{Type: "text", Name: "Notes", Value: ""},
			{Type: "checkbox", Name: "Rush", Value: true},
			{Type: "text", Name: "Agent", Value: "Ann", Editor: ptrTo("Seller"), Required: true},
		},
		Signatures: []dropboxsigntest.Signature{{SignerEmailAddress: "sel@example.com", SignerName: ptrTo("Sel Seller"), SignerRole: ptrTo("Seller")}}})
	return id, tmpl
}

// TestCopyTemplateCCRoles (issue 11 item 1): the template's CC roles are
// read with GET /template/{id} and sent as ccs, which the emulator, like
// the vendor, requires; a source without enough CC addresses is refused
// before anything is sent.
func TestCopyTemplateCCRoles(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 14, Size: 1})
	ctx := context.Background()
	id, tmpl := addCCTemplateSource(e, []string{"Broker", "Escrow"}, []string{"broker@example.com", "escrow@example.com", "extra@example.com"})
	src, _ := e.c.Get(ctx, id)
	res, err := e.c.Copy(ctx, models.CopySpec{Source: src.Ref, Signers: models.CopySignersFrom(&src)})
	if err != nil {
		t.Fatal(err)
	}
	if e.srv.Count("GET", "/v3/template/"+tmpl.ID) != 1 {
		t.Errorf("the template was not read: %+v", e.srv.Requests())
	}
	body := lastBody(t, e, "/v3/signature_request/send_with_template")
	ccs, _ := body["ccs"].([]any)
	if len(ccs) != 2 || ccs[0].(map[string]any)["role"] != "Broker" || ccs[0].(map[string]any)["email_address"] != "broker@example.com" ||
		ccs[1].(map[string]any)["role"] != "Escrow" || ccs[1].(map[string]any)["email_address"] != "escrow@example.com" {
		t.Errorf("ccs %v", body["ccs"])
	}
	got, _ := e.srv.Get(res.Session.Ref.ID)
	if len(got.CCEmailAddresses) != 2 {
		t.Errorf("new request CCs %v", got.CCEmailAddresses)
	}
	ws := strings.Join(res.Session.Warnings, "\n")
	if !strings.Contains(ws, "in their order") || !strings.Contains(ws, "1 CC address(es) not carried") {
		t.Errorf("warnings %q", res.Session.Warnings)
	}

	// Too few addresses for the roles: refused, nothing sent.
	e2 := newEnv(t, dropboxsigntest.Options{Seed: 15, Size: 1})
	id2, _ := addCCTemplateSource(e2, []string{"Broker", "Escrow"}, []string{"broker@example.com"})
	src2, _ := e2.c.Get(ctx, id2)
	_, err = e2.c.Copy(ctx, models.CopySpec{Source: src2.Ref, Signers: models.CopySignersFrom(&src2)})
	pe := checkErr(t, err, providers.ErrInvalid)
	if pe.Path != "ccs" || !strings.Contains(pe.Message, `"Escrow"`) {
		t.Errorf("err %+v", pe)
	}
	if n := e2.srv.Count("POST", ""); n != 0 {
		t.Errorf("%d sends despite the missing CC", n)
	}
}

// TestCopyCustomFields (issue 11 item 2): text values, empty fields and
// editable fields are carried; a checkbox is carried by name with a
// warning that its state could not be; nothing is dropped silently.
func TestCopyCustomFields(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 16, Size: 1})
	ctx := context.Background()
	id, _ := addCCTemplateSource(e, []string{"Broker"}, []string{"broker@example.com"})
	src, _ := e.c.Get(ctx, id)
	res, err := e.c.Copy(ctx, models.CopySpec{Source: src.Ref, Signers: models.CopySignersFrom(&src)})
	if err != nil {
		t.Fatal(err)
	}
	body := lastBody(t, e, "/v3/signature_request/send_with_template")
	byName := map[string]map[string]any{}
	for _, f := range body["custom_fields"].([]any) {
		m := f.(map[string]any)
		byName[m["name"].(string)] = m
	}
	if len(byName) != 4 || byName["Price"]["value"] != "500000" || byName["Notes"] == nil || byName["Notes"]["value"] != nil ||
		byName["Rush"] == nil || byName["Rush"]["value"] != nil ||
		byName["Agent"]["value"] != "Ann" || byName["Agent"]["editor"] != "Seller" || byName["Agent"]["required"] != true {
		t.Errorf("custom_fields %v", body["custom_fields"])
	}
	ws := strings.Join(res.Session.Warnings, "\n")
	if !strings.Contains(ws, `custom field "Rush" (a checkbox, checked)`) {
		t.Errorf("no warning about the checkbox: %q", res.Session.Warnings)
	}
	got, _ := e.srv.Get(res.Session.Ref.ID)
	if len(got.CustomFields) != 4 {
		t.Errorf("new request custom fields %+v", got.CustomFields)
	}
}

// TestCopySignedSourceByFile (issue 11 item 3): a partially signed or
// completed source copied by file is refused with the reason, unless
// AllowSignedSource confirms it; then the copy warns.
func TestCopySignedSourceByFile(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 17, Size: 1})
	ctx := context.Background()
	id := addFileSource(e)
	e.srv.Modify(id, func(r *dropboxsigntest.SignatureRequest) {
		r.Signatures[0].StatusCode = "signed"
		r.Signatures[0].SignedAt = ptrTo(time.Now().Add(-time.Hour).Unix())
	})
	src, _ := e.c.Get(ctx, id)
	_, err := e.c.Copy(ctx, models.CopySpec{Source: src.Ref, Signers: models.CopySignersFrom(&src)})
	pe := checkErr(t, err, providers.ErrInvalid)
	if pe.Path != "options.allow_signed_source" || !strings.Contains(pe.Message, "1 of 2 signers have already signed") ||
		!strings.Contains(pe.Message, "carries those signatures") {
		t.Errorf("err %+v", pe)
	}
	if n := e.srv.Count("POST", ""); n != 0 || e.srv.Count("GET", "/v3/signature_request/files_as_file_url") != 0 {
		t.Errorf("the refused copy sent or fetched files: %+v", e.srv.Requests())
	}
	res, err := e.c.Copy(ctx, models.CopySpec{Source: src.Ref, Signers: models.CopySignersFrom(&src),
		Options: models.CopyOptions{AllowSignedSource: true}})
	if err != nil {
		t.Fatal(err)
	}
	if ws := strings.Join(res.Session.Warnings, "\n"); !strings.Contains(ws, "copied on confirmation although 1 of 2 signers") {
		t.Errorf("warnings %q", res.Session.Warnings)
	}
}
