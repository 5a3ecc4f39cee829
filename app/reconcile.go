package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/store"
)

// liveOpAge: an unresolved operation of another live process younger than
// this is left alone (it is probably still in flight there).
const liveOpAge = 3 * time.Minute

// Report is what a reconciliation found.
type Report struct {
	// Checked counts the unresolved operations looked at.
	Checked int
	// Resolved lists the operations that got a final outcome now.
	Resolved []store.Op
	// NeedYou lists the operations a person must decide on: a copy that
	// cannot be found (offered for retry with the same operation id, never
	// resent on its own), a copy found whose original was not canceled, a
	// check that failed.
	NeedYou []NeedYou
}

// NeedYou is one operation that needs a decision.
type NeedYou struct {
	Op     store.Op
	Reason string
	// Retry: a copy that can be retried with its operation id.
	Retry bool
}

// Summary is the dashboard's line: "N earlier operations resolved, M need you".
func (r Report) Summary() string {
	if len(r.Resolved) == 0 && len(r.NeedYou) == 0 {
		return ""
	}
	return fmt.Sprintf("%s resolved, %d need you", plural(len(r.Resolved), "earlier operation", "earlier operations"), len(r.NeedYou))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Reconcile checks the journal's unresolved operations (an intent without
// an outcome, unknown, pending) of the given accounts against their
// providers and records what it finds: a cancel by the session's status, a
// copy by its operation id (FindCopy, bounded by the intent's time). It
// sends nothing. Operations of another live process that are still young
// are left to it.
func (s *Service) Reconcile(ctx context.Context, accts []Account) Report {
	var rep Report
	if s.j == nil {
		return rep
	}
	ops, err := s.j.Ops(ctx, store.OpFilter{Unresolved: true})
	if err != nil {
		s.log.Warn("reconcile: cannot read the journal", "error", s.errText(err))
		return rep
	}
	byName := map[string]Account{}
	for _, a := range accts {
		byName[a.Name] = a
	}
	for _, op := range ops {
		if ctx.Err() != nil {
			break
		}
		a, ok := byName[op.Account]
		if !ok || a.Provider == nil || (op.Endpoint != "" && a.Endpoint != "" && op.Endpoint != a.Endpoint) {
			continue
		}
		if s.liveElsewhere(op) {
			continue
		}
		rep.Checked++
		if op.Outcome == store.OutcomeNone && op.Attempts == 0 && op.Action != ActionLogin && op.Action != ActionLogout {
			// The intent was recorded but no request ever went out.
			s.resolve(ctx, op, store.Outcome{Outcome: OutcomeNotSent,
				Reason: "interrupted before the request was sent; nothing reached the provider"}, &rep)
			continue
		}
		switch op.Action {
		case ActionCancel:
			s.reconcileCancel(ctx, a, op, &rep)
		case ActionCopy:
			s.reconcileCopy(ctx, a, op, &rep)
		case ActionRemind, ActionUpdate, ActionSend:
			s.reconcileAction(ctx, a, op, &rep)
		default:
			// login/logout change only the local keyring: an interrupted
			// one is settled by `signdeck auth status`.
			if op.Outcome == store.OutcomeNone {
				o := store.Outcome{Outcome: OutcomeUnknown, Reason: "interrupted; `signdeck auth status` shows the token's state"}
				s.outcome(ctx, op.ID, o)
				op.Outcome, op.Reason = o.Outcome, o.Reason
				rep.Resolved = append(rep.Resolved, op)
			}
		}
	}
	return rep
}

// liveElsewhere: the operation belongs to another process that is still
// running (or to this one) and is young enough to still be in flight.
func (s *Service) liveElsewhere(op store.Op) bool {
	if op.Outcome != store.OutcomeNone || op.PID <= 0 || s.now().Sub(op.CreatedAt) > liveOpAge {
		return false
	}
	if op.PID == os.Getpid() {
		return true
	}
	return processAlive(op.PID)
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

func (s *Service) resolve(ctx context.Context, op store.Op, o store.Outcome, rep *Report) {
	s.outcome(ctx, op.ID, o)
	op.Outcome, op.Status, op.Reason = o.Outcome, o.Status, o.Reason
	if o.NewRef != "" {
		op.NewRef = o.NewRef
	}
	rep.Resolved = append(rep.Resolved, op)
}

func (s *Service) reconcileCancel(ctx context.Context, a Account, op store.Op, rep *Report) {
	ref, err := models.ParseRef(op.Ref)
	if err != nil {
		return
	}
	caps := a.Provider.Capabilities()
	st, err := a.Provider.CancelStatus(ctx, ref.ID)
	if errors.Is(err, providers.ErrGone) || errors.Is(err, providers.ErrNotFound) {
		st, err = models.StatusCanceled, nil
	}
	if err != nil {
		rep.NeedYou = append(rep.NeedYou, NeedYou{Op: op, Reason: "checking the session's status failed: " + s.errText(err)})
		return
	}
	age := s.now().Sub(op.CreatedAt)
	switch {
	case st == models.StatusCanceled:
		s.setPending(ref, false)
		s.resolve(ctx, op, store.Outcome{Outcome: OutcomeOK, Status: string(st), Reason: "confirmed canceled by reconciliation"}, rep)
	case st == models.StatusCancelPending:
		if op.Outcome != OutcomePending {
			s.setPending(ref, true)
			s.resolve(ctx, op, store.Outcome{Outcome: OutcomePending, Status: string(st), Reason: "the provider shows the cancel as pending"}, rep)
		}
	case st.Final():
		s.setPending(ref, false)
		s.resolve(ctx, op, store.Outcome{Outcome: OutcomeFailed, Status: string(st),
			Reason: "not canceled: the session is " + st.Label()}, rep)
	case caps.AsyncCancel && (caps.CancelPendingTTL <= 0 || age <= caps.CancelPendingTTL):
		// The provider shows a queued cancel only once it completes: the
		// request may have been queued, so it is not sent again within
		// the window.
		if op.Outcome != OutcomePending {
			s.setPending(ref, true)
			s.resolve(ctx, op, store.Outcome{Outcome: OutcomePending, Status: string(models.StatusCancelPending),
				Reason: "the cancel may have been queued (the provider shows it only once done); not sent again before " +
					op.CreatedAt.Add(caps.CancelPendingTTL).Local().Format("15:04")}, rep)
		}
	default:
		s.setPending(ref, false)
		reason := "not applied: the session is still " + st.Label()
		if op.Outcome == OutcomePending {
			reason = "the queued cancel did not complete within " + caps.CancelPendingTTL.String() + "; the session is still " + st.Label()
		}
		s.resolve(ctx, op, store.Outcome{Outcome: OutcomeFailed, Status: string(st), Reason: reason}, rep)
	}
}

func (s *Service) reconcileCopy(ctx context.Context, a Account, op store.Op, rep *Report) {
	var in copyIntent
	if err := json.Unmarshal(op.Intent, &in); err != nil || in.Spec.OperationID != op.ID {
		rep.NeedYou = append(rep.NeedYou, NeedYou{Op: op, Reason: "the journal holds no copy details for this operation"})
		return
	}
	found, ok, err := a.Provider.FindCopy(ctx, in.Spec, s.findQuery(ctx, op))
	switch {
	case err != nil:
		rep.NeedYou = append(rep.NeedYou, NeedYou{Op: op, Retry: false,
			Reason: "looking for the copy failed: " + s.errText(err)})
	case ok && s.copyOwner(ctx, found.Ref.String(), op.ID) != "":
		rep.NeedYou = append(rep.NeedYou, NeedYou{Op: op,
			Reason: "the only lookalike found, " + found.Ref.String() + ", is another operation's copy"})
	case ok:
		s.resolve(ctx, op, store.Outcome{Outcome: OutcomeOK, Status: string(found.Status), NewRef: found.Ref.String(),
			Reason: "found by reconciliation; nothing was sent again"}, rep)
		if in.Spec.Options.CancelOriginal && !s.originalCanceled(ctx, op) {
			rep.NeedYou = append(rep.NeedYou, NeedYou{Op: op,
				Reason: "the copy " + found.Ref.String() + " exists, but the original " + op.Ref + " was not canceled"})
		}
	default:
		if op.Outcome == store.OutcomeNone {
			s.outcome(ctx, op.ID, store.Outcome{Outcome: OutcomeUnknown, Reason: "not found at the provider; retry it with its operation id"})
			op.Outcome = OutcomeUnknown
		}
		rep.NeedYou = append(rep.NeedYou, NeedYou{Op: op, Retry: true,
			Reason: "no copy found at the provider; it was most likely not made: retry with operation " + op.ID})
	}
}

// originalCanceled reports whether a cancel of op's source was recorded
// after op.
func (s *Service) originalCanceled(ctx context.Context, op store.Op) bool {
	ops, err := s.j.Ops(ctx, store.OpFilter{Action: ActionCancel, Account: op.Account, Ref: op.Ref, Since: op.CreatedAt})
	if err != nil {
		return false
	}
	for _, c := range ops {
		if c.Outcome == OutcomeOK || c.Outcome == OutcomePending {
			return true
		}
	}
	return false
}
