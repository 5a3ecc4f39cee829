package dropboxsign

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// RemindGap is the vendor's least time between two reminders of a signer:
// "You cannot send a reminder within 1 hour of the last reminder that was
// sent. This includes manual AND automatic reminders."
const RemindGap = time.Hour

// MaxExpiry is how far ahead expires_at may be set (reference: "1–90 days
// ahead").
const MaxExpiry = 90 * 24 * time.Hour

// FilesPerMinute is the files endpoints' own rate-limit tier ("25 req/min
// high tier"); downloads are paced by a limiter of their own.
const FilesPerMinute = 25

// ErrAppendedPage is wrapped by the error of an update Dropbox Sign
// refuses because the request has an appended signature page (it was sent
// without form fields or text tags).
var ErrAppendedPage = errors.New("the request has an appended signature page")

var (
	_ providers.Reminder   = (*Client)(nil)
	_ providers.Updater    = (*Client)(nil)
	_ providers.Downloader = (*Client)(nil)
)

// remindNamedRequest is SignatureRequestRemindRequest with the name, which
// the vendor needs only when two signers share an email.
type remindNamedRequest struct {
	EmailAddress string `json:"email_address"`
	Name         string `json:"name,omitempty"`
}

// updateRequest is SignatureRequestUpdateRequest.
type updateRequest struct {
	SignatureID  string `json:"signature_id"`
	EmailAddress string `json:"email_address,omitempty"`
	Name         string `json:"name,omitempty"`
	ExpiresAt    *int64 `json:"expires_at,omitempty"`
}

// RemindSigners reminds pending signers of request id, one POST
// /signature_request/remind/{id} each (JSON body). A signer reminded less
// than RemindGap ago (by last_reminded_at) is refused without a call, with
// NextRemind set; so is the vendor's own refusal (invalid_reminder). The
// one-hour rule makes a reminder safe to retry after an unclear outcome:
// a duplicate is refused, never sent.
func (c *Client) RemindSigners(ctx context.Context, id string, emails []string) (providers.RemindResult, error) {
	op := "remind " + id
	for _, e := range emails {
		if err := models.ValidateEmail(e); err != nil {
			pe := c.errorf(providers.ErrInvalid, op, "%s", err.Error())
			pe.Path = "email_address"
			return providers.RemindResult{}, pe
		}
	}
	sr, _, err := c.getRaw(ctx, op, id)
	if err != nil {
		return providers.RemindResult{}, err
	}
	s := c.toSession(sr, nil)
	if s.Status.Final() {
		return providers.RemindResult{}, c.errorf(providers.ErrConflict, op,
			"the request is %s; only open requests have signers to remind", strings.ToLower(s.Status.Label()))
	}
	targets, res, err := pickSigners(c, op, s.Signers, emails)
	if err != nil {
		return providers.RemindResult{}, err
	}
	now := c.now()
	for _, i := range targets {
		g := s.Signers[i]
		r := providers.SignerResult{Signer: g}
		if why := providers.Remindable(g); why != "" {
			r.Skipped = g.Email + " " + why
			res = append(res, r)
			continue
		}
		if next := providers.NextReminder(c.Capabilities(), g, now); !next.IsZero() {
			r.NextRemind = next
			r.Err = c.errorf(providers.ErrInvalid, op, "%s was reminded at %s; Dropbox Sign allows the next reminder at %s",
				g.Email, g.LastRemindedAt.Local().Format("15:04"), next.Local().Format("15:04"))
			res = append(res, r)
			continue
		}
		name := ""
		if sharedEmail(s.Signers, g.Email) {
			name = g.Name
		}
		after, err := c.remindOne(ctx, op, id, g.Email, name)
		if err != nil {
			var pe *providers.Error
			if errors.As(err, &pe) && pe.Name == "invalid_reminder" {
				if !g.LastRemindedAt.IsZero() {
					r.NextRemind = g.LastRemindedAt.Add(RemindGap)
				}
				pe.Message += " (Dropbox Sign allows one reminder an hour per signer, and none for a closed or embedded request)"
			}
			if isAmbiguous(err) && errors.As(err, &pe) {
				pe.Message = "the reminder may or may not have been sent; sending it again is safe (Dropbox Sign refuses a second one within the hour)"
			}
			r.Err = err
			res = append(res, r)
			continue
		}
		if after != nil {
			for _, ng := range c.toSession(after, nil).Signers {
				if ng.ID == g.ID || (ng.ID == "" && strings.EqualFold(ng.Email, g.Email)) {
					r.Signer = ng
				}
			}
		}
		if r.Signer.LastRemindedAt.IsZero() || r.Signer.LastRemindedAt.Before(now.Add(-time.Minute)) {
			r.Signer.LastRemindedAt = now
		}
		r.NextRemind = r.Signer.LastRemindedAt.Add(RemindGap)
		res = append(res, r)
	}
	return providers.RemindResult{Signers: res}, nil
}

