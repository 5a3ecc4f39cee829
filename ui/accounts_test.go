package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

const secret = "sk_live_S3CRET_abcdef123456"

func loginDriver(t *testing.T, login func(ctx context.Context, account, s string) (providers.Provider, string, error)) *driver {
	d := newDriver(t, Options{
		Accounts: []Account{{Name: "acme", Kind: models.DropboxSign, TokenSource: "none"}},
		Login:    login,
		Logout:   func(context.Context, string) error { return nil },
	})
	d.run(d.m.Init())
	return d
}

func TestLoginSecretIsMaskedSentInACmdAndWiped(t *testing.T) {
	dbx, _ := fixture()
	var got string
	d := loginDriver(t, func(ctx context.Context, account, s string) (providers.Provider, string, error) {
		got = account + ":" + s
		return dbx, "keyring", nil
	})
	if !strings.Contains(d.screen(), "no token — press a to log in") {
		t.Errorf("status line lacks the no-token hint:\n%s", d.screen())
	}
	d.press("a", "l")
	d.typeText(secret)
	if strings.Contains(d.m.render(), secret) || strings.Contains(d.m.render(), "S3CRET") {
		t.Fatal("the secret is rendered")
	}
	if !strings.Contains(d.screen(), "•••••") {
		t.Error("no mask")
	}
	_, cmd := d.m.Update(keyMsg("enter"))
	if d.m.loginOv().input.Value() != "" {
		t.Error("the secret stays in the model after Enter")
	}
	if got != "" {
		t.Fatal("Login ran inside Update")
	}
	if !strings.Contains(d.screen(), "verifying") {
		t.Error("no verifying state")
	}
	d.run(cmd)
	if got != "acme:"+secret {
		t.Errorf("Login got %q", got)
	}
	a := d.m.accts[0]
	if a.Provider == nil || a.TokenSource != "keyring" || len(d.m.rows) != 5 {
		t.Errorf("after login: provider=%v source=%q rows=%d", a.Provider != nil, a.TokenSource, len(d.m.rows))
	}
	if d.flash() != "Logged in to dbx:acme (token in keyring)" {
		t.Errorf("flash = %q", d.flash())
	}
	if n := len(d.m.msgLog); n != 1 || d.m.msgLog[0].outcome != "ok" {
		t.Errorf("message log = %+v", d.m.msgLog)
	}
	if strings.Contains(d.m.render(), secret) {
		t.Error("secret rendered after login")
	}
}

func TestLoginFailureIsRedacted(t *testing.T) {
	d := loginDriver(t, func(ctx context.Context, account, s string) (providers.Provider, string, error) {
		return nil, "", errors.New("401 unauthorized: token " + s + " is invalid")
	})
	d.press("a", "l")
	d.typeText(secret)
	d.press("enter")
	s := d.m.render()
	if strings.Contains(s, secret) {
		t.Fatal("the secret is in the error")
	}
	if !strings.Contains(d.screen(), "Login failed: 401 unauthorized") {
		t.Errorf("no error:\n%s", d.screen())
	}
	for _, e := range d.m.msgLog {
		if strings.Contains(e.reason, secret) {
			t.Error("the secret is in the message log")
		}
	}
	if d.m.accts[0].Provider != nil {
		t.Error("provider set after a failed login")
	}
	d.press("esc")
	if d.m.loginOv() != nil {
		t.Error("esc did not close the login")
	}
}

func TestLogoutAsksAndExplainsEnvTokens(t *testing.T) {
	var calls []string
	d, _, _ := fixtureDriver(t, func(o *Options) {
		o.Logout = func(_ context.Context, a string) error { calls = append(calls, a); return nil }
	})
	d.press("a", "j", "L")
	if !strings.Contains(d.screen(), "logout won't remove the env var") || !strings.Contains(d.screen(), "[y/N]") {
		t.Errorf("no env explanation:\n%s", d.screen())
	}
	d.press("enter")
	if len(calls) != 0 || openAs[*logoutAsk](d.m) != nil {
		t.Fatal("enter logged out")
	}
	d.press("d", "y")
	if len(calls) != 1 || calls[0] != "prod" {
		t.Fatalf("calls = %v", calls)
	}
	a := d.m.accts[1]
	if a.Provider != nil || a.TokenSource != "none" || a.count != 0 {
		t.Errorf("after logout: provider=%v source=%q count=%d", a.Provider != nil, a.TokenSource, a.count)
	}
	if !strings.Contains(d.flash(), "Logged out of c1:prod; the token still comes from the environment variable") {
		t.Errorf("flash = %q", d.flash())
	}
	if n := len(d.m.msgLog); n != 1 || d.m.msgLog[0].outcome != "ok" {
		t.Errorf("message log = %+v", d.m.msgLog)
	}
}

