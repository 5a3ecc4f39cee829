package constellation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// The copy request body (reference §4.2, §7): camelCase top-level members
// as the vendor's sample serializes an anonymous object, PascalCase
// members inside as its classes have them. WCF matches member names
// case-sensitively (INFERENCE), so the casing is exact.
type copyRequest struct {
	CopyOptions copyOptions `json:"copyOptions"`
	Session     copySession `json:"session"`
}

type copyOptions struct {
	Version      int  `json:"Version"` // 0 in the only sample; meaning undocumented
	RetainFields bool `json:"RetainFields"`
}

type copySession struct {
	SigningSessionID string          `json:"SigningSessionId"`
	SessionInfo      copySessionInfo `json:"SessionInfo"`
	Signers          []copySigner    `json:"Signers"`
}

// copySessionInfo carries the copy's transaction and title. The title goes
// out twice: as Title, the member the SessionInfo table documents, and as
// TransactionTitle, the member only the copy sample uses. A service that
// reads either one keeps an edited title.
type copySessionInfo struct {
	TransactionID    string `json:"TransactionId,omitempty"`
	Title            string `json:"Title,omitempty"`
	TransactionTitle string `json:"TransactionTitle,omitempty"`
}

// copySigner is sent in one of the sample's three shapes: a kept signer by
// SignerId alone, a changed one by SignerId plus the new values, a new one
// without SignerId.
type copySigner struct {
	SignerID     string `json:"SignerId,omitempty"`
	FirstName    string `json:"FirstName,omitempty"`
	LastName     string `json:"LastName,omitempty"`
	EmailAddress string `json:"EmailAddress,omitempty"`
	SignerRole   string `json:"SignerRole,omitempty"`
	Sequence     *int   `json:"Sequence,omitempty"`
}

// recoverSkew is how much earlier than our send a recovered copy's
// CreatedOn may be (clock differences between us and the vendor). Kept
// short: an older lookalike (an earlier copy of the same source) must not
// pass for this attempt's copy.
const recoverSkew = 2 * time.Minute

// recoverPages and recoverMaxGets bound the search after an ambiguous send.
const (
	recoverPages   = 2
	recoverMaxGets = 5
)

// copyPlan is what a copy sends and what the new session must look like.
type copyPlan struct {
	body   copyRequest
	title  string
	tx     string
	emails []string // lower case, sorted
}

// Copy creates a new session from spec: POST v1/sessions/copy, "A
// SessionResponse containing a Signing Session Id and a Session Object".
//
// The spec is validated (models.CopySpec.Validate with Capabilities'
// limits) before anything is sent. The source is read to tell kept
// signers from changed ones and to fill the title and transaction id.
// The POST is sent once. The vendor has no field that could carry
// spec.OperationID (SessionInfo.ApplicationKey is the webhook id and
// ClientID the client's own id, so neither is ours to use), so after an
// ambiguous failure the new session is looked for by what it must look
// like: in the target transaction's newest sessions (the first pages of
// the lite list, newest first), one that was not there just before the
// send, created no earlier than the send (less recoverSkew), with the
// copy's title and exactly the copy's signer emails. When one is found the
// result says Recovered; when none is, the error wraps ErrAmbiguous and
// says what was searched.
//
// Copy is a first attempt: it never looks for an earlier copy before
// sending. spec.OperationID (made by the caller, or here when empty) only
// labels the attempt in logs; FindCopy looks for an earlier attempt's copy.
// spec.Options.CancelOriginal is the caller's business.
func (c *Client) Copy(ctx context.Context, spec models.CopySpec) (providers.CopyResult, error) {
	op := "copy " + spec.Source.ID
	if spec.OperationID == "" {
		spec.OperationID = newOperationID(c.now())
	}
	res := providers.CopyResult{OperationID: spec.OperationID}
	if err := c.validateCopy(&spec); err != nil {
		return res, err
	}
	src, err := c.getSession(ctx, spec.Source.ID, op)
	if err != nil {
		return res, err
	}
	plan, err := c.planCopy(&spec, &src, op)
	if err != nil {
		return res, err
	}
	body, err := json.Marshal(plan.body)
	if err != nil {
		return res, c.errorf(providers.ErrInvalid, op, "encoding the copy request: "+err.Error())
	}
	snapshot := c.snapshot(ctx, plan.tx)
	start := c.now()
	resp, err := c.call(ctx, apiCall{method: http.MethodPost, path: "v1/sessions/copy", body: body, op: op})
	newID, newSession, err := c.copyAnswer(resp, err, op, src.Ref.ID)
	if err != nil && errors.Is(err, providers.ErrAmbiguous) {
		if ctx.Err() != nil {
			return res, err
		}
		found, rerr := c.recoverCopy(ctx, op, plan, src.Ref.ID, snapshot, start, err)
		if rerr != nil {
			return res, rerr
		}
		c.log.Info("constellation1 copy recovered after an unclear answer", "account", c.account,
			"source", src.Ref.ID, "id", found.Ref.ID, "op_id", spec.OperationID)
		newID, newSession, err = found.Ref.ID, &found, nil
		res.Recovered = true
	}
	if err != nil {
		return res, err
	}
	if newSession == nil || !newSession.Complete || len(newSession.Signers) == 0 {
		s, gerr := c.getSession(ctx, newID, "get "+newID)
		if gerr == nil {
			newSession = &s
		} else {
			partial := models.Session{Ref: models.Ref{Account: c.account, ID: newID}, Provider: models.Constellation1,
				Title: plan.title, TransactionID: plan.tx, Status: models.StatusDraft}
			if newSession != nil {
				partial = *newSession
			}
			partial.Warnings = append(partial.Warnings, "the copy was made, but reading it failed: "+c.hc.Redact(describe(gerr)))
			newSession = &partial
		}
	}
	res.Session = *newSession
	return res, nil
}

