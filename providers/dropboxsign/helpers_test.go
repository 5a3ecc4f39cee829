package dropboxsign

import (
	"bytes"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

// testKey is a distinctive API key: tests assert it never shows up in an
// error, a log line or test output.
const testKey = "dbx_live_7Qm2Zr9KpX4vLw8NcT1yHs6B"

var testKeyB64 = base64.StdEncoding.EncodeToString([]byte(testKey + ":"))

// syncBuffer collects log output from concurrent goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	t    *testing.T
	srv  *dropboxsigntest.Server
	c    *Client
	logs *syncBuffer
}

// assertNoSecret fails when s holds the API key in any form.
func assertNoSecret(t *testing.T, where, s string) {
	t.Helper()
	for _, sec := range []string{testKey, testKeyB64, strings.TrimRight(testKeyB64, "=")} {
		if strings.Contains(s, sec) {
			t.Errorf("%s leaks the API key", where)
		}
	}
}

// newEnv starts an emulator and a client with fast timings. Rate limits
// are off unless opts sets them. The client's debug log is captured and
// checked for the key when the test ends.
func newEnv(t *testing.T, opts dropboxsigntest.Options, tune ...func(*Config, *providers.ClientConfig)) *env {
	t.Helper()
	if len(opts.APIKeys) == 0 {
		opts.APIKeys = []string{testKey}
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = -1
	}
	if opts.SendRateLimit == 0 {
		opts.SendRateLimit = -1
	}
	if opts.TestModeRateLimit == 0 {
		opts.TestModeRateLimit = -1
	}
	if opts.CancelDelay == 0 {
		opts.CancelDelay = 150 * time.Millisecond
	}
	if opts.Now == nil {
		now := time.Now()
		opts.Now = func() time.Time { return now }
	}
	srv, err := dropboxsigntest.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	logs := &syncBuffer{}
	cfg := Config{
		Account: "dbx",
		BaseURL: srv.URL,
		APIKey:  testKey,
		Logger:  newTestLogger(logs),
		// A private transport: tests that reset connections must not
		// disturb each other's pooled connections.
		HTTPClient:  &http.Client{Transport: &http.Transport{}},
		RecoverWait: 300 * time.Millisecond,
	}
	// With the vendor's spec at hand, every exchange of every emulator test
	// is validated against it (leniently: see validator.lenient); the
	// contract test runs the strict version.
	if _, err := os.Stat(filepath.Join(sharedAPI, "dropbox-sign-openapi.yaml")); err == nil {
		v := newValidator(t)
		v.lenient = true
		cfg.HTTPClient = &http.Client{Transport: v}
		t.Cleanup(func() { v.check(t) })
	}
	var extra []func(*Config, *providers.ClientConfig)
	extra = append(extra, tune...)
	for _, f := range extra {
		f(&cfg, nil)
	}
	cfg.Tune = func(cc *providers.ClientConfig) {
		cc.BackoffBase = 5 * time.Millisecond
		cc.BackoffMax = 20 * time.Millisecond
		cc.Timeout = 5 * time.Second
		cc.Limiter = providers.NewLimiter(100000, time.Second, 1000)
		for _, f := range extra {
			f(nil, cc)
		}
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, srv: srv, c: c, logs: logs}
	t.Cleanup(func() { assertNoSecret(t, "the client log", logs.String()) })
	return e
}

// tuneClient adapts only the shared client's config.
func tuneClient(f func(*providers.ClientConfig)) func(*Config, *providers.ClientConfig) {
	return func(_ *Config, cc *providers.ClientConfig) {
		if cc != nil {
			f(cc)
		}
	}
}

// tuneConfig adapts only the provider config.
func tuneConfig(f func(*Config)) func(*Config, *providers.ClientConfig) {
	return func(c *Config, _ *providers.ClientConfig) {
		if c != nil {
			f(c)
		}
	}
}

// checkErr asserts err is of kind and does not leak the key.
func checkErr(t *testing.T, err error, kind error) *providers.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error of kind %v, got nil", kind)
	}
	assertNoSecret(t, "error "+err.Error(), err.Error())
	if kind != nil && !errors.Is(err, kind) {
		t.Fatalf("error %q: want kind %v", err, kind)
	}
	pe, _ := err.(*providers.Error)
	return pe
}

func newTestLogger(w *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