// remindOne sends one reminder and returns the request as it is after it
// (nil when the echo could not be read).
func (c *Client) remindOne(ctx context.Context, op, id, email, name string) (*signatureRequest, error) {
	body, err := jsonBody(remindNamedRequest{EmailAddress: email, Name: name})
	if err != nil {
		return nil, c.errorf(providers.ErrInvalid, op, "%s", err.Error())
	}
	req := c.request(http.MethodPost, "signature_request/remind/"+url.PathEscape(id), op)
	req.Body, req.ContentType, req.Retry429 = body, "application/json", true
	var gr getResponse
	resp, err := c.call(ctx, req, &gr)
	if err != nil {
		if resp != nil && resp.Status/100 == 2 && errors.Is(err, providers.ErrResponse) {
			return nil, nil // accepted; only the echo is unreadable
		}
		return nil, err
	}
	return gr.SignatureRequest, nil
}

// pickSigners returns the indexes of the signers emails names (all when
// emails is empty), and a failed result for each email that names none.
func pickSigners(c *Client, op string, signers []models.Signer, emails []string) ([]int, providers.SignerResults, error) {
	var idx []int
	var res providers.SignerResults
	if len(emails) == 0 {
		for i := range signers {
			idx = append(idx, i)
		}
		if len(idx) == 0 {
			return nil, nil, c.errorf(providers.ErrInvalid, op, "the request has no signers")
		}
		return idx, nil, nil
	}
	idx, unknown := providers.MatchSignerEmails(signers, emails)
	for _, e := range unknown {
		pe := c.errorf(providers.ErrNotFound, op, "no signer has the email %s", e)
		pe.Path = "email_address"
		res = append(res, providers.SignerResult{Signer: models.Signer{Email: models.CleanText(e)}, Err: pe})
	}
	return idx, res, nil
}

func sharedEmail(signers []models.Signer, email string) bool {
	n := 0
	for _, g := range signers {
		if strings.EqualFold(g.Email, email) {
			n++
		}
	}
	return n > 1
}

// Update fixes signers in place and changes the expiry: one POST
// /signature_request/update/{id} per signer (signature_id with the new
// email_address and/or name), and one with expires_at (the vendor requires
// a signature_id with it too; the first signer's is sent). A new email
// gives the signer a new signature_id; the result carries the signer as
// the vendor answered. Dropbox Sign refuses this for a request with an
// appended signature page: that error wraps ErrAppendedPage and says to
// copy the request instead.
//
// An update whose outcome is unknown is settled by reading the request:
// a signer that shows the new values is a success.
func (c *Client) Update(ctx context.Context, id string, spec providers.UpdateSpec) (providers.UpdateResult, error) {
	op := "update " + id
	if err := c.checkID(op, id); err != nil {
		return providers.UpdateResult{}, err
	}
	if len(spec.Signers) == 0 && spec.ExpiresAt.IsZero() {
		return providers.UpdateResult{}, c.errorf(providers.ErrInvalid, op, "nothing to change")
	}
	for i, u := range spec.Signers {
		if strings.TrimSpace(u.Signer) == "" {
			return providers.UpdateResult{}, c.errorf(providers.ErrInvalid, op, "change %d names no signer", i+1)
		}
		if u.Email == "" && updName(u) == "" {
			return providers.UpdateResult{}, c.errorf(providers.ErrInvalid, op, "the change of %s has no new email or name", u.Signer)
		}
		if u.Email != "" {
			if err := models.ValidateEmail(u.Email); err != nil {
				pe := c.errorf(providers.ErrInvalid, op, "%s", err.Error())
				pe.Path = "email_address"
				return providers.UpdateResult{}, pe
			}
		}
	}
	var exp int64
	if !spec.ExpiresAt.IsZero() {
		now := c.now()
		if !spec.ExpiresAt.After(now.Add(time.Hour)) {
			return providers.UpdateResult{}, c.errorf(providers.ErrInvalid, op, "the new expiry %s is not at least an hour ahead",
				spec.ExpiresAt.Local().Format("2006-01-02 15:04"))
		}
		if spec.ExpiresAt.After(now.Add(MaxExpiry)) {
			return providers.UpdateResult{}, c.errorf(providers.ErrInvalid, op, "the new expiry %s is more than 90 days ahead, which Dropbox Sign refuses",
				spec.ExpiresAt.Local().Format("2006-01-02"))
		}
		exp = spec.ExpiresAt.Unix()
	}
	sr, _, err := c.getRaw(ctx, op, id)
	if err != nil {
		return providers.UpdateResult{}, err
	}
	s := c.toSession(sr, nil)
	if s.Status.Final() {
		return providers.UpdateResult{}, c.errorf(providers.ErrConflict, op,
			"the request is %s; only an open request can be changed", strings.ToLower(s.Status.Label()))
	}
	var res providers.UpdateResult
	// The expiry goes first: a new email gives its signer a new
	// signature_id, so the one read above would no longer be found.
	if exp != 0 {
		res.ExpiresAt, res.ExpiryErr = c.updateExpiry(ctx, op, id, s.Signers, exp)
	}
	for _, u := range spec.Signers {
		res.Signers = append(res.Signers, c.updateSigner(ctx, op, id, s.Signers, u))
	}
	return res, nil
}

