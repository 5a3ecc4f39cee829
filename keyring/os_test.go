package keyring

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	dbus "github.com/godbus/dbus/v5"
	gokeyring "github.com/zalando/go-keyring"
)

// fakeBackend is an in-memory backend whose calls can be made to fail or
// to block.
type fakeBackend struct {
	mu      sync.Mutex
	items   map[string]string // service + "\x00" + user
	err     error             // returned by every call when set
	block   chan struct{}     // when set, calls wait until it is closed
	started atomic.Int32      // calls that reached the backend
	panicV  any
}

func (f *fakeBackend) enter() error {
	f.started.Add(1)
	if f.block != nil {
		<-f.block
	}
	if f.panicV != nil {
		panic(f.panicV)
	}
	return f.err
}

func (f *fakeBackend) Get(service, user string) (string, error) {
	if err := f.enter(); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.items[service+"\x00"+user]
	if !ok {
		return "", gokeyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeBackend) Set(service, user, password string) error {
	if err := f.enter(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.items == nil {
		f.items = map[string]string{}
	}
	f.items[service+"\x00"+user] = password
	return nil
}

func (f *fakeBackend) Delete(service, user string) error {
	if err := f.enter(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.items[service+"\x00"+user]; !ok {
		return gokeyring.ErrNotFound
	}
	delete(f.items, service+"\x00"+user)
	return nil
}

// blockingBackend returns a backend whose calls never answer until the
// test ends.
func blockingBackend(t *testing.T) *fakeBackend {
	f := &fakeBackend{block: make(chan struct{})}
	t.Cleanup(func() { close(f.block) })
	return f
}

func TestOSRoundTripUsesServiceAndAccount(t *testing.T) {
	ctx := context.Background()
	f := &fakeBackend{}
	s := newOS(f, time.Second, make(chan struct{}, MaxInFlight))
	if s.Source() != SourceKeyring {
		t.Fatalf("Source = %q", s.Source())
	}
	if _, err := s.Get(ctx, "c1-stage"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before Set: %v, want ErrNotFound", err)
	}
	if err := s.Set(ctx, "c1-stage", "tok"); err != nil {
		t.Fatal(err)
	}
	if got := f.items["signdeck\x00c1-stage"]; got != "tok" {
		t.Fatalf("backend holds %v; want service signdeck, user c1-stage", f.items)
	}
	if got, err := s.Get(ctx, "c1-stage"); err != nil || got != "tok" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if err := s.Delete(ctx, "c1-stage"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "c1-stage"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v, want ErrNotFound", err)
	}
	if err := s.Set(ctx, "no/slash", "tok"); err == nil {
		t.Fatal("bad account accepted")
	}
	if n := f.started.Load(); n != 5 {
		t.Fatalf("backend called %d times, want 5 (bad account must not reach it)", n)
	}
}

func TestOSDefaultTimeout(t *testing.T) {
	if got := newOS(&fakeBackend{}, 0, nil).timeout; got != 5*time.Second {
		t.Fatalf("timeout = %v, want 5s", got)
	}
	if got := NewOS(0).(*osStore).timeout; got != DefaultTimeout {
		t.Fatalf("NewOS(0) timeout = %v", got)
	}
	if got := NewOS(time.Second).(*osStore).timeout; got != time.Second {
		t.Fatalf("NewOS(1s) timeout = %v", got)
	}
}

func TestOSTimeoutFires(t *testing.T) {
	const timeout = 100 * time.Millisecond
	f := blockingBackend(t)
	s := newOS(f, timeout, make(chan struct{}, MaxInFlight))
	ops := map[string]func() error{
		"get":    func() error { _, err := s.Get(context.Background(), "c1-stage"); return err },
		"set":    func() error { return s.Set(context.Background(), "c1-stage", "TOPSECRET-42") },
		"delete": func() error { return s.Delete(context.Background(), "c1-stage") },
	}
	for name, op := range ops {
		start := time.Now()
		err := op()
		elapsed := time.Since(start)
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("%s: err = %v, want ErrTimeout", name, err)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: err does not match context.DeadlineExceeded", name)
		}
		if elapsed < timeout || elapsed > timeout+2*time.Second {
			t.Errorf("%s: returned after %v, want about %v", name, elapsed, timeout)
		}
		msg := err.Error()
		for _, want := range []string{"SIGNDECK_TOKEN_C1_STAGE", "prompt", "100ms", `"c1-stage"`} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: message lacks %q: %s", name, want, msg)
			}
		}
		if strings.Contains(msg, "TOPSECRET") {
			t.Errorf("%s: message contains the secret: %s", name, msg)
		}
	}
}

