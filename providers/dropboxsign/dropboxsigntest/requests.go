package dropboxsigntest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

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
	now := s.now()
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
		if !all && !s.own(sr) {
			continue
		}
		if len(qry) == 0 {
			if sr.Canceled {
				continue
			}
			hits = append(hits, sr)
			continue
		}
		// A search sees the index, which lags the changes by SearchDelay.
		if sr.Canceled {
			gone := sr.CanceledAt.Add(s.opts.SearchDelay)
			if !now.Before(gone) {
				continue
			}
			note(gone)
		}
		if now.Before(sr.SearchableAt) {
			note(sr.SearchableAt)
			continue
		}
		view := sr
		if ix := sr.indexed; ix != nil && now.Before(ix.until) {
			note(ix.until)
			old := *sr
			old.IsComplete, old.IsDeclined = ix.isComplete, ix.isDeclined
			view = &old
		}
		if !qry.match(view, s.opts.Owner) {
			continue
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
		r.CancelRequestedAt = s.now()
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
	now := s.now().Unix()
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
