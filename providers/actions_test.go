package providers

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
)

func TestFileNameIsSafe(t *testing.T) {
	cases := map[string]string{
		"Offer - 4 Elm St.pdf":            "Offer - 4 Elm St.pdf",
		"../../etc/passwd":                "_.._etc_passwd",
		"a/b\\c:d*e?f\"g<h>i|j.zip":       "a_b_c_d_e_f_g_h_i_j.zip",
		"\x1b[31mred\x07.pdf":             "red.pdf",
		"  .hidden.pdf":                   "hidden.pdf",
		"-rf.pdf":                         "rf.pdf",
		"":                                "document",
		".pdf":                            "document.pdf",
		"$(rm -rf ~) `x`.pdf":             "_(rm -rf ~) _x_.pdf",
		"name.with.dots.final.pdf":        "name.with.dots.final.pdf",
		strings.Repeat("é", 300) + ".pdf": strings.Repeat("é", 98) + ".pdf",
	}
	for in, want := range cases {
		if got := FileName(in); got != want {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUniqueFileNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "deal.pdf"), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for range 3 {
		f, p, err := UniqueFile(dir, "deal.pdf")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = f.WriteString("new")
		_ = f.Close()
		paths = append(paths, filepath.Base(p))
	}
	if strings.Join(paths, "|") != "deal (1).pdf|deal (2).pdf|deal (3).pdf" {
		t.Errorf("names %v", paths)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "deal.pdf")); string(b) != "old" {
		t.Error("the existing file was overwritten")
	}
	// A file name cannot climb out of the directory.
	_, p, err := UniqueFile(dir, "../escape.pdf")
	if err != nil || filepath.Dir(p) != dir {
		t.Errorf("UniqueFile(../escape.pdf) = %s, %v", p, err)
	}
}

func TestCopyFileAbortsOnFailure(t *testing.T) {
	dir := t.TempDir()
	var created string
	spec := DownloadSpec{Create: CreateIn(dir, func(p string) { created = p })}
	boom := errors.New("connection lost")
	_, err := CopyFile(spec, "x.pdf", "application/pdf", io.MultiReader(strings.NewReader("part"), errReader{boom}), 100)
	if !errors.Is(err, boom) || IsWriteError(err) {
		t.Fatalf("err %v", err)
	}
	if _, serr := os.Stat(created); !os.IsNotExist(serr) {
		t.Errorf("the partial file %s is still there", created)
	}
	var calls []Progress
	spec.Progress = func(p Progress) { calls = append(calls, p) }
	f, err := CopyFile(spec, "x.pdf", "application/pdf", strings.NewReader("hello"), 5)
	if err != nil || f.Bytes != 5 || len(calls) < 2 || calls[0].Done != 0 || calls[len(calls)-1].Done != 5 || calls[0].Total != 5 {
		t.Errorf("CopyFile: %+v, %v, progress %+v", f, err, calls)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestSafeWebURL(t *testing.T) {
	ok := []string{"https://app.hellosign.com/home/manage?guid=abc", "http://127.0.0.1:8080/home", "http://localhost/x", "http://[::1]:1/"}
	bad := []string{"", "javascript:alert(1)", "file:///etc/passwd", "http://app.hellosign.com/x", "https://user:pw@host/x",
		"https:///nohost", "https://host/a b", "https://host/\x1b]8;;x", "data:text/html,x", "mailto:a@b.c", "http://localhost.evil.com/"}
	for _, u := range ok {
		if !SafeWebURL(u) {
			t.Errorf("%q refused", u)
		}
	}
	for _, u := range bad {
		if SafeWebURL(u) {
			t.Errorf("%q accepted", u)
		}
	}
}

func TestNextReminderAndRemindable(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	caps := Capabilities{RemindGap: time.Hour}
	g := models.Signer{Status: models.SignerAwaiting, LastRemindedAt: now.Add(-20 * time.Minute)}
	if next := NextReminder(caps, g, now); !next.Equal(now.Add(40 * time.Minute)) {
		t.Errorf("next = %v", next)
	}
	g.LastRemindedAt = now.Add(-61 * time.Minute)
	if next := NextReminder(caps, g, now); !next.IsZero() {
		t.Errorf("an hour later: next = %v, want now", next)
	}
	if next := NextReminder(Capabilities{}, models.Signer{LastRemindedAt: now}, now); !next.IsZero() {
		t.Error("no gap: next should be now")
	}
	for st, ok := range map[models.SignerStatus]bool{models.SignerAwaiting: true, models.SignerViewed: true,
		models.SignerSigned: false, models.SignerDeclined: false, models.SignerPending: false, models.SignerCanceled: false} {
		if got := Remindable(models.Signer{Status: st}) == ""; got != ok {
			t.Errorf("Remindable(%s) = %v", st, got)
		}
	}
}

// bareProvider implements Provider and none of the action interfaces,
// though its capabilities claim them all.
type bareProvider struct{ Provider }

func (bareProvider) Kind() models.ProviderKind { return models.DropboxSign }
func (bareProvider) Account() string           { return "acct" }
func (bareProvider) Capabilities() Capabilities {
	return Capabilities{Remind: true, UpdateSigner: true, ExtendExpiry: true, Download: true, StartDraft: true}
}

func TestActionsWithoutSupportAreUnsupported(t *testing.T) {
	p := &bareProvider{}
	ctx := context.Background()
	_, err := Remind(ctx, p, "1", nil)
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("Remind: %v", err)
	}
	_, err = Update(ctx, p, "1", UpdateSpec{Signers: []SignerUpdate{{Signer: "a@b.c", Name: "A"}}})
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("Update: %v", err)
	}
	_, err = ExtendExpiry(ctx, p, "1", time.Now().Add(time.Hour))
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("ExtendExpiry: %v", err)
	}
	_, err = Download(ctx, p, "1", DownloadSpec{})
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("Download: %v", err)
	}
	_, err = StartDraft(ctx, p, "1")
	var pe *Error
	if !errors.Is(err, ErrUnsupported) || !errors.As(err, &pe) || pe.Account != "acct" || !strings.Contains(err.Error(), "no drafts") {
		t.Errorf("StartDraft: %v", err)
	}
	if WebURL(Capabilities{}, models.Session{URL: "https://x.example/"}) != "" {
		t.Error("WebURL without the capability")
	}
}

