package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	core "github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

func (a *app) updateCmd() *cobra.Command {
	var o actionOpts
	var signers []string
	var expires string
	cmd := &cobra.Command{
		Use:   "update ACCOUNT/ID...",
		Short: "Fix a signer in place or change the expiry date",
		Long: `Fix a signer of a sent session without sending a new one, and/or change
its expiry date.

--signer OLD_EMAIL="New Name <new@example.com>" changes the signer whose
email is OLD_EMAIL (repeatable); the new value may also be just a name
("New Name") or just an address (new@example.com). Dropbox Sign gives the
signer a new signing link and refuses the change for a request sent with
an appended signature page (copy the request instead); Constellation1
updates the signer in place.

--expires DATE sets the expiry (Dropbox Sign only, 1 hour to 90 days
ahead; the vendor rounds down to the hour). DATE is YYYY-MM-DD (the end
of that day, local time) or RFC 3339 (2026-12-20T17:00:00+01:00).
Several sessions may be given with --expires alone; --signer takes one.

Every update is recorded in the operations journal (action "update")
before it is sent. Without --yes you are asked to confirm; when stdin is
not a terminal signdeck refuses (exit 2) instead of asking.

Exit status 2 for invalid flags (a bad date or email), 1 when any change
failed or its outcome is unknown.`,
		Example: `  signdeck update acme/fa5c8a0b0f49 --signer ana@exmaple.com="Ana Lima <ana@example.com>" --yes
  signdeck update acme/fa5c8a0b0f49 acme/0b1c2d3e4f --expires 2026-12-20 --yes --json`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.update(cmd.Context(), args, signers, expires, o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&signers, "signer", nil, `OLD_EMAIL="New Name <new@example.com>": fix this signer (repeatable)`)
	f.StringVar(&expires, "expires", "", "new expiry date: YYYY-MM-DD (end of that day, local time) or RFC 3339")
	a.actionFlags(&o, cmd)
	return cmd
}

// parseSignerUpdate parses OLD_EMAIL=VALUE, VALUE being "Name <email>",
// a name, or an email address.
func parseSignerUpdate(s string) (providers.SignerUpdate, error) {
	old, val, ok := strings.Cut(s, "=")
	old, val = strings.TrimSpace(old), strings.TrimSpace(val)
	if !ok || old == "" || val == "" {
		return providers.SignerUpdate{}, errors.New(`want OLD_EMAIL="New Name <new@example.com>"`)
	}
	if err := models.ValidateEmail(old); err != nil {
		return providers.SignerUpdate{}, fmt.Errorf("the signer to change: %v", err)
	}
	u := providers.SignerUpdate{Signer: old}
	switch {
	case strings.Contains(val, "<"):
		g, err := models.ParseSignerArg(val)
		if err != nil {
			return providers.SignerUpdate{}, err
		}
		u.Name, u.Email = strings.TrimSpace(g.Name), strings.TrimSpace(g.Email)
	case strings.Contains(val, "@") && !strings.Contains(val, " "):
		if err := models.ValidateEmail(val); err != nil {
			return providers.SignerUpdate{}, err
		}
		u.Email = val
	default:
		u.Name = val
	}
	if strings.EqualFold(u.Email, old) {
		u.Email = "" // unchanged
	}
	if u.Email == "" && u.Name == "" {
		return providers.SignerUpdate{}, fmt.Errorf("nothing to change for %s", old)
	}
	return u, nil
}

// parseExpiry parses DATE: YYYY-MM-DD (the end of that day in loc) or
// RFC 3339. It must be in the future.
func parseExpiry(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	var t time.Time
	if d, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		t = d.Add(24*time.Hour - time.Second)
	} else if r, err := time.Parse(time.RFC3339, s); err == nil {
		t = r
	} else {
		return time.Time{}, fmt.Errorf("%q is not a date: want YYYY-MM-DD or RFC 3339 (2026-12-20T17:00:00+01:00)", s)
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("%s is in the past", t.Local().Format("2006-01-02 15:04"))
	}
	return t, nil
}

