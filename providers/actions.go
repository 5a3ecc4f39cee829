package providers

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/signdeck/signdeck/models"
)

// ErrUnsupported: the provider (or the vendor's API) cannot do this. It is
// a permanent refusal: nothing was sent.
var ErrUnsupported = errors.New("not supported")

// Unsupported builds the ErrUnsupported error for p's account.
func Unsupported(p Provider, op, why string) *Error {
	e := NewError(ErrUnsupported, op, 0, "", why)
	e.Provider, e.Account = string(p.Kind()), p.Account()
	return e
}

// SignerResult is the outcome of an action for one signer.
type SignerResult struct {
	// Signer is the signer acted on: after an update, with its new values
	// (Dropbox Sign gives a signer a new ID when its email changes).
	Signer models.Signer
	// Err is nil when the action succeeded for this signer.
	Err error
	// Skipped, when not "", says why the signer was not acted on (it has
	// signed, declined ...); Err is then nil.
	Skipped string
	// NextRemind is when the signer may be reminded again, when the
	// vendor has a minimum gap (after a reminder, or a refusal within it).
	NextRemind time.Time
}

// OK reports whether the action was done for this signer.
func (r SignerResult) OK() bool { return r.Err == nil && r.Skipped == "" }

// SignerResults are per-signer outcomes.
type SignerResults []SignerResult

// Done counts the signers acted on, failed those with an error.
func (rs SignerResults) Done() (done, failed int) {
	for _, r := range rs {
		switch {
		case r.Err != nil:
			failed++
		case r.Skipped == "":
			done++
		}
	}
	return done, failed
}

