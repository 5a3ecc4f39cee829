package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode"
)

// FuzzParse feeds the config loader's parser arbitrary files (seeds in
// testdata/fuzz/FuzzParse). It must never panic; every problem must be a
// positioned *Error on the file with printable text; and a file it accepts
// must survive Marshal and Parse unchanged.
func FuzzParse(f *testing.F) {
	f.Add([]byte(MinimalExample))
	f.Add([]byte("accounts:\n  - name: c1\n    provider: constellation1\n    username: a@example.com\n    transactions: [T1, T2]\nui:\n  refresh_interval: 30s\n  theme: light\n  mouse: true\nkeys:\n  quit: [q, ctrl+c]\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("accounts:\n  - name: acme\n    provider: dropboxsign\n    api_key: sk_live_1234\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("f.yaml", data)
		if err != nil {
			if cfg != nil {
				t.Fatal("config and error both returned")
			}
			var es []*Error
			var one *Error
			var many Errors
			switch {
			case errors.As(err, &many):
				es = many
			case errors.As(err, &one):
				es = []*Error{one}
			default:
				t.Fatalf("not a config error: %T %v", err, err)
			}
			for _, e := range es {
				if e.File != "f.yaml" || e.Line < 0 || e.Col < 0 {
					t.Fatalf("bad position: %+v", e)
				}
				if i := strings.IndexFunc(e.Error(), func(r rune) bool { return unicode.IsControl(r) && r != '\n' }); i >= 0 {
					t.Fatalf("control character in %q", e.Error())
				}
			}
			return
		}
		out, err := Marshal(cfg)
		if err != nil {
			t.Fatalf("Marshal refused a parsed config: %v\ninput:\n%s", err, data)
		}
		back, err := Parse("f.yaml", out)
		if err != nil {
			t.Fatalf("Parse refused Marshal's output: %v\n%s", err, out)
		}
		cfg.keyPos, back.keyPos = nil, nil
		if !reflect.DeepEqual(cfg, back) {
			t.Fatalf("round trip changed the config\n got %+v\nwant %+v\n%s", back, cfg, out)
		}
	})
}
