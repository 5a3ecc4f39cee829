package providers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func fastClient(t *testing.T, url string, mod func(*ClientConfig)) *Client {
	t.Helper()
	cfg := ClientConfig{Provider: "test", Account: "acct", BaseURL: url, BackoffBase: time.Millisecond,
		BackoffMax: 5 * time.Millisecond, Limiter: NewLimiter(10000, time.Minute, 100)}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCheckBaseURL(t *testing.T) {
	ok := []string{"https://api.hellosign.com/v3", "http://127.0.0.1:8080/v3", "http://127.5.6.7/x", "http://localhost:1/", "http://[::1]:9/rest"}
	for _, u := range ok {
		if err := CheckBaseURL(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	bad := map[string]string{
		"http://api.hellosign.com/v3":   "must use https",
		"http://10.0.0.1/v3":            "must use https",
		"http://localhost.evil.com/":    "must use https",
		"ftp://x/":                      "absolute https",
		"api.hellosign.com":             "absolute https",
		"https://user:pw@api.example/x": "must not carry a user name",
		"https://api.example/x?k=v":     "query",
	}
	for u, want := range bad {
		err := CheckBaseURL(u)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckBaseURL(%q) = %v, want %q", u, err, want)
		}
		if _, err := NewClient(ClientConfig{BaseURL: u}); err == nil {
			t.Errorf("NewClient accepted %q", u)
		}
	}
}

func TestGetRetriedPostNeverRetriedOn5xx(t *testing.T) {
	var gets, posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			if gets.Add(1) < 3 {
				w.WriteHeader(503)
				return
			}
			w.Write([]byte(`{"ok":true}`))
			return
		}
		posts.Add(1)
		w.WriteHeader(502)
	}))
	defer srv.Close()
	c := fastClient(t, srv.URL, nil)
	resp, err := c.Do(context.Background(), &Request{Method: "GET", Path: "x"})
	if err != nil || resp.Status != 200 || resp.Attempts != 3 || gets.Load() != 3 {
		t.Fatalf("GET: resp=%+v err=%v gets=%d", resp, err, gets.Load())
	}
	resp, err = c.Do(context.Background(), &Request{Method: "POST", Path: "y", Body: []byte("{}")})
	if err != nil || resp.Status != 502 || posts.Load() != 1 {
		t.Fatalf("POST: resp=%+v err=%v posts=%d", resp, err, posts.Load())
	}
	// GET gives up after MaxRetries and returns the last 5xx.
	gets.Store(-100)
	resp, err = c.Do(context.Background(), &Request{Method: "GET", Path: "x"})
	if err != nil || resp.Status != 503 || resp.Attempts != DefaultMaxRetries+1 {
		t.Fatalf("GET exhausted: resp=%+v err=%v", resp, err)
	}
}

func TestPostConnectionResetIsAmbiguousAndNotRetried(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer srv.Close()
	c := fastClient(t, srv.URL, nil)
	_, err := c.Do(context.Background(), &Request{Method: "POST", Path: "send", Op: "send"})
	if !errors.Is(err, ErrAmbiguous) || n.Load() != 1 {
		t.Fatalf("err=%v requests=%d", err, n.Load())
	}
	n.Store(0)
	_, err = c.Do(context.Background(), &Request{Method: "GET", Path: "list"})
	if !errors.Is(err, ErrUnavailable) || n.Load() != int32(DefaultMaxRetries+1) {
		t.Fatalf("GET err=%v requests=%d", err, n.Load())
	}
}

func TestPostDialFailureIsUnavailable(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	c := fastClient(t, "http://"+addr, func(c *ClientConfig) { c.MaxRetries = -1 })
	_, err := c.Do(context.Background(), &Request{Method: "POST", Path: "send"})
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrAmbiguous) {
		t.Fatalf("err = %v", err)
	}
}

