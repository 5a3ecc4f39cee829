package constellation

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

func sessionPath(id string) string { return "v1/sessions/" + url.PathEscape(id) }

func (c *Client) checkID(op, id string) error {
	if strings.TrimSpace(id) == "" {
		return c.errorf(providers.ErrInvalid, op, "the session id is empty")
	}
	return nil
}

// Get returns the full session (GET v1/sessions/{id}) with its action log
// (GET v1/sessions/{id}/actionlogs). The two calls run side by side; the
// action log is best-effort: when it fails, Get still returns the session
// with a warning.
func (c *Client) Get(ctx context.Context, id string) (models.Session, error) {
	op := "get " + id
	if err := c.checkID(op, id); err != nil {
		return models.Session{}, err
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type logResult struct {
		entries []models.LogEntry
		err     error
	}
	logs := make(chan logResult, 1)
	go func() {
		e, err := c.actionLog(lctx, id)
		logs <- logResult{e, err}
	}()
	s, err := c.getSession(ctx, id, op)
	if err != nil {
		cancel()
		<-logs
		return models.Session{}, err
	}
	lr := <-logs
	if lr.err != nil {
		c.log.Debug("constellation1 action log unavailable", "account", c.account, "id", id, "error", c.hc.Redact(lr.err.Error()))
		s.Warnings = append(s.Warnings, "action log unavailable: "+c.hc.Redact(lr.err.Error()))
	} else {
		s.ActionLog = lr.entries
	}
	return s, nil
}

// getSession gets one full session: GET v1/sessions/{id}, "A
// SessionResponse containing a Signing Session Id and an array of Session
// Object(s)".
func (c *Client) getSession(ctx context.Context, id, op string) (models.Session, error) {
	resp, err := c.call(ctx, apiCall{method: http.MethodGet, path: sessionPath(id), op: op})
	if err != nil {
		return models.Session{}, err
	}
	if err := c.checkHTTP(resp, op, false); err != nil {
		return models.Session{}, err
	}
	raw, err := parseBody(resp.Body)
	if err != nil {
		return models.Session{}, c.badBody(op, resp.Body)
	}
	sessions, env := decodeSessions(raw)
	o := pickSession(sessions, id)
	if o == nil {
		if len(env.details) > 0 {
			e := c.logicalError(op, env)
			if e.Kind == providers.ErrProvider {
				e.Kind = providers.ErrNotFound
			}
			return models.Session{}, e
		}
		return models.Session{}, c.errorf(providers.ErrNotFound, op, "session "+id+" was not found (the answer holds no session)")
	}
	s := toSession(c.account, o)
	if s.Ref.ID == "" {
		s.Ref.ID = id
	}
	for _, d := range env.details {
		s.Warnings = append(s.Warnings, c.hc.Redact(models.CleanText(d)))
	}
	return s, nil
}

// decodeSessions finds the Session objects in an answer: a "Sessions"
// array (or a single "Session"), a bare array, or the answer itself when it
// is a session.
func decodeSessions(raw json.RawMessage) ([]obj, envelope) {
	var out []obj
	add := func(els []json.RawMessage) {
		for _, e := range els {
			if o, ok := asObj(e); ok {
				out = append(out, o)
			}
		}
	}
	if els, ok := rawList(raw); ok {
		add(els)
		return out, envelope{}
	}
	env := readEnvelope(raw)
	if env.o == nil {
		return nil, env
	}
	if els, ok := env.o.list("Sessions", "Session", "SigningSessions", "SigningSession", "SessionObject"); ok {
		add(els)
	}
	if len(out) == 0 && env.o.has("SessionInfo", "Signers") {
		out = append(out, env.o)
	}
	return out, env
}

// pickSession returns the session with id, else the first one.
func pickSession(sessions []obj, id string) obj {
	for _, o := range sessions {
		if strings.EqualFold(sessionID(o), id) {
			return o
		}
	}
	if len(sessions) > 0 {
		return sessions[0]
	}
	return nil
}

// actionLog gets GET v1/sessions/{id}/actionlogs: "An ActionLogResponse
// containing ActionLog Object(s) in the Actionlog array".
func (c *Client) actionLog(ctx context.Context, id string) ([]models.LogEntry, error) {
	op := "action log " + id
	resp, err := c.call(ctx, apiCall{method: http.MethodGet, path: sessionPath(id) + "/actionlogs", op: op})
	if err != nil {
		return nil, err
	}
	if err := c.checkHTTP(resp, op, false); err != nil {
		return nil, err
	}
	raw, err := parseBody(resp.Body)
	if err != nil {
		return nil, c.badBody(op, resp.Body)
	}
	if els, ok := rawList(raw); ok {
		return toLogEntries(els), nil
	}
	env := readEnvelope(raw)
	if env.o == nil {
		return nil, c.badBody(op, resp.Body)
	}
	if els, ok := env.o.list("ActionLog", "ActionLogs", "Logs", "Items"); ok {
		return toLogEntries(els), nil
	}
	if len(env.details) > 0 {
		return nil, c.logicalError(op, env)
	}
	return nil, nil // no entries
}

// CancelStatus reads the session once and returns its status.
// Constellation1 cancels synchronously, so this is only a confirmation.
func (c *Client) CancelStatus(ctx context.Context, id string) (models.Status, error) {
	op := "cancel status " + id
	if err := c.checkID(op, id); err != nil {
		return "", err
	}
	s, err := c.getSession(ctx, id, op)
	if err != nil {
		return "", err
	}
	return s.Status, nil
}

// Cancel cancels a session: PUT v1/sessions/{id}/cancel?returnURL=... with
// an empty body. "A RequestResponse containing a string ("True" or
// "False")": "True" is a done cancel (with a Details text too, the session
// is read to settle which it is). The vendor answers HTTP 200 for a
// refusal too, with ReturnValue "False" or null and maybe a Details text;
// that is an error carrying the vendor's text, and when the text does not
// say why, the session is read to say it ("cannot cancel a completed
// session").
//
// The PUT is never retried blindly. When its outcome is unknown (a lost
// connection, a 5xx, an unreadable answer) the session is read: canceled
// means the cancel took effect; otherwise the error says what was seen.
func (c *Client) Cancel(ctx context.Context, id string) (providers.CancelResult, error) {
	op := "cancel " + id
	if err := c.checkID(op, id); err != nil {
		return providers.CancelResult{}, err
	}
	resp, err := c.call(ctx, apiCall{method: http.MethodPut, path: sessionPath(id) + "/cancel",
		query: url.Values{"returnURL": {c.returnURL}}, op: op})
	if err != nil {
		if errors.Is(err, providers.ErrAmbiguous) {
			return c.confirmCancel(ctx, id, op, err)
		}
		return providers.CancelResult{}, err
	}
	if err := c.checkHTTP(resp, op, true); err != nil {
		if errors.Is(err, providers.ErrAmbiguous) {
			return c.confirmCancel(ctx, id, op, err)
		}
		return providers.CancelResult{}, err
	}
	raw, err := parseBody(resp.Body)
	if err != nil {
		return c.confirmCancel(ctx, id, op, c.hc.NewError(providers.ErrAmbiguous, op, resp.Status, "",
			"the answer could not be read ("+excerpt(resp.Body, c.hc.Redact)+")"))
	}
	env := readEnvelope(raw)
	if env.truthy() && len(env.details) == 0 {
		return providers.CancelResult{Status: models.StatusCanceled}, nil
	}
	if env.truthy() {
		return c.cancelTrueWithDetails(ctx, id, op, env)
	}
	return providers.CancelResult{}, c.cancelRefused(ctx, id, op, env)
}

// cancelTrueWithDetails settles a "True" that comes with a Details text.
// The reference reads any Details as a failure (§7.1, INFERENCE) while
// "True" says the cancel was done, so the session is read: canceled is a
// success carrying the vendor's text; anything else is a failure with it.
func (c *Client) cancelTrueWithDetails(ctx context.Context, id, op string, env envelope) (providers.CancelResult, error) {
	text := c.vendorText(env)
	s, err := c.getSession(ctx, id, "confirm "+op)
	switch {
	case err != nil:
		return providers.CancelResult{Status: models.StatusCanceled,
			Message: text + " (not confirmed: reading the session failed)"}, nil
	case s.Status == models.StatusCanceled:
		return providers.CancelResult{Status: models.StatusCanceled, Message: text}, nil
	}
	e := c.logicalError(op, env)
	e.Message += " (the provider answered True, but the session is still " + strings.ToLower(s.Status.Label()) + ")"
	return providers.CancelResult{}, e
}

// vendorText is the vendor's details, cleaned and redacted.
func (c *Client) vendorText(env envelope) string {
	if len(env.details) == 0 {
		return ""
	}
	return c.hc.Redact(models.CleanText(strings.Join(env.details, "; ")))
}

// cancelRefused builds the error for a cancel the vendor refused.
func (c *Client) cancelRefused(ctx context.Context, id, op string, env envelope) error {
	e := c.logicalError(op, env)
	if isKind(e, providers.ErrUnauthorized, providers.ErrNotFound, providers.ErrRateLimited) {
		return e
	}
	// Say why in words the user knows, from the session's status.
	s, err := c.getSession(ctx, id, op)
	if err != nil {
		return e
	}
	vendor := e.Message
	if st := s.Status; st == models.StatusCanceled || !st.Cancelable() {
		reason := "cannot cancel " + withArticle(strings.ToLower(st.Label())) + " session"
		if st == models.StatusCanceled {
			reason = "the session is already canceled"
		}
		return c.errorf(providers.ErrConflict, op, reason+" (the provider says: "+vendor+")")
	}
	e.Message = vendor + " (the session is " + strings.ToLower(s.Status.Label()) + ")"
	return e
}

// confirmCancel reads the session after a cancel whose outcome is unknown.
func (c *Client) confirmCancel(ctx context.Context, id, op string, cause error) (providers.CancelResult, error) {
	s, err := c.getSession(ctx, id, "confirm "+op)
	if err == nil && s.Status == models.StatusCanceled {
		c.log.Info("constellation1 cancel confirmed after an unclear answer", "account", c.account, "id", id)
		return providers.CancelResult{Status: models.StatusCanceled,
			Message: "confirmed by reading the session after an unclear answer"}, nil
	}
	msg := "the cancel's outcome is unknown (" + c.hc.Redact(describe(cause)) + ")"
	if err != nil {
		msg += "; reading the session to check failed too (" + c.hc.Redact(describe(err)) + ")"
	} else {
		msg += "; the session is still " + strings.ToLower(s.Status.Label()) +
			", so the cancel most likely did not take effect and may be tried again"
	}
	e := c.errorf(providers.ErrAmbiguous, op, msg)
	e.Err = cause
	return providers.CancelResult{}, e
}

// describe says what went wrong in err without the account and operation
// prefix its Error() has.
func describe(err error) string {
	var pe *providers.Error
	if !errors.As(err, &pe) {
		return err.Error()
	}
	var parts []string
	if pe.Kind != nil {
		parts = append(parts, pe.Kind.Error())
	}
	if pe.Status != 0 {
		parts = append(parts, "HTTP "+strconv.Itoa(pe.Status))
	}
	switch {
	case pe.Message != "":
		parts = append(parts, pe.Message)
	case pe.Err != nil:
		parts = append(parts, pe.Err.Error())
	}
	return strings.Join(parts, ": ")
}

// withArticle puts "a" or "an" before word.
func withArticle(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}
