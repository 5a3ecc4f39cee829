package providers

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// userAgentVersion is reported in the User-Agent; SetVersion sets it.
var userAgentVersion atomic.Pointer[string]

// SetVersion sets the version the User-Agent reports. Safe to call while
// requests are in flight (a front end sets it on every run).
func SetVersion(v string) { userAgentVersion.Store(&v) }

func version() string {
	if v := userAgentVersion.Load(); v != nil {
		return *v
	}
	return "dev"
}

// Defaults of the shared HTTP behaviour.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultMaxBody     = 16 << 20
	DefaultMaxRetries  = 3
	DefaultMaxRateWait = 2 * time.Minute
	DefaultBackoffBase = 500 * time.Millisecond
	DefaultBackoffMax  = 10 * time.Second
	// MaxResetAhead bounds how far ahead an announced rate-limit reset is
	// believed. The vendors' windows are a minute (an hour in legacy
	// docs); a reset years away (a broken or hostile header, or one in
	// milliseconds) would otherwise hold every call of the account for the
	// life of the process.
	MaxResetAhead = time.Hour
)

// ClientConfig configures a Client. Zero values take the defaults.
type ClientConfig struct {
	Provider string // "dropboxsign", "constellation1"
	Account  string
	BaseURL  string // https, or http on loopback (CheckBaseURL)
	// HTTPClient sends the requests; its Timeout is ignored in favour of
	// Timeout (per attempt).
	HTTPClient *http.Client
	Timeout    time.Duration // per attempt
	MaxBody    int64         // response body cap in bytes
	MaxRetries int           // extra attempts for idempotent requests; <0 means none
	// MaxRateWait bounds how long a 429 may hold an idempotent request
	// before it fails with ErrRateLimited.
	MaxRateWait time.Duration
	BackoffBase time.Duration
	BackoffMax  time.Duration
	Logger      *slog.Logger // debug log; nil discards
	// Secrets returns the credential values to strip from logs and
	// errors (API key, encrypted key, current token).
	Secrets func() []string
	// RateHeaders reads the provider's rate-limit headers; nil uses
	// StandardRateHeaders.
	RateHeaders func(h http.Header, now time.Time) (RateInfo, bool)
	Limiter     *Limiter // per account; nil makes one at 100/min, burst 10
	Now         func() time.Time
}

// Client is the HTTP client every provider uses.
type Client struct {
	cfg  ClientConfig
	base *url.URL
	hc   *http.Client
}

// Request is one API call. Path is relative to the base URL and must have
// its segments escaped already (url.PathEscape).
type Request struct {
	Method      string
	Path        string
	Query       url.Values
	Header      http.Header // extra headers (Authorization, Content-Type)
	Body        []byte
	ContentType string
	// Op names the call for errors and logs ("list", "cancel 1234").
	Op string
	// Retry429 marks a call the vendor guarantees it did not execute when
	// it answers 429, so waiting for the reset and sending again is not a
	// blind retry. Only used for non-idempotent methods.
	Retry429 bool
	// Tier is the rate-limit tier the call counts against ("" is
	// TierStandard): it waits on, and its answer's headers tune, that
	// tier's budget only.
	Tier string
}

// Response is a complete HTTP response, body read and capped.
type Response struct {
	Status   int
	Header   http.Header
	Body     []byte
	Attempts int
	Rate     RateInfo
}

// NewClient checks the config and returns a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	if err := CheckBaseURL(cfg.BaseURL); err != nil {
		return nil, err
	}
	base, _ := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	} else if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.MaxRateWait <= 0 {
		cfg.MaxRateWait = DefaultMaxRateWait
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = DefaultBackoffBase
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RateHeaders == nil {
		cfg.RateHeaders = StandardRateHeaders
	}
	if cfg.Limiter == nil {
		cfg.Limiter = NewLimiter(100, time.Minute, 10)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: defaultTransport()}
	}
	// Never follow redirects to another host with our credentials: the
	// APIs do not redirect, so a redirect is an error.
	hcCopy := *hc
	hcCopy.Timeout = 0
	hcCopy.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{cfg: cfg, base: base, hc: &hcCopy}, nil
}

var (
	transportOnce sync.Once
	transport     *http.Transport
)

func defaultTransport() *http.Transport {
	transportOnce.Do(func() {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16
		t.ResponseHeaderTimeout = DefaultTimeout
		transport = t
	})
	return transport
}

