package constellation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// maxPagesPerStream stops a listing whose answers never end (a total that
// keeps growing, or full pages forever): 200 pages of 50 is 10,000
// sessions in one transaction.
// A variable so tests can lower it.
var maxPagesPerStream = 200

// List streams the sessions of every watched transaction, newest first
// within each, as lite summaries (Session.Complete false): GET
// v1/sessions/lite/{username}/{transactionId}/{pageSize}/{pageNum}/sortBy
// ?colName=CreatedOn&sortOrder=desc, pages 0-based, pageSize 50, until
// TotalCount. With q.Bucket it streams the "expired", "archived" or
// "deleted" bucket instead: GET v1/sessions/{bucket}/{pageSize}/{pageNum}.
//
// Page numbers count across the whole listing, from 1. Total and Pages are
// given only when the listing is one stream (one transaction, or a bucket);
// with several transactions they are unknown (-1, 0). q.MaxPages limits
// each transaction's stream, so that a short refresh still shows every
// transaction's newest sessions. q.Text is ignored (Capabilities.Query is
// false).
//
// A transaction whose listing fails does not hide the others: its error is
// collected and List goes on, returning the errors joined at the end.
// Authentication, rate-limit and availability errors stop at once, as
// every later call would fail the same way. An error from fn stops the
// listing and is returned as is.
func (c *Client) List(ctx context.Context, q providers.ListQuery, fn func(providers.Page) error) error {
	l := &lister{c: c, fn: fn, maxPages: q.MaxPages, seen: map[string]bool{}}
	if b := strings.ToLower(strings.TrimSpace(q.Bucket)); b != "" {
		st, ok := bucketStatus[b]
		if !ok {
			return c.errorf(providers.ErrInvalid, "list "+models.CleanText(q.Bucket),
				"unknown bucket "+strconv.Quote(models.CleanText(q.Bucket))+" (want expired, archived or deleted)")
		}
		err := l.stream(ctx, "list "+b, func(n int) string {
			return "v1/sessions/" + b + "/" + strconv.Itoa(PageSize) + "/" + strconv.Itoa(n)
		}, nil, st, true)
		return unwrapFn(err)
	}
	if c.username == "" {
		return c.errorf(providers.ErrInvalid, "list",
			"no username is set: Constellation1 lists sessions by user and transaction id (set username in the account)")
	}
	if len(c.transactions) == 0 {
		return c.errorf(providers.ErrInvalid, "list",
			"no transactions are set: Constellation1 can only list sessions by transaction id (set transactions in the account)")
	}
	single := len(c.transactions) == 1
	var errs []error
	var failed []string
	listed := 0
	for i, tx := range c.transactions {
		base := "v1/sessions/lite/" + url.PathEscape(c.username) + "/" + url.PathEscape(tx) + "/" + strconv.Itoa(PageSize) + "/"
		query := url.Values{"colName": {"CreatedOn"}, "sortOrder": {"desc"}}
		err := l.stream(ctx, "list "+tx, func(n int) string { return base + strconv.Itoa(n) + "/sortBy" }, query, "", single)
		if err == nil {
			listed++
			continue
		}
		var fe fnError
		if errors.As(err, &fe) {
			return fe.err
		}
		failed = append(failed, tx)
		if ctx.Err() != nil || isKind(err, providers.ErrUnauthorized, providers.ErrRateLimited, providers.ErrUnavailable,
			context.Canceled, context.DeadlineExceeded) {
			failed = append(failed, c.transactions[i+1:]...)
			return c.partial(listed, failed, join(append(errs, err)))
		}
		if !sameError(errs, err) {
			errs = append(errs, err)
		}
	}
	return c.partial(listed, failed, join(errs))
}

// partial names the transactions a listing missed when others were
// listed: an ErrIncomplete error wrapping their errors, so a caller keeps
// the sessions it was given and shows what is missing. With nothing
// listed, err is returned as is.
func (c *Client) partial(listed int, failed []string, err error) error {
	if err == nil || listed == 0 || len(failed) == 0 {
		return err
	}
	e := c.errorf(providers.ErrIncomplete, "list", fmt.Sprintf("%d of %d transactions could not be listed (%s); the sessions of the others are listed. %s",
		len(failed), listed+len(failed), strings.Join(failed, ", "), err.Error()))
	e.Err = err
	return e
}

// fnError marks an error returned by List's callback.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }
func (e fnError) Unwrap() error { return e.err }

func unwrapFn(err error) error {
	var fe fnError
	if errors.As(err, &fe) {
		return fe.err
	}
	return err
}

