package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/keyring"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/ui"
)

// harness runs the CLI in-process with buffers, a private environment
// (so tests can run in parallel), an in-memory keyring and a temporary
// state directory.
type harness struct {
	t        *testing.T
	dir      string
	cfgPath  string
	env      map[string]string
	store    *keyring.Memory
	keyStore keyring.Store // replaces store when set
	ui       func(context.Context, ui.Options) error
	stdinTTY bool   // pretend stdin is a terminal
	stdoutTT bool   // pretend stdout is a terminal
	secret   string // what the hidden prompt "reads"
	// secrets must never appear in any output.
	secrets []string
}

func newHarness(t *testing.T, cfgYAML string) *harness {
	t.Helper()
	dir := t.TempDir()
	h := &harness{
		t:     t,
		dir:   dir,
		env:   map[string]string{"XDG_STATE_HOME": filepath.Join(dir, "state")},
		store: keyring.NewMemory(nil),
	}
	if cfgYAML != "" {
		h.cfgPath = filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(h.cfgPath, []byte(cfgYAML), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func (h *harness) app(stdin io.Reader, stdout, stderr io.Writer) *app {
	a := newApp(stdin, stdout, stderr)
	a.lookupEnv = func(k string) (string, bool) {
		v, ok := h.env[k]
		return v, ok
	}
	a.newStore = func() keyring.Store {
		if h.keyStore != nil {
			return h.keyStore
		}
		return h.store
	}
	if h.ui != nil {
		a.runUI = h.ui
	}
	a.isTerminal = func(s any) bool {
		switch s {
		case a.stdin:
			return h.stdinTTY
		case a.stdout:
			return h.stdoutTT
		}
		return false
	}
	a.readSecret = func(int) ([]byte, error) { return []byte(h.secret), nil }
	a.pollFirstD, a.pollMaxD = 50*time.Millisecond, 200*time.Millisecond
	a.dbxRecoverWait = 200 * time.Millisecond
	a.dbxFindWindow = 300 * time.Millisecond
	a.tuneHTTP = func(cc *providers.ClientConfig) {
		cc.BackoffBase, cc.BackoffMax = 5*time.Millisecond, 20*time.Millisecond
	}
	return a
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs signdeck with args (the config flag is added when the harness
// has a config) and checks that no secret leaked into the output.
func (h *harness) run(stdin string, args ...string) result {
	h.t.Helper()
	return h.runCtx(context.Background(), stdin, args...)
}

func (h *harness) runCtx(ctx context.Context, stdin string, args ...string) result {
	h.t.Helper()
	var out, errb bytes.Buffer
	a := h.app(strings.NewReader(stdin), &out, &errb)
	if h.cfgPath != "" {
		args = append([]string{"--config", h.cfgPath}, args...)
	}
	code := a.run(ctx, args)
	r := result{stdout: out.String(), stderr: errb.String(), code: code}
	h.checkNoSecrets(r.stdout, r.stderr)
	return r
}

func (h *harness) checkNoSecrets(texts ...string) {
	h.t.Helper()
	for _, s := range h.secrets {
		for _, text := range texts {
			if s != "" && strings.Contains(text, s) {
				h.t.Errorf("secret %q leaked into output:\n%s", s, text)
			}
		}
	}
	// The state directory (log and audit files) must not hold them either.
	filepath.WalkDir(h.env["XDG_STATE_HOME"], func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(path)
		for _, s := range h.secrets {
			if s != "" && bytes.Contains(b, []byte(s)) {
				h.t.Errorf("secret %q leaked into %s", s, path)
			}
		}
		return nil
	})
}

// auditLines returns the journal as `signdeck audit --json` prints it,
// one compact JSON object per operation, oldest first.
func (h *harness) auditLines() []string {
	h.t.Helper()
	return h.auditLinesFilter()
}

func (h *harness) auditLinesFilter(flags ...string) []string {
	h.t.Helper()
	r := h.run("", append([]string{"audit", "--json"}, flags...)...)
	if r.code != ExitOK {
		h.t.Fatalf("audit: %s", r)
	}
	var ops []auditJSON
	if err := json.Unmarshal([]byte(r.stdout), &ops); err != nil {
		h.t.Fatalf("audit --json: %v\n%s", err, r.stdout)
	}
	var out []string
	for i := len(ops) - 1; i >= 0; i-- {
		b, _ := json.Marshal(ops[i])
		out = append(out, string(b))
	}
	return out
}

// withoutOpIDs drops the operation ids (random) from JSON objects.
func withoutOpIDs(t *testing.T, in []map[string]any) []map[string]any {
	t.Helper()
	for _, m := range in {
		if id, _ := m["operation_id"].(string); !strings.HasPrefix(id, "sdop") {
			t.Errorf("operation_id %v", m["operation_id"])
		}
		delete(m, "operation_id")
	}
	return in
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + "\n--- stdout\n" + r.stdout + "--- stderr\n" + r.stderr
}

func (r result) wantCode(t *testing.T, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\n%s", r.code, code, r)
	}
}

// writeConfig replaces the harness's config file.
func (h *harness) writeConfig(cfgYAML string) {
	h.t.Helper()
	if h.cfgPath == "" {
		h.cfgPath = filepath.Join(h.dir, "config.yaml")
	}
	if err := os.WriteFile(h.cfgPath, []byte(cfgYAML), 0o600); err != nil {
		h.t.Fatal(err)
	}
}

// readState returns a file of the state directory ("" when missing).
func (h *harness) readState(name string) string {
	b, _ := os.ReadFile(filepath.Join(h.env["XDG_STATE_HOME"], "signdeck", name))
	return string(b)
}
