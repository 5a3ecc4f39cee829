package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/adrg/xdg"

	"github.com/signdeck/signdeck/keyring"
)

// File names under the state directory.
const (
	logFileName = "signdeck.log"
)

// stateDir is $XDG_STATE_HOME/signdeck, read at call time so that tests
// can point it elsewhere; a relative or unset XDG_STATE_HOME falls back to
// the platform default (~/.local/state on Linux).
func (a *app) stateDir() string {
	if d := a.getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "signdeck")
	}
	return filepath.Join(xdg.StateHome, "signdeck")
}

// errStateLink refuses a state file that is a symbolic link: following it
// would let whoever made the link have signdeck append its log (or pending
// records) to a file of their choosing.
var errStateLink = errors.New("is a symbolic link; signdeck does not follow links for its state files (remove it)")

// openPrivate opens path for appending, creating it 0600 (and its
// directory 0700), and tightens an existing file to 0600. A path that is a
// symbolic link, or anything but a regular file, is refused; the file
// opened is checked to be the one inspected, so a link swapped in between
// is refused too.
func openPrivate(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := openNoLink(path)
	if errors.Is(err, os.ErrExist) {
		// Another process created it between the look and the open.
		f, err = openNoLink(path)
	}
	return f, err
}

func openNoLink(path string) (*os.File, error) {
	flags := os.O_APPEND | os.O_WRONLY
	before, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		// O_EXCL fails on any existing name, a link included.
		flags |= os.O_CREATE | os.O_EXCL
	case err != nil:
		return nil, err
	case before.Mode()&os.ModeSymlink != 0:
		return nil, &os.PathError{Op: "open", Path: path, Err: errStateLink}
	case !before.Mode().IsRegular():
		return nil, &os.PathError{Op: "open", Path: path, Err: errors.New("is not a regular file")}
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if before != nil && !os.SameFile(before, st) || !st.Mode().IsRegular() {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: path, Err: errors.New("changed while it was opened; refused")}
	}
	if st.Mode().Perm() != 0o600 {
		_ = f.Chmod(0o600)
	}
	return f, nil
}

// log returns the logger that writes to the log file: level Info, Debug
// with --debug. It never writes to stdout or stderr; when the file cannot
// be opened it discards (openLog reports why).
func (a *app) log() *slog.Logger {
	a.openLog()
	return a.logger
}

func (a *app) openLog() error {
	a.logOnce.Do(func() {
		path := filepath.Join(a.stateDir(), logFileName)
		f, err := openPrivate(path)
		if err != nil {
			a.logErr = fmt.Errorf("log file: %w", err)
			a.logger = slog.New(slog.DiscardHandler)
			return
		}
		level := slog.LevelInfo
		if a.debug {
			level = slog.LevelDebug
		}
		a.logFile = f
		a.logger = slog.New(slog.NewTextHandler(&lockedWriter{w: f}, &slog.HandlerOptions{Level: level}))
	})
	return a.logErr
}

// lockedWriter serialises writes from concurrent handlers.
type lockedWriter struct {
	mu sync.Mutex
	w  *os.File
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// keyStore returns the token store, made once.
func (a *app) keyStore() keyring.Store {
	a.storeOnce.Do(func() { a.store = a.newStore() })
	return a.store
}

// tokens resolves tokens: SIGNDECK_TOKEN_<ACCOUNT>, then the store.
func (a *app) tokens() *keyring.Tokens {
	return &keyring.Tokens{Store: a.keyStore(), LookupEnv: a.lookupEnv}
}

// storeLabel says where a store keeps tokens, for messages.
func storeLabel(src keyring.Source) string {
	switch src {
	case keyring.SourceKeyring:
		return "the OS keyring (service " + keyring.Service + ")"
	case keyring.SourceMemory:
		return "the in-memory store (not persisted)"
	}
	return "the " + string(src) + " store"
}

// keyringDown reports whether err says the keyring cannot be used at all
// (as opposed to a missing token).
func keyringDown(err error) bool {
	return errors.Is(err, keyring.ErrUnavailable) || errors.Is(err, keyring.ErrTimeout) ||
		errors.Is(err, context.DeadlineExceeded)
}

// tempLog logs to a new temporary file instead (the demo, when the state
// directory cannot be written).
func (a *app) tempLog() error {
	f, err := os.CreateTemp("", "signdeck-*.log")
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if a.debug {
		level = slog.LevelDebug
	}
	a.logFile = f
	a.logger = slog.New(slog.NewTextHandler(&lockedWriter{w: f}, &slog.HandlerOptions{Level: level}))
	return nil
}
