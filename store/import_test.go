package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestImportPendingCancels(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openT(t, DefaultPath(dir))
	path := filepath.Join(dir, LegacyPendingFile)

	// Missing file: nothing to do.
	if n, err := db.ImportPendingCancels(ctx, path); n != 0 || err != nil {
		t.Fatalf("missing file: %d, %v", n, err)
	}
	if at, err := db.PendingCancelsImported(ctx); err != nil || !at.IsZero() {
		t.Fatalf("import recorded without a file: %v %v", at, err)
	}

	recent := time.Now().Add(-10 * time.Minute).UTC().Truncate(time.Second)
	lines := []string{
		`{"account":"acme","base_url":"https://api.hellosign.com/v3","id":"r1","at":"` + recent.Format(time.RFC3339) + `"}`,
		`{"account":"acme","base_url":"https://api.hellosign.com/v3","id":"r2","at":"` + recent.Add(time.Minute).Format(time.RFC3339) + `"}`,
		`{"account":"acme","base_url":"http://127.0.0.1:5555","id":"r3","at":"` + recent.Format(time.RFC3339) + `"}`,
		`{"account":"acme","base_url":"https://api.hellosign.com/v3","id":"r1","at":"` + recent.Format(time.RFC3339) + `"}`, // repeated line
		`{"account":"acme","base_url":"https://api.hellosign.com/v3","id":"r4"`,                                             // cut short
		`not json at all`,
		`{"account":"acme","base_url":"x","id":"","at":"` + recent.Format(time.RFC3339) + `"}`, // no id
		`{"account":"acme","base_url":"x","id":"r5"}`,                                          // no time
		``,
		`{"account":"beta","base_url":"https://api.hellosign.com/v3","id":"r6","at":"` + recent.Format(time.RFC3339) + `"}`,
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := db.ImportPendingCancels(ctx, path)
	if err != nil || n != 4 {
		t.Fatalf("import: %d, %v; want 4", n, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the legacy file is still there: %v", err)
	}
	if _, err := os.Stat(path + ".imported"); err != nil {
		t.Fatalf("the legacy file was not renamed: %v", err)
	}
	if at, err := db.PendingCancelsImported(ctx); err != nil || at.IsZero() {
		t.Fatalf("the import was not recorded: %v %v", at, err)
	}
	got, err := db.PendingCancels(ctx, "acme", "https://api.hellosign.com/v3", time.Now().Add(-time.Hour))
	if err != nil || len(got) != 2 || !got["r1"].Equal(recent) || !got["r2"].Equal(recent.Add(time.Minute)) {
		t.Fatalf("pending after import: %v, %v", got, err)
	}
	if got, _ := db.PendingCancels(ctx, "acme", "http://127.0.0.1:5555", time.Time{}); len(got) != 1 {
		t.Fatalf("other endpoint: %v", got)
	}
	ops, err := db.Ops(ctx, OpFilter{Ref: "acme/r1"})
	if err != nil || len(ops) != 1 {
		t.Fatalf("ops of acme/r1: %v, %v", ops, err)
	}
	op := ops[0]
	if op.Action != "cancel" || op.Via != "import" || !strings.HasPrefix(op.ID, "import-") ||
		op.Outcome != OutcomePending || op.Provider != "dropboxsign" || !op.CreatedAt.Equal(recent) {
		t.Fatalf("imported op: %+v", op)
	}
	if ev, err := db.Events(ctx, op.ID); err != nil || len(ev) != 1 || ev[0].Kind != EventImport {
		t.Fatalf("imported op's history: %v, %v", ev, err)
	}

	// The same lines again (e.g. an older signdeck wrote the file anew):
	// nothing new, and the new file is renamed too.
	extra := `{"account":"acme","base_url":"https://api.hellosign.com/v3","id":"r7","at":"` + recent.Format(time.RFC3339) + `"}`
	if err := os.WriteFile(path, []byte(strings.Join(append(lines, extra), "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err = db.ImportPendingCancels(ctx, path)
	if err != nil || n != 1 {
		t.Fatalf("re-import: %d, %v; want 1 (only the new line)", n, err)
	}
	if n, err = db.ImportPendingCancels(ctx, path); err != nil || n != 0 {
		t.Fatalf("third import of a renamed file: %d, %v", n, err)
	}
	all, _ := db.Ops(ctx, OpFilter{})
	if len(all) != 5 {
		t.Fatalf("%d operations after the imports, want 5", len(all))
	}
}
