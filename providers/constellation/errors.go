package constellation

import (
	"errors"
	"net/http"
	"strings"

	"github.com/signdeck/signdeck/providers"
)

// The vendor documents no HTTP status codes (reference §6.5): errors are
// message strings inside an HTTP 200 answer, in Details, with ReturnValue
// "False" or null. classify turns such a text into an error kind. The
// documented texts are matched first (Appendix A); the rest is keyword
// guesswork that only picks the kind, never hides the vendor's text.

// badTokenMarkers identify the documented "Error: Bad Token Information.
// Please authenticate." and "Error: Invalid token" answers, and the
// obvious variants of an expired token.
var badTokenMarkers = []string{
	"bad token", "invalid token", "token is invalid", "token has expired", "token expired",
	"expired token", "please authenticate",
}

func isBadTokenText(s string) bool {
	s = strings.ToLower(s)
	for _, m := range badTokenMarkers {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// classify picks the error kind for a vendor error text.
func classify(text string) error {
	s := strings.ToLower(text)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(s, w) {
				return true
			}
		}
		return false
	}
	switch {
	case isBadTokenText(s),
		has("invalid api key", "api key is invalid", "invalid user account", "unauthorized", "not authorized",
			"access denied", "permission", "not allowed to access"):
		return providers.ErrUnauthorized
	case has("username not found", "user not found", "user name not found"):
		// The configured username is wrong: something the user fixes in
		// the account settings, not a missing session.
		return providers.ErrInvalid
	case has("not found", "does not exist", "doesn't exist", "no session", "invalid session id",
		"invalid signing session", "could not find", "unknown session"):
		return providers.ErrNotFound
	case has("too many requests", "rate limit", "throttl"):
		return providers.ErrRateLimited
	case has("cannot be cancel", "can not be cancel", "cannot cancel", "can't cancel", "already",
		"not in a state", "current status", "in completed", "is completed", "has been completed"):
		return providers.ErrConflict
	case has("last name", "valid email", "is required", "required", "invalid", "cannot exceed",
		"must not exceed", "maximum", "must be", "too long"):
		return providers.ErrInvalid
	case has("try again", "timeout", "timed out", "unavailable", "temporarily"):
		return providers.ErrUnavailable
	}
	return providers.ErrProvider
}

// checkHTTP turns a non-2xx answer into a typed error. For a call that
// changes something (mutating), a 5xx leaves the outcome unknown: it is
// ErrAmbiguous, and the caller looks before reporting.
func (c *Client) checkHTTP(resp *providers.Response, op string, mutating bool) error {
	if resp.Status >= 200 && resp.Status < 300 {
		return nil
	}
	kind := providers.KindForStatus(resp.Status)
	msg := bodyMessage(resp.Body, c.hc.Redact)
	switch {
	case mutating && resp.Status >= 500:
		kind = providers.ErrAmbiguous
		msg += "; the change may or may not have been made"
	case resp.Status >= 300 && resp.Status < 400:
		msg = "unexpected redirect (" + http.StatusText(resp.Status) + "): " + msg
	case (resp.Status == 401 || resp.Status == 403) && isBadTokenText(msg):
		msg = "the session token was refused even after a refresh: " + msg
	}
	e := c.hc.NewError(kind, op, resp.Status, "", msg)
	if resp.Status == http.StatusTooManyRequests {
		e.RetryAt = resp.RetryAt()
	}
	return e
}

// bodyMessage describes an error answer: the vendor's texts when it is
// JSON, else a short excerpt (redacted by redact, when not nil, before it
// is cut).
func bodyMessage(body []byte, redact func(string) string) string {
	raw, err := parseBody(body)
	if err != nil {
		return excerpt(body, redact)
	}
	env := readEnvelope(raw)
	if len(env.details) > 0 {
		return strings.Join(env.details, "; ")
	}
	if env.o != nil {
		if m := env.o.str("Message", "error_description", "title"); m != "" {
			return m
		}
	}
	return excerpt(body, redact)
}

// logicalError builds the error for a refusal inside an HTTP 200 answer.
func (c *Client) logicalError(op string, env envelope) *providers.Error {
	msg := env.message()
	kind := classify(msg)
	if kind == providers.ErrUnauthorized && isBadTokenText(msg) {
		msg = "the session token was refused even after a refresh: " + msg
	}
	return c.hc.NewError(kind, op, 0, "", msg)
}

// badBody is the error for a 2xx answer that is not the JSON expected.
func (c *Client) badBody(op string, body []byte) *providers.Error {
	return c.hc.NewError(providers.ErrResponse, op, 0, "", "the answer is not the JSON expected: "+excerpt(body, c.hc.Redact))
}

// errorf builds a typed error for this account; the text is cleaned and
// redacted.
func (c *Client) errorf(kind error, op, msg string) *providers.Error {
	return c.hc.NewError(kind, op, 0, "", msg)
}

func isKind(err error, kinds ...error) bool {
	for _, k := range kinds {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}