func updName(u providers.SignerUpdate) string {
	return models.CopySigner{Name: u.Name, FirstName: u.FirstName, LastName: u.LastName}.FullName()
}

// findSigner finds the signer u names, by signature id or email.
func findSigner(signers []models.Signer, key string) (models.Signer, int) {
	key = strings.TrimSpace(key)
	var hit models.Signer
	n := 0
	for _, g := range signers {
		if g.ID != "" && g.ID == key {
			return g, 1
		}
	}
	for _, g := range signers {
		if strings.EqualFold(g.Email, key) {
			hit = g
			n++
		}
	}
	return hit, n
}

func (c *Client) updateSigner(ctx context.Context, op, id string, signers []models.Signer, u providers.SignerUpdate) providers.SignerResult {
	g, n := findSigner(signers, u.Signer)
	r := providers.SignerResult{Signer: g}
	switch {
	case n == 0:
		r.Signer = models.Signer{Email: models.CleanText(u.Signer)}
		r.Err = c.errorf(providers.ErrNotFound, op, "no signer is %s", u.Signer)
		return r
	case n > 1:
		r.Err = c.errorf(providers.ErrInvalid, op, "%d signers share the email %s; name the signer by its id", n, u.Signer)
		return r
	case g.Status == models.SignerSigned || g.Status == models.SignerDeclined:
		r.Err = c.errorf(providers.ErrConflict, op, "%s %s; only a signer who has not signed can be changed",
			g.Email, strings.ToLower(g.Status.Label()))
		return r
	}
	body := updateRequest{SignatureID: g.ID, Name: strings.TrimSpace(updName(u))}
	if e := strings.TrimSpace(u.Email); e != "" && !strings.EqualFold(e, g.Email) {
		body.EmailAddress = e
	}
	if body.Name == g.Name {
		body.Name = ""
	}
	if body.EmailAddress == "" && body.Name == "" {
		r.Skipped = g.Email + " already has these values"
		return r
	}
	after, err := c.postUpdate(ctx, op, id, body)
	wantEmail := firstNonEmpty(body.EmailAddress, g.Email)
	wantName := firstNonEmpty(body.Name, g.Name)
	if err != nil && isAmbiguous(err) {
		// Look before reporting: the change may have been made.
		if cur, _, gerr := c.getRaw(ctx, "confirm "+op, id); gerr == nil {
			if ng, ok := matchUpdated(c.toSession(cur, nil).Signers, g, wantEmail, wantName); ok {
				r.Signer = ng
				return r
			}
			var pe *providers.Error
			if errors.As(err, &pe) {
				pe.Message = "the change's outcome was unknown and the request does not show it, so it most likely was not made; it may be tried again"
			}
		}
		r.Err = err
		return r
	}
	if err != nil {
		r.Err = err
		return r
	}
	if after != nil {
		if ng, ok := matchUpdated(c.toSession(after, nil).Signers, g, wantEmail, wantName); ok {
			r.Signer = ng
			return r
		}
	}
	r.Signer.Email, r.Signer.Name = wantEmail, wantName
	return r
}

