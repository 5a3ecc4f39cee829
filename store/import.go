package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/signdeck/signdeck/models"
)

// LegacyPendingFile is the name of the file, under the state directory,
// where signdeck kept its pending-cancel markers before the store.
const LegacyPendingFile = "pending-cancels.jsonl"

// importedSuffix is appended to the legacy file's name once imported.
const importedSuffix = ".imported"

// metaPendingImport is the meta key that records the import.
const metaPendingImport = "import.pending-cancels"

// legacyPending is one line of pending-cancels.jsonl.
type legacyPending struct {
	Account string    `json:"account"`
	BaseURL string    `json:"base_url"`
	ID      string    `json:"id"`
	At      time.Time `json:"at"`
}

// ImportPendingCancels imports the legacy pending-cancels.jsonl at path
// (lines {"account","base_url","id","at"}; broken lines are ignored) as
// cancel operations with outcome "pending", Via "import" and ids
// "import-<sha256 of the line>", so importing the same lines again adds
// nothing. It records the import in the meta table and renames the file to
// path+".imported". It returns how many operations it added; a missing file
// is (0, nil).
func (db *DB) ImportPendingCancels(ctx context.Context, path string) (int, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|oNoFollow, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, db.errf("import %s: %w", path, err)
	}
	type line struct {
		id string
		p  legacyPending
	}
	var lines []line
	r := bufio.NewReader(f)
	for {
		b, rerr := r.ReadBytes('\n')
		if b = bytes.TrimSpace(b); len(b) > 0 {
			var p legacyPending
			if json.Unmarshal(b, &p) == nil && p.ID != "" && !p.At.IsZero() && p.Account != "" {
				sum := sha256.Sum256(b)
				lines = append(lines, line{id: "import-" + hex.EncodeToString(sum[:]), p: p})
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			f.Close()
			return 0, db.errf("import %s: %w", path, rerr)
		}
	}
	f.Close()
	added := 0
	at := now()
	err = db.write(ctx, func(tx *sql.Tx) error {
		added = 0
		for _, l := range lines {
			ref := l.p.Account + "/" + l.p.ID
			res, err := tx.ExecContext(ctx, `INSERT INTO ops (`+opColumns+`)
				VALUES (?, 'cancel', ?, ?, ?, ?, '', 'import', 0, ?, NULL, 'pending', ?, '', '', ?, 1)
				ON CONFLICT (id) DO NOTHING`,
				l.id, l.p.Account, string(models.DropboxSign), l.p.BaseURL, ref, nanos(l.p.At),
				string(models.StatusCancelPending), nanos(l.p.At))
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n == 0 {
				continue
			}
			added++
			if err := addEvent(ctx, tx, OpEvent{ID: l.id, Kind: EventImport, At: l.p.At,
				Outcome: OutcomePending, Status: string(models.StatusCancelPending)}); err != nil {
				return err
			}
		}
		v, _ := json.Marshal(map[string]any{"path": path, "lines": len(lines), "added": added})
		_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			metaPendingImport, string(v), nanos(at))
		return err
	})
	if err != nil {
		return 0, db.errf("import %s: %w", path, err)
	}
	// Another process importing the same file at the same time may have
	// renamed it already; its markers are in the store either way.
	if err := os.Rename(path, path+importedSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return added, db.errf("imported %s but could not rename it: %w", path, err)
	}
	return added, nil
}

// PendingCancelsImported reports when ImportPendingCancels last imported a
// file (zero if never).
func (db *DB) PendingCancelsImported(ctx context.Context) (time.Time, error) {
	var at sql.NullInt64
	err := db.sql.QueryRowContext(ctx, `SELECT updated_at FROM meta WHERE key = ?`, metaPendingImport).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, db.errf("read the import record: %w", err)
	}
	return fromNanos(at), nil
}
