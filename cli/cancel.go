package cli

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/spf13/cobra"

	core "github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/models"
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

Every cancel is recorded in the operations journal before it is sent
(see signdeck audit). Dropbox Sign shows nothing of a queued cancel until
it completes, so the journal remembers the cancels queued (for an hour,
the vendor's confirmation window): a later run shows such a session as
cancel pending and does not send the cancel again. Operations an earlier
run left unresolved (a crash, a lost answer) are checked against the
provider first.

Without --yes the targets are listed and you are asked to confirm; when
stdin is not a terminal signdeck refuses (exit 2) instead of asking.

Dropbox Sign cancels asynchronously: the result is cancel_pending until the
provider confirms. --wait polls until every pending cancel is confirmed
(also one requested by an earlier run), for at most --timeout; an
unconfirmed one then counts as failed.

Exit status 1 when any target failed or its outcome is unknown (skipped
targets do not count); every outcome is written to the journal.`,
		Example: `  signdeck cancel acme/fa5c8a0b0f49 --yes
  signdeck cancel acme/fa5c8a0b0f49 c1-prod/123456 --yes --wait --json`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.timeoutSet = cmd.Flags().Changed("timeout")
			return a.cancel(cmd.Context(), args, o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.yes, "yes", "y", false, "do not ask for confirmation")
	f.BoolVar(&o.wait, "wait", false, "wait until asynchronous cancels are confirmed")
	f.DurationVar(&o.timeout, "timeout", defaultWaitTimeout, "how long --wait waits in all")
	out := a.addOutputFlags(cmd, jsonFields(cancelJSON{}))
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if err := prev(c, args); err != nil {
			return err
		}
		o.json, a.out = out.on(), out
		return nil
	}
	return cmd
}

type cancelOpts struct {
	yes, wait, json bool
	timeout         time.Duration
	timeoutSet      bool
}

func (a *app) cancel(ctx context.Context, args []string, o cancelOpts) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	type arg struct {
		ref  models.Ref
		acct config.Account
	}
	var refs []arg
	seen := map[string]bool{}
	var accts []config.Account
	for _, s := range args {
		ref, acct, err := a.resolveRef(cfg, s)
		if err != nil {
			return err
		}
		if seen[ref.Key()] {
			continue
		}
		seen[ref.Key()] = true
		refs = append(refs, arg{ref, acct})
		if !slices.ContainsFunc(accts, func(c config.Account) bool { return c.Name == acct.Name }) {
			accts = append(accts, acct)
		}
	}
	if o.timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	if o.timeoutSet && !o.wait {
		return usageErrorf("--timeout only applies with --wait")
	}
	if err := a.refuseReadonly(cfg, "cancel"); err != nil {
		return err
	}
	if err := a.needConfirmation(o.yes, "cancel"); err != nil {
		return err
	}
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	byName := a.appAccounts(ctx, accts)
	a.reconcile(ctx, svc, byName)

	targets := make([]core.CancelTarget, len(refs))
	for i, r := range refs {
		targets[i] = core.CancelTarget{Account: byName[r.acct.Name], Ref: r.ref}
	}
	plan := svc.PlanCancel(ctx, targets, true)

	if len(plan.Eligible) > 0 && !o.yes {
		fmt.Fprintf(a.stderr, "About to cancel %s:\n", plural(len(plan.Eligible), "session", "sessions"))
		tw := newTable(a.stderr)
		for _, it := range plan.Eligible {
			row(tw, "  "+clean(it.Target.Ref.String()), it.Status.Label(), dash(clean(it.Title)))
		}
		tw.Flush()
		ok, err := a.confirm(fmt.Sprintf("Cancel %s?", plural(len(plan.Eligible), "session", "sessions")))
		if err != nil {
			return err
		}
		if !ok {
			return errAborted
		}
	}

	outs := svc.RunCancels(ctx, plan, nil)
	// Order the outcomes as the arguments were given.
	order := map[string]int{}
	for i, r := range refs {
		order[r.ref.Key()] = i
	}
	slices.SortStableFunc(outs, func(x, y core.CancelOutcome) int {
		return order[x.Item.Target.Ref.Key()] - order[y.Item.Target.Ref.Key()]
	})

	if o.wait {
		// Wait for the asynchronous cancels, including those queued by an
		// earlier run.
		pace := core.Pacing{First: a.pollFirst(), Max: a.pollMax(), Timeout: o.timeout}
		var wg sync.WaitGroup
		for i := range outs {
			c := &outs[i]
			if c.Outcome != core.OutcomePending && !(c.Outcome == core.OutcomeSkipped && c.Item.Pending) {
				continue
			}
			wg.Go(func() {
				r := svc.Confirm(ctx, c.Item.Target.Account, c.Item.Target.Ref, c.Item.Title, c.OpID, pace)
				c.Item.Pending = c.Outcome == core.OutcomeSkipped
				c.Outcome, c.Status, c.Reason, c.Err = r.Outcome, r.Status, r.Reason, r.Err
				if c.Outcome == core.OutcomePending {
					// Not confirmed in time: the CLI counts it as failed.
					c.Outcome = core.OutcomeFailed
				}
			})
		}
		wg.Wait()
	}

	failed := false
	for _, c := range outs {
		if c.Outcome != core.OutcomeOK && c.Outcome != core.OutcomePending && c.Outcome != core.OutcomeSkipped {
			failed = true
			fmt.Fprintf(a.stderr, "signdeck: cancel %s: %s\n", clean(c.Item.Target.Ref.String()), clean(c.Reason))
		}
	}
	if o.json {
		out := make([]cancelJSON, 0, len(outs))
		for _, c := range outs {
			j := cancelJSON{Ref: clean(c.Item.Target.Ref.String()), OK: c.OK(), Status: string(c.Status),
				Skipped: c.Outcome == core.OutcomeSkipped, Outcome: c.Outcome, OperationID: c.OpID}
			if c.Reason != "" && !c.OK() {
				r := clean(c.Reason)
				j.Error = &r
			}
			out = append(out, j)
		}
		if err := a.emit(out); err != nil {
			return err
		}
	} else {
		a.printCancel(outs, o.wait)
	}
	if failed {
		return errFailed
	}
	return nil
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

func (a *app) printCancel(outs []core.CancelOutcome, wait bool) {
	color := a.color()
	tw := newTable(a.stdout)
	row(tw, "REF", paint("STATUS", ansiDefault, color), "RESULT")
	for _, c := range outs {
		st := "-"
		if c.Status != "" {
			st = statusCell(c.Status, color)
		} else if color {
			st = paint(st, ansiDefault, color)
		}
		var result string
		switch {
		case c.Outcome == core.OutcomeSkipped:
			result = "skipped: " + c.Reason
		case c.Outcome == core.OutcomeUnknown:
			result = "unknown: " + c.Reason
		case c.Outcome == core.OutcomeNotSent:
			result = "not sent: " + c.Reason
		case !c.OK():
			result = "failed: " + c.Reason
		case c.Status == models.StatusCancelPending && !wait:
			result = "cancel requested; the provider confirms it later (see --wait)"
		case c.Status == models.StatusCancelPending:
			result = "cancel requested"
		case c.Item.Pending:
			result = "canceled (requested earlier, now confirmed)"
		default:
			result = "canceled"
		}
		row(tw, clean(c.Item.Target.Ref.String()), st, clean(result))
	}
	tw.Flush()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
