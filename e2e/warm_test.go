package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// tmuxDemo runs `signdeck demo ARGS` in a detached tmux session of its own
// server (140x40), with a clean environment under dir.
type tmuxDemo struct {
	t    *testing.T
	sock string
}

var demoRuns int

func startDemo(t *testing.T, dir string, args ...string) *tmuxDemo {
	t.Helper()
	demoRuns++
	d := &tmuxDemo{t: t, sock: fmt.Sprintf("signdeck-e2e-warm-%d-%d", os.Getpid(), demoRuns)}
	for _, sub := range []string{"state", "config", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	cmd := fmt.Sprintf("env -i PATH=/usr/bin:/bin HOME=%[1]s/home TERM=xterm-256color XDG_STATE_HOME=%[1]s/state "+
		"XDG_CONFIG_HOME=%[1]s/config %[2]s demo %[3]s 2>%[1]s/stderr; echo SIGNDECK_EXIT=$?; sleep 600",
		dir, binary(t), strings.Join(args, " "))
	if out, err := exec.Command("tmux", "-L", d.sock, "new-session", "-d", "-s", "e2e", "-x", "140", "-y", "40",
		cmd).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	t.Cleanup(d.close)
	return d
}

func (d *tmuxDemo) screen() string {
	out, _ := exec.Command("tmux", "-L", d.sock, "capture-pane", "-p", "-t", "e2e").Output()
	return string(out)
}

func (d *tmuxDemo) keys(k ...string) {
	exec.Command("tmux", append([]string{"-L", d.sock, "send-keys", "-t", "e2e"}, k...)...).Run()
}

// waitFor polls the screen every 20 ms until ok accepts it (a deadline,
// not a measurement: the test fails only when nothing came).
func (d *tmuxDemo) waitFor(what string, limit time.Duration, ok func(string) bool) string {
	d.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		s := d.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("waited %s for %s; screen:\n%s", limit, what, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (d *tmuxDemo) close() {
	exec.Command("tmux", "-L", d.sock, "kill-server").Run()
}

var (
	bothListed = regexp.MustCompile(`demo-dropboxsign [0-9,]+ ✓[\s\S]*demo-constellation1 [0-9,]+ ✓`)
	dbxRow     = regexp.MustCompile(`(?m)^[ ›] *dbx:demo-dropboxsign `)
	dbxCached  = regexp.MustCompile(`dbx:demo-dropboxsign (⠋|⠙|⠹|⠸|⠼|⠴|⠦|⠧|⠇|⠏)? ?[0-9,]+ cached (just now|[0-9]+ min ago)`)
)

// TestDemoSecondRunOpensWarm: `signdeck demo --store DIR` keeps the
// session cache, so a second run's first frame with rows shows the
// Dropbox Sign rows from the cache ("cached just now") before any listing
// lands. The second run keeps the default rate limit (100 a minute), so
// its own listing cannot be what shows the rows.
func TestDemoSecondRunOpensWarm(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the demo twice in tmux")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	first := startDemo(t, dir, "--seed", "7", "--size", "3000", "--rate-limit", "1000000", "--store", store)
	first.waitFor("both accounts listed", 60*time.Second, bothListed.MatchString)
	first.keys("q")
	first.waitFor("the first run to quit", 10*time.Second, func(s string) bool { return strings.Contains(s, "SIGNDECK_EXIT=") })
	if s := first.screen(); !strings.Contains(s, "SIGNDECK_EXIT=0") {
		t.Fatalf("first run failed:\n%s", s)
	}
	first.close()

	second := startDemo(t, dir, "--seed", "7", "--size", "3000", "--store", store)
	s := second.waitFor("the first rows", 15*time.Second, dbxRow.MatchString)
	if !dbxCached.MatchString(s) {
		t.Fatalf("the second run's first frame with rows does not show them from the cache:\n%s", s)
	}
	second.keys("q")
	second.waitFor("the second run to quit", 10*time.Second, func(s string) bool { return strings.Contains(s, "SIGNDECK_EXIT=") })
}
