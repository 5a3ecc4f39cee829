package keyring

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestEnvName(t *testing.T) {
	cases := map[string]string{
		"c1-stage":     "SIGNDECK_TOKEN_C1_STAGE",
		"acme":         "SIGNDECK_TOKEN_ACME",
		"Acme.Prod_2":  "SIGNDECK_TOKEN_ACME_PROD_2",
		"dbx--eu":      "SIGNDECK_TOKEN_DBX__EU",
		"ZZ09az":       "SIGNDECK_TOKEN_ZZ09AZ",
		"é":            "SIGNDECK_TOKEN__",
		"a b":          "SIGNDECK_TOKEN_A_B",
		"":             "SIGNDECK_TOKEN_",
		"x.y-z_w.1234": "SIGNDECK_TOKEN_X_Y_Z_W_1234",
	}
	for in, want := range cases {
		if got := EnvName(in); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMemoryRoundTrip(t *testing.T) {
	ctx := context.Background()
	initial := map[string]string{"acme": "tok-acme"}
	m := NewMemory(initial)
	initial["acme"] = "changed" // NewMemory must copy
	initial["other"] = "x"

	if m.Source() != SourceMemory {
		t.Fatalf("Source = %q", m.Source())
	}
	if got, err := m.Get(ctx, "acme"); err != nil || got != "tok-acme" {
		t.Fatalf("Get(acme) = %q, %v; want tok-acme", got, err)
	}
	if _, err := m.Get(ctx, "other"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(other) err = %v, want ErrNotFound", err)
	}
	if err := m.Set(ctx, "c1-stage", "s3cret"); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Get(ctx, "c1-stage"); got != "s3cret" {
		t.Fatalf("Get(c1-stage) = %q", got)
	}
	if got := strings.Join(m.Accounts(), ","); got != "acme,c1-stage" {
		t.Fatalf("Accounts = %s", got)
	}
	if err := m.Delete(ctx, "c1-stage"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(ctx, "c1-stage"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after Delete: err = %v, want ErrNotFound", err)
	}
	err := m.Delete(ctx, "c1-stage")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: err = %v, want ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), `"c1-stage"`) {
		t.Errorf("not-found error does not name the account: %v", err)
	}
	var zero Memory
	if err := zero.Set(ctx, "a", "b"); err != nil {
		t.Fatalf("zero Memory Set: %v", err)
	}
	if got, _ := zero.Get(ctx, "a"); got != "b" {
		t.Fatalf("zero Memory Get = %q", got)
	}
}

func TestMemoryRejectsBadAccountAndDoneContext(t *testing.T) {
	m := NewMemory(nil)
	ctx := context.Background()
	for _, acct := range []string{"", "a/b", "a b", "../x", "tok\n"} {
		if err := m.Set(ctx, acct, "x"); err == nil {
			t.Errorf("Set(%q) accepted a bad account name", acct)
		}
		if _, err := m.Get(ctx, acct); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q) err = %v, want a validation error", acct, err)
		}
		if err := m.Delete(ctx, acct); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("Delete(%q) err = %v, want a validation error", acct, err)
		}
	}
	if len(m.Accounts()) != 0 {
		t.Fatalf("bad accounts were stored: %v", m.Accounts())
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := m.Set(cctx, "a", "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Set with cancelled ctx: %v", err)
	}
}

