package dropboxsign

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// PageSize is the list page size (the vendor's maximum).
const PageSize = 100

// Verify checks the API key with GET /account and returns the account's
// email address and its quota.
func (c *Client) Verify(ctx context.Context) (providers.AccountInfo, error) {
	var ar accountResponse
	if _, err := c.call(ctx, c.request(http.MethodGet, "account", "verify"), &ar); err != nil {
		return providers.AccountInfo{}, err
	}
	if ar.Account == nil {
		return providers.AccountInfo{}, c.errorf(providers.ErrResponse, "verify", "the response has no account object")
	}
	a := ar.Account
	var detail []string
	if a.Quotas != nil && a.Quotas.APISignatureRequestsLeft != nil {
		detail = append(detail, fmt.Sprintf("%d API signature requests left", *a.Quotas.APISignatureRequestsLeft))
	}
	if a.IsPaidHS {
		detail = append(detail, "paid plan")
	} else {
		detail = append(detail, "free plan: live sends need a paid plan, test mode works")
	}
	if a.IsLocked {
		detail = append(detail, "account locked")
	}
	if c.cfg.TestMode {
		detail = append(detail, "test mode")
	}
	for _, w := range ar.Warnings {
		detail = append(detail, "warning "+c.http.Redact(warningText(w)))
	}
	return providers.AccountInfo{
		Who:    models.CleanText(a.EmailAddress),
		Detail: models.CleanText(strings.Join(detail, "; ")),
	}, nil
}

// learnOwner looks up the account's own email once, for a team account:
// Dropbox Sign lets only a request's sender cancel it, so a teammate's
// request is marked NotCancelable instead of failing at the API. A failed
// look-up is tried again on the next call and marks nothing.
func (c *Client) learnOwner(ctx context.Context) {
	if !c.cfg.Team {
		return
	}
	c.mu.Lock()
	known := c.owner != ""
	c.mu.Unlock()
	if known {
		return
	}
	info, err := c.Verify(ctx)
	if err != nil || info.Who == "" {
		c.log.Debug("dropboxsign: account email unknown; teammates' requests are not marked", "account", c.cfg.Account)
		return
	}
	c.mu.Lock()
	c.owner = info.Who
	c.mu.Unlock()
}

