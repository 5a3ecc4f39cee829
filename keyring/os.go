package keyring

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"time"

	dbus "github.com/godbus/dbus/v5"
	gokeyring "github.com/zalando/go-keyring"
)

// DefaultTimeout bounds each OS keyring call when NewOS is given 0.
const DefaultTimeout = 5 * time.Second

// MaxInFlight is how many OS keyring calls may be running at once in this
// process. A call that times out is abandoned but its goroutine keeps its
// slot until go-keyring returns; so at most MaxInFlight goroutines can ever
// be stuck, and once all slots are held by stuck calls every further call
// waits (bounded by its timeout) for a slot and then fails with ErrTimeout
// instead of starting another goroutine.
const MaxInFlight = 4

// osSlots is shared by every NewOS store: go-keyring talks to one
// process-wide D-Bus connection, so the bound is per process.
var osSlots = make(chan struct{}, MaxInFlight)

// backend is the part of go-keyring the OS store uses; tests inject their
// own (for instance one that never answers).
type backend interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

// goKeyring is the real backend: github.com/zalando/go-keyring's package
// functions (which honour keyring.MockInit).
type goKeyring struct{}

func (goKeyring) Get(service, user string) (string, error) { return gokeyring.Get(service, user) }
func (goKeyring) Set(service, user, password string) error {
	return gokeyring.Set(service, user, password)
}
func (goKeyring) Delete(service, user string) error { return gokeyring.Delete(service, user) }

// osStore is the Store returned by NewOS.
type osStore struct {
	b       backend
	timeout time.Duration
	slots   chan struct{}
}

// NewOS returns a Store backed by the OS keyring through go-keyring: on
// Linux the freedesktop Secret Service (gnome-keyring, KeePassXC, ...), on
// macOS the Keychain, on Windows the Credential Manager. Secrets are stored
// under service "signdeck" (Service) with the account name as user.
//
// Every call is bounded by timeout (DefaultTimeout when timeout <= 0) and by
// ctx, whichever ends first. go-keyring has no way to cancel a call and can
// block forever (for instance while an unlock prompt is pending), so each
// call runs in its own goroutine; on timeout the call returns a
// *TimeoutError (ErrTimeout) and the goroutine is abandoned. It exits when
// go-keyring eventually returns, and the number of such goroutines is capped
// process-wide at MaxInFlight (see there).
//
// Errors: *NotFoundError (ErrNotFound) when the account has no secret,
// *UnavailableError (ErrUnavailable) when no keyring can be reached,
// *TimeoutError (ErrTimeout) when it does not answer in time. None of them
// contain the secret.
func NewOS(timeout time.Duration) Store {
	return newOS(goKeyring{}, timeout, osSlots)
}

func newOS(b backend, timeout time.Duration, slots chan struct{}) *osStore {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &osStore{b: b, timeout: timeout, slots: slots}
}

// Get returns account's secret from the OS keyring.
func (s *osStore) Get(ctx context.Context, account string) (string, error) {
	if err := validateAccount("read token", account); err != nil {
		return "", err
	}
	return s.call(ctx, "read", account, "", func() (string, error) {
		return s.b.Get(Service, account)
	})
}

// Set stores secret for account in the OS keyring.
func (s *osStore) Set(ctx context.Context, account, secret string) error {
	if err := validateAccount("save token", account); err != nil {
		return err
	}
	_, err := s.call(ctx, "save", account, secret, func() (string, error) {
		return "", s.b.Set(Service, account, secret)
	})
	return err
}

// Delete removes account's secret from the OS keyring.
func (s *osStore) Delete(ctx context.Context, account string) error {
	if err := validateAccount("delete token", account); err != nil {
		return err
	}
	_, err := s.call(ctx, "delete", account, "", func() (string, error) {
		return "", s.b.Delete(Service, account)
	})
	return err
}

// Source returns SourceKeyring.
func (s *osStore) Source() Source { return SourceKeyring }

type result struct {
	v   string
	err error
}

// call runs fn in a goroutine and waits for it, for a free slot, for the
// timeout or for ctx, whichever comes first. secret (may be empty) is
// removed from any error text.
func (s *osStore) call(ctx context.Context, op, account, secret string, fn func() (string, error)) (string, error) {
	if ctx.Err() != nil {
		return "", s.doneErr(ctx, op, account)
	}
	tctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	select {
	case s.slots <- struct{}{}:
	case <-tctx.Done():
		return "", s.doneErr(ctx, op, account)
	}
	done := make(chan result, 1) // buffered: an abandoned call must not block
	go func() {
		defer func() { <-s.slots }()
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("keyring backend panicked: %v", p)}
			}
		}()
		v, err := fn()
		done <- result{v: v, err: err}
	}()

	select {
	case r := <-done:
		if r.err != nil {
			return "", classify(op, account, secret, r.err)
		}
		return r.v, nil
	case <-tctx.Done():
		return "", s.doneErr(ctx, op, account)
	}
}

