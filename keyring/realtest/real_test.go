package realtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signdeck/signdeck/keyring"
)

const requireEnv = "SIGNDECK_REQUIRE_KEYRING"

var (
	probeOnce sync.Once
	probeErr  error
)

// requireKeyring returns an OS store, or skips the test (fails it when
// SIGNDECK_REQUIRE_KEYRING=1) when no Secret Service answers a harmless
// lookup within a few seconds.
func requireKeyring(t *testing.T) keyring.Store {
	t.Helper()
	probeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		probeErr = keyring.Probe(ctx, keyring.NewOS(3*time.Second))
	})
	if probeErr != nil {
		unreachable := errors.Is(probeErr, keyring.ErrUnavailable) || errors.Is(probeErr, keyring.ErrTimeout)
		if !unreachable || os.Getenv(requireEnv) == "1" {
			t.Fatalf("real OS keyring needed but not usable: %v", probeErr)
		}
		t.Skipf("SKIP: no Secret Service reachable, so the real-keyring test is skipped "+
			"(run under scripts/with-secret-service.sh; %s=1 makes this a failure). Probe said: %v",
			requireEnv, probeErr)
	}
	return keyring.NewOS(10 * time.Second)
}

var seq atomic.Int64

// uniqueAccount returns an account name no other run uses, and deletes it
// from the keyring when the test ends.
func uniqueAccount(t *testing.T, s keyring.Store) string {
	t.Helper()
	acct := fmt.Sprintf("signdeck-test-%d-%d-%d", os.Getpid(), time.Now().UnixNano(), seq.Add(1))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Delete(ctx, acct); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			t.Errorf("cleanup of %s: %v", acct, err)
		}
	})
	return acct
}

func TestRealRoundTrip(t *testing.T) {
	s := requireKeyring(t)
	ctx := context.Background()
	acct := uniqueAccount(t, s)

	if _, err := s.Get(ctx, acct); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("Get of a fresh account: %v, want ErrNotFound", err)
	}
	if err := s.Set(ctx, acct, "tok-first"); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if got, err := s.Get(ctx, acct); err != nil || got != "tok-first" {
		t.Fatalf("Get = %q, %v; want tok-first", got, err)
	}
	if err := s.Set(ctx, acct, "tok-second"); err != nil {
		t.Fatalf("second Set: %v", err)
	}
	if got, err := s.Get(ctx, acct); err != nil || got != "tok-second" {
		t.Fatalf("Get after replace = %q, %v; want tok-second", got, err)
	}
	if err := s.Delete(ctx, acct); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, acct); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
	}
	err := s.Delete(ctx, acct)
	if !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("second Delete: %v, want ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), acct) {
		t.Errorf("not-found error does not name the account: %v", err)
	}
}

func TestRealUnusualSecret(t *testing.T) {
	s := requireKeyring(t)
	ctx := context.Background()
	acct := uniqueAccount(t, s)
	secret := `äöü-€-"quoted"-'single'-\back\slash-` + strings.Repeat("x", 2000)
	if err := s.Set(ctx, acct, secret); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, acct); err != nil || got != secret {
		t.Fatalf("Get returned %d bytes, %v; want the %d-byte secret back unchanged", len(got), err, len(secret))
	}
}

func TestRealTokens(t *testing.T) {
	s := requireKeyring(t)
	ctx := context.Background()
	acct := uniqueAccount(t, s)
	env := map[string]string{}
	tk := &keyring.Tokens{Store: s, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}

	if src, err := tk.Source(ctx, acct); src != keyring.SourceNone || err != nil {
		t.Fatalf("Source = %q, %v; want none", src, err)
	}
	if err := tk.Set(ctx, acct, "  real-token\n"); err != nil {
		t.Fatal(err)
	}
	tok, src, err := tk.Get(ctx, acct)
	if err != nil || tok != "real-token" || src != keyring.SourceKeyring {
		t.Fatalf("Get = %q, %q, %v; want real-token from keyring", tok, src, err)
	}
	env[keyring.EnvName(acct)] = "env-token"
	tok, src, err = tk.Get(ctx, acct)
	if err != nil || tok != "env-token" || src != keyring.SourceEnv {
		t.Fatalf("env should win: Get = %q, %q, %v", tok, src, err)
	}
	delete(env, keyring.EnvName(acct))
	if err := tk.Delete(ctx, acct); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tk.Get(ctx, acct); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("after Delete: %v, want ErrNotFound", err)
	}
	if err := tk.Delete(ctx, acct); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("second Delete: %v, want ErrNotFound", err)
	}
}

