package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	core "github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

func (a *app) remindCmd() *cobra.Command {
	var o actionOpts
	var email string
	cmd := &cobra.Command{
		Use:   "remind ACCOUNT/ID...",
		Short: "Remind the pending signers of sessions",
		Long: `Remind the signers who have not signed yet: every pending signer of each
session, or only the one with --email. A signer who signed or declined, or
who is not invited yet, is skipped with the reason. Dropbox Sign allows one
reminder an hour per signer: a signer reminded within the hour is skipped
with the time the next reminder is allowed. Constellation1 sends the
signer a new invitation email.

Every reminder is recorded in the operations journal (action "remind")
before it is sent. Without --yes you are asked to confirm; when stdin is
not a terminal signdeck refuses (exit 2) instead of asking.

Exit status 1 when any reminder failed or its outcome is unknown (skipped
signers do not count).`,
		Example: `  signdeck remind acme/fa5c8a0b0f49 --yes
  signdeck remind c1-prod/123456 --email ana@example.com --yes --json`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.remind(cmd.Context(), args, email, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&email, "email", "", "remind only the signer with this email address")
	a.actionFlags(&o, cmd)
	return cmd
}

// actionOpts are the flags every changing action shares.
type actionOpts struct {
	yes, json bool
}

// flags adds --yes and the output flags (--json[=fields], --jq,
// --template); o.json is set from them before the command runs.
func (a *app) actionFlags(o *actionOpts, cmd *cobra.Command) {
	cmd.Flags().BoolVarP(&o.yes, "yes", "y", false, "do not ask for confirmation")
	out := a.addOutputFlags(cmd, jsonFields(actionJSON{}))
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if prev != nil {
			if err := prev(c, args); err != nil {
				return err
			}
		}
		o.json, a.out = out.on(), out
		return nil
	}
}

// target is one session argument with its account.
type target struct {
	ref  models.Ref
	acct config.Account
}

// targets resolves the session arguments (duplicates once) and the
// accounts they name.
func (a *app) targets(cfg *config.Config, args []string) ([]target, []config.Account, error) {
	var out []target
	var accts []config.Account
	seen := map[string]bool{}
	for _, s := range args {
		ref, acct, err := a.resolveRef(cfg, s)
		if err != nil {
			return nil, nil, err
		}
		if seen[ref.Key()] {
			continue
		}
		seen[ref.Key()] = true
		out = append(out, target{ref, acct})
		if !slices.ContainsFunc(accts, func(c config.Account) bool { return c.Name == acct.Name }) {
			accts = append(accts, acct)
		}
	}
	return out, accts, nil
}

// prepare does what every changing action does before it acts: refuse in
// read-only mode and without a way to confirm, open the service, resolve
// the accounts and reconcile their unresolved operations.
func (a *app) prepare(ctx context.Context, cfg *config.Config, accts []config.Account, verb string, yes bool) (*core.Service, map[string]core.Account, error) {
	if err := a.refuseReadonly(cfg, verb); err != nil {
		return nil, nil, err
	}
	if err := a.needConfirmation(yes, verb); err != nil {
		return nil, nil, err
	}
	svc, err := a.service(ctx)
	if err != nil {
		return nil, nil, err
	}
	byName := a.appAccounts(ctx, accts)
	a.reconcile(ctx, svc, byName)
	return svc, byName, nil
}

// confirmTargets lists the targets on stderr and asks question.
func (a *app) confirmTargets(ts []target, question string) error {
	for _, t := range ts {
		fmt.Fprintf(a.stderr, "  %s\n", clean(t.ref.String()))
	}
	ok, err := a.confirm(question)
	if err != nil {
		return err
	}
	if !ok {
		return errAborted
	}
	return nil
}

// actionJSON is one session's result of remind, update or send.
type actionJSON struct {
	Ref         string             `json:"ref"`
	OK          bool               `json:"ok"`
	Outcome     string             `json:"outcome"`
	Error       *string            `json:"error"`
	OperationID string             `json:"operation_id,omitempty"`
	Status      string             `json:"status,omitempty"`
	ExpiresAt   *string            `json:"expires_at,omitempty"`
	Signers     []actionSignerJSON `json:"signers,omitempty"`
}

// actionSignerJSON is one signer's result.
type actionSignerJSON struct {
	Email      string  `json:"email"`
	Name       string  `json:"name,omitempty"`
	Outcome    string  `json:"outcome"`
	Reason     string  `json:"reason,omitempty"`
	NextRemind *string `json:"next_remind,omitempty"`
}