func (a *app) update(ctx context.Context, args []string, signers []string, expires string, o actionOpts) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	ts, accts, err := a.targets(cfg, args)
	if err != nil {
		return err
	}
	var spec providers.UpdateSpec
	for i, s := range signers {
		u, err := parseSignerUpdate(s)
		if err != nil {
			return usageErrorf("--signer #%d: %v", i+1, err)
		}
		spec.Signers = append(spec.Signers, u)
	}
	if expires != "" {
		at, err := parseExpiry(expires, time.Now(), time.Local)
		if err != nil {
			return usageErrorf("--expires: %v", err)
		}
		spec.ExpiresAt = at
	}
	switch {
	case len(spec.Signers) == 0 && spec.ExpiresAt.IsZero():
		return usageErrorf("nothing to change: give --signer OLD_EMAIL=\"New Name <new@example.com>\" and/or --expires DATE")
	case len(spec.Signers) > 0 && len(ts) > 1:
		return usageErrorf("--signer changes one session; give one ACCOUNT/ID (several are allowed with --expires alone)")
	}
	svc, byName, err := a.prepare(ctx, cfg, accts, "update", o.yes)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if p := byName[t.acct.Name].Provider; p != nil {
			if why := providers.UpdateRefusal(p, spec); why != "" {
				return usageErrorf("%s: %s", clean(t.ref.String()), why)
			}
		}
	}
	if !o.yes {
		var what []string
		for _, u := range spec.Signers {
			to := u.Email
			switch {
			case u.Name != "" && u.Email != "":
				to = signerText(u.Name, u.Email)
			case u.Name != "":
				to = "name " + u.Name
			}
			what = append(what, fmt.Sprintf("signer %s → %s", clean(u.Signer), clean(to)))
		}
		if !spec.ExpiresAt.IsZero() {
			what = append(what, "expiry → "+spec.ExpiresAt.Local().Format("2006-01-02 15:04"))
		}
		fmt.Fprintf(a.stderr, "Change %s:\n", strings.Join(what, "; "))
		if err := a.confirmTargets(ts, fmt.Sprintf("Update %s?", plural(len(ts), "session", "sessions"))); err != nil {
			return err
		}
	}
	outs := make([]core.UpdateOutcome, len(ts))
	acts := make([]core.ActionOutcome, len(ts))
	usage := false
	for i, t := range ts {
		outs[i] = svc.Update(ctx, byName[t.acct.Name], t.ref, spec)
		acts[i] = outs[i].ActionOutcome
		if !spec.ExpiresAt.IsZero() {
			// The expiry's result shows as its own row.
			r := outs[i].ExpiryReason
			if outs[i].ExpiryOutcome == core.OutcomeOK {
				r = "expires " + outs[i].ExpiresAt.Local().Format("2006-01-02 15:04")
			}
			if outs[i].ExpiryOutcome != "" {
				acts[i].Signers = append(acts[i].Signers, core.SignerOutcome{Signer: models.Signer{Name: "(expiry)"},
					Outcome: outs[i].ExpiryOutcome, Reason: r})
			}
		}
		usage = usage || localInvalid(outs[i].Err)
	}
	err = a.reportActions("update", "updated", acts, o.json, func(i int, j *actionJSON) {
		j.ExpiresAt = jsonTime(outs[i].ExpiresAt)
		if n := len(j.Signers); n > 0 && !spec.ExpiresAt.IsZero() && outs[i].ExpiryOutcome != "" {
			j.Signers = j.Signers[:n-1] // the expiry is expires_at, not a signer
		}
	})
	if err != nil && usage && len(ts) == 1 {
		// The provider refused the input before sending anything.
		return &exitError{code: ExitUsage, silent: true}
	}
	return err
}
