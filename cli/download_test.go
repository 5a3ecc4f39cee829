package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers/constellation/constellationtest"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

func TestDownloadDropboxSignCLI(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{})
	ref := dbxRequest(srv, "Offer 4 Elm", "bo@example.com")
	dir := filepath.Join(h.dir, "out")

	// Read-only mode allows it: nothing changes at the vendor.
	r := h.run("", "--readonly", "download", ref, "--output", dir)
	r.wantCode(t, ExitOK)
	first := strings.TrimSpace(r.stdout)
	if filepath.Dir(first) != dir || !strings.HasSuffix(first, ".pdf") || r.stderr != "" {
		t.Fatalf("download:\n%s", r)
	}
	b, err := os.ReadFile(first)
	if err != nil || !strings.HasPrefix(string(b), "%PDF") {
		t.Fatalf("%s: %v", first, err)
	}
	// Again: a new file, the first untouched.
	r = h.run("", "download", ref, "--output", dir, "--format", "zip")
	r.wantCode(t, ExitOK)
	second := strings.TrimSpace(r.stdout)
	if second == first || !strings.HasSuffix(second, ".zip") {
		t.Errorf("second download %q", second)
	}
	r = h.run("", "download", ref, "--output", dir)
	r.wantCode(t, ExitOK)
	if third := strings.TrimSpace(r.stdout); third == first || !strings.Contains(third, "(1)") {
		t.Errorf("third download %q (first %q)", third, first)
	}
	if b2, _ := os.ReadFile(first); string(b2) != string(b) {
		t.Error("the first file was changed")
	}
	// Not journaled.
	for _, l := range h.auditLines() {
		if strings.Contains(l, "download") {
			t.Errorf("journal: %s", l)
		}
	}
	// A bad format is a usage error; a failed file is exit 1.
	h.run("", "download", ref, "--output", dir, "--format", "docx").wantCode(t, ExitUsage)
	srv.Modify(strings.TrimPrefix(ref, "acme/"), func(r *dropboxsigntest.SignatureRequest) { r.FilesFailed = true })
	r = h.run("", "download", ref, "--output", dir)
	r.wantCode(t, ExitFailure)
	if r.stdout != "" || !strings.Contains(r.stderr, "download "+ref) {
		t.Errorf("failed download:\n%s", r)
	}
}

func TestDownloadConstellationCLI(t *testing.T) {
	t.Parallel()
	h, srv := newConstellation(t, constellationtest.Options{})
	ref := pick1(t, listJSON(t, h), models.StatusAwaitingSignature)
	srv.ModifySession(strings.TrimPrefix(ref, "c1/"), func(s *constellationtest.Session) { s.Documents = []string{"a.pdf", "b.pdf"} })
	dir := t.TempDir()
	r := h.run("", "download", ref, "-o", dir)
	r.wantCode(t, ExitOK)
	paths := strings.Fields(strings.ReplaceAll(r.stdout, " ", "_"))
	if len(strings.Split(strings.TrimSpace(r.stdout), "\n")) != 2 || len(paths) != 2 {
		t.Fatalf("download:\n%s", r)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d files written", len(entries))
	}
}

// The progress line goes to stderr only when stderr is a terminal.
func TestDownloadProgressOnTerminalOnly(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{})
	ref := dbxRequest(srv, "Offer", "bo@example.com")
	dir := t.TempDir()
	var out, errb bytes.Buffer
	a := h.app(strings.NewReader(""), &out, &errb)
	a.isTerminal = func(s any) bool { return s == a.stderr }
	if code := a.run(context.Background(), []string{"--config", h.cfgPath, "download", ref, "-o", dir}); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "downloading "+ref+": ") || strings.Contains(out.String(), "downloading") {
		t.Errorf("stderr %q, stdout %q", errb.String(), out.String())
	}
	h.checkNoSecrets(out.String(), errb.String())
}
