package providers

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRedact: a secret of 8 or more characters (without the brackets the
// marker is made of) never survives in the text it was put in, plain,
// URL-encoded, hex or inside base64 at the alignment the fuzzer picks; and
// cutting the result keeps it valid UTF-8 within the length.
func FuzzRedact(f *testing.F) {
	f.Add("Authorization: Basic ", "dbx_live_7Qm2Zr9KpX4vLw8NcT1yHs6B", " tail", uint8(0), uint8(2), 200)
	f.Add("?h=", "a key/with+odd=chars", "&x=1", uint8(1), uint8(1), 10)
	f.Add("é日本", "ñ secret ñ value", "", uint8(3), uint8(0), 3)
	f.Fuzz(func(t *testing.T, before, sec, after string, how, align uint8, n int) {
		if len(sec) < 8 || strings.ContainsAny(sec, "[]") {
			return
		}
		var enc, evidence string
		switch how % 4 {
		case 0:
			enc, evidence = sec, sec
		case 1:
			enc = url.QueryEscape(sec)
			evidence = enc
		case 2:
			enc = hex.EncodeToString([]byte(sec))
			evidence = enc
		case 3:
			k := int(align % 3)
			prefix := strings.Repeat("\x00", k)
			enc = base64.StdEncoding.EncodeToString([]byte(prefix + sec + ":"))
			evidence = enc[(8*k+5)/6 : (8*(k+len(sec)))/6]
		}
		out := Redact(before+enc+after, sec)
		if strings.Contains(out, evidence) {
			t.Fatalf("the secret (form %d) survives: %q", how%4, out)
		}
		if n = n % 400; n < 0 {
			n = -n
		}
		cut := RedactCut(before+enc+after, n, sec)
		if utf8.RuneCountInString(cut) > n || (utf8.ValidString(out) && !utf8.ValidString(cut)) {
			t.Fatalf("Cut(%q, %d) = %q", out, n, cut)
		}
		if strings.Contains(cut, evidence) {
			t.Fatalf("the secret survives the cut: %q", cut)
		}
	})
}
