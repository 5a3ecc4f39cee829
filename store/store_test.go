package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
)

func openT(t testing.TB, path string) *DB {
	t.Helper()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func perm(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func TestDefaultPath(t *testing.T) {
	if got := DefaultPath("/x/state/signdeck"); got != "/x/state/signdeck/signdeck.db" {
		t.Fatalf("DefaultPath = %q", got)
	}
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "signdeck")
	path := DefaultPath(dir)
	db := openT(t, path)
	if db.Path() != path {
		t.Fatalf("Path = %q, want %q", db.Path(), path)
	}
	if p := perm(t, dir); p != 0o700 {
		t.Fatalf("directory mode %04o, want 0700", p)
	}
	if p := perm(t, filepath.Dir(dir)); p != 0o700 {
		t.Fatalf("parent directory mode %04o, want 0700", p)
	}
	if p := perm(t, path); p != 0o600 {
		t.Fatalf("file mode %04o, want 0600", p)
	}
	// A write creates the WAL and its index: they must be private too.
	if err := db.RecordIntent(context.Background(), Op{ID: "op1", Action: "cancel"}); err != nil {
		t.Fatal(err)
	}
	for _, side := range []string{path + "-wal", path + "-shm"} {
		if p := perm(t, side); p != 0o600 {
			t.Fatalf("%s mode %04o, want 0600", filepath.Base(side), p)
		}
	}
	var mode string
	if err := db.sql.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	var sync, fk, busy int
	if err := db.sql.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil || sync != 2 {
		t.Fatalf("synchronous = %d, %v; want 2 (FULL)", sync, err)
	}
	if err := db.sql.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v; want 1", fk, err)
	}
	if err := db.sql.QueryRow("PRAGMA busy_timeout").Scan(&busy); err != nil || busy != 10000 {
		t.Fatalf("busy_timeout = %d, %v; want 10000", busy, err)
	}
}

func TestOpenTightensExisting(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "signdeck")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	path := DefaultPath(dir)
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	openT(t, path)
	if p := perm(t, dir); p != 0o700 {
		t.Fatalf("directory mode %04o, want 0700", p)
	}
	if p := perm(t, path); p != 0o600 {
		t.Fatalf("file mode %04o, want 0600", p)
	}
}

func TestOpenTightensExistingWAL(t *testing.T) {
	dir := t.TempDir()
	path := DefaultPath(dir)
	db := openT(t, path)
	if err := db.RecordIntent(context.Background(), Op{ID: "op1", Action: "cancel"}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path+"-wal", 0o644); err != nil {
		t.Fatal(err)
	}
	openT(t, path)
	if p := perm(t, path+"-wal"); p != 0o600 {
		t.Fatalf("-wal mode %04o, want 0600", p)
	}
}

func TestOpenRefusesSymlinkedFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere.db")
	if err := os.WriteFile(target, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "signdeck.db")
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path)
	if err == nil {
		db.Close()
		t.Fatal("Open accepted a symlinked database file")
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("error %q should name %s and say it is a symlink", err, path)
	}
	// A dangling symlink is refused too (and not created through).
	dangling := filepath.Join(dir, "dangling.db")
	if err := os.Symlink(filepath.Join(dir, "nowhere.db"), dangling); err != nil {
		t.Fatal(err)
	}
	if db, err := Open(dangling); err == nil {
		db.Close()
		t.Fatal("Open accepted a dangling symlink")
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a file was created through the symlink: %v", err)
	}
}

func TestOpenRefusesSymlinkedWAL(t *testing.T) {
	dir := t.TempDir()
	path := DefaultPath(dir)
	if err := os.Symlink(filepath.Join(dir, "x"), path+"-wal"); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path)
	if err == nil {
		db.Close()
		t.Fatal("Open accepted a symlinked -wal file")
	}
	if !strings.Contains(err.Error(), path+"-wal is a symlink") {
		t.Fatalf("error %q should say that %s-wal is a symlink", err, path)
	}
	if _, err := os.Lstat(filepath.Join(dir, "x")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a file was written through the -wal symlink: %v", err)
	}
}

func TestOpenRefusesSpecialFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signdeck.db")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skip("no fifo:", err)
	}
	db, err := Open(path)
	if err == nil {
		db.Close()
		t.Fatal("Open accepted a fifo")
	}
	if !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("error %q", err)
	}
}

