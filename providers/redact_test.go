package providers

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// encoding puts a secret into text the way some transport or echo would,
// and returns the encoded text with the pieces of it that only the secret
// decides (the evidence a leak would show).
type encoding struct {
	name string
	enc  func(r *rand.Rand, sec string) (text string, evidence []string)
}

// b64Core is the part of enc(prefix+sec+suffix) that only sec decides:
// the characters whose 6 bits all fall inside sec's bytes.
func b64Core(enc *base64.Encoding, prefix, sec, suffix string) (whole, core string) {
	whole = enc.EncodeToString([]byte(prefix + sec + suffix))
	startBit, endBit := 8*len(prefix), 8*(len(prefix)+len(sec))
	first := (startBit + 5) / 6
	last := endBit / 6 // exclusive
	return whole, whole[first:last]
}

func randBytes(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return string(b)
}

var encodings = []encoding{
	{"plain", func(_ *rand.Rand, s string) (string, []string) { return s, nil }},
	{"query-escaped", func(_ *rand.Rand, s string) (string, []string) {
		e := url.QueryEscape(s)
		return e, []string{e}
	}},
	{"path-escaped", func(_ *rand.Rand, s string) (string, []string) {
		e := url.PathEscape(s)
		return e, []string{e}
	}},
	{"query-escaped lower hex", func(_ *rand.Rand, s string) (string, []string) {
		e := lowerEscapes(url.QueryEscape(s))
		return e, []string{e}
	}},
	{"hex", func(_ *rand.Rand, s string) (string, []string) {
		e := hex.EncodeToString([]byte(s))
		return e, []string{e}
	}},
	{"HEX", func(_ *rand.Rand, s string) (string, []string) {
		e := strings.ToUpper(hex.EncodeToString([]byte(s)))
		return e, []string{e}
	}},
	{"json", func(_ *rand.Rand, s string) (string, []string) {
		b, _ := json.Marshal(s)
		e := string(b[1 : len(b)-1])
		return `{"echo":"` + e + `"}`, []string{e}
	}},
	{"basic", func(_ *rand.Rand, s string) (string, []string) {
		whole, core := b64Core(base64.StdEncoding, "", s, ":")
		return "Authorisation was Basic " + whole, []string{core}
	}},
	{"basic url-encoded", func(_ *rand.Rand, s string) (string, []string) {
		whole, core := b64Core(base64.StdEncoding, "", s, ":")
		return "?h=" + url.QueryEscape("Basic "+whole), []string{url.QueryEscape(core)}
	}},
	{"basic path-escaped lower", func(_ *rand.Rand, s string) (string, []string) {
		whole, core := b64Core(base64.StdEncoding, "", s, ":")
		return "/x/" + lowerEscapes(url.PathEscape(whole)), []string{lowerEscapes(url.PathEscape(core))}
	}},
}

func init() {
	// Base64 inside a longer base64 string, at each of the three
	// alignments, in both alphabets, padded and not.
	for _, enc := range []struct {
		name string
		e    *base64.Encoding
	}{{"std", base64.StdEncoding}, {"url", base64.URLEncoding}, {"raw-std", base64.RawStdEncoding}, {"raw-url", base64.RawURLEncoding}} {
		for align := range 3 {
			encodings = append(encodings, encoding{fmt.Sprintf("base64 %s align %d", enc.name, align), func(r *rand.Rand, s string) (string, []string) {
				prefix := randBytes(r, 3*r.IntN(3)+align)
				whole, core := b64Core(enc.e, prefix, s, randBytes(r, r.IntN(5)))
				return whole, []string{core}
			}})
		}
	}
}

func lowerEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lower(b[i+1]), lower(b[i+2])
		}
	}
	return string(b)
}

// filler is text around a secret: words, spaces and punctuation, none of
// which a credential pattern would take for a key=value pair.
func filler(r *rand.Rand, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ .,()é—"
	rs := []rune(alphabet)
	var b strings.Builder
	for range n {
		b.WriteRune(rs[r.IntN(len(rs))])
	}
	return b.String()
}

func randSecret(r *rand.Rand) string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=:&%?# _-.~\"\\<>"
	n := 8 + r.IntN(57)
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}

// pieces returns every 8-character piece of s.
func pieces(s string) []string {
	var out []string
	for i := 0; i+8 <= len(s); i++ {
		out = append(out, s[i:i+8])
	}
	return out
}

