package providers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// maxErrorBody caps the body of a non-2xx answer to a streamed request.
const maxErrorBody = 64 << 10

// StreamResponse is the answer to Stream.
type StreamResponse struct {
	Status int
	Header http.Header
	// Body is the unread body of a 2xx answer; the caller reads it to the
	// end or closes it. Reads fail when no byte arrives for the client's
	// Timeout. Nil for any other status.
	Body io.ReadCloser
	// Length is the announced size of Body, -1 when unknown.
	Length int64
	// Answer is a non-2xx answer read in full (body capped at 64 KiB), for
	// the caller's error mapping; nil for a 2xx answer.
	Answer *Response
}

// Stream sends an idempotent request (GET) whose 2xx body may be large: it
// is handed to the caller unread instead of being held in memory under
// MaxBody. lim paces the call and learns from the answer's rate-limit
// headers (nil: the client's own limiter), so an endpoint with its own
// limit tier (Dropbox Sign's files: 25/min) does not spend or confuse the
// standard budget. Network errors, 5xx and 429 are retried as Do retries
// an idempotent request; any other answer is returned. The client's
// Timeout bounds the wait for the headers and each pause in the body.
func (c *Client) Stream(ctx context.Context, req *Request, lim *Limiter) (*StreamResponse, error) {
	if !idempotent(req.Method) {
		return nil, fmt.Errorf("providers: Stream is for idempotent requests, not %s", req.Method)
	}
	if lim == nil {
		lim = c.cfg.Limiter
	}
	u := c.urlFor(req)
	logPath := c.Redact(u.EscapedPath())
	var rateWaited time.Duration
	for attempt := 1; ; attempt++ {
		if held := lim.HeldUntil(); !held.IsZero() && held.Sub(c.cfg.Now()) > c.cfg.MaxRateWait {
			e := c.NewError(ErrRateLimited, req.Op, 0, "", "the rate-limit budget is exhausted")
			e.RetryAt = held
			return nil, e
		}
		if err := lim.Wait(ctx); err != nil {
			if ctx.Err() == nil {
				return nil, fmt.Errorf("%w: the rate limit allows no %s call before the deadline", context.DeadlineExceeded, req.Op)
			}
			return nil, err
		}
		sr, err := c.streamOnce(ctx, req, u.String())
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			c.cfg.Logger.Debug("http stream", "provider", c.cfg.Provider, "account", c.cfg.Account,
				"method", req.Method, "path", logPath, "error", c.Redact(err.Error()), "attempt", attempt)
			if attempt <= c.cfg.MaxRetries {
				if err := c.sleep(ctx, c.backoff(attempt)); err != nil {
					return nil, err
				}
				continue
			}
			e := c.NewError(ErrUnavailable, req.Op, 0, "", "")
			e.Err = errors.New(c.Redact(err.Error()))
			return nil, e
		}
		var rate RateInfo
		if info, ok := c.cfg.RateHeaders(sr.Header, c.cfg.Now()); ok {
			if limit := c.cfg.Now().Add(MaxResetAhead); info.Reset.After(limit) {
				info.Reset = limit
			}
			rate = info
			lim.Observe(info)
		}
		c.cfg.Logger.Debug("http stream", "provider", c.cfg.Provider, "account", c.cfg.Account,
			"method", req.Method, "path", logPath, "status", sr.Status, "attempt", attempt)
		if sr.Answer != nil {
			sr.Answer.Attempts, sr.Answer.Rate = attempt, rate
		}
		switch {
		case sr.Status == http.StatusTooManyRequests:
			reset := rate.Reset
			now := c.cfg.Now()
			if reset.IsZero() || !reset.After(now) {
				reset = now.Add(c.backoff(attempt))
			}
			lim.Block(reset)
			wait := reset.Sub(now)
			if attempt <= c.cfg.MaxRetries && rateWaited+wait <= c.cfg.MaxRateWait {
				rateWaited += wait
				continue
			}
		case sr.Status >= 500 && attempt <= c.cfg.MaxRetries:
			if err := c.sleep(ctx, c.backoff(attempt)); err != nil {
				return nil, err
			}
			continue
		}
		return sr, nil
	}
}

// streamOnce sends one attempt. A 2xx body is returned unread behind an
// idle timeout; any other body is read (capped).
func (c *Client) streamOnce(ctx context.Context, req *Request, target string) (*StreamResponse, error) {
	actx, cancel := context.WithCancel(ctx)
	hr, err := http.NewRequestWithContext(actx, req.Method, target, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	hr.Header.Set("User-Agent", "signdeck/"+version())
	if hr.Header.Get("Accept") == "" {
		hr.Header.Set("Accept", "*/*")
	}
	// The headers must come within Timeout.
	headerTimer := time.AfterFunc(c.cfg.Timeout, cancel)
	hresp, err := c.hc.Do(hr)
	if !headerTimer.Stop() && err == nil {
		// The timer fired as the answer arrived: treat it as a timeout.
		_ = hresp.Body.Close()
		err = errors.New("no answer within " + c.cfg.Timeout.String())
	}
	if err != nil {
		cancel()
		return nil, err
	}
	sr := &StreamResponse{Status: hresp.StatusCode, Header: hresp.Header, Length: hresp.ContentLength}
	if hresp.StatusCode < 200 || hresp.StatusCode > 299 {
		defer cancel()
		defer hresp.Body.Close()
		data, err := io.ReadAll(io.LimitReader(hresp.Body, maxErrorBody))
		if err != nil {
			return nil, fmt.Errorf("reading the response body (HTTP %d): %w", hresp.StatusCode, err)
		}
		sr.Answer = &Response{Status: hresp.StatusCode, Header: hresp.Header, Body: data}
		sr.Length = int64(len(data))
		return sr, nil
	}
	sr.Body = &idleBody{rc: hresp.Body, cancel: cancel, idle: c.cfg.Timeout,
		timer: time.AfterFunc(c.cfg.Timeout, cancel)}
	return sr, nil
}

// idleBody cancels its request when no byte arrives for idle.
type idleBody struct {
	rc     io.ReadCloser
	cancel context.CancelFunc
	idle   time.Duration
	mu     sync.Mutex
	timer  *time.Timer
	closed bool
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.mu.Lock()
		if !b.closed {
			b.timer.Reset(b.idle)
		}
		b.mu.Unlock()
	}
	if err != nil && err != io.EOF && !b.timer.Stop() {
		err = fmt.Errorf("no data for %s: %w", b.idle, err)
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.mu.Lock()
	b.closed = true
	b.timer.Stop()
	b.mu.Unlock()
	err := b.rc.Close()
	b.cancel()
	return err
}
