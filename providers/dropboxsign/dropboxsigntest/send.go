package dropboxsigntest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

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
	CCs              []ccEntry                  `json:"ccs"`
	CustomFields     []struct {
		Name     string `json:"name"`
		Value    any    `json:"value"`
		Editor   string `json:"editor"`
		Required bool   `json:"required"`
	} `json:"custom_fields"`
	TestMode  any    `json:"test_mode"`
	ExpiresAt *int64 `json:"expires_at"`
}

// ccEntry is a SubCC.
type ccEntry struct {
	Role         string `json:"role"`
	EmailAddress string `json:"email_address"`
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
	if e := validateSend(&in, withTemplate, s.now()); e != nil {
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
		if e := s.checkCCs(in.TemplateIDs, in.CCs); e != nil {
			return e
		}
	} else {
		for i, u := range in.FileURLs {
			if strings.HasPrefix(u, s.Root+"/files/") {
				token, _, _ := strings.Cut(strings.TrimPrefix(u, s.Root+"/files/"), "/")
				if ft, ok := s.files[token]; !ok || s.now().After(ft.expires) {
					return errf(400, "bad_request", fmt.Sprintf("file_urls[%d]", i), "The file could not be downloaded (the URL has expired).")
				}
			}
		}
	}

	now := s.now().Unix()
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
			cf := CustomField{Type: "text", Name: f.Name, Value: "", APIID: s.newID(8), Required: f.Required}
			if f.Editor != "" {
				cf.Editor = ptr(f.Editor)
			}
			if v, ok := f.Value.(string); ok {
				cf.Value = v
			}
			sr.CustomFields = append(sr.CustomFields, cf)
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
		sr.SearchableAt = s.now().Add(s.opts.SearchDelay)
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

func validateSend(in *sendBody, withTemplate bool, now time.Time) *apiErr {
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
	for i, f := range in.CustomFields {
		p := fmt.Sprintf("custom_fields[%d]", i)
		if strings.TrimSpace(f.Name) == "" {
			return errf(400, "bad_request", p+".name", "This value should not be blank")
		}
		if _, ok := f.Value.(string); f.Value != nil && !ok {
			return errf(400, "bad_request", p+".value", "This value should be of type string.")
		}
		if f.Required && f.Editor == "" {
			return errf(400, "bad_request", p+".editor", "A required custom field must name an editor.")
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
		d := time.Unix(*in.ExpiresAt, 0).Sub(now)
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