// Limiter returns the client's rate limiter.
func (c *Client) Limiter() *Limiter { return c.cfg.Limiter }

// Budget returns the rate-limit budget last seen.
func (c *Client) Budget() Budget { return c.cfg.Limiter.Budget() }

// BaseURL returns the base URL.
func (c *Client) BaseURL() string { return c.base.String() }

// Redact strips the client's secrets and credential patterns from s.
func (c *Client) Redact(s string) string {
	var secrets []string
	if c.cfg.Secrets != nil {
		secrets = c.cfg.Secrets()
	}
	return Redact(s, secrets...)
}

// NewError builds a typed error for this client's account, redacted.
func (c *Client) NewError(kind error, op string, status int, name, msg string) *Error {
	var secrets []string
	if c.cfg.Secrets != nil {
		secrets = c.cfg.Secrets()
	}
	e := NewError(kind, op, status, name, msg, secrets...)
	e.Provider, e.Account = c.cfg.Provider, c.cfg.Account
	return e
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

// urlFor is req's address: its escaped path under the base URL, and its
// query.
func (c *Client) urlFor(req *Request) url.URL {
	u := *c.base
	u.Path = c.base.Path + "/" + strings.TrimLeft(req.Path, "/")
	u.RawPath = c.base.EscapedPath() + "/" + strings.TrimLeft(req.Path, "/")
	if unescaped, err := url.PathUnescape(u.RawPath); err == nil {
		u.Path = unescaped
	}
	if len(req.Query) > 0 {
		u.RawQuery = req.Query.Encode()
	}
	return u
}

// Do sends req. Idempotent requests are retried with exponential backoff
// and jitter on network errors, 429 (after the announced reset, bounded by
// MaxRateWait) and 5xx. Other requests are sent once (but see
// Request.Retry429). Do returns the final response for any HTTP status;
// its error is a transport failure as an *Error: ErrUnavailable when the
// request certainly did not take effect, ErrAmbiguous when a
// non-idempotent request may have, ErrResponse for an oversized or broken
// body, or the context's error.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	idem := idempotent(req.Method)
	u := c.urlFor(req)
	logPath := c.Redact(u.EscapedPath())
	var rateWaited time.Duration
	for attempt := 1; ; attempt++ {
		// An announced reset further away than MaxRateWait fails fast
		// instead of hanging the caller until then.
		if held := c.cfg.Limiter.HeldUntilTier(req.Tier); !held.IsZero() && held.Sub(c.cfg.Now()) > c.cfg.MaxRateWait {
			e := c.NewError(ErrRateLimited, req.Op, 0, "", "the rate-limit budget is exhausted")
			e.RetryAt = held
			return nil, e
		}
		if err := c.cfg.Limiter.WaitTier(ctx, req.Tier); err != nil {
			if ctx.Err() == nil {
				// rate.Limiter refuses at once when the next token comes
				// after ctx's deadline ("rate: Wait(n=1) would exceed
				// context deadline"): report it as the deadline it is.
				return nil, fmt.Errorf("%w: the rate limit allows no %s call before the deadline", context.DeadlineExceeded, req.Op)
			}
			return nil, err
		}
		if !idempotentRead(req.Method) {
			// The caller records that a write goes out now (the journal):
			// a crash before this point certainly sent nothing.
			if err := Dispatch(ctx); err != nil {
				e := c.NewError(ErrUnavailable, req.Op, 0, "", "not sent: "+err.Error())
				e.Err = err
				return nil, e
			}
		}
		start := c.cfg.Now()
		resp, err := c.once(ctx, req, u.String())
		dur := time.Since(start)
		if err != nil {
			if ctx.Err() != nil {
				if idem {
					return nil, ctx.Err()
				}
				// The request may have reached the server before the
				// caller gave up: its outcome is unknown.
				e := c.NewError(ErrAmbiguous, req.Op, 0, "", "interrupted before the answer arrived")
				e.Err = ctx.Err()
				return nil, e
			}
			notSent := dialFailure(err)
			tooLarge := errors.Is(err, errBodyTooLarge)
			c.cfg.Logger.Debug("http", "provider", c.cfg.Provider, "account", c.cfg.Account,
				"method", req.Method, "path", logPath, "error", c.Redact(err.Error()), "duration", dur, "attempt", attempt)
			// An oversized answer is not a transient fault: asking again
			// would only download it again.
			if (idem || notSent) && !tooLarge && attempt <= c.cfg.MaxRetries {
				if err := c.sleep(ctx, c.backoff(attempt)); err != nil {
					return nil, err
				}
				continue
			}
			kind := ErrUnavailable
			switch {
			case !idem && !notSent:
				// Includes an oversized answer to a write: the server
				// answered, so the write may well have taken effect, and
				// its answer cannot be read. Callers resolve ErrAmbiguous
				// (look before retrying); ErrResponse would hide that.
				kind = ErrAmbiguous
			case tooLarge:
				kind = ErrResponse
			}
			e := c.NewError(kind, req.Op, 0, "", "")
			e.Err = errors.New(c.Redact(err.Error()))
			return nil, e
		}
		resp.Attempts = attempt
		if info, ok := c.cfg.RateHeaders(resp.Header, c.cfg.Now()); ok {
			if limit := c.cfg.Now().Add(MaxResetAhead); info.Reset.After(limit) {
				c.cfg.Logger.Warn("rate-limit reset too far ahead; capped", "provider", c.cfg.Provider,
					"account", c.cfg.Account, "reset", info.Reset, "cap", MaxResetAhead)
				info.Reset = limit
			}
			resp.Rate = info
			c.cfg.Limiter.ObserveTier(req.Tier, info)
		}
		c.cfg.Logger.Debug("http", "provider", c.cfg.Provider, "account", c.cfg.Account,
			"method", req.Method, "path", logPath, "status", resp.Status, "duration", dur, "attempt", attempt)
		switch {
		case resp.Status == http.StatusTooManyRequests:
			reset := resp.Rate.Reset
			now := c.cfg.Now()
			if reset.IsZero() || !reset.After(now) {
				reset = now.Add(c.backoff(attempt))
			}
			c.cfg.Limiter.BlockTier(req.Tier, reset)
			wait := reset.Sub(now)
			if (idem || req.Retry429) && attempt <= c.cfg.MaxRetries && rateWaited+wait <= c.cfg.MaxRateWait {
				rateWaited += wait
				// The limiter holds the next attempt until the reset.
				continue
			}
			return resp, nil
		case resp.Status >= 500 && idem && attempt <= c.cfg.MaxRetries:
			if err := c.sleep(ctx, c.backoff(attempt)); err != nil {
				return nil, err
			}
			continue
		}
		return resp, nil
	}
}

