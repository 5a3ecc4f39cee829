package constellation

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// Base URLs (reference §1: "Stage https://api.stage.esignonline.net/rest",
// "Production https://api.esignonline.net/rest"). Paths are v1/... under
// them.
const (
	DefaultBaseURL = "https://api.esignonline.net/rest"
	StageBaseURL   = "https://api.stage.esignonline.net/rest"
)

// DefaultReturnURL is sent as the returnURL a cancel requires when the
// account sets none. The vendor only says "Required. Your Host URL."
// (reference §4.1, §6.1) and documents no value; this placeholder is the
// vendor's own site, the same default as config.DefaultReturnURL.
const DefaultReturnURL = "https://www.esignonline.net/"

// ProviderName names the provider in errors and logs.
const ProviderName = string(models.Constellation1)

// PageSize is the lite list's page size: "Maximum value is 50"
// (reference §4.12). The buckets document no maximum; the same size is
// used.
const PageSize = 50

// Buckets are the extra list views (reference §4.10), with the status
// each implies for rows that carry none.
var bucketStatus = map[string]models.Status{
	"expired":  models.StatusExpired,
	"archived": models.StatusArchived,
	"deleted":  models.StatusDeleted,
}

var bucketNames = []string{"expired", "archived", "deleted"}

// Config configures a Client.
type Config struct {
	Account string
	// BaseURL defaults to DefaultBaseURL; StageBaseURL is the stage
	// environment.
	BaseURL string
	APIKey  string
	// Username is the user's email, needed by the list call.
	Username string
	// Transactions are the transaction ids whose sessions List shows:
	// the API can only list sessions by transaction id.
	Transactions []string
	// ReturnURL is required by cancel; default DefaultReturnURL.
	ReturnURL  string
	Logger     *slog.Logger
	HTTPClient *http.Client
	// Tune lets tests adjust backoff, retries, timeouts and the limiter.
	Tune func(*providers.ClientConfig)
}

// Client is one configured Constellation1 eSign account. It is safe for
// concurrent use.
type Client struct {
	account      string
	username     string
	transactions []string
	returnURL    string
	hc           *providers.Client
	log          *slog.Logger
	now          func() time.Time
	salt         string

	encMu  sync.Mutex
	apiKey string // for the encrypt call; cleared once encrypted
	encKey string

	mu     sync.Mutex
	flight *flight
	// fetch gets a new token; tests replace it.
	fetch func(context.Context) (string, error)

	secMu     sync.RWMutex
	keyForm   []string            // the API key, plain and as escaped in the encrypt path: redaction only
	encSecret string              // the encrypted key
	tokens    *providers.Redactor // every token this client has used
}

var _ providers.Provider = (*Client)(nil)

// maxTokens bounds how many tokens are kept for redaction: far more than
// a process uses (a token lasts hours), so every token it has used is
// redacted, even one a vendor echoes long after it was replaced.
const maxTokens = 100_000

