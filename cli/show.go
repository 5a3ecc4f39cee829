package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

func (a *app) showCmd() *cobra.Command {
	var out *outputFlags
	cmd := &cobra.Command{
		Use:   "show ACCOUNT/ID",
		Short: "Show one session in full: signers, dates, action log",
		Example: `  signdeck show acme/fa5c8a0b0f492d768749333ad6fcc214c111e967
  signdeck show c1-prod/123456 --json
  signdeck show acme/ID --jq '.signer_details[] | select(.status != "signed") | .email'`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.show(cmd.Context(), args[0], out)
		},
	}
	out = a.addOutputFlags(cmd, jsonFields(detailJSON{}))
	return cmd
}

// resolveRef parses ACCOUNT/ID and finds the account (both exit 2 on
// failure).
func (a *app) resolveRef(cfg *config.Config, arg string) (models.Ref, config.Account, error) {
	ref, err := models.ParseRef(arg)
	if err != nil {
		return models.Ref{}, config.Account{}, usageError(err)
	}
	acct, err := a.account(cfg, ref.Account)
	if err != nil {
		return models.Ref{}, config.Account{}, err
	}
	return ref, acct, nil
}

func (a *app) show(ctx context.Context, arg string, of *outputFlags) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	ref, acct, err := a.resolveRef(cfg, arg)
	if err != nil {
		return err
	}
	p, err := a.providerFor(ctx, acct)
	if err != nil {
		return err
	}
	s, err := p.Get(ctx, ref.ID)
	if err != nil {
		return err
	}
	if of != nil && of.on() {
		return of.write(a.stdout, toDetailJSON(&s))
	}
	a.printDetail(a.stdout, &s, p.Capabilities())
	return nil
}

// printDetail prints a session in full for humans.
func (a *app) printDetail(w io.Writer, s *models.Session, caps providers.Capabilities) {
	color := a.color()
	tw := newTable(w)
	field := func(k, v string) { row(tw, k+":", v) }
	field("Ref", clean(s.Ref.String()))
	field("Provider", s.Provider.Label())
	field("Title", dash(clean(s.Title)))
	st := statusCell(s.Status, color) + " (" + clean(string(s.Status)) + ")"
	if s.RawStatus != "" && s.RawStatus != string(s.Status) {
		st += ", provider says " + strconv.Quote(clean(s.RawStatus))
	}
	field("Status", st)
	if s.Subject != "" {
		field("Subject", clean(s.Subject))
	}
	if s.Message != "" {
		field("Message", truncate(clean(s.Message), 200))
	}
	field("Created", humanTime(s.CreatedAt))
	field("Updated", humanTime(s.UpdatedAt))
	field("Expires", humanTime(s.ExpiresAt))
	if s.Requester != "" {
		field("Requester", clean(s.Requester))
	}
	if s.TransactionID != "" {
		field("Transaction", clean(s.TransactionID))
	}
	if s.TestMode {
		field("Test mode", "yes")
	}
	if s.URL != "" {
		field("URL", clean(s.URL))
	}
	if len(s.CC) > 0 {
		var cc string
		for i, c := range s.CC {
			if i > 0 {
				cc += ", "
			}
			cc += clean(c)
		}
		field("CC", cc)
	}
	if reason := s.CancelBlockedReason(); reason != "" && caps.Cancel {
		field("Cancel", "not possible: "+reason)
	}
	tw.Flush()

	for _, wmsg := range s.Warnings {
		fmt.Fprintf(w, "warning: %s\n", clean(wmsg))
	}

	fmt.Fprintln(w)
	if len(s.Signers) == 0 {
		fmt.Fprintln(w, "Signers: none")
	} else {
		fmt.Fprintln(w, "Signers:")
		tw = newTable(w)
		row(tw, "  #", "NAME", "EMAIL", "STATUS", "SIGNED AT", "NOTE")
		for i, g := range s.Signers {
			note := g.DeclineReason
			if g.Error != "" {
				note = g.Error
			}
			if g.Role != "" {
				if note != "" {
					note = "role " + g.Role + "; " + note
				} else {
					note = "role " + g.Role
				}
			}
			row(tw, "  "+strconv.Itoa(i+1), dash(clean(g.DisplayName())), dash(clean(g.Email)),
				g.Status.Label(), humanTime(g.SignedAt), dash(clean(note)))
		}
		tw.Flush()
	}

	if len(s.ActionLog) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Action log:")
		tw = newTable(w)
		row(tw, "  TIME", "ACTOR", "ACTION", "DETAIL")
		for _, e := range s.ActionLog {
			row(tw, "  "+humanTime(e.Time), dash(clean(e.Actor)), dash(clean(e.Action)), dash(clean(e.Detail)))
		}
		tw.Flush()
	} else if caps.ActionLog {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Action log: empty")
	}
}
