package dropboxsigntest

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/signdeck/signdeck/providers/emulatortest"
)

// The triage actions: POST /signature_request/update/{id} (a signer's
// email and name, or the expiry, in place) and GET
// /signature_request/files/{id} (the documents as one PDF or a ZIP, with
// a "being prepared" phase and a failure mode). Reminders are in
// server.go (remind).

// MaxExpiry is how far ahead expires_at may be set.
const MaxExpiry = 90 * 24 * time.Hour

func (s *Server) routeAction(w http.ResponseWriter, r *http.Request, action, id string, body []byte) *apiErr {
	switch action {
	case "update":
		if r.Method != http.MethodPost {
			return errf(405, "method_not_supported", "", "Method not supported.")
		}
		return s.update(w, id, body)
	case "files":
		if r.Method != http.MethodGet {
			return errf(405, "method_not_supported", "", "Method not supported.")
		}
		return s.serveFiles(w, r, id)
	}
	return errf(404, "not_found", "", "Not found.")
}

// update answers POST /signature_request/update/{id}: signature_id is
// required; email_address (a new signature_id follows), name and
// expires_at are optional but one must be given. Only the requester may
// update an open request that has no appended signature page; a signer
// who signed or declined cannot be changed. expires_at must be 1 hour to
// 90 days ahead and is rounded down to the hour.
func (s *Server) update(w http.ResponseWriter, id string, body []byte) *apiErr {
	var in struct {
		SignatureID  *string         `json:"signature_id"`
		EmailAddress *string         `json:"email_address"`
		Name         *string         `json:"name"`
		ExpiresAt    json.RawMessage `json:"expires_at"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return errf(400, "bad_request", "", "The request body must be JSON.")
	}
	if in.SignatureID == nil || strings.TrimSpace(*in.SignatureID) == "" {
		return errf(400, "bad_request", "signature_id", "This value should not be blank")
	}
	var exp *int64
	if raw := bytes.TrimSpace(in.ExpiresAt); len(raw) > 0 && string(raw) != "null" {
		var v int64
		if err := json.Unmarshal(raw, &v); err != nil {
			return errf(400, "bad_request", "expires_at", "expires_at must be an integer.")
		}
		exp = &v
	}
	email, name := "", ""
	if in.EmailAddress != nil {
		email = strings.TrimSpace(*in.EmailAddress)
		if !validEmail(email) {
			return errf(400, "bad_request", "email_address", "This value is not a valid email address.")
		}
	}
	if in.Name != nil {
		name = strings.TrimSpace(*in.Name)
		if name == "" {
			return errf(400, "bad_request", "name", "This value should not be blank")
		}
	}
	if email == "" && name == "" && exp == nil {
		return errf(400, "bad_request", "email_address", "Either email_address, name or expires_at is required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, e := s.lookup(id)
	if e != nil {
		return e
	}
	if r.RequesterEmailAddress != nil && !strings.EqualFold(*r.RequesterEmailAddress, s.opts.Owner) {
		return errf(403, "forbidden", "", "You do not have access to update this signature request.")
	}
	if r.IsComplete || r.IsDeclined {
		return errf(400, "bad_request", "", "This signature request is closed and can no longer be updated.")
	}
	if r.AppendedSignaturePage && (email != "" || name != "") {
		return errf(400, "bad_request", "", "This action cannot be performed on a signature request with an appended signature page.")
	}
	var g *Signature
	for i := range r.Signatures {
		if r.Signatures[i].SignatureID == *in.SignatureID {
			g = &r.Signatures[i]
		}
	}
	if g == nil {
		return errf(400, "bad_request", "signature_id", "Signature not found.")
	}
	now := time.Now()
	if exp != nil {
		at := time.Unix(*exp, 0)
		if at.Before(now.Add(time.Hour)) || at.After(now.Add(MaxExpiry)) {
			return errf(400, "bad_request", "expires_at", "expires_at must be between 1 hour and 90 days from now.")
		}
	}
	if (email != "" || name != "") && g.StatusCode != "awaiting_signature" {
		return errf(400, "bad_request", "signature_id", "This signer can no longer be updated.")
	}
	if email != "" && !strings.EqualFold(email, g.SignerEmailAddress) {
		g.SignerEmailAddress = email
		g.SignatureID = s.newID(32)
		g.LastViewedAt, g.LastRemindedAt = nil, nil
	}
	if name != "" {
		g.SignerName = ptr(name)
	}
	if exp != nil {
		v := *exp - *exp%3600
		r.ExpiresAt = &v
	}
	s.version++
	writeJSON(w, 200, map[string]any{"signature_request": s.render(r)})
	return nil
}

// serveFiles answers GET /signature_request/files/{id}?file_type=pdf|zip: 422
// for a request in an error state (HasError, FilesFailed), 409 while the
// files are being prepared (FilesPreparing, or FilesPending more times),
// else the file.
func (s *Server) serveFiles(w http.ResponseWriter, r *http.Request, id string) *apiErr {
	ft := r.URL.Query().Get("file_type")
	if ft == "" {
		ft = "pdf"
	}
	if ft != "pdf" && ft != "zip" {
		return errf(400, "bad_request", "file_type", "file_type must be pdf or zip.")
	}
	s.mu.Lock()
	sr, e := s.lookup(id)
	if e != nil {
		s.mu.Unlock()
		return e
	}
	switch {
	case sr.HasError || sr.FilesFailed:
		s.mu.Unlock()
		return errf(422, "unprocessable_entity", "", "This entity is unprocessable.")
	case sr.FilesPreparing:
		s.mu.Unlock()
		return errf(409, "conflict", "", "Files are still being processed. Please try again later.")
	case sr.FilesPending > 0:
		sr.FilesPending--
		s.mu.Unlock()
		return errf(409, "conflict", "", "Files are still being processed. Please try again later.")
	}
	title, size := sr.Title, sr.FileSize
	s.mu.Unlock()
	pdf := emulatortest.PDF(title, size)
	if ft == "pdf" {
		w.Header().Set("Content-Type", "application/pdf")
		_, _ = w.Write(pdf)
		return nil
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct {
		name string
		data []byte
	}{{"document.pdf", pdf}, {"audit-trail.pdf", emulatortest.PDF("Audit trail "+id, 0)}} {
		fw, err := zw.Create(f.name)
		if err == nil {
			_, _ = fw.Write(f.data)
		}
	}
	_ = zw.Close()
	w.Header().Set("Content-Type", "application/zip")
	_, _ = w.Write(buf.Bytes())
	return nil
}