func TestOSCallerDeadlineAndCancel(t *testing.T) {
	f := blockingBackend(t)
	s := newOS(f, time.Hour, make(chan struct{}, MaxInFlight))

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Get(ctx, "acme")
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("caller deadline: err = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("caller deadline ignored: returned after %v", d)
	}
	if !strings.Contains(err.Error(), "SIGNDECK_TOKEN_ACME") {
		t.Errorf("timeout message lacks env var: %v", err)
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel2)
	start = time.Now()
	_, err = s.Get(ctx2, "acme")
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("cancel: err = %v, want context.Canceled and not ErrTimeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("cancel ignored: returned after %v", d)
	}

	// An already-done context does not reach the backend at all.
	before := f.started.Load()
	if _, err := s.Get(ctx2, "acme"); !errors.Is(err, context.Canceled) {
		t.Fatalf("done ctx: err = %v", err)
	}
	if f.started.Load() != before {
		t.Fatal("a call with a done context reached the backend")
	}
}

func TestOSStuckCallsAreBounded(t *testing.T) {
	const slots = 2
	f := blockingBackend(t)
	s := newOS(f, 50*time.Millisecond, make(chan struct{}, slots))
	for i := range 6 {
		if _, err := s.Get(context.Background(), "acme"); !errors.Is(err, ErrTimeout) {
			t.Fatalf("call %d: err = %v, want ErrTimeout", i, err)
		}
	}
	if n := f.started.Load(); n != slots {
		t.Fatalf("%d backend calls started, want at most %d while the earlier ones are stuck", n, slots)
	}
}

func TestOSSlotsFreedWhenCallsReturn(t *testing.T) {
	f := &fakeBackend{block: make(chan struct{})}
	slots := make(chan struct{}, 1)
	s := newOS(f, 50*time.Millisecond, slots)
	if _, err := s.Get(context.Background(), "acme"); !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	close(f.block) // the stuck call finally returns
	deadline := time.Now().Add(5 * time.Second)
	for len(slots) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the abandoned call never gave its slot back")
		}
		time.Sleep(time.Millisecond)
	}
	if err := s.Set(context.Background(), "acme", "tok"); err != nil {
		t.Fatalf("store unusable after a stuck call returned: %v", err)
	}
}

func TestOSBackendPanicIsAnError(t *testing.T) {
	f := &fakeBackend{panicV: "boom"}
	s := newOS(f, time.Second, make(chan struct{}, 1))
	err := s.Set(context.Background(), "acme", "tok")
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v, want the panic as an error", err)
	}
	f.panicV = nil
	if err := s.Set(context.Background(), "acme", "tok"); err != nil {
		t.Fatalf("slot not released after panic: %v", err)
	}
}

func TestOSErrorMapping(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want error // nil: neither ErrUnavailable, ErrTimeout nor ErrNotFound
	}{
		{"not found", gokeyring.ErrNotFound, ErrNotFound},
		{"service unknown", dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown",
			Body: []any{"The name org.freedesktop.secrets was not provided by any .service files"}}, ErrUnavailable},
		{"service unknown ptr", dbus.NewError("org.freedesktop.DBus.Error.ServiceUnknown", nil), ErrUnavailable},
		{"name has no owner", dbus.Error{Name: "org.freedesktop.DBus.Error.NameHasNoOwner"}, ErrUnavailable},
		{"spawn failed", dbus.Error{Name: "org.freedesktop.DBus.Error.Spawn.ChildExited"}, ErrUnavailable},
		{"no such collection", dbus.Error{Name: "org.freedesktop.Secret.Error.NoSuchObject",
			Body: []any{"No such secret collection at path: /"}}, ErrUnavailable},
		{"no reply", dbus.Error{Name: "org.freedesktop.DBus.Error.NoReply"}, ErrTimeout},
		{"no address", errors.New("dbus: couldn't determine address of session bus"), ErrUnavailable},
		{"env unset", errors.New("DBUS_SESSION_BUS_ADDRESS not set"), ErrUnavailable},
		{"failed to connect", errors.New("failed to connect to session bus"), ErrUnavailable},
		{"no dbus-launch", &exec.Error{Name: "dbus-launch", Err: exec.ErrNotFound}, ErrUnavailable},
		{"dial refused", &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, ErrUnavailable},
		{"dial missing", &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.ENOENT)}, ErrUnavailable},
		{"closed", dbus.ErrClosed, ErrUnavailable},
		{"auth", errors.New("dbus: authentication failed"), ErrUnavailable},
		{"other dbus", dbus.Error{Name: "org.freedesktop.DBus.Error.InvalidArgs", Body: []any{"bad args"}}, nil},
		{"other", errors.New("something odd"), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newOS(&fakeBackend{err: c.err}, time.Second, make(chan struct{}, 1))
			_, err := s.Get(context.Background(), "c1-stage")
			if err == nil {
				t.Fatal("no error")
			}
			for _, sentinel := range []error{ErrNotFound, ErrUnavailable, ErrTimeout} {
				if got := errors.Is(err, sentinel); got != (sentinel == c.want) {
					t.Errorf("errors.Is(%v, %v) = %v", err, sentinel, got)
				}
			}
			msg := err.Error()
			if !strings.Contains(msg, `"c1-stage"`) {
				t.Errorf("message does not name the account: %s", msg)
			}
			if c.want == ErrUnavailable {
				for _, want := range []string{"gnome-keyring", "KeePassXC", "Debian/Ubuntu", "D-Bus session", "SIGNDECK_TOKEN_C1_STAGE"} {
					if !strings.Contains(msg, want) {
						t.Errorf("message lacks %q: %s", want, msg)
					}
				}
				var ue *UnavailableError
				if !errors.As(err, &ue) || ue.Cause == "" {
					t.Errorf("no *UnavailableError with a cause: %#v", err)
				}
			}
			if c.want == nil && !strings.Contains(msg, strings.SplitN(c.err.Error(), " ", 2)[0]) {
				t.Errorf("message lost the cause %q: %s", c.err, msg)
			}
		})
	}
}

