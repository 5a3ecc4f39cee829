package dropboxsign

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/signdeck/signdeck/models"
)

// signerStatus maps a signature's status_code (an open string: reference
// §3.3) to a neutral signer status. Unknown codes map to SignerUnknown; the
// caller keeps the raw code.
func signerStatus(code string, viewed bool) models.SignerStatus {
	switch {
	case code == "awaiting_signature":
		if viewed {
			return models.SignerViewed
		}
		return models.SignerAwaiting
	case code == "signed", code == "success":
		return models.SignerSigned
	case code == "declined":
		return models.SignerDeclined
	case code == "on_hold", code == "on_hold_by_requester":
		return models.SignerOnHold
	case code == "expired":
		return models.SignerExpired
	case strings.HasPrefix(code, "error_"):
		return models.SignerError
	}
	return models.SignerUnknown
}

// knownCode reports whether signerStatus understands code.
func knownCode(code string) bool { return signerStatus(code, false) != models.SignerUnknown }

// deriveStatus computes the neutral status exactly as the reference §3.4
// describes; the object has no status field. raw names what decided it
// (and any status codes signdeck does not know) for display.
func deriveStatus(sr *signatureRequest, now time.Time) (st models.Status, raw string) {
	var unknown []string
	codes := map[string]bool{}
	var errCode string
	for _, s := range sr.Signatures {
		codes[s.StatusCode] = true
		if strings.HasPrefix(s.StatusCode, "error_") && errCode == "" {
			errCode = s.StatusCode
		}
		if !knownCode(s.StatusCode) {
			c := s.StatusCode
			if c == "" {
				c = "(empty)"
			}
			if !contains(unknown, c) {
				unknown = append(unknown, c)
			}
		}
	}
	var reason string
	switch {
	case sr.IsComplete:
		st, reason = models.StatusCompleted, ""
	case sr.IsDeclined:
		st, reason = models.StatusDeclined, ""
	case sr.HasError || errCode != "":
		st, reason = models.StatusError, errCode
		if reason == "" {
			reason = "has_error"
		}
	case codes["expired"]:
		st, reason = models.StatusExpired, ""
	case sr.ExpiresAt != nil && *sr.ExpiresAt > 0 && time.Unix(*sr.ExpiresAt, 0).Before(now):
		st, reason = models.StatusExpired, "expires_at passed"
	case codes["on_hold_by_requester"]:
		st, reason = models.StatusOnHold, "on_hold_by_requester"
	case codes["on_hold"]:
		st, reason = models.StatusOnHold, "on_hold"
	default:
		st = models.StatusAwaitingSignature
	}
	parts := []string{}
	if reason != "" {
		parts = append(parts, reason)
	}
	if len(unknown) > 0 {
		parts = append(parts, "unknown status_code "+strings.Join(unknown, ", "))
	}
	return st, models.CleanText(strings.Join(parts, "; "))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func unixTime(p *int64) time.Time {
	if p == nil || *p <= 0 {
		return time.Time{}
	}
	return time.Unix(*p, 0)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// flattenMetadata turns metadata values into strings: strings stay as they
// are, anything else (numbers, booleans, nested objects) is JSON-encoded.
func flattenMetadata(m map[string]json.RawMessage) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = metadataString(v)
	}
	return out
}

func metadataString(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return ""
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) == nil {
		return buf.String()
	}
	return string(v)
}

// toSession maps a signature request to a neutral session.
func (c *Client) toSession(sr *signatureRequest, warnings []warning) models.Session {
	st, raw := deriveStatus(sr, c.now())
	if at, ok := c.cancelQueuedAt(sr.SignatureRequestID); ok && !st.Final() {
		st = models.StatusCancelPending
		if raw == "" {
			raw = "cancel queued by signdeck at " + at.Local().Format("2006-01-02 15:04")
		}
	}
	title := sr.Title
	if title == "" {
		title = sr.OriginalTitle
	}
	s := models.Session{
		Ref:         models.Ref{Account: c.cfg.Account, ID: sr.SignatureRequestID},
		Provider:    models.DropboxSign,
		Title:       title,
		Subject:     deref(sr.Subject),
		Message:     deref(sr.Message),
		Status:      st,
		RawStatus:   raw,
		CreatedAt:   unixTime(&sr.CreatedAt),
		ExpiresAt:   unixTime(sr.ExpiresAt),
		CC:          sr.CCEmailAddresses,
		URL:         sr.DetailsURL,
		Metadata:    flattenMetadata(sr.Metadata),
		TestMode:    sr.TestMode,
		TemplateIDs: sr.TemplateIDs,
		Requester:   deref(sr.RequesterEmailAddress),
		Complete:    true,
	}
	c.mu.Lock()
	owner := c.owner
	c.mu.Unlock()
	if owner != "" && s.Requester != "" && !strings.EqualFold(owner, s.Requester) {
		s.NotCancelable = "sent by " + models.CleanText(s.Requester) + "; Dropbox Sign lets only the sender cancel or change it"
	}
	updated := s.CreatedAt
	later := func(t time.Time) {
		if t.After(updated) {
			updated = t
		}
	}
	s.Signers = make([]models.Signer, 0, len(sr.Signatures))
	for _, g := range sr.Signatures {
		// A null order means the signers sign in any order: all get 0, so
		// a copy keeps them unordered.
		order := 0
		if g.Order != nil {
			order = *g.Order
		}
		signed := unixTime(g.SignedAt)
		later(signed)
		later(unixTime(g.LastViewedAt))
		later(unixTime(g.LastRemindedAt))
		s.Signers = append(s.Signers, models.Signer{
			ID:             g.SignatureID,
			Name:           deref(g.SignerName),
			Email:          g.SignerEmailAddress,
			Role:           deref(g.SignerRole),
			Order:          order,
			Status:         signerStatus(g.StatusCode, g.LastViewedAt != nil && *g.LastViewedAt > 0),
			RawStatus:      g.StatusCode,
			SignedAt:       signed,
			DeclineReason:  deref(g.DeclineReason),
			Error:          deref(g.Error),
			LastRemindedAt: unixTime(g.LastRemindedAt),
		})
	}
	s.UpdatedAt = updated
	for _, w := range warnings {
		s.Warnings = append(s.Warnings, c.http.Redact(warningText(w)))
	}
	return s
}

func warningText(w warning) string {
	switch {
	case w.Name != "" && w.Msg != "":
		return models.CleanText(w.Name + ": " + w.Msg)
	case w.Msg != "":
		return models.CleanText(w.Msg)
	}
	return models.CleanText(w.Name)
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
