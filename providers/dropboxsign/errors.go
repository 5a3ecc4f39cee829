package dropboxsign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// excerptMax caps how much of an unreadable body an error quotes.
const excerptMax = 200

// kindForName maps a Dropbox Sign error_name to an error kind (reference
// §4.2). ok is false for names it does not know.
func kindForName(name string) (kind error, ok bool) {
	switch name {
	case "bad_request", "invalid_recipient", "invalid_reminder", "unprocessable_entity",
		"signature_request_cancel_failed", "signature_request_remove_failed",
		"signature_request_expired", "signature_request_invalid", "invalid_file", "convert_failed", "template_error":
		return providers.ErrInvalid, true
	case "unauthorized":
		return providers.ErrUnauthorized, true
	case "forbidden":
		// "a paid API plan is required", a team role without the right:
		// the key works, so this is not an authentication failure.
		return providers.ErrForbidden, true
	case "not_found":
		return providers.ErrNotFound, true
	case "deleted":
		return providers.ErrGone, true
	case "exceeded_rate", "max_faxes":
		return providers.ErrRateLimited, true
	case "conflict", "team_invite_failed":
		return providers.ErrConflict, true
	case "unknown", "maintenance", "unavailable":
		return providers.ErrUnavailable, true
	case "payment_required", "method_not_supported":
		// A plan or a programming problem: neither a credential issue nor
		// something a retry fixes.
		return providers.ErrProvider, true
	}
	return nil, false
}

// kindFor decides the kind from the error_name first and the status second.
func kindFor(status int, name string) error {
	if status == http.StatusTooManyRequests {
		return providers.ErrRateLimited
	}
	if k, ok := kindForName(name); ok {
		return k
	}
	if status == http.StatusPaymentRequired {
		return providers.ErrProvider
	}
	return providers.KindForStatus(status)
}

// highTier lists the path prefixes of Dropbox Sign's high-tier endpoints
// (25/min; reference §5): sends and file downloads.
var highTier = []string{
	"signature_request/send", "signature_request/bulk_send_with_template",
	"signature_request/create_embedded", "signature_request/bulk_create_embedded_with_template",
	"signature_request/files", "template/files", "template/create_embedded_draft", "unclaimed_draft/create",
}

// tierFor names the rate-limit tier a request counts against: test-mode
// sends have their own (10/min), the high-tier endpoints theirs, and
// everything else the standard one (100/min).
func tierFor(req *providers.Request) string {
	path := strings.TrimLeft(req.Path, "/")
	for _, p := range highTier {
		if strings.HasPrefix(path, p) {
			if req.Method == http.MethodPost && len(req.Body) > 0 {
				var tm struct {
					TestMode bool `json:"test_mode"`
				}
				if json.Unmarshal(req.Body, &tm) == nil && tm.TestMode {
					return providers.TierTest
				}
			}
			return providers.TierHigh
		}
	}
	return providers.TierStandard
}

// call sends req and decodes a 2xx JSON body into out (when out is not
// nil). Any other status becomes a typed *providers.Error.
func (c *Client) call(ctx context.Context, req *providers.Request, out any) (*providers.Response, error) {
	if req.Tier == "" {
		req.Tier = tierFor(req)
	}
	resp, err := c.http.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return resp, c.apiError(req.Op, resp)
	}
	if out != nil {
		if err := c.decode(req.Op, resp, out); err != nil {
			return resp, err
		}
	}
	return resp, nil
}

// decode reads a successful JSON body.
func (c *Client) decode(op string, resp *providers.Response, out any) error {
	body := bytes.TrimSpace(resp.Body)
	if len(body) == 0 {
		e := c.http.NewError(providers.ErrResponse, op, resp.Status, "", "the response body is empty where JSON was expected")
		return e
	}
	if body[0] == '[' && json.Valid(body) {
		return c.http.NewError(providers.ErrResponse, op, resp.Status, "",
			"the response is a JSON array where an object was expected: "+c.excerpt(body))
	}
	if body[0] != '{' {
		e := c.http.NewError(providers.ErrResponse, op, resp.Status, "",
			"the response is not JSON ("+c.describeBody(resp)+")")
		return e
	}
	if err := json.Unmarshal(body, out); err != nil {
		e := c.http.NewError(providers.ErrResponse, op, resp.Status, "",
			"the response JSON could not be read ("+jsonProblem(err)+"): "+c.excerpt(body))
		return e
	}
	return nil
}

