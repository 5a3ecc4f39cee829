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
	Copy        bool // sessions can be copied with edited signers
	// ActionLog: Get fills Session.ActionLog.
	ActionLog bool
	// LiteList: List returns summaries (Session.Complete false); call Get
	// for signers and details.
	LiteList bool
	// Query: ListQuery.Text is passed to the provider's own search.
	Query bool
	// Buckets are the extra list views the provider offers (e.g.
	// "expired", "archived", "deleted").
	Buckets []string
	// CopyOptions names the provider options a copy form should offer:
	// "test_mode", "cancel_original", "retain_fields", "transaction_id".
	CopyOptions []string
	// Limits constrain a CopySpec.
	Limits models.CopyLimits
	// TestModeForced: the account sends every copy as a test request
	// (Dropbox Sign test_mode: true in the config); a copy that asks for a
	// real request is refused.
	TestModeForced bool
}

// ListQuery narrows a list.
type ListQuery struct {
	// Text is a provider-native search string (Dropbox Sign `query`). Only
	// used when Capabilities.Query.
	Text string
	// Bucket selects an extra view from Capabilities.Buckets; "" is the
	// normal list.
	Bucket string
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
	// OriginalCanceled reports the cancel of the source when
	// CopyOptions.CancelOriginal was set; nil otherwise.
	OriginalCanceled *CancelResult
	// OriginalCancelErr is the error of that cancel, if it failed. The copy
	// itself succeeded.
	OriginalCancelErr error
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
	// Copy creates a new session from spec. It sends at most once; after an
	// ambiguous failure it looks for the operation id before reporting an
	// error, and the error then says whether a retry is safe. The result's
	// OperationID is set even when err is not nil: pass it back in
	// spec.OperationID to retry safely.
	Copy(ctx context.Context, spec models.CopySpec) (CopyResult, error)
	// Budget reports the rate-limit budget last seen.
	Budget() Budget
}

// Budget is a snapshot of an account's rate-limit state.
type Budget struct {
	Limit     int       // requests per window; 0 when unknown
	Remaining int       // -1 when unknown
	Reset     time.Time // when the window resets; zero when unknown
	// Waiting is true while calls are held back until Reset.
	Waiting bool
}

// Known reports whether any rate-limit header has been seen.
func (b Budget) Known() bool { return b.Limit > 0 || b.Remaining >= 0 }

// WaitCanceled polls CancelStatus with exponential backoff (from first, at
// most max between polls) until the cancel is confirmed, the status turns
// final otherwise, a permanent error occurs, or ctx ends. Rate limits and
// unavailability are polled through. It returns the last status seen.
func WaitCanceled(ctx context.Context, p Provider, id string, first, max time.Duration) (models.Status, error) {
	d := first
	if d <= 0 {
		d = time.Second
	}
	for {
		st, err := p.CancelStatus(ctx, id)
		if err != nil && !Retryable(err) {
			return st, err
		}
		if err == nil && (st == models.StatusCanceled || (st.Final() && st != models.StatusCanceled)) {
			return st, nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			if err != nil {
				return st, err
			}
			return st, ctx.Err()
		case <-t.C:
		}
		d *= 2
		if max > 0 && d > max {
			d = max
		}
	}
}
