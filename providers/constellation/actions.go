package constellation

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// The triage actions (reference §4.4, §4.14):
//
//	RemindSigners  PUT v1/signers/invite (SendSignerEmailInvites), one call a signer
//	Update         PUT v1/signers (Update Signers); the expiry cannot be changed
//	StartDraft     PUT v1/sessions/{id}/start?returnUrl=… (StartSession)
//	Download       GET v1/signer/docs/{username}/{sessionId}/{signerId}/{page}/{size} (GetSignerDocuments)
//
// The vendor documents the paths and the top-level members of the request
// bodies; the answers' shapes are not documented (UpdateSignersView and
// SignerDocumentResponseView are missing from Appendix B), so they are read
// as tolerantly as the rest (decode.go), errors come as Details texts in an
// HTTP 200, and an update is confirmed by reading the session back. The
// vendor documents no per-session web page (only an auto-login URL that
// carries a token), so Capabilities.WebURL is false.

var (
	_ providers.Reminder     = (*Client)(nil)
	_ providers.Updater      = (*Client)(nil)
	_ providers.Downloader   = (*Client)(nil)
	_ providers.DraftStarter = (*Client)(nil)
)

// StartRetries and StartRetryWait pace StartDraft's retries when the
// vendor says the session is not ready yet ("There could be a timing issue
// between calling Create Session and Start Session, so if you get this
// error you might want to attempt calling Start Session in a couple of
// seconds again").
var (
	StartRetries   = 2
	StartRetryWait = 2 * time.Second
)

// docsPageSize is GetSignerDocuments' page size: one document per call,
// so one answer (the document in base64) stays under the body cap.
const docsPageSize = 1

// maxDocPages bounds a document listing whose answers never end.
const maxDocPages = 100

// inviteSigner is a Signer as the SendSignerEmailInvites sample sends it.
type inviteSigner struct {
	SignerID     string `json:"SignerId"`
	Sequence     int    `json:"Sequence"`
	FirstName    string `json:"FirstName"`
	LastName     string `json:"LastName"`
	EmailAddress string `json:"EmailAddress"`
	StateCode    int    `json:"StateCode"`
	StatusCode   int    `json:"StatusCode"`
}

type inviteRequest struct {
	SignerList       []inviteSigner `json:"signerList"`
	SigningSessionID string         `json:"signingSessionId"`
	ReturnURL        string         `json:"returnURL"`
}

// updateSigner is a Signer in an Update Signers body.
type updateSigner struct {
	SignerID     string `json:"SignerId"`
	FirstName    string `json:"FirstName"`
	LastName     string `json:"LastName"`
	EmailAddress string `json:"EmailAddress"`
}

type updateSignersRequest struct {
	Username         string         `json:"username"`
	SigningSessionID string         `json:"signingSessionId"`
	Signers          []updateSigner `json:"signers"`
}

// actionCaps sets the triage capabilities (called by Capabilities).
func actionCaps(c *providers.Capabilities) {
	c.Remind = true
	c.UpdateSigner = true
	c.ExtendExpiry = false // no documented call changes ExpiresOn of a sent session
	c.Download = true
	c.DownloadFormats = []string{"documents"}
	c.StartDraft = true
	c.WebURL = false
}

// RemindSigners sends the pending signers a new email invitation, one PUT
// v1/signers/invite each: {signerList: [the signer], signingSessionId,
// returnURL}, the signer as the vendor's sample writes it (SignerId,
// Sequence, FirstName, LastName, EmailAddress, StateCode 0, StatusCode 1).
// Only a sent session has signers to remind: a draft must be sent first
// (StartDraft). A signer not invited yet (waiting for its turn) is
// skipped. The vendor documents no minimum gap between invitations.
func (c *Client) RemindSigners(ctx context.Context, id string, emails []string) (providers.RemindResult, error) {
	op := "remind " + id
	if err := c.checkID(op, id); err != nil {
		return providers.RemindResult{}, err
	}
	for _, e := range emails {
		if err := models.ValidateEmail(e); err != nil {
			return providers.RemindResult{}, c.errorf(providers.ErrInvalid, op, err.Error())
		}
	}
	s, err := c.getSession(ctx, id, op)
	if err != nil {
		return providers.RemindResult{}, err
	}
	switch s.Status {
	case models.StatusAwaitingSignature:
	case models.StatusDraft:
		return providers.RemindResult{}, c.errorf(providers.ErrConflict, op, "the session is a draft: nobody is invited yet; send it first")
	default:
		return providers.RemindResult{}, c.errorf(providers.ErrConflict, op,
			"the session is "+strings.ToLower(s.Status.Label())+"; only a sent session has signers to remind")
	}
	targets, res := c.pick(op, s.Signers, emails)
	for _, g := range targets {
		r := providers.SignerResult{Signer: g}
		if why := providers.Remindable(g); why != "" {
			r.Skipped = g.Email + " " + why
			res = append(res, r)
			continue
		}
		r.Err = c.inviteOne(ctx, op, id, g)
		res = append(res, r)
	}
	return providers.RemindResult{Signers: res}, nil
}