func TestStreamRetriesOnItsOwnLimiter(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			w.WriteHeader(502)
		case 2:
			w.Header().Set("X-RateLimit-Limit", "25")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10))
			w.WriteHeader(429)
		default:
			w.Header().Set("X-RateLimit-Limit", "25")
			w.Header().Set("X-RateLimit-Remaining", "20")
			w.Header().Set("Content-Type", "application/pdf")
			_, _ = io.WriteString(w, "%PDF-1.4 body")
		}
	}))
	defer srv.Close()
	c := fastClient(t, srv.URL, nil)
	own := NewLimiter(1000, time.Second, 100)
	resp, err := c.Stream(context.Background(), &Request{Method: http.MethodGet, Path: "files/1", Op: "download 1"}, own)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "%PDF-1.4 body" || resp.Status != 200 || n.Load() != 3 {
		t.Errorf("body %q status %d after %d tries", b, resp.Status, n.Load())
	}
	if own.Budget().Limit != 25 || c.Budget().Limit == 25 {
		t.Errorf("own budget %+v, client budget %+v", own.Budget(), c.Budget())
	}
	if _, err := c.Stream(context.Background(), &Request{Method: http.MethodPost, Path: "x"}, nil); err == nil {
		t.Error("Stream accepted a POST")
	}
}

func TestStreamErrorAnswerAndIdleTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `{"error":{"error_name":"not_found"}}`)
			return
		}
		w.Header().Set("Content-Length", "1000")
		_, _ = io.WriteString(w, "start")
		w.(http.Flusher).Flush()
		select { // stall until the client gives up (or, at worst, 5s)
		case <-release:
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer srv.Close()
	defer close(release)
	c := fastClient(t, srv.URL, func(cc *ClientConfig) { cc.Timeout = 200 * time.Millisecond })
	resp, err := c.Stream(context.Background(), &Request{Method: http.MethodGet, Path: "missing"}, nil)
	if err != nil || resp.Body != nil || resp.Answer == nil || resp.Status != 404 || !strings.Contains(string(resp.Answer.Body), "not_found") {
		t.Fatalf("404: %+v, %v", resp, err)
	}
	resp, err = c.Stream(context.Background(), &Request{Method: http.MethodGet, Path: "stall"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Length != 1000 {
		t.Errorf("Length %d", resp.Length)
	}
	_, err = io.ReadAll(resp.Body)
	if err == nil || !strings.Contains(err.Error(), "no data for") {
		t.Errorf("a stalled body: %v", err)
	}
}
