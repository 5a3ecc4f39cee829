package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Outcome values of an operation.
const (
	OutcomeNone    = ""         // intent recorded, no outcome yet
	OutcomeOK      = "ok"       // applied
	OutcomePending = "pending"  // an asynchronous cancel was queued
	OutcomeFailed  = "failed"   // certainly not applied
	OutcomeUnknown = "unknown"  // may have been applied
	OutcomeSkipped = "skipped"  // never sent, with the reason
	OutcomeNotSent = "not_sent" // stopped before sending
)

// Kinds of journal events.
const (
	EventIntent  = "intent"  // the intent was recorded
	EventAttempt = "attempt" // a send was started (BumpAttempt)
	EventOutcome = "outcome" // an outcome was recorded
	EventImport  = "import"  // imported from pending-cancels.jsonl
)

// ValidOutcome reports whether o is one of the Outcome values.
func ValidOutcome(o string) bool {
	switch o {
	case OutcomeNone, OutcomeOK, OutcomePending, OutcomeFailed, OutcomeUnknown, OutcomeSkipped, OutcomeNotSent:
		return true
	}
	return false
}

// Unresolved reports whether an operation with outcome o still needs to be
// checked against the provider: no outcome yet, unknown, or pending.
func Unresolved(o string) bool {
	return o == OutcomeNone || o == OutcomeUnknown || o == OutcomePending
}

// Op is one operation in the journal: an action that changes a session or
// a token, recorded before its request is sent.
type Op struct {
	ID        string    // operation id (primary key), made by the caller
	Action    string    // "cancel", "copy", "login", "logout", "remind", "update", ...
	Account   string    //
	Provider  string    //
	Endpoint  string    // the account's base URL (so a sandbox's fresh emulators do not inherit old rows)
	Ref       string    // ACCOUNT/ID acted on ("" for login/logout)
	Title     string    //
	Via       string    // "cli", "tui" or "import"
	PID       int       // the recording process (0: this one)
	CreatedAt time.Time // when the intent was recorded (zero: now)
	Intent    []byte    // JSON: action-specific details needed to find it again (e.g. a copy's title, signer emails, source)
	Outcome   string    //
	Status    string    // last session status seen (e.g. "cancel_pending", "canceled")
	Reason    string    // why skipped/failed/unknown
	NewRef    string    // a copy's new session ref
	UpdatedAt time.Time // last change
	Attempts  int       // how many times a send was started for this op (retry counts)
}

// Outcome is the result of an operation, recorded after its request.
type Outcome struct {
	Outcome string    // one of the Outcome values, not OutcomeNone
	Status  string    // session status seen ("" keeps the last one)
	Reason  string    // why skipped/failed/unknown (replaces the last one)
	NewRef  string    // a copy's new ref ("" keeps the last one)
	At      time.Time // zero: now
}

// OpEvent is one entry of an operation's append-only history.
type OpEvent struct {
	Seq     int64 // increasing over the whole journal
	ID      string
	Kind    string // EventIntent, EventAttempt, EventOutcome or EventImport
	At      time.Time
	Outcome string
	Status  string
	Reason  string
	NewRef  string
}

// OpFilter selects operations for Ops. Zero fields select everything.
type OpFilter struct {
	Since      time.Time // CreatedAt >= Since when non-zero
	Unresolved bool      // Outcome in ("", "unknown", "pending")
	Action     string
	Account    string
	Endpoint   string
	Ref        string
	Limit      int // at most this many, newest first (<= 0: all)
}

const opColumns = `id, action, account, provider, endpoint, ref, title, via, pid, created_at, intent,
	outcome, status, reason, new_ref, updated_at, attempts`

