package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
	"github.com/signdeck/signdeck/store"
	"github.com/signdeck/signdeck/ui"
)

const twoAccounts = `accounts:
  - name: acme
    provider: dropboxsign
  - name: c1-stage
    provider: constellation1
    username: agent@example.com
    transactions: [TX-1]
`

// complete runs cobra's hidden __complete command and returns the
// suggestions (without descriptions) and the directive line.
func complete(t *testing.T, h *harness, refs func(string, int) []string, args ...string) ([]string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := h.app(strings.NewReader(""), &out, &errb)
	a.cachedRefs = refs
	full := append([]string{"__complete", "--config", h.cfgPath}, args...)
	if code := a.run(context.Background(), full); code != 0 {
		t.Fatalf("__complete %v: exit %d\n%s%s", args, code, out.String(), errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var sugg []string
	for _, l := range lines[:len(lines)-1] {
		name, _, _ := strings.Cut(l, "\t")
		sugg = append(sugg, name)
	}
	return sugg, lines[len(lines)-1]
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	h := newHarness(t, twoAccounts)
	calls := 0
	refs := func(prefix string, limit int) []string {
		calls++
		all := []string{"acme/fa5c01", "acme/fa5c02", "acme/b00", "c1-stage/77"}
		var out []string
		for _, r := range all {
			if strings.HasPrefix(r, prefix) && len(out) < limit {
				out = append(out, r)
			}
		}
		return out
	}
	const noFile = ":4"
	tests := []struct {
		args      []string
		want      []string
		directive string
	}{
		{[]string{"list", "--account", ""}, []string{"acme", "c1-stage"}, noFile},
		{[]string{"list", "--account", "c"}, []string{"c1-stage"}, noFile},
		{[]string{"list", "--account", "acme,"}, []string{"acme,acme", "acme,c1-stage"}, noFile},
		{[]string{"list", "--status", "aw"}, []string{"awaiting_signature"}, noFile},
		{[]string{"list", "--status", "c"}, []string{"completed", "cancel_pending", "canceled"}, noFile},
		{[]string{"auth", "login", ""}, []string{"acme", "c1-stage"}, noFile},
		{[]string{"auth", "logout", "a"}, []string{"acme"}, noFile},
		{[]string{"auth", "login", "acme", ""}, nil, noFile},
		{[]string{"show", ""}, []string{"acme/", "c1-stage/"}, ":6"}, // no file, no space
		{[]string{"show", "acme/fa"}, []string{"acme/fa5c01", "acme/fa5c02"}, noFile},
		{[]string{"show", "acme/fa5c01", ""}, nil, noFile},
		{[]string{"show", "nosuch/"}, nil, noFile},
		{[]string{"cancel", "acme/fa5c01", "acme/"}, []string{"acme/fa5c02", "acme/b00"}, noFile},
		{[]string{"copy", "c1"}, []string{"c1-stage/"}, ":6"},
		{[]string{"list", "--json=ref,st"}, []string{"ref,status"}, ":6"},
	}
	for _, tt := range tests {
		got, dir := complete(t, h, refs, tt.args...)
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%v: got %q, want %q", tt.args, got, tt.want)
		}
		if dir != tt.directive {
			t.Errorf("%v: directive %s, want %s", tt.args, dir, tt.directive)
		}
	}
	if calls == 0 {
		t.Error("the session cache was never asked")
	}
	// Without a cache only the account part completes; a broken config
	// completes nothing and prints nothing.
	if got, _ := complete(t, h, nil, "show", "acme/f"); len(got) != 0 {
		t.Errorf("no cache: got %q", got)
	}
	h.writeConfig("accounts: [")
	if got, _ := complete(t, h, refs, "list", "--account", ""); len(got) != 0 {
		t.Errorf("broken config: got %q", got)
	}
}

// Without a test hook, ACCOUNT/ID completes from the store's session
// cache, and a missing store is not created.
func TestCompletionFromStore(t *testing.T) {
	t.Parallel()
	h := newHarness(t, twoAccounts)
	dbPath := filepath.Join(h.env["XDG_STATE_HOME"], "signdeck", "signdeck.db")
	if got, _ := complete(t, h, nil, "show", "acme/"); len(got) != 0 {
		t.Errorf("no store: got %q", got)
	}
	if _, err := os.Stat(dbPath); err == nil {
		t.Fatal("completion created the store")
	}
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ss []models.Session
	for _, id := range []string{"fa5c01", "fa5c02", "b00"} {
		ss = append(ss, models.Session{Ref: models.Ref{Account: "acme", ID: id}, Provider: models.DropboxSign, Status: models.StatusAwaitingSignature})
	}
	if err := db.PutSessions(ctx, "acme", ss); err != nil {
		t.Fatal(err)
	}
	db.Close()
	got, _ := complete(t, h, nil, "show", "acme/fa")
	if strings.Join(got, " ") != "acme/fa5c01 acme/fa5c02" {
		t.Errorf("from the store: got %q", got)
	}
}

func TestConfigInit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	path := filepath.Join(h.dir, "sub", "config.yaml")
	r := h.run("", "--config", path, "config", "init")
	r.wantCode(t, ExitOK)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "# yaml-language-server: $schema="+config.SchemaURL+"\n") {
		t.Errorf("no schema line:\n%s", data)
	}
	if st, _ := os.Stat(path); runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("mode %o, want 600", st.Mode().Perm())
	}
	r = h.run("", "--config", path, "config", "check")
	r.wantCode(t, ExitOK)

	// It never overwrites.
	os.WriteFile(path, []byte("# mine\n"), 0o600)
	r = h.run("", "--config", path, "config", "init")
	r.wantCode(t, ExitUsage)
	if !strings.Contains(r.stderr, "already exists") {
		t.Errorf("%s", r)
	}
	if b, _ := os.ReadFile(path); string(b) != "# mine\n" {
		t.Errorf("overwritten: %q", b)
	}
}