// pick returns the signers emails names (all when empty) and a failed
// result for each email that names none.
func (c *Client) pick(op string, signers []models.Signer, emails []string) ([]models.Signer, providers.SignerResults) {
	if len(emails) == 0 {
		return signers, nil
	}
	var out []models.Signer
	var res providers.SignerResults
	idx, unknown := providers.MatchSignerEmails(signers, emails)
	for _, i := range idx {
		out = append(out, signers[i])
	}
	for _, e := range unknown {
		res = append(res, providers.SignerResult{Signer: models.Signer{Email: models.CleanText(e)},
			Err: c.errorf(providers.ErrNotFound, op, "no signer has the email "+e)})
	}
	return out, res
}

func (c *Client) inviteOne(ctx context.Context, op, id string, g models.Signer) error {
	body, err := json.Marshal(inviteRequest{
		SignerList: []inviteSigner{{SignerID: g.ID, Sequence: g.Order, FirstName: g.FirstName, LastName: g.LastName,
			EmailAddress: g.Email, StateCode: 0, StatusCode: 1}},
		SigningSessionID: id,
		ReturnURL:        c.returnURL,
	})
	if err != nil {
		return c.errorf(providers.ErrInvalid, op, err.Error())
	}
	resp, err := c.call(ctx, apiCall{method: http.MethodPut, path: "v1/signers/invite", body: body, op: op})
	if err == nil {
		err = c.checkHTTP(resp, op, true)
	}
	if err != nil {
		var pe *providers.Error
		if errors.Is(err, providers.ErrAmbiguous) && errors.As(err, &pe) {
			pe.Message = "the invitation may or may not have been sent (" + describe(err) + "); sending it again may email " + g.Email + " twice"
		}
		return err
	}
	raw, err := parseBody(resp.Body)
	if err != nil {
		return c.hc.NewError(providers.ErrAmbiguous, op, resp.Status, "",
			"the answer could not be read ("+excerpt(resp.Body, c.hc.Redact)+"); the invitation may or may not have been sent")
	}
	env := readEnvelope(raw)
	if len(env.details) > 0 || strings.EqualFold(env.returnValue, "false") {
		return c.logicalError(op, env)
	}
	return nil
}