// List streams the account's signature requests page by page
// (page_size 100), up to list_info.num_pages. q.Text is passed as the
// vendor's `query` exactly as written: the encoder turns spaces into '+',
// and a literal '+' (as in an email address) into %2B, so write spaces
// between terms ("complete:false AND declined:false").
//
// A listed request without an id is dropped with a warning in
// Page.Warnings. A page that repeats the previous page's ids (a server
// that ignores `page`), or reaching Config.MaxListPages, ends the listing
// with an ErrIncomplete error after the good pages were streamed.
func (c *Client) List(ctx context.Context, q providers.ListQuery, fn func(providers.Page) error) error {
	if q.Bucket != "" {
		return c.errorf(providers.ErrInvalid, "list", "Dropbox Sign has no list view %q", q.Bucket)
	}
	c.learnOwner(ctx)
	var prevIDs []string
	listed := 0
	for page := 1; ; page++ {
		if page > c.cfg.MaxListPages {
			return c.errorf(providers.ErrIncomplete, "list",
				"stopped after %d pages (%d requests): the server announced more, beyond the page cap", c.cfg.MaxListPages, listed)
		}
		v := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(PageSize)}}
		if t := searchText(q); t != "" {
			v.Set("query", t)
		}
		if c.cfg.Team {
			v.Set("account_id", "all")
		}
		req := c.request(http.MethodGet, "signature_request/list", "list")
		if page > 1 {
			req.Op = fmt.Sprintf("list page %d", page)
		}
		req.Query = v
		var lr listResponse
		if _, err := c.call(ctx, req, &lr); err != nil {
			return err
		}
		if lr.ListInfo == nil || lr.SignatureRequests == nil {
			return c.errorf(providers.ErrResponse, req.Op, "the list response lacks signature_requests or list_info")
		}
		for _, w := range lr.Warnings {
			c.log.Warn("dropboxsign list warning", "account", c.cfg.Account, "warning", c.http.Redact(warningText(w)))
		}
		p := providers.Page{Page: page, Pages: lr.ListInfo.NumPages, Total: -1}
		if lr.ListInfo.NumResults != nil {
			p.Total = *lr.ListInfo.NumResults
		}
		ids := make([]string, 0, len(lr.SignatureRequests))
		for i := range lr.SignatureRequests {
			ids = append(ids, lr.SignatureRequests[i].SignatureRequestID)
		}
		if page > 1 && len(ids) > 0 && slices.Equal(ids, prevIDs) {
			return c.errorf(providers.ErrIncomplete, req.Op,
				"stopped: page %d repeats page %d (the server announced %d pages); %d requests were listed", page, page-1, lr.ListInfo.NumPages, listed)
		}
		prevIDs = ids
		p.Sessions = make([]models.Session, 0, len(lr.SignatureRequests))
		dropped := 0
		for i := range lr.SignatureRequests {
			if strings.TrimSpace(lr.SignatureRequests[i].SignatureRequestID) == "" {
				dropped++
				continue
			}
			p.Sessions = append(p.Sessions, c.toSession(&lr.SignatureRequests[i], nil))
		}
		if dropped > 0 {
			w := fmt.Sprintf("list page %d: %d listed request(s) without an id dropped", page, dropped)
			c.log.Warn("dropboxsign list: requests without an id dropped", "account", c.cfg.Account, "page", page, "dropped", dropped)
			p.Warnings = append(p.Warnings, w)
		}
		listed += len(p.Sessions)
		if err := fn(p); err != nil {
			return err
		}
		if page >= lr.ListInfo.NumPages || len(lr.SignatureRequests) == 0 || (q.MaxPages > 0 && page >= q.MaxPages) {
			return nil
		}
	}
}

// checkID refuses ids that cannot be a signature request id.
func (c *Client) checkID(op, id string) error {
	if strings.TrimSpace(id) == "" {
		return c.errorf(providers.ErrInvalid, op, "the signature request id is empty")
	}
	for _, r := range id {
		if r < 0x21 || r == 0x7f {
			return c.errorf(providers.ErrInvalid, op, "the signature request id holds spaces or control characters")
		}
	}
	return nil
}

func (c *Client) getRaw(ctx context.Context, op, id string) (*signatureRequest, []warning, error) {
	if err := c.checkID(op, id); err != nil {
		return nil, nil, err
	}
	var gr getResponse
	if _, err := c.call(ctx, c.request(http.MethodGet, "signature_request/"+url.PathEscape(id), op), &gr); err != nil {
		return nil, nil, err
	}
	if gr.SignatureRequest == nil {
		return nil, nil, c.errorf(providers.ErrResponse, op, "the response has no signature_request object")
	}
	if gr.SignatureRequest.SignatureRequestID == "" {
		gr.SignatureRequest.SignatureRequestID = id
	}
	return gr.SignatureRequest, gr.Warnings, nil
}

// Get returns one signature request.
func (c *Client) Get(ctx context.Context, id string) (models.Session, error) {
	c.learnOwner(ctx)
	sr, w, err := c.getRaw(ctx, "get "+id, id)
	if err != nil {
		var pe *providers.Error
		if errors.As(err, &pe) && errors.Is(err, providers.ErrGone) {
			// The vendor's text is only "This resource has been deleted."
			pe.Message += " (Dropbox Sign answers 410 for a canceled or removed request)"
		}
		return models.Session{}, err
	}
	return c.toSession(sr, w), nil
}