// RecordIntent inserts op into the journal and returns once the commit is
// durable (synced to disk). A duplicate id is an error wrapping ErrExists.
// An op may be recorded with its outcome already set (e.g. skipped).
func (db *DB) RecordIntent(ctx context.Context, op Op) error {
	if op.ID == "" {
		return db.errf("record intent: the operation id is empty")
	}
	if op.Action == "" {
		return db.errf("record intent %s: the action is empty", op.ID)
	}
	if !ValidOutcome(op.Outcome) {
		return db.errf("record intent %s: unknown outcome %q", op.ID, op.Outcome)
	}
	if len(op.Intent) > 0 && !json.Valid(op.Intent) {
		return db.errf("record intent %s: the intent is not valid JSON", op.ID)
	}
	if op.CreatedAt.IsZero() {
		op.CreatedAt = now()
	}
	if op.UpdatedAt.IsZero() {
		op.UpdatedAt = op.CreatedAt
	}
	if op.PID == 0 {
		op.PID = os.Getpid()
	}
	var intent any
	if len(op.Intent) > 0 {
		intent = string(op.Intent)
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		var one int
		switch err := tx.QueryRowContext(ctx, `SELECT 1 FROM ops WHERE id = ?`, op.ID).Scan(&one); {
		case err == nil:
			return ErrExists
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ops (`+opColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			op.ID, op.Action, op.Account, op.Provider, op.Endpoint, op.Ref, op.Title, op.Via, op.PID,
			nanos(op.CreatedAt), intent, op.Outcome, op.Status, op.Reason, op.NewRef, nanos(op.UpdatedAt),
			op.Attempts); err != nil {
			return err
		}
		return addEvent(ctx, tx, OpEvent{ID: op.ID, Kind: EventIntent, At: op.CreatedAt,
			Outcome: op.Outcome, Status: op.Status, Reason: op.Reason, NewRef: op.NewRef})
	})
	if err != nil {
		return db.errf("record intent %s: %w", op.ID, err)
	}
	return nil
}

// RecordOutcome records the outcome of operation id (ErrNotFound when it
// is not in the journal) and appends it to the operation's history. Status
// and NewRef keep their last value when o leaves them empty; Reason is
// replaced. The commit is durable when it returns.
func (db *DB) RecordOutcome(ctx context.Context, id string, o Outcome) error {
	if o.Outcome == OutcomeNone || !ValidOutcome(o.Outcome) {
		return db.errf("record outcome of %s: unknown outcome %q", id, o.Outcome)
	}
	if o.At.IsZero() {
		o.At = now()
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE ops SET outcome = ?,
			status = CASE WHEN ? = '' THEN status ELSE ? END,
			reason = ?,
			new_ref = CASE WHEN ? = '' THEN new_ref ELSE ? END,
			updated_at = ?
			WHERE id = ?`,
			o.Outcome, o.Status, o.Status, o.Reason, o.NewRef, o.NewRef, nanos(o.At), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		return addEvent(ctx, tx, OpEvent{ID: id, Kind: EventOutcome, At: o.At,
			Outcome: o.Outcome, Status: o.Status, Reason: o.Reason, NewRef: o.NewRef})
	})
	if err != nil {
		return db.errf("record outcome of %s: %w", id, err)
	}
	return nil
}

// BumpAttempt counts one more send started for operation id (Attempts++,
// UpdatedAt = now) and returns once that is durable.
func (db *DB) BumpAttempt(ctx context.Context, id string) error {
	at := now()
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE ops SET attempts = attempts + 1, updated_at = ? WHERE id = ?`, nanos(at), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		return addEvent(ctx, tx, OpEvent{ID: id, Kind: EventAttempt, At: at})
	})
	if err != nil {
		return db.errf("count an attempt of %s: %w", id, err)
	}
	return nil
}

func addEvent(ctx context.Context, tx *sql.Tx, e OpEvent) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO op_events (op_id, kind, at, outcome, status, reason, new_ref)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, e.ID, e.Kind, nanos(e.At), e.Outcome, e.Status, e.Reason, e.NewRef)
	return err
}

// Get returns operation id, or an error wrapping ErrNotFound.
func (db *DB) Get(ctx context.Context, id string) (Op, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+opColumns+` FROM ops WHERE id = ?`, id)
	if err != nil {
		return Op{}, db.errf("read operation %s: %w", id, err)
	}
	ops, err := scanOps(rows)
	if err != nil {
		return Op{}, db.errf("read operation %s: %w", id, err)
	}
	if len(ops) == 0 {
		return Op{}, db.errf("operation %s: %w", id, ErrNotFound)
	}
	return ops[0], nil
}

// Ops returns the operations f selects, newest first.
func (db *DB) Ops(ctx context.Context, f OpFilter) ([]Op, error) {
	var where []string
	var args []any
	if !f.Since.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, nanos(f.Since))
	}
	if f.Unresolved {
		// The same expression as the partial index ops_unresolved.
		where = append(where, "outcome IN ('', 'unknown', 'pending')")
	}
	for _, c := range []struct{ col, v string }{
		{"action", f.Action}, {"account", f.Account}, {"endpoint", f.Endpoint}, {"ref", f.Ref},
	} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	q := `SELECT ` + opColumns + ` FROM ops`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, rowid DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.errf("read the journal: %w", err)
	}
	ops, err := scanOps(rows)
	if err != nil {
		return nil, db.errf("read the journal: %w", err)
	}
	return ops, nil
}

func scanOps(rows *sql.Rows) ([]Op, error) {
	defer rows.Close()
	var out []Op
	for rows.Next() {
		var op Op
		var created, updated sql.NullInt64
		var intent sql.NullString
		if err := rows.Scan(&op.ID, &op.Action, &op.Account, &op.Provider, &op.Endpoint, &op.Ref, &op.Title,
			&op.Via, &op.PID, &created, &intent, &op.Outcome, &op.Status, &op.Reason, &op.NewRef, &updated,
			&op.Attempts); err != nil {
			return nil, err
		}
		op.CreatedAt, op.UpdatedAt = fromNanos(created), fromNanos(updated)
		if intent.Valid && intent.String != "" {
			op.Intent = []byte(intent.String)
		}
		out = append(out, op)
	}
	return out, rows.Err()
}

// Events returns operation id's history, oldest first (empty when the
// operation is unknown).
func (db *DB) Events(ctx context.Context, id string) ([]OpEvent, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT seq, op_id, kind, at, outcome, status, reason, new_ref
		FROM op_events WHERE op_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, db.errf("read the history of %s: %w", id, err)
	}
	defer rows.Close()
	var out []OpEvent
	for rows.Next() {
		var e OpEvent
		var at sql.NullInt64
		if err := rows.Scan(&e.Seq, &e.ID, &e.Kind, &at, &e.Outcome, &e.Status, &e.Reason, &e.NewRef); err != nil {
			return nil, db.errf("read the history of %s: %w", id, err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, db.errf("read the history of %s: %w", id, err)
	}
	return out, nil
}

// PendingCancels returns the sessions with an asynchronous cancel queued
// for account at endpoint: session id (Ref after the first "/") -> when the
// pending outcome was recorded, for cancel operations whose outcome is
// still "pending" and that were recorded or updated at or after since.
func (db *DB) PendingCancels(ctx context.Context, account, endpoint string, since time.Time) (map[string]time.Time, error) {
	var sinceN int64 = nanos(minTime)
	if !since.IsZero() {
		sinceN = nanos(since)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT ref, updated_at FROM ops
		WHERE action = 'cancel' AND account = ? AND endpoint = ? AND outcome = 'pending'
		AND (created_at >= ? OR updated_at >= ?)`, account, endpoint, sinceN, sinceN)
	if err != nil {
		return nil, db.errf("read pending cancels: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var ref string
		var at sql.NullInt64
		if err := rows.Scan(&ref, &at); err != nil {
			return nil, db.errf("read pending cancels: %w", err)
		}
		_, id, ok := strings.Cut(ref, "/")
		if !ok || id == "" {
			continue
		}
		t := fromNanos(at)
		if prev, ok := out[id]; !ok || t.After(prev) {
			out[id] = t
		}
	}
	if err := rows.Err(); err != nil {
		return nil, db.errf("read pending cancels: %w", err)
	}
	return out, nil
}

// PruneOps deletes the resolved operations (and their history) recorded
// before cutoff, and returns how many. Unresolved ones are kept whatever
// their age.
func (db *DB) PruneOps(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM ops WHERE created_at < ?
			AND outcome NOT IN ('', 'unknown', 'pending')`, nanos(cutoff))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, db.errf("prune the journal: %w", err)
	}
	return int(n), nil
}

// write runs fn in a write transaction (BEGIN IMMEDIATE: the write lock is
// taken up front, waiting up to BusyTimeout for another process) and
// commits it; with synchronous=FULL the commit is on disk when it returns.
func (db *DB) write(ctx context.Context, fn func(*sql.Tx) error) error {
	select {
	case db.wmu <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-db.wmu }()
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