// doneErr is the error for a call whose time ran out: the caller's ctx was
// cancelled, or its deadline or ours passed.
func (s *osStore) doneErr(ctx context.Context, op, account string) error {
	switch ctx.Err() {
	case nil: // our own timeout
		return &TimeoutError{Op: op, Account: account, After: s.timeout}
	case context.Canceled:
		return &opError{op: fmt.Sprintf("%s token for account %q", op, account), err: context.Canceled}
	default: // the caller's deadline
		return &TimeoutError{Op: op, Account: account}
	}
}

// classify maps a go-keyring / D-Bus error to this package's errors. The
// original error is not kept (its text is, with secret removed), so that
// nothing unwrapped from the result can carry a secret.
func classify(op, account, secret string, err error) error {
	switch {
	case errors.Is(err, gokeyring.ErrNotFound):
		return &NotFoundError{Account: account, Where: SourceKeyring}
	case errors.Is(err, gokeyring.ErrSetDataTooBig):
		return &opError{op: fmt.Sprintf("%s token for account %q", op, account), err: ErrTooBig}
	}
	cause := redact(err.Error(), secret)
	switch errorKind(err) {
	case kindUnavailable:
		return &UnavailableError{Op: op, Account: account, Cause: cause}
	case kindTimeout:
		return &TimeoutError{Op: op, Account: account}
	}
	return &opError{op: fmt.Sprintf("%s token for account %q", op, account), err: errors.New(cause)}
}

type kind int

const (
	kindOther kind = iota
	kindUnavailable
	kindTimeout
)

// D-Bus error names that mean nobody (usable) answers for the Secret
// Service.
var unavailableNames = map[string]bool{
	"org.freedesktop.DBus.Error.ServiceUnknown": true, // "The name org.freedesktop.secrets was not provided by any .service files"
	"org.freedesktop.DBus.Error.NameHasNoOwner": true,
	"org.freedesktop.DBus.Error.NoServer":       true,
	"org.freedesktop.DBus.Error.NoNetwork":      true,
	"org.freedesktop.DBus.Error.Disconnected":   true,
	"org.freedesktop.DBus.Error.AuthFailed":     true,
	"org.freedesktop.DBus.Error.FileNotFound":   true,
	"org.freedesktop.DBus.Error.BadAddress":     true,
	"org.freedesktop.Secret.Error.IsLocked":     true, // locked, and no prompt could unlock it
	"org.freedesktop.Secret.Error.NoSuchObject": true, // no default / login collection
	"org.freedesktop.DBus.Error.UnknownObject":  true, // likewise, from some providers
}

var timeoutNames = map[string]bool{
	"org.freedesktop.DBus.Error.NoReply":  true,
	"org.freedesktop.DBus.Error.Timeout":  true,
	"org.freedesktop.DBus.Error.TimedOut": true,
}

// Texts of connection failures that do not come as a typed error.
var unavailableTexts = []string{
	"org.freedesktop.secrets",
	"not provided by any .service files",
	"failed to connect",
	"dbus_session_bus_address",
	"couldn't determine address of session bus",
	"dbus-launch",
	"autolaunch",
	"connection refused",
	"no such file or directory",
	"authentication failed",
	"connection closed",
	"broken pipe",
}

func errorKind(err error) kind {
	name := ""
	var de dbus.Error
	var dep *dbus.Error
	switch {
	case errors.As(err, &de):
		name = de.Name
	case errors.As(err, &dep) && dep != nil:
		name = dep.Name
	}
	if name != "" {
		switch {
		case timeoutNames[name]:
			return kindTimeout
		case unavailableNames[name], strings.HasPrefix(name, "org.freedesktop.DBus.Error.Spawn."):
			return kindUnavailable
		}
		return kindOther
	}

	var execErr *exec.Error
	var exitErr *exec.ExitError
	var netErr *net.OpError
	switch {
	case errors.Is(err, dbus.ErrClosed),
		errors.As(err, &execErr), errors.As(err, &exitErr), errors.As(err, &netErr),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ENOENT),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return kindUnavailable
	}
	text := strings.ToLower(err.Error())
	for _, t := range unavailableTexts {
		if strings.Contains(text, t) {
			return kindUnavailable
		}
	}
	return kindOther
}

// Probe reports whether s can be used: it looks up a token that does not
// exist, bounded by ctx (and by the store's own timeout). It returns nil
// when the store answered (found or not found), and the store's error
// otherwise: for an OS store typically an *UnavailableError or a
// *TimeoutError, which then names no account. Use a short ctx deadline.
//
// With a locked keyring the lookup may trigger an unlock prompt.
func Probe(ctx context.Context, s Store) error {
	_, err := s.Get(ctx, probeAccount)
	if err == nil || errors.Is(err, ErrNotFound) {
		return nil
	}
	var ue *UnavailableError
	if errors.As(err, &ue) {
		c := *ue
		c.Account = ""
		return &c
	}
	var te *TimeoutError
	if errors.As(err, &te) {
		c := *te
		c.Account = ""
		return &c
	}
	return err
}

// probeAccount is looked up by Probe; nothing is ever stored under it.
const probeAccount = "signdeck-probe"
