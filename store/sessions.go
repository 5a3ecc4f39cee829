package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"

	"github.com/signdeck/signdeck/models"
)

// The session cache: every session listed, with its signers, so that the
// dashboard can open from it. Each session is one row of the sessions
// table (the fields listings filter and sort on as columns, the rest as
// JSON in data) and its signers are rows of the signers table. The
// provider's action log is not cached.
//
// A row's row_hash is a digest of everything stored for it: putting a
// session that has not changed writes nothing.

// sessionData is the part of a session kept as JSON in sessions.data.
type sessionData struct {
	Subject       string            `json:"subject,omitempty"`
	Message       string            `json:"message,omitempty"`
	CC            []string          `json:"cc,omitempty"`
	Metadata      map[string]string `json:"metadata,omitempty"`
	TestMode      bool              `json:"test_mode,omitempty"`
	TemplateIDs   []string          `json:"template_ids,omitempty"`
	Warnings      []string          `json:"warnings,omitempty"`
	NotCancelable string            `json:"not_cancelable,omitempty"`
}

func (d *sessionData) empty() bool {
	return d.Subject == "" && d.Message == "" && len(d.CC) == 0 && len(d.Metadata) == 0 && !d.TestMode &&
		len(d.TemplateIDs) == 0 && len(d.Warnings) == 0 && d.NotCancelable == ""
}

func dataOf(s *models.Session) sessionData {
	return sessionData{Subject: s.Subject, Message: s.Message, CC: s.CC, Metadata: s.Metadata,
		TestMode: s.TestMode, TemplateIDs: s.TemplateIDs, Warnings: s.Warnings, NotCancelable: s.NotCancelable}
}

