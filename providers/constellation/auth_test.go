package constellation

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/constellation/constellationtest"
)

func TestAuthWireFormat(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 1}, func(c *Config) { c.Transactions = c.Transactions[:1] })
	if err := e.c.List(e.ctx, providers.ListQuery{}, func(providers.Page) error { return nil }); err != nil {
		t.Fatal(err)
	}
	reqs := e.srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("got %d requests, want encrypt, gettoken, lite", len(reqs))
	}
	enc, tok, lite := reqs[0], reqs[1], reqs[2]
	salt := e.c.salt
	if len(salt) != saltLen || strings.Trim(salt, saltAlphabet) != "" {
		t.Errorf("salt is %d characters, want %d of [A-Za-z0-9]", len(salt), saltLen)
	}

	if enc.Op != "encrypt" || enc.Method != "GET" {
		t.Fatalf("first request is %s %s, want GET encrypt", enc.Method, enc.Op)
	}
	if want := "/rest/v1/encrypt/" + url.PathEscape(testKey) + "/" + salt; enc.RawPath != want {
		t.Errorf("encrypt path is not the escaped key and salt")
	}
	if want := "/rest/v1/encrypt/" + testKey + "/" + salt; enc.Path != want {
		t.Errorf("encrypt path does not decode to the key and salt")
	}
	if v := enc.Header.Values("Authorization"); len(v) != 0 {
		t.Errorf("encrypt sent an Authorization header")
	}

	if tok.Op != "gettoken" || tok.Method != "GET" || tok.Path != "/rest/v1/gettoken/"+salt {
		t.Errorf("second request is %s %s, want GET /rest/v1/gettoken/{salt}", tok.Method, tok.Path)
	}
	encKey := e.srv.Encrypt(testKey, salt)
	if got := tok.Header.Values("Authorization"); len(got) != 1 || got[0] != encKey {
		t.Errorf("gettoken's Authorization is not exactly the encrypted key (no scheme)")
	}

	if lite.Op != "lite" {
		t.Fatalf("third request is %s, want lite", lite.Op)
	}
	auth := lite.Header.Values("Authorization")
	if len(auth) != 1 || auth[0] == encKey || !slices.Contains(e.srv.IssuedTokens(), auth[0]) {
		t.Errorf("lite's Authorization is not exactly one issued token")
	}
	if strings.ContainsAny(auth[0], " ") {
		t.Errorf("the token is sent with a scheme")
	}
	if ct := lite.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json as the vendor's samples", ct)
	}

	// Requests only use the encrypted key from now on; the key, in both
	// forms, the encrypted key and the token stay redaction patterns.
	if e.c.apiKey != "" {
		t.Error("the plain API key is still held for requests after encrypting")
	}
	for _, s := range []string{testKey, url.PathEscape(testKey), encKey, auth[0]} {
		if !slices.Contains(e.c.secrets(), s) {
			t.Errorf("a credential (%d characters) is not among the secrets redacted", len(s))
		}
	}
}

