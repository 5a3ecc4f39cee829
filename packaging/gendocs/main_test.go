package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGeneratesManPagesAndCompletions(t *testing.T) {
	out := t.TempDir()
	if err := run(out); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"man/signdeck.1", "man/signdeck-list.1", "man/signdeck-config-check.1", "man/signdeck-doctor.1",
		"completions/signdeck.bash", "completions/signdeck.zsh", "completions/signdeck.fish"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(out, "man", "signdeck-list.1"))
	for _, want := range []string{`.TH "SIGNDECK" "1"`, `\fB--jq\fP`, `\fB--template\fP`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("signdeck-list.1 lacks %q", want)
		}
	}
}
