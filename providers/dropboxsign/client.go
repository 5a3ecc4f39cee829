// Package dropboxsign is signdeck's client for the Dropbox Sign (formerly
// HelloSign) REST API v3. It implements providers.Provider: list, get,
// asynchronous cancel with confirmation, remind, and copy with edited
// signers (send or send_with_template) guarded against double sends by an
// operation id stored in the new request's metadata.
//
// The sub-package dropboxsigntest is an in-memory emulator of the API for
// tests and the demo sandbox.
package dropboxsign

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// DefaultBaseURL is the production API.
const DefaultBaseURL = "https://api.hellosign.com/v3"

// ProviderName names the provider in errors and logs.
const ProviderName = string(models.DropboxSign)

// Vendor limits from the OpenAPI spec (SignatureRequestSendRequest).
const (
	MaxTitle          = 255
	MaxSubject        = 255
	MaxMessage        = 5000
	MaxMetadataKeys   = 10
	MaxMetadataKeyLen = 40
	MaxMetadataValue  = 1000
)

// Metadata keys signdeck writes on a copy.
const (
	MetaSource    = "signdeck_source"
	MetaOperation = "signdeck_op"
)

// CancelPendingTTL is how long a queued cancel makes a request that still
// looks open show as cancel_pending (and so not be canceled again).
// Dropbox Sign says to check and retry a cancel that is not confirmed
// within 60 minutes.
const CancelPendingTTL = time.Hour

const cancelPendingTTL = CancelPendingTTL

// Config configures a Client.
type Config struct {
	Account string
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	APIKey  string
	// TestMode is the account's test_mode: copies are sent as test requests.
	TestMode bool
	// Team lists the whole team's requests (account_id=all).
	Team       bool
	Logger     *slog.Logger
	HTTPClient *http.Client
	// Tune lets tests adjust backoff, retries, timeouts and the limiter.
	Tune func(*providers.ClientConfig)
	// QueuedCancels seeds the client with cancels queued earlier, for
	// instance by another signdeck process: request id -> when it was
	// queued. Dropbox Sign shows nothing of a queued cancel (the request
	// looks open until the cancel completes), so without this a new
	// process would show such a request as awaiting and send the cancel
	// again. Entries older than CancelPendingTTL are ignored.
	QueuedCancels map[string]time.Time
	// OnCancelQueued, when set, is called after each cancel the client
	// queued, so the caller can remember it across processes.
	OnCancelQueued func(id string, at time.Time)
	// RecoverWait bounds how long Copy keeps searching for its operation id
	// after an ambiguous send, since the vendor's search index is only eventually consistent
	// (default 6s; a negative value searches once).
	RecoverWait time.Duration
	// FindWindow is how long after an attempt FindCopy keeps searching
	// (default FindCopyWindow; negative searches once).
	FindWindow time.Duration
	// MaxListPages stops a listing after this many pages with an
	// ErrIncomplete error, against a server whose pages never end
	// (default DefaultMaxListPages).
	MaxListPages int
	// DownloadPollFirst and DownloadPollMax pace the retries of a download
	// while Dropbox Sign prepares the files (409; defaults 2s, 15s), and
	// DownloadWait bounds them (default 2 minutes; negative: no retry).
	DownloadPollFirst, DownloadPollMax, DownloadWait time.Duration
}

// DefaultMaxListPages is the page cap of a listing: 5,000 pages of 100 is
// half a million requests.
const DefaultMaxListPages = 5000

// Client is one configured Dropbox Sign account. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *providers.Client
	log  *slog.Logger
	auth string
	now  func() time.Time

	mu      sync.Mutex
	cancels map[string]time.Time // ids we queued a cancel for, and when
	// owner is the account's own email, learnt from GET /account when the
	// account lists its whole team; "" when unknown.
	owner string
	// filesLim paces the files endpoints, their own rate-limit tier (see
	// actions.go); nil until the first download.
	filesLim *providers.Limiter
}