func TestFreshTokenBeforeEveryCall(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 2}, func(c *Config) { c.Transactions = c.Transactions[:1] })
	sent := e.find(withStatus(constellationtest.StatusSent))
	for range 3 {
		if _, err := e.c.CancelStatus(e.ctx, sent.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.c.Cancel(e.ctx, sent.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.c.List(e.ctx, providers.ListQuery{}, func(providers.Page) error { return nil }); err != nil {
		t.Fatal(err)
	}
	api := e.apiRequests()
	if len(api) != 5 {
		t.Fatalf("%d API calls, want 5", len(api))
	}
	if n := e.srv.Count("gettoken"); n != len(api) {
		t.Errorf("%d gettoken calls for %d sequential API calls, want one each", n, len(api))
	}
	if n := e.srv.Count("encrypt"); n != 1 {
		t.Errorf("%d encrypt calls, want 1 per client", n)
	}
	seen := map[string]bool{}
	for _, r := range api {
		seen[r.Header.Get("Authorization")] = true
	}
	if len(seen) != len(api) {
		t.Errorf("%d distinct tokens for %d calls: a token was reused", len(seen), len(api))
	}
	// Every gettoken follows the encrypt, and precedes its call.
	reqs := e.srv.Requests()
	for i, r := range reqs[1:] {
		if r.Op != "encrypt" && r.Op != "gettoken" && reqs[i].Op != "gettoken" {
			t.Errorf("request %d (%s) is not preceded by a gettoken", i+1, r.Op)
		}
	}
}

// TestTokenRefreshCoalesced pins the coalescing deterministically: the
// fetch blocks until all callers wait on it.
func TestTokenRefreshCoalesced(t *testing.T) {
	c, err := New(Config{Account: "a", APIKey: "k", BaseURL: "http://127.0.0.1:1/rest"})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	release := make(chan struct{})
	c.fetch = func(ctx context.Context) (string, error) {
		n := calls.Add(1)
		<-release
		return "token-" + strconv.Itoa(int(n)), nil
	}
	const callers = 10
	var wg sync.WaitGroup
	got := make([]string, callers)
	for i := range callers {
		wg.Go(func() {
			tok, err := c.token(context.Background())
			if err != nil {
				t.Error(err)
			}
			got[i] = tok
		})
	}
	waitFor(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.flight != nil && c.flight.waiters == callers
	})
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d refreshes for %d concurrent callers, want 1", n, callers)
	}
	for i, tok := range got {
		if tok != "token-1" {
			t.Errorf("caller %d got %q, want the shared token-1", i, tok)
		}
	}
	// A later call does not reuse the token: it refreshes again.
	tok, err := c.token(context.Background())
	if err != nil || tok != "token-2" || calls.Load() != 2 {
		t.Errorf("a later call got %q (%v) after %d refreshes; want a new token-2", tok, err, calls.Load())
	}
}

func TestTokenRefreshWaiterGivesUp(t *testing.T) {
	c, err := New(Config{Account: "a", APIKey: "k", BaseURL: "http://127.0.0.1:1/rest"})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	fetchCanceled := make(chan struct{})
	var calls atomic.Int32
	c.fetch = func(ctx context.Context) (string, error) {
		calls.Add(1)
		select {
		case <-release:
			return "shared", nil
		case <-ctx.Done():
			close(fetchCanceled)
			return "", ctx.Err()
		}
	}
	// One of two waiters gives up: the other still gets the token.
	quitter, quit := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := c.token(quitter); errc <- err }()
	tokc := make(chan string, 1)
	go func() { tok, _ := c.token(context.Background()); tokc <- tok }()
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.flight != nil && c.flight.waiters == 2 })
	quit()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("the caller that gave up got %v, want context.Canceled", err)
	}
	close(release)
	if tok := <-tokc; tok != "shared" {
		t.Fatalf("the remaining caller got %q, want the shared token", tok)
	}

	// When every waiter gives up, the refresh itself is canceled.
	c.fetch = func(ctx context.Context) (string, error) {
		<-ctx.Done()
		close(fetchCanceled)
		return "", ctx.Err()
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _, _ = c.token(ctx) }()
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.flight != nil && c.flight.waiters == 1 })
	cancel()
	select {
	case <-fetchCanceled:
	case <-time.After(5 * time.Second):
		t.Fatal("the refresh went on after every caller gave up")
	}
}

func TestTokenRefreshCoalescedAgainstEmulator(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 3,
		Faults: constellationtest.Faults{Latency: 150 * time.Millisecond, Ops: []string{"gettoken"}}})
	id := e.srv.Sessions()[0].ID
	const callers = 6
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range callers {
		wg.Go(func() {
			<-start
			if _, err := e.c.CancelStatus(e.ctx, id); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := e.srv.Count("get"); n != callers {
		t.Fatalf("%d session reads, want %d", n, callers)
	}
	if n := e.srv.Count("gettoken"); n >= callers || n > 2 {
		t.Errorf("%d gettoken calls for %d concurrent calls: refreshes were not shared", n, callers)
	}
}

func TestExpiredTokenRefreshedOnce(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 4, Faults: constellationtest.Faults{ExpiredTokens: 1}})
	s := e.srv.Sessions()[0]
	st, err := e.c.CancelStatus(e.ctx, s.ID)
	if err != nil {
		t.Fatalf("a read whose token was refused should succeed after a refresh: %v", err)
	}
	if st == "" {
		t.Error("no status")
	}
	gets := e.requests("get")
	if len(gets) != 2 || e.srv.Count("gettoken") != 2 {
		t.Fatalf("%d reads and %d gettoken calls, want 2 and 2 (refused, refreshed, sent again)", len(gets), e.srv.Count("gettoken"))
	}
	if gets[0].Header.Get("Authorization") == gets[1].Header.Get("Authorization") {
		t.Error("the retry reused the refused token")
	}
}