// Err joins the per-signer errors, nil when none.
func (rs SignerResults) Err() error {
	var errs []error
	for _, r := range rs {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return errors.Join(errs...)
}

// RemindResult is the outcome of a RemindSigners call.
type RemindResult struct {
	Signers SignerResults
}

// Reminder is implemented by providers with Capabilities.Remind.
type Reminder interface {
	// RemindSigners reminds the session's pending signers: those with the
	// given emails (case-insensitive), or all pending ones when emails is
	// empty. The error is for the whole call (the session cannot be read,
	// no signer matches); per-signer refusals are in the result.
	RemindSigners(ctx context.Context, id string, emails []string) (RemindResult, error)
}

// NextReminder returns when signer g may next be reminded given the
// vendor's gap (Capabilities.RemindGap), or the zero time when it may be
// reminded now or the provider does not say when it was last reminded.
func NextReminder(caps Capabilities, g models.Signer, now time.Time) time.Time {
	if caps.RemindGap <= 0 || g.LastRemindedAt.IsZero() {
		return time.Time{}
	}
	next := g.LastRemindedAt.Add(caps.RemindGap)
	if !next.After(now) {
		return time.Time{}
	}
	return next
}

// Remindable says why signer g cannot be reminded ("" when it can): it is
// not waiting to sign.
func Remindable(g models.Signer) string {
	switch g.Status {
	case models.SignerAwaiting, models.SignerViewed:
		return ""
	case models.SignerPending:
		return "is not invited yet (waits for its turn)"
	case models.SignerSigned:
		return "has signed"
	case models.SignerDeclined:
		return "declined"
	}
	return "is not waiting to sign (" + strings.ToLower(g.Status.Label()) + ")"
}

// SignerUpdate fixes one signer in place.
type SignerUpdate struct {
	// Signer picks the signer: its ID, or its current email address.
	Signer string
	// Email is the new email address; "" keeps it.
	Email string
	// Name is the new full name; "" keeps it. Providers that store first
	// and last names split it (models.CopySigner.SplitName) unless
	// FirstName or LastName is set.
	Name                string
	FirstName, LastName string
}

// UpdateSpec is what an Update changes.
type UpdateSpec struct {
	Signers []SignerUpdate
	// ExpiresAt, when not zero, is the new expiry (Capabilities.ExtendExpiry).
	ExpiresAt time.Time
}

// UpdateResult is the outcome of an Update.
type UpdateResult struct {
	// Signers has one result per SignerUpdate, in order.
	Signers SignerResults
	// ExpiresAt is the expiry the vendor set (it may round it), when the
	// spec asked for one and ExpiryErr is nil.
	ExpiresAt time.Time
	// ExpiryErr is the error of the expiry change, if it failed.
	ExpiryErr error
}

// Updater is implemented by providers with Capabilities.UpdateSigner or
// ExtendExpiry.
type Updater interface {
	// Update applies spec to the session. A spec asking for what the
	// provider cannot do fails with ErrUnsupported before anything is
	// sent. The error is for the whole call; per-change outcomes are in
	// the result.
	Update(ctx context.Context, id string, spec UpdateSpec) (UpdateResult, error)
}

// Progress reports a download's progress.
type Progress struct {
	File  string // the file's name
	Done  int64  // bytes written so far
	Total int64  // the size when known, else -1
}

// DownloadSpec says how to download a session's documents.
type DownloadSpec struct {
	// Format is one of Capabilities.DownloadFormats; "" is the first.
	Format string
	// Create opens the destination of one file, given a suggested file
	// name (from the title; not safe as a path: see CreateIn). It is
	// called once per file, only once the file's content arrives. When the
	// writer has an Abort() error method it is called instead of Close
	// when the download of that file fails.
	Create func(name string) (io.WriteCloser, error)
	// Progress, when set, is called as bytes arrive.
	Progress func(Progress)
}

// DownloadedFile is one file a download wrote.
type DownloadedFile struct {
	Name        string // the name given to Create
	Bytes       int64
	ContentType string
}

// DownloadResult is the outcome of a Download.
type DownloadResult struct {
	Files []DownloadedFile
}

// Downloader is implemented by providers with Capabilities.Download.
type Downloader interface {
	Download(ctx context.Context, id string, spec DownloadSpec) (DownloadResult, error)
}

// StartResult is the outcome of sending a draft.
type StartResult struct {
	// Status is the session's status after the start (normally
	// StatusAwaitingSignature), or "" when it could not be read.
	Status  models.Status
	Message string
}

// DraftStarter is implemented by providers with Capabilities.StartDraft.
type DraftStarter interface {
	// StartDraft sends a draft session: the signers are invited.
	StartDraft(ctx context.Context, id string) (StartResult, error)
}

// Remind calls p's RemindSigners, or fails with ErrUnsupported.
func Remind(ctx context.Context, p Provider, id string, emails []string) (RemindResult, error) {
	r, ok := p.(Reminder)
	if !ok || !p.Capabilities().Remind {
		return RemindResult{}, Unsupported(p, "remind "+id, p.Kind().Label()+" has no reminders")
	}
	return r.RemindSigners(ctx, id, emails)
}

// UpdateRefusal says why p cannot do what spec asks, or "" when it can.
func UpdateRefusal(p Provider, spec UpdateSpec) string {
	caps := p.Capabilities()
	_, ok := p.(Updater)
	switch {
	case !ok || (len(spec.Signers) > 0 && !caps.UpdateSigner):
		return p.Kind().Label() + " cannot change a signer in place; copy the session instead"
	case !spec.ExpiresAt.IsZero() && !caps.ExtendExpiry:
		return p.Kind().Label() + " cannot change the expiry date of a sent session"
	}
	return ""
}

// Update calls p's Update, or fails with ErrUnsupported when p cannot do
// what spec asks.
func Update(ctx context.Context, p Provider, id string, spec UpdateSpec) (UpdateResult, error) {
	if why := UpdateRefusal(p, spec); why != "" {
		return UpdateResult{}, Unsupported(p, "update "+id, why)
	}
	return p.(Updater).Update(ctx, id, spec)
}

// ExtendExpiry sets a session's expiry (Update with only ExpiresAt).
func ExtendExpiry(ctx context.Context, p Provider, id string, at time.Time) (time.Time, error) {
	res, err := Update(ctx, p, id, UpdateSpec{ExpiresAt: at})
	if err != nil {
		return time.Time{}, err
	}
	return res.ExpiresAt, res.ExpiryErr
}

// Download calls p's Download, or fails with ErrUnsupported.
func Download(ctx context.Context, p Provider, id string, spec DownloadSpec) (DownloadResult, error) {
	d, ok := p.(Downloader)
	if !ok || !p.Capabilities().Download {
		return DownloadResult{}, Unsupported(p, "download "+id, p.Kind().Label()+" offers no document download")
	}
	return d.Download(ctx, id, spec)
}

// StartDraftRefusal says why p cannot send drafts, or "" when it can.
func StartDraftRefusal(p Provider) string {
	if _, ok := p.(DraftStarter); !ok || !p.Capabilities().StartDraft {
		return p.Kind().Label() + " has no drafts to send"
	}
	return ""
}

// StartDraft calls p's StartDraft, or fails with ErrUnsupported.
func StartDraft(ctx context.Context, p Provider, id string) (StartResult, error) {
	if why := StartDraftRefusal(p); why != "" {
		return StartResult{}, Unsupported(p, "send "+id, why)
	}
	return p.(DraftStarter).StartDraft(ctx, id)
}

// WebURL returns the session's page for a browser: Session.URL when the
// provider has one and it is https, or http on a loopback address (an
// emulator). It returns "" otherwise, so a hostile or broken URL
// (javascript:, file:, plain http) is never opened.
func WebURL(caps Capabilities, s models.Session) string {
	if !caps.WebURL || s.URL == "" {
		return ""
	}
	if !SafeWebURL(s.URL) {
		return ""
	}
	return s.URL
}

// SafeWebURL reports whether raw may be opened in a browser: an absolute
// https URL with a host, or http to a loopback host; no user info, no
// control characters.
func SafeWebURL(raw string) bool {
	if raw == "" || len(raw) > 2048 || strings.ContainsFunc(raw, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return true
	case "http":
		h := u.Hostname()
		if strings.EqualFold(h, "localhost") {
			return true
		}
		ip := net.ParseIP(h)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// MatchSignerEmails returns the indexes of the signers the emails name
// (case and surrounding spaces ignored; each signer once, in the emails'
// order) and the emails that name none.
func MatchSignerEmails(signers []models.Signer, emails []string) (idx []int, unknown []string) {
	seen := map[int]bool{}
	for _, e := range emails {
		found := false
		for i, g := range signers {
			if strings.EqualFold(strings.TrimSpace(g.Email), strings.TrimSpace(e)) {
				found = true
				if !seen[i] {
					seen[i] = true
					idx = append(idx, i)
				}
			}
		}
		if !found {
			unknown = append(unknown, e)
		}
	}
	return idx, unknown
}
