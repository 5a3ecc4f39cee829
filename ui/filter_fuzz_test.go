package ui

import (
	"strings"
	"testing"

	"github.com/signdeck/signdeck/models"
)

// FuzzParseQuery feeds filter strings to the parser and the matcher: no
// panic; a term and its negation never both match (or both miss) a row;
// a query matches a row only when each of its terms does.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"lease", "-lease status:awaiting", "is:declined,expired acct:acme", "provider:dbx signer:ana@",
		"status:", "status:nope", "provider:c1,dropbox", "id:with:colons", "Lease -Oak", "é\u200d日本 -"} {
		f.Add(s)
	}
	rows := []*row{
		newRow(models.Session{Ref: models.Ref{Account: "acme", ID: "abc-123"}, Provider: models.DropboxSign,
			Title: "Lease renewal Oak St", Status: models.StatusAwaitingSignature,
			Signers: []models.Signer{{Name: "Ana Lima", Email: "ana@example.com"}}}, 0),
		newRow(models.Session{Ref: models.Ref{Account: "prod", ID: "S-9"}, Provider: models.Constellation1,
			Title: "日本 deal", Status: models.StatusDeclined}, 1),
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := parseQuery(s)
		if err != nil {
			if q.terms != nil {
				t.Fatalf("an error with terms: %v", err)
			}
			return
		}
		if len(q.terms) != len(strings.Fields(s)) {
			t.Fatalf("%q: %d terms for %d words", s, len(q.terms), len(strings.Fields(s)))
		}
		for _, r := range rows {
			all := true
			for _, w := range strings.Fields(s) {
				one, err := parseQuery(w)
				if err != nil {
					t.Fatalf("%q parses but its word %q does not: %v", s, w, err)
				}
				m := one.match(r)
				all = all && m
				if w[0] != '-' {
					if neg, err := parseQuery("-" + w); err == nil && neg.match(r) == m {
						t.Fatalf("%q and its negation both %v on %q", w, m, r.title)
					}
				}
			}
			if q.match(r) != all {
				t.Fatalf("%q matches %q: %v, but its terms: %v", s, r.title, q.match(r), all)
			}
		}
	})
}