func TestAccountsViewShowsSourceHealthAndBudget(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, func(o *Options) {
		o.Accounts = append(o.Accounts, Account{Name: "broken", Kind: models.DropboxSign, Err: errors.New("keyring unavailable")})
	})
	dbx.budget = providers.Budget{Limit: 100, Remaining: 87}
	if !strings.Contains(d.screen(), "dbx:acme 5 ✓ 87/100") {
		t.Errorf("status line lacks budget:\n%s", d.screen())
	}
	if !strings.Contains(d.screen(), "dbx:broken ✗ keyring unavailable") {
		t.Errorf("status line lacks setup error:\n%s", d.screen())
	}
	d.press("a")
	s := d.screen()
	for _, want := range []string{"acme    Dropbox Sign   keyring  5        87/100", "prod    Constellation1 env", "✓ ok 12:00:00", "✗ keyring unavailable"} {
		if !strings.Contains(s, want) {
			t.Errorf("accounts view lacks %q:\n%s", want, s)
		}
	}
}

// TestLoginVerificationCanBeAbandoned: while the provider verifies a token
// esc gives up (the verification is canceled) and ctrl+c still quits.
func TestLoginVerificationCanBeAbandoned(t *testing.T) {
	started := make(chan context.Context, 2)
	d := loginDriver(t, func(ctx context.Context, account, s string) (providers.Provider, string, error) {
		started <- ctx
		<-ctx.Done()
		return nil, "", ctx.Err()
	})
	d.blocking = true
	d.press("a", "l")
	d.typeText(secret)
	d.press("enter") // the verification blocks: parked
	ctx := <-started
	d.press("esc")
	if d.m.loginOv() != nil {
		t.Fatal("esc does not close the prompt while verifying")
	}
	select {
	case <-ctx.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("the verification was not canceled")
	}
	d.settle()
	if d.flash() != "Login to dbx:acme canceled" {
		t.Errorf("flash = %q", d.flash())
	}
	if a := d.m.accts[0]; a.Provider != nil {
		t.Error("logged in after canceling")
	}
	// A new attempt is not disturbed by the abandoned one's late answer.
	d.press("l")
	d.typeText(secret)
	d.press("enter")
	<-started
	d.send(loginResultMsg{acct: 0, seq: d.m.loginOv().seq - 1, err: "context canceled"})
	if d.m.loginOv() == nil || !d.m.loginOv().sending || d.m.loginOv().err != "" {
		t.Fatalf("an old attempt's answer changed the new prompt: %+v", d.m.loginOv())
	}
	d.press("esc")
	d.settle()
	// ctrl+c quits while verifying.
	d.press("l")
	d.typeText(secret)
	d.press("enter")
	<-started
	d.press("ctrl+c")
	if !d.quit {
		t.Error("ctrl+c does not quit while a login is verified")
	}
	d.settle()
}

func TestNoLoginWhileALogoutIsInProgress(t *testing.T) {
	dbx, _ := fixture()
	release := make(chan struct{})
	d := newDriver(t, Options{
		Accounts: []Account{{Name: "acme", Kind: models.DropboxSign, Provider: dbx, TokenSource: "keyring"}},
		Login:    func(context.Context, string, string) (providers.Provider, string, error) { return dbx, "keyring", nil },
		Logout:   func(context.Context, string) error { <-release; return nil },
	})
	d.run(d.m.Init())
	d.blocking = true
	d.press("a", "L", "y") // the logout blocks: parked
	d.press("l")
	if d.m.loginOv() != nil || d.flash() != "Login: a logout is still in progress" {
		t.Errorf("login opened during a logout: flash %q", d.flash())
	}
	close(release)
	d.settle()
	d.press("l")
	if d.m.loginOv() == nil {
		t.Error("login does not open after the logout finished")
	}
}

// TestAccountsScreenActionsFromTheList: the accounts screen's keys come
// from the one action list too, so a rebound key works there and the
// palette runs its actions by name.
func TestAccountsScreenActionsFromTheList(t *testing.T) {
	d, _, _ := fixtureDriver(t, func(o *Options) {
		o.Keys = map[string][]string{"down": {"n"}}
		o.Login = loginNoop
	})
	d.press("a")
	if d.m.screen != screenAccounts || d.m.accountsCur != 0 {
		t.Fatalf("screen %v cursor %d", d.m.screen, d.m.accountsCur)
	}
	d.press("n")
	if d.m.accountsCur != 1 {
		t.Errorf("the rebound down key on the accounts screen: cursor %d", d.m.accountsCur)
	}
	d.press(":")
	d.typeText("login")
	d.press("enter")
	if l := d.m.loginOv(); l == nil || l.acct != 1 {
		t.Fatalf("the palette did not open the login of the account under the cursor: %+v", l)
	}
	d.press("esc", ":")
	d.typeText("accounts")
	d.press("enter")
	if d.m.screen != screenTable {
		t.Errorf("accounts by name from the accounts screen goes back to the table: %v", d.m.screen)
	}
}
