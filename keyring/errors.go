package keyring

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/signdeck/signdeck/models"
)

// NotFoundError says that no token exists for an account. It matches
// ErrNotFound.
type NotFoundError struct {
	Account string
	// Where was looked: a store's Source, or SourceNone when both the
	// environment and the store were searched (Tokens.Get).
	Where Source
}

func (e *NotFoundError) Error() string {
	switch e.Where {
	case SourceNone:
		return fmt.Sprintf("keyring: no token for account %q: set %s or save one in the keyring",
			e.Account, EnvName(e.Account))
	case SourceKeyring:
		return fmt.Sprintf("keyring: no token for account %q in the OS keyring", e.Account)
	default:
		return fmt.Sprintf("keyring: no token for account %q in the %s store", e.Account, e.Where)
	}
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// UnavailableError says that no Secret Service / OS keyring could be
// reached, and what to do about it. It matches ErrUnavailable.
type UnavailableError struct {
	// Op is the operation that failed ("read", "save", "delete").
	Op string
	// Account is the account concerned; empty for a general probe.
	Account string
	// Cause is the underlying error's text, cleaned for display and with
	// the secret (if any) removed.
	Cause string
}

func (e *UnavailableError) Error() string {
	var b strings.Builder
	b.WriteString("keyring: no OS keyring (Secret Service) is reachable")
	if e.Account != "" {
		fmt.Fprintf(&b, " to %s the token for account %q", e.Op, e.Account)
	}
	if e.Cause != "" {
		fmt.Fprintf(&b, " (%s)", e.Cause)
	}
	b.WriteString(". Install one: on Debian/Ubuntu `apt install gnome-keyring`, or another" +
		" Secret Service provider such as KeePassXC; on a headless machine run it inside" +
		" a D-Bus session (e.g. dbus-run-session) and unlock it. Or skip the keyring:")
	if e.Account != "" {
		fmt.Fprintf(&b, " set %s to the token", EnvName(e.Account))
	} else {
		b.WriteString(" set " + EnvPrefix + "<ACCOUNT> to the account's token")
	}
	return b.String()
}

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// TimeoutError says that the keyring did not answer in time. It matches
// ErrTimeout, and context.DeadlineExceeded too.
type TimeoutError struct {
	Op      string
	Account string
	// After is how long signdeck waited (0 if the caller's context had
	// already run out).
	After time.Duration
}

func (e *TimeoutError) Error() string {
	var b strings.Builder
	b.WriteString("keyring: the OS keyring did not answer")
	if e.Account != "" {
		fmt.Fprintf(&b, " when asked to %s the token for account %q", e.Op, e.Account)
	}
	if e.After > 0 {
		fmt.Fprintf(&b, " within %s", e.After)
	} else {
		b.WriteString(" in time")
	}
	b.WriteString(" (an unlock prompt may be waiting for you: answer it and retry). Or skip the keyring:")
	if e.Account != "" {
		fmt.Fprintf(&b, " set %s to the token", EnvName(e.Account))
	} else {
		b.WriteString(" set " + EnvPrefix + "<ACCOUNT> to the account's token")
	}
	return b.String()
}

// Is makes errors.Is(err, ErrTimeout) and errors.Is(err,
// context.DeadlineExceeded) true.
func (e *TimeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

// redact removes secret from s and cleans s for display on a terminal.
func redact(s, secret string) string {
	if secret != "" {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	s = models.CleanText(s)
	if secret != "" {
		if t := strings.TrimSpace(secret); t != "" {
			s = strings.ReplaceAll(s, t, "[redacted]")
		}
		if c := models.CleanText(secret); c != "" {
			s = strings.ReplaceAll(s, c, "[redacted]")
		}
	}
	return s
}
