package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

// A bare --json prints exactly what it always printed (the golden files of
// TestJSONShapes).
func TestOutputBareJSONUnchanged(t *testing.T) {
	s := sampleSession()
	for _, tt := range []struct {
		golden string
		v      any
		fields []string
	}{
		{"list.json", []sessionJSON{toSessionJSON(&s)}, jsonFields(sessionJSON{})},
		{"show.json", toDetailJSON(&s), jsonFields(detailJSON{})},
	} {
		o := &outputFlags{fields: tt.fields, json: jsonAll}
		var b bytes.Buffer
		if err := o.write(&b, tt.v); err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("testdata", tt.golden))
		if err != nil {
			t.Fatal(err)
		}
		if b.String() != string(want) {
			t.Errorf("%s: bare --json changed:\n%s\nwant:\n%s", tt.golden, b.String(), want)
		}
	}
}

func TestJSONFields(t *testing.T) {
	got := jsonFields(detailJSON{})
	want := []string{"ref", "account", "provider", "id", "title", "status", "created_at", "expires_at", "url", "signers",
		"subject", "message", "updated_at", "transaction_id", "test_mode", "requester", "signer_details", "action_log", "warnings"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestOutputFieldSelection(t *testing.T) {
	s := sampleSession()
	o := &outputFlags{fields: jsonFields(sessionJSON{}), json: "status, ref,status"}
	var b bytes.Buffer
	if err := o.write(&b, []sessionJSON{toSessionJSON(&s), toSessionJSON(&s)}); err != nil {
		t.Fatal(err)
	}
	want := "[\n  {\n    \"status\": \"awaiting_signature\",\n    \"ref\": \"acme/fa5c8a0b\"\n  },\n  {\n    \"status\": \"awaiting_signature\",\n    \"ref\": \"acme/fa5c8a0b\"\n  }\n]\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}

	// An object (show) is narrowed the same way.
	o = &outputFlags{fields: jsonFields(detailJSON{}), json: "ref,signer_details"}
	b.Reset()
	if err := o.write(&b, toDetailJSON(&s)); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 || m["ref"] != "acme/fa5c8a0b" || len(m["signer_details"].([]any)) != 2 {
		t.Errorf("show --json=ref,signer_details: %s", b.String())
	}
}

func TestOutputFlagErrorsAreExit2BeforeAnyCall(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{})
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"list", "--json=ref,nope,titel"}, []string{"unknown field nope, titel", "the fields are: ref, account, provider, id, title, status"}},
		{[]string{"show", "acme/x", "--json=bogus"}, []string{"unknown field bogus", "signer_details"}},
		{[]string{"list", "--json="}, []string{"no field named"}},
		{[]string{"list", "--jq", ".[] | .ref)"}, []string{"--jq: unexpected token \")\" at column 11", "    .[] | .ref)\n              ^\n"}},
		{[]string{"list", "--jq", ".[] | nosuchfn"}, []string{"--jq: function not defined: nosuchfn/0"}},
		{[]string{"list", "--template", "{{range .}}{{.ref}"}, []string{"--template: :1: bad character U+007D '}'"}},
		{[]string{"list", "--template", "{{tablerow .ref | nosuch}}"}, []string{"--template: :1: function \"nosuch\" not defined"}},
		{[]string{"list", "--jq", ".", "--template", "x"}, []string{"cannot be used together"}},
	} {
		before := len(srv.Requests())
		r := h.run("", tt.args...)
		r.wantCode(t, ExitUsage)
		for _, w := range tt.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v: stderr lacks %q\n%s", tt.args, w, r)
			}
		}
		if r.stdout != "" {
			t.Errorf("%v: printed %q", tt.args, r.stdout)
		}
		if n := len(srv.Requests()) - before; n != 0 {
			t.Errorf("%v: %d provider calls before the flags were checked", tt.args, n)
		}
	}
}

