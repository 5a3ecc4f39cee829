package dropboxsigntest

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestUpdateRules(t *testing.T) {
	s := start(t, Options{Size: -1})
	id := s.Add(SignatureRequest{Title: "Offer", RequesterEmailAddress: ptr(DefaultOwner),
		Signatures: []Signature{{SignerEmailAddress: "a@example.com", SignerName: ptr("A"), StatusCode: "awaiting_signature"},
			{SignerEmailAddress: "b@example.com", StatusCode: "signed"}}})
	r, _ := s.Get(id)
	sigA, sigB := r.Signatures[0].SignatureID, r.Signatures[1].SignatureID
	path := "/signature_request/update/" + id
	for _, tc := range []struct {
		body, name, field string
		status            int
	}{
		{`{}`, "bad_request", "signature_id", 400},
		{`{"signature_id":"` + sigA + `"}`, "bad_request", "email_address", 400},
		{`{"signature_id":"` + sigA + `","email_address":"not an email"}`, "bad_request", "email_address", 400},
		{`{"signature_id":"nope","name":"X"}`, "bad_request", "signature_id", 400},
		{`{"signature_id":"` + sigB + `","name":"X"}`, "bad_request", "signature_id", 400}, // signed
		{`{"signature_id":"` + sigA + `","expires_at":` + strconv.FormatInt(time.Now().Add(91*24*time.Hour).Unix(), 10) + `}`, "bad_request", "expires_at", 400},
		{`{"signature_id":"` + sigA + `","expires_at":"soon"}`, "bad_request", "expires_at", 400},
	} {
		a := call(t, s, "POST", path, tc.body)
		e, _ := a.json(t)["error"].(map[string]any)
		if a.status != tc.status || a.errName(t) != tc.name || e["error_path"] != tc.field {
			t.Errorf("%s: %d %s", tc.body, a.status, a.body)
		}
	}
	if a := call(t, s, "GET", path, ""); a.status != 405 {
		t.Errorf("GET update: %d", a.status)
	}

	// An email change gives a new signature id and clears the reminder.
	s.Modify(id, func(r *SignatureRequest) { r.Signatures[0].LastRemindedAt = ptr(time.Now().Unix()) })
	a := call(t, s, "POST", path, `{"signature_id":"`+sigA+`","email_address":"a2@example.com","name":"Ada"}`)
	if a.status != 200 {
		t.Fatalf("update: %d %s", a.status, a.body)
	}
	r, _ = s.Get(id)
	g := r.Signatures[0]
	if g.SignerEmailAddress != "a2@example.com" || *g.SignerName != "Ada" || g.SignatureID == sigA || g.LastRemindedAt != nil {
		t.Errorf("signer after: %+v", g)
	}
	// The expiry is rounded down to the hour.
	at := time.Now().Add(10 * 24 * time.Hour).Unix()
	if a := call(t, s, "POST", path, fmt.Sprintf(`{"signature_id":%q,"expires_at":%d}`, g.SignatureID, at)); a.status != 200 {
		t.Fatalf("expiry: %d %s", a.status, a.body)
	}
	if r, _ = s.Get(id); *r.ExpiresAt != at-at%3600 {
		t.Errorf("expires_at %d, want %d", *r.ExpiresAt, at-at%3600)
	}
	// Appended signature page; a teammate's request; a closed one.
	s.Modify(id, func(r *SignatureRequest) { r.AppendedSignaturePage = true })
	if a := call(t, s, "POST", path, `{"signature_id":"`+g.SignatureID+`","name":"B"}`); a.status != 400 || !strings.Contains(string(a.body), "appended signature page") {
		t.Errorf("appended page: %d %s", a.status, a.body)
	}
	other := s.Add(SignatureRequest{Title: "Theirs", RequesterEmailAddress: ptr("someone@example.com"),
		Signatures: []Signature{{SignerEmailAddress: "c@example.com"}}})
	ro, _ := s.Get(other)
	if a := call(t, s, "POST", "/signature_request/update/"+other, `{"signature_id":"`+ro.Signatures[0].SignatureID+`","name":"C"}`); a.status != 403 {
		t.Errorf("teammate's request: %d %s", a.status, a.body)
	}
	s.Modify(id, func(r *SignatureRequest) { r.IsComplete = true })
	if a := call(t, s, "POST", path, `{"signature_id":"`+g.SignatureID+`","name":"B"}`); a.status != 400 {
		t.Errorf("closed: %d %s", a.status, a.body)
	}
}

