package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/signdeck/signdeck/keyring"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/store"
)

func tokenEnvName(account string) string { return keyring.EnvName(account) }

// Skip reasons that do not come from a session's status.
const (
	ReasonInFlight = "a cancel is already in flight"
	ReasonGone     = "session already canceled or deleted (the provider answers 410 Gone)"
	ReasonNotFound = "session not found at the provider"
)

// PendingReason is the skip reason of a session whose asynchronous cancel
// was queued earlier and is not confirmed yet.
func PendingReason(raw string) string {
	what := "a cancel was already requested"
	if raw != "" {
		what += " (" + models.CleanText(raw) + ")"
	}
	return what + " and is pending; not sent again (the provider completes cancels asynchronously)"
}

// CancelTarget is one session a front end asks to cancel.
type CancelTarget struct {
	Account Account
	Ref     models.Ref
	// Session is the front end's snapshot (the dashboard's row); nil when
	// it has none. PlanCancel with fetch reads the session instead.
	Session *models.Session
	// Missing is the front end's reason when it has no snapshot (the row
	// is no longer listed); ignored when fetching.
	Missing string
}

// CancelItem is a planned target with what the plan found.
type CancelItem struct {
	Target CancelTarget
	Title  string
	Status models.Status
	// Reason says why the target is skipped or failed; "" when eligible.
	Reason string
	// Pending: skipped because a cancel queued earlier is still pending
	// (Confirm can wait for it).
	Pending bool
	// Err is the error of a failed read (fetching plans only).
	Err error
}

// CancelPlan is the outcome of PlanCancel.
type CancelPlan struct {
	Eligible []CancelItem
	Skipped  []CancelItem
	// Failed lists targets whose session could not be read (fetching
	// plans only); they are not sent.
	Failed []CancelItem
}

// CancelOutcome is what happened to one target.
type CancelOutcome struct {
	Item    CancelItem
	OpID    string
	Outcome string
	Status  models.Status
	Reason  string
	Err     error
}

// OK reports whether the cancel was applied or queued.
func (o CancelOutcome) OK() bool { return o.Outcome == OutcomeOK || o.Outcome == OutcomePending }

// LoadPending reads the journal's pending asynchronous cancels of the
// given accounts into memory, so that plans made without I/O (the
// dashboard's) know them. It returns every pending ref key -> when.
func (s *Service) LoadPending(ctx context.Context, accts []Account) map[string]time.Time {
	out := map[string]time.Time{}
	if s.j == nil {
		return out
	}
	for _, a := range accts {
		if a.Provider == nil || !a.Provider.Capabilities().AsyncCancel {
			continue
		}
		ttl := a.Provider.Capabilities().CancelPendingTTL
		m, err := s.j.PendingCancels(ctx, a.Name, a.Endpoint, s.now().Add(-ttl))
		if err != nil {
			s.log.Warn("journal: cannot read pending cancels", "account", a.Name, "error", s.errText(err))
			continue
		}
		for id, at := range m {
			out[models.Ref{Account: a.Name, ID: id}.Key()] = at
		}
	}
	s.mu.Lock()
	for k, v := range out {
		s.pending[k] = v
	}
	s.mu.Unlock()
	return out
}

// QueuedCancels returns the cancels the journal says were queued for the
// account within its provider's pending window (session id -> when), for
// a Dropbox Sign client to show them as cancel pending.
func (s *Service) QueuedCancels(ctx context.Context, account, endpoint string, ttl time.Duration) map[string]time.Time {
	if s.j == nil || ttl <= 0 {
		return nil
	}
	m, err := s.j.PendingCancels(ctx, account, endpoint, s.now().Add(-ttl))
	if err != nil {
		s.log.Warn("journal: cannot read pending cancels", "account", account, "error", s.errText(err))
		return nil
	}
	return m
}

// pendingAt reports whether a cancel of ref is known to be pending.
func (s *Service) pendingAt(a Account, ref models.Ref) bool {
	s.mu.Lock()
	at, ok := s.pending[ref.Key()]
	s.mu.Unlock()
	if !ok || a.Provider == nil {
		return false
	}
	ttl := a.Provider.Capabilities().CancelPendingTTL
	return ttl <= 0 || s.now().Sub(at) <= ttl
}