// PutSessions stores ss (sessions of account) in one transaction: a new
// session is inserted, a changed one replaced with its signers, an
// unchanged one left alone. A session whose Ref.Account is empty is taken
// to be account's; one of another account is an error.
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
		getHash, err := tx.PrepareContext(ctx, `SELECT row_hash FROM sessions WHERE account = ? AND id = ?`)
		if err != nil {
			return err
		}
		defer getHash.Close()
		upsert, err := tx.PrepareContext(ctx, `INSERT INTO sessions (account, id, provider, title, status,
			raw_status, created_at, updated_at, expires_at, sender, transaction_id, url, complete, detail_at,
			row_hash, data, cached_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (account, id) DO UPDATE SET provider = excluded.provider, title = excluded.title,
			status = excluded.status, raw_status = excluded.raw_status, created_at = excluded.created_at,
			updated_at = excluded.updated_at, expires_at = excluded.expires_at, sender = excluded.sender,
			transaction_id = excluded.transaction_id, url = excluded.url, complete = excluded.complete,
			detail_at = excluded.detail_at, row_hash = excluded.row_hash, data = excluded.data,
			cached_at = excluded.cached_at`)
		if err != nil {
			return err
		}
		defer upsert.Close()
		delSigners, err := tx.PrepareContext(ctx, `DELETE FROM signers WHERE account = ? AND session_id = ?`)
		if err != nil {
			return err
		}
		defer delSigners.Close()
		addSigner, err := tx.PrepareContext(ctx, `INSERT INTO signers (account, session_id, position, signer_id,
			name, first_name, last_name, email, role, sign_order, status, raw_status, signed_at, decline_reason, error,
			reminded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer addSigner.Close()
		h := sha256.New()
		var sum [sha256.Size]byte
		for i := range ss {
			s := &ss[i]
			id := s.Ref.ID
			var data any
			if d := dataOf(s); !d.empty() {
				b, err := json.Marshal(d)
				if err != nil {
					return fmt.Errorf("session %s: %w", id, err)
				}
				data = string(b)
			}
			digest := rowHash(h, sum[:0], s, data)
			var old []byte
			switch err := getHash.QueryRowContext(ctx, account, id).Scan(&old); {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return err
			case bytes.Equal(old, digest):
				continue
			}
			var detailAt any
			if s.Complete {
				detailAt = at
			}
			if _, err := upsert.ExecContext(ctx, account, id, string(s.Provider), s.Title, string(s.Status),
				s.RawStatus, toNanos(s.CreatedAt), toNanos(s.UpdatedAt), toNanos(s.ExpiresAt), s.Requester,
				s.TransactionID, s.URL, s.Complete, detailAt, digest, data, at); err != nil {
				return fmt.Errorf("session %s: %w", id, err)
			}
			if old != nil {
				if _, err := delSigners.ExecContext(ctx, account, id); err != nil {
					return fmt.Errorf("session %s: %w", id, err)
				}
			}
			for pos, g := range s.Signers {
				if _, err := addSigner.ExecContext(ctx, account, id, pos, g.ID, g.Name, g.FirstName, g.LastName,
					g.Email, g.Role, g.Order, string(g.Status), g.RawStatus, toNanos(g.SignedAt),
					g.DeclineReason, g.Error, toNanos(g.LastRemindedAt)); err != nil {
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

// rowHash digests everything PutSessions stores for s, into dst.
func rowHash(h hash.Hash, dst []byte, s *models.Session, data any) []byte {
	h.Reset()
	var n [8]byte
	str := func(v string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(v)))
		h.Write(n[:])
		h.Write([]byte(v))
	}
	num := func(v int64) {
		binary.LittleEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	tm := func(t time.Time) {
		if t.IsZero() {
			h.Write([]byte{0})
			return
		}
		h.Write([]byte{1})
		num(nanos(t))
	}
	str(string(s.Provider))
	str(s.Title)
	str(string(s.Status))
	str(s.RawStatus)
	tm(s.CreatedAt)
	tm(s.UpdatedAt)
	tm(s.ExpiresAt)
	str(s.Requester)
	str(s.TransactionID)
	str(s.URL)
	if s.Complete {
		num(1)
	} else {
		num(0)
	}
	if d, ok := data.(string); ok {
		str(d)
	} else {
		num(-1)
	}
	num(int64(len(s.Signers)))
	for _, g := range s.Signers {
		str(g.ID)
		str(g.Name)
		str(g.FirstName)
		str(g.LastName)
		str(g.Email)
		str(g.Role)
		num(int64(g.Order))
		str(string(g.Status))
		str(g.RawStatus)
		tm(g.SignedAt)
		str(g.DeclineReason)
		str(g.Error)
		tm(g.LastRemindedAt)
	}
	return h.Sum(dst)[:16]
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
// from one consistent snapshot of the cache. An error from fn stops the
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

const (
	sessionCols = `account, id, provider, title, status, raw_status, created_at, updated_at, expires_at,
		sender, transaction_id, url, complete, data`
	signerCols = `account, session_id, signer_id, name, first_name, last_name, email, role, sign_order,
		status, raw_status, signed_at, decline_reason, error, reminded_at`
)

func (db *DB) loadSessions(ctx context.Context, account string, fn func(models.Session) error) (fnErr, err error) {
	tx, err := db.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var srows, grows *sql.Rows
	if account == "" {
		srows, err = tx.QueryContext(ctx, `SELECT `+sessionCols+` FROM sessions ORDER BY account, id`)
	} else {
		srows, err = tx.QueryContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE account = ? ORDER BY account, id`, account)
	}
	if err != nil {
		return nil, err
	}
	defer srows.Close()
	if account == "" {
		grows, err = tx.QueryContext(ctx, `SELECT `+signerCols+` FROM signers ORDER BY account, session_id, position`)
	} else {
		grows, err = tx.QueryContext(ctx, `SELECT `+signerCols+` FROM signers WHERE account = ? ORDER BY account, session_id, position`, account)
	}
	if err != nil {
		return nil, err
	}
	defer grows.Close()

	in := interner{}
	var (
		acct, prov, status, rawStatus, data sql.RawBytes
		created, updated, expires           sql.NullInt64
		complete                            bool
	)
	// The signers cursor runs one row ahead of the sessions cursor: both
	// are in (account, id) order, so this is a merge join.
	var (
		g                              models.Signer
		gAcct, gSess, gRole, gSt, gRaw sql.RawBytes
		gSigned, gReminded             sql.NullInt64
		gOK                            bool
		gAcctS, gSessS                 string
	)
	nextSigner := func() error {
		gOK = grows.Next()
		if !gOK {
			return grows.Err()
		}
		g = models.Signer{}
		if err := grows.Scan(&gAcct, &gSess, &g.ID, &g.Name, &g.FirstName, &g.LastName, &g.Email, &gRole,
			&g.Order, &gSt, &gRaw, &gSigned, &g.DeclineReason, &g.Error, &gReminded); err != nil {
			return err
		}
		gAcctS, gSessS = in.get(gAcct), string(gSess)
		g.Role, g.Status, g.RawStatus = in.get(gRole), models.SignerStatus(in.get(gSt)), in.get(gRaw)
		g.SignedAt = fromNanos(gSigned)
		g.LastRemindedAt = fromNanos(gReminded)
		return nil
	}
	if err := nextSigner(); err != nil {
		return nil, err
	}
	for srows.Next() {
		var s models.Session
		if err := srows.Scan(&acct, &s.Ref.ID, &prov, &s.Title, &status, &rawStatus, &created, &updated,
			&expires, &s.Requester, &s.TransactionID, &s.URL, &complete, &data); err != nil {
			return nil, err
		}
		s.Ref.Account = in.get(acct)
		s.Provider = models.ProviderKind(in.get(prov))
		s.Status = models.Status(in.get(status))
		s.RawStatus = in.get(rawStatus)
		s.CreatedAt, s.UpdatedAt, s.ExpiresAt = fromNanos(created), fromNanos(updated), fromNanos(expires)
		s.Complete = complete
		if len(data) > 0 {
			var d sessionData
			if err := json.Unmarshal(data, &d); err != nil {
				return nil, fmt.Errorf("session %s: %w", s.Ref, err)
			}
			s.Subject, s.Message, s.CC, s.Metadata = d.Subject, d.Message, d.CC, d.Metadata
			s.TestMode, s.TemplateIDs, s.Warnings, s.NotCancelable = d.TestMode, d.TemplateIDs, d.Warnings, d.NotCancelable
		}
		// Skip orphans (none exist with foreign keys on), then take this
		// session's signers.
		for gOK && (gAcctS < s.Ref.Account || gAcctS == s.Ref.Account && gSessS < s.Ref.ID) {
			if err := nextSigner(); err != nil {
				return nil, err
			}
		}
		for gOK && gAcctS == s.Ref.Account && gSessS == s.Ref.ID {
			s.Signers = append(s.Signers, g)
			if err := nextSigner(); err != nil {
				return nil, err
			}
		}
		if err := fn(s); err != nil {
			return err, nil
		}
	}
	return nil, srows.Err()
}

// interner shares the memory of repeated short strings.
type interner map[string]string

func (in interner) get(b []byte) string {
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
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
