package constellationtest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/signdeck/signdeck/providers/emulatortest"
)

// The triage actions (reference §4.4, §4.14):
//
//	PUT v1/sessions/{id}/start?returnUrl=…   StartSession: a draft is sent
//	PUT v1/signers/invite                    SendSignerEmailInvites
//	PUT v1/signers                           Update Signers
//	GET v1/signer/docs/{username}/{sessionId}/{signerId}/{pageNumber}/{pageSize}
//	                                         GetSignerDocuments
//
// The vendor documents the paths and the request bodies' top-level
// members; the answers' shapes (UpdateSignersView, SignerDocumentResponseView)
// are not documented and are inferred here like the rest of the emulator:
// {"Signers": [...], "Details": ...} and {"Documents": [{"FileName",
// "FileBytes" (base64), "Sequence"}], "TotalCount", "Details"}. Pages of
// GetSignerDocuments are 0-based like the other paged calls.

// MaxDocsPageSize is GetSignerDocuments' largest page ("paginated when
// there are more than 5 documents").
const MaxDocsPageSize = 5

// Emulator texts for refusals the vendor does not document.
const (
	MsgNotReady   = "Error: The signing session is not ready to be started. Please try again in a few seconds."
	MsgNotSent    = "Error: Invitations can only be sent for a signing session that is in progress."
	MsgNoSigner   = "Error: Signer not found in the signing session."
	MsgReturnURL  = "Error: returnURL is required."
	MsgPurgedDocs = "Error: The session's documents were purged."
)

func actionOp(segs []string) string {
	switch {
	case segs[0] == "sessions":
		return "start"
	case segs[0] == "signers" && len(segs) == 2:
		return "invite"
	case segs[0] == "signers":
		return "signers"
	}
	return "signerdocs"
}

// ModifySession changes a session in place (tests): fn gets the stored
// session. It reports whether the session exists.
func (s *Server) ModifySession(id string, fn func(*Session)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[strings.ToLower(id)]
	if ok {
		fn(ss)
	}
	return ok
}

func (s *Server) handleAction(r *http.Request, segs []string, op string, body []byte) answer {
	switch op {
	case "start":
		return s.start(segs[1], r.URL.Query())
	case "invite":
		return s.invite(body)
	case "signers":
		return s.updateSigners(body)
	}
	return s.signerDocs(segs)
}