func join(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}

// sameError reports whether errs already holds an error of the same kind
// and vendor text (a wrong username fails every transaction alike).
func sameError(errs []error, err error) bool {
	var pe *providers.Error
	if !errors.As(err, &pe) {
		return false
	}
	for _, e := range errs {
		var qe *providers.Error
		if errors.As(e, &qe) && qe.Kind == pe.Kind && qe.Message == pe.Message && qe.Status == pe.Status {
			return true
		}
	}
	return false
}

type lister struct {
	c        *Client
	fn       func(providers.Page) error
	maxPages int
	page     int
	seen     map[string]bool
}

// stream lists one paged source: pathFor(n) is page n's path (0-based).
// bucket is the status rows without one get. single says whether this
// stream is the whole listing (so its total is the listing's).
func (l *lister) stream(ctx context.Context, op string, pathFor func(int) string, query url.Values,
	bucket models.Status, single bool) error {
	c := l.c
	for n := 0; ; n++ {
		if l.maxPages > 0 && n >= l.maxPages {
			return nil
		}
		if n >= maxPagesPerStream {
			c.log.Warn("constellation1 listing stopped: too many pages", "account", c.account, "op", op, "pages", n)
			return c.errorf(providers.ErrIncomplete, op, fmt.Sprintf("stopped after %d pages: the server announced more, beyond the page cap", n))
		}
		resp, err := c.call(ctx, apiCall{method: http.MethodGet, path: pathFor(n), query: query, op: op})
		if err != nil {
			return err
		}
		if err := c.checkHTTP(resp, op, false); err != nil {
			return err
		}
		raw, err := parseBody(resp.Body)
		if err != nil {
			return c.badBody(op, resp.Body)
		}
		rows, total, env, ok := decodeList(raw)
		if ok && len(rows) == 0 && total <= 0 && len(env.details) > 0 &&
			errors.Is(classify(env.message()), providers.ErrNotFound) {
			env.details = nil // "no sessions found": an empty transaction, not an error
		}
		if !ok || (len(rows) == 0 && len(env.details) > 0) {
			// "Username not found", "page size cannot exceed 50", ...
			if len(env.details) > 0 || env.hasReturn {
				return c.logicalError(op, env)
			}
			return c.badBody(op, resp.Body)
		}
		page := providers.Page{Page: l.page + 1, Total: -1}
		if single && total >= 0 {
			page.Total = total
			page.Pages = max(1, (total+PageSize-1)/PageSize)
		}
		for _, r := range rows {
			s, ok := toLite(c.account, r, bucket)
			if !ok || l.seen[s.Ref.ID] {
				continue // a row without an id, or one that moved between pages
			}
			l.seen[s.Ref.ID] = true
			page.Sessions = append(page.Sessions, s)
		}
		l.page++
		if err := l.fn(page); err != nil {
			return fnError{err}
		}
		switch {
		case len(rows) == 0:
			return nil
		case total >= 0 && (n+1)*PageSize >= total:
			return nil
		case total < 0 && len(rows) < PageSize:
			return nil
		}
	}
}

// decodeList reads a ResponseSessionInfoLiteView ("TotalCount" and the
// session rows) or a SessionLiteBucketView ("signing session IDs, along
// with the total count"). The reference does not know the array's name
// (§7), so the likely names are tried, then any array member. total is -1
// when the answer has none. ok is false when no rows could be found at all.
func decodeList(raw json.RawMessage) (rows []json.RawMessage, total int, env envelope, ok bool) {
	total = -1
	if els, isList := rawList(raw); isList {
		return els, total, env, true
	}
	env = readEnvelope(raw)
	o := env.o
	if o == nil {
		return nil, total, env, false
	}
	if t, has := o.num("TotalCount", "TotalRecords", "Total", "Count", "TotalRows"); has && t >= 0 {
		total = int(t)
	}
	if els, has := o.list("Sessions", "SessionInfoLites", "SessionInfoLiteViews", "SessionInfoLiteView",
		"SigningSessionIds", "SigningSessionIDs", "SessionIds", "SigningSessions", "Items", "Results",
		"Data", "Records", "Rows"); has {
		return els, total, env, true
	}
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "details" || k == "errors" {
			continue
		}
		if els, isList := rawList(o[k]); isList {
			return els, total, env, true
		}
	}
	// No array: an empty list says so with a zero total (or a null array).
	if total == 0 || o.has("Sessions", "SigningSessionIds") {
		return nil, total, env, true
	}
	return nil, total, env, false
}