func TestOSErrorsNeverContainSecret(t *testing.T) {
	const secret = "sk_live_TOPSECRET_123"
	errs := []error{
		errors.New("backend rejected " + secret),
		dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown", Body: []any{"no secrets for " + secret}},
		dbus.Error{Name: "org.example.Weird", Body: []any{"weird " + secret + " again " + secret}},
		errors.New("failed to connect: " + secret),
		gokeyring.ErrSetDataTooBig,
	}
	for _, e := range errs {
		s := newOS(&fakeBackend{err: e}, time.Second, make(chan struct{}, 1))
		err := s.Set(context.Background(), "acme", secret)
		if err == nil {
			t.Fatalf("%v: no error", e)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "TOPSECRET") {
			t.Errorf("error contains the secret: %s", err)
		}
		for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
			if strings.Contains(u.Error(), "TOPSECRET") {
				t.Errorf("wrapped error contains the secret: %s", u)
			}
		}
	}
	s := newOS(&fakeBackend{err: gokeyring.ErrSetDataTooBig}, time.Second, make(chan struct{}, 1))
	if err := s.Set(context.Background(), "acme", secret); !errors.Is(err, ErrTooBig) {
		t.Fatalf("too big: err = %v, want ErrTooBig", err)
	}
}

func TestTokensOverOSStore(t *testing.T) {
	ctx := context.Background()
	f := &fakeBackend{}
	tk := &Tokens{Store: newOS(f, time.Second, make(chan struct{}, 1)), LookupEnv: envMap(nil)}
	if err := tk.Set(ctx, "acme", " tok \n"); err != nil {
		t.Fatal(err)
	}
	tok, src, err := tk.Get(ctx, "acme")
	if err != nil || tok != "tok" || src != SourceKeyring {
		t.Fatalf("Get = %q, %q, %v; want tok from keyring", tok, src, err)
	}
	if src, err := tk.Source(ctx, "acme"); src != SourceKeyring || err != nil {
		t.Fatalf("Source = %q, %v", src, err)
	}

	unavailable := dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown"}
	tk.Store = newOS(&fakeBackend{err: unavailable}, time.Second, make(chan struct{}, 1))
	src, err = tk.Source(ctx, "acme")
	if src != SourceNone || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Source = %q, %v; want none, ErrUnavailable", src, err)
	}
	if !strings.Contains(err.Error(), "SIGNDECK_TOKEN_ACME") {
		t.Errorf("message lacks env var: %v", err)
	}
}

func TestProbe(t *testing.T) {
	ctx := context.Background()
	if err := Probe(ctx, newOS(&fakeBackend{}, time.Second, make(chan struct{}, 1))); err != nil {
		t.Fatalf("working store: %v", err)
	}
	if err := Probe(ctx, NewMemory(nil)); err != nil {
		t.Fatalf("memory store: %v", err)
	}
	err := Probe(ctx, newOS(&fakeBackend{err: errors.New("dbus: couldn't determine address of session bus")},
		time.Second, make(chan struct{}, 1)))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("unavailable store: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "SIGNDECK_TOKEN_<ACCOUNT>") || strings.Contains(msg, "PROBE") {
		t.Errorf("probe message should name the generic variable, not the probe account: %s", msg)
	}
	err = Probe(ctx, newOS(blockingBackend(t), 50*time.Millisecond, make(chan struct{}, 1)))
	if !errors.Is(err, ErrTimeout) || strings.Contains(err.Error(), "PROBE") {
		t.Fatalf("stuck store: %v", err)
	}
	other := errors.New("other")
	if err := Probe(ctx, failingStore{other}); err != other {
		t.Fatalf("other error: %v", err)
	}
}
