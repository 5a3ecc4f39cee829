package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
)

func TestResolvePath(t *testing.T) {
	xdg := t.TempDir()
	tests := []struct {
		name         string
		flag, env    string
		wantPath     string
		wantExplicit bool
	}{
		{"flag wins over env", "/etc/a.yaml", "/etc/b.yaml", "/etc/a.yaml", true},
		{"env when no flag", "", "/etc/b.yaml", "/etc/b.yaml", true},
		{"XDG default", "", "", filepath.Join(xdg, "signdeck", "config.yaml"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("XDG_CONFIG_HOME", xdg)
			t.Setenv(EnvConfig, tt.env)
			p, explicit := ResolvePath(tt.flag)
			if p != tt.wantPath || explicit != tt.wantExplicit {
				t.Errorf("got (%q, %v), want (%q, %v)", p, explicit, tt.wantPath, tt.wantExplicit)
			}
		})
	}
}

func TestResolvePathReadsXDGAtCallTime(t *testing.T) {
	t.Setenv(EnvConfig, "")
	for _, dir := range []string{t.TempDir(), t.TempDir()} {
		t.Setenv("XDG_CONFIG_HOME", dir)
		if p, _ := ResolvePath(""); p != filepath.Join(dir, "signdeck", "config.yaml") {
			t.Errorf("XDG_CONFIG_HOME=%s: got %s", dir, p)
		}
	}
}

func TestResolvePathRelativeXDGIgnored(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the ~/.config fallback is the Linux layout")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv(EnvConfig, "")
	t.Setenv("XDG_CONFIG_HOME", "relative/dir")
	p, explicit := ResolvePath("")
	if want := filepath.Join(home, ".config", "signdeck", "config.yaml"); p != want || explicit {
		t.Errorf("got (%q, %v), want (%q, false)", p, explicit, want)
	}
}

func TestResolvePathExpandsHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	t.Setenv(EnvConfig, "~/cfg/signdeck.yaml")
	if p, _ := ResolvePath(""); p != filepath.Join(home, "cfg", "signdeck.yaml") {
		t.Errorf("got %q", p)
	}
}

func TestLoadNotFound(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv(EnvConfig, "")
	def := filepath.Join(dir, "signdeck", "config.yaml")
	missing := filepath.Join(dir, "nope.yaml")
	tests := []struct {
		name, flag, env, path, source string
	}{
		{"default", "", "", def, SourceDefault},
		{"flag", missing, "", missing, SourceFlag},
		{"env", "", missing, missing, SourceEnv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvConfig, tt.env)
			cfg, err := Load(tt.flag)
			if cfg != nil || !errors.Is(err, ErrNotFound) {
				t.Fatalf("got %v, %v; want ErrNotFound", cfg, err)
			}
			var nf *NotFoundError
			if !errors.As(err, &nf) || nf.Path != tt.path || nf.Source != tt.source {
				t.Fatalf("got %#v, want path %s source %s", nf, tt.path, tt.source)
			}
			msg := err.Error()
			for _, want := range []string{tt.path, "accounts:", "provider: dropboxsign", "signdeck sandbox", "signdeck demo", "signdeck auth login"} {
				if !strings.Contains(msg, want) {
					t.Errorf("hint lacks %q:\n%s", want, msg)
				}
			}
			if tt.source == SourceEnv && !strings.Contains(msg, "SIGNDECK_CONFIG") {
				t.Errorf("hint should say the path came from SIGNDECK_CONFIG:\n%s", msg)
			}
		})
	}
}

func TestLoadReadsResolvedFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv(EnvConfig, "")
	path := filepath.Join(dir, "signdeck", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("accounts:\n  - name: acme\n    provider: dropboxsign\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Path != path || len(cfg.Accounts) != 1 || cfg.Accounts[0].Name != "acme" {
		t.Errorf("got %+v", cfg)
	}

	// Problems name the file as it was found.
	if err := os.WriteFile(path, []byte("ui:\n  readonly: maybe\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load("")
	if err == nil || !strings.HasPrefix(err.Error(), path+":2:13: ui.readonly: ") {
		t.Errorf("got %v", err)
	}
}

func TestLoadDirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir)
	if err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("got %v", err)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	in := &Config{
		Accounts: []Account{
			{Name: "acme", Provider: models.DropboxSign, BaseURL: DefaultDropboxSignURL, TestMode: true, Team: true},
			{Name: "sandbox", Provider: models.DropboxSign, BaseURL: "http://127.0.0.1:9999/v3"},
			{Name: "c1-stage", Provider: models.Constellation1, BaseURL: "https://api.stage.esignonline.net/rest",
				Username: "agent@example.com", Transactions: []string{"TX-1001", "1002", "true"}, ReturnURL: "https://example.com/signdeck?from=signdeck"},
			{Name: "c1", Provider: models.Constellation1, BaseURL: DefaultConstellation1URL,
				Username: "other@example.com", Transactions: []string{"TX-9"}, ReturnURL: DefaultReturnURL},
		},
		UI: UI{RefreshInterval: 90 * time.Second, Readonly: true},
		Keys: map[string][]string{
			"quit":    {"q", "ctrl+c"},
			"help":    {"?"},
			"refresh": {"ctrl+r"},
		},
	}
	data, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Parse("round.yaml", data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	in.Path = "round.yaml"
	out.keyPos = nil // where keys were written is not part of the round trip
	if !reflect.DeepEqual(out, in) {
		t.Errorf("round trip changed the config\n got %+v\nwant %+v\nYAML:\n%s", out, in, data)
	}
	// Defaults are left out of the file.
	if s := string(data); strings.Contains(s, DefaultDropboxSignURL) || strings.Contains(s, DefaultReturnURL) {
		t.Errorf("defaults written out:\n%s", s)
	}
}

func TestMarshalEmptyAndZeroRefresh(t *testing.T) {
	in := &Config{UI: UI{RefreshInterval: 0}}
	data, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Parse("x", data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	in.Path = "x"
	if !reflect.DeepEqual(out, in) {
		t.Errorf("got %+v, want %+v\n%s", out, in, data)
	}
}

func TestMarshalRefusesInvalid(t *testing.T) {
	tests := []*Config{
		{Accounts: []Account{{Name: "bad name", Provider: models.DropboxSign}}},
		{Accounts: []Account{{Name: "x", Provider: "docusign"}}},
		{Accounts: []Account{{Name: "x", Provider: models.Constellation1}}},
		{UI: UI{RefreshInterval: -time.Second}},
		{Keys: map[string][]string{"launch": {"l"}}},
	}
	for _, c := range tests {
		if data, err := Marshal(c); err == nil {
			t.Errorf("%+v: Marshal accepted it:\n%s", c, data)
		}
	}
}
