package cli

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestStateFileLinksRefused: a state file (the log, the pending records)
// that is a symbolic link is refused, whether the link points at an
// existing file or nowhere yet; the target is neither written nor created.
func TestStateFileLinksRefused(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "state", "signdeck.log")
	if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if f, err := openPrivate(link); err == nil || !errors.Is(err, errStateLink) {
		if f != nil {
			f.Close()
		}
		t.Fatalf("a link to a file: err %v, want it refused", err)
	}
	dangling := filepath.Join(dir, "state", "pending.jsonl")
	nowhere := filepath.Join(dir, "not-yet")
	if err := os.Symlink(nowhere, dangling); err != nil {
		t.Fatal(err)
	}
	if _, err := openPrivate(dangling); !errors.Is(err, errStateLink) {
		t.Fatalf("a dangling link: err %v, want it refused", err)
	}
	if _, err := os.Stat(nowhere); !errors.Is(err, os.ErrNotExist) {
		t.Error("the dangling link's target was created")
	}
	fifo := filepath.Join(dir, "state", "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err == nil {
		if _, err := openPrivate(fifo); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("a FIFO: err %v", err)
		}
	}
	// A regular file, new or existing, opens (and is made private).
	plain := filepath.Join(dir, "state", "plain.log")
	for range 2 {
		f, err := openPrivate(plain)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("x\n")
		f.Close()
	}
	if st, _ := os.Stat(plain); st.Mode().Perm() != 0o600 || st.Size() != 4 {
		t.Errorf("plain file %v, %d bytes", st.Mode(), st.Size())
	}

	// Through the app: the log file is a link; logging goes nowhere and the
	// victim is untouched.
	h := newHarness(t, "")
	sd := filepath.Join(h.env["XDG_STATE_HOME"], "signdeck")
	if err := os.MkdirAll(sd, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(sd, logFileName)); err != nil {
		t.Fatal(err)
	}
	a := h.app(strings.NewReader(""), io.Discard, io.Discard)
	a.debug = true
	a.log().Error("this line must not reach the link's target")
	if err := a.openLog(); !errors.Is(err, errStateLink) {
		t.Errorf("openLog: %v, want the link refused", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("the link's target was written: %q", b)
	}
	if st, _ := os.Lstat(victim); st.Mode().Perm() != 0o644 {
		t.Errorf("the link's target's mode changed to %v", st.Mode())
	}
}
