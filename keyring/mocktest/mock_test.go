package mocktest

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	dbus "github.com/godbus/dbus/v5"
	gokeyring "github.com/zalando/go-keyring"

	"github.com/signdeck/signdeck/keyring"
)

// These tests share go-keyring's global mock, so none of them is parallel.

func TestMain(m *testing.M) {
	gokeyring.MockInit()
	os.Exit(m.Run())
}

func noEnv(string) (string, bool) { return "", false }

func TestNewOSRoundTripOnMock(t *testing.T) {
	gokeyring.MockInit()
	ctx := context.Background()
	s := keyring.NewOS(time.Second)
	if s.Source() != keyring.SourceKeyring {
		t.Fatalf("Source = %q", s.Source())
	}
	if _, err := s.Get(ctx, "c1-stage"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("Get before Set: %v, want ErrNotFound", err)
	}
	if err := s.Set(ctx, "c1-stage", "tok-1"); err != nil {
		t.Fatal(err)
	}
	// Stored where other tools expect it: service "signdeck", user = account.
	if got, err := gokeyring.Get("signdeck", "c1-stage"); err != nil || got != "tok-1" {
		t.Fatalf("go-keyring holds %q, %v; want tok-1 under signdeck/c1-stage", got, err)
	}
	if err := s.Set(ctx, "c1-stage", "tok-2"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "c1-stage"); err != nil || got != "tok-2" {
		t.Fatalf("Get = %q, %v; want the replaced tok-2", got, err)
	}
	if err := s.Delete(ctx, "c1-stage"); err != nil {
		t.Fatal(err)
	}
	if _, err := gokeyring.Get("signdeck", "c1-stage"); !errors.Is(err, gokeyring.ErrNotFound) {
		t.Fatalf("still in go-keyring after Delete: %v", err)
	}
	if err := s.Delete(ctx, "c1-stage"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("second Delete: %v, want ErrNotFound", err)
	}
}

func TestTokensOnMock(t *testing.T) {
	gokeyring.MockInit()
	ctx := context.Background()
	env := map[string]string{}
	tk := &keyring.Tokens{
		Store:     keyring.NewOS(time.Second),
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	}
	if src, err := tk.Source(ctx, "acme"); src != keyring.SourceNone || err != nil {
		t.Fatalf("Source = %q, %v; want none", src, err)
	}
	if err := tk.Set(ctx, "acme", "  from-keyring  "); err != nil {
		t.Fatal(err)
	}
	tok, src, err := tk.Get(ctx, "acme")
	if err != nil || tok != "from-keyring" || src != keyring.SourceKeyring {
		t.Fatalf("Get = %q, %q, %v", tok, src, err)
	}
	env["SIGNDECK_TOKEN_ACME"] = "from-env"
	tok, src, err = tk.Get(ctx, "acme")
	if err != nil || tok != "from-env" || src != keyring.SourceEnv {
		t.Fatalf("env should win: Get = %q, %q, %v", tok, src, err)
	}
	env["SIGNDECK_TOKEN_ACME"] = ""
	if src, _ := tk.Source(ctx, "acme"); src != keyring.SourceKeyring {
		t.Fatalf("empty env should be ignored: Source = %q", src)
	}
	if err := tk.Set(ctx, "acme", "two\nlines"); !errors.Is(err, keyring.ErrInvalidSecret) {
		t.Fatalf("multi-line Set: %v", err)
	}
	if got, _ := gokeyring.Get("signdeck", "acme"); got != "from-keyring" {
		t.Fatalf("refused Set changed the keyring: %q", got)
	}
	if err := tk.Delete(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tk.Get(ctx, "acme"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("after Delete: %v, want ErrNotFound", err)
	}
}

func TestUnavailableOnMock(t *testing.T) {
	t.Cleanup(gokeyring.MockInit)
	gokeyring.MockInitWithError(dbus.Error{
		Name: "org.freedesktop.DBus.Error.ServiceUnknown",
		Body: []any{"The name org.freedesktop.secrets was not provided by any .service files"},
	})
	ctx := context.Background()
	tk := &keyring.Tokens{Store: keyring.NewOS(time.Second), LookupEnv: noEnv}
	const secret = "MOCK-SECRET-VALUE"
	err := tk.Set(ctx, "c1-stage", secret)
	if !errors.Is(err, keyring.ErrUnavailable) {
		t.Fatalf("Set: %v, want ErrUnavailable", err)
	}
	msg := err.Error()
	for _, want := range []string{"gnome-keyring", "KeePassXC", "SIGNDECK_TOKEN_C1_STAGE", "org.freedesktop.secrets"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, secret) {
		t.Errorf("message contains the secret: %s", msg)
	}
	src, err := tk.Source(ctx, "c1-stage")
	if src != keyring.SourceNone || !errors.Is(err, keyring.ErrUnavailable) {
		t.Fatalf("Source = %q, %v; want none, ErrUnavailable", src, err)
	}
	if err := keyring.Probe(ctx, keyring.NewOS(time.Second)); !errors.Is(err, keyring.ErrUnavailable) {
		t.Fatalf("Probe: %v, want ErrUnavailable", err)
	}
}