// apiError turns a non-2xx response into a typed error.
func (c *Client) apiError(op string, resp *providers.Response) error {
	var eb errorBody
	body := bytes.TrimSpace(resp.Body)
	var e *providers.Error
	if len(body) > 0 && body[0] == '{' && json.Unmarshal(body, &eb) == nil && eb.Error != nil &&
		(eb.Error.Name != "" || eb.Error.Msg != "") {
		// The vendor's text is shown as is, within reason.
		// NewError redacts; the cut comes after it, so a secret at the cut
		// is still whole when it is matched.
		e = c.http.NewError(kindFor(resp.Status, eb.Error.Name), op, resp.Status, eb.Error.Name, eb.Error.Msg)
		e.Name, e.Message = capRunes(e.Name, 100), capRunes(e.Message, 300)
		e.Path = capRunes(c.http.Redact(models.CleanText(eb.Error.Path)), 200)
	} else {
		kind := kindFor(resp.Status, "")
		var msg string
		switch {
		case len(body) == 0:
			msg = http.StatusText(resp.Status)
		case resp.Status >= 500:
			msg = http.StatusText(resp.Status) + ": the service answered with " + c.describeBody(resp) + " instead of an API error"
		default:
			// The status still says what kind of refusal it is.
			msg = http.StatusText(resp.Status) + ": the error body is not the documented JSON error (" + c.describeBody(resp) + ")"
		}
		e = c.http.NewError(kind, op, resp.Status, "", msg)
	}
	if errors.Is(e, providers.ErrRateLimited) {
		e.RetryAt = resp.RetryAt()
		if e.RetryAt.IsZero() {
			e.RetryAt = c.now().Add(time.Minute)
		}
	}
	return e
}

var (
	tagRE   = regexp.MustCompile(`(?s)<[^>]*>`)
	titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// describeBody names what an unreadable body is, with a short excerpt.
func (c *Client) describeBody(resp *providers.Response) string {
	body := bytes.TrimSpace(resp.Body)
	ct := resp.Header.Get("Content-Type")
	lower := bytes.ToLower(body[:min(len(body), 512)])
	if strings.Contains(ct, "html") || bytes.HasPrefix(lower, []byte("<!doctype html")) || bytes.HasPrefix(lower, []byte("<html")) {
		if m := titleRE.FindSubmatch(body); m != nil {
			return "an HTML page titled " + fmt.Sprintf("%q", c.excerpt(m[1]))
		}
		return "an HTML page: " + c.excerpt(tagRE.ReplaceAll(body, []byte(" ")))
	}
	if len(body) > 0 && (body[0] == '{' || body[0] == '[') {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return "broken JSON, " + jsonProblem(err) + ": " + c.excerpt(body)
		}
		return "JSON of an unexpected shape: " + c.excerpt(body)
	}
	if ct != "" {
		return fmt.Sprintf("%d bytes of %s: %s", len(body), models.CleanText(ct), c.excerpt(body))
	}
	return fmt.Sprintf("%d bytes: %s", len(body), c.excerpt(body))
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se) && strings.Contains(se.Error(), "max depth"):
		return fmt.Sprintf("nested too deeply at byte %d", se.Offset)
	case errors.As(err, &se) && strings.Contains(se.Error(), "unexpected end"):
		return "truncated"
	case err.Error() == "unexpected end of JSON input":
		return "truncated"
	case errors.As(err, &se):
		return fmt.Sprintf("malformed at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q has the wrong type", te.Field)
	}
	return "malformed"
}

// excerpt returns at most excerptMax characters of b, cleaned, with
// whitespace collapsed and the client's secrets redacted before the cut.
func (c *Client) excerpt(b []byte) string {
	s := models.CleanText(string(b))
	s = strings.TrimSpace(spaceRE.ReplaceAllString(s, " "))
	return capRunes(c.http.Redact(s), excerptMax)
}

// capRunes cuts s to at most n characters, marking the cut. Text that may
// hold a secret is redacted first: a secret cut in two no longer matches.
func capRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return providers.Cut(s, n+1)
}
