package models

import (
	"net/mail"
	"strings"
	"testing"
)

// FuzzParseSignerArg feeds "Name <email>" arguments to the signer parser:
// no panic; an accepted signer has an address with an @ and a name with no
// angle brackets, and writing it back out parses to the same signer; a
// refusal's text is clean.
func FuzzParseSignerArg(f *testing.F) {
	for _, s := range []string{"Ana Lima <ana@example.com>", "ana@example.com", `"Lima, Ana" <ana@example.com>`,
		"=?utf-8?q?Ana_Lima?= <ana@example.com>", "Ana <ana@example.com", "<>", "Ana\x1b[31m <a@b.c>",
		"José Ñuñez <jose@exämple.com>", "  ", "a@b <c@d>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ParseSignerArg(s)
		if err != nil {
			if msg := err.Error(); CleanText(msg) != msg {
				t.Fatalf("error text not clean: %q", msg)
			}
			return
		}
		if !strings.Contains(g.Email, "@") {
			t.Fatalf("%q: email %q has no @", s, g.Email)
		}
		if g.Name != strings.TrimSpace(g.Name) {
			t.Fatalf("%q: name %q not trimmed", s, g.Name)
		}
		back := (&mail.Address{Name: g.Name, Address: g.Email}).String()
		again, err := ParseSignerArg(back)
		if err != nil || again != g {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, g, back, again, err)
		}
	})
}
