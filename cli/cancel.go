package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/signdeck/signdeck/audit"
	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// Polling of an asynchronous cancel with --wait.
const (
	defaultPollFirst   = time.Second
	defaultPollMax     = 10 * time.Second
	defaultWaitTimeout = 2 * time.Minute
)

func (a *app) cancelCmd() *cobra.Command {
	var o cancelOpts
	cmd := &cobra.Command{
		Use:   "cancel ACCOUNT/ID...",
		Short: "Cancel sessions",
		Long: `Cancel one or more sessions. Each target is fetched first; one that can no
longer be canceled (completed, declined, expired, already canceled or
cancel pending) is reported as skipped with the reason and not sent.

Dropbox Sign shows nothing of a queued cancel until it completes, so
signdeck remembers the cancels it queued (for an hour, the vendor's
confirmation window) in $XDG_STATE_HOME/signdeck/pending-cancels.jsonl: a
later run shows such a session as cancel pending and does not send the
cancel again.

Without --yes the targets are listed and you are asked to confirm; when
stdin is not a terminal signdeck refuses (exit 2) instead of asking.

Dropbox Sign cancels asynchronously: the result is cancel_pending until the
provider confirms. --wait polls until every pending cancel is confirmed
(also one requested by an earlier run), for at most --timeout; an
unconfirmed one then counts as failed.

Exit status 1 when any target failed (skipped targets do not count); every
outcome is written to the audit log.`,
		Example: `  signdeck cancel acme/fa5c8a0b0f49 --yes
  signdeck cancel acme/fa5c8a0b0f49 c1-prod/123456 --yes --wait --json`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.cancel(cmd.Context(), args, o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.yes, "yes", "y", false, "do not ask for confirmation")
	f.BoolVar(&o.wait, "wait", false, "wait until asynchronous cancels are confirmed")
	f.DurationVar(&o.timeout, "timeout", defaultWaitTimeout, "how long --wait waits in all")
	f.BoolVar(&o.json, "json", false, `print a JSON array of {"ref", "ok", "status", "error", "skipped"}`)
	return cmd
}

type cancelOpts struct {
	yes, wait, json bool
	timeout         time.Duration
}

// cancelTarget is one session to cancel and what happened to it.
type cancelTarget struct {
	ref     models.Ref
	acct    config.Account
	p       providers.Provider
	title   string
	status  models.Status // last status seen
	sent    bool          // a cancel request was accepted
	ok      bool
	skipped bool
	pending bool   // skipped: a cancel queued earlier is still pending
	reason  string // why it was skipped or failed
}

func (t *cancelTarget) fail(err error) {
	t.ok = false
	t.reason = reason(err)
}

func (a *app) cancel(ctx context.Context, args []string, o cancelOpts) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	var targets []*cancelTarget
	seen := map[string]bool{}
	for _, arg := range args {
		ref, acct, err := a.resolveRef(cfg, arg)
		if err != nil {
			return err
		}
		if seen[ref.Key()] {
			continue
		}
		seen[ref.Key()] = true
		targets = append(targets, &cancelTarget{ref: ref, acct: acct})
	}
	if o.wait && o.timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	if err := a.refuseReadonly(cfg, "cancel"); err != nil {
		return err
	}
	if err := a.needConfirmation(o.yes, "cancel"); err != nil {
		return err
	}
	al := a.auditOrWarn()

	// One client per account.
	type client struct {
		p   providers.Provider
		err error
	}
	clients := map[string]client{}
	for _, t := range targets {
		c, ok := clients[t.acct.Name]
		if !ok {
			p, err := a.providerFor(ctx, t.acct)
			c = client{p, err}
			clients[t.acct.Name] = c
		}
		t.p = c.p
		if c.err != nil {
			t.fail(c.err)
		}
	}

	// Check eligibility.
	var eligible []*cancelTarget
	for _, t := range targets {
		if t.p == nil {
			continue
		}
		if !t.p.Capabilities().Cancel {
			t.skipped, t.reason = true, t.acct.Provider.Label()+" sessions cannot be canceled"
			continue
		}
		s, err := t.p.Get(ctx, t.ref.ID)
		if err != nil {
			if errors.Is(err, providers.ErrGone) {
				// Dropbox Sign answers 410 for a canceled (or removed)
				// request: there is nothing left to cancel.
				t.skipped, t.reason = true, "session already canceled or deleted (the provider answers 410 Gone)"
				continue
			}
			t.fail(err)
			continue
		}
		t.title, t.status = s.Title, s.Status
		if s.Status == models.StatusCancelPending {
			// An asynchronous cancel was queued earlier (by this or an
			// earlier run): sending it again would only queue it again.
			t.skipped, t.pending = true, true
			t.reason = "a cancel was already requested and is pending; not sent again (the provider completes cancels asynchronously; --wait waits for the confirmation)"
			if s.RawStatus != "" {
				t.reason = "a cancel was already requested (" + clean(s.RawStatus) + ") and is pending; not sent again (the provider completes cancels asynchronously; --wait waits for the confirmation)"
			}
			continue
		}
		if reason := s.CancelBlockedReason(); reason != "" {
			t.skipped, t.reason = true, reason
			continue
		}
		eligible = append(eligible, t)
	}

	if len(eligible) > 0 && !o.yes {
		fmt.Fprintf(a.stderr, "About to cancel %s:\n", plural(len(eligible), "session", "sessions"))
		tw := newTable(a.stderr)
		for _, t := range eligible {
			row(tw, "  "+clean(t.ref.String()), t.status.Label(), dash(clean(t.title)))
		}
		tw.Flush()
		ok, err := a.confirm(fmt.Sprintf("Cancel %s?", plural(len(eligible), "session", "sessions")))
		if err != nil {
			return err
		}
		if !ok {
			return errAborted
		}
	}

	// Send.
	for _, t := range eligible {
		res, err := t.p.Cancel(ctx, t.ref.ID)
		if err != nil {
			t.fail(err)
			a.auditCancel(al, "cancel", t, "failed")
			continue
		}
		t.sent, t.ok = true, true
		t.status = res.Status
		if t.status == "" {
			t.status = models.StatusCanceled
			if t.p.Capabilities().AsyncCancel {
				t.status = models.StatusCancelPending
			}
		}
		outcome := "ok"
		if t.status == models.StatusCancelPending {
			outcome = "pending"
		}
		a.auditCancel(al, "cancel", t, outcome)
	}

	// Wait for asynchronous cancels, including those queued by an
	// earlier run.
	if o.wait {
		waiting := slices.Clone(eligible)
		for _, t := range targets {
			if t.pending {
				waiting = append(waiting, t)
			}
		}
		a.waitCanceled(ctx, al, waiting, o.timeout)
	}

	// Record the targets that were never sent.
	for _, t := range targets {
		switch {
		case t.skipped:
			a.auditCancel(al, "cancel", t, "skipped")
		case t.pending:
			// Queued earlier and waited for: audited as cancel_confirmed.
		case !t.sent && !slices.Contains(eligible, t):
			a.auditCancel(al, "cancel", t, "failed")
		}
	}

	failed := false
	for _, t := range targets {
		if !t.ok && !t.skipped {
			failed = true
			fmt.Fprintf(a.stderr, "signdeck: cancel %s: %s\n", clean(t.ref.String()), t.reason)
		}
	}
	if o.json {
		out := make([]cancelJSON, 0, len(targets))
		for _, t := range targets {
			j := cancelJSON{Ref: clean(t.ref.String()), OK: t.ok, Status: string(t.status), Skipped: t.skipped}
			if t.reason != "" {
				r := t.reason
				j.Error = &r
			}
			out = append(out, j)
		}
		if err := writeJSON(a.stdout, out); err != nil {
			return err
		}
	} else {
		a.printCancel(targets, o.wait)
	}
	if failed {
		return errFailed
	}
	return nil
}