func TestFilesPhasesAndTier(t *testing.T) {
	s := start(t, Options{Size: -1, SendRateLimit: 3, RateWindow: time.Hour})
	id := s.Add(SignatureRequest{Title: "Disclosure", RequesterEmailAddress: ptr(DefaultOwner),
		Signatures: []Signature{{SignerEmailAddress: "a@example.com"}}})
	s.Modify(id, func(r *SignatureRequest) { r.FilesPending, r.FileSize = 1, 4096 })
	path := "/signature_request/files/" + id
	if a := call(t, s, "GET", path, ""); a.status != 409 || a.errName(t) != "conflict" || a.header.Get("X-Ratelimit-Limit") != "3" {
		t.Errorf("preparing: %d %s %v", a.status, a.body, a.header)
	}
	a := call(t, s, "GET", path+"?file_type=pdf", "")
	if a.status != 200 || a.header.Get("Content-Type") != "application/pdf" || len(a.body) < 4096 || !bytes.HasPrefix(a.body, []byte("%PDF-")) ||
		a.header.Get("Content-Length") != strconv.Itoa(len(a.body)) {
		t.Errorf("pdf: %d %v %d bytes", a.status, a.header, len(a.body))
	}
	a = call(t, s, "GET", path+"?file_type=zip", "")
	zr, err := zip.NewReader(bytes.NewReader(a.body), int64(len(a.body)))
	if a.status != 200 || a.header.Get("Content-Type") != "application/zip" || err != nil || len(zr.File) != 2 {
		t.Errorf("zip: %d %v %v", a.status, a.header, err)
	}
	// The files share the high tier (3 here): the fourth call is refused,
	// while the standard tier still answers.
	if a := call(t, s, "GET", path, ""); a.status != 429 || a.errName(t) != "exceeded_rate" {
		t.Errorf("fourth files call: %d %s", a.status, a.body)
	}
	if a := call(t, s, "GET", "/signature_request/"+id, ""); a.status != 200 {
		t.Errorf("get: %d", a.status)
	}

	s2 := start(t, Options{Size: -1})
	id2 := s2.Add(SignatureRequest{Title: "X", RequesterEmailAddress: ptr(DefaultOwner), Signatures: []Signature{{SignerEmailAddress: "a@example.com"}}})
	if a := call(t, s2, "GET", "/signature_request/files/"+id2+"?file_type=docx", ""); a.status != 400 || a.errName(t) != "bad_request" {
		t.Errorf("docx: %d %s", a.status, a.body)
	}
	s2.Modify(id2, func(r *SignatureRequest) { r.FilesFailed = true })
	if a := call(t, s2, "GET", "/signature_request/files/"+id2, ""); a.status != 422 || a.errName(t) != "unprocessable_entity" {
		t.Errorf("failed: %d %s", a.status, a.body)
	}
	s2.Modify(id2, func(r *SignatureRequest) { r.FilesFailed = false })
	s2.SetFaults(Faults{ErrorRate: 1, Ops: []string{"GET /v3/signature_request/files/"}, Limit: 1})
	if a := call(t, s2, "GET", "/signature_request/files/"+id2, ""); a.status != 500 {
		t.Errorf("fault: %d", a.status)
	}
	if a := call(t, s2, "GET", "/signature_request/files/"+id2, ""); a.status != 200 {
		t.Errorf("after the fault: %d", a.status)
	}
	if a := call(t, s2, "GET", "/signature_request/files/nope", ""); a.status != 404 {
		t.Errorf("unknown: %d", a.status)
	}
}