func TestConfigCheckExitCodes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, twoAccounts)
	r := h.run("", "config", "check")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "ok (2 accounts)") {
		t.Errorf("%s", r)
	}
	bad := filepath.Join(h.dir, "bad.yaml")
	os.WriteFile(bad, []byte("accounts:\n  - name: acme\n    provider: docusign\nui:\n  theme: purple\n"), 0o600)
	r = h.run("", "config", "check", bad)
	r.wantCode(t, ExitUsage)
	for _, want := range []string{bad + `:3:15: accounts[0].provider: unknown provider "docusign"`, bad + `:5:10: ui.theme: unknown theme "purple"; want auto, dark, light, none`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q\n%s", want, r)
		}
	}
	r = h.run("", "config", "check", filepath.Join(h.dir, "missing.yaml"))
	r.wantCode(t, ExitUsage)
}

func TestConfigSchemaCommand(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	r := h.run("", "config", "schema")
	r.wantCode(t, ExitOK)
	if r.stdout != string(config.Schema()) {
		t.Error("config schema does not print config.Schema()")
	}
}

// Key-binding conflicts with the dashboard's defaults are config errors:
// file, line, column, exit 2, from every command (the dashboard refused
// them without a position; list accepted them).
func TestKeyConflictIsConfigErrorEverywhere(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "accounts:\n  - name: acme\n    provider: dropboxsign\nkeys:\n  cancel: [x, ctrl+d]\n  reverse: R\n")
	h.stdinTTY, h.stdoutTT = true, true
	h.ui = func(context.Context, ui.Options) error {
		t.Error("the dashboard started")
		return nil
	}
	want := h.cfgPath + `:5:15: keys.cancel[1]: key "ctrl+d" is already bound to scrolldown by default`
	for _, args := range [][]string{{}, {"list"}, {"auth", "status"}, {"config", "check"}, {"show", "acme/x"}} {
		r := h.run("", args...)
		r.wantCode(t, ExitUsage)
		if !strings.Contains(r.stderr, want) {
			t.Errorf("%v: stderr lacks %q\n%s", args, want, r)
		}
	}
	// Rebinding the other action too resolves it.
	h.writeConfig("keys:\n  cancel: [x, ctrl+d]\n  scrolldown: [J]\n")
	h.run("", "config", "check").wantCode(t, ExitOK)
	// A reserved key is placed too.
	h.writeConfig("keys:\n  quit: [q, esc]\n")
	r := h.run("", "config", "check")
	r.wantCode(t, ExitUsage)
	if !strings.Contains(r.stderr, h.cfgPath+`:2:13: keys.quit[1]: key "esc" is reserved`) {
		t.Errorf("%s", r)
	}
}

