// Package store is signdeck's local SQLite database: the write-ahead
// operations journal (every action that changes a session or a token is
// recorded before its request is sent, then its outcome), the markers of
// asynchronous cancels that are still pending, and the session cache.
//
// One database file is shared by every signdeck process of the user (the
// dashboard and CLI commands in other terminals) at the same time. It is
// opened in WAL mode with a busy timeout, write transactions take the write
// lock when they begin (BEGIN IMMEDIATE), and every commit is synced
// (synchronous=FULL): a recorded intent survives a crash or kill -9 of the
// process that wrote it.
//
// The store never holds a secret: there is no column for an API key or a
// token, and nothing in it is derived from one. It does hold session titles
// and signers' names and email addresses, so the file is created 0600 in a
// 0700 directory, and a symlink in their place is refused.
//
// Times are stored as Unix nanoseconds (times outside the years 1678 to 2262
// are clamped to that range) and come back in the local time zone; a zero
// time is stored as NULL and comes back zero.
//
// The driver is modernc.org/sqlite (pure Go, no cgo).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// FileName is the database's file name under the state directory.
const FileName = "signdeck.db"

// BusyTimeout is how long a statement waits for another process's lock
// before it fails with "database is locked".
const BusyTimeout = 10 * time.Second

// ErrNotFound is returned (wrapped) when an operation or row is absent.
var ErrNotFound = errors.New("not found")

// ErrExists is returned (wrapped) by RecordIntent when the operation id is
// already in the journal.
var ErrExists = errors.New("already recorded")

// ErrNewerSchema is returned (wrapped) by Open when the database was
// written by a newer signdeck than this one.
var ErrNewerSchema = errors.New("database schema is newer than this signdeck")

// DB is an open store. It is safe for concurrent use by many goroutines;
// other processes may have the same file open at the same time.
type DB struct {
	sql  *sql.DB
	path string
	// wmu lets this handle's writers queue in Go rather than poll
	// SQLite's busy handler; other processes still wait through it.
	wmu chan struct{}
}

// DefaultPath is the database's path under the state directory
// ($XDG_STATE_HOME/signdeck).
func DefaultPath(stateDir string) string { return filepath.Join(stateDir, FileName) }

// Path is the database file's absolute path.
func (db *DB) Path() string { return db.path }

// Close closes the database. Other processes' handles are not affected.
func (db *DB) Close() error {
	if db == nil || db.sql == nil {
		return nil
	}
	// Let SQLite refresh its query planner statistics when it thinks they
	// are stale; cheap, and harmless if another process holds the lock.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_, _ = db.sql.ExecContext(ctx, "PRAGMA optimize")
	cancel()
	if err := db.sql.Close(); err != nil {
		return db.errf("close: %w", err)
	}
	return nil
}

// errf wraps an error with the store's path: "signdeck store PATH: ...".
func (db *DB) errf(format string, args ...any) error {
	return fmt.Errorf("signdeck store %s: "+format, append([]any{db.path}, args...)...)
}