var _ providers.Provider = (*Client)(nil)

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, fmt.Errorf("dropboxsign: account %q: the API key is empty", models.CleanText(cfg.Account))
	}
	if strings.ContainsAny(cfg.APIKey, ":\r\n") {
		return nil, fmt.Errorf("dropboxsign: account %q: the API key holds a colon or a line break", models.CleanText(cfg.Account))
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxListPages <= 0 {
		cfg.MaxListPages = DefaultMaxListPages
	}
	if cfg.RecoverWait == 0 {
		cfg.RecoverWait = 6 * time.Second
	}
	token := base64.StdEncoding.EncodeToString([]byte(cfg.APIKey + ":"))
	secrets := []string{cfg.APIKey, token, "Basic " + token}
	cc := providers.ClientConfig{
		Provider:   ProviderName,
		Account:    cfg.Account,
		BaseURL:    cfg.BaseURL,
		HTTPClient: cfg.HTTPClient,
		Logger:     cfg.Logger,
		Secrets:    func() []string { return secrets },
	}
	if cfg.Tune != nil {
		cfg.Tune(&cc)
	}
	// Tune may not drop the secrets: they are what keeps the key out of
	// errors and logs.
	if tuned := cc.Secrets; tuned == nil {
		cc.Secrets = func() []string { return secrets }
	} else {
		cc.Secrets = func() []string { return append(append([]string(nil), tuned()...), secrets...) }
	}
	hc, err := providers.NewClient(cc)
	if err != nil {
		return nil, fmt.Errorf("dropboxsign: account %q: %s", models.CleanText(cfg.Account), providers.Redact(err.Error(), secrets...))
	}
	now := cc.Now
	if now == nil {
		now = time.Now
	}
	c := &Client{cfg: cfg, http: hc, log: cfg.Logger, auth: "Basic " + token, now: now,
		cancels: map[string]time.Time{}}
	for id, at := range cfg.QueuedCancels {
		if id != "" && !at.IsZero() && now().Sub(at) <= cancelPendingTTL {
			c.cancels[id] = at
		}
	}
	return c, nil
}

// Kind names the provider.
func (c *Client) Kind() models.ProviderKind { return models.DropboxSign }

// Account returns the configured account name.
func (c *Client) Account() string { return c.cfg.Account }

// Budget reports the rate-limit budget last seen.
func (c *Client) Budget() providers.Budget { return c.http.Budget() }

// Capabilities says what this provider can do.
func (c *Client) Capabilities() providers.Capabilities {
	return providers.Capabilities{
		Cancel:      true,
		AsyncCancel: true,
		// The vendor's confirmation window for a queued cancel.
		CancelPendingTTL: CancelPendingTTL,
		Copy:             true,
		Query:            true,
		Incremental:      true,
		LiteList:         false,
		CopyOptions:      []string{"test_mode", "cancel_original", "allow_signed_source"},
		TestModeForced:   c.cfg.TestMode,
		Remind:           true,
		RemindGap:        RemindGap,
		UpdateSigner:     true,
		ExtendExpiry:     true,
		MaxExpiry:        MaxExpiry,
		Download:         true,
		DownloadFormats:  []string{"pdf", "zip"},
		WebURL:           true,
		Limits: models.CopyLimits{
			MaxTitle:   MaxTitle,
			MaxSubject: MaxSubject,
			MaxMessage: MaxMessage,
			// The vendor documents no limit on the number of signers or
			// the length of a name.
		},
	}
}

// request builds an authenticated request.
func (c *Client) request(method, path, op string) *providers.Request {
	return &providers.Request{Method: method, Path: path, Op: op,
		Header: http.Header{"Authorization": {c.auth}}}
}

// errorf builds a typed error for this account; the text is cleaned and
// redacted.
func (c *Client) errorf(kind error, op string, format string, args ...any) *providers.Error {
	return c.http.NewError(kind, op, 0, "", fmt.Sprintf(format, args...))
}

// isAmbiguous reports whether err leaves the outcome of a write unknown.
func isAmbiguous(err error) bool { return errors.Is(err, providers.ErrAmbiguous) }

// markCancel remembers that a cancel of id was queued, and tells
// OnCancelQueued.
func (c *Client) markCancel(id string) {
	at := c.now()
	c.mu.Lock()
	c.cancels[id] = at
	// Keep the map bounded: forget markers past their TTL.
	if len(c.cancels) > 1024 {
		for k, t := range c.cancels {
			if at.Sub(t) > cancelPendingTTL {
				delete(c.cancels, k)
			}
		}
	}
	c.mu.Unlock()
	if c.cfg.OnCancelQueued != nil {
		c.cfg.OnCancelQueued(id, at)
	}
}

// cancelQueuedAt returns when a cancel of id was queued, if recently.
func (c *Client) cancelQueuedAt(id string) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.cancels[id]
	return t, ok && c.now().Sub(t) <= cancelPendingTTL
}

func (c *Client) clearCancel(id string) {
	c.mu.Lock()
	delete(c.cancels, id)
	c.mu.Unlock()
}

// cancelQueued reports whether we queued a cancel of id recently.
func (c *Client) cancelQueued(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.cancels[id]
	return ok && c.now().Sub(t) <= cancelPendingTTL
}