// FindCopy looks for the copy an earlier attempt with spec.OperationID
// made, which started at since: in the target transaction's newest
// sessions, one created after since (less recoverSkew) with the copy's
// title and exactly its signer emails. Several lookalikes, or a search
// that fails, are an error: nothing may be sent.
func (c *Client) FindCopy(ctx context.Context, spec models.CopySpec, q providers.FindQuery) (models.Session, bool, error) {
	since := q.Since
	op := "find copy " + spec.Source.ID
	if err := c.validateCopy(&spec); err != nil {
		return models.Session{}, false, err
	}
	src, err := c.getSession(ctx, spec.Source.ID, op)
	if err != nil {
		return models.Session{}, false, err
	}
	plan, err := c.planCopy(&spec, &src, op)
	if err != nil {
		return models.Session{}, false, err
	}
	if since.IsZero() {
		if t, ok := operationTime(spec.OperationID); ok {
			since = t
		}
	}
	exclude := make(map[string]bool, len(q.Exclude))
	for _, id := range q.Exclude {
		exclude[id] = true
	}
	return c.lookBeforeRetry(ctx, op, spec.OperationID, plan, src.Ref.ID, since, exclude)
}

// newOperationID returns "sd-", the start time in Unix seconds (hex), "-"
// and 16 random hex digits. The vendor has nowhere to store it, so it
// cannot be searched for; the time in it bounds the search of a retry
// (lookBeforeRetry).
func newOperationID(now time.Time) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "sd-" + strconv.FormatInt(now.Unix(), 16) + "-" + hex.EncodeToString(b[:])
}

