package providers

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/signdeck/signdeck/models"
)

// Sentinel error kinds. Every *Error carries one; test with errors.Is.
var (
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: the credentials are valid but the account may not do
	// this (a paid plan is required, a role lacks the permission). Asking
	// again with the same key will not help; a new key will not either.
	ErrForbidden   = errors.New("forbidden")
	ErrNotFound    = errors.New("not found")
	ErrGone        = errors.New("gone")
	ErrRateLimited = errors.New("rate limited")
	ErrConflict    = errors.New("conflict")
	ErrInvalid     = errors.New("invalid input")
	ErrUnavailable = errors.New("service unavailable")
	// ErrProvider is a vendor error that fits none of the kinds above.
	ErrProvider = errors.New("provider error")
	// ErrAmbiguous: a request that changes something may or may not have
	// taken effect (timeout, connection reset, 5xx after sending).
	ErrAmbiguous = errors.New("outcome unknown")
	// ErrResponse: the provider's answer could not be understood
	// (malformed, truncated, too large).
	ErrResponse = errors.New("bad response")
	// ErrIncomplete: a listing stopped before its end (a page repeating
	// the previous one, the page cap, one of several streams failing).
	// The pages already streamed are good; the error says what is missing.
	ErrIncomplete = errors.New("listing incomplete")
)

// Error is a provider error. Name and Message are the vendor's, already
// stripped of control characters and credentials.
type Error struct {
	Kind     error  // one of the sentinels above
	Provider string // "dropboxsign", "constellation1"
	Account  string
	Op       string // "list", "cancel ID", ...
	Status   int    // HTTP status, 0 when none
	Name     string // vendor error name (error_name)
	Message  string // vendor error message
	Path     string // offending field path (error_path), for ErrInvalid
	// RetryAt is when a rate-limited call may be made again.
	RetryAt time.Time
	// Err is the underlying cause (transport error), redacted.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Account != "" {
		b.WriteString(e.Account)
		b.WriteString(": ")
	}
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	kind := "error"
	if e.Kind != nil {
		kind = e.Kind.Error()
	}
	b.WriteString(kind)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d", e.Status)
		if e.Name != "" {
			b.WriteString(" " + e.Name)
		}
		b.WriteString(")")
	} else if e.Name != "" {
		b.WriteString(" (" + e.Name + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Path != "" {
		b.WriteString(" [field " + e.Path + "]")
	}
	if e.Kind == ErrForbidden {
		b.WriteString(" (the credentials were accepted, but the account is not allowed to do this: check its plan and role)")
	}
	if !e.RetryAt.IsZero() {
		b.WriteString("; retry after " + e.RetryAt.Format(time.TimeOnly))
	}
	if e.Err != nil && e.Message == "" {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Is matches the error's kind.
func (e *Error) Is(target error) bool { return e.Kind != nil && target == e.Kind }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// NewError builds an *Error, cleaning the vendor's text and removing the
// given secrets from it.
func NewError(kind error, op string, status int, name, msg string, secrets ...string) *Error {
	return &Error{Kind: kind, Op: op, Status: status,
		Name: Redact(models.CleanText(name), secrets...), Message: Redact(models.CleanText(msg), secrets...)}
}

// KindForStatus maps an HTTP status to an error kind.
func KindForStatus(status int) error {
	switch {
	case status == 401:
		return ErrUnauthorized
	case status == 403:
		return ErrForbidden
	case status == 404:
		return ErrNotFound
	case status == 410:
		return ErrGone
	case status == 429:
		return ErrRateLimited
	case status == 409:
		return ErrConflict
	case status == 400 || status == 422:
		return ErrInvalid
	case status >= 500:
		return ErrUnavailable
	}
	return ErrProvider
}

// KindOf returns the sentinel kind err carries, ErrProvider when none.
func KindOf(err error) error {
	for _, k := range []error{ErrUnauthorized, ErrForbidden, ErrNotFound, ErrGone, ErrRateLimited, ErrConflict,
		ErrInvalid, ErrUnavailable, ErrAmbiguous, ErrResponse, ErrIncomplete} {
		if errors.Is(err, k) {
			return k
		}
	}
	return ErrProvider
}

// Retryable reports whether err is worth another try later (rate limits,
// unavailability, network faults), as opposed to a permanent refusal.
func Retryable(err error) bool {
	return errors.Is(err, ErrRateLimited) || errors.Is(err, ErrUnavailable)
}
