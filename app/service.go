// Package app is signdeck's service layer: every action that changes a
// session or a token (cancel, confirm a cancel, copy, retry a copy, login,
// logout), its rules, the write-ahead operations journal and the
// reconciliation of operations left unresolved by a crash. The CLI and the
// dashboard call it and only present its typed outcomes; neither talks to a
// provider for a write on its own.
//
// Every action that changes something is recorded in the journal (the
// store's operations table) before its request is sent, and its outcome
// after: ok, pending (an asynchronous cancel was queued), failed (certainly
// not applied), unknown (may have been applied), skipped (never sent, with
// the reason) or not_sent (stopped before sending).
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/store"
)

// Journal is what the service needs of the store. *store.DB implements it.
type Journal interface {
	RecordIntent(ctx context.Context, op store.Op) error
	RecordOutcome(ctx context.Context, id string, o store.Outcome) error
	Get(ctx context.Context, id string) (store.Op, error)
	Ops(ctx context.Context, f store.OpFilter) ([]store.Op, error)
	BumpAttempt(ctx context.Context, id string) error
	PendingCancels(ctx context.Context, account, endpoint string, since time.Time) (map[string]time.Time, error)
}

// Outcome values, as the journal records them.
const (
	OutcomeOK      = store.OutcomeOK
	OutcomePending = store.OutcomePending
	OutcomeFailed  = store.OutcomeFailed
	OutcomeUnknown = store.OutcomeUnknown
	OutcomeSkipped = store.OutcomeSkipped
	OutcomeNotSent = store.OutcomeNotSent
)

// Actions, as the journal records them.
const (
	ActionCancel = "cancel"
	ActionCopy   = "copy"
	ActionLogin  = "login"
	ActionLogout = "logout"
)

// Defaults.
const (
	// DefaultCancelWorkers bounds the cancels in flight per account.
	DefaultCancelWorkers = 4
	// DefaultGrace is how long requests in flight may finish after a
	// shutdown begins.
	DefaultGrace = 10 * time.Second
	// sendTimeout bounds one write request.
	sendTimeout = 2 * time.Minute
	// DuplicateWindow: a copy identical to one made (or unresolved)
	// within it asks first.
	DuplicateWindow = time.Hour
)

// Account is one configured account as the service sees it.
type Account struct {
	Name string
	Kind models.ProviderKind
	// Endpoint is the account's base URL; journal rows are matched on it so
	// that a sandbox's fresh emulators never inherit older rows.
	Endpoint string
	// Provider is nil when the account has no usable token; Err then says
	// why (nil: no token at all).
	Provider providers.Provider
	Err      error
}

// unavailable says why an account cannot act, or "".
func (a Account) unavailable() string {
	if a.Provider != nil {
		return ""
	}
	if a.Err != nil {
		return "account " + models.CleanText(a.Name) + ": " + models.CleanText(a.Err.Error())
	}
	return NoTokenReason(a.Name)
}

// NoTokenReason is the reason an account without a token cannot act.
func NoTokenReason(account string) string {
	name := models.CleanText(account)
	return fmt.Sprintf("account %s has no token: set %s or run `signdeck auth login %s`",
		name, tokenEnvName(account), name)
}

// Options configure a Service.
type Options struct {
	Journal Journal
	// Via names the front end in the journal: "cli" or "tui".
	Via    string
	Now    func() time.Time
	Logger *slog.Logger
	// Secrets returns every secret the process knows (tokens); the journal
	// never records them.
	Secrets func() []string
	// CancelWorkers bounds the cancels in flight per account (default 4).
	CancelWorkers int
	// Grace is how long requests in flight may finish after Shutdown
	// (default 10 s).
	Grace time.Duration
}

// Service runs the actions. It is safe for concurrent use.
type Service struct {
	j       Journal
	via     string
	now     func() time.Time
	log     *slog.Logger
	secrets func() []string
	workers int
	grace   time.Duration

	// hard is the context of requests in flight: canceled only when the
	// grace period after Shutdown is over.
	hard       context.Context
	hardCancel context.CancelFunc
	stopping   atomic.Bool
	inflightWG sync.WaitGroup

	mu       sync.Mutex
	sems     map[string]chan struct{} // per account
	inflight map[string]bool          // ref key -> a cancel is in flight
	// pending remembers the asynchronous cancels queued (ref key -> when),
	// as the journal says; refreshed by LoadPending and by every cancel.
	pending map[string]time.Time
}

// New returns a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.CancelWorkers <= 0 {
		o.CancelWorkers = DefaultCancelWorkers
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.Via == "" {
		o.Via = "cli"
	}
	hard, cancel := context.WithCancel(context.Background())
	return &Service{j: o.Journal, via: o.Via, now: o.Now, log: o.Logger, secrets: o.Secrets,
		workers: o.CancelWorkers, grace: o.Grace, hard: hard, hardCancel: cancel,
		sems: map[string]chan struct{}{}, inflight: map[string]bool{}, pending: map[string]time.Time{}}
}

// NewOperationID returns a fresh operation id: "sdop" and 26 hex digits,
// letters and digits only, so a vendor's search tokenizes it as one term.
func NewOperationID() string {
	var b [13]byte
	_, _ = rand.Read(b[:])
	return "sdop" + hex.EncodeToString(b[:])
}

// Stopping reports whether Shutdown has begun: nothing new is sent.
func (s *Service) Stopping() bool { return s.stopping.Load() }

