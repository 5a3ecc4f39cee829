// Package e2e drives the real signdeck binary as a child process against
// the emulators: crashes (kill -9), signals, and several processes sharing
// one store.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

const token = "sandbox-token-e2e-0123456789"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds signdeck once for the package's tests.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "signdeck-e2e-*")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "signdeck")
		out, err := exec.Command("go", "build", "-o", binPath, "..").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// slowEmu wraps the Dropbox Sign emulator: writes matching hold applies the
// request at once, counts it, then holds the answer until released (or the
// client goes away), so a process can be killed with requests applied but
// unanswered.
type slowEmu struct {
	emu      *dropboxsigntest.Server
	srv      *httptest.Server
	match    string
	hold     atomic.Int64 // nanoseconds to hold an answer; 0: answer at once
	accepted atomic.Int32
	mu       sync.Mutex
	perID    map[string]int
}

func newSlowEmu(t *testing.T, match string) *slowEmu {
	t.Helper()
	emu, err := dropboxsigntest.NewServer(dropboxsigntest.Options{Seed: 41, Size: 300, Now: time.Now, APIKeys: []string{token},
		CancelDelay: time.Hour, RateLimit: -1, SendRateLimit: -1, TestModeRateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	s := &slowEmu{emu: emu, match: match, perID: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, match) {
			emu.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, r)
		s.mu.Lock()
		s.perID[strings.TrimPrefix(r.URL.Path, match)]++
		s.mu.Unlock()
		s.accepted.Add(1)
		if d := time.Duration(s.hold.Load()); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(func() { s.srv.Close(); emu.Close() })
	return s
}

func (s *slowEmu) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.perID {
		out[k] = v
	}
	return out
}

// home is one user's environment: config, state directory, token.
type home struct {
	t       *testing.T
	dir     string
	cfgPath string
	env     []string
}

func newHome(t *testing.T, baseURL string) *home {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("accounts:\n  - name: acme\n    provider: dropboxsign\n    base_url: "+baseURL+"\n"), 0o600)
	env := append(os.Environ(), "XDG_STATE_HOME="+filepath.Join(dir, "state"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"SIGNDECK_TOKEN_ACME="+token, "NO_COLOR=1")
	return &home{t: t, dir: dir, cfgPath: cfg, env: env}
}

func (h *home) cmd(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, binary(h.t), append([]string{"--config", h.cfgPath}, args...)...)
	c.Env = h.env
	return c
}

// run runs signdeck to the end and returns stdout, stderr and the exit code.
func (h *home) run(args ...string) (string, string, int) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := h.cmd(ctx, args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		h.t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func (h *home) audit(flags ...string) []map[string]any {
	h.t.Helper()
	out, errs, code := h.run(append([]string{"audit", "--json"}, flags...)...)
	if code != 0 {
		h.t.Fatalf("audit: exit %d\n%s", code, errs)
	}
	var ops []map[string]any
	if err := json.Unmarshal([]byte(out), &ops); err != nil {
		h.t.Fatalf("audit --json: %v\n%s", err, out)
	}
	return ops
}

// openRefs returns n requests the account can cancel, as `signdeck list`
// shows them.
func openRefs(t *testing.T, h *home, n int) []string {
	t.Helper()
	out, errs, code := h.run("list", "--status", "awaiting", "--json")
	if code != 0 {
		t.Fatalf("list: exit %d\n%s", code, errs)
	}
	var all []map[string]any
	if err := json.Unmarshal([]byte(out), &all); err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, s := range all {
		if nc, _ := s["not_cancelable"].(string); nc == "" && len(refs) < n {
			refs = append(refs, s["ref"].(string))
		}
	}
	if len(refs) < n {
		t.Fatalf("only %d open requests", len(refs))
	}
	return refs
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// crashCancel starts `signdeck cancel` on 10 requests whose cancels are
// applied but answered slowly, stops it with sig once 3 were accepted, and
// returns the refs and the emulator.
func crashCancel(t *testing.T, sig os.Signal, hold time.Duration) (*home, *slowEmu, []string) {
	emu := newSlowEmu(t, "/v3/signature_request/cancel/")
	h := newHome(t, emu.srv.URL+"/v3")
	refs := openRefs(t, h, 10)
	emu.hold.Store(int64(hold))
	c := h.cmd(context.Background(), append([]string{"cancel", "--yes", "--json"}, refs...)...)
	var errb bytes.Buffer
	c.Stderr = &errb
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "3 accepted cancels", func() bool { return emu.accepted.Load() >= 3 })
	if err := c.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		c.Process.Kill()
		t.Fatalf("signdeck did not stop after %v\n%s", sig, errb.String())
	}
	emu.hold.Store(0)
	return h, emu, refs
}