// TestRedactThenCutLeavesNoPiece puts random secrets inside random text in
// each encoding, redacts, and cuts the result at every cut point with the
// project's cut helper: no output holds an 8-character piece of the secret
// or of its encoded form.
func TestRedactThenCutLeavesNoPiece(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 2026))
	for _, e := range encodings {
		for trial := range 8 {
			sec := randSecret(r)
			other := randSecret(r) // a second secret that is not in the text
			enc, evidence := e.enc(r, sec)
			text := filler(r, r.IntN(300)) + enc + filler(r, r.IntN(300))
			evidence = append(evidence, sec)
			var bad []string
			for _, ev := range evidence {
				bad = append(bad, pieces(ev)...)
			}
			red := Redact(text, other, sec)
			for _, p := range bad {
				if strings.Contains(red, p) {
					t.Fatalf("%s #%d: secret %q: piece %q survives in %q", e.name, trial, sec, p, red)
				}
			}
			n := len([]rune(text))
			for cut := 0; cut <= n+1; cut++ {
				// RedactCut is Cut(Redact(...)); the redaction is the same at
				// every cut point, so it is done once and checked now and then.
				out := Cut(red, cut)
				if cut%97 == 0 && RedactCut(text, cut, other, sec) != out {
					t.Fatalf("%s: RedactCut differs from Cut(Redact) at %d", e.name, cut)
				}
				for _, p := range bad {
					if strings.Contains(out, p) {
						t.Fatalf("%s #%d: cut at %d: piece %q survives in %q", e.name, trial, cut, p, out)
					}
				}
			}
			// A Redactor that learnt the secret earlier does the same.
			rd := NewRedactor(other)
			rd.Add(sec)
			if got := rd.Redact(text); got != red {
				t.Fatalf("%s: Redactor %q, Redact %q", e.name, got, red)
			}
		}
	}
}

// TestCutTheOldWayLeaks shows why the order matters: a secret cut before
// it is redacted no longer matches.
func TestCutTheOldWayLeaks(t *testing.T) {
	sec := strings.Repeat("k3Y", 21) + "x"
	text := strings.Repeat("a", 137) + sec + " tail"
	if old := Redact(Cut(text, 200), sec); !strings.Contains(old, sec[:60]) {
		t.Fatalf("cut-then-redact no longer leaks (%q): the test lost its point", old)
	}
	if got := RedactCut(text, 200, sec); strings.Contains(got, sec[:8]) {
		t.Errorf("RedactCut leaks: %q", got)
	}
}

func TestCut(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 5, "hello"}, {"hello", 4, "hel…"}, {"hello", 1, "…"}, {"hello", 0, ""},
		{"héllo wörld", 6, "héllo…"}, {"", 3, ""},
	} {
		if got := Cut(tc.in, tc.n); got != tc.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestRedactMergesOverlaps(t *testing.T) {
	// Two secrets that overlap in the text: neither's tail survives.
	a, b := "alpha-secret-one", "one-beta-secret-two"
	got := Redact("x alpha-secret-one-beta-secret-two y", a, b)
	if got != "x "+Redacted+" y" {
		t.Errorf("got %q", got)
	}
	// Short secrets are ignored; a Redactor dedups.
	if got := Redact("abc abc", "abc"); got != "abc abc" {
		t.Errorf("short secret: %q", got)
	}
	rd := NewRedactor("tok-1234", "tok-1234", "ab")
	if rd.Len() != 1 {
		t.Errorf("Len %d", rd.Len())
	}
}

func TestRedactFields(t *testing.T) {
	const key = "sk_live_0123456789abcdef"
	type inner struct {
		Note  string
		Names []string
	}
	type record struct {
		Title   string
		Error   string
		Count   int
		Meta    map[string]string
		In      inner
		Ptr     *inner
		Any     any
		private string
	}
	rec := record{
		Title: "Lease " + key, Error: "echo " + url.QueryEscape(key), Count: 3,
		Meta: map[string]string{"k": base64.StdEncoding.EncodeToString([]byte(key + ":"))},
		In:   inner{Note: key, Names: []string{"a", key}}, Ptr: &inner{Note: "x" + key},
		Any: "any " + key, private: key,
	}
	rd := NewRedactor(key)
	rd.RedactFields(&rec)
	b, _ := json.Marshal(rec)
	if strings.Contains(string(b), key[:8]) || strings.Contains(string(b), base64.StdEncoding.EncodeToString([]byte(key + ":"))[:8]) {
		t.Errorf("a field keeps the key: %s", b)
	}
	if rec.Count != 3 || rec.private != key || !strings.HasPrefix(rec.Title, "Lease ") {
		t.Errorf("record %+v", rec)
	}
}

// BenchmarkRedact: a 300-character log line against an API key, its Basic
// form and 20 session tokens (the forms are computed once and cached).
func BenchmarkRedact(b *testing.B) {
	secrets := []string{"dbx_live_7Qm2Zr9KpX4vLw8NcT1yHs6B", base64.StdEncoding.EncodeToString([]byte("dbx_live_7Qm2Zr9KpX4vLw8NcT1yHs6B:"))}
	for i := range 20 {
		secrets = append(secrets, fmt.Sprintf("token-%02d-%s", i, strings.Repeat("q", 30)))
	}
	line := strings.Repeat("GET /v3/signature_request/list?page=2 took 120ms; ", 6)
	b.ReportAllocs()
	for b.Loop() {
		_ = Redact(line, secrets...)
	}
}
