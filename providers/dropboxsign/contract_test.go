package dropboxsign

// Contract tests: every request the client sends and every answer the
// emulator gives in these scenarios is validated against the vendor's
// OpenAPI spec (../shared/api/dropbox-sign-openapi.yaml beside the repo)
// with kin-openapi, and the vendor's example JSON decodes into the
// client's types.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

// sharedAPI is the vendor material beside the repository: from the test's
// working directory providers/dropboxsign, the repo root is ../.., and
// shared/ sits beside it.
var sharedAPI = filepath.Join("..", "..", "..", "shared", "api")

// needShared skips (or, with SIGNDECK_REQUIRE_SPEC=1 as in CI, fails) when
// the vendor material is absent.
func needShared(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(sharedAPI, name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("SIGNDECK_REQUIRE_SPEC") == "1" {
			t.Fatalf("SIGNDECK_REQUIRE_SPEC=1 but %s is missing (want shared/ beside the repository): %v", p, err)
		}
		t.Skipf("skipping: %s is absent (the contract tests need shared/api beside the repository; SIGNDECK_REQUIRE_SPEC=1 makes this a failure)", p)
	}
	return p
}

var spec struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

// loadSpec loads and checks the spec once. Example validation is off:
// some of the vendor's own examples are invalid (e.g. the
// EventCallbackAccountRequest template_created example).
func loadSpec(t *testing.T) routers.Router {
	t.Helper()
	path := needShared(t, "dropbox-sign-openapi.yaml")
	spec.once.Do(func() {
		loader := openapi3.NewLoader()
		loader.IsExternalRefsAllowed = false
		doc, err := loader.LoadFromFile(path)
		if err != nil {
			spec.err = fmt.Errorf("loading %s: %w", path, err)
			return
		}
		if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
			spec.err = fmt.Errorf("the spec does not validate: %w", err)
			return
		}
		spec.doc = doc
		spec.router, spec.err = legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
	})
	if spec.err != nil {
		t.Fatal(spec.err)
	}
	return spec.router
}

// validator is an http.RoundTripper that validates every request and
// response against the spec and records what it saw.
type validator struct {
	base   http.RoundTripper
	router routers.Router
	// lenient skips the exchanges a test breaks on purpose with the
	// emulator's fault injection: 5xx answers (the spec models none) and
	// bodies that are not JSON (malformed, truncated, HTML).
	lenient bool

	mu       sync.Mutex
	problems []string
	ops      map[string]int // "operationId status" -> count
}

func newValidator(t *testing.T) *validator {
	return &validator{base: &http.Transport{}, router: loadSpec(t), ops: map[string]int{}}
}

func (v *validator) problem(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

// basicAuth accepts the api_key scheme: HTTP Basic with a non-empty user
// (the key) and an empty password, as the vendor documents.
func basicAuth(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "api_key" {
		return fmt.Errorf("signdeck uses api_key, not %s", in.SecuritySchemeName)
	}
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Basic ")
	if !ok {
		return errors.New("no Basic authorization")
	}
	dec, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return errors.New("Basic credentials are not base64")
	}
	user, pass, ok := strings.Cut(string(dec), ":")
	if !ok || user == "" || pass != "" {
		return errors.New("want the API key as user name and an empty password")
	}
	return nil
}

func (v *validator) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	// Match the request against the spec's server (the emulator lives on
	// loopback under the same /v3 base path).
	vreq := req.Clone(req.Context())
	vreq.URL.Scheme, vreq.URL.Host, vreq.Host = "https", "api.hellosign.com", "api.hellosign.com"
	// Route on the escaped path, so an id holding an escaped '/' or '?'
	// stays one path segment as it does on the wire.
	vreq.URL.Path, vreq.URL.RawPath = req.URL.EscapedPath(), ""
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	where := req.Method + " " + req.URL.Path
	route, params, err := v.router.FindRoute(vreq)
	var input *openapi3filter.RequestValidationInput
	if err != nil {
		v.problem("%s: no such operation in the spec: %v", where, err)
	} else {
		input = &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: basicAuth, MultiError: true}}
		if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil {
			v.problem("request %s violates the spec: %v", where, err)
		}
	}
	resp, err := v.base.RoundTrip(req)
	if err != nil || input == nil {
		return resp, err
	}
	rbody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(rbody))
	if err != nil {
		return resp, nil // the client sees the broken body too
	}
	if v.lenient && (resp.StatusCode >= 500 || (len(rbody) > 0 && !json.Valid(rbody))) {
		return resp, nil
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: input, Status: resp.StatusCode,
		Header: resp.Header, Body: io.NopCloser(bytes.NewReader(rbody)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		v.problem("response %d to %s violates the spec: %v\nbody: %.300s", resp.StatusCode, where, err, rbody)
	}
	v.mu.Lock()
	v.ops[fmt.Sprintf("%s %d", route.Operation.OperationID, resp.StatusCode)]++
	v.mu.Unlock()
	return resp, nil
}

