// Package providers holds the contract every e-signature provider client
// meets (Provider), the typed errors they return, and the HTTP behaviour
// they share: base URL policy, timeouts, body caps, retries of idempotent
// calls only, a per-account rate limiter fed by the vendor's headers, and
// credential redaction. It imports nothing from the UI or CLI.
package providers

import (
	"context"
	"time"

	"github.com/signdeck/signdeck/models"
)

// Capabilities says what a provider can do, so callers never need to know
// the vendor.
type Capabilities struct {
	Cancel bool // sessions can be canceled
	// AsyncCancel: a successful Cancel only queues the cancel; poll
	// CancelStatus until it reports StatusCanceled.
	AsyncCancel bool
	// CancelPendingTTL (AsyncCancel only) is how long a queued cancel may
	// stay invisible at the provider: within it a session signdeck queued a
	// cancel for is shown as cancel pending and not sent again.
	CancelPendingTTL time.Duration
	Copy             bool // sessions can be copied with edited signers
	// ActionLog: Get fills Session.ActionLog.
	ActionLog bool
	// LiteList: List returns summaries (Session.Complete false); call Get
	// for signers and details.
	LiteList bool
	// Query: ListQuery.Text is passed to the provider's own search.
	Query bool
	// Incremental: List honours ListQuery.CreatedSince and OpenOnly, so a
	// refresh can list what is new and what is still open instead of
	// every page (the session cache's tiers, app/sync.go).
	Incremental bool
	// Buckets are the extra list views the provider offers (e.g.
	// "expired", "archived", "deleted").
	Buckets []string
	// CopyOptions names the provider options a copy form should offer:
	// "test_mode", "cancel_original", "retain_fields", "transaction_id",
	// "allow_signed_source".
	CopyOptions []string
	// Limits constrain a CopySpec.
	Limits models.CopyLimits
	// CopyFixed names the fields a copy keeps from its source and cannot
	// change ("subject", "message"); a copy form hides them.
	CopyFixed []string
	// TestModeForced: the account sends every copy as a test request
	// (Dropbox Sign test_mode: true in the config); a copy that asks for a
	// real request is refused.
	TestModeForced bool

	// The triage actions (see actions.go). Each true one is implemented
	// by the matching interface (Reminder, Updater, Downloader,
	// DraftStarter); a false one answers ErrUnsupported.

	// Remind: pending signers can be reminded (Reminder).
	Remind bool
	// RemindGap is the vendor's least time between two reminders of one
	// signer (Dropbox Sign: an hour); 0 when it documents none. See
	// NextReminder.
	RemindGap time.Duration
	// UpdateSigner: a signer's email and name can be fixed in place (Updater).
	UpdateSigner bool
	// ExtendExpiry: the expiry date can be changed in place (Updater,
	// UpdateSpec.ExpiresAt), at most MaxExpiry from now when not 0.
	ExtendExpiry bool
	MaxExpiry    time.Duration
	// Download: the documents can be downloaded (Downloader), in these
	// formats ("pdf", "zip"); the first is the default.
	Download        bool
	DownloadFormats []string
	// StartDraft: a draft (a Constellation1 copy) can be sent (DraftStarter).
	StartDraft bool
	// WebURL: Session.URL is the session's page for a browser.
	WebURL bool
}

// ListQuery narrows a list.
type ListQuery struct {
	// Text is a provider-native search string (Dropbox Sign `query`). Only
	// used when Capabilities.Query.
	Text string
	// Bucket selects an extra view from Capabilities.Buckets; "" is the
	// normal list.
	Bucket string
	// CreatedSince, when not zero, lists only sessions created on or after
	// its day (UTC), and OpenOnly only sessions still open (neither
	// complete nor declined). Only used when Capabilities.Incremental.
	CreatedSince time.Time
	OpenOnly     bool
	// MaxPages stops after this many pages of each listing stream (0: all).
	// Constellation1 lists one stream per watched transaction.
	MaxPages int
}

// Page is one page of a streamed list.
type Page struct {
	Sessions []models.Session
	// Page is 1-based; Pages is the total when the provider says, else 0.
	Page, Pages int
	// Total is the provider's total count when it says, else -1.
	Total int
	// Warnings are problems with the page that did not stop the listing
	// (a listed row without an id, dropped), for the caller to show.
	Warnings []string
}

// AccountInfo is what Verify learns about the account behind a token.
type AccountInfo struct {
	// Who is the account's email or user name, for display.
	Who string
	// Detail is a short provider-specific note (quota, role).
	Detail string
}

// CancelResult is the outcome of a successful Cancel call.
type CancelResult struct {
	// Status is StatusCancelPending when the provider only queued the
	// cancel (AsyncCancel) and StatusCanceled when it is done.
	Status models.Status
	// Message is the provider's own text, if any.
	Message string
}

