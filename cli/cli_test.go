package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/signdeck/signdeck/keyring"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/ui"
)

// offlineConfig points at addresses nothing listens on: the tests that use
// it must fail (or succeed) before any request is sent.
const offlineConfig = `accounts:
  - name: acme
    provider: dropboxsign
    base_url: http://127.0.0.1:9/v3
    test_mode: true
  - name: c1
    provider: constellation1
    base_url: http://127.0.0.1:9/rest
    username: agent@example.com
    transactions: [tx-1]
  - name: spare.one
    provider: dropboxsign
    base_url: http://127.0.0.1:9/v3
`

func TestExitCodes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, offlineConfig)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string // a substring of stderr
	}{
		{"bad flag", []string{"list", "--bogus"}, ExitUsage, "unknown flag: --bogus"},
		{"unknown command", []string{"lsit"}, ExitUsage, `unknown command "lsit" for "signdeck"; did you mean list?`},
		{"unknown account", []string{"list", "--account", "nope"}, ExitUsage, `unknown account "nope" (configured: acme, c1, spare.one)`},
		{"bad status", []string{"list", "--status", "bogus"}, ExitUsage, `--status: unknown status "bogus"`},
		{"ambiguous status", []string{"list", "--status", "c"}, ExitUsage, "ambiguous status"},
		{"bad ref", []string{"show", "acme"}, ExitUsage, "want ACCOUNT/ID"},
		{"ref of unknown account", []string{"show", "other/123"}, ExitUsage, `unknown account "other"`},
		{"empty id", []string{"cancel", "acme/", "--yes"}, ExitUsage, "is empty"},
		{"too many args", []string{"show", "acme/1", "acme/2"}, ExitUsage, "accepts 1 arg(s), received 2"},
		{"missing args", []string{"copy"}, ExitUsage, "accepts 1 arg(s), received 0"},
		{"bad signer", []string{"copy", "acme/1", "--signer", "not an address", "--yes"}, ExitUsage, `--signer #1: signer "not an address"`},
		{"auth without command", []string{"auth"}, ExitUsage, "auth needs a command"},
		{"auth unknown command", []string{"auth", "logn"}, ExitUsage, `unknown command "logn"`},
		{"cancel refused on non-tty", []string{"cancel", "acme/1"}, ExitUsage,
			"refusing to cancel without confirmation: stdin is not a terminal; pass --yes"},
		{"copy refused on non-tty", []string{"copy", "acme/1"}, ExitUsage,
			"refusing to copy without confirmation: stdin is not a terminal; pass --yes"},
		{"readonly cancel", []string{"--readonly", "cancel", "acme/1", "--yes"}, ExitUsage, "refusing to cancel: read-only mode"},
		{"readonly copy", []string{"--readonly", "copy", "acme/1", "--yes"}, ExitUsage, "refusing to copy: read-only mode"},
		{"no token", []string{"show", "acme/1"}, ExitFailure, "account acme has no token: set SIGNDECK_TOKEN_ACME or run `signdeck auth login acme`"},
		{"list no token", []string{"list", "--account", "spare.one"}, ExitFailure, "list spare.one: account spare.one has no token"},
		{"dashboard needs a terminal", nil, ExitUsage, "the dashboard needs a terminal"},
		{"demo needs a terminal", []string{"demo"}, ExitUsage, "the dashboard needs a terminal"},
		{"sandbox refuses a public address", []string{"sandbox", "--dropboxsign-addr", "0.0.0.0:8080"}, ExitUsage, "only listens on the loopback interface"},
		{"sandbox refuses an empty host", []string{"sandbox", "--constellation-addr", ":8080"}, ExitUsage, "only listens on the loopback interface"},
		{"cancel wait without timeout", []string{"cancel", "acme/1", "--yes", "--wait", "--timeout", "0s"}, ExitUsage, "--timeout must be positive"},
		{"sandbox rate limit", []string{"sandbox", "--rate-limit", "0"}, ExitUsage, "--rate-limit must be at least 1"},
		{"demo size", []string{"demo", "--size", "0"}, ExitUsage, "--size must be at least 1"},
		{"version", []string{"version"}, ExitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.run("", tt.args...)
			r.wantCode(t, tt.code)
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr does not contain %q\n%s", tt.stderr, r)
			}
		})
	}
}