func (v *validator) check(t *testing.T, wantOps ...string) {
	t.Helper()
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, p := range v.problems {
		t.Error(p)
	}
	var seen []string
	for k := range v.ops {
		seen = append(seen, k)
	}
	sort.Strings(seen)
	t.Logf("validated operations: %s", strings.Join(seen, ", "))
	for _, w := range wantOps {
		if v.ops[w] == 0 {
			t.Errorf("the scenario never exercised %q (seen: %s)", w, strings.Join(seen, ", "))
		}
	}
}

// contractEnv is an emulator with rate-limit headers on and a client whose
// every request goes through the validator.
func contractEnv(t *testing.T, v *validator, opts dropboxsigntest.Options, tune ...func(*Config, *providers.ClientConfig)) *env {
	if opts.RateLimit == 0 {
		opts.RateLimit = 100000
	}
	if opts.SendRateLimit == 0 {
		opts.SendRateLimit = 100000
	}
	if opts.TestModeRateLimit == 0 {
		opts.TestModeRateLimit = 100000
	}
	tune = append(tune, tuneConfig(func(c *Config) { c.HTTPClient = &http.Client{Transport: v} }))
	return newEnv(t, opts, tune...)
}

func TestContractClientAndEmulatorFollowTheSpec(t *testing.T) {
	v := newValidator(t)
	ctx := context.Background()
	e := contractEnv(t, v, dropboxsigntest.Options{Seed: 7, Size: 260, Owner: "", CancelDelay: time.Hour})
	c, srv := e.c, e.srv

	if _, err := c.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	// Every generated request, over several pages, team-wide.
	team, err := New(Config{Account: "dbx", BaseURL: srv.URL, APIKey: testKey, Team: true,
		HTTPClient: &http.Client{Transport: v}, Tune: func(cc *providers.ClientConfig) {
			cc.Limiter = providers.NewLimiter(100000, time.Second, 1000)
		}})
	if err != nil {
		t.Fatal(err)
	}
	var all []models.Session
	if err := team.List(ctx, providers.ListQuery{}, func(p providers.Page) error {
		all = append(all, p.Sessions...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(all) != 260 {
		t.Fatalf("team list: %d requests, want 260", len(all))
	}
	if err := c.List(ctx, providers.ListQuery{Text: "complete:false AND declined:false"}, func(providers.Page) error { return nil }); err != nil {
		t.Fatal(err)
	}

	// Find requests of each kind.
	var open, openTemplate, completed, errored, awaitingSigner string
	var awaitingEmail string
	for _, s := range all {
		if s.Requester != srv.Owner() {
			continue
		}
		switch {
		case s.Status == models.StatusAwaitingSignature && len(s.TemplateIDs) > 0 && openTemplate == "":
			openTemplate = s.Ref.ID
		case s.Status == models.StatusAwaitingSignature && len(s.TemplateIDs) == 0 && open == "" && noneSigned(s):
			open = s.Ref.ID
		case s.Status == models.StatusCompleted && completed == "":
			completed = s.Ref.ID
		case s.Status == models.StatusError && errored == "":
			errored = s.Ref.ID
		}
		if s.Status == models.StatusAwaitingSignature && awaitingSigner == "" {
			for _, g := range s.Signers {
				if g.RawStatus == "awaiting_signature" {
					awaitingSigner, awaitingEmail = s.Ref.ID, g.Email
					srv.Modify(s.Ref.ID, func(r *dropboxsigntest.SignatureRequest) {
						for i := range r.Signatures {
							r.Signatures[i].LastRemindedAt = nil
						}
					})
					break
				}
			}
		}
	}
	if open == "" || openTemplate == "" || completed == "" || errored == "" || awaitingSigner == "" {
		t.Fatalf("seed 7 lacks a kind: open=%q template=%q completed=%q error=%q remind=%q", open, openTemplate, completed, errored, awaitingSigner)
	}

	if _, err := c.Get(ctx, open); err != nil {
		t.Fatal(err)
	}
	if err := c.Remind(ctx, awaitingSigner, awaitingEmail); err != nil {
		t.Fatal(err)
	}
	checkErr(t, c.Remind(ctx, awaitingSigner, awaitingEmail), providers.ErrInvalid) // within the hour
	_, err = c.Get(ctx, "0000000000000000000000000000000000000000")
	checkErr(t, err, providers.ErrNotFound)

	// Copies by both routes.
	src, _ := c.Get(ctx, open)
	if _, err := c.Copy(ctx, models.CopySpec{Source: src.Ref, Signers: models.CopySignersFrom(&src)}); err != nil {
		t.Fatalf("copy by file_urls: %v", err)
	}
	tsrc, _ := c.Get(ctx, openTemplate)
	if _, err := c.Copy(ctx, models.CopySpec{Source: tsrc.Ref, Signers: models.CopySignersFrom(&tsrc)}); err != nil {
		t.Fatalf("copy by template: %v", err)
	}
	// A template with CC roles and merge fields: ccs by role and every
	// kind of custom field, validated against the spec.
	ccTmpl := dropboxsigntest.Template{ID: "tmplcc0000000000000000000000000000000001", Title: "Listing Agreement",
		Roles: []string{"Seller"}, CCRoles: []string{"Broker", "Escrow"}}
	srv.AddTemplate(ccTmpl)
	ccID := srv.Add(dropboxsigntest.SignatureRequest{Title: "Listing - 4 Elm St", RequesterEmailAddress: ptrTo(srv.Owner()),
		TemplateIDs: []string{ccTmpl.ID}, CCEmailAddresses: []string{"broker@example.com", "escrow@example.com"},
		CustomFields: []dropboxsigntest.CustomField{{Type: "text", Name: "Price", Value: "500000"}, {Type: "text", Name: "Notes"},
			{Type: "text", Name: "Agent", Value: "Ann", Editor: ptrTo("Seller"), Required: true}},
		Signatures: []dropboxsigntest.Signature{{SignerEmailAddress: "sel@example.com", SignerName: ptrTo("Sel Seller"), SignerRole: ptrTo("Seller")}}})
	ccsrc, _ := c.Get(ctx, ccID)
	if _, err := c.Copy(ctx, models.CopySpec{Source: ccsrc.Ref, Signers: models.CopySignersFrom(&ccsrc)}); err != nil {
		t.Fatalf("copy by a template with CC roles: %v", err)
	}
	// files_as_file_url refusals.
	srv.Modify(open, func(r *dropboxsigntest.SignatureRequest) { r.FilesPreparing = true })
	_, err = c.Copy(ctx, models.CopySpec{Source: src.Ref, Signers: models.CopySignersFrom(&src)})
	checkErr(t, err, providers.ErrConflict)
	srv.Modify(open, func(r *dropboxsigntest.SignatureRequest) { r.FilesPreparing = false })
	esrc, _ := c.Get(ctx, errored)
	_, err = c.Copy(ctx, models.CopySpec{Source: esrc.Ref, Signers: models.CopySignersFrom(&esrc)})
	if len(esrc.TemplateIDs) == 0 {
		checkErr(t, err, providers.ErrInvalid)
	}

	// Cancel: queued, refused, confirmed (410).
	if _, err := c.Cancel(ctx, open); err != nil {
		t.Fatal(err)
	}
	_, err = c.Cancel(ctx, completed)
	checkErr(t, err, providers.ErrInvalid)
	srv.CancelNow(open)
	if st, err := c.CancelStatus(ctx, open); err != nil || st != models.StatusCanceled {
		t.Fatalf("CancelStatus after the cancel completed = %v, %v", st, err)
	}

	// 401 with a wrong key.
	bad, err := New(Config{Account: "dbx", BaseURL: srv.URL, APIKey: "not-the-key", HTTPClient: &http.Client{Transport: v}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Verify(ctx)
	checkErr(t, err, providers.ErrUnauthorized)

	// 429 from a tight limit: one client spends the budget, a second one
	// with the same key (another signdeck, say) is refused.
	tight := contractEnv(t, v, dropboxsigntest.Options{Seed: 1, Size: 5, RateLimit: 1, RateWindow: time.Hour})
	if _, err := tight.c.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	other, err := New(Config{Account: "dbx", BaseURL: tight.srv.URL, APIKey: testKey, HTTPClient: &http.Client{Transport: v},
		Tune: func(cc *providers.ClientConfig) { cc.MaxRetries = -1 }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.Verify(ctx)
	checkErr(t, err, providers.ErrRateLimited)

	v.check(t,
		"accountGet 200", "accountGet 401", "accountGet 429",
		"signatureRequestList 200", "signatureRequestGet 200", "signatureRequestGet 404", "signatureRequestGet 410",
		"signatureRequestRemind 200", "signatureRequestRemind 400",
		"signatureRequestFilesAsFileUrl 200", "signatureRequestFilesAsFileUrl 409",
		"signatureRequestSend 200", "signatureRequestSendWithTemplate 200",
		"signatureRequestCancel 200", "signatureRequestCancel 400", "templateGet 200",
	)
}

// noneSigned reports whether no signer of s has signed.
func noneSigned(s models.Session) bool {
	for _, g := range s.Signers {
		if g.Status == models.SignerSigned {
			return false
		}
	}
	return true
}

// TestContractSpecCatchesViolations proves the validator is not a no-op:
// a request and a response that break the spec are both reported.
func TestContractSpecCatchesViolations(t *testing.T) {
	router := loadSpec(t)
	// A remind body without the required email_address.
	req, _ := http.NewRequest(http.MethodPost, "https://api.hellosign.com/v3/signature_request/remind/abc", strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("key", "")
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: basicAuth}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err == nil {
		t.Error("a remind without email_address passed request validation")
	}
	// A list answer whose list_info is missing (it is required).
	req2, _ := http.NewRequest(http.MethodGet, "https://api.hellosign.com/v3/signature_request/list", nil)
	req2.SetBasicAuth("key", "")
	route, params, err = router.FindRoute(req2)
	if err != nil {
		t.Fatal(err)
	}
	in2 := &openapi3filter.RequestValidationInput{Request: req2, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: basicAuth}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in2, Status: 200,
		Header: http.Header{"Content-Type": {"application/json"}},
		Body:   io.NopCloser(strings.NewReader(`{"signature_requests":[]}`)), Options: &openapi3filter.Options{}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err == nil {
		t.Error("a list answer without list_info passed response validation")
	}
	// Basic auth with a password is refused by the auth check.
	req3, _ := http.NewRequest(http.MethodGet, "https://api.hellosign.com/v3/account", nil)
	req3.SetBasicAuth("key", "secret")
	route, params, _ = router.FindRoute(req3)
	in3 := &openapi3filter.RequestValidationInput{Request: req3, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: basicAuth}}
	if err := openapi3filter.ValidateRequest(context.Background(), in3); err == nil {
		t.Error("Basic auth with a password passed")
	}
}

// trailingComma finds the published defect in Error400/Error4XX.
var trailingComma = regexp.MustCompile(`,(\s*})`)

func TestOfficialExamplesDecode(t *testing.T) {
	dir := filepath.Dir(needShared(t, filepath.Join("dropbox-sign-examples", "SignatureRequestGetResponse.json")))
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	strict := func(name string, b []byte, v any) {
		t.Helper()
		dec := json.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	c, err := New(Config{Account: "dbx", APIKey: "k3y-for-decoding"})
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339, s); return tm }
	c.now = func() time.Time { return at("2026-01-01T00:00:00Z") }

	t.Run("get", func(t *testing.T) {
		var gr getResponse
		strict("SignatureRequestGetResponse.json", read("SignatureRequestGetResponse.json"), &gr)
		s := c.toSession(gr.SignatureRequest, gr.Warnings)
		if s.Ref.ID != "fa5c8a0b0f492d768749333ad6fcc214c111e967" || s.Status != models.StatusCompleted ||
			s.Title != "Purchase Agreement" || s.Requester != "me@dropboxsign.com" ||
			s.URL != "https://app.hellosign.com/home/manage?guid=fa5c8a0b0f492d768749333ad6fcc214c111e967" {
			t.Errorf("mapped %+v", s)
		}
		if len(s.Signers) != 1 || s.Signers[0].Status != models.SignerSigned || s.Signers[0].SignedAt.Unix() != 1346521550 ||
			s.Signers[0].Role != "" || s.Signers[0].Order != 0 {
			t.Errorf("signer %+v", s.Signers)
		}
		if len(gr.SignatureRequest.ResponseData) != 3 || string(gr.SignatureRequest.ResponseData[0].Value) != "true" {
			t.Errorf("response_data %+v", gr.SignatureRequest.ResponseData)
		}
	})
	t.Run("list", func(t *testing.T) {
		var lr listResponse
		strict("SignatureRequestListResponse.json", read("SignatureRequestListResponse.json"), &lr)
		if lr.ListInfo == nil || lr.ListInfo.NumPages != 1 || lr.ListInfo.NumResults == nil || *lr.ListInfo.NumResults != 2 || len(lr.SignatureRequests) != 2 {
			t.Fatalf("list %+v", lr.ListInfo)
		}
		s := c.toSession(&lr.SignatureRequests[0], nil)
		if s.Status != models.StatusAwaitingSignature || len(s.Signers) != 2 || s.Signers[1].Order != 1 ||
			len(s.CC) != 1 || s.CC[0] != "stan@example.com" || s.Ref.ID != "d10338cad145e1cb68afc828" {
			t.Errorf("first request %+v", s)
		}
		if s2 := c.toSession(&lr.SignatureRequests[1], nil); s2.Status != models.StatusCompleted || !s2.CreatedAt.IsZero() {
			t.Errorf("second request (no created_at) %+v", s2)
		}
	})
	t.Run("send, remind, release hold", func(t *testing.T) {
		for _, name := range []string{"SignatureRequestSendResponse.json", "SignatureRequestRemindResponse.json", "SignatureRequestReleaseHoldResponse.json"} {
			var gr getResponse
			strict(name, read(name), &gr)
			if gr.SignatureRequest == nil || gr.SignatureRequest.SignatureRequestID == "" {
				t.Errorf("%s: no signature_request", name)
			}
		}
		var gr getResponse
		strict("send", read("SignatureRequestSendResponse.json"), &gr)
		s := c.toSession(gr.SignatureRequest, nil)
		if !s.TestMode || s.Metadata["custom_id"] != "1234" || s.Metadata["custom_text"] != "NDA #9" || len(s.CC) != 2 {
			t.Errorf("send response %+v", s)
		}
		var rr getResponse
		strict("remind", read("SignatureRequestRemindResponse.json"), &rr)
		found := false
		for _, g := range rr.SignatureRequest.Signatures {
			if g.LastRemindedAt != nil && *g.LastRemindedAt == 1346616433 {
				found = true
			}
		}
		if !found {
			t.Error("remind response: last_reminded_at 1346616433 not decoded")
		}
	})
	t.Run("files", func(t *testing.T) {
		var fr fileResponse
		strict("files", read("SignatureRequestFilesResponse.json"), &fr)
		if !strings.HasPrefix(fr.FileURL, "https://s3.amazonaws.com/") || fr.ExpiresAt != 1458605123 {
			t.Errorf("%+v", fr)
		}
	})
	t.Run("account", func(t *testing.T) {
		var ar accountResponse
		strict("account", read("AccountGetResponse.json"), &ar)
		if ar.Account == nil || ar.Account.EmailAddress != "me@dropboxsign.com" || ar.Account.Quotas == nil ||
			ar.Account.Quotas.APISignatureRequestsLeft == nil || *ar.Account.Quotas.APISignatureRequestsLeft != 1250 || !ar.Account.IsPaidHS {
			t.Errorf("%+v", ar.Account)
		}
	})
	t.Run("callbacks", func(t *testing.T) {
		for _, name := range []string{"EventCallbackAccountSignatureRequestSent.json", "EventCallbackAppSignatureRequestSent.json"} {
			var cb struct {
				SignatureRequest *signatureRequest `json:"signature_request"`
			}
			strict(name, read(name), &cb)
			if cb.SignatureRequest == nil || cb.SignatureRequest.TemplateIDs != nil || len(cb.SignatureRequest.Signatures) != 1 {
				t.Errorf("%s: %+v", name, cb.SignatureRequest)
			}
		}
	})
	t.Run("errors", func(t *testing.T) {
		want := map[string][2]string{
			"Error401Response.json": {"unauthorized", "Unauthorized user. No credentials supplied."},
			"Error402Response.json": {"payment_required", "You must upgrade to make additional requests."},
			"Error403Response.json": {"forbidden", "A paid API plan is required to access this endpoint."},
			"Error404Response.json": {"not_found", "Not found."},
			"Error409Response.json": {"conflict", "An identical request is already being processed."},
			"Error410Response.json": {"deleted", "This resource has been deleted."},
			"Error422Response.json": {"unprocessable_entity", "This entity is unprocessable."},
			"Error429Response.json": {"exceeded_rate", "Too many requests."},
		}
		for name, w := range want {
			var eb errorBody
			strict(name, read(name), &eb)
			if eb.Error == nil || eb.Error.Name != w[0] || eb.Error.Msg != w[1] {
				t.Errorf("%s: %+v", name, eb.Error)
			}
		}
		// As published, Error400Response.json and Error4XXResponse.json carry
		// a trailing comma after error_name: they are not valid JSON.
		for _, name := range []string{"Error400Response.json", "Error4XXResponse.json"} {
			b := read(name)
			var eb errorBody
			err := json.Unmarshal(b, &eb)
			var se *json.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%s: strict decoding gave %v; the published file was expected to be invalid JSON", name, err)
			}
			comma := trailingComma.FindIndex(b)
			if comma == nil || !strings.Contains(se.Error(), "'}'") || int(se.Offset) <= comma[0] || int(se.Offset) > comma[1] {
				t.Fatalf("%s: the syntax error %q at byte %d is not the trailing comma (at byte %v)", name, se, se.Offset, comma)
			}
			fixed := trailingComma.ReplaceAll(b, []byte("$1"))
			if err := json.Unmarshal(fixed, &eb); err != nil || eb.Error.Name != "bad_request" || eb.Error.Path != "cc_email_addresses[0]" {
				t.Errorf("%s without the trailing comma: %v %+v", name, err, eb.Error)
			}
		}
	})
	t.Run("test fixtures", func(t *testing.T) {
		wrapped := func(name string) map[string]json.RawMessage {
			var m map[string]json.RawMessage
			strict(name, read(filepath.Join("test_fixtures", name)), &m)
			return m
		}
		for k, raw := range wrapped("SignatureRequestListResponse.json") {
			var lr listResponse
			strict(k, raw, &lr)
			for i := range lr.SignatureRequests {
				s := c.toSession(&lr.SignatureRequests[i], nil)
				if s.Ref.ID == "d10338cad145e1cb68afc828" {
					if s.Metadata["metadata_name_2"] != `{"metadata_name_2_a":"metadata_value_2_a"}` || s.Metadata["custom_id"] != "1234" {
						t.Errorf("nested metadata flattened to %q", s.Metadata)
					}
					if !s.ExpiresAt.IsZero() || s.Status != models.StatusAwaitingSignature {
						t.Errorf("expires_at 0 must mean no expiry: %v %v", s.ExpiresAt, s.Status)
					}
				}
			}
		}
		for k, raw := range wrapped("SignatureRequestGetResponse.json") {
			var gr getResponse
			strict(k, raw, &gr)
			if gr.SignatureRequest == nil {
				t.Errorf("%s: no signature_request", k)
			}
		}
		for k, raw := range wrapped("ErrorResponse.json") {
			var eb errorBody
			strict(k, raw, &eb)
			if eb.Error == nil || eb.Error.Path != "path_to_error[0]" {
				t.Errorf("%s: %+v", k, eb.Error)
			}
		}
		for k, raw := range wrapped("AccountGetResponse.json") {
			var ar accountResponse
			strict(k, raw, &ar)
			if ar.Account == nil {
				t.Errorf("%s: no account", k)
			}
		}
	})
}