// Cancel queues the cancel of an incomplete signature request. Dropbox
// Sign cancels asynchronously: success is StatusCancelPending, and
// CancelStatus (or WaitCanceled) confirms it. A 429 is answered before the
// call is executed, so it is waited out and sent again; nothing else is
// retried.
func (c *Client) Cancel(ctx context.Context, id string) (providers.CancelResult, error) {
	op := "cancel " + id
	if err := c.checkID(op, id); err != nil {
		return providers.CancelResult{}, err
	}
	req := c.request(http.MethodPost, "signature_request/cancel/"+url.PathEscape(id), op)
	req.Retry429 = true
	if _, err := c.call(ctx, req, nil); err != nil {
		var pe *providers.Error
		switch {
		case errors.Is(err, providers.ErrGone) && c.cancelQueued(id):
			// Our earlier cancel went through meanwhile.
			c.clearCancel(id)
			return providers.CancelResult{Status: models.StatusCanceled, Message: "already canceled"}, nil
		case errors.As(err, &pe) && pe.Name == "signature_request_cancel_failed":
			pe.Message = pe.Message + " (Dropbox Sign refuses to cancel a request that is completed, declined, or not sent by this account)"
		case isAmbiguous(err) && errors.As(err, &pe):
			cause := ""
			if pe.Err != nil {
				cause = " (" + pe.Err.Error() + ")"
			}
			pe.Message = "the cancel may or may not have been queued" + cause + "; check the request's status before canceling again"
		}
		return providers.CancelResult{}, err
	}
	c.markCancel(id)
	return providers.CancelResult{Status: models.StatusCancelPending,
		Message: "cancel queued; Dropbox Sign completes it asynchronously"}, nil
}

// CancelStatus checks once whether a cancel is done. A request that answers
// 410 (deleted) or 404 is canceled; otherwise it returns the request's
// status, or StatusCancelPending while a cancel signdeck queued has not
// shown yet.
func (c *Client) CancelStatus(ctx context.Context, id string) (models.Status, error) {
	sr, _, err := c.getRaw(ctx, "cancel status "+id, id)
	if err != nil {
		if errors.Is(err, providers.ErrGone) || errors.Is(err, providers.ErrNotFound) {
			c.clearCancel(id)
			return models.StatusCanceled, nil
		}
		return "", err
	}
	s := c.toSession(sr, nil)
	if s.Status.Final() {
		c.clearCancel(id)
	}
	return s.Status, nil
}

// Remind emails a signer of request id a reminder. Dropbox Sign refuses a
// reminder within an hour of the last one (invalid_reminder, ErrInvalid).
func (c *Client) Remind(ctx context.Context, id, email string) error {
	op := "remind " + id
	if err := c.checkID(op, id); err != nil {
		return err
	}
	if err := models.ValidateEmail(email); err != nil {
		e := c.errorf(providers.ErrInvalid, op, "%s", err.Error())
		e.Path = "email_address"
		return e
	}
	body, err := jsonBody(remindRequest{EmailAddress: strings.TrimSpace(email)})
	if err != nil {
		return c.errorf(providers.ErrInvalid, op, "%s", err.Error())
	}
	req := c.request(http.MethodPost, "signature_request/remind/"+url.PathEscape(id), op)
	req.Body, req.ContentType, req.Retry429 = body, "application/json", true
	var gr getResponse
	resp, err := c.call(ctx, req, &gr)
	if err != nil && resp != nil && resp.Status/100 == 2 && errors.Is(err, providers.ErrResponse) {
		// The reminder was accepted (2xx); only its echo was unreadable.
		c.log.Warn("dropboxsign remind: unreadable response after success", "account", c.cfg.Account, "error", err.Error())
		return nil
	}
	return err
}

// searchText is q as a Dropbox Sign search: its text, and the incremental
// tiers' terms (created since a day, still open), joined with AND.
func searchText(q providers.ListQuery) string {
	var terms []string
	if t := strings.TrimSpace(q.Text); t != "" {
		terms = append(terms, t)
	}
	if !q.CreatedSince.IsZero() {
		terms = append(terms, "created:["+q.CreatedSince.UTC().Format("2006-01-02")+" TO *]")
	}
	if q.OpenOnly {
		terms = append(terms, "complete:false AND declined:false")
	}
	return strings.Join(terms, " AND ")
}