// waitCanceled polls every pending cancel concurrently until it is
// confirmed, turns final otherwise, or timeout runs out.
func (a *app) waitCanceled(ctx context.Context, al *audit.Logger, targets []*cancelTarget, timeout time.Duration) {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, t := range targets {
		if !(t.sent || t.pending) || t.status != models.StatusCancelPending {
			continue
		}
		wg.Go(func() {
			st, err := providers.WaitCanceled(wctx, t.p, t.ref.ID, a.pollFirst(), a.pollMax())
			mu.Lock()
			defer mu.Unlock()
			if st != "" {
				t.status = st
			}
			if t.pending {
				// Waited for, so its outcome counts like a cancel sent now.
				t.skipped, t.ok = false, true
				t.reason = ""
			}
			switch {
			case err == nil && st == models.StatusCanceled:
				a.auditCancel(al, "cancel_confirmed", t, "ok")
				return
			case err == nil:
				t.fail(fmt.Errorf("the session became %s before the cancel took effect", st))
			case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
				t.fail(fmt.Errorf("cancel requested but not confirmed within %s (status %s)", timeout, t.status))
			default:
				t.fail(fmt.Errorf("cancel requested but not confirmed: %w", err))
			}
			a.auditCancel(al, "cancel_confirmed", t, "failed")
		})
	}
	wg.Wait()
}

func (a *app) pollFirst() time.Duration {
	if a.pollFirstD > 0 {
		return a.pollFirstD
	}
	return defaultPollFirst
}

func (a *app) pollMax() time.Duration {
	if a.pollMaxD > 0 {
		return a.pollMaxD
	}
	return defaultPollMax
}

func (a *app) auditCancel(al *audit.Logger, action string, t *cancelTarget, outcome string) {
	ev := audit.Event{
		Action:   action,
		Account:  t.acct.Name,
		Provider: string(t.acct.Provider),
		Ref:      t.ref.String(),
		Title:    t.title,
		Outcome:  outcome,
		Status:   string(t.status),
		Via:      "cli",
	}
	if outcome == "failed" || outcome == "skipped" {
		ev.Error = t.reason
	}
	if err := al.Log(ev); err != nil {
		a.log().Warn("audit log write failed", "error", err)
	}
}

func (a *app) printCancel(targets []*cancelTarget, wait bool) {
	color := a.color()
	tw := newTable(a.stdout)
	row(tw, "REF", paint("STATUS", ansiDefault, color), "RESULT")
	for _, t := range targets {
		st := "-"
		if t.status != "" {
			st = statusCell(t.status, color)
		} else if color {
			st = paint(st, ansiDefault, color)
		}
		var result string
		switch {
		case t.skipped:
			result = "skipped: " + t.reason
		case !t.ok:
			result = "failed: " + t.reason
		case t.status == models.StatusCancelPending && !wait:
			result = "cancel requested; the provider confirms it later (see --wait)"
		case t.status == models.StatusCancelPending:
			result = "cancel requested"
		case t.pending:
			result = "canceled (requested earlier, now confirmed)"
		default:
			result = "canceled"
		}
		row(tw, clean(t.ref.String()), st, result)
	}
	tw.Flush()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