func toActionJSON(o core.ActionOutcome) actionJSON {
	j := actionJSON{Ref: clean(o.Ref.String()), OK: o.OK(), Outcome: o.Outcome, OperationID: o.OpID}
	if o.Reason != "" && !o.OK() {
		r := clean(o.Reason)
		j.Error = &r
	}
	for _, g := range o.Signers {
		sj := actionSignerJSON{Email: clean(g.Signer.Email), Name: clean(g.Signer.DisplayName()), Outcome: g.Outcome, Reason: clean(g.Reason)}
		if !g.NextRemind.IsZero() {
			sj.NextRemind = jsonTime(g.NextRemind)
		}
		j.Signers = append(j.Signers, sj)
	}
	return j
}

// failedAction reports whether an outcome counts as a failure (exit 1).
func failedAction(outcome string) bool {
	return outcome != core.OutcomeOK && outcome != core.OutcomeSkipped
}

// resultText is a result cell: the outcome and its reason.
func resultText(outcome, okText, reason string) string {
	switch outcome {
	case core.OutcomeOK:
		if reason != "" {
			return okText + " (" + reason + ")"
		}
		return okText
	case core.OutcomeNotSent:
		return "not sent: " + reason
	case "":
		return reason
	}
	return outcome + ": " + reason
}

// printActions prints one row per signer (or per session when it has no
// signer results).
func (a *app) printActions(outs []core.ActionOutcome, okText string) {
	tw := newTable(a.stdout)
	row(tw, "REF", "SIGNER", "RESULT")
	for _, o := range outs {
		if len(o.Signers) == 0 || failedAction(o.Outcome) && o.Outcome != core.OutcomeFailed && o.Outcome != core.OutcomeUnknown {
			row(tw, clean(o.Ref.String()), "-", clean(resultText(o.Outcome, okText, o.Reason)))
			continue
		}
		for _, g := range o.Signers {
			reason := g.Reason
			if g.Outcome == core.OutcomeOK && !g.NextRemind.IsZero() && okText == "reminded" {
				reason = "next allowed " + g.NextRemind.Local().Format("15:04")
			}
			who := signerText(g.Signer.DisplayName(), g.Signer.Email)
			if g.Signer.Email == "" {
				who = clean(g.Signer.DisplayName())
			}
			row(tw, clean(o.Ref.String()), dash(who), clean(resultText(g.Outcome, okText, reason)))
		}
	}
	tw.Flush()
}

// reportActions prints the outcomes (table or JSON) and the failures on
// stderr, and returns errFailed when any failed.
func (a *app) reportActions(verb, okText string, outs []core.ActionOutcome, asJSON bool, extra func(i int, j *actionJSON)) error {
	failed := false
	for _, o := range outs {
		if failedAction(o.Outcome) {
			failed = true
			fmt.Fprintf(a.stderr, "signdeck: %s %s: %s\n", verb, clean(o.Ref.String()), clean(o.Reason))
		}
	}
	if asJSON {
		js := make([]actionJSON, 0, len(outs))
		for i, o := range outs {
			j := toActionJSON(o)
			if extra != nil {
				extra(i, &j)
			}
			js = append(js, j)
		}
		if err := a.emit(js); err != nil {
			return err
		}
	} else {
		a.printActions(outs, okText)
	}
	if failed {
		return errFailed
	}
	return nil
}

// localInvalid reports whether err is a provider's refusal of the input
// before anything was sent (a validation error: exit 2).
func localInvalid(err error) bool {
	var pe *providers.Error
	return errors.As(err, &pe) && errors.Is(err, providers.ErrInvalid) && pe.Status == 0
}

func (a *app) remind(ctx context.Context, args []string, email string, o actionOpts) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	ts, accts, err := a.targets(cfg, args)
	if err != nil {
		return err
	}
	email = strings.TrimSpace(email)
	if email != "" {
		if err := models.ValidateEmail(email); err != nil {
			return usageErrorf("--email: %v", err)
		}
	}
	svc, byName, err := a.prepare(ctx, cfg, accts, "remind", o.yes)
	if err != nil {
		return err
	}
	if !o.yes {
		who := "the pending signers"
		if email != "" {
			who = clean(email)
		}
		if err := a.confirmTargets(ts, fmt.Sprintf("Remind %s of %s?", who, plural(len(ts), "session", "sessions"))); err != nil {
			return err
		}
	}
	outs := make([]core.ActionOutcome, len(ts))
	for i, t := range ts {
		outs[i] = svc.Remind(ctx, byName[t.acct.Name], t.ref, email).ActionOutcome
	}
	return a.reportActions("remind", "reminded", outs, o.json, nil)
}
