package models

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"
)

// TestCleanTextDropsInvisibles: characters that show nothing, or join and
// split glyphs differently from one terminal to the next, never pass.
func TestCleanTextDropsInvisibles(t *testing.T) {
	cases := map[string]string{
		"zero\u200Bwidth\u200Cnon\u200Djoin":                "zerowidthnonjoin",
		"word\u2060joiner\uFEFFbom":                         "wordjoinerbom",
		"soft\u00ADhyphen":                                  "softhyphen",
		"tag\U000E0041\U000E0042\U000E007Fs":                "tags",
		"line\u2028sep\u2029para":                           "line sep para",
		"bidi \u2066iso\u2069 \u200Flrm \u061Calm":          "bidi iso lrm alm",
		"cgj a\u034Fb hangul\u3164filler":                   "cgj ab hangulfiller",
		"family \U0001F468\u200D\U0001F469\u200D\U0001F467": "family \U0001F468\U0001F469\U0001F467",
		"emoji style \u2764\uFE0F kept":                     "emoji style \u2764\uFE0F kept",
		"accents e\u0301 kept":                              "accents e\u0301 kept",
	}
	for in, want := range cases {
		if got := CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCleanTextJSON: what is cleaned is what a JSON encoder writes, with no
// invisible character left to escape.
func TestCleanTextJSON(t *testing.T) {
	b, _ := json.Marshal(CleanText("a\u2028b\u200Dc\U000E0041"))
	if string(b) != `"a bc"` {
		t.Errorf("JSON %s", b)
	}
}

func FuzzCleanTextInvisible(f *testing.F) {
	f.Add("\u200Bx\u00AD\U000E0041\u2028")
	f.Add("\U0001F468\u200D\U0001F469")
	f.Fuzz(func(t *testing.T, s string) {
		out := CleanText(s)
		if CleanText(out) != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, out, CleanText(out))
		}
		for _, r := range out {
			if unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029 || unicode.IsControl(r) {
				t.Fatalf("%U left in %q", r, out)
			}
		}
		if strings.Contains(out, "\x1b") {
			t.Fatalf("escape left in %q", out)
		}
	})
}