// Update fixes signers in place with one PUT v1/signers: {"username",
// "signingSessionId", "signers": [...]}, each changed signer with its
// SignerId and its full new values (FirstName, LastName, EmailAddress).
// A new full name is split at its last space (a one-word name is a last
// name: the vendor requires a last name). The answer's shape is not
// documented, so the session is read back: each signer showing its new
// values is a success. The expiry cannot be changed (ErrUnsupported).
func (c *Client) Update(ctx context.Context, id string, spec providers.UpdateSpec) (providers.UpdateResult, error) {
	op := "update " + id
	if err := c.checkID(op, id); err != nil {
		return providers.UpdateResult{}, err
	}
	if !spec.ExpiresAt.IsZero() {
		return providers.UpdateResult{}, c.errorf(providers.ErrUnsupported, op,
			"Constellation1 documents no call that changes the expiry date of a sent session")
	}
	if len(spec.Signers) == 0 {
		return providers.UpdateResult{}, c.errorf(providers.ErrInvalid, op, "nothing to change")
	}
	if c.username == "" {
		return providers.UpdateResult{}, c.errorf(providers.ErrInvalid, op, "the account has no username, which Update Signers requires")
	}
	for _, u := range spec.Signers {
		if strings.TrimSpace(u.Signer) == "" {
			return providers.UpdateResult{}, c.errorf(providers.ErrInvalid, op, "a change names no signer")
		}
		if u.Email != "" {
			if err := models.ValidateEmail(u.Email); err != nil {
				return providers.UpdateResult{}, c.errorf(providers.ErrInvalid, op, err.Error())
			}
		}
		if strings.TrimSpace(u.FirstName) != "" && strings.TrimSpace(u.LastName) == "" && strings.TrimSpace(u.Name) == "" {
			return providers.UpdateResult{}, c.errorf(providers.ErrInvalid, op,
				"Constellation1 requires a last name: put a one-word name in Last")
		}
	}
	s, err := c.getSession(ctx, id, op)
	if err != nil {
		return providers.UpdateResult{}, err
	}
	switch s.Status {
	case models.StatusDraft, models.StatusAwaitingSignature, models.StatusPaused:
	default:
		return providers.UpdateResult{}, c.errorf(providers.ErrConflict, op,
			"the session is "+strings.ToLower(s.Status.Label())+"; only a draft, sent or paused session can change its signers")
	}
	res := providers.UpdateResult{Signers: make(providers.SignerResults, len(spec.Signers))}
	var body []updateSigner
	var sendIdx []int
	wants := map[int]models.Signer{}
	for i, u := range spec.Signers {
		g, n := findSigner(s.Signers, u.Signer)
		r := &res.Signers[i]
		r.Signer = g
		switch {
		case n == 0:
			r.Signer = models.Signer{Email: models.CleanText(u.Signer)}
			r.Err = c.errorf(providers.ErrNotFound, op, "no signer is "+u.Signer)
			continue
		case n > 1:
			r.Err = c.errorf(providers.ErrInvalid, op, fmt.Sprintf("%d signers share the email %s; name the signer by its id", n, u.Signer))
			continue
		case g.Status == models.SignerSigned || g.Status == models.SignerDeclined || g.Status == models.SignerCanceled:
			r.Err = c.errorf(providers.ErrConflict, op, g.Email+" "+strings.ToLower(g.Status.Label())+"; only a signer who has not finished can be changed")
			continue
		}
		want := g
		if e := strings.TrimSpace(u.Email); e != "" {
			want.Email = e
		}
		if cs := (models.CopySigner{Name: u.Name, FirstName: u.FirstName, LastName: u.LastName}); cs.FullName() != "" {
			want.FirstName, want.LastName = cs.SplitName()
			want.Name = strings.TrimSpace(want.FirstName + " " + want.LastName)
		}
		if strings.EqualFold(want.Email, g.Email) && want.FirstName == g.FirstName && want.LastName == g.LastName {
			r.Skipped = g.Email + " already has these values"
			continue
		}
		if strings.TrimSpace(want.LastName) == "" {
			r.Err = c.errorf(providers.ErrInvalid, op, g.Email+" has no last name, which Constellation1 requires")
			continue
		}
		wants[i] = want
		sendIdx = append(sendIdx, i)
		body = append(body, updateSigner{SignerID: g.ID, FirstName: want.FirstName, LastName: want.LastName, EmailAddress: want.Email})
	}
	if len(body) == 0 {
		return res, nil
	}
	b, err := json.Marshal(updateSignersRequest{Username: c.username, SigningSessionID: id, Signers: body})
	if err != nil {
		return providers.UpdateResult{}, c.errorf(providers.ErrInvalid, op, err.Error())
	}
	resp, err := c.call(ctx, apiCall{method: http.MethodPut, path: "v1/signers", body: b, op: op})
	if err == nil {
		err = c.checkHTTP(resp, op, true)
	}
	var sendErr error
	switch {
	case err != nil && !errors.Is(err, providers.ErrAmbiguous):
		sendErr = err
	case err != nil:
		sendErr = err // settled by reading below
	default:
		raw, perr := parseBody(resp.Body)
		if perr != nil {
			sendErr = c.hc.NewError(providers.ErrAmbiguous, op, resp.Status, "", "the answer could not be read ("+excerpt(resp.Body, c.hc.Redact)+")")
			break
		}
		env := readEnvelope(raw)
		if len(env.details) > 0 || strings.EqualFold(env.returnValue, "false") {
			sendErr = c.logicalError(op, env)
		}
	}
	if sendErr != nil && !errors.Is(sendErr, providers.ErrAmbiguous) {
		for _, i := range sendIdx {
			res.Signers[i].Err = sendErr
		}
		return res, nil
	}
	// Read back: the answer's shape is undocumented, and after an unclear
	// outcome only the session says what happened.
	after, gerr := c.getSession(ctx, id, "confirm "+op)
	for _, i := range sendIdx {
		want := wants[i]
		r := &res.Signers[i]
		if gerr != nil {
			if sendErr != nil {
				r.Err = sendErr
				continue
			}
			r.Signer = want // accepted; not confirmed
			continue
		}
		var got *models.Signer
		for k := range after.Signers {
			if strings.EqualFold(after.Signers[k].ID, want.ID) {
				got = &after.Signers[k]
			}
		}
		switch {
		case got != nil && strings.EqualFold(got.Email, want.Email) && got.FirstName == want.FirstName && got.LastName == want.LastName:
			r.Signer = *got
		case sendErr != nil:
			var pe *providers.Error
			if errors.As(sendErr, &pe) {
				pe.Message = "the change's outcome was unknown (" + describe(sendErr) + ") and the session does not show it, so it most likely was not made; it may be tried again"
			}
			r.Err = sendErr
		default:
			shown := "is gone"
			if got != nil {
				shown = "still shows " + got.DisplayName() + " <" + got.Email + ">"
			}
			r.Err = c.errorf(providers.ErrProvider, op, "the provider accepted the change, but the signer "+shown)
		}
	}
	return res, nil
}

