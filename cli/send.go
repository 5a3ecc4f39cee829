package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	core "github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/providers"
)

func (a *app) sendCmd() *cobra.Command {
	var o actionOpts
	cmd := &cobra.Command{
		Use:   "send ACCOUNT/ID...",
		Short: "Send draft sessions (Constellation1)",
		Long: `Send Constellation1 drafts: the signers are invited. A Constellation1 copy
lands as a draft that invites nobody; signdeck copy sends it unless
--send=false, and this command sends one left as a draft. A session that
is not a draft is skipped with the reason; Dropbox Sign has no drafts.

Every send is recorded in the operations journal (action "send") before
it goes out. Without --yes you are asked to confirm; when stdin is not a
terminal signdeck refuses (exit 2) instead of asking.

Exit status 1 when any send failed or its outcome is unknown.`,
		Example: `  signdeck send c1-prod/123456 --yes
  signdeck send c1-prod/123456 c1-prod/789012 --yes --json`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.send(cmd.Context(), args, o)
		},
	}
	a.actionFlags(&o, cmd)
	return cmd
}

func (a *app) send(ctx context.Context, args []string, o actionOpts) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	ts, accts, err := a.targets(cfg, args)
	if err != nil {
		return err
	}
	svc, byName, err := a.prepare(ctx, cfg, accts, "send", o.yes)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if p := byName[t.acct.Name].Provider; p != nil {
			if why := providers.StartDraftRefusal(p); why != "" {
				return usageErrorf("%s: %s", clean(t.ref.String()), why)
			}
		}
	}
	if !o.yes {
		if err := a.confirmTargets(ts, fmt.Sprintf("Send %s and invite the signers?", plural(len(ts), "draft", "drafts"))); err != nil {
			return err
		}
	}
	outs := make([]core.SendOutcome, len(ts))
	acts := make([]core.ActionOutcome, len(ts))
	for i, t := range ts {
		outs[i] = svc.StartDraft(ctx, byName[t.acct.Name], t.ref, "")
		acts[i] = outs[i].ActionOutcome
		if outs[i].Outcome == core.OutcomeOK && outs[i].Status != "" {
			acts[i].Reason = "now " + outs[i].Status.Label()
		}
	}
	return a.reportActions("send", "sent", acts, o.json, func(i int, j *actionJSON) {
		j.Status = string(outs[i].Status)
	})
}
