package models

import (
	"strings"
	"testing"
	"time"
)

func TestExpiringSoonAndStalled(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	aw := StatusAwaitingSignature
	for _, c := range []struct {
		name    string
		st      Status
		expires time.Time
		n       int
		want    bool
	}{
		{"in two days", aw, now.Add(2 * day), 7, true},
		{"now", aw, now, 7, true},
		{"just inside", aw, now.Add(7*day - time.Second), 7, true},
		{"at the window's end", aw, now.Add(7 * day), 7, false},
		{"past", aw, now.Add(-time.Second), 7, false},
		{"unknown expiry", aw, time.Time{}, 7, false},
		{"completed", StatusCompleted, now.Add(day), 7, false},
		{"draft", StatusDraft, now.Add(day), 7, false},
		{"cancel pending", StatusCancelPending, now.Add(day), 7, false},
		{"no window", aw, now.Add(day), 0, false},
	} {
		if got := ExpiringSoon(c.st, c.expires, now, c.n); got != c.want {
			t.Errorf("ExpiringSoon %s = %v, want %v", c.name, got, c.want)
		}
	}

	signed := func(at time.Time) Signer { return Signer{Status: SignerSigned, SignedAt: at} }
	for _, c := range []struct {
		name string
		s    Session
		n    int
		want bool
	}{
		{"sent 10 days ago, nobody signed", Session{Status: aw, CreatedAt: now.Add(-10 * day)}, 7, true},
		{"sent exactly 7 days ago", Session{Status: aw, CreatedAt: now.Add(-7 * day)}, 7, true},
		{"sent 6 days ago", Session{Status: aw, CreatedAt: now.Add(-6 * day)}, 7, false},
		{"old, but signed 2 days ago", Session{Status: aw, CreatedAt: now.Add(-30 * day), Signers: []Signer{signed(now.Add(-20 * day)), signed(now.Add(-2 * day))}}, 7, false},
		{"old, signed 9 days ago", Session{Status: aw, CreatedAt: now.Add(-30 * day), Signers: []Signer{signed(now.Add(-9 * day))}}, 7, true},
		{"old, reminded yesterday", Session{Status: aw, CreatedAt: now.Add(-30 * day), Signers: []Signer{{LastRemindedAt: now.Add(-day)}}}, 7, true},
		{"old, updated yesterday", Session{Status: aw, CreatedAt: now.Add(-30 * day), UpdatedAt: now.Add(-day)}, 7, true},
		{"no dates", Session{Status: aw}, 7, false},
		{"completed", Session{Status: StatusCompleted, CreatedAt: now.Add(-30 * day)}, 7, false},
	} {
		if got := c.s.Stalled(now, c.n); got != c.want {
			t.Errorf("Stalled %s = %v, want %v (activity %v)", c.name, got, c.want, c.s.LastActivity())
		}
	}
}

func TestReservedViewName(t *testing.T) {
	for name, want := range map[string]bool{"active": true, " Expiring ": true, "STALLED": true, "expired": true, "cedar": false, "": false} {
		if ReservedViewName(name) != want {
			t.Errorf("%q: %v", name, !want)
		}
	}
}

func TestParseFilterAndMatch(t *testing.T) {
	s := &Session{Ref: Ref{Account: "acme", ID: "abc-1"}, Provider: DropboxSign, Title: "Cedar lease", Status: StatusAwaitingSignature,
		Signers: []Signer{{Name: "Ana Lima", Email: "ana@example.com"}}}
	for q, want := range map[string]bool{
		"": true, "cedar": true, "Cedar": true, "CEDAR": false, "-cedar": false, "status:awaiting": true, "is:completed": false,
		"signer:ana": true, "signer:bob": false, "account:acme provider:dbx": true, "provider:c1": false, "dbx:acme": true,
		"abc": true, "Dropbox": true, "cedar -status:completed signer:lima": true,
	} {
		f, err := ParseFilter(q)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		if got := f.Match(s); got != want {
			t.Errorf("%q = %v, want %v", q, got, want)
		}
	}
	for q, msg := range map[string]string{
		"status:":      "status: needs a value, like status:awaiting",
		"status:bogus": `status: unknown status "bogus"`,
		"provider:x":   `provider: unknown provider "x"`,
		"signer:":      "signer: needs a value",
	} {
		if _, err := ParseFilter(q); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v, want %q", q, err, msg)
		}
	}
}
