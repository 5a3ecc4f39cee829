package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/signdeck/signdeck/store"
)

// auditJSON is one operation of `signdeck audit --json`. The field names
// are stable.
type auditJSON struct {
	Time        time.Time `json:"time"`
	UpdatedAt   time.Time `json:"updated_at"`
	Action      string    `json:"action"`
	Account     string    `json:"account"`
	Provider    string    `json:"provider"`
	Ref         string    `json:"ref"`
	Title       string    `json:"title"`
	Outcome     string    `json:"outcome"`
	Status      string    `json:"status"`
	Reason      string    `json:"reason"`
	NewRef      string    `json:"new_ref"`
	OperationID string    `json:"operation_id"`
	Via         string    `json:"via"`
	Attempts    int       `json:"attempts"`
}

func (a *app) auditCmd() *cobra.Command {
	var since time.Duration
	var unresolved, asJSON bool
	var out *outputFlags
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Print the operations journal",
		Long: `Print the operations journal: every action that changed something (cancel,
copy, login, logout), newest first, with its time, action, ref, title,
outcome, reason, new ref and operation id.

Each action is recorded before its request is sent and its outcome after:
  ok        applied
  pending   an asynchronous cancel was queued; the provider confirms it later
  failed    certainly not applied
  unknown   may have been applied (a lost answer); checked before anything is sent again
  skipped   never sent, with the reason
  not_sent  stopped before sending (a signal, a shutdown)
An intent with no outcome yet ("") was in flight, or its process died.

--unresolved lists the operations still to settle (no outcome, unknown,
pending); signdeck checks them against the provider when the dashboard
starts and before a command acts.`,
		Example: `  signdeck audit --since 24h
  signdeck audit --unresolved --json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if since < 0 {
				return usageErrorf("--since must be positive")
			}
			asJSON, a.out = out.on(), out
			return a.audit(cmd.Context(), since, unresolved, asJSON)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&since, "since", 0, "only operations started within this long (e.g. 2h, 30m; default all)")
	f.BoolVar(&unresolved, "unresolved", false, "only operations without a final outcome (none yet, unknown, pending)")
	out = a.addOutputFlags(cmd, jsonFields(auditJSON{}))
	return cmd
}

func (a *app) audit(ctx context.Context, since time.Duration, unresolved, asJSON bool) error {
	db, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	f := store.OpFilter{Unresolved: unresolved}
	if since > 0 {
		f.Since = time.Now().Add(-since)
	}
	ops, err := db.Ops(ctx, f)
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]auditJSON, 0, len(ops))
		for _, op := range ops {
			out = append(out, auditJSON{Time: op.CreatedAt.UTC(), UpdatedAt: op.UpdatedAt.UTC(), Action: op.Action,
				Account: clean(op.Account), Provider: op.Provider, Ref: clean(op.Ref), Title: clean(op.Title),
				Outcome: op.Outcome, Status: op.Status, Reason: clean(op.Reason), NewRef: clean(op.NewRef),
				OperationID: op.ID, Via: op.Via, Attempts: op.Attempts})
		}
		return a.emit(out)
	}
	if len(ops) == 0 {
		what := "no operations"
		if unresolved {
			what = "no unresolved operations"
		}
		a.stdout.Write([]byte(what + " in " + a.storePath() + "\n"))
		return nil
	}
	tw := newTable(a.stdout)
	row(tw, "TIME", "ACTION", "REF", "TITLE", "OUTCOME", "REASON", "NEW REF", "OPERATION")
	for _, op := range ops {
		outcome := op.Outcome
		if outcome == "" {
			outcome = "(none yet)"
		}
		row(tw, op.CreatedAt.Local().Format("2006-01-02 15:04:05"), op.Action, dash(clean(op.Ref)),
			dash(truncate(clean(op.Title), 40)), outcome, dash(truncate(clean(op.Reason), 80)), dash(clean(op.NewRef)), op.ID)
	}
	return tw.Flush()
}
