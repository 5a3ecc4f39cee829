package constellation

import (
	"context"
	"crypto/rand"
	"math/big"
	"net/http"
	"net/url"
	"strings"

	"github.com/signdeck/signdeck/providers"
)

// Authentication (reference §2):
//
//  1. Once per client, the API key is encrypted with a random salt:
//     GET v1/encrypt/{apiKey}/{salt}, no Authorization header. The
//     answer's ReturnValue is the encrypted key. Requests use only the
//     encrypted key afterwards; the plain key is kept solely as a
//     redaction pattern.
//  2. Before every API call a fresh token is fetched: GET
//     v1/gettoken/{salt} with "Authorization: <encryptedAPIKey>" (raw, no
//     scheme). "An authentication token has a very short life and should
//     be refreshed prior to every API request." Concurrent calls share
//     one refresh (a token is good for every call made while it lives).
//  3. Every other call sends "Authorization: <token>", raw, no scheme.
//
// A call the vendor refuses with "Bad Token Information" (or an
// invalid/expired token text, or HTTP 401/403 for a read) gets one new
// token and is sent once more. That is safe for a write too: a bad-token
// answer is the vendor's authentication step refusing the request before
// running it, so nothing happened. A write is only re-sent on the explicit
// token text, never on a bare 401/403 or anything ambiguous.

// saltLen is the length of the random salt. The vendor's sample salt is
// 43 characters of [A-Za-z0-9].
const saltLen = 43

const saltAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func newSalt() (string, error) {
	var b strings.Builder
	max := big.NewInt(int64(len(saltAlphabet)))
	for range saltLen {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		b.WriteByte(saltAlphabet[n.Int64()])
	}
	return b.String(), nil
}

// flight is one token refresh that concurrent callers share.
type flight struct {
	done    chan struct{}
	token   string
	err     error
	waiters int
	cancel  context.CancelFunc
}

// token returns a fresh token. A caller that arrives while a refresh is
// under way joins it; otherwise it starts one. The refresh runs detached
// from any single caller's context and is canceled only when every
// caller waiting for it has given up.
func (c *Client) token(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	c.mu.Lock()
	f := c.flight
	if f == nil {
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{done: make(chan struct{}), cancel: cancel}
		c.flight = f
		go c.run(fctx, f)
	}
	f.waiters++
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		c.mu.Lock()
		f.waiters--
		if f.waiters == 0 {
			f.cancel()
			if c.flight == f {
				c.flight = nil // later callers start afresh
			}
		}
		c.mu.Unlock()
		return "", ctx.Err()
	}
}

func (c *Client) run(ctx context.Context, f *flight) {
	tok, err := c.fetch(ctx)
	c.mu.Lock()
	f.token, f.err = tok, err
	if c.flight == f {
		c.flight = nil
	}
	c.mu.Unlock()
	f.cancel()
	close(f.done)
}

// fetchToken encrypts the API key if not done yet and gets a token.
func (c *Client) fetchToken(ctx context.Context) (string, error) {
	enc, err := c.encryptedKey(ctx)
	if err != nil {
		return "", err
	}
	const op = "get token"
	env, err := c.getEnvelope(ctx, op, "v1/gettoken/"+url.PathEscape(c.salt), http.Header{"Authorization": {enc}})
	if err != nil {
		return "", err
	}
	tok := env.returnValue
	if tok == "" || strings.EqualFold(tok, "false") || strings.EqualFold(tok, "null") {
		// "Returns null if token has expired or is invalid": a refused
		// token request is an authentication failure whatever the text.
		msg := "the provider gave no token: the API key was not accepted"
		if len(env.details) > 0 {
			msg += ": " + strings.Join(env.details, "; ")
		}
		return "", c.errorf(providers.ErrUnauthorized, op, msg)
	}
	if strings.ContainsAny(tok, "\r\n\x00") {
		return "", c.errorf(providers.ErrResponse, op, "the token holds a line break or NUL")
	}
	c.addToken(tok)
	c.log.Debug("constellation1 token refreshed", "account", c.account)
	return tok, nil
}