// The README's example config is valid for every command.
func TestReadmeExampleConfig(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Configuration\n.*?```yaml\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("no ```yaml block under ## Configuration in README.md")
	}
	h := newHarness(t, string(m[1]))
	r := h.run("", "config", "check")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "ok (2 accounts)") {
		t.Errorf("%s", r)
	}
	cfg, err := config.Parse("README.md", m[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Keys) == 0 {
		t.Error("the README example no longer shows key rebinding")
	}
}

func TestConfigPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("permission bits")
	}
	t.Parallel()
	h := newHarness(t, twoAccounts)
	os.Chmod(h.cfgPath, 0o666)
	r := h.run("", "list")
	r.wantCode(t, ExitUsage)
	for _, want := range []string{h.cfgPath, "writable by other users", "chmod 600 " + h.cfgPath} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("0666: stderr lacks %q\n%s", want, r)
		}
	}
	os.Chmod(h.cfgPath, 0o620)
	h.run("", "config", "check").wantCode(t, ExitUsage)

	os.Chmod(h.cfgPath, 0o644)
	r = h.run("", "config", "check")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stderr, "warning: config file "+h.cfgPath+" is readable by other users (mode 0644); fix it with: chmod 600") {
		t.Errorf("0644: no warning\n%s", r)
	}
	os.Chmod(h.cfgPath, 0o600)
	r = h.run("", "config", "check")
	r.wantCode(t, ExitOK)
	if r.stderr != "" {
		t.Errorf("0600: %s", r)
	}
}

func TestDoctor(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{})
	r := h.run("", "doctor", "--offline")
	r.wantCode(t, ExitOK)
	for _, want := range []string{"✓ config", h.cfgPath + " (1 account)", "state dir", "- log", "store          " + filepath.Join(h.env["XDG_STATE_HOME"], "signdeck", "signdeck.db"), "✓ keyring", "in-memory store",
		"✓ acme (Dropbox Sign) token from env (SIGNDECK_TOKEN_ACME), " + srv.URL + "; not verified (--offline)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--offline: lacks %q\n%s", want, r)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("--offline made %d provider calls", n)
	}

	r = h.run("", "doctor")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "verified: ") {
		t.Errorf("no verify:\n%s", r)
	}

	// A refused token and a missing one fail the check (exit 1).
	h.env["SIGNDECK_TOKEN_ACME"] = "wrong-token-0123456789"
	h.secrets = append(h.secrets, "wrong-token-0123456789")
	r = h.run("", "doctor")
	r.wantCode(t, ExitFailure)
	if !strings.Contains(r.stdout, "✗ acme (Dropbox Sign) token from env") || !strings.Contains(r.stdout, "verify failed") {
		t.Errorf("refused token:\n%s", r)
	}
	delete(h.env, "SIGNDECK_TOKEN_ACME")
	r = h.run("", "doctor", "--offline")
	r.wantCode(t, ExitFailure)
	if !strings.Contains(r.stdout, "no token; run: signdeck auth login acme") {
		t.Errorf("no token:\n%s", r)
	}

	// A broken config is exit 2, and the rest is still reported.
	h.writeConfig("accounts:\n  - name: acme\n    provider: docusign\n")
	r = h.run("", "doctor", "--offline")
	r.wantCode(t, ExitUsage)
	if !strings.Contains(r.stdout, `:3:15: accounts[0].provider: unknown provider "docusign"`) || !strings.Contains(r.stdout, "keyring") {
		t.Errorf("broken config:\n%s", r)
	}
}