func TestOpenRefusesSymlinkedDir(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "signdeck")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	path := DefaultPath(link)
	db, err := Open(path)
	if err == nil {
		db.Close()
		t.Fatal("Open accepted a symlinked directory")
	}
	if !strings.Contains(err.Error(), link) || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("error %q should name %s and say it is a symlink", err, link)
	}
	if _, err := os.Stat(filepath.Join(real, FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a database was created through the symlinked directory: %v", err)
	}
}

func TestOpenRefusesNonDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signdeck.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path)
	if err == nil {
		db.Close()
		t.Fatal("Open accepted a file that is not a database")
	}
	if !strings.Contains(err.Error(), "signdeck store "+path+":") || !strings.Contains(err.Error(), "not a SQLite database") {
		t.Fatalf("error %q should name the file and say it is not a database", err)
	}
}

func TestPathWithURISyntax(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "we?ird#dir %41")
	path := DefaultPath(dir)
	db := openT(t, path)
	if err := db.RecordIntent(context.Background(), Op{ID: "op1", Action: "cancel"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at %s: %v", path, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Fatalf("want exactly one directory, got %v", entries)
	}
}

// A database at schema version 1 with data in it opens: the data survives
// and the newer tables exist.
func TestMigrateFromV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signdeck.db")
	// Build a version 1 database by hand: its SQL is migrations[0].
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		migrations[0],
		`INSERT INTO ops (id, action, account, provider, endpoint, ref, title, via, pid, created_at, intent,
			outcome, status, reason, new_ref, updated_at, attempts)
			VALUES ('old-op', 'cancel', 'acme', 'dropboxsign', 'https://api.example', 'acme/abc', 'Lease',
			'cli', 42, 1700000000000000000, '{"k":1}', 'pending', 'cancel_pending', '', '', 1700000001000000000, 1)`,
		`INSERT INTO op_events (op_id, kind, at, outcome) VALUES ('old-op', 'outcome', 1700000001000000000, 'pending')`,
		`PRAGMA user_version = 1`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()

	db := openT(t, path)
	v, err := userVersion(context.Background(), db.sql)
	if err != nil || v != SchemaVersion() || v < 2 {
		t.Fatalf("user_version = %d, %v; want %d", v, err, SchemaVersion())
	}
	ctx := context.Background()
	op, err := db.Get(ctx, "old-op")
	if err != nil {
		t.Fatal(err)
	}
	if op.Ref != "acme/abc" || op.Outcome != OutcomePending || op.PID != 42 || string(op.Intent) != `{"k":1}` ||
		!op.CreatedAt.Equal(time.Unix(1700000000, 0)) || op.Attempts != 1 {
		t.Fatalf("old op after migration: %+v", op)
	}
	ev, err := db.Events(ctx, "old-op")
	if err != nil || len(ev) != 1 {
		t.Fatalf("events after migration: %v, %v", ev, err)
	}
	pend, err := db.PendingCancels(ctx, "acme", "https://api.example", time.Time{})
	if err != nil || len(pend) != 1 {
		t.Fatalf("pending after migration: %v, %v", pend, err)
	}
	// The tables of version 2 exist and work.
	if err := db.SetSyncState(ctx, "acme", "k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := db.PutSessions(ctx, "acme", sampleSessions("acme", 3)); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := db.LoadSessions(ctx, "", func(s models.Session) error { n++; return nil }); err != nil || n != 3 {
		t.Fatalf("loaded %d sessions, %v", n, err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signdeck.db")
	db := openT(t, path)
	if _, err := db.sql.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db2, err := Open(path)
	if err == nil {
		db2.Close()
		t.Fatal("Open accepted a database from a newer signdeck")
	}
	if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "99") {
		t.Fatalf("error %q should wrap ErrNewerSchema, name the file and the version", err)
	}
}

// Eight handles opening one fresh file at the same moment all succeed and
// the schema is applied once.
func TestConcurrentFreshOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signdeck.db")
	const n = 8
	start := make(chan struct{})
	errs := make(chan error, n)
	dbs := make(chan *DB, n)
	for range n {
		go func() {
			<-start
			db, err := Open(path)
			errs <- err
			dbs <- db
		}()
	}
	close(start)
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
		if db := <-dbs; db != nil {
			defer db.Close()
		}
	}
	db := openT(t, path)
	v, _ := userVersion(context.Background(), db.sql)
	if v != SchemaVersion() {
		t.Fatalf("user_version %d, want %d", v, SchemaVersion())
	}
}