// matchUpdated finds signer old in signers with its new values.
func matchUpdated(signers []models.Signer, old models.Signer, email, name string) (models.Signer, bool) {
	for _, g := range signers {
		if strings.EqualFold(g.Email, email) && (name == "" || g.Name == name) &&
			(g.ID == old.ID || !strings.EqualFold(email, old.Email) || g.Order == old.Order) {
			return g, true
		}
	}
	return models.Signer{}, false
}

func (c *Client) updateExpiry(ctx context.Context, op, id string, signers []models.Signer, exp int64) (time.Time, error) {
	sigID := ""
	for _, g := range signers {
		if g.ID != "" {
			sigID = g.ID
			break
		}
	}
	if sigID == "" {
		return time.Time{}, c.errorf(providers.ErrInvalid, op, "the request has no signature id to send with expires_at")
	}
	after, err := c.postUpdate(ctx, op, id, updateRequest{SignatureID: sigID, ExpiresAt: &exp})
	if err != nil && isAmbiguous(err) {
		if cur, _, gerr := c.getRaw(ctx, "confirm "+op, id); gerr == nil && cur.ExpiresAt != nil &&
			*cur.ExpiresAt <= exp && *cur.ExpiresAt > exp-3600 {
			return time.Unix(*cur.ExpiresAt, 0), nil
		}
		return time.Time{}, err
	}
	if err != nil {
		return time.Time{}, err
	}
	if after != nil && after.ExpiresAt != nil && *after.ExpiresAt > 0 {
		return time.Unix(*after.ExpiresAt, 0), nil
	}
	return time.Unix(exp, 0), nil
}

// postUpdate sends one update. A 429 is waited out and sent again (the
// vendor did not execute it).
func (c *Client) postUpdate(ctx context.Context, op, id string, body updateRequest) (*signatureRequest, error) {
	b, err := jsonBody(body)
	if err != nil {
		return nil, c.errorf(providers.ErrInvalid, op, "%s", err.Error())
	}
	req := c.request(http.MethodPost, "signature_request/update/"+url.PathEscape(id), op)
	req.Body, req.ContentType, req.Retry429 = b, "application/json", true
	var gr getResponse
	resp, err := c.call(ctx, req, &gr)
	if err != nil {
		if resp != nil && resp.Status/100 == 2 && errors.Is(err, providers.ErrResponse) {
			return nil, nil
		}
		var pe *providers.Error
		if errors.As(err, &pe) && appendedPage(pe) {
			pe.Err = ErrAppendedPage
			pe.Message = "Dropbox Sign cannot change the signers of this request: it was sent without form fields, " +
				"so it has an appended signature page. Copy the request with the corrected signer instead. (" + pe.Message + ")"
		}
		return nil, err
	}
	return gr.SignatureRequest, nil
}

// appendedPage recognises the vendor's refusal of an update for a request
// with an appended signature page. The vendor documents the rule ("This
// action cannot be performed on a signature request with an appended
// signature page") but not its error name, so the text decides.
func appendedPage(pe *providers.Error) bool {
	if pe.Status != http.StatusBadRequest && pe.Status != http.StatusForbidden && pe.Status != http.StatusConflict {
		return false
	}
	m := strings.ToLower(pe.Message)
	return strings.Contains(m, "signature page") || strings.Contains(m, "appended")
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// filesLimiter paces the files endpoints (their own tier).
func (c *Client) filesLimiter() *providers.Limiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.filesLim == nil {
		c.filesLim = providers.NewLimiter(FilesPerMinute, time.Minute, 5)
	}
	return c.filesLim
}

// SetFilesLimiter replaces the limiter of the files endpoints (tests, or
// one limiter shared by several clients of a key).
func (c *Client) SetFilesLimiter(l *providers.Limiter) {
	c.mu.Lock()
	c.filesLim = l
	c.mu.Unlock()
}