func (s *Service) setPending(ref models.Ref, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		s.pending[ref.Key()] = s.now()
	} else {
		delete(s.pending, ref.Key())
	}
}

// InFlight reports whether a cancel of ref is in flight in this process.
func (s *Service) InFlight(ref models.Ref) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight[ref.Key()]
}

// CancelBlocked is the one place that says why a target cannot be
// canceled now, or "" when it can. sess may be nil (then missing is the
// reason, if any).
func (s *Service) CancelBlocked(a Account, ref models.Ref, sess *models.Session, missing string) string {
	if r := a.unavailable(); r != "" {
		return r
	}
	if !a.Provider.Capabilities().Cancel {
		return fmt.Sprintf("%s account %s cannot cancel sessions", a.Kind.Label(), models.CleanText(a.Name))
	}
	if s.InFlight(ref) {
		return ReasonInFlight
	}
	if sess == nil {
		if missing == "" {
			missing = "session is no longer listed"
		}
		return missing
	}
	if sess.Status == models.StatusCancelPending || s.pendingAt(a, ref) {
		raw := ""
		if sess.Status == models.StatusCancelPending {
			raw = sess.RawStatus
		}
		return PendingReason(raw)
	}
	return sess.CancelBlockedReason()
}

// PlanCancel sorts targets into eligible and skipped, each with its
// reason. Without fetch it uses the targets' snapshots and does no I/O
// (the dashboard); with fetch it reads every session first (the CLI).
// Duplicate refs are planned once.
func (s *Service) PlanCancel(ctx context.Context, targets []CancelTarget, fetch bool) CancelPlan {
	var plan CancelPlan
	seen := map[string]bool{}
	items := make([]CancelItem, 0, len(targets))
	for _, t := range targets {
		if seen[t.Ref.Key()] {
			continue
		}
		seen[t.Ref.Key()] = true
		it := CancelItem{Target: t, Title: models.CleanText(t.Ref.ID)}
		if t.Session != nil {
			it.Title, it.Status = models.CleanText(t.Session.Title), t.Session.Status
		}
		items = append(items, it)
	}
	if fetch {
		var wg sync.WaitGroup
		for i := range items {
			it := &items[i]
			if it.Target.Account.Provider == nil || !it.Target.Account.Provider.Capabilities().Cancel {
				continue
			}
			wg.Go(func() {
				release, err := s.acquire(ctx, it.Target.Account.Name)
				if err != nil {
					it.Err = err
					return
				}
				defer release()
				sess, err := it.Target.Account.Provider.Get(ctx, it.Target.Ref.ID)
				switch {
				case errors.Is(err, providers.ErrGone):
					it.Reason = ReasonGone
				case err != nil:
					it.Err = err
				default:
					it.Target.Session = &sess
					it.Title, it.Status = models.CleanText(sess.Title), sess.Status
				}
			})
		}
		wg.Wait()
	}
	for _, it := range items {
		switch {
		case it.Err != nil:
			it.Reason = s.errText(it.Err)
			plan.Failed = append(plan.Failed, it)
			continue
		case it.Reason != "":
		default:
			missing := it.Target.Missing
			if fetch {
				missing = ""
			}
			it.Reason = s.CancelBlocked(it.Target.Account, it.Target.Ref, it.Target.Session, missing)
		}
		if it.Reason == "" {
			plan.Eligible = append(plan.Eligible, it)
			continue
		}
		it.Pending = it.Target.Session != nil && (it.Target.Session.Status == models.StatusCancelPending ||
			s.pendingAt(it.Target.Account, it.Target.Ref))
		plan.Skipped = append(plan.Skipped, it)
	}
	return plan
}

// RecordSkipped writes the plan's skipped and failed targets to the
// journal (once the user confirmed the plan).
func (s *Service) RecordSkipped(ctx context.Context, plan CancelPlan) []CancelOutcome {
	var out []CancelOutcome
	for _, it := range plan.Skipped {
		id := s.recordFinal(ctx, s.cancelOp(it), store.Outcome{Outcome: OutcomeSkipped, Status: string(it.Status), Reason: it.Reason})
		out = append(out, CancelOutcome{Item: it, OpID: id, Outcome: OutcomeSkipped, Status: it.Status, Reason: it.Reason})
	}
	for _, it := range plan.Failed {
		// The session could not be read, so nothing was sent.
		id := s.recordFinal(ctx, s.cancelOp(it), store.Outcome{Outcome: OutcomeFailed, Reason: it.Reason})
		out = append(out, CancelOutcome{Item: it, OpID: id, Outcome: OutcomeFailed, Reason: it.Reason, Err: it.Err})
	}
	return out
}

