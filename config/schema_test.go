package config

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/signdeck/signdeck/models"
)

var updateSchema = flag.Bool("update-schema", false, "rewrite config.schema.json")

func propNames(t *testing.T, m any) []string {
	t.Helper()
	props, ok := m.(map[string]any)["properties"].(map[string]any)
	if !ok {
		t.Fatalf("no properties in %v", m)
	}
	var out []string
	for k := range props {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sorted(ss []string) []string {
	out := slices.Clone(ss)
	sort.Strings(out)
	return out
}

// The schema names exactly the keys the parser accepts, with the same
// enumerations; every key's schema sample parses; a key the schema does not
// list is refused.
func TestSchemaAgreesWithParser(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(Schema(), &doc); err != nil {
		t.Fatal(err)
	}
	props := doc["properties"].(map[string]any)
	defs := doc["definitions"].(map[string]any)
	account := defs["account"]
	for _, c := range []struct {
		what      string
		got, want []string
	}{
		{"top", propNames(t, doc), sorted(topKeys)},
		{"account", propNames(t, account), sorted(accountKeys)},
		{"ui", propNames(t, props["ui"]), sorted(uiKeys)},
		{"keys", propNames(t, props["keys"]), sorted(KeyActions)},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: schema has %v, parser takes %v", c.what, c.got, c.want)
		}
	}
	for _, obj := range []any{doc, account, props["ui"], props["keys"]} {
		if obj.(map[string]any)["additionalProperties"] != false {
			t.Errorf("additionalProperties is not false in %v", obj)
		}
	}
	enum := func(m any, key string) []string {
		var out []string
		for _, v := range m.(map[string]any)["properties"].(map[string]any)[key].(map[string]any)["enum"].([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	var providers []string
	for _, k := range []models.ProviderKind{models.DropboxSign, models.Constellation1, "docusign"} {
		if k.Valid() {
			providers = append(providers, string(k))
		}
	}
	if got := enum(account, "provider"); !reflect.DeepEqual(got, providers) {
		t.Errorf("provider enum %v, want %v", got, providers)
	}
	if got := enum(props["ui"], "theme"); !reflect.DeepEqual(got, Themes) {
		t.Errorf("theme enum %v, want %v", got, Themes)
	}

	// Every setting's sample parses, on an account of a provider that
	// takes it; on the other provider it is refused, as the schema's
	// if/then says.
	for _, s := range accountSettings {
		if s.name == "name" || s.name == "provider" {
			continue
		}
		for _, p := range []models.ProviderKind{models.DropboxSign, models.Constellation1} {
			y := "accounts:\n  - name: a\n    provider: " + string(p) + "\n    " + s.name + ": " + s.sample + "\n"
			if p == models.Constellation1 && s.name != "username" {
				y += "    username: agent@example.com\n"
			}
			if p == models.Constellation1 && s.name != "transactions" {
				y += "    transactions: [T]\n"
			}
			_, err := Parse("c.yaml", []byte(y))
			takes := s.provider == "" || s.provider == p
			if takes && err != nil {
				t.Errorf("%s on %s: sample %q refused: %v", s.name, p, s.sample, err)
			}
			if !takes && err == nil {
				t.Errorf("%s on %s: accepted, but the schema forbids it", s.name, p)
			}
		}
	}
	for _, s := range uiSettings {
		if _, err := Parse("c.yaml", []byte("ui:\n  "+s.name+": "+s.sample+"\n")); err != nil {
			t.Errorf("ui.%s: sample %q refused: %v", s.name, s.sample, err)
		}
	}
	for _, y := range []string{"bogus: 1\n", "ui:\n  bogus: 1\n", "accounts:\n  - name: a\n    provider: dropboxsign\n    bogus: 1\n", "keys:\n  bogus: q\n"} {
		if _, err := Parse("c.yaml", []byte(y)); err == nil {
			t.Errorf("%q: a key the schema does not list was accepted", y)
		}
	}
}

// config.schema.json, which editors load through the starter config's
// $schema line, is what Schema generates.
func TestPublishedSchemaIsCurrent(t *testing.T) {
	path := filepath.Join("config.schema.json")
	if *updateSchema {
		if err := os.WriteFile(path, Schema(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(Schema()) {
		t.Error("config/config.schema.json is stale: run go test ./config -run PublishedSchema -update-schema")
	}
	if !strings.HasSuffix(SchemaURL, "/config/config.schema.json") {
		t.Errorf("SchemaURL %s does not name config/config.schema.json", SchemaURL)
	}
}

func TestCheckMode(t *testing.T) {
	defer func(g string) { goos = g }(goos)
	goos = "linux"
	for _, tt := range []struct {
		mode      os.FileMode
		refuse    bool
		warn      bool
		wantInMsg string
	}{
		{0o600, false, false, ""},
		{0o400, false, false, ""},
		{0o640, false, true, "readable by other users (mode 0640)"},
		{0o644, false, true, "chmod 600 /home/a b/c.yaml"},
		{0o666, true, false, "writable by other users (mode 0666)"},
		{0o602, true, false, "writable by other users"},
		{0o660, true, false, "writable by its group (mode 0660)"},
	} {
		warn, err := checkMode("/home/a b/c.yaml", tt.mode)
		if (err != nil) != tt.refuse || (warn != "") != tt.warn {
			t.Errorf("%04o: warn %q, err %v", tt.mode, warn, err)
			continue
		}
		msg := warn
		if err != nil {
			msg = err.Error()
			var ce *Error
			if !errors.As(err, &ce) || ce.File != "/home/a b/c.yaml" {
				t.Errorf("%04o: not a config error naming the file: %v", tt.mode, err)
			}
			if !strings.Contains(msg, "chmod 600 '/home/a b/c.yaml'") {
				t.Errorf("%04o: no fix in %q", tt.mode, msg)
			}
		}
		if tt.wantInMsg != "" && !strings.Contains(strings.ReplaceAll(msg, "'", ""), tt.wantInMsg) {
			t.Errorf("%04o: %q lacks %q", tt.mode, msg, tt.wantInMsg)
		}
	}
	goos = "windows"
	if w, err := checkMode("c.yaml", 0o666); w != "" || err != nil {
		t.Errorf("windows: %q %v", w, err)
	}
}

func TestLoadRefusesWorldWritable(t *testing.T) {
	if goos == "windows" {
		t.Skip("permission bits")
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte(MinimalExample), 0o600)
	os.Chmod(path, 0o666)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) {
		t.Errorf("0666 accepted: %v", err)
	}
	os.Chmod(path, 0o644)
	cfg, err := Load(path)
	if err != nil || len(cfg.Warnings) != 1 {
		t.Errorf("0644: %v %v", cfg, err)
	}
	os.Chmod(path, 0o600)
	if cfg, err := Load(path); err != nil || len(cfg.Warnings) != 0 {
		t.Errorf("0600: %v %v", cfg, err)
	}
}

func TestUIMouseAndTheme(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte("ui:\n  mouse: true\n  theme: light\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.UI.Mouse || cfg.UI.Theme != "light" {
		t.Errorf("got %+v", cfg.UI)
	}
	if cfg, _ := Parse("c.yaml", nil); cfg.UI.Mouse || cfg.UI.Theme != "" {
		t.Errorf("defaults: %+v", cfg.UI)
	}
	_, err = Parse("c.yaml", []byte("ui:\n  mouse: yes please\n  theme: solarized\n"))
	want := `c.yaml:2:10: ui.mouse: want true or false, got "yes please"` + "\n" +
		`c.yaml:3:10: ui.theme: unknown theme "solarized"; want auto, dark, light, none`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