func TestRealConcurrent(t *testing.T) {
	s := requireKeyring(t)
	ctx := context.Background()
	accts := make([]string, 6)
	for i := range accts {
		accts[i] = uniqueAccount(t, s)
	}
	var wg sync.WaitGroup
	for i, acct := range accts {
		wg.Go(func() {
			want := fmt.Sprintf("tok-%d", i)
			if err := s.Set(ctx, acct, want); err != nil {
				t.Errorf("Set(%s): %v", acct, err)
				return
			}
			if got, err := s.Get(ctx, acct); err != nil || got != want {
				t.Errorf("Get(%s) = %q, %v; want %q", acct, got, err, want)
			}
		})
	}
	wg.Wait()
}

// The tests below run this test binary again in a child process (go-keyring
// and godbus keep one session-bus connection per process) with a chosen
// DBUS_SESSION_BUS_ADDRESS, and check what the real go-keyring reports.
// They need no Secret Service, so they never skip for lack of one.

const helperEnv = "SIGNDECK_KEYRING_HELPER"

// TestMain runs helperMain instead of the tests in the child process.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(helperMain())
	}
	os.Exit(m.Run())
}

// helperMain is the child's side: every OS keyring call must fail with
// ErrUnavailable, without the secret in the message. It prints the errors
// and HELPER-OK when all is as expected.
func helperMain() int {
	ctx := context.Background()
	s := keyring.NewOS(5 * time.Second)
	const secret = "HELPER-SECRET-VALUE"
	_, getErr := s.Get(ctx, "c1-stage")
	ok := true
	for name, err := range map[string]error{
		"set":    s.Set(ctx, "c1-stage", secret),
		"get":    getErr,
		"delete": s.Delete(ctx, "c1-stage"),
	} {
		fmt.Printf("%s: %v\n", name, err)
		if !errors.Is(err, keyring.ErrUnavailable) {
			fmt.Printf("%s: FAIL: want ErrUnavailable\n", name)
			ok = false
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			fmt.Printf("%s: FAIL: error contains the secret\n", name)
			ok = false
		}
	}
	if !ok {
		return 1
	}
	fmt.Println("HELPER-OK")
	return 0
}

// runHelper runs helperMain in a child process with busAddr and returns
// its output.
func runHelper(t *testing.T, busAddr string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	env := []string{helperEnv + "=1", "DBUS_SESSION_BUS_ADDRESS=" + busAddr}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k != "DBUS_SESSION_BUS_ADDRESS" && k != "DISPLAY" && k != helperEnv {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "HELPER-OK") {
		t.Fatalf("helper failed (%v):\n%s", err, out)
	}
	t.Logf("child process with DBUS_SESSION_BUS_ADDRESS=%s said:\n%s", busAddr, out)
	return string(out)
}

func TestUnavailableWhenNoBus(t *testing.T) {
	addr := "unix:path=" + filepath.Join(t.TempDir(), "no-such-bus")
	out := runHelper(t, addr)
	if !strings.Contains(out, "SIGNDECK_TOKEN_C1_STAGE") || !strings.Contains(out, "gnome-keyring") {
		t.Errorf("helper output lacks the advice:\n%s", out)
	}
}

func TestUnavailableWhenBusHasNoSecretService(t *testing.T) {
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("dbus-daemon not found (%s=1): %v", requireEnv, err)
		}
		t.Skip("SKIP: dbus-daemon not installed (Debian package dbus-daemon)")
	}
	dir := t.TempDir()
	services := filepath.Join(dir, "services")
	if err := os.Mkdir(services, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "session.conf")
	// A session bus with an empty service directory: nothing can be
	// activated, so org.freedesktop.secrets has no owner.
	if err := os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=`+filepath.Join(dir, "bus")+`</listen>
  <auth>EXTERNAL</auth>
  <servicedir>`+services+`</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addrCh := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		addrCh <- strings.TrimSpace(line)
	}()
	var addr string
	select {
	case addr = <-addrCh:
	case <-time.After(10 * time.Second):
		t.Fatal("dbus-daemon printed no address within 10s")
	}
	if addr == "" {
		t.Fatal("dbus-daemon printed an empty address")
	}
	out := runHelper(t, addr)
	if !strings.Contains(out, "org.freedesktop.secrets") {
		t.Errorf("helper output does not give the D-Bus reason:\n%s", out)
	}
}