func TestMissingConfigPrintsFirstRunHint(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	path := filepath.Join(h.dir, "nope.yaml")
	r := h.run("", "--config", path, "list")
	r.wantCode(t, ExitUsage)
	for _, want := range []string{"no config file at " + path, "To get started", "signdeck auth login ACCOUNT", "signdeck demo"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q\n%s", want, r)
		}
	}
	if r.stdout != "" {
		t.Errorf("stdout = %q, want nothing", r.stdout)
	}
	// The dashboard path gives the same hint.
	r = h.run("", "--config", path)
	r.wantCode(t, ExitUsage)
	if !strings.Contains(r.stderr, "To get started") {
		t.Errorf("dashboard: no first-run hint\n%s", r)
	}
}

func TestBadConfigIsExit2WithPosition(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "accounts:\n  - name: acme\n    provider: docusign\n")
	for _, args := range [][]string{{"list"}, {"auth", "status"}, {}} {
		r := h.run("", args...)
		r.wantCode(t, ExitUsage)
		want := h.cfgPath + ":3:15: accounts[0].provider: unknown provider \"docusign\""
		if !strings.Contains(r.stderr, want) {
			t.Errorf("%v: stderr lacks %q\n%s", args, want, r)
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	r := h.run("", "version")
	r.wantCode(t, ExitOK)
	if !regexp.MustCompile(`(?m)^signdeck \S+\ngo go1\.\d+`).MatchString(r.stdout) {
		t.Errorf("unexpected version output:\n%s", r)
	}
}

func TestAuthStatusJSON(t *testing.T) {
	t.Parallel()
	h := newHarness(t, offlineConfig)
	h.env["SIGNDECK_TOKEN_ACME"] = "env-secret-acme"
	h.secrets = []string{"env-secret-acme", "stored-secret-c1"}
	if err := h.store.Set(context.Background(), "c1", "stored-secret-c1"); err != nil {
		t.Fatal(err)
	}
	r, got := runAuthStatusJSON(t, h)
	want := []map[string]string{
		{"account": "acme", "provider": "dropboxsign", "source": "env"},
		{"account": "c1", "provider": "constellation1", "source": "memory"},
		{"account": "spare.one", "provider": "dropboxsign", "source": "none"},
	}
	if !jsonEqual(got, want) {
		t.Errorf("auth status --json = %v, want %v", got, want)
	}

	// Human form: a table with the same facts.
	r = h.run("", "auth", "status")
	r.wantCode(t, ExitOK)
	for _, line := range []string{
		`acme\s+Dropbox Sign\s+env\s+SIGNDECK_TOKEN_ACME`,
		`c1\s+Constellation1\s+memory`,
		`spare\.one\s+Dropbox Sign\s+none\s+run: signdeck auth login spare\.one`,
	} {
		if !regexp.MustCompile(`(?m)^` + line).MatchString(r.stdout) {
			t.Errorf("auth status lacks a line like %q\n%s", line, r)
		}
	}
}

// downStore is an OS keyring that cannot be reached.
type downStore struct{ calls *atomic.Int32 }

func (d downStore) Get(_ context.Context, account string) (string, error) {
	d.calls.Add(1)
	return "", &keyring.UnavailableError{Op: "read", Account: account, Cause: "no D-Bus session"}
}
func (d downStore) Set(context.Context, string, string) error {
	d.calls.Add(1)
	return &keyring.UnavailableError{Op: "save", Cause: "no D-Bus session"}
}
func (d downStore) Delete(context.Context, string) error {
	d.calls.Add(1)
	return &keyring.UnavailableError{Op: "delete", Cause: "no D-Bus session"}
}
func (downStore) Source() keyring.Source { return keyring.SourceKeyring }

func TestAuthStatusKeyringUnavailable(t *testing.T) {
	t.Parallel()
	h := newHarness(t, offlineConfig)
	h.env["SIGNDECK_TOKEN_C1"] = "env-secret-c1"
	var calls atomic.Int32
	h.keyStore = downStore{&calls}
	r, got := runAuthStatusJSON(t, h)
	want := []map[string]string{
		{"account": "acme", "provider": "dropboxsign", "source": "none"},
		{"account": "c1", "provider": "constellation1", "source": "env"},
		{"account": "spare.one", "provider": "dropboxsign", "source": "none"},
	}
	if !jsonEqual(got, want) {
		t.Errorf("auth status --json = %v, want %v", got, want)
	}
	if n := strings.Count(r.stderr, "no OS keyring"); n != 1 {
		t.Errorf("the keyring problem is reported %d times, want once\n%s", n, r)
	}
	if calls.Load() != 1 {
		t.Errorf("the unreachable keyring was asked %d times, want 1", calls.Load())
	}
}

func TestAuthLoginFromStdinNoVerify(t *testing.T) {
	t.Parallel()
	h := newHarness(t, offlineConfig)
	h.secrets = []string{"tok-3f9a-secret"}
	r := h.run("  tok-3f9a-secret \n\n", "auth", "login", "acme", "--no-verify")
	r.wantCode(t, ExitOK)
	if want := "stored token for acme in the in-memory store"; !strings.Contains(r.stdout, want) {
		t.Errorf("stdout lacks %q\n%s", want, r)
	}
	if got, _ := h.store.Get(context.Background(), "acme"); got != "tok-3f9a-secret" {
		t.Errorf("stored %q, want the trimmed token", got)
	}
	lines := h.auditLines()
	if len(lines) != 1 || !strings.Contains(lines[0], `"action":"login"`) || !strings.Contains(lines[0], `"outcome":"ok"`) ||
		!strings.Contains(lines[0], `"via":"cli"`) {
		t.Errorf("audit log = %q, want one ok login via cli", lines)
	}
}

func TestAuthLoginRejectsBadStdin(t *testing.T) {
	t.Parallel()
	h := newHarness(t, offlineConfig)
	h.secrets = []string{"line-one-secret", "line-two-secret"}
	for name, stdin := range map[string]string{
		"empty":     "",
		"blank":     "  \n\n",
		"two lines": "line-one-secret\nline-two-secret\n",
	} {
		r := h.run(stdin, "auth", "login", "acme", "--no-verify")
		if r.code != ExitUsage {
			t.Errorf("%s: exit %d, want 2\n%s", name, r.code, r)
		}
		if _, err := h.store.Get(context.Background(), "acme"); err == nil {
			t.Errorf("%s: a token was stored", name)
		}
	}
	r := h.run("tok\n", "auth", "login", "nope", "--no-verify")
	r.wantCode(t, ExitUsage)
}

func TestAuthLoginPromptAndEnvWarning(t *testing.T) {
	t.Parallel()
	h := newHarness(t, offlineConfig)
	h.stdinTTY = true
	h.secret = "typed-secret-42\n"
	h.env["SIGNDECK_TOKEN_ACME"] = "env-secret-acme"
	h.secrets = []string{"typed-secret-42", "env-secret-acme"}
	r := h.run("", "auth", "login", "acme", "--no-verify")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stderr, "Dropbox Sign API key token for acme (input hidden): ") {
		t.Errorf("no hidden prompt on stderr\n%s", r)
	}
	if !strings.Contains(r.stderr, "SIGNDECK_TOKEN_ACME is set; it is used instead") {
		t.Errorf("no warning about the environment variable\n%s", r)
	}
	if got, _ := h.store.Get(context.Background(), "acme"); got != "typed-secret-42" {
		t.Errorf("stored %q", got)
	}
}