func TestListJQ(t *testing.T) {
	t.Parallel()
	h, _ := newDropboxSign(t, dropboxsigntest.Options{})
	all := listJSON(t, h)
	var refs []string
	var declined int
	for _, s := range all {
		refs = append(refs, s["ref"].(string))
		if s["status"] == "declined" {
			declined++
		}
	}

	r := h.run("", "list", "--jq", ".[] | .ref")
	r.wantCode(t, ExitOK)
	if got := strings.Fields(r.stdout); !reflect.DeepEqual(got, refs) {
		t.Errorf("--jq '.[] | .ref' (strings print raw, one a line):\n got %v\nwant %v", got, refs)
	}

	r = h.run("", "list", "--jq", `[.[] | select(.status == "declined")] | length`)
	r.wantCode(t, ExitOK)
	if want := strings.TrimSpace(string(mustJSON(t, declined))); strings.TrimSpace(r.stdout) != want {
		t.Errorf("count of declined: got %q, want %s", r.stdout, want)
	}

	// Objects print as compact JSON; the fields were narrowed first.
	r = h.run("", "list", "--json=ref,status", "--jq", ".[0]")
	r.wantCode(t, ExitOK)
	want := `{"ref":"` + refs[0] + `","status":"` + all[0]["status"].(string) + `"}` + "\n"
	if r.stdout != want {
		t.Errorf("got %q, want %q", r.stdout, want)
	}

	// An expression that fails on the data is exit 2 too.
	r = h.run("", "list", "--jq", ".[0].ref | tonumber")
	r.wantCode(t, ExitUsage)
	if !strings.Contains(r.stderr, "--jq .[0].ref | tonumber:") {
		t.Errorf("runtime error does not name the expression:\n%s", r)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTemplateHelpers(t *testing.T) {
	now := time.Date(2026, 3, 2, 18, 4, 5, 0, time.UTC)
	s := sampleSession() // created 14:04:05 UTC
	v := []sessionJSON{toSessionJSON(&s)}
	v = append(v, v[0])
	v[1].Ref, v[1].Status = "acme/a-much-longer-ref", "completed"
	tests := []struct {
		name, tmpl, want string
		color            bool
	}{
		{"tablerow aligns", `{{range .}}{{tablerow .ref .status}}{{end}}`,
			"acme/fa5c8a0b           awaiting_signature\nacme/a-much-longer-ref  completed\n", false},
		{"tablerender flushes in place", `{{range .}}{{tablerow .ref}}{{end}}{{tablerender}}--{{"\n"}}`,
			"acme/fa5c8a0b\nacme/a-much-longer-ref\n--\n", false},
		{"timeago", `{{range .}}{{timeago .created_at}}|{{timeago .expires_at}}{{"\n"}}{{end}}`,
			"4 hours ago|\n4 hours ago|\n", false},
		{"timefmt", `{{timefmt "2006-01-02" (index . 0).created_at}}`, "2026-03-02", false},
		{"join pluck", `{{join ", " (pluck "email" (index . 0).signers)}}`, "ana@example.com, bob@example.com", false},
		{"truncate", `{{truncate 8 (index . 1).ref}}`, "acme/a-…", false},
		{"color", `{{color "red+bold" "x"}}`, "\x1b[31;1mx\x1b[0m", false},
		{"autocolor off", `{{autocolor "green" "x"}}`, "x", false},
		{"autocolor on", `{{autocolor "green" "x"}}`, "\x1b[32mx\x1b[0m", true},
		{"colour cells align", `{{range .}}{{tablerow (color "red" .status) .ref}}{{end}}`,
			"\x1b[31mawaiting_signature\x1b[0m  acme/fa5c8a0b\n\x1b[31mcompleted\x1b[0m           acme/a-much-longer-ref\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &outputFlags{fields: jsonFields(sessionJSON{}), template: tt.tmpl, now: func() time.Time { return now },
				colorOK: func() bool { return tt.color }}
			var b bytes.Buffer
			if err := o.write(&b, v); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got %q\nwant %q", b.String(), tt.want)
			}
		})
	}
	o := &outputFlags{fields: jsonFields(sessionJSON{}), template: `{{color "mauve" "x"}}`, now: time.Now}
	if err := o.write(&bytes.Buffer{}, v); err == nil || !strings.Contains(err.Error(), `unknown colour or style "mauve"`) {
		t.Errorf("unknown colour: %v", err)
	}
}

func TestTimeAgo(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second:     "less than a minute ago",
		-90 * time.Second:    "in 1 minute",
		time.Hour:            "1 hour ago",
		49 * time.Hour:       "2 days ago",
		-72 * time.Hour:      "in 3 days",
		400 * 24 * time.Hour: "1 year ago",
	} {
		if got := timeAgo(d); got != want {
			t.Errorf("%v: got %q, want %q", d, got, want)
		}
	}
}

func TestShowTemplate(t *testing.T) {
	t.Parallel()
	h, _ := newDropboxSign(t, dropboxsigntest.Options{})
	ref := listJSON(t, h)[0]["ref"].(string)
	r := h.run("", "show", ref, "--template", `{{.ref}} {{len .signer_details}}`)
	r.wantCode(t, ExitOK)
	if !strings.HasPrefix(r.stdout, ref+" ") {
		t.Errorf("got %q", r.stdout)
	}
}

func TestVersionFlag(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	want := h.run("", "version")
	want.wantCode(t, ExitOK)
	got := h.run("", "--version")
	got.wantCode(t, ExitOK)
	if got.stdout != want.stdout {
		t.Errorf("--version:\n%s\nversion:\n%s", got.stdout, want.stdout)
	}
}