// queryFold reads a query parameter whatever its case (the vendor's
// header says returnUrl, its sample returnURL).
func queryFold(q map[string][]string, name string) string {
	for k, v := range q {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// start answers StartSession: only a draft with signers and documents
// starts; it becomes Sent and its signers are invited (the first in the
// sequence only, as sessions here are sequential).
func (s *Server) start(id string, q map[string][]string) answer {
	if strings.TrimSpace(queryFold(q, "returnUrl")) == "" {
		return failure(strPtr("False"), MsgReturnURL)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[strings.ToLower(id)]
	if !ok {
		return failure(strPtr("False"), MsgNotFound)
	}
	if ss.StatusCode != StatusDraft {
		return failure(strPtr("False"), "Error: The signing session cannot be started because it is "+statusNames[ss.StatusCode]+".")
	}
	if ss.NotReadyStarts > 0 {
		ss.NotReadyStarts--
		return failure(strPtr("False"), MsgNotReady)
	}
	if len(ss.Signers) == 0 {
		return failure(strPtr("False"), "Error: The signing session has no signers.")
	}
	for _, g := range ss.Signers {
		if strings.TrimSpace(g.LastName) == "" || !validEmail(g.Email) {
			return failure(strPtr("False"), MsgSigners)
		}
	}
	if len(ss.Documents) == 0 {
		return failure(strPtr("False"), "Error: The signing session has no documents.")
	}
	now := s.opts.Now()
	ss.StatusCode = StatusSent
	ss.ModifiedOn = now
	first := 0
	for _, g := range ss.Signers {
		if first == 0 || g.Sequence < first {
			first = g.Sequence
		}
	}
	for i := range ss.Signers {
		if g := &ss.Signers[i]; g.StatusCode == SignerPendingInvite && g.Sequence == first {
			g.StatusCode = SignerInvited
			g.Invites++
		}
	}
	ss.log(now, "192.0.2.10", "Session started by "+s.opts.Username+" via the API.")
	return jsonAnswer(wireRequestResponse{ReturnValue: strPtr("True")})
}

// invite answers SendSignerEmailInvites: {signerList, signingSessionId,
// returnURL}. The session must be in progress (Sent); each listed signer
// (by SignerId) must not have finished. Errors are in Details.
func (s *Server) invite(body []byte) answer {
	var in struct {
		SignerList       []map[string]any `json:"signerList"`
		SigningSessionID string           `json:"signingSessionId"`
		ReturnURL        string           `json:"returnURL"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return failure(strPtr("False"), "Error: The request body could not be read.")
	}
	if strings.TrimSpace(in.ReturnURL) == "" {
		return failure(strPtr("False"), MsgReturnURL)
	}
	if len(in.SignerList) == 0 {
		return failure(strPtr("False"), "Error: signerList is required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[strings.ToLower(in.SigningSessionID)]
	if !ok || in.SigningSessionID == "" {
		return failure(strPtr("False"), MsgNotFound)
	}
	if ss.StatusCode != StatusSent {
		return failure(strPtr("False"), MsgNotSent)
	}
	var targets []*Signer
	for _, m := range in.SignerList {
		id, _ := m["SignerId"].(string)
		var hit *Signer
		for i := range ss.Signers {
			if id != "" && strings.EqualFold(ss.Signers[i].ID, id) {
				hit = &ss.Signers[i]
			}
		}
		if hit == nil {
			return failure(strPtr("False"), MsgNoSigner)
		}
		switch hit.StatusCode {
		case SignerPendingInvite, SignerInvited, SignerInProgress:
		default:
			return failure(strPtr("False"), "Error: Signer "+hit.Email+" can no longer be invited.")
		}
		targets = append(targets, hit)
	}
	now := s.opts.Now()
	for _, g := range targets {
		g.Invites++
		if g.StatusCode == SignerPendingInvite {
			g.StatusCode = SignerInvited
		}
		ss.log(now, "192.0.2.10", "Invitation email sent to "+g.Email+" by "+s.opts.Username+".")
	}
	return jsonAnswer(wireRequestResponse{ReturnValue: strPtr("True")})
}

type wireUpdateSignersView struct {
	Signers []wireSigner `json:"Signers"`
	Details []string     `json:"Details"`
}

// updateSigners answers Update Signers: {"username", "signingSessionId",
// "signers": [{SignerId, FirstName, LastName, EmailAddress, ...}]}. The
// session must be a draft, sent or paused; a signer who completed,
// declined or was canceled cannot change; every signer keeps a last name
// and a valid email.
func (s *Server) updateSigners(body []byte) answer {
	fail := func(msg string) answer { return jsonAnswer(wireUpdateSignersView{Details: []string{msg}}) }
	var in struct {
		Username         string           `json:"username"`
		SigningSessionID string           `json:"signingSessionId"`
		Signers          []map[string]any `json:"signers"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return fail("Error: The request body could not be read.")
	}
	if !strings.EqualFold(strings.TrimSpace(in.Username), s.opts.Username) {
		return fail(MsgUsername)
	}
	if len(in.Signers) == 0 {
		return fail("Error: signers is required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[strings.ToLower(in.SigningSessionID)]
	if !ok || in.SigningSessionID == "" {
		return fail(MsgNotFound)
	}
	switch ss.StatusCode {
	case StatusDraft, StatusSent, StatusPaused:
	default:
		return fail("Error: The signers of a signing session that is " + statusNames[ss.StatusCode] + " cannot be updated.")
	}
	str := func(m map[string]any, k string) (string, bool) {
		v, ok := m[k].(string)
		return strings.TrimSpace(v), ok && strings.TrimSpace(v) != ""
	}
	// Validate everything before changing anything.
	updated := make([]Signer, len(ss.Signers))
	copy(updated, ss.Signers)
	var changed []int
	for _, m := range in.Signers {
		id, _ := str(m, "SignerId")
		idx := -1
		for i := range updated {
			if id != "" && strings.EqualFold(updated[i].ID, id) {
				idx = i
			}
		}
		if idx < 0 {
			return fail(MsgNoSigner)
		}
		g := &updated[idx]
		switch g.StatusCode {
		case SignerCompleted, SignerDeclined, SignerCancelled:
			return fail("Error: Signer " + g.Email + " has finished and cannot be updated.")
		}
		if v, ok := str(m, "FirstName"); ok {
			g.FirstName = v
		}
		if v, ok := m["FirstName"].(string); ok && strings.TrimSpace(v) == "" {
			g.FirstName = ""
		}
		if v, ok := str(m, "LastName"); ok {
			g.LastName = v
		}
		if v, ok := str(m, "EmailAddress"); ok {
			g.Email = v
		}
		if strings.TrimSpace(g.LastName) == "" || !validEmail(g.Email) {
			return fail(MsgSigners)
		}
		changed = append(changed, idx)
	}
	now := s.opts.Now()
	view := wireUpdateSignersView{Signers: []wireSigner{}}
	for _, i := range changed {
		ss.Signers[i] = updated[i]
		ss.log(now, "192.0.2.10", "Signer "+updated[i].Email+" updated by "+s.opts.Username+".")
	}
	ss.ModifiedOn = now
	w := ss.wire()
	for _, i := range changed {
		view.Signers = append(view.Signers, w.Signers[i])
	}
	return jsonAnswer(view)
}

type (
	wireSignerDocument struct {
		FileName  string `json:"FileName"`
		FileBytes string `json:"FileBytes"`
		Sequence  int    `json:"Sequence"`
	}
	wireSignerDocumentResponse struct {
		Documents  []wireSignerDocument `json:"Documents"`
		TotalCount int                  `json:"TotalCount"`
		Details    []string             `json:"Details"`
	}
)

// signerDocs answers GetSignerDocuments: a page of the session's
// documents, as base64 FileBytes (a small PDF per document, padded to
// Session.DocumentSize).
func (s *Server) signerDocs(segs []string) answer {
	fail := func(msg string) answer {
		return jsonAnswer(wireSignerDocumentResponse{Documents: []wireSignerDocument{}, Details: []string{msg}})
	}
	user, sid, gid := segs[2], segs[3], segs[4]
	num, err1 := strconv.Atoi(segs[5])
	size, err2 := strconv.Atoi(segs[6])
	if err1 != nil || num < 0 {
		return fail("Error: The page number must be 0 or more.")
	}
	if err2 != nil || size < 1 || size > MaxDocsPageSize {
		return fail(fmt.Sprintf("Error: The page size must be between 1 and %d.", MaxDocsPageSize))
	}
	if !strings.EqualFold(user, s.opts.Username) {
		return fail(MsgUsername)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[strings.ToLower(sid)]
	if !ok {
		return fail(MsgNotFound)
	}
	found := false
	for _, g := range ss.Signers {
		found = found || strings.EqualFold(g.ID, gid)
	}
	if !found {
		return fail(MsgNoSigner)
	}
	if ss.StatusCode == StatusPurged {
		return fail(MsgPurgedDocs)
	}
	out := wireSignerDocumentResponse{TotalCount: len(ss.Documents), Documents: []wireSignerDocument{}}
	for i := num * size; i < len(ss.Documents) && i < (num+1)*size; i++ {
		out.Documents = append(out.Documents, wireSignerDocument{FileName: ss.Documents[i], Sequence: i + 1,
			FileBytes: base64.StdEncoding.EncodeToString(emulatortest.PDF(ss.Title+" - "+ss.Documents[i], ss.DocumentSize))})
	}
	return jsonAnswer(out)
}