func TestExpiredTokenRefreshedForWrite(t *testing.T) {
	// A bad-token answer means the vendor did not run the call, so even a
	// write is sent once more with a new token.
	e := newEnv(t, constellationtest.Options{Seed: 5, Faults: constellationtest.Faults{ExpiredTokens: 1}})
	sent := e.find(withStatus(constellationtest.StatusSent))
	res, err := e.c.Cancel(e.ctx, sent.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "canceled" {
		t.Errorf("status %q, want canceled", res.Status)
	}
	if n := e.srv.Count("cancel"); n != 2 {
		t.Errorf("%d cancel requests, want 2 (refused for the token, then sent)", n)
	}
	if got, _ := e.srv.Session(sent.ID); got.StatusCode != constellationtest.StatusCancelled {
		t.Errorf("session status %d, want cancelled", got.StatusCode)
	}
}

func TestTokenRefusedTwiceIsUnauthorized(t *testing.T) {
	// Tokens live 20ms and every read takes 80ms: the fresh token expires
	// on the way, again after the one refresh.
	e := newEnv(t, constellationtest.Options{Seed: 6, TokenTTL: 20 * time.Millisecond,
		Faults: constellationtest.Faults{Latency: 80 * time.Millisecond, Ops: []string{"get"}}})
	_, err := e.c.CancelStatus(e.ctx, e.srv.Sessions()[0].ID)
	if !errors.Is(err, providers.ErrUnauthorized) {
		t.Fatalf("got %v, want ErrUnauthorized", err)
	}
	if !strings.Contains(err.Error(), "Bad Token Information") || !strings.Contains(err.Error(), "refresh") {
		t.Errorf("error %q does not show the vendor's text and the refresh", err)
	}
	if g, r := e.srv.Count("gettoken"), e.srv.Count("get"); g != 2 || r != 2 {
		t.Errorf("%d gettoken and %d reads, want 2 and 2: refresh exactly once", g, r)
	}
	e.assertNoSecrets("error", err.Error())
}

func TestWrongAPIKey(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 7}, func(c *Config) { c.APIKey = "not-the-key" })
	_, err := e.c.Verify(e.ctx)
	if !errors.Is(err, providers.ErrUnauthorized) {
		t.Fatalf("got %v, want ErrUnauthorized", err)
	}
	if !strings.Contains(err.Error(), "Invalid API key") {
		t.Errorf("error %q lacks the vendor's text", err)
	}
	if e.srv.Count("users") != 0 {
		t.Error("a user lookup was made without a token")
	}
	e.assertNoSecrets("error", err.Error())
	if strings.Contains(err.Error(), "not-the-key") {
		t.Error("the wrong key is in the error")
	}
}

func TestVerify(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 8})
	info, err := e.c.Verify(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Who != e.srv.Username() || !strings.Contains(info.Detail, "Jordan Avery") {
		t.Errorf("Verify = %+v", info)
	}
	u := e.requests("users")
	if len(u) != 1 || u[0].Query.Get("username") != e.srv.Username() {
		t.Errorf("user lookup requests: %+v", u)
	}

	bad := newEnv(t, constellationtest.Options{Seed: 8}, func(c *Config) { c.Username = "nobody@example.com" })
	_, err = bad.c.Verify(bad.ctx)
	if !errors.Is(err, providers.ErrInvalid) || !strings.Contains(err.Error(), "Username not found") {
		t.Errorf("a wrong username: got %v, want ErrInvalid with the vendor's text", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(time.Millisecond)
	}
}