// encryptedKey returns the encrypted API key, encrypting it on first use.
func (c *Client) encryptedKey(ctx context.Context) (string, error) {
	c.encMu.Lock()
	defer c.encMu.Unlock()
	if c.encKey != "" {
		return c.encKey, nil
	}
	const op = "encrypt API key"
	env, err := c.getEnvelope(ctx, op, "v1/encrypt/"+url.PathEscape(c.apiKey)+"/"+url.PathEscape(c.salt), nil)
	if err != nil {
		return "", err
	}
	enc := env.returnValue
	if enc == "" || strings.EqualFold(enc, "false") {
		return "", c.logicalError(op, env)
	}
	if strings.ContainsAny(enc, "\r\n\x00") {
		return "", c.errorf(providers.ErrResponse, op, "the encrypted key holds a line break or NUL")
	}
	c.encKey = enc
	// The plain key is never sent again. It stays in memory only as a
	// redaction pattern (keyForm): the shared layer redacts by matching
	// the values Secrets returns, and a vendor text could still quote it.
	c.apiKey = ""
	c.secMu.Lock()
	c.encSecret = enc
	c.secMu.Unlock()
	c.log.Debug("constellation1 API key encrypted", "account", c.account)
	return enc, nil
}

// apiCall is one token-authenticated call.
type apiCall struct {
	method string
	path   string // relative to the base URL, segments escaped
	query  url.Values
	body   []byte
	op     string
}

// call gets a fresh token and sends a. When the vendor refuses the token
// it gets another and sends a once more (see the package comment on why
// that is safe for a write).
func (c *Client) call(ctx context.Context, a apiCall) (*providers.Response, error) {
	read := a.method == http.MethodGet
	for attempt := 1; ; attempt++ {
		tok, err := c.token(ctx)
		if err != nil {
			return nil, err
		}
		resp, err := c.hc.Do(ctx, &providers.Request{
			Method:      a.method,
			Path:        a.path,
			Query:       a.query,
			Header:      http.Header{"Authorization": {tok}},
			Body:        a.body,
			ContentType: "application/json",
			Op:          a.op,
		})
		if err != nil {
			return nil, err
		}
		if attempt == 1 {
			if refused, explicit := tokenRefused(resp, read); refused && (read || explicit) {
				c.log.Debug("constellation1 token refused; refreshing once", "account", c.account, "op", a.op,
					"status", resp.Status)
				continue
			}
		}
		return resp, nil
	}
}

// tokenRefused reports whether resp refuses the token: explicit when the
// vendor's text says so, else (reads only) an HTTP 401/403, or a null or
// empty answer ("Returns null if token has expired or is invalid").
func tokenRefused(resp *providers.Response, read bool) (refused, explicit bool) {
	if resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden {
		return true, isBadTokenText(bodyMessage(resp.Body, nil))
	}
	if resp.Status < 200 || resp.Status >= 300 {
		return false, false
	}
	if read && len(strings.TrimSpace(string(resp.Body))) == 0 {
		return true, false
	}
	raw, err := parseBody(resp.Body)
	if err != nil {
		return false, false
	}
	if read && (isNull(raw) || strings.TrimSpace(string(raw)) == "{}") {
		return true, false
	}
	env := readEnvelope(raw)
	for _, d := range env.details {
		if isBadTokenText(d) {
			return true, true
		}
	}
	if isBadTokenText(env.returnValue) {
		return true, true
	}
	return false, false
}

// getEnvelope sends one of the token flow's GETs (they carry no session
// token) and reads the RequestResponse envelope of its answer.
func (c *Client) getEnvelope(ctx context.Context, op, path string, h http.Header) (envelope, error) {
	resp, err := c.hc.Do(ctx, &providers.Request{Method: http.MethodGet, Path: path, Header: h,
		ContentType: "application/json", Op: op})
	if err != nil {
		return envelope{}, err
	}
	if err := c.checkHTTP(resp, op, false); err != nil {
		return envelope{}, err
	}
	raw, err := parseBody(resp.Body)
	if err != nil {
		return envelope{}, c.badBody(op, resp.Body)
	}
	return readEnvelope(raw), nil
}