// Shutdown stops sending anything new, lets the requests in flight finish
// for at most the grace period, then cancels them (their outcome is then
// recorded as unknown). Actions not yet sent record not_sent. It returns
// when nothing is in flight any more.
func (s *Service) Shutdown() {
	s.stopping.Store(true)
	done := make(chan struct{})
	go func() { s.inflightWG.Wait(); close(done) }()
	t := time.NewTimer(s.grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.hardCancel()
		<-done
	}
}

// Close releases the service's context.
func (s *Service) Close() { s.hardCancel() }

// sendContext is the context of one write request: it ignores the
// caller's cancellation (a request in flight finishes, see Shutdown) but
// not the hard stop, and is bounded by sendTimeout.
func (s *Service) sendContext(ctx context.Context) (context.Context, context.CancelFunc) {
	sctx, cancel := context.WithTimeout(s.hard, sendTimeout)
	if fn, ok := progressOf(ctx); ok {
		sctx = providers.WithProgress(sctx, fn)
	}
	return sctx, cancel
}

// dispatchContext is sendContext for operation id: every write attempt is
// recorded in the journal (Attempts) right before it goes out, so an
// intent with no attempt was certainly never sent.
func (s *Service) dispatchContext(ctx context.Context, id string) (context.Context, context.CancelFunc) {
	sctx, cancel := s.sendContext(ctx)
	return providers.WithDispatch(sctx, func() error {
		if s.j == nil {
			return errors.New("no operations journal is open")
		}
		if err := s.j.BumpAttempt(context.WithoutCancel(sctx), id); err != nil {
			return fmt.Errorf("the journal could not record the attempt: %w", err)
		}
		return nil
	}), cancel
}

type progressCarrier struct{}

// WithProgress returns a context whose actions report progress (a search
// waiting for an index) to fn.
func WithProgress(ctx context.Context, fn func(string)) context.Context {
	return context.WithValue(providers.WithProgress(ctx, fn), progressCarrier{}, fn)
}

func progressOf(ctx context.Context) (func(string), bool) {
	fn, ok := ctx.Value(progressCarrier{}).(func(string))
	return fn, ok && fn != nil
}

// redact removes every secret the process knows from text bound for the
// journal, then strips control characters.
func (s *Service) redact(text string) string {
	var secrets []string
	if s.secrets != nil {
		secrets = s.secrets()
	}
	return models.CleanText(providers.Redact(text, secrets...))
}

// errText is an error's text for the journal and the screen. A provider
// error loses its "account: op id:" prefix: the journal row and the
// front ends already name the session.
func (s *Service) errText(err error) string {
	if err == nil {
		return ""
	}
	var pe *providers.Error
	if errors.As(err, &pe) && pe != nil && err == error(pe) {
		short := *pe
		short.Account, short.Op = "", ""
		return s.redact(short.Error())
	}
	return s.redact(err.Error())
}

// record writes an intent. A journal that cannot record the intent stops
// the action: nothing is sent that is not written first.
func (s *Service) record(ctx context.Context, op store.Op) error {
	if s.j == nil {
		return errors.New("no operations journal is open")
	}
	op.Title = s.redact(op.Title)
	op.Ref = s.redact(op.Ref)
	op.Endpoint = s.redact(op.Endpoint)
	op.Intent = []byte(s.redact(string(op.Intent)))
	op.Via = s.via
	op.PID = os.Getpid()
	if op.CreatedAt.IsZero() {
		op.CreatedAt = s.now().UTC()
	}
	if err := s.j.RecordIntent(context.WithoutCancel(ctx), op); err != nil {
		return fmt.Errorf("the operations journal could not record the intent, so nothing was sent: %w", err)
	}
	return nil
}

// outcome writes an outcome; a failure is logged (the intent stays
// unresolved and is reconciled later).
func (s *Service) outcome(ctx context.Context, id string, o store.Outcome) {
	if s.j == nil || id == "" {
		return
	}
	o.Reason = s.redact(o.Reason)
	o.NewRef = s.redact(o.NewRef)
	if o.At.IsZero() {
		o.At = s.now().UTC()
	}
	if err := s.j.RecordOutcome(context.WithoutCancel(ctx), id, o); err != nil {
		s.log.Warn("journal: cannot record an outcome; it will be reconciled later", "op", id, "error", s.errText(err))
	}
}

// recordFinal writes an intent and its outcome at once, for an action
// that was never sent (skipped, not_sent).
func (s *Service) recordFinal(ctx context.Context, op store.Op, o store.Outcome) string {
	if op.ID == "" {
		op.ID = NewOperationID()
	}
	if err := s.record(ctx, op); err != nil {
		s.log.Warn("journal: cannot record", "action", op.Action, "ref", op.Ref, "error", s.errText(err))
		return op.ID
	}
	s.outcome(ctx, op.ID, o)
	return op.ID
}

// acquire takes one of the account's worker slots. It fails when ctx ends
// or the service stops first.
func (s *Service) acquire(ctx context.Context, account string) (func(), error) {
	s.mu.Lock()
	sem, ok := s.sems[account]
	if !ok {
		sem = make(chan struct{}, s.workers)
		s.sems[account] = sem
	}
	s.mu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.hard.Done():
		return nil, context.Canceled
	}
}

// classify turns a write's error into a journal outcome: unknown when the
// request may have been applied, failed when certainly not.
func classify(err error) string {
	var pe *providers.Error
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, providers.ErrAmbiguous),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return OutcomeUnknown
	case errors.As(err, &pe) && pe.Status >= 500:
		// A 5xx after sending: the vendor may have applied it.
		return OutcomeUnknown
	}
	return OutcomeFailed
}

func refKey(r models.Ref) string { return r.Key() }

// sessionID is the id part of an "ACCOUNT/ID" ref.
func sessionID(ref string) string {
	_, id, _ := strings.Cut(ref, "/")
	return id
}
