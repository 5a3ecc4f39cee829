package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// migrations are the schema steps in order; the database's
// PRAGMA user_version is how many of them it has had. A step is never
// changed once released: a change is a new step at the end.
var migrations = []string{
	// 1: the operations journal and its history, and a key/value table.
	`
CREATE TABLE meta (
	key        TEXT PRIMARY KEY,
	value      TEXT NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE TABLE ops (
	id         TEXT PRIMARY KEY,
	action     TEXT NOT NULL,
	account    TEXT NOT NULL DEFAULT '',
	provider   TEXT NOT NULL DEFAULT '',
	endpoint   TEXT NOT NULL DEFAULT '',
	ref        TEXT NOT NULL DEFAULT '',
	title      TEXT NOT NULL DEFAULT '',
	via        TEXT NOT NULL DEFAULT '',
	pid        INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	intent     TEXT,
	outcome    TEXT NOT NULL DEFAULT '',
	status     TEXT NOT NULL DEFAULT '',
	reason     TEXT NOT NULL DEFAULT '',
	new_ref    TEXT NOT NULL DEFAULT '',
	updated_at INTEGER NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ops_unresolved ON ops(created_at) WHERE outcome IN ('', 'unknown', 'pending');
CREATE INDEX ops_account_ref ON ops(account, ref);
CREATE INDEX ops_created ON ops(created_at);
CREATE INDEX ops_action ON ops(action, account, endpoint, outcome);
CREATE TABLE op_events (
	seq     INTEGER PRIMARY KEY AUTOINCREMENT,
	op_id   TEXT NOT NULL REFERENCES ops(id) ON DELETE CASCADE,
	kind    TEXT NOT NULL,
	at      INTEGER NOT NULL,
	outcome TEXT NOT NULL DEFAULT '',
	status  TEXT NOT NULL DEFAULT '',
	reason  TEXT NOT NULL DEFAULT '',
	new_ref TEXT NOT NULL DEFAULT ''
);
CREATE INDEX op_events_op ON op_events(op_id, seq);
`,
	// 2: the session cache (issue 9). sessions.data holds the whole session
	// (codec.go); the other columns, and the signers table, repeat what
	// queries filter and sort on. row_hash is a digest of data.
	`
CREATE TABLE sessions (
	account        TEXT NOT NULL,
	id             TEXT NOT NULL,
	provider       TEXT NOT NULL,
	title          TEXT NOT NULL DEFAULT '',
	status         TEXT NOT NULL DEFAULT '',
	raw_status     TEXT NOT NULL DEFAULT '',
	created_at     INTEGER,
	updated_at     INTEGER,
	expires_at     INTEGER,
	sender         TEXT NOT NULL DEFAULT '',
	transaction_id TEXT NOT NULL DEFAULT '',
	url            TEXT NOT NULL DEFAULT '',
	complete       INTEGER NOT NULL DEFAULT 0,
	detail_at      INTEGER,
	row_hash       BLOB NOT NULL,
	data           BLOB NOT NULL,
	cached_at      INTEGER NOT NULL,
	PRIMARY KEY (account, id)
) WITHOUT ROWID;
CREATE INDEX sessions_status ON sessions(status);
CREATE INDEX sessions_expires ON sessions(expires_at);
CREATE TABLE signers (
	account    TEXT NOT NULL,
	session_id TEXT NOT NULL,
	position   INTEGER NOT NULL,
	name       TEXT NOT NULL DEFAULT '',
	email      TEXT NOT NULL DEFAULT '',
	status     TEXT NOT NULL DEFAULT '',
	signed_at  INTEGER,
	PRIMARY KEY (account, session_id, position),
	FOREIGN KEY (account, session_id) REFERENCES sessions(account, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX signers_email ON signers(lower(email));
CREATE TABLE sync_state (
	account    TEXT NOT NULL,
	key        TEXT NOT NULL,
	value      TEXT NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (account, key)
) WITHOUT ROWID;
`,
	// 3: when each signer was last reminded (issue 10).
	`ALTER TABLE signers ADD COLUMN reminded_at INTEGER;`,
}

// SchemaVersion is the schema version this binary writes.
func SchemaVersion() int { return len(migrations) }

// migrate brings the schema up to date in one write transaction. Two
// processes opening a fresh database at once are serialised by the write
// lock: the second sees the first one's version and has nothing to do.
func (db *DB) migrate(ctx context.Context) error {
	return db.migrateTo(ctx, len(migrations))
}

// migrateTo applies the steps up to version target (tests build older
// databases with it).
func (db *DB) migrateTo(ctx context.Context, target int) error {
	// A quick look without the write lock: a database at the current
	// version (the common case) takes no write lock at all.
	v, err := userVersion(ctx, db.sql)
	if err != nil {
		return db.errf("read the schema version: %w", describeOpenErr(err))
	}
	if v > len(migrations) {
		return db.newer(v)
	}
	if v >= target {
		return nil
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return db.errf("migrate: %w", describeOpenErr(err))
	}
	defer tx.Rollback()
	v, err = userVersion(ctx, tx)
	if err != nil {
		return db.errf("read the schema version: %w", err)
	}
	if v > len(migrations) {
		return db.newer(v)
	}
	for i := v; i < target; i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return db.errf("migrate the schema to version %d: %w", i+1, err)
		}
	}
	if v < target {
		// PRAGMA takes no bound parameters; target is an int.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", target)); err != nil {
			return db.errf("migrate: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return db.errf("migrate: %w", err)
	}
	return nil
}

func (db *DB) newer(v int) error {
	return db.errf("%w: the file is at schema version %d and this signdeck knows up to %d; use a newer signdeck, or move the file aside",
		ErrNewerSchema, v, len(migrations))
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func userVersion(ctx context.Context, q queryer) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// describeOpenErr turns SQLite's terse message for a file that is not a
// database into something a user can act on.
func describeOpenErr(err error) error {
	if err != nil && strings.Contains(err.Error(), "file is not a database") {
		return errors.New("the file is not a SQLite database (move it aside to start afresh)")
	}
	return err
}