// findSigner finds the signer key names: its id, else its email.
func findSigner(signers []models.Signer, key string) (models.Signer, int) {
	key = strings.TrimSpace(key)
	for _, g := range signers {
		if g.ID != "" && strings.EqualFold(g.ID, key) {
			return g, 1
		}
	}
	var hit models.Signer
	n := 0
	for _, g := range signers {
		if strings.EqualFold(g.Email, key) {
			hit = g
			n++
		}
	}
	return hit, n
}

// StartDraft sends a draft: PUT v1/sessions/{id}/start?returnUrl=… with an
// empty body; "True" is a start. When the vendor says the session is not
// ready (an answer that is neither a validation error nor a refusal of the
// session's state), it is asked again after StartRetryWait, at most
// StartRetries times, as the vendor advises. An unclear outcome is settled
// by reading the session. The result carries the status read afterwards.
func (c *Client) StartDraft(ctx context.Context, id string) (providers.StartResult, error) {
	op := "send draft " + id
	if err := c.checkID(op, id); err != nil {
		return providers.StartResult{}, err
	}
	s, err := c.getSession(ctx, id, op)
	if err != nil {
		return providers.StartResult{}, err
	}
	if s.Status != models.StatusDraft {
		return providers.StartResult{}, c.errorf(providers.ErrConflict, op,
			"the session is "+strings.ToLower(s.Status.Label())+", not a draft")
	}
	for attempt := 0; ; attempt++ {
		err := c.startOnce(ctx, op, id)
		if err == nil {
			st, gerr := c.getSession(ctx, id, "confirm "+op)
			if gerr != nil {
				return providers.StartResult{Message: "started; reading the session afterwards failed"}, nil
			}
			return providers.StartResult{Status: st.Status}, nil
		}
		if errors.Is(err, providers.ErrAmbiguous) {
			st, gerr := c.getSession(ctx, id, "confirm "+op)
			if gerr == nil && st.Status != models.StatusDraft {
				return providers.StartResult{Status: st.Status, Message: "confirmed by reading the session after an unclear answer"}, nil
			}
			var pe *providers.Error
			if gerr == nil && errors.As(err, &pe) {
				pe.Message = "the start's outcome is unknown (" + describe(err) + "); the session is still a draft, so it may be tried again"
			}
			return providers.StartResult{}, err
		}
		if isKind(err, providers.ErrInvalid, providers.ErrConflict, providers.ErrUnauthorized, providers.ErrNotFound) ||
			attempt >= StartRetries {
			return providers.StartResult{}, err
		}
		c.log.Debug("constellation1 start refused; trying again", "account", c.account, "id", id, "error", c.hc.Redact(err.Error()))
		t := time.NewTimer(StartRetryWait)
		select {
		case <-ctx.Done():
			t.Stop()
			return providers.StartResult{}, ctx.Err()
		case <-t.C:
		}
	}
}

func (c *Client) startOnce(ctx context.Context, op, id string) error {
	resp, err := c.call(ctx, apiCall{method: http.MethodPut, path: sessionPath(id) + "/start",
		query: url.Values{"returnUrl": {c.returnURL}}, op: op})
	if err != nil {
		return err
	}
	if err := c.checkHTTP(resp, op, true); err != nil {
		return err
	}
	raw, err := parseBody(resp.Body)
	if err != nil {
		return c.hc.NewError(providers.ErrAmbiguous, op, resp.Status, "", "the answer could not be read ("+excerpt(resp.Body, c.hc.Redact)+")")
	}
	env := readEnvelope(raw)
	if env.truthy() && len(env.details) == 0 {
		return nil
	}
	return c.logicalError(op, env)
}