func TestLimiterHonoursResetHeader(t *testing.T) {
	var reset int64
	var second atomic.Int64
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			reset = time.Now().Unix() + 1
			w.Header().Set("X-RateLimit-Limit", "100")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(reset, 10))
		} else {
			second.Store(time.Now().UnixMilli())
		}
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	c := fastClient(t, srv.URL, nil)
	if _, err := c.Do(context.Background(), &Request{Method: "GET", Path: "a"}); err != nil {
		t.Fatal(err)
	}
	b := c.Budget()
	if b.Limit != 100 || b.Remaining != 0 || b.Reset.Unix() != reset || !b.Waiting {
		t.Fatalf("budget = %+v", b)
	}
	if _, err := c.Do(context.Background(), &Request{Method: "GET", Path: "b"}); err != nil {
		t.Fatal(err)
	}
	if got := second.Load(); got < reset*1000 {
		t.Fatalf("second request at %d ms, before the reset at %d s", got, reset)
	}
}

func TestRateLimited429(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(429)
			return
		}
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	c := fastClient(t, srv.URL, nil)
	resp, err := c.Do(context.Background(), &Request{Method: "GET", Path: "a"})
	if err != nil || resp.Status != 200 || n.Load() != 2 {
		t.Fatalf("GET after 429: %+v %v n=%d", resp, err, n.Load())
	}
	// A POST gets the 429 back unless Retry429 says the vendor did not run it.
	n.Store(0)
	resp, _ = c.Do(context.Background(), &Request{Method: "POST", Path: "a"})
	if resp.Status != 429 || n.Load() != 1 {
		t.Fatalf("POST 429: %+v n=%d", resp, n.Load())
	}
	n.Store(0)
	resp, _ = c.Do(context.Background(), &Request{Method: "POST", Path: "a", Retry429: true})
	if resp.Status != 200 || n.Load() != 2 {
		t.Fatalf("POST Retry429: %+v n=%d", resp, n.Load())
	}
	// A reset further away than MaxRateWait is not waited for.
	n.Store(0)
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(429)
	}))
	defer srv2.Close()
	c2 := fastClient(t, srv2.URL, func(c *ClientConfig) { c.MaxRateWait = time.Second })
	resp, err = c2.Do(context.Background(), &Request{Method: "GET", Path: "a"})
	if err != nil || resp.Status != 429 || n.Load() != 1 || resp.RetryAt().Before(time.Now().Add(59*time.Minute)) {
		t.Fatalf("long reset: %+v %v n=%d", resp, err, n.Load())
	}
}

func TestBodyCap(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Write(bytes.Repeat([]byte("a"), 2<<20))
	}))
	defer srv.Close()
	// Retries stay on: an oversized answer is not retried (it would only
	// be downloaded again).
	c := fastClient(t, srv.URL, func(c *ClientConfig) { c.MaxBody = 1 << 20 })
	_, err := c.Do(context.Background(), &Request{Method: "GET", Path: "big"})
	if !errors.Is(err, ErrResponse) || !strings.Contains(err.Error(), "too large") ||
		!strings.Contains(err.Error(), "more than 1 MiB") {
		t.Fatalf("err = %v", err)
	}
	if n.Load() != 1 {
		t.Errorf("an oversized GET answer was fetched %d times, want 1", n.Load())
	}
	// The default cap is 16 MiB.
	if DefaultMaxBody != 16<<20 {
		t.Errorf("DefaultMaxBody = %d", DefaultMaxBody)
	}

	// A write whose answer is too large may have taken effect: its outcome
	// is unknown (callers look before retrying), and it is sent once.
	n.Store(0)
	_, err = c.Do(context.Background(), &Request{Method: "POST", Path: "send", Body: []byte("{}")})
	if !errors.Is(err, ErrAmbiguous) || !strings.Contains(err.Error(), "too large") || n.Load() != 1 {
		t.Fatalf("POST: err = %v, requests = %d", err, n.Load())
	}

	// A small cap is named in bytes.
	c = fastClient(t, srv.URL, func(c *ClientConfig) { c.MaxBody = 1000 })
	if _, err := c.Do(context.Background(), &Request{Method: "GET", Path: "big"}); err == nil ||
		!strings.Contains(err.Error(), "more than 1000 bytes") {
		t.Errorf("err = %v", err)
	}
}