func TestCrashDuringBulkCancel(t *testing.T) {
	h, emu, refs := crashCancel(t, os.Kill, time.Minute)
	sent := emu.counts()
	if len(sent) < 3 {
		t.Fatalf("%d cancels reached the emulator", len(sent))
	}
	// The operations in flight at the kill are named, unresolved.
	unresolved := map[string]bool{}
	for _, op := range h.audit("--unresolved") {
		if op["outcome"] != "" || op["action"] != "cancel" {
			t.Errorf("unexpected unresolved op %v", op)
		}
		unresolved[strings.TrimPrefix(op["ref"].(string), "acme/")] = true
	}
	// Every request that reached the emulator is unresolved in the
	// journal; so may be one whose intent was written just before the kill
	// (at most the 4 the account runs at once).
	for id := range sent {
		if !unresolved[id] {
			t.Errorf("%s was sent but is not unresolved in the journal", id)
		}
	}
	if len(unresolved) > 4 {
		t.Errorf("%d unresolved, %d sent", len(unresolved), len(sent))
	}

	// A second run of the same cancel sends none twice.
	out, errs, code := h.run(append([]string{"cancel", "--yes", "--json"}, refs...)...)
	if code != 0 {
		t.Fatalf("second cancel: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "earlier operations resolved") && !strings.Contains(errs, "earlier operation resolved") {
		t.Errorf("the second run does not say it resolved the earlier operations:\n%s", errs)
	}
	for _, ref := range refs {
		id := strings.TrimPrefix(ref, "acme/")
		if n := emu.counts()[id]; n != 1 {
			t.Errorf("%s: %d cancels sent, want exactly 1", ref, n)
		}
	}
	// Every applied cancel is recorded as such, and nothing is unresolved
	// but the pending (queued) ones.
	applied := map[string]bool{}
	for _, op := range h.audit() {
		if op["action"] == "cancel" && (op["outcome"] == "pending" || op["outcome"] == "ok") {
			applied[op["ref"].(string)] = true
		}
		if op["outcome"] == "" {
			t.Errorf("still no outcome: %v", op)
		}
	}
	for _, ref := range refs {
		if !applied[ref] {
			t.Errorf("%s: the applied cancel is not recorded", ref)
		}
	}
}

// TestSIGHUPDuringBulkCancel: a closed terminal lets the requests in
// flight finish, records not_sent for the rest, and the rerun sends each
// cancel once.
func TestSIGHUPDuringBulkCancel(t *testing.T) {
	h, emu, refs := crashCancel(t, syscall.SIGHUP, 2*time.Second)
	sent := emu.counts()
	outcomes := map[string]string{}
	for _, op := range h.audit() {
		outcomes[strings.TrimPrefix(op["ref"].(string), "acme/")] = op["outcome"].(string)
	}
	for _, ref := range refs {
		id := strings.TrimPrefix(ref, "acme/")
		want := "not_sent"
		if sent[id] > 0 {
			want = "pending" // finished within the grace period
		}
		if outcomes[id] != want {
			t.Errorf("%s: outcome %q, want %q", ref, outcomes[id], want)
		}
	}
	if len(h.audit("--unresolved")) != len(sent) {
		t.Errorf("unresolved: want only the %d pending cancels", len(sent))
	}
	if _, errs, code := h.run(append([]string{"cancel", "--yes"}, refs...)...); code != 0 {
		t.Fatalf("rerun: exit %d\n%s", code, errs)
	}
	for _, ref := range refs {
		if n := emu.counts()[strings.TrimPrefix(ref, "acme/")]; n != 1 {
			t.Errorf("%s: %d cancels sent, want 1", ref, n)
		}
	}
}

func TestCrashDuringCopy(t *testing.T) {
	for _, sig := range []os.Signal{os.Kill, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			emu := newSlowEmu(t, "/v3/signature_request/send")
			h := newHome(t, emu.srv.URL+"/v3")
			ref := openRefs(t, h, 1)[0]
			before := emu.emu.Len()
			emu.hold.Store(int64(time.Minute))
			c := h.cmd(context.Background(), "copy", ref, "--yes", "--json")
			var errb bytes.Buffer
			c.Stderr = &errb
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the copy to be created", func() bool { return emu.accepted.Load() >= 1 })
			c.Process.Signal(sig)
			c.Wait()
			emu.hold.Store(0)
			if emu.emu.Len() != before+1 {
				t.Fatalf("the emulator holds %d new requests", emu.emu.Len()-before)
			}
			ops := h.audit()
			if len(ops) != 1 || ops[0]["action"] != "copy" || (ops[0]["outcome"] != "" && ops[0]["outcome"] != "unknown") {
				t.Fatalf("journal after the crash: %v", ops)
			}
			opID := ops[0]["operation_id"].(string)
			// The rerun finds the copy by its operation id and sends nothing.
			out, errs, code := h.run("copy", ref, "--yes", "--json")
			if emu.emu.Len() != before+1 || emu.accepted.Load() != 1 {
				t.Errorf("the rerun sent again (%d new requests)\n%s\n%s", emu.emu.Len()-before, out, errs)
			}
			if code != 1 || !strings.Contains(errs, "an identical copy of "+ref) {
				t.Errorf("rerun: exit %d\n%s", code, errs)
			}
			ops = h.audit()
			if len(ops) != 1 || ops[0]["outcome"] != "ok" || ops[0]["new_ref"] == "" || ops[0]["operation_id"] != opID {
				t.Errorf("journal after the rerun: %v", ops)
			}
		})
	}
}