// Download writes the session's documents, one file each, from
// GetSignerDocuments: GET v1/signer/docs/{username}/{sessionId}/{signerId}
// /{page}/{size}, pages 0-based (as the vendor's other paged calls), one
// document a page, until TotalCount or an empty page. The documents are
// the session's, read through its first signer. Each document's bytes
// come base64 in FileBytes (INFERENCE: the Document class's member); the
// file takes the vendor's FileName. Format must be "" or "documents".
func (c *Client) Download(ctx context.Context, id string, spec providers.DownloadSpec) (providers.DownloadResult, error) {
	op := "download " + id
	if err := c.checkID(op, id); err != nil {
		return providers.DownloadResult{}, err
	}
	if f := strings.ToLower(strings.TrimSpace(spec.Format)); f != "" && f != "documents" {
		return providers.DownloadResult{}, c.errorf(providers.ErrUnsupported, op,
			"Constellation1 gives the documents as they are; there is no "+spec.Format+" format")
	}
	if spec.Create == nil {
		return providers.DownloadResult{}, c.errorf(providers.ErrInvalid, op, "no destination for the files")
	}
	if c.username == "" {
		return providers.DownloadResult{}, c.errorf(providers.ErrInvalid, op, "the account has no username, which GetSignerDocuments requires")
	}
	s, err := c.getSession(ctx, id, op)
	if err != nil {
		return providers.DownloadResult{}, err
	}
	signerID := ""
	for _, g := range s.Signers {
		if g.ID != "" {
			signerID = g.ID
			break
		}
	}
	if signerID == "" {
		return providers.DownloadResult{}, c.errorf(providers.ErrInvalid, op, "the session has no signer to read its documents through")
	}
	var res providers.DownloadResult
	for page := 0; page < maxDocPages; page++ {
		path := "v1/signer/docs/" + url.PathEscape(c.username) + "/" + url.PathEscape(id) + "/" + url.PathEscape(signerID) +
			"/" + strconv.Itoa(page) + "/" + strconv.Itoa(docsPageSize)
		pop := op
		if page > 0 {
			pop = fmt.Sprintf("%s page %d", op, page+1)
		}
		resp, err := c.call(ctx, apiCall{method: http.MethodGet, path: path, op: pop})
		if err != nil {
			return res, err
		}
		if err := c.checkHTTP(resp, pop, false); err != nil {
			return res, err
		}
		raw, err := parseBody(resp.Body)
		if err != nil {
			return res, c.badBody(pop, resp.Body)
		}
		env := readEnvelope(raw)
		var docs []json.RawMessage
		if els, ok := rawList(raw); ok {
			docs = els
		} else if env.o != nil {
			docs, _ = env.o.list("Documents", "SignerDocuments", "Docs", "Files")
		}
		if len(docs) == 0 && len(env.details) > 0 {
			return res, c.logicalError(pop, env)
		}
		total := int64(-1)
		if env.o != nil {
			if n, ok := env.o.num("TotalCount", "Total", "Count"); ok {
				total = n
			}
		}
		for _, d := range docs {
			o, ok := asObj(d)
			if !ok {
				return res, c.badBody(pop, resp.Body)
			}
			data, err := decodeFileBytes(o.str("FileBytes", "Bytes", "Content", "DocumentBytes", "FileContent"))
			if err != nil {
				return res, c.errorf(providers.ErrResponse, pop, "a document's bytes could not be read: "+err.Error())
			}
			name := o.str("FileName", "Name", "DocumentName", "Title")
			if name == "" {
				name = fmt.Sprintf("%s - document %d.pdf", firstNonEmpty(s.Title, id), len(res.Files)+1)
			}
			name = providers.FileName(name)
			ct := mime.TypeByExtension(strings.ToLower(filepath.Ext(name)))
			if ct == "" {
				ct = http.DetectContentType(data)
			}
			f, err := providers.CopyFile(spec, name, ct, bytes.NewReader(data), int64(len(data)))
			if err != nil {
				return res, fmt.Errorf("%s: %s: %w", c.account, op, err)
			}
			res.Files = append(res.Files, f)
		}
		if len(docs) == 0 || len(docs) < docsPageSize || (total >= 0 && int64((page+1)*docsPageSize) >= total) {
			break
		}
	}
	if len(res.Files) == 0 {
		return res, c.errorf(providers.ErrNotFound, op, "the session has no documents to download")
	}
	return res, nil
}

// decodeFileBytes reads base64 (standard or URL alphabet, padded or not).
func decodeFileBytes(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("FileBytes is empty")
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("FileBytes is not base64")
}
