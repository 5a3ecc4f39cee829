package models

import (
	"strings"
	"time"
)

// The default windows of the "expiring soon" and "stalled" views, in days
// (config ui.expiring_days and ui.stalled_days).
const (
	DefaultExpiringDays = 7
	DefaultStalledDays  = 7
)

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// ExpiringSoon reports whether a session in status st that expires at
// expires is awaiting signature and expires within the next n days of now
// (now itself included, now+n days excluded). A session without a known
// expiry (zero) is never expiring, nor is one whose expiry has passed
// (the provider moves it to expired).
func ExpiringSoon(st Status, expires, now time.Time, n int) bool {
	if !Watched(st) || expires.IsZero() || n <= 0 {
		return false
	}
	from, to := ExpiringRange(now, n)
	return !expires.Before(from) && expires.Before(to)
}

// Watched reports whether the expiring and stalled views look at a
// session in status st: only sessions awaiting signature.
func Watched(st Status) bool { return st == StatusAwaitingSignature }

// ExpiringRange is the window of ExpiringSoon: from (included) to (not
// included).
func ExpiringRange(now time.Time, n int) (from, to time.Time) { return now, now.Add(days(n)) }

// StalledCutoff is the latest activity that Stalled counts as stalled
// (included).
func StalledCutoff(now time.Time, n int) time.Time { return now.Add(-days(n)) }

// LastActivity is when a signer last did something on the session that we
// can see: the latest signer's SignedAt, or CreatedAt (being asked to sign
// starts the clock) when no one signed later. UpdatedAt and reminders do
// not count: the vendors move UpdatedAt for the sender's own changes and a
// reminder is the sender's act, not the signer's. Zero when none is known.
func (s *Session) LastActivity() time.Time {
	t := s.CreatedAt
	for _, g := range s.Signers {
		if g.SignedAt.After(t) {
			t = g.SignedAt
		}
	}
	return t
}

// Stalled reports whether a session in status st whose last signer
// activity (LastActivity) was at last is awaiting signature with no
// activity for at least n days before now. Unknown activity (zero) is not
// stalled.
func Stalled(st Status, last, now time.Time, n int) bool {
	if !Watched(st) || last.IsZero() || n <= 0 {
		return false
	}
	return !last.After(StalledCutoff(now, n))
}

// ExpiringSoon is ExpiringSoon for the session.
func (s *Session) ExpiringSoon(now time.Time, n int) bool {
	return ExpiringSoon(s.Status, s.ExpiresAt, now, n)
}

// Stalled is Stalled for the session.
func (s *Session) Stalled(now time.Time, n int) bool {
	return Stalled(s.Status, s.LastActivity(), now, n)
}

// ReservedViewName reports whether name is a built-in view's (active,
// expiring, stalled) or a provider bucket's (expired, archived, deleted),
// which a saved view may not take.
func ReservedViewName(name string) bool {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "active", "expiring", "stalled", "expired", "archived", "deleted":
		return true
	}
	return false
}