// CopyResult is the outcome of a Copy.
type CopyResult struct {
	// Session is the new session.
	Session models.Session
	// OperationID marks the new session (see models.CopySpec.OperationID).
	OperationID string
	// Recovered is true when the send failed ambiguously and the new
	// session was found by its operation id instead of being sent again.
	Recovered bool
}

// Provider is one configured account of one provider. Implementations are
// safe for concurrent use.
type Provider interface {
	// Kind names the provider; Account the configured account name.
	Kind() models.ProviderKind
	Account() string
	Capabilities() Capabilities
	// Verify checks the token and returns who it belongs to.
	Verify(ctx context.Context) (AccountInfo, error)
	// List streams the account's sessions page by page to fn, newest
	// first where the provider allows. fn returning an error stops the
	// listing and List returns that error.
	List(ctx context.Context, q ListQuery, fn func(Page) error) error
	// Get returns one full session (signers, and the action log when the
	// provider has one).
	Get(ctx context.Context, id string) (models.Session, error)
	// Cancel cancels one session. It never retries blindly.
	Cancel(ctx context.Context, id string) (CancelResult, error)
	// CancelStatus checks once whether an asynchronous cancel is done: it
	// returns StatusCanceled when confirmed, else the session's status.
	CancelStatus(ctx context.Context, id string) (models.Status, error)
	// Copy creates a new session from spec: a first attempt. It never
	// searches before sending, and sends at most once; after an ambiguous
	// failure it may look for what it sent before reporting ErrAmbiguous.
	// spec.OperationID is made by the caller (the service layer). The
	// result's OperationID is set even when err is not nil.
	// spec.Options.CancelOriginal is not acted on here: the caller cancels
	// the source once the copy exists.
	Copy(ctx context.Context, spec models.CopySpec) (CopyResult, error)
	// FindCopy looks for the session an earlier Copy attempt with
	// spec.OperationID made; q.Since (when the attempt started) bounds the
	// search and q.Exclude names sessions known to be other copies. found
	// is false when none exists (as far as the provider can tell); an
	// error means nothing may be concluded (several lookalikes, a failed
	// search) and nothing may be sent.
	FindCopy(ctx context.Context, spec models.CopySpec, q FindQuery) (s models.Session, found bool, err error)
	// Budget reports the rate-limit budget last seen.
	Budget() Budget
}

// FindQuery bounds FindCopy.
type FindQuery struct {
	// Since is when the attempt started (zero: unknown).
	Since time.Time
	// Exclude lists session ids known not to be this attempt's copy (the
	// copies other operations made).
	Exclude []string
}

// Budget is a snapshot of an account's rate-limit state.
type Budget struct {
	Limit     int       // requests per window; 0 when unknown
	Remaining int       // -1 when unknown
	Reset     time.Time // when the window resets; zero when unknown
	// Waiting is true while calls are held back until Reset.
	Waiting bool
	// BackgroundHeld is true while background calls (sync) wait for their
	// share of the budget or for people's calls to go first.
	BackgroundHeld bool
	// Tier names the rate-limit tier this budget is for (TierStandard
	// for the account's main budget).
	Tier string
	// Tiers lists every tier seen so far, the standard one included, by
	// name; set only on the account's Budget.
	Tiers []Budget
}

// Known reports whether any rate-limit header has been seen.
func (b Budget) Known() bool { return b.Limit > 0 || b.Remaining >= 0 }

type dispatchKey struct{}

// WithDispatch returns a context whose write requests (anything but GET
// and HEAD) call fn right before each attempt is sent, after any
// rate-limit wait; an error from fn stops the request unsent. The service
// layer records the dispatch in its journal, so an operation interrupted
// before it is known never to have been sent.
func WithDispatch(ctx context.Context, fn func() error) context.Context {
	return context.WithValue(ctx, dispatchKey{}, fn)
}

// Dispatch calls ctx's dispatch function, if any.
func Dispatch(ctx context.Context) error {
	if fn, ok := ctx.Value(dispatchKey{}).(func() error); ok && fn != nil {
		return fn()
	}
	return nil
}

// idempotentRead reports whether a method only reads.
func idempotentRead(method string) bool { return method == "GET" || method == "HEAD" }

type progressKey struct{}

// WithProgress returns a context whose long-running provider calls (a
// search that waits for an index, a download) report what they are doing
// to fn. fn must not block.
func WithProgress(ctx context.Context, fn func(string)) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// ReportProgress tells ctx's progress function, if any, what a call is
// doing.
func ReportProgress(ctx context.Context, msg string) {
	if fn, ok := ctx.Value(progressKey{}).(func(string)); ok && fn != nil {
		fn(msg)
	}
}