func TestMemoryConcurrent(t *testing.T) {
	m := NewMemory(nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			acct := fmt.Sprintf("acct-%d", i)
			for j := range 100 {
				want := fmt.Sprintf("tok-%d-%d", i, j)
				if err := m.Set(ctx, acct, want); err != nil {
					t.Error(err)
					return
				}
				if got, err := m.Get(ctx, acct); err != nil || got != want {
					t.Errorf("Get(%s) = %q, %v; want %q", acct, got, err, want)
					return
				}
				_ = m.Accounts()
			}
			if err := m.Delete(ctx, acct); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(m.Accounts()); n != 0 {
		t.Fatalf("%d accounts left", n)
	}
}

// envMap is a LookupEnv over a map.
func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestTokensEnvWins(t *testing.T) {
	ctx := context.Background()
	store := NewMemory(map[string]string{"c1-stage": "from-store"})
	tk := &Tokens{Store: store, LookupEnv: envMap(map[string]string{
		"SIGNDECK_TOKEN_C1_STAGE": "  from-env\n",
	})}
	tok, src, err := tk.Get(ctx, "c1-stage")
	if err != nil || tok != "from-env" || src != SourceEnv {
		t.Fatalf("Get = %q, %q, %v; want from-env, env, nil", tok, src, err)
	}
	if src, err := tk.Source(ctx, "c1-stage"); src != SourceEnv || err != nil {
		t.Fatalf("Source = %q, %v; want env", src, err)
	}
}

func TestTokensEmptyEnvIgnored(t *testing.T) {
	ctx := context.Background()
	store := NewMemory(map[string]string{"acme": "from-store"})
	for _, v := range []string{"", "   ", "\n\t"} {
		tk := &Tokens{Store: store, LookupEnv: envMap(map[string]string{"SIGNDECK_TOKEN_ACME": v})}
		tok, src, err := tk.Get(ctx, "acme")
		if err != nil || tok != "from-store" || src != SourceMemory {
			t.Errorf("env %q: Get = %q, %q, %v; want from-store, memory", v, tok, src, err)
		}
	}
	// Empty env and no stored token: not found.
	tk := &Tokens{Store: NewMemory(nil), LookupEnv: envMap(map[string]string{"SIGNDECK_TOKEN_ACME": ""})}
	if _, src, err := tk.Get(ctx, "acme"); !errors.Is(err, ErrNotFound) || src != SourceNone {
		t.Fatalf("Get = %q, %v; want none, ErrNotFound", src, err)
	}
}

func TestTokensDefaultLookupEnvIsOS(t *testing.T) {
	t.Setenv("SIGNDECK_TOKEN_OS_ENV_TEST", "os-token")
	tk := &Tokens{Store: NewMemory(nil)}
	tok, src, err := tk.Get(context.Background(), "os.env-test")
	if err != nil || tok != "os-token" || src != SourceEnv {
		t.Fatalf("Get = %q, %q, %v; want os-token from env", tok, src, err)
	}
}

func TestTokensNotFound(t *testing.T) {
	ctx := context.Background()
	for _, store := range []Store{NewMemory(nil), nil} {
		tk := &Tokens{Store: store, LookupEnv: envMap(nil)}
		tok, src, err := tk.Get(ctx, "c1-stage")
		if !errors.Is(err, ErrNotFound) || tok != "" || src != SourceNone {
			t.Fatalf("store %v: Get = %q, %q, %v; want ErrNotFound", store, tok, src, err)
		}
		if !strings.Contains(err.Error(), "SIGNDECK_TOKEN_C1_STAGE") {
			t.Errorf("not-found error does not name the env var: %v", err)
		}
		src, err = tk.Source(ctx, "c1-stage")
		if src != SourceNone || err != nil {
			t.Fatalf("Source = %q, %v; want none, nil", src, err)
		}
	}
	// A blank stored token counts as none.
	tk := &Tokens{Store: NewMemory(map[string]string{"a": " \n"}), LookupEnv: envMap(nil)}
	if _, _, err := tk.Get(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("blank stored token: err = %v, want ErrNotFound", err)
	}
}

// failingStore fails every call with err.
type failingStore struct{ err error }

func (f failingStore) Get(context.Context, string) (string, error) { return "", f.err }
func (f failingStore) Set(context.Context, string, string) error   { return f.err }
func (f failingStore) Delete(context.Context, string) error        { return f.err }
func (f failingStore) Source() Source                              { return SourceKeyring }

func TestTokensStoreErrors(t *testing.T) {
	ctx := context.Background()
	unavail := &UnavailableError{Op: "read", Account: "acme", Cause: "no bus"}
	tk := &Tokens{Store: failingStore{unavail}, LookupEnv: envMap(nil)}
	tok, src, err := tk.Get(ctx, "acme")
	if !errors.Is(err, ErrUnavailable) || src != SourceNone || tok != "" {
		t.Fatalf("Get = %q, %q, %v; want none, ErrUnavailable", tok, src, err)
	}
	src, err = tk.Source(ctx, "acme")
	if !errors.Is(err, ErrUnavailable) || src != SourceNone {
		t.Fatalf("Source = %q, %v; want none, ErrUnavailable", src, err)
	}
	// The environment still works when the keyring does not.
	tk.LookupEnv = envMap(map[string]string{"SIGNDECK_TOKEN_ACME": "e"})
	if tok, src, err := tk.Get(ctx, "acme"); err != nil || tok != "e" || src != SourceEnv {
		t.Fatalf("Get with env = %q, %q, %v", tok, src, err)
	}
	if src, err := tk.Source(ctx, "acme"); err != nil || src != SourceEnv {
		t.Fatalf("Source with env = %q, %v", src, err)
	}
}

func TestTokensSetValidation(t *testing.T) {
	ctx := context.Background()
	store := NewMemory(nil)
	tk := &Tokens{Store: store, LookupEnv: envMap(nil)}
	bad := map[string]string{
		"empty":      "",
		"blank":      " \t \n ",
		"multi-line": "first-line-SECRETVALUE\nsecond",
		"crlf":       "SECRETVALUE-1\r\nSECRETVALUE-2",
		"cr":         "SECRETVALUE-1\rx",
		"nul":        "SECRET\x00VALUE",
		"esc":        "SECRET\x1b[2JVALUE",
		"too long":   strings.Repeat("S", MaxTokenLen+1),
	}
	for name, secret := range bad {
		err := tk.Set(ctx, "acme", secret)
		if !errors.Is(err, ErrInvalidSecret) {
			t.Errorf("%s: Set err = %v, want ErrInvalidSecret", name, err)
			continue
		}
		msg := err.Error()
		if strings.TrimSpace(secret) != "" && strings.Contains(msg, "SECRET") {
			t.Errorf("%s: error contains the secret: %q", name, msg)
		}
		if !strings.Contains(msg, `"acme"`) {
			t.Errorf("%s: error does not name the account: %q", name, msg)
		}
	}
	if n := len(store.Accounts()); n != 0 {
		t.Fatalf("invalid secrets were stored: %v", store.Accounts())
	}
	if err := tk.Set(ctx, "acme", "\t tok-123 \n"); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.Get(ctx, "acme"); got != "tok-123" {
		t.Fatalf("stored %q, want trimmed tok-123", got)
	}
	if err := tk.Set(ctx, "bad/name", "tok"); err == nil || errors.Is(err, ErrInvalidSecret) {
		t.Fatalf("bad account: err = %v, want an account error", err)
	}
	if err := (&Tokens{}).Set(ctx, "acme", "tok"); !errors.Is(err, ErrNoStore) {
		t.Fatalf("nil store: err = %v, want ErrNoStore", err)
	}
}

func TestTokensDelete(t *testing.T) {
	ctx := context.Background()
	store := NewMemory(map[string]string{"acme": "t"})
	tk := &Tokens{Store: store, LookupEnv: envMap(map[string]string{"SIGNDECK_TOKEN_ACME": "env"})}
	if err := tk.Delete(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(ctx, "acme"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("token still stored: %v", err)
	}
	if err := tk.Delete(ctx, "acme"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: err = %v, want ErrNotFound", err)
	}
	if err := tk.Delete(ctx, ""); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("empty account: err = %v, want a validation error", err)
	}
	if err := (&Tokens{}).Delete(ctx, "acme"); !errors.Is(err, ErrNoStore) {
		t.Fatalf("nil store: err = %v, want ErrNoStore", err)
	}
}