// TestConcurrentProcessesShareTheJournal: 8 signdeck processes cancel at
// once against one store; every operation is recorded.
func TestConcurrentProcessesShareTheJournal(t *testing.T) {
	emu := newSlowEmu(t, "/v3/signature_request/cancel/")
	h := newHome(t, emu.srv.URL+"/v3")
	refs := openRefs(t, h, 24)
	var wg sync.WaitGroup
	errs := make([]string, 8)
	for i := range 8 {
		wg.Go(func() {
			_, e, code := h.run(append([]string{"cancel", "--yes", "--json"}, refs[i*3:i*3+3]...)...)
			if code != 0 {
				errs[i] = e
			}
		})
	}
	wg.Wait()
	for i, e := range errs {
		if e != "" {
			t.Errorf("process %d: %s", i, e)
		}
	}
	ops := h.audit()
	seen := map[string]int{}
	for _, op := range ops {
		if op["action"] == "cancel" && op["outcome"] == "pending" {
			seen[op["ref"].(string)]++
		}
	}
	if len(ops) != len(refs) || len(seen) != len(refs) {
		t.Errorf("%d ops, %d refs pending, want %d", len(ops), len(seen), len(refs))
	}
	for _, r := range refs {
		if seen[r] != 1 {
			t.Errorf("%s recorded %d times", r, seen[r])
		}
	}
}