// Open opens (creating it if needed) the database at path and brings its
// schema up to date. The directory is created 0700 (an existing one owned
// by the user is tightened to 0700), the file 0600 (an existing one is
// tightened); a path that is a symlink, or whose directory is one, is
// refused. A database whose schema is newer than this binary knows is
// refused with ErrNewerSchema.
func Open(path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("signdeck store: no database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("signdeck store %s: %w", path, err)
	}
	db := &DB{path: abs, wmu: make(chan struct{}, 1)}
	if err := db.prepareFiles(); err != nil {
		return nil, err
	}
	u := url.URL{Scheme: "file", Path: abs}
	q := url.Values{}
	q.Set("_txlock", "immediate")
	q.Set("_busy_timeout", fmt.Sprint(BusyTimeout.Milliseconds()))
	q.Set("_foreign_keys", "on")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	// A 16 MiB page cache per connection (SQLite's default is 2 MB): a
	// listing page's upserts then stay in memory until the commit.
	q.Add("_pragma", "cache_size(-16384)")
	// Reads through a memory map rather than a read call per page: a warm
	// start reads the whole cache.
	q.Add("_pragma", "mmap_size(268435456)")
	u.RawQuery = q.Encode()
	// "file:" + escaped path keeps '?', '#' and '%' in a directory name
	// from being read as URI syntax.
	dsn := "file:" + u.EscapedPath() + "?" + u.RawQuery
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, db.errf("%w", err)
	}
	db.sql = sdb
	// Enough connections for the readers of a busy dashboard; idle ones
	// (each with its page cache) are closed after a while.
	sdb.SetMaxOpenConns(8)
	sdb.SetMaxIdleConns(2)
	sdb.SetConnMaxIdleTime(time.Minute)
	ctx := context.Background()
	// Several processes opening a new database at once race to switch it
	// to WAL mode; SQLite answers SQLITE_BUSY to the losers without
	// waiting (the busy timeout does not cover that lock), so the open is
	// retried for as long as the busy timeout.
	deadline := time.Now().Add(BusyTimeout)
	for delay := 5 * time.Millisecond; ; delay = min(delay*2, 200*time.Millisecond) {
		err = db.migrate(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			break
		}
		time.Sleep(delay)
	}
	if err != nil {
		_ = sdb.Close()
		return nil, err
	}
	// SQLite makes the -wal and -shm files with the main file's mode; an
	// existing pair from an older run is tightened too.
	for _, side := range []string{abs + "-wal", abs + "-shm"} {
		if err := tighten(side, 0o600, false); err != nil {
			_ = sdb.Close()
			return nil, db.errf("%w", err)
		}
	}
	return db, nil
}

// isBusy reports whether err is SQLite's "database is locked".
func isBusy(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

// prepareFiles makes the directory and the file with private modes and
// refuses symlinks in their place.
func (db *DB) prepareFiles() error {
	dir := filepath.Dir(db.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return db.errf("create directory: %w", err)
	}
	if err := tighten(dir, 0o700, true); err != nil {
		return db.errf("%w", err)
	}
	for _, side := range []string{db.path + "-wal", db.path + "-shm"} {
		if st, err := os.Lstat(side); err == nil && st.Mode()&fs.ModeSymlink != 0 {
			return db.errf("%s is a symlink; refusing to use it", side)
		}
	}
	f, err := os.OpenFile(db.path, os.O_RDWR|os.O_CREATE|oNoFollow, 0o600)
	if err != nil {
		if st, lerr := os.Lstat(db.path); lerr == nil && st.Mode()&fs.ModeSymlink != 0 {
			return db.errf("the database file is a symlink; refusing to use it")
		}
		return db.errf("create file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return db.errf("%w", err)
	}
	if !st.Mode().IsRegular() {
		return db.errf("not a regular file")
	}
	if err := checkOwner(st); err != nil {
		return db.errf("%w", err)
	}
	if st.Mode().Perm() != 0o600 {
		if err := f.Chmod(0o600); err != nil {
			return db.errf("make the file private (0600): %w", err)
		}
	}
	return nil
}

// tighten sets an existing path's permission bits to mode. It refuses a
// symlink, and a path another user owns; a missing path is fine when
// !mustExist.
func tighten(path string, mode fs.FileMode, mustExist bool) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) && !mustExist {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symlink; refusing to use it", path)
	}
	if err := checkOwner(st); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if st.Mode().Perm() != mode {
		if err := os.Chmod(path, mode); err != nil {
			return fmt.Errorf("make %s private (%04o): %w", path, mode, err)
		}
	}
	return nil
}

// checkOwner refuses a file or directory that another user owns: its
// owner could read or replace what signdeck keeps there.
func checkOwner(st fs.FileInfo) error {
	owner, ok := fileUID(st)
	if !ok {
		return nil
	}
	if uid := os.Getuid(); uid >= 0 && owner != uid {
		return fmt.Errorf("owned by uid %d, not by this user (uid %d)", owner, uid)
	}
	return nil
}

// Time encoding: Unix nanoseconds, NULL for the zero time.

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// toNanos encodes t; the zero time is NULL (nil).
func toNanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return nanos(t)
}

// nanos encodes a non-zero t, clamped to what int64 nanoseconds hold.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// fromNanos decodes a nullable column.
func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64)
}

// now is the clock; tests do not change it.
func now() time.Time { return time.Now() }
