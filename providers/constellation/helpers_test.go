package constellation

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/constellation/constellationtest"
)

// testKey is an API key with characters the encrypt path must escape, so
// the tests see both the plain and the escaped form.
const testKey = "c1 key/Ω+secret=42"

// syncBuf is a goroutine-safe log sink.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fastTune keeps retries quick and the limiter out of the way.
func fastTune(cc *providers.ClientConfig) {
	cc.BackoffBase = time.Millisecond
	cc.BackoffMax = 2 * time.Millisecond
	cc.MaxRetries = 2
	cc.Timeout = 5 * time.Second
	cc.Limiter = providers.NewLimiter(1_000_000, time.Minute, 100_000)
}

type env struct {
	t    *testing.T
	c    *Client
	srv  *constellationtest.Server
	logs *syncBuf
	ctx  context.Context
}

// newEnv starts an emulator and a client for it. Every test that uses it
// also checks, at cleanup, that no credential reached the debug log.
func newEnv(t *testing.T, opts constellationtest.Options, mods ...func(*Config)) *env {
	t.Helper()
	if opts.APIKeys == nil {
		opts.APIKeys = []string{testKey}
	}
	srv, err := constellationtest.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	logs := &syncBuf{}
	cfg := Config{
		Account:      "brokerage",
		BaseURL:      srv.URL(),
		APIKey:       opts.APIKeys[0],
		Username:     srv.Username(),
		Transactions: srv.Transactions(),
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Tune:         fastTune,
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	e := &env{t: t, c: c, srv: srv, logs: logs, ctx: ctx}
	t.Cleanup(func() { e.assertNoSecrets("debug log", logs.String()) })
	return e
}

// credentials returns every credential the emulator saw or issued: the API
// key (plain and as escaped in the path), the encrypted key and the tokens.
func (e *env) credentials() []string {
	var out []string
	for _, k := range e.srv.APIKeys() {
		out = append(out, k, url.PathEscape(k))
		out = append(out, e.srv.Encrypt(k, e.c.salt))
	}
	out = append(out, e.srv.IssuedTokens()...)
	for _, r := range e.srv.Requests() {
		if a := r.Header.Get("Authorization"); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func (e *env) assertNoSecrets(what, text string) {
	e.t.Helper()
	for _, s := range e.credentials() {
		if len(s) >= 4 && strings.Contains(text, s) {
			e.t.Errorf("%s holds a credential (%d characters long)", what, len(s))
		}
	}
}

// requests returns the requests of op.
func (e *env) requests(op string) []constellationtest.Request {
	var out []constellationtest.Request
	for _, r := range e.srv.Requests() {
		if r.Op == op {
			out = append(out, r)
		}
	}
	return out
}

// apiRequests returns the requests other than encrypt and gettoken.
func (e *env) apiRequests() []constellationtest.Request {
	var out []constellationtest.Request
	for _, r := range e.srv.Requests() {
		if r.Op != "encrypt" && r.Op != "gettoken" {
			out = append(out, r)
		}
	}
	return out
}

// find returns the first emulator session that pred accepts.
func (e *env) find(pred func(constellationtest.Session) bool) constellationtest.Session {
	e.t.Helper()
	for _, s := range e.srv.Sessions() {
		if pred(s) {
			return s
		}
	}
	e.t.Fatal("no seeded session fits the test")
	return constellationtest.Session{}
}

func withStatus(code int) func(constellationtest.Session) bool {
	return func(s constellationtest.Session) bool { return s.StatusCode == code }
}
