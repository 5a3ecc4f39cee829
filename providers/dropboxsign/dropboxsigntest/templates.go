package dropboxsigntest

import (
	"fmt"
	"net/http"
)

// getTemplate answers GET /template/{id} with the vendor's
// TemplateGetResponse: signer roles and CC roles.
func (s *Server) getTemplate(w http.ResponseWriter, id string) *apiErr {
	s.mu.Lock()
	t, ok := s.templates[id]
	s.mu.Unlock()
	if !ok {
		return errf(404, "not_found", "", "Not found.")
	}
	signerRoles := make([]map[string]any, len(t.Roles))
	for i, r := range t.Roles {
		signerRoles[i] = map[string]any{"name": r, "order": i}
	}
	ccRoles := make([]map[string]any, len(t.CCRoles))
	for i, r := range t.CCRoles {
		ccRoles[i] = map[string]any{"name": r}
	}
	writeJSON(w, 200, map[string]any{"template": map[string]any{
		"template_id":  t.ID,
		"title":        t.Title,
		"message":      "",
		"updated_at":   DefaultNow.Unix(),
		"is_embedded":  false,
		"is_creator":   true,
		"can_edit":     true,
		"is_locked":    false,
		"metadata":     map[string]any{},
		"signer_roles": signerRoles,
		"cc_roles":     ccRoles,
		"documents":    []any{},
		"accounts":     []any{},
		"attachments":  []any{},
	}})
	return nil
}

// checkCCs enforces the spec's rule for send_with_template: "ccs ... Required
// when a CC role exists for the Template"; each role once, each a CC role of
// the templates. Call with s.mu held.
func (s *Server) checkCCs(templateIDs []string, ccs []ccEntry) *apiErr {
	var roles []string
	for _, id := range templateIDs {
		for _, r := range s.templates[id].CCRoles {
			if !slicesContains(roles, r) {
				roles = append(roles, r)
			}
		}
	}
	given := map[string]bool{}
	for i, cc := range ccs {
		p := fmt.Sprintf("ccs[%d]", i)
		switch {
		case !slicesContains(roles, cc.Role):
			return errf(400, "bad_request", p+".role", "Role %q is not a CC role of the template.", cc.Role)
		case given[cc.Role]:
			return errf(400, "bad_request", p+".role", "Multiple CC recipients cannot share the CC role %q.", cc.Role)
		case !validEmail(cc.EmailAddress):
			return errf(400, "invalid_recipient", p+".email_address", "This value is not a valid email address.")
		}
		given[cc.Role] = true
	}
	for _, r := range roles {
		if !given[r] {
			return errf(400, "bad_request", "ccs", "A CC is required for the CC role %q.", r)
		}
	}
	return nil
}
