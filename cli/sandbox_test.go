package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

// startSandbox runs `signdeck sandbox args...` in the background and
// returns the config it printed (up to "# ready") and a stop function
// that interrupts it and returns its exit code and stderr.
func startSandbox(t *testing.T, h *harness, args ...string) (string, func() (int, string)) {
	t.Helper()
	yml, stop, err := tryStartSandbox(t, h, args...)
	if err != nil {
		t.Fatal(err)
	}
	return yml, stop
}

func tryStartSandbox(t *testing.T, h *harness, args ...string) (string, func() (int, string), error) {
	t.Helper()
	pr, pw := io.Pipe()
	var errb bytes.Buffer
	a := h.app(strings.NewReader(""), pw, &errb)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		code := a.run(ctx, append([]string{"sandbox"}, args...))
		pw.Close()
		done <- code
	}()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var out strings.Builder
	timeout := time.After(20 * time.Second)
	ready := false
	for !ready {
		select {
		case l, ok := <-lines:
			if !ok {
				cancel()
				return "", nil, fmt.Errorf("sandbox ended before # ready (exit %d)\n%s\n%s", <-done, out.String(), errb.String())
			}
			if l == "# ready" {
				ready = true
				break
			}
			out.WriteString(l + "\n")
		case <-timeout:
			cancel()
			t.Fatal("no # ready within 20s")
		}
	}
	stop := func() (int, string) {
		cancel()
		var extra []string
		for l := range lines {
			extra = append(extra, l)
		}
		if len(extra) > 0 {
			t.Errorf("sandbox printed after # ready: %q", extra)
		}
		select {
		case code := <-done:
			return code, errb.String()
		case <-time.After(10 * time.Second):
			t.Fatal("sandbox did not stop")
			return -1, ""
		}
	}
	t.Cleanup(func() { cancel() })
	return out.String(), stop, nil
}

func TestSandboxPrintsConfigAndServes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	yml, stop := startSandbox(t, h, "--size", "6", "--seed", "11")

	cfg, err := config.Parse("sandbox.yaml", []byte(yml))
	if err != nil {
		t.Fatalf("config.Parse rejects the sandbox's output: %v\n%s", err, yml)
	}
	if !strings.Contains(yml, "# Every sandbox account accepts the token \"sandbox-token\"") {
		t.Errorf("no comment about the token\n%s", yml)
	}
	if got := cfg.AccountNames(); strings.Join(got, ",") != "demo-dropboxsign,demo-constellation1" {
		t.Fatalf("accounts %v", got)
	}
	dbx, _ := cfg.Account("demo-dropboxsign")
	c1, _ := cfg.Account("demo-constellation1")
	if dbx.Provider != models.DropboxSign || !dbx.TestMode || c1.Provider != models.Constellation1 ||
		c1.Username == "" || len(c1.Transactions) == 0 {
		t.Errorf("accounts: %+v %+v", dbx, c1)
	}
	for _, acct := range cfg.Accounts {
		u, err := url.Parse(acct.BaseURL)
		if err != nil || u.Hostname() != "127.0.0.1" || u.Port() == "" {
			t.Errorf("%s: base_url %q is not on 127.0.0.1", acct.Name, acct.BaseURL)
		}
	}

	// The printed config works, with the sandbox token, for both accounts.
	h.writeConfig(yml)
	h.env["SIGNDECK_TOKEN_DEMO_DROPBOXSIGN"] = sandboxToken
	h.env["SIGNDECK_TOKEN_DEMO_CONSTELLATION1"] = sandboxToken
	got := listJSON(t, h)
	per := map[string]int{}
	for _, s := range got {
		per[s["account"].(string)]++
	}
	if per["demo-dropboxsign"] == 0 || per["demo-constellation1"] == 0 {
		t.Errorf("sessions per account: %v", per)
	}

	code, stderr := stop()
	if code != ExitOK {
		t.Errorf("sandbox exit %d after interrupt\n%s", code, stderr)
	}
	// The servers are closed.
	for _, acct := range cfg.Accounts {
		u, _ := url.Parse(acct.BaseURL)
		if c, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still serves on %s after the interrupt", acct.Name, u.Host)
		}
	}
}

func TestSandboxFixedAddress(t *testing.T) {
	t.Parallel()
	// Find a free port, then ask the sandbox to use it; another test may
	// take the port in between, so try a few.
	h := newHarness(t, "")
	var yml, addr string
	var stop func() (int, string)
	for try := 0; ; try++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = ln.Addr().String()
		ln.Close()
		yml, stop, err = tryStartSandbox(t, h, "--size", "2", "--dropboxsign-addr", addr)
		if err == nil {
			break
		}
		if try == 4 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
	}
	if !strings.Contains(yml, "base_url: http://"+addr+"/v3") {
		t.Errorf("the Dropbox Sign emulator is not on %s\n%s", addr, yml)
	}
	if code, stderr := stop(); code != ExitOK {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}

// TestMainWithEnvironment runs the real entry point: environment
// variables, the log file in $XDG_STATE_HOME, and no secret anywhere.
func TestMainWithEnvironment(t *testing.T) {
	srv, err := dropboxsigntest.NewServer(dropboxsigntest.Options{Seed: 2, Size: 4, APIKeys: []string{dbxToken}, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte("accounts:\n  - name: acme\n    provider: dropboxsign\n    team: true\n    base_url: "+srv.URL+"\n"), 0o600)
	state := filepath.Join(dir, "state")
	t.Setenv("XDG_STATE_HOME", state)
	t.Setenv("SIGNDECK_TOKEN_ACME", dbxToken)

	var out, errb bytes.Buffer
	code := Main([]string{"--config", cfgPath, "--debug", "list", "--json"}, strings.NewReader(""), &out, &errb)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if !strings.HasPrefix(out.String(), "[") || strings.Count(out.String(), `"ref"`) != 4 {
		t.Errorf("stdout\n%s", out.String())
	}
	logPath := filepath.Join(state, "signdeck", "signdeck.log")
	st, err := os.Stat(logPath)
	if err != nil {
		t.Fatalf("no log file: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("log file mode %v, want 0600", st.Mode().Perm())
	}
	if dst, _ := os.Stat(filepath.Dir(logPath)); dst.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %v, want 0700", dst.Mode().Perm())
	}
	logText, _ := os.ReadFile(logPath)
	if !strings.Contains(string(logText), "level=DEBUG") {
		t.Errorf("--debug wrote no debug lines to the log:\n%s", logText)
	}
	for _, text := range []string{out.String(), errb.String(), string(logText)} {
		if strings.Contains(text, dbxToken) {
			t.Fatalf("the token leaked:\n%s", text)
		}
	}

	out.Reset()
	errb.Reset()
	if code := Main([]string{"--config", cfgPath, "list", "--nope"}, strings.NewReader(""), &out, &errb); code != ExitUsage {
		t.Errorf("bad flag: exit %d", code)
	}
}
