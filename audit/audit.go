// Package audit records every action that changes something at a provider
// (cancel, copy, login, logout) as one JSON line per event in an
// append-only file under the XDG state directory. Events never hold
// secrets: callers pass refs, outcomes and already-redacted error text.
package audit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/signdeck/signdeck/models"
)

// Event is one audited action.
type Event struct {
	Time     time.Time `json:"time"`
	Action   string    `json:"action"` // cancel, cancel_confirmed, copy, login, logout
	Account  string    `json:"account"`
	Provider string    `json:"provider,omitempty"`
	Ref      string    `json:"ref,omitempty"`     // ACCOUNT/ID acted on
	NewRef   string    `json:"new_ref,omitempty"` // the copy's ref
	Title    string    `json:"title,omitempty"`
	Outcome  string    `json:"outcome"` // ok, pending, failed, skipped
	Status   string    `json:"status,omitempty"`
	Error    string    `json:"error,omitempty"`
	// OperationID is the copy's client-generated operation id.
	OperationID string `json:"operation_id,omitempty"`
	// Via is the front end: "tui" or "cli".
	Via string `json:"via,omitempty"`
}

// Logger writes events. The zero value and a nil *Logger discard them.
type Logger struct {
	mu  sync.Mutex
	f   *os.File
	now func() time.Time
	// mem keeps events in memory when no file is open (tests, demo).
	mem    []Event
	keep   bool
	closed bool
}

// Open appends to the audit file at path, creating it (0600) and its
// directory (0700) when missing.
func Open(path string) (*Logger, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	// An existing file keeps its mode on open: tighten it, since the log
	// names accounts, sessions and signers' documents.
	if st, err := f.Stat(); err == nil && st.Mode().Perm() != 0o600 {
		_ = f.Chmod(0o600)
	}
	return &Logger{f: f, now: time.Now}, nil
}

// NewMemory returns a Logger that keeps events in memory (Events).
func NewMemory() *Logger { return &Logger{keep: true, now: time.Now} }

// Log records one event; Time is filled when zero. Every text field is
// stripped of control characters and escape sequences (a ref or title can
// come from a provider).
func (l *Logger) Log(e Event) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.Time.IsZero() {
		now := time.Now
		if l.now != nil {
			now = l.now
		}
		e.Time = now().UTC()
	}
	for _, p := range []*string{&e.Action, &e.Account, &e.Provider, &e.Ref, &e.NewRef, &e.Title,
		&e.Outcome, &e.Status, &e.Error, &e.OperationID, &e.Via} {
		*p = models.CleanText(*p)
	}
	if l.keep {
		l.mem = append(l.mem, e)
	}
	if l.f == nil || l.closed {
		return nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = l.f.Write(append(b, '\n'))
	return err
}

// Events returns the events a memory logger kept.
func (l *Logger) Events() []Event {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.mem...)
}

// Close closes the file.
func (l *Logger) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.f != nil {
		return l.f.Close()
	}
	return nil
}
