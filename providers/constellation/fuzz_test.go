package constellation

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/signdeck/signdeck/models"
)

// checkShown fails when text the decoder hands on holds a control or
// invisible character, or a time is outside what a session can carry.
// Ids are the vendor's, byte for byte (they go back on the wire); front
// ends clean them to show them, so only their cleaned form is checked.
func checkShown(t *testing.T, s models.Session) {
	t.Helper()
	texts := []string{models.CleanText(s.Ref.ID), s.Title, s.TransactionID, s.Message, s.Requester}
	texts = append(texts, s.CC...)
	for _, g := range s.Signers {
		texts = append(texts, models.CleanText(g.ID), g.Name, g.FirstName, g.LastName, g.Email, g.Role, g.DeclineReason)
	}
	for _, e := range s.ActionLog {
		texts = append(texts, e.Action)
	}
	for _, x := range texts {
		if models.CleanText(x) != x {
			t.Fatalf("uncleaned text %q", x)
		}
		for _, r := range x {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("%U in %q", r, x)
			}
		}
	}
	if s.Status != "" && !s.Status.Valid() {
		t.Fatalf("status %q", s.Status)
	}
	for _, tm := range []time.Time{s.CreatedAt, s.UpdatedAt, s.ExpiresAt} {
		if !tm.IsZero() && (tm.Year() < 1 || tm.Year() > 9999) {
			t.Fatalf("time %v", tm)
		}
	}
	if _, err := json.Marshal(s); err != nil {
		t.Fatalf("the session does not encode: %v", err)
	}
}

// FuzzDecodeAnswer feeds whole answers (sessions with /Date()/ and ISO
// dates, numbers as strings, Details as a string, list, object or null) to
// the tolerant decoder: no panic, and what it hands on is clean.
func FuzzDecodeAnswer(f *testing.F) {
	for _, s := range []string{
		`{"SigningSessionId":"S1","StatusCode":"3","SessionInfo":{"Title":"T","CreatedOn":"\/Date(1700000000000+0100)\/","ExpiresOn":"2026-01-02T03:04:05.1234567"},"Signers":[{"SignerId":"G1","StatusCode":2,"Sequence":"1","EmailAddress":"a@example.com"}]}`,
		`{"ReturnValue":"False","Details":["Error: one",{"Message":"two"},null,3]}`,
		`{"Sessions":[{"SigningSessionId":"S2","Title":"L","StatusCode":1.0,"CreatedOn":"1/2/2024 3:04:05 PM"}],"TotalCount":"1"}`,
		`"a bare string"`,
		`{"ActionLog":[{"Date":1700000000000,"IPAddress":"192.0.2.1","Description":"viewed\u200d\u2028"},"plain"]}`,
		`[{"SigningSessionId":null,"StatusCode":"x"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		raw, err := parseBody(body)
		if err != nil {
			return
		}
		sessions, env := decodeSessions(raw)
		for _, o := range sessions {
			checkShown(t, toSession("acct", o))
		}
		_ = env.message()
		for _, d := range env.details {
			if strings.TrimSpace(d) != d || d == "" {
				t.Fatalf("detail %q is not trimmed", d)
			}
		}
		if els, ok := rawList(raw); ok {
			for _, e := range els {
				if s, ok := toLite("acct", e, models.StatusAwaitingSignature); ok {
					checkShown(t, s)
				}
			}
			for _, e := range toLogEntries(els) {
				checkShown(t, models.Session{ActionLog: []models.LogEntry{e}})
			}
		}
	})
}

// FuzzParseDate: every date form parses to a time inside .NET's range or
// to "absent"; /Date(ms)/ round-trips its milliseconds.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"/Date(1700000000000)/", "\\/Date(-62135596800000)\\/", "/Date(1+0530)/",
		"2024-02-29T23:59:59.9999999Z", "0001-01-01T00:00:00", "9999-12-31", "13/45/2024", "1/2/2024 3:04:05 PM"} {
		f.Add(s, int64(1700000000000))
	}
	f.Fuzz(func(t *testing.T, s string, ms int64) {
		if tm, ok := parseDate(s); ok && !tm.IsZero() && (tm.Year() <= 1 || tm.Year() >= 9999) {
			t.Fatalf("parseDate(%q) = %v", s, tm)
		}
		tm, ok := parseDate("/Date(" + strconv.FormatInt(ms, 10) + ")/")
		if !ok {
			t.Fatalf("/Date(%d)/ not read", ms)
		}
		if !tm.IsZero() && tm.UnixMilli() != ms {
			t.Fatalf("/Date(%d)/ = %v (%d ms)", ms, tm, tm.UnixMilli())
		}
		if raw, _ := json.Marshal(ms); true {
			if rt, ok := rawTime(raw); !ok || !rt.Equal(tm) {
				t.Fatalf("rawTime(%s) = %v, %v; want %v", raw, rt, ok, tm)
			}
		}
	})
}

// FuzzNumbersAsStrings: an integer reads the same written as a number, as
// a string, or as a float with no fraction.
func FuzzNumbersAsStrings(f *testing.F) {
	f.Add(int64(3), "3")
	f.Add(int64(-1), " 7 ")
	f.Add(int64(1<<53), "2.0")
	f.Fuzz(func(t *testing.T, n int64, s string) {
		num := json.RawMessage(strconv.FormatInt(n, 10))
		str, _ := json.Marshal(strconv.FormatInt(n, 10))
		a, okA := rawInt(num)
		b, okB := rawInt(str)
		if !okA || !okB || a != n || b != n {
			t.Fatalf("%d: as number %d %v, as string %d %v", n, a, okA, b, okB)
		}
		// Any string: read as a string or not at all, never a panic, and
		// the same as the unquoted form when that is a JSON number.
		q, _ := json.Marshal(s)
		v, ok := rawInt(q)
		if ok && json.Valid([]byte(strings.TrimSpace(s))) {
			if w, ok2 := rawInt(json.RawMessage(strings.TrimSpace(s))); ok2 && w != v {
				t.Fatalf("%q: quoted %d, bare %d", s, v, w)
			}
		}
	})
}