// operationTime reads the start time from an operation id made by
// newOperationID; ok is false for any other id.
func operationTime(id string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(id, "sd-")
	if !ok {
		return time.Time{}, false
	}
	hexTime, random, ok := strings.Cut(rest, "-")
	if !ok || random == "" || len(hexTime) > 15 {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(hexTime, 16, 64)
	if err != nil || sec <= 0 {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}

// lookBeforeRetry looks for the copy an earlier attempt with operation id
// opID may have made. done is true when exactly one was found (returned);
// an error means nothing may be sent: several lookalikes, or the search
// failed.
func (c *Client) lookBeforeRetry(ctx context.Context, op, opID string, p copyPlan, sourceID string, since time.Time, exclude map[string]bool) (models.Session, bool, error) {
	// Not ErrAmbiguous: nothing was sent now, and retrying with the same
	// operation id would only be refused again.
	refuse := func(kind error, msg string) error {
		return c.errorf(kind, op, "operation "+opID+": "+msg+"; nothing was sent")
	}
	if p.tx == "" || c.username == "" {
		return models.Session{}, false, refuse(providers.ErrInvalid, "the earlier attempt's copy cannot be looked for, as the copy has no transaction id or the account no username; check the account's sessions, then make a new copy")
	}
	timed := !since.IsZero()
	if timed {
		since = since.Add(-recoverSkew)
	}
	matches, searched, err := c.findCopy(ctx, p, sourceID, exclude, since)
	if err != nil {
		e := refuse(providers.KindOf(err), "looking for the earlier attempt's copy failed ("+c.hc.Redact(describe(err))+"); try again later")
		var pe *providers.Error
		if errors.As(e, &pe) {
			pe.Err = err
		}
		return models.Session{}, false, e
	}
	switch len(matches) {
	case 0:
		c.log.Info("constellation1 copy retry: no earlier copy found; sending", "account", c.account,
			"source", sourceID, "op_id", opID)
		return models.Session{}, false, nil
	case 1:
		s := matches[0]
		w := "operation " + opID + " had already made this copy; nothing was sent again"
		if !timed {
			w += " (the operation id holds no time, so any session of the transaction with this title and these signers counted)"
		}
		s.Warnings = append(s.Warnings, w)
		return s, true, nil
	}
	ids := make([]string, len(matches))
	for i, m := range matches {
		ids[i] = m.Ref.ID
	}
	return models.Session{}, false, refuse(providers.ErrConflict, searched+": several match ("+strings.Join(ids, ", ")+"); check them, then make a new copy if none is the one wanted")
}

// validateCopy checks the spec before anything is sent.
func (c *Client) validateCopy(spec *models.CopySpec) error {
	op := "copy " + spec.Source.ID
	if err := spec.Validate(c.Capabilities().Limits); err != nil {
		e := c.errorf(providers.ErrInvalid, op, err.Error())
		e.Err = err
		var ve models.ValidationErrors
		if errors.As(err, &ve) && len(ve) == 1 {
			e.Path = ve[0].Path
		}
		return e
	}
	if spec.Source.Account != c.account {
		e := c.errorf(providers.ErrInvalid, op, "the source session belongs to account "+
			strconv.Quote(spec.Source.Account)+", not "+strconv.Quote(c.account))
		e.Path = "source"
		return e
	}
	if spec.Subject != nil && strings.TrimSpace(*spec.Subject) != "" {
		e := c.errorf(providers.ErrInvalid, op, "Constellation1 sessions have no subject; a copy cannot set one")
		e.Path = "subject"
		return e
	}
	return nil
}

// planCopy builds the request and the expectations from the spec and the
// source.
func (c *Client) planCopy(spec *models.CopySpec, src *models.Session, op string) (copyPlan, error) {
	invalid := func(path, msg string) error {
		e := c.errorf(providers.ErrInvalid, op, path+": "+msg)
		e.Path = path
		return e
	}
	if spec.Message != nil && strings.TrimSpace(*spec.Message) != strings.TrimSpace(src.Message) {
		return copyPlan{}, invalid("message", "Constellation1's copy call cannot change the session's message")
	}
	p := copyPlan{title: src.Title, tx: src.TransactionID}
	if spec.Title != nil {
		p.title = strings.TrimSpace(*spec.Title)
	}
	if t := strings.TrimSpace(spec.Options.TransactionID); t != "" {
		p.tx = t
	}
	p.body = copyRequest{
		CopyOptions: copyOptions{Version: 0, RetainFields: spec.Options.RetainFields},
		Session: copySession{
			SigningSessionID: src.Ref.ID,
			// Always sent, even unchanged: the copy must land in a
			// transaction, or no list call could ever show it.
			SessionInfo: copySessionInfo{TransactionID: p.tx, Title: p.title, TransactionTitle: p.title},
		},
	}
	byID := map[string]*models.Signer{}
	for i := range src.Signers {
		byID[strings.ToLower(src.Signers[i].ID)] = &src.Signers[i]
	}
	used := map[string]bool{}
	for i, g := range spec.Signers {
		first, last := g.SplitName()
		email := strings.TrimSpace(g.Email)
		p.emails = append(p.emails, strings.ToLower(email))
		seq := g.Order
		if seq <= 0 {
			seq = i + 1
		}
		if g.ID == "" {
			p.body.Session.Signers = append(p.body.Session.Signers, copySigner{
				FirstName: first, LastName: last, EmailAddress: email,
				SignerRole: strings.TrimSpace(g.Role), Sequence: &seq,
			})
			continue
		}
		key := strings.ToLower(g.ID)
		old, ok := byID[key]
		if !ok {
			return copyPlan{}, invalid(fmt.Sprintf("signers[%d].id", i),
				"is not a signer of the source session "+src.Ref.ID)
		}
		if used[key] {
			return copyPlan{}, invalid(fmt.Sprintf("signers[%d].id", i), "names the same source signer twice")
		}
		used[key] = true
		kept := copySigner{SignerID: old.ID}
		oldFirst, oldLast := old.FirstName, old.LastName
		if oldFirst == "" && oldLast == "" {
			oldFirst, oldLast = models.CopySigner{Name: old.Name}.SplitName()
		}
		same := strings.EqualFold(email, strings.TrimSpace(old.Email)) &&
			first == oldFirst && last == oldLast && (g.Order == 0 || g.Order == old.Order)
		if !same {
			kept.FirstName, kept.LastName, kept.EmailAddress, kept.Sequence = first, last, email, &seq
		}
		if role := strings.TrimSpace(g.Role); role != "" && role != old.Role {
			kept.SignerRole = role
		}
		p.body.Session.Signers = append(p.body.Session.Signers, kept)
	}
	sort.Strings(p.emails)
	return p, nil
}

// snapshot lists the ids on the first page of tx's newest sessions, so a
// search after an ambiguous send can tell new sessions from old ones.
// Best-effort: nil when it cannot.
func (c *Client) snapshot(ctx context.Context, tx string) map[string]bool {
	if tx == "" || c.username == "" {
		return nil
	}
	ids := map[string]bool{}
	err := c.listTx(ctx, tx, 1, func(s models.Session) bool { ids[s.Ref.ID] = true; return true })
	if err != nil {
		c.log.Debug("constellation1 copy: no snapshot of the target transaction", "account", c.account,
			"error", c.hc.Redact(err.Error()))
		return nil
	}
	return ids
}

// listTx walks up to pages pages of tx's lite list, newest first, until
// fn returns false.
func (c *Client) listTx(ctx context.Context, tx string, pages int, fn func(models.Session) bool) error {
	l := &lister{c: c, maxPages: pages, seen: map[string]bool{}}
	stop := errors.New("stop")
	l.fn = func(p providers.Page) error {
		for _, s := range p.Sessions {
			if !fn(s) {
				return stop
			}
		}
		return nil
	}
	base := "v1/sessions/lite/" + url.PathEscape(c.username) + "/" + url.PathEscape(tx) + "/" + strconv.Itoa(PageSize) + "/"
	err := l.stream(ctx, "search "+tx, func(n int) string { return base + strconv.Itoa(n) + "/sortBy" },
		url.Values{"colName": {"CreatedOn"}, "sortOrder": {"desc"}}, "", true)
	if errors.Is(err, stop) {
		return nil
	}
	return err
}

// copyAnswer reads the copy's answer. It returns an ErrAmbiguous error when
// the copy may or may not exist: a transport failure after sending, a
// 5xx, an answer that cannot be read, or one that names no new session.
func (c *Client) copyAnswer(resp *providers.Response, err error, op, sourceID string) (string, *models.Session, error) {
	if err != nil {
		return "", nil, err // ErrAmbiguous from the shared client when it may have been sent
	}
	if err := c.checkHTTP(resp, op, true); err != nil {
		return "", nil, err
	}
	raw, perr := parseBody(resp.Body)
	if perr != nil {
		return "", nil, c.hc.NewError(providers.ErrAmbiguous, op, resp.Status, "",
			"the answer could not be read ("+excerpt(resp.Body, c.hc.Redact)+")")
	}
	sessions, env := decodeSessions(raw)
	newID := ""
	if env.o != nil {
		newID = cleanID(env.o.str("SigningSessionId", "NewSigningSessionId", "SessionId"))
	}
	var chosen *models.Session
	for _, o := range sessions {
		s := toSession(c.account, o)
		if s.Ref.ID == "" || strings.EqualFold(s.Ref.ID, sourceID) {
			continue
		}
		if newID == "" || strings.EqualFold(newID, sourceID) || strings.EqualFold(s.Ref.ID, newID) {
			chosen = &s
			newID = s.Ref.ID
			break
		}
	}
	if strings.EqualFold(newID, sourceID) {
		newID = ""
	}
	// Some vendor samples deserialize the answer as a RequestResponse
	// (reference §8.7): the new id may be the ReturnValue.
	if newID == "" && env.returnValue != "" && !strings.EqualFold(env.returnValue, "true") &&
		!strings.EqualFold(env.returnValue, "false") && !strings.EqualFold(env.returnValue, sourceID) {
		newID = cleanID(env.returnValue)
	}
	if newID == "" {
		if len(env.details) > 0 || strings.EqualFold(env.returnValue, "false") {
			return "", nil, c.logicalError(op, env)
		}
		return "", nil, c.errorf(providers.ErrAmbiguous, op, "the answer names no new session")
	}
	if chosen != nil && len(env.details) > 0 {
		chosen.Warnings = append(chosen.Warnings, c.vendorText(env))
	}
	return newID, chosen, nil
}

// recoverCopy looks for the copy after an ambiguous send (see Copy).
func (c *Client) recoverCopy(ctx context.Context, op string, p copyPlan, sourceID string,
	snapshot map[string]bool, start time.Time, cause error) (models.Session, error) {
	fail := func(msg string) error {
		e := c.errorf(providers.ErrAmbiguous, op, "the copy may or may not have been made ("+
			c.hc.Redact(describe(cause))+"); "+msg)
		e.Err = cause
		return e
	}
	if p.tx == "" || c.username == "" {
		return models.Session{}, fail("it cannot be looked for, as the copy has no transaction id or the account no username; check the account's sessions before trying again")
	}
	matches, searched, err := c.findCopy(ctx, p, sourceID, snapshot, start.Add(-recoverSkew))
	if err != nil {
		return models.Session{}, fail("looking for it failed (" + c.hc.Redact(describe(err)) + "); check transaction " + p.tx + " before trying again")
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return models.Session{}, fail(searched + ": none matched, so the copy most likely was not made; it should be safe to try again")
	}
	ids := make([]string, len(matches))
	for i, m := range matches {
		ids[i] = m.Ref.ID
	}
	return models.Session{}, fail(searched + ": several match (" + strings.Join(ids, ", ") + "); check them before trying again")
}

// findCopy looks in the newest sessions of p's transaction for the copy p
// describes: not the source, not in snapshot, created no earlier than
// since (unless since is zero), with p's title and exactly p's signer
// emails. searched says what was searched, for messages.
func (c *Client) findCopy(ctx context.Context, p copyPlan, sourceID string, snapshot map[string]bool,
	since time.Time) (matches []models.Session, searched string, err error) {
	when := ""
	if !since.IsZero() {
		when = " created after " + since.UTC().Format(time.RFC3339)
	}
	searched = fmt.Sprintf("searched the %d newest sessions of transaction %q for one%s titled %q with signers %s",
		recoverPages*PageSize, p.tx, when, p.title, strings.Join(p.emails, ", "))
	var candidates []models.Session
	err = c.listTx(ctx, p.tx, recoverPages, func(s models.Session) bool {
		switch {
		case strings.EqualFold(s.Ref.ID, sourceID), snapshot[s.Ref.ID]:
		case !since.IsZero() && !s.CreatedAt.IsZero() && s.CreatedAt.Before(since):
		case s.Title != "" && !strings.EqualFold(strings.TrimSpace(s.Title), p.title):
		default:
			candidates = append(candidates, s)
		}
		return true
	})
	if err != nil {
		return nil, searched, err
	}
	for i, cand := range candidates {
		if i >= recoverMaxGets {
			break
		}
		s, err := c.getSession(ctx, cand.Ref.ID, "search "+cand.Ref.ID)
		if err != nil {
			continue
		}
		if !strings.EqualFold(strings.TrimSpace(s.Title), p.title) {
			continue
		}
		var emails []string
		for _, g := range s.Signers {
			emails = append(emails, strings.ToLower(strings.TrimSpace(g.Email)))
		}
		sort.Strings(emails)
		if strings.Join(emails, ",") == strings.Join(p.emails, ",") {
			matches = append(matches, s)
		}
	}
	return matches, searched, nil
}