func TestAuthLogout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, offlineConfig)
	h.store.Set(context.Background(), "acme", "old-secret")
	h.secrets = []string{"old-secret"}
	r := h.run("", "auth", "logout", "acme")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "removed token for acme from the in-memory store") {
		t.Errorf("unexpected output\n%s", r)
	}
	if _, err := h.store.Get(context.Background(), "acme"); err == nil {
		t.Error("the token is still stored")
	}
	r = h.run("", "auth", "logout", "acme")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "no token was stored for acme") {
		t.Errorf("unexpected output\n%s", r)
	}
	// An account that left the config can still be logged out.
	h.store.Set(context.Background(), "gone", "old-secret")
	r = h.run("", "auth", "logout", "gone")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stderr, "account gone is not in") {
		t.Errorf("no note about the unconfigured account\n%s", r)
	}
	r = h.run("", "auth", "logout", "bad name")
	r.wantCode(t, ExitUsage)
}

func TestDashboardOptions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, offlineConfig+"ui:\n  readonly: true\n  refresh_interval: 30s\nkeys:\n  quit: Q\n")
	h.stdinTTY, h.stdoutTT = true, true
	h.env["SIGNDECK_TOKEN_ACME"] = "env-secret-acme"
	h.store.Set(context.Background(), "c1", "stored-secret-c1")
	h.secrets = []string{"env-secret-acme", "stored-secret-c1"}

	var got ui.Options
	var logoutErr error
	h.ui = func(_ context.Context, o ui.Options) error {
		got = o
		// Logout (while the dashboard runs) removes the stored token.
		logoutErr = o.Logout(context.Background(), "c1")
		return nil
	}
	r := h.run("")
	r.wantCode(t, ExitOK)
	if r.stdout != "" || r.stderr != "" {
		t.Errorf("the dashboard printed something\n%s", r)
	}
	if len(got.Accounts) != 3 {
		t.Fatalf("%d accounts, want 3", len(got.Accounts))
	}
	want := []struct {
		name   string
		kind   models.ProviderKind
		source string
		hasP   bool
	}{
		{"acme", models.DropboxSign, "env", true},
		{"c1", models.Constellation1, "memory", true},
		{"spare.one", models.DropboxSign, "none", false},
	}
	for i, w := range want {
		a := got.Accounts[i]
		if a.Name != w.name || a.Kind != w.kind || a.TokenSource != w.source || (a.Provider != nil) != w.hasP || a.Err != nil {
			t.Errorf("account %d = %+v, want %+v", i, a, w)
		}
		if a.Provider != nil && a.Provider.Account() != w.name {
			t.Errorf("account %d: provider for %q", i, a.Provider.Account())
		}
	}
	if !got.Readonly || got.RefreshInterval.Seconds() != 30 || got.Keys["quit"][0] != "Q" {
		t.Errorf("settings not passed: readonly %v refresh %v keys %v", got.Readonly, got.RefreshInterval, got.Keys)
	}
	if got.Logger == nil || got.Service == nil || !got.Reconcile || got.Login == nil || got.Logout == nil {
		t.Error("logger, service, login or logout missing")
	}
	if logoutErr != nil {
		t.Fatal(logoutErr)
	}
	if _, err := h.store.Get(context.Background(), "c1"); err == nil {
		t.Error("logout left the token")
	}
}