var errBodyTooLarge = errors.New("response body too large")

func (c *Client) once(ctx context.Context, req *Request, target string) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, target, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	if req.ContentType != "" {
		hr.Header.Set("Content-Type", req.ContentType)
	}
	if req.Body == nil && (req.Method == http.MethodPost || req.Method == http.MethodPut) {
		hr.ContentLength = 0
		hr.Body = http.NoBody
	}
	hr.Header.Set("User-Agent", "signdeck/"+version())
	if hr.Header.Get("Accept") == "" {
		hr.Header.Set("Accept", "application/json")
	}
	hresp, err := c.hc.Do(hr)
	if err != nil {
		return nil, err
	}
	defer hresp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hresp.Body, c.cfg.MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the response body (HTTP %d): %w", hresp.StatusCode, err)
	}
	if int64(len(data)) > c.cfg.MaxBody {
		return nil, fmt.Errorf("%w: more than %s (HTTP %d)", errBodyTooLarge, byteSize(c.cfg.MaxBody), hresp.StatusCode)
	}
	return &Response{Status: hresp.StatusCode, Header: hresp.Header, Body: data}, nil
}

// byteSize writes n bytes as MiB when it is a whole number of them.
func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// dialFailure reports whether err happened before the request could reach
// the server (so a non-idempotent request certainly had no effect).
func dialFailure(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.BackoffBase << (attempt - 1)
	if d > c.cfg.BackoffMax || d <= 0 {
		d = c.cfg.BackoffMax
	}
	// Full jitter between d/2 and d*3/2.
	var b [8]byte
	_, _ = rand.Read(b[:])
	j := time.Duration(binary.LittleEndian.Uint64(b[:]) % uint64(d+1))
	return d/2 + j
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RetryAt returns when a 429 response says calls may resume.
func (r *Response) RetryAt() time.Time { return r.Rate.Reset }