func (s *Service) cancelOp(it CancelItem) store.Op {
	a := it.Target.Account
	return store.Op{Action: ActionCancel, Account: a.Name, Provider: string(a.Kind), Endpoint: a.Endpoint,
		Ref: it.Target.Ref.String(), Title: it.Title}
}

// RunCancels records the plan's skipped targets, then cancels every
// eligible one (at most CancelWorkers at a time per account) and calls fn
// (when not nil) with each outcome as it lands. It returns every outcome:
// skipped and failed first, then the eligible targets in plan order.
func (s *Service) RunCancels(ctx context.Context, plan CancelPlan, fn func(CancelOutcome)) []CancelOutcome {
	out := s.RecordSkipped(ctx, plan)
	if fn != nil {
		for _, o := range out {
			fn(o)
		}
	}
	res := make([]CancelOutcome, len(plan.Eligible))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, it := range plan.Eligible {
		wg.Go(func() {
			o := s.Cancel(ctx, it)
			res[i] = o
			if fn != nil {
				mu.Lock()
				fn(o)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return append(out, res...)
}

// Cancel cancels one eligible target: it waits for a worker slot of the
// account, records the intent, sends the cancel once and records the
// outcome. A target reached after Shutdown began, or whose ctx ended while
// waiting, is not sent (not_sent).
func (s *Service) Cancel(ctx context.Context, it CancelItem) CancelOutcome {
	o := CancelOutcome{Item: it, Status: it.Status}
	op := s.cancelOp(it)
	a := it.Target.Account
	notSent := func(reason string) CancelOutcome {
		o.Outcome, o.Reason = OutcomeNotSent, reason
		o.OpID = s.recordFinal(ctx, op, store.Outcome{Outcome: OutcomeNotSent, Status: string(it.Status), Reason: reason})
		return o
	}
	if r := a.unavailable(); r != "" {
		o.Outcome, o.Reason = OutcomeFailed, r
		o.OpID = s.recordFinal(ctx, op, store.Outcome{Outcome: OutcomeFailed, Reason: r})
		return o
	}
	s.inflightWG.Add(1)
	defer s.inflightWG.Done()
	if s.Stopping() {
		return notSent("signdeck was stopping, so the cancel was not sent")
	}
	s.mu.Lock()
	if s.inflight[it.Target.Ref.Key()] {
		s.mu.Unlock()
		o.Outcome, o.Reason = OutcomeSkipped, ReasonInFlight
		o.OpID = s.recordFinal(ctx, op, store.Outcome{Outcome: OutcomeSkipped, Reason: ReasonInFlight})
		return o
	}
	s.inflight[it.Target.Ref.Key()] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.inflight, it.Target.Ref.Key())
		s.mu.Unlock()
	}()
	release, err := s.acquire(ctx, a.Name)
	if err != nil {
		return notSent("stopped before sending (" + err.Error() + ")")
	}
	defer release()
	if s.Stopping() {
		return notSent("signdeck was stopping, so the cancel was not sent")
	}
	op.ID = NewOperationID()
	o.OpID = op.ID
	if err := s.record(ctx, op); err != nil {
		o.Outcome, o.Reason, o.Err = OutcomeFailed, s.errText(err), err
		return o
	}
	sctx, cancel := s.dispatchContext(ctx, op.ID)
	res, err := a.Provider.Cancel(sctx, it.Target.Ref.ID)
	cancel()
	o.Outcome = classify(err)
	switch {
	case err == nil:
		o.Status = res.Status
		if o.Status == "" {
			o.Status = models.StatusCanceled
			if a.Provider.Capabilities().AsyncCancel {
				o.Status = models.StatusCancelPending
			}
		}
		if o.Status == models.StatusCancelPending {
			o.Outcome = OutcomePending
			s.setPending(it.Target.Ref, true)
		}
	case errors.Is(err, providers.ErrGone):
		// Already canceled or deleted meanwhile: nothing left to cancel.
		o.Outcome, o.Status, o.Reason = OutcomeSkipped, models.StatusCanceled, ReasonGone
	default:
		o.Err = err
		o.Reason = s.errText(err)
		if o.Outcome == OutcomeUnknown {
			o.Reason = "the cancel may or may not have been applied (" + o.Reason + "); signdeck checks its status before anything is sent again"
		}
	}
	s.outcome(ctx, op.ID, store.Outcome{Outcome: o.Outcome, Status: string(o.Status), Reason: o.Reason})
	return o
}

// Pacing paces the polls of Confirm: the first wait, the longest wait
// between polls, and the whole time allowed.
type Pacing struct {
	First, Max, Timeout time.Duration
}

// Confirm follows an asynchronous cancel of ref to its confirmation: it
// polls the provider with pace until the session is canceled, turns final
// otherwise, a permanent error occurs, pace.Timeout passes or ctx ends,
// and records the outcome on opID (the cancel's operation; when empty, the
// journal's latest pending cancel of ref). Rate limits and unavailability
// are polled through. The outcome is ok when confirmed, failed when the
// session ended otherwise, and pending (unchanged) when not confirmed in
// time.
func (s *Service) Confirm(ctx context.Context, a Account, ref models.Ref, title, opID string, pace Pacing) CancelOutcome {
	o := CancelOutcome{Item: CancelItem{Target: CancelTarget{Account: a, Ref: ref}, Title: title},
		OpID: opID, Status: models.StatusCancelPending, Outcome: OutcomePending}
	if r := a.unavailable(); r != "" {
		o.Reason = r
		return o
	}
	if opID == "" {
		o.OpID = s.latestPendingOp(ctx, a, ref)
	}
	if pace.First <= 0 {
		pace.First = time.Second
	}
	if pace.Max <= 0 {
		pace.Max = 10 * time.Second
	}
	if pace.Timeout <= 0 {
		pace.Timeout = 2 * time.Minute
	}
	wctx, cancel := context.WithTimeout(ctx, pace.Timeout)
	defer cancel()
	st, err := waitCanceled(wctx, a.Provider, ref.ID, pace.First, pace.Max)
	if st != "" {
		o.Status = st
	}
	switch {
	case err == nil && st == models.StatusCanceled:
		o.Outcome = OutcomeOK
		s.setPending(ref, false)
	case err == nil:
		o.Outcome = OutcomeFailed
		o.Reason = "the session became " + st.Label() + " before the cancel took effect"
		s.setPending(ref, false)
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		o.Reason = fmt.Sprintf("cancel requested but not confirmed within %s (status %s)", pace.Timeout, o.Status.Label())
		return o // stays pending in the journal
	case ctx.Err() != nil:
		o.Reason = "stopped waiting for the confirmation"
		return o
	default:
		o.Err = err
		o.Reason = "cancel requested but not confirmed: " + s.errText(err)
		return o
	}
	if o.OpID != "" {
		s.outcome(ctx, o.OpID, store.Outcome{Outcome: o.Outcome, Status: string(o.Status), Reason: o.Reason})
	}
	return o
}

// latestPendingOp returns the id of the newest pending cancel of ref.
func (s *Service) latestPendingOp(ctx context.Context, a Account, ref models.Ref) string {
	if s.j == nil {
		return ""
	}
	ops, err := s.j.Ops(ctx, store.OpFilter{Action: ActionCancel, Account: a.Name, Ref: ref.String(), Unresolved: true, Limit: 5})
	if err != nil {
		return ""
	}
	for _, op := range ops {
		if op.Outcome == OutcomePending || op.Outcome == store.OutcomeNone || op.Outcome == OutcomeUnknown {
			return op.ID
		}
	}
	return ""
}

// waitCanceled polls CancelStatus with exponential backoff (from first,
// at most max between polls) until the cancel is confirmed, the status
// turns final otherwise, a permanent error occurs, or ctx ends. It is the
// one implementation of confirmation polling.
func waitCanceled(ctx context.Context, p providers.Provider, id string, first, max time.Duration) (models.Status, error) {
	d := first
	for {
		st, err := p.CancelStatus(ctx, id)
		if err != nil && !providers.Retryable(err) && ctx.Err() == nil {
			return st, err
		}
		if err == nil && st.Final() {
			return st, nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return st, ctx.Err()
		case <-t.C:
		}
		d = min(d*2, max)
	}
}
