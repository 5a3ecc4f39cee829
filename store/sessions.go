package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/signdeck/signdeck/models"
)

// The session cache: every session listed, with its signers, so that the
// dashboard can open from it. Each session is one row of the sessions
// table and its signers are rows of the signers table (for queries by
// email); the provider's action log is not cached. sessions.data holds
// the whole session in the compact form of codec.go, which is what
// LoadSessions reads.
//
// A row's row_hash is a digest of its data: putting a session that has
// not changed writes nothing.

// PutSessions stores ss (sessions of account) in one transaction: a new
// session is inserted, a changed one replaced with its signers, an
// unchanged one left alone. A session whose Ref.Account is empty is taken
// to be account's; one of another account is an error.
//
// The transaction holds the database's write lock, which other processes'
// journal writes wait for: store a listing page by page (hundreds or a few
// thousand sessions a call), not 100,000 at once.
func (db *DB) PutSessions(ctx context.Context, account string, ss []models.Session) error {
	if account == "" {
		return db.errf("store sessions: the account is empty")
	}
	for i := range ss {
		if a := ss[i].Ref.Account; a != "" && a != account {
			return db.errf("store sessions of %s: session %s belongs to account %s", account, ss[i].Ref.ID, a)
		}
		if ss[i].Ref.ID == "" {
			return db.errf("store sessions of %s: a session has no id", account)
		}
	}
	at := nanos(now())
	err := db.write(ctx, func(tx *sql.Tx) error {
		// The upsert changes nothing (and reports no row) when the
		// stored row_hash is the same.
		upsert, err := tx.PrepareContext(ctx, `INSERT INTO sessions (account, id, provider, title, status,
			raw_status, created_at, updated_at, expires_at, sender, transaction_id, url, complete, detail_at,
			row_hash, data, cached_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (account, id) DO UPDATE SET provider = excluded.provider, title = excluded.title,
			status = excluded.status, raw_status = excluded.raw_status, created_at = excluded.created_at,
			updated_at = excluded.updated_at, expires_at = excluded.expires_at, sender = excluded.sender,
			transaction_id = excluded.transaction_id, url = excluded.url, complete = excluded.complete,
			detail_at = excluded.detail_at, row_hash = excluded.row_hash, data = excluded.data,
			cached_at = excluded.cached_at
			WHERE sessions.row_hash IS NOT excluded.row_hash`)
		if err != nil {
			return err
		}
		defer upsert.Close()
		delSigners, err := tx.PrepareContext(ctx, `DELETE FROM signers WHERE account = ? AND session_id = ?`)
		if err != nil {
			return err
		}
		defer delSigners.Close()
		addSigner, err := tx.PrepareContext(ctx, `INSERT INTO signers (account, session_id, position, name,
			email, status, signed_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer addSigner.Close()
		var buf []byte
		for i := range ss {
			s := &ss[i]
			id := s.Ref.ID
			buf = encodeSession(buf[:0], s)
			sum := sha256.Sum256(buf)
			var detailAt any
			if s.Complete {
				detailAt = at
			}
			res, err := upsert.ExecContext(ctx, account, id, string(s.Provider), s.Title, string(s.Status),
				s.RawStatus, toNanos(s.CreatedAt), toNanos(s.UpdatedAt), toNanos(s.ExpiresAt), s.Requester,
				s.TransactionID, s.URL, s.Complete, detailAt, sum[:16], buf, at)
			if err != nil {
				return fmt.Errorf("session %s: %w", id, err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				continue // unchanged
			}
			if _, err := delSigners.ExecContext(ctx, account, id); err != nil {
				return fmt.Errorf("session %s: %w", id, err)
			}
			for pos, g := range s.Signers {
				if _, err := addSigner.ExecContext(ctx, account, id, pos, g.Name, g.Email, string(g.Status),
					toNanos(g.SignedAt)); err != nil {
					return fmt.Errorf("session %s: signer %d: %w", id, pos, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return db.errf("store sessions of %s: %w", account, err)
	}
	return nil
}

// DeleteSessions removes sessions (and their signers) of account from the
// cache, in one transaction. Ids that are not cached are ignored.
func (db *DB) DeleteSessions(ctx context.Context, account string, ids []string) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `DELETE FROM sessions WHERE account = ? AND id = ?`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, id := range ids {
			if _, err := st.ExecContext(ctx, account, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return db.errf("delete sessions of %s: %w", account, err)
	}
	return nil
}

// ClearSessions empties the session cache: every session, signer and sync
// state (so the next refresh of every account is a full one). The journal
// is kept.
func (db *DB) ClearSessions(ctx context.Context) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		for _, t := range []string{"signers", "sessions", "sync_state"} {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return db.errf("clear the session cache: %w", err)
	}
	return nil
}

// LoadSessions calls fn with every cached session of account ("" = every
// account), with its signers, ordered by account then id. The sessions come
// from one consistent snapshot of the cache (one SELECT). An error from fn stops the
// load and is returned as is. Repeated strings (account, provider, status
// texts, roles) share their memory.
func (db *DB) LoadSessions(ctx context.Context, account string, fn func(models.Session) error) error {
	ferr, err := db.loadSessions(ctx, account, fn)
	if ferr != nil {
		return ferr
	}
	if err != nil {
		return db.errf("load cached sessions: %w", err)
	}
	return nil
}

func (db *DB) loadSessions(ctx context.Context, account string, fn func(models.Session) error) (fnErr, err error) {
	var rows *sql.Rows
	if account == "" {
		rows, err = db.sql.QueryContext(ctx, `SELECT account, id, data FROM sessions ORDER BY account, id`)
	} else {
		rows, err = db.sql.QueryContext(ctx, `SELECT account, id, data FROM sessions WHERE account = ? ORDER BY id`, account)
	}
	if err != nil {
		return nil, err
	}
	return decodeRows(rows, fn)
}

// LoadFirstSessions calls fn with the first limit cached sessions of
// account in an order ("created" or "expires": by that time, newest first
// when desc, sessions without one last, then by id), and returns how many
// sessions of the account are cached. The dashboard shows these first and
// loads the rest after (a first screen of 100,000 sessions needs only a
// few dozen decoded).
func (db *DB) LoadFirstSessions(ctx context.Context, account, by string, desc bool, limit int,
	fn func(models.Session) error) (total int, err error) {
	col := map[string]string{"created": "created_at", "expires": "expires_at"}[by]
	if col == "" || account == "" {
		return 0, db.errf("load cached sessions of %q by %q: no such order", account, by)
	}
	dir := "ASC"
	if desc {
		dir = "DESC"
	}
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE account = ?`, account).
		Scan(&total); err != nil {
		return 0, db.errf("count cached sessions: %w", err)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT account, id, data FROM sessions WHERE account = ?
		ORDER BY `+col+` IS NULL, `+col+` `+dir+`, id LIMIT ?`, account, limit)
	if err != nil {
		return 0, db.errf("load cached sessions: %w", err)
	}
	ferr, err := decodeRows(rows, fn)
	if ferr != nil {
		return 0, ferr
	}
	if err != nil {
		return 0, db.errf("load cached sessions: %w", err)
	}
	return total, nil
}

// decodeRows decodes rows of (account, id, data) and closes them.
func decodeRows(rows *sql.Rows, fn func(models.Session) error) (fnErr, err error) {
	defer rows.Close()
	in := interner{}
	var acct, id string
	var data sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&acct, &id, &data); err != nil {
			return nil, err
		}
		var s models.Session
		s.Ref = models.Ref{Account: in.getString(acct), ID: id}
		if err := decodeSession(data, &s, in); err != nil {
			return nil, fmt.Errorf("session %s: %w", s.Ref, err)
		}
		if err := fn(s); err != nil {
			return err, nil
		}
	}
	return nil, rows.Err()
}

// interner shares the memory of repeated short strings.
type interner map[string]string

func (in interner) get(b []byte) string {
	if s, ok := in[string(b)]; ok {
		return s
	}
	return in.add(string(b))
}

// getString is get for a string, typically a substring of a larger one:
// the interned copy is a string of its own, so it does not keep the larger
// one alive.
func (in interner) getString(s string) string {
	if v, ok := in[s]; ok {
		return v
	}
	return in.add(strings.Clone(s))
}

func (in interner) add(s string) string {
	if len(in) < 4096 {
		in[s] = s
	}
	return s
}

// SessionRefs returns up to limit (<= 0: all) cached session refs
// "ACCOUNT/ID" that start with prefix, in order. A prefix without "/"
// matches account names.
func (db *DB) SessionRefs(ctx context.Context, prefix string, limit int) ([]string, error) {
	acct, idPrefix, hasSlash := strings.Cut(prefix, "/")
	var rows *sql.Rows
	var err error
	if hasSlash {
		rows, err = db.sql.QueryContext(ctx, `SELECT account, id FROM sessions WHERE account = ? AND id >= ?
			ORDER BY account, id`, acct, idPrefix)
	} else {
		rows, err = db.sql.QueryContext(ctx, `SELECT account, id FROM sessions WHERE account >= ?
			ORDER BY account, id`, acct)
	}
	if err != nil {
		return nil, db.errf("complete session refs: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() && (limit <= 0 || len(out) < limit) {
		var a, id string
		if err := rows.Scan(&a, &id); err != nil {
			return nil, db.errf("complete session refs: %w", err)
		}
		// Rows come in order from the first match: the first one that
		// does not match ends the matches.
		if !strings.HasPrefix(a+"/"+id, prefix) {
			break
		}
		out = append(out, a+"/"+id)
	}
	if err := rows.Err(); err != nil {
		return nil, db.errf("complete session refs: %w", err)
	}
	return out, nil
}

// SyncState returns the value stored for account's key and when it was
// set; ("", zero time) when none is.
func (db *DB) SyncState(ctx context.Context, account, key string) (string, time.Time, error) {
	var v string
	var at sql.NullInt64
	err := db.sql.QueryRowContext(ctx, `SELECT value, updated_at FROM sync_state WHERE account = ? AND key = ?`,
		account, key).Scan(&v, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, db.errf("read sync state %s/%s: %w", account, key, err)
	}
	return v, fromNanos(at), nil
}

// SetSyncState stores value for account's key (e.g. when a listing tier
// last completed).
func (db *DB) SetSyncState(ctx context.Context, account, key, value string) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sync_state (account, key, value, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (account, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			account, key, value, nanos(now()))
		return err
	})
	if err != nil {
		return db.errf("store sync state %s/%s: %w", account, key, err)
	}
	return nil
}