func TestSecretsRedactedFromLogsAndErrors(t *testing.T) {
	const key = "sk_live_SUPERSECRET123"
	var logs bytes.Buffer
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	c := fastClient(t, "http://"+addr+"/rest", func(c *ClientConfig) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.Secrets = func() []string { return []string{key} }
		c.MaxRetries = -1
	})
	_, err := c.Do(context.Background(), &Request{Method: "GET", Path: "v1/encrypt/" + key + "/salt",
		Header: http.Header{"Authorization": {key}}})
	if err == nil {
		t.Fatal("want an error")
	}
	if strings.Contains(err.Error(), key) || strings.Contains(logs.String(), key) {
		t.Fatalf("secret leaked:\nerr=%v\nlogs=%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), "v1/encrypt/"+Redacted) {
		t.Fatalf("log lacks the redacted path: %s", logs.String())
	}
	e := c.NewError(ErrProvider, "op", 500, "boom", "bad key "+key+" Authorization: Bearer abcdef")
	if strings.Contains(e.Error(), key) || strings.Contains(e.Error(), "abcdef") {
		t.Fatalf("NewError leaked: %v", e)
	}
}

func TestRedact(t *testing.T) {
	cases := map[string]string{
		"Authorization: Basic dXNlcjo=": "Authorization: " + Redacted,
		`{"api_key":"abc123"}`:          `{"api_key":"` + Redacted + `"}`,
		"https://user:pw@host/x":        "https://" + Redacted + "@host/x",
		"token=xyz&page=2":              "token=" + Redacted + "&page=2",
		"nothing secret here":           "nothing secret here",
		"key mysecretvalue in text":     "key " + Redacted + " in text",
	}
	for in, want := range cases {
		if got := Redact(in, "mysecretvalue"); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorKinds(t *testing.T) {
	e := NewError(KindForStatus(410), "get 1", 410, "deleted", "This resource has been deleted")
	if !errors.Is(e, ErrGone) || errors.Is(e, ErrNotFound) {
		t.Fatal("kind mismatch")
	}
	var pe *Error
	if !errors.As(error(e), &pe) || pe.Name != "deleted" {
		t.Fatal("errors.As failed")
	}
	for status, kind := range map[int]error{401: ErrUnauthorized, 403: ErrForbidden, 404: ErrNotFound, 409: ErrConflict,
		422: ErrInvalid, 400: ErrInvalid, 429: ErrRateLimited, 500: ErrUnavailable, 503: ErrUnavailable, 402: ErrProvider} {
		if KindForStatus(status) != kind {
			t.Errorf("status %d -> %v", status, KindForStatus(status))
		}
	}
	msg := NewError(ErrInvalid, "copy", 400, "bad_request", "title\x1b]0;x\x07 too long").Error()
	if strings.ContainsRune(msg, 0x1b) || !strings.Contains(msg, "copy: invalid input (HTTP 400 bad_request): title too long") {
		t.Fatalf("message = %q", msg)
	}
}

func TestUserAgentAndPathEscaping(t *testing.T) {
	var ua, path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua, path = r.UserAgent(), r.URL.EscapedPath()
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	c := fastClient(t, srv.URL+"/v3", nil)
	if _, err := c.Do(context.Background(), &Request{Method: "GET", Path: "signature_request/a%2Fb"}); err != nil {
		t.Fatal(err)
	}
	if ua != "signdeck/"+version() || path != "/v3/signature_request/a%2Fb" {
		t.Fatalf("ua=%q path=%q", ua, path)
	}
}

func TestExhaustedBudgetFailsFastPastMaxRateWait(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("X-RateLimit-Limit", "100")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	c := fastClient(t, srv.URL, func(c *ClientConfig) { c.MaxRateWait = time.Second })
	if _, err := c.Do(context.Background(), &Request{Method: "GET", Path: "a"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := c.Do(context.Background(), &Request{Method: "GET", Path: "b", Op: "list"})
	var pe *Error
	if !errors.As(err, &pe) || !errors.Is(err, ErrRateLimited) || pe.RetryAt.Before(time.Now().Add(59*time.Minute)) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 500*time.Millisecond || n.Load() != 1 {
		t.Fatalf("waited %v, sent %d requests", time.Since(start), n.Load())
	}
}

func TestInterruptedPostIsAmbiguous(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer srv.Close()
	defer close(release)
	c := fastClient(t, srv.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Do(ctx, &Request{Method: "POST", Path: "send"})
	if !errors.Is(err, ErrAmbiguous) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("POST err = %v", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	_, err = c.Do(ctx2, &Request{Method: "GET", Path: "list"})
	if errors.Is(err, ErrAmbiguous) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("GET err = %v", err)
	}
}

// TestAbsurdResetIsCapped: a reset years ahead (a broken header, or one in
// milliseconds) holds the account for at most MaxResetAhead, not forever.
func TestAbsurdResetIsCapped(t *testing.T) {
	for _, reset := range []int64{time.Now().Add(10 * 365 * 24 * time.Hour).Unix(), time.Now().UnixMilli()} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-RateLimit-Limit", "100")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(reset, 10))
			w.WriteHeader(429)
		}))
		c := fastClient(t, srv.URL, func(c *ClientConfig) { c.MaxRateWait = time.Second })
		resp, err := c.Do(context.Background(), &Request{Method: "GET", Path: "a"})
		limit := time.Now().Add(MaxResetAhead + time.Minute)
		if err != nil || resp.Status != 429 || resp.RetryAt().After(limit) {
			t.Errorf("reset %d: %+v %v", reset, resp, err)
		}
		if b := c.Budget(); !b.Waiting || b.Reset.After(limit) {
			t.Errorf("reset %d: budget %+v", reset, b)
		}
		var pe *Error
		_, err = c.Do(context.Background(), &Request{Method: "GET", Path: "b"})
		if !errors.As(err, &pe) || !errors.Is(err, ErrRateLimited) || pe.RetryAt.After(limit) {
			t.Errorf("reset %d: next call %v", reset, err)
		}
		srv.Close()
	}
}

// TestLimiterPastTheDeadlineIsADeadline: when the limiter's next token
// comes after the caller's deadline, the call fails at once with an error
// that is context.DeadlineExceeded (rate.Limiter's own error is not).
func TestLimiterPastTheDeadlineIsADeadline(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) }))
	defer srv.Close()
	c := fastClient(t, srv.URL, func(c *ClientConfig) { c.Limiter = NewLimiter(1, time.Minute, 1) })
	if _, err := c.Do(context.Background(), &Request{Method: "GET", Path: "a"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.Do(ctx, &Request{Method: "GET", Path: "b", Op: "list"})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second || !strings.Contains(err.Error(), "rate limit") {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

func TestKindOf(t *testing.T) {
	wrapped := fmt.Errorf("outer: %w", NewError(ErrGone, "get", 410, "deleted", ""))
	if KindOf(wrapped) != ErrGone || KindOf(errors.New("plain")) != ErrProvider || KindOf(context.Canceled) != ErrProvider {
		t.Fatal("KindOf mismatch")
	}
}

// TestRateTiersAreSeparate: a small tier's headers (10/min, exhausted
// until an hour from now) hold only that tier; the standard tier's calls
// go at once, and Budget reports the standard tier with every tier listed.
func TestRateTiersAreSeparate(t *testing.T) {
	reset := time.Now().Add(time.Hour).Unix()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/send" {
			w.Header().Set("X-RateLimit-Limit", "10")
			w.Header().Set("X-RateLimit-Remaining", "0")
		} else {
			w.Header().Set("X-RateLimit-Limit", "100")
			w.Header().Set("X-RateLimit-Remaining", "97")
		}
		w.Header().Set("X-Ratelimit-Reset", fmt.Sprint(reset))
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	c := fastClient(t, srv.URL, nil)
	if _, err := c.Do(context.Background(), &Request{Method: "POST", Path: "send", Tier: TierTest}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := c.Do(context.Background(), &Request{Method: "GET", Path: "list"}); err != nil {
			t.Fatalf("standard call %d after the test tier ran out: %v", i, err)
		}
	}
	b := c.Budget()
	if b.Tier != TierStandard || b.Limit != 100 || b.Remaining != 97 || b.Waiting {
		t.Errorf("standard budget %+v, want 97/100 not waiting", b)
	}
	var test *Budget
	for i := range b.Tiers {
		if b.Tiers[i].Tier == TierTest {
			test = &b.Tiers[i]
		}
	}
	if test == nil || test.Limit != 10 || test.Remaining != 0 || !test.Waiting {
		t.Errorf("tiers %+v: want the test tier at 0/10, waiting", b.Tiers)
	}
	// The held tier fails fast (its reset is past MaxRateWait) while the
	// standard tier still works.
	if _, err := c.Do(context.Background(), &Request{Method: "POST", Path: "send", Tier: TierTest}); !errors.Is(err, ErrRateLimited) {
		t.Errorf("test tier after exhaustion: %v, want ErrRateLimited", err)
	}
}