// Download writes the request's documents: GET
// /signature_request/files/{id}?file_type=pdf (one merged PDF, the
// default) or zip (the documents one by one), streamed into
// spec.Create(title.pdf|zip) with progress. While the vendor prepares the
// files it answers 409; the download waits and asks again (backoff from
// DownloadPollFirst to DownloadPollMax, at most DownloadWait in all). A
// request in an error state answers 422: an ErrInvalid that says so. The
// files endpoints have their own rate-limit tier (FilesPerMinute) and
// their own limiter.
func (c *Client) Download(ctx context.Context, id string, spec providers.DownloadSpec) (providers.DownloadResult, error) {
	op := "download " + id
	format := strings.ToLower(strings.TrimSpace(spec.Format))
	if format == "" {
		format = "pdf"
	}
	if format != "pdf" && format != "zip" {
		return providers.DownloadResult{}, c.errorf(providers.ErrInvalid, op, "format %q: want pdf or zip", spec.Format)
	}
	if spec.Create == nil {
		return providers.DownloadResult{}, c.errorf(providers.ErrInvalid, op, "no destination for the file")
	}
	sr, _, err := c.getRaw(ctx, op, id)
	if err != nil {
		return providers.DownloadResult{}, err
	}
	title := firstNonEmpty(sr.Title, sr.OriginalTitle, id)
	name := providers.FileName(title + "." + format)

	first, max, total := c.cfg.DownloadPollFirst, c.cfg.DownloadPollMax, c.cfg.DownloadWait
	if first <= 0 {
		first = 2 * time.Second
	}
	if max <= 0 {
		max = 15 * time.Second
	}
	if total == 0 {
		total = 2 * time.Minute
	}
	start := c.now()
	wait := first
	for attempt := 1; ; attempt++ {
		req := c.request(http.MethodGet, "signature_request/files/"+url.PathEscape(id), op)
		req.Query = url.Values{"file_type": {format}}
		req.Header.Set("Accept", "application/pdf, application/zip, application/json")
		resp, err := c.http.Stream(ctx, req, c.filesLimiter())
		if err != nil {
			return providers.DownloadResult{}, err
		}
		if resp.Body != nil {
			defer resp.Body.Close()
			ct := resp.Header.Get("Content-Type")
			if strings.HasPrefix(ct, "application/json") {
				// A JSON 200 is not a file (an older API answered
				// file_url JSON here).
				_ = resp.Body.Close()
				return providers.DownloadResult{}, c.errorf(providers.ErrResponse, op, "the answer is JSON, not a %s file", format)
			}
			f, err := providers.CopyFile(spec, name, ct, resp.Body, resp.Length)
			if err != nil {
				if providers.IsWriteError(err) {
					return providers.DownloadResult{}, fmt.Errorf("%s: %s: %w", c.cfg.Account, op, err)
				}
				e := c.errorf(providers.ErrUnavailable, op, "the download broke off: %s", c.http.Redact(err.Error()))
				e.Err = err
				return providers.DownloadResult{}, e
			}
			if resp.Length >= 0 && f.Bytes != resp.Length {
				return providers.DownloadResult{}, c.errorf(providers.ErrResponse, op, "got %d of %d bytes", f.Bytes, resp.Length)
			}
			return providers.DownloadResult{Files: []providers.DownloadedFile{f}}, nil
		}
		apiErr := c.apiError(op, resp.Answer)
		var pe *providers.Error
		errors.As(apiErr, &pe)
		switch resp.Status {
		case http.StatusConflict:
			if total < 0 || c.now().Add(wait).Sub(start) > total {
				if pe != nil {
					pe.Message = fmt.Sprintf("Dropbox Sign is still preparing the files after %d tries; try again later (%s)",
						attempt, pe.Message)
				}
				return providers.DownloadResult{}, apiErr
			}
			c.log.Debug("dropboxsign download: files being prepared; waiting", "account", c.cfg.Account, "wait", wait)
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return providers.DownloadResult{}, ctx.Err()
			case <-t.C:
			}
			wait = min(wait*2, max)
			continue
		case http.StatusUnprocessableEntity:
			if pe != nil {
				pe.Message = "Dropbox Sign could not prepare the files: the request is in an error state (" + pe.Message + ")"
			}
		case http.StatusGone:
			if pe != nil {
				pe.Message += " (Dropbox Sign answers 410 for a canceled or removed request)"
			}
		}
		return providers.DownloadResult{}, apiErr
	}
}