// New checks cfg and returns a Client. It makes no network call.
func New(cfg Config) (*Client, error) {
	acct := models.CleanText(cfg.Account)
	key := cfg.APIKey
	if strings.TrimSpace(key) == "" {
		return nil, fmt.Errorf("constellation1: account %q: the API key is empty", acct)
	}
	if strings.ContainsAny(key, "\r\n\x00") {
		return nil, fmt.Errorf("constellation1: account %q: the API key holds a line break or NUL", acct)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.ReturnURL == "" {
		cfg.ReturnURL = DefaultReturnURL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	var txs []string
	seen := map[string]bool{}
	for _, tx := range cfg.Transactions {
		if tx = strings.TrimSpace(tx); tx != "" && !seen[tx] {
			seen[tx] = true
			txs = append(txs, tx)
		}
	}
	salt, err := newSalt()
	if err != nil {
		return nil, fmt.Errorf("constellation1: account %q: making a salt: %v", acct, err)
	}
	c := &Client{
		account:      cfg.Account,
		username:     strings.TrimSpace(cfg.Username),
		transactions: txs,
		returnURL:    cfg.ReturnURL,
		log:          cfg.Logger,
		salt:         salt,
		apiKey:       key,
		tokens:       providers.NewRedactor(),
	}
	// The encrypt call puts the key in the URL path, so the forms it takes
	// there are secrets too.
	c.keyForm = dedupe([]string{key, url.PathEscape(key), url.QueryEscape(key)})
	c.fetch = c.fetchToken
	cc := providers.ClientConfig{
		Provider:   ProviderName,
		Account:    cfg.Account,
		BaseURL:    cfg.BaseURL,
		HTTPClient: cfg.HTTPClient,
		Logger:     cfg.Logger,
		// Every call costs a token call too (the vendor asks for a fresh
		// token before each request) and the vendor documents no rate
		// limit, so allow more than the shared default of 100/min.
		Limiter: providers.NewLimiter(300, time.Minute, 20),
	}
	if cfg.Tune != nil {
		cfg.Tune(&cc)
	}
	// Tune may add secrets but not drop ours: they keep the key out of
	// errors and logs.
	if tuned := cc.Secrets; tuned != nil {
		cc.Secrets = func() []string { return append(tuned(), c.secrets()...) }
	} else {
		cc.Secrets = c.secrets
	}
	hc, err := providers.NewClient(cc)
	if err != nil {
		return nil, fmt.Errorf("constellation1: account %q: %s", acct, providers.Redact(err.Error(), c.secrets()...))
	}
	c.hc = hc
	c.now = cc.Now
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// secrets returns the values to strip from logs and errors: the API key
// (plain and escaped), the encrypted key and the recent tokens.
func (c *Client) secrets() []string {
	c.secMu.RLock()
	defer c.secMu.RUnlock()
	toks := c.tokens.Secrets()
	out := make([]string, 0, len(c.keyForm)+len(toks)+1)
	out = append(out, c.keyForm...)
	if c.encSecret != "" {
		out = append(out, c.encSecret)
	}
	out = append(out, toks...)
	return out
}

// addToken records a token for redaction. Every token is kept (up to
// maxTokens, after which the oldest half is dropped).
func (c *Client) addToken(tok string) {
	c.secMu.Lock()
	defer c.secMu.Unlock()
	if c.tokens.Len() >= maxTokens {
		all := c.tokens.Secrets()
		c.tokens = providers.NewRedactor(all[len(all)/2:]...)
	}
	c.tokens.Add(tok)
}

// Kind names the provider.
func (c *Client) Kind() models.ProviderKind { return models.Constellation1 }

// Account returns the configured account name.
func (c *Client) Account() string { return c.account }

// Budget reports the rate-limit budget last seen.
func (c *Client) Budget() providers.Budget { return c.hc.Budget() }

// Transactions returns the watched transaction ids.
func (c *Client) Transactions() []string { return append([]string(nil), c.transactions...) }

// Capabilities says what this provider can do.
func (c *Client) Capabilities() providers.Capabilities {
	caps := providers.Capabilities{
		Cancel:      true,
		AsyncCancel: false, // CancelSession answers "True" once done
		Copy:        true,
		ActionLog:   true,
		LiteList:    true,
		Query:       false,
		Buckets:     append([]string(nil), bucketNames...),
		CopyOptions: []string{"retain_fields", "transaction_id", "cancel_original"},
		// The copy call keeps the source's message and has no subject.
		CopyFixed: []string{"subject", "message"},
		Limits: models.CopyLimits{
			// "Error: All signers must have a last name and valid email
			// address." (reference §6.5). The vendor documents no other
			// limit on a copy.
			RequireLastName: true,
		},
	}
	actionCaps(&caps)
	return caps
}

// Verify gets a token, which proves the API key, and looks the configured
// user up for display.
func (c *Client) Verify(ctx context.Context) (providers.AccountInfo, error) {
	if _, err := c.token(ctx); err != nil {
		return providers.AccountInfo{}, err
	}
	if c.username == "" {
		return providers.AccountInfo{Who: "API key", Detail: "the API key works; no username is set, so sessions cannot be listed"}, nil
	}
	info := providers.AccountInfo{Who: c.username, Detail: "API key accepted"}
	u, err := c.user(ctx)
	switch {
	case err == nil:
		if who := u.str("Username", "UserName", "Email"); who != "" {
			info.Who = models.CleanText(who)
		}
		var parts []string
		if n := strings.TrimSpace(u.str("FirstName") + " " + u.str("LastName")); n != "" {
			parts = append(parts, models.CleanText(n))
		}
		if co := u.str("Company"); co != "" {
			parts = append(parts, models.CleanText(co))
		}
		if st, ok := u.num("StatusCode", "Status"); ok && st == 0 {
			parts = append(parts, "user is inactive")
		}
		if len(parts) > 0 {
			info.Detail = strings.Join(parts, ", ")
		}
		return info, nil
	case isKind(err, providers.ErrInvalid, providers.ErrNotFound, providers.ErrUnauthorized):
		// The key works but the username does not: listing would fail.
		return providers.AccountInfo{}, err
	}
	info.Detail = "API key accepted; the user lookup failed: " + c.hc.Redact(err.Error())
	return info, nil
}

// user gets the configured user: GET v1/users?username={userName}
// (reference §3 U3), answered with a UserResponse ("a User Object in the
// Users array").
func (c *Client) user(ctx context.Context) (obj, error) {
	op := "verify user"
	resp, err := c.call(ctx, apiCall{method: http.MethodGet, path: "v1/users",
		query: url.Values{"username": {c.username}}, op: op})
	if err != nil {
		return nil, err
	}
	if err := c.checkHTTP(resp, op, false); err != nil {
		return nil, err
	}
	raw, err := parseBody(resp.Body)
	if err != nil {
		return nil, c.badBody(op, resp.Body)
	}
	env := readEnvelope(raw)
	var users []obj
	collect := func(els []json.RawMessage) {
		for _, e := range els {
			if o, ok := asObj(e); ok {
				users = append(users, o)
			}
		}
	}
	if els, ok := rawList(raw); ok {
		collect(els)
	} else if env.o != nil {
		if els, ok := env.o.list("Users", "User"); ok {
			collect(els)
		} else if env.o.has("Username", "SystemUserID") {
			users = append(users, env.o)
		}
	}
	for _, u := range users {
		if strings.EqualFold(u.str("Username", "UserName", "Email"), c.username) {
			return u, nil
		}
	}
	if len(users) > 0 {
		return users[0], nil
	}
	if len(env.details) > 0 {
		return nil, c.logicalError(op, env)
	}
	return nil, c.errorf(providers.ErrInvalid, op, "user "+c.username+" was not found")
}