func TestDashboardKeyringError(t *testing.T) {
	t.Parallel()
	h := newHarness(t, offlineConfig)
	h.stdinTTY, h.stdoutTT = true, true
	h.env["SIGNDECK_TOKEN_ACME"] = "env-secret-acme"
	var calls atomic.Int32
	var got ui.Options
	h.keyStore = downStore{&calls}
	h.ui = func(_ context.Context, o ui.Options) error { got = o; return nil }
	r := h.run("")
	r.wantCode(t, ExitOK)
	if a := got.Accounts[0]; a.Provider == nil || a.TokenSource != "env" || a.Err != nil {
		t.Errorf("env account = %+v", a)
	}
	for _, a := range got.Accounts[1:] {
		if a.Provider != nil || a.TokenSource != "none" || a.Err == nil || !strings.Contains(a.Err.Error(), "no OS keyring") {
			t.Errorf("account %s = %+v, want no provider and the keyring error", a.Name, a)
		}
	}
}

// jsonEqual compares two values by their JSON encoding.
func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestAuthLoginKeyringUnavailableFailsBeforeReading(t *testing.T) {
	t.Parallel()
	h := newHarness(t, offlineConfig)
	var calls atomic.Int32
	h.keyStore = downStore{&calls}
	h.stdinTTY = true
	h.secret = "never-read-secret"
	r := h.run("", "auth", "login", "acme", "--no-verify")
	r.wantCode(t, ExitFailure)
	if !strings.Contains(r.stderr, "cannot store a token: keyring: no OS keyring") {
		t.Errorf("stderr\n%s", r)
	}
	if strings.Contains(r.stderr, "input hidden") {
		t.Errorf("asked for a token that could not be stored\n%s", r)
	}
}

// runAuthStatusJSON runs `auth status --json`, expects success and decodes it.
func runAuthStatusJSON(t *testing.T, h *harness) (result, []map[string]string) {
	t.Helper()
	r := h.run("", "auth", "status", "--json")
	r.wantCode(t, ExitOK)
	var got []map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, r)
	}
	return r, got
}
