package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	core "github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
)

func (a *app) copyCmd() *cobra.Command {
	var o copyOpts
	cmd := &cobra.Command{
		Use:   "copy ACCOUNT/ID",
		Short: "Send a copy of a session with an edited signer list",
		Long: `Send a new session copied from ACCOUNT/ID. Without --signer the source's
signers are kept; with --signer the flags are the new signer list, in
signing order ("Name <email>", repeatable). A --signer whose email matches
a source signer keeps that signer's role.

The signer diff is printed before anything is sent, and you are asked to
confirm unless --yes is given (when stdin is not a terminal signdeck
refuses with exit 2 instead). A copy that fails the provider's limits is
not sent: each field's problem is printed and the exit status is 2.

Provider options: --test-mode (Dropbox Sign), --retain-fields,
--transaction and --send (Constellation1), --cancel-original (both).
A Constellation1 copy lands as a draft that invites nobody: --send (on by
default) sends it right away, as its own journaled operation; with
--send=false it stays a draft (send it later with signdeck send). The
result says which state the copy is in.

Every copy is recorded in the operations journal before it is sent. If
the send fails with an unknown outcome, signdeck prints the copy's
operation id; running the same command again with --operation-id ID
looks for the copy first and sends only if it does not exist. A copy
identical to one made (or left unresolved) within the last hour, same
source and same signers, is refused unless --again is given.`,
		Example: `  signdeck copy acme/fa5c8a0b0f49 --signer "Ana Lima <ana@example.com>" --signer "Bob Roy <bob@example.com>"
  signdeck copy c1-prod/123456 --title "Lease (corrected)" --cancel-original --yes --json`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.changed = func(name string) bool { return cmd.Flags().Changed(name) }
			return a.copy(cmd.Context(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.signers, "signer", nil, `a signer of the copy, "Name <email>" (repeatable, in signing order; default: the source's signers)`)
	f.StringVar(&o.title, "title", "", "title of the copy (default: the source's)")
	f.StringVar(&o.subject, "subject", "", "email subject of the copy (default: the source's)")
	f.StringVar(&o.message, "message", "", "message to the signers (default: the source's)")
	f.BoolVar(&o.testMode, "test-mode", false, "send as a test request (Dropbox Sign; default: the account's test_mode)")
	f.BoolVar(&o.cancelOriginal, "cancel-original", false, "cancel the source once the copy exists")
	f.BoolVar(&o.allowSigned, "allow-signed-source", false, "copy a source some signers already signed by its current PDF, which carries their signatures (Dropbox Sign)")
	f.BoolVar(&o.retainFields, "retain-fields", true, "keep the placed fields (Constellation1)")
	f.StringVar(&o.transaction, "transaction", "", "put the copy in this transaction (Constellation1; default: the source's)")
	f.StringVar(&o.operationID, "operation-id", "", "resume a copy whose outcome was unknown (the id signdeck printed): look for it first, send only if it does not exist")
	f.BoolVar(&o.send, "send", true, "send a copy that lands as a draft (Constellation1) right away")
	f.BoolVar(&o.again, "again", false, "send even if an identical copy (same source, same signers) was made or is unresolved within the last hour")
	f.BoolVarP(&o.yes, "yes", "y", false, "do not ask for confirmation")
	out := a.addOutputFlags(cmd, jsonFields(sessionJSON{}))
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

type copyOpts struct {
	signers                  []string
	title, subject, message  string
	testMode, cancelOriginal bool
	allowSigned              bool
	retainFields             bool
	transaction, operationID string
	yes, json, again, send   bool
	changed                  func(flag string) bool
}

// copyOptionFlags maps the provider's copy options to their flags.
var copyOptionFlags = []struct{ option, flag string }{
	{"test_mode", "test-mode"},
	{"cancel_original", "cancel-original"},
	{"allow_signed_source", "allow-signed-source"},
	{"retain_fields", "retain-fields"},
	{"transaction_id", "transaction"},
}

func (a *app) copy(ctx context.Context, arg string, o copyOpts) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	ref, acct, err := a.resolveRef(cfg, arg)
	if err != nil {
		return err
	}
	var given []models.CopySigner
	for i, s := range o.signers {
		g, err := models.ParseSignerArg(s)
		if err != nil {
			return usageErrorf("--signer #%d: %v", i+1, err)
		}
		given = append(given, g)
	}
	opID := strings.TrimSpace(o.operationID)
	if opID != "" && o.again {
		return usageErrorf("--again makes a new copy; --operation-id resumes an earlier one: give one of them")
	}
	if err := a.refuseReadonly(cfg, "copy"); err != nil {
		return err
	}
	if err := a.needConfirmation(o.yes, "copy"); err != nil {
		return err
	}
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	aa := a.appAccount(ctx, acct)
	if aa.Provider == nil {
		if aa.Err != nil {
			return aa.Err
		}
		return errors.New(core.NoTokenReason(acct.Name))
	}
	a.reconcile(ctx, svc, map[string]core.Account{acct.Name: aa})
	if opID != "" {
		return a.retryCopy(ctx, svc, aa, ref, opID, o)
	}
	p := aa.Provider
	caps := p.Capabilities()
	if !caps.Copy {
		return usageErrorf("%s sessions cannot be copied", acct.Provider.Label())
	}
	if o.changed("send") && !caps.StartDraft {
		return usageErrorf("--send is not a %s option: its copies are sent at once (account %s)", acct.Provider.Label(), acct.Name)
	}
	for _, of := range copyOptionFlags {
		if o.changed(of.flag) && !slices.Contains(caps.CopyOptions, of.option) {
			return usageErrorf("--%s is not a %s option (account %s)", of.flag, acct.Provider.Label(), acct.Name)
		}
	}

	src, err := p.Get(ctx, ref.ID)
	if err != nil {
		return err
	}
	spec := models.CopySpec{
		Source: ref,
		Options: models.CopyOptions{
			CancelOriginal:    o.cancelOriginal,
			AllowSignedSource: o.allowSigned,
			RetainFields:      o.retainFields,
			TransactionID:     strings.TrimSpace(o.transaction),
		},
	}
	if len(given) > 0 {
		spec.Signers = core.MatchSigners(src.Signers, given)
	} else {
		spec.Signers = models.CopySignersFrom(&src)
	}
	if o.changed("title") {
		spec.Title = &o.title
	}
	if o.changed("subject") {
		spec.Subject = &o.subject
	}
	if o.changed("message") {
		spec.Message = &o.message
	}
	if o.changed("test-mode") {
		spec.Options.TestMode = &o.testMode
	}

	// Show what will be sent (on stderr when stdout carries JSON).
	out := a.stdout
	if o.json {
		out = a.stderr
	}
	printCopyPlan(out, &src, &spec)

	if err := svc.ValidateCopy(aa, &src, &spec); err != nil {
		var ve models.ValidationErrors
		if errors.As(err, &ve) {
			for _, fe := range ve {
				fmt.Fprintf(a.stderr, "signdeck: copy: %s\n", clean(describeField(fe, len(given) > 0)))
			}
			return &exitError{code: ExitUsage, err: errors.New("copy not sent: fix the problems above")}
		}
		if errors.Is(err, core.ErrNotCopyable) {
			return &exitError{code: ExitFailure, err: err}
		}
		return usageError(err)
	}
	if !o.again {
		dup, err := svc.RecentCopy(ctx, aa, ref, spec.Signers)
		if err != nil {
			return err
		}
		if dup != nil {
			return &exitError{code: ExitFailure, err: &core.DuplicateError{Op: *dup},
				hint: "Nothing was sent. Check it with `signdeck audit`; to send another copy all the same, add --again."}
		}
	}

	if !o.yes {
		q := "Send this copy?"
		if o.cancelOriginal {
			q = "Send this copy and cancel the original?"
		}
		ok, err := a.confirm(q)
		if err != nil {
			return err
		}
		if !ok {
			return errAborted
		}
	}

	res := svc.Copy(ctx, core.CopyRequest{Account: aa, Source: src, Spec: spec, Again: o.again,
		SendNow: o.send && caps.StartDraft})
	return a.copyResult(ref, res, o.json)
}

// retryCopy resumes a copy whose outcome was unknown: the service looks
// for it by its operation id first and sends only when it does not exist.
func (a *app) retryCopy(ctx context.Context, svc *core.Service, aa core.Account, ref models.Ref, opID string, o copyOpts) error {
	if !o.yes {
		ok, err := a.confirm(fmt.Sprintf("Look for the copy of operation %s and send it again only if it does not exist?", clean(opID)))
		if err != nil {
			return err
		}
		if !ok {
			return errAborted
		}
	}
	ctx = core.WithProgress(ctx, func(msg string) { fmt.Fprintf(a.stderr, "signdeck: %s\n", clean(msg)) })
	res := svc.RetryCopy(ctx, aa, opID)
	return a.copyResult(ref, res, o.json)
}

// copyResult presents a copy's outcome.
func (a *app) copyResult(ref models.Ref, res core.CopyOutcome, asJSON bool) error {
	if res.Outcome != core.OutcomeOK {
		err := res.Err
		if err == nil {
			err = errors.New(res.Reason)
		} else {
			err = errors.New(res.Reason)
		}
		if res.Outcome == core.OutcomeUnknown && res.OpID != "" {
			return &exitError{code: ExitFailure, err: err, hint: fmt.Sprintf(
				"The copy may or may not have been sent (operation %s). To retry safely, run the same command with --operation-id %s: it looks for the copy first and sends only if none exists.", res.OpID, res.OpID)}
		}
		var ve models.ValidationErrors
		if errors.As(res.Err, &ve) || localInvalid(res.Err) {
			// Refused before sending: a validation error (exit 2).
			return &exitError{code: ExitUsage, err: err}
		}
		return &exitError{code: ExitFailure, err: err}
	}
	ns := res.Session
	var cancelErr string
	if oc := res.Original; oc != nil && !oc.OK() {
		cancelErr = oc.Reason
	}
	if asJSON {
		if err := a.emit(toSessionJSON(&ns)); err != nil {
			return err
		}
	} else {
		a.printCopyResult(&ns, &res)
	}
	for _, w := range ns.Warnings {
		fmt.Fprintf(a.stderr, "signdeck: warning: %s\n", clean(w))
	}
	if sent := res.Sent; sent != nil && sent.Outcome != core.OutcomeOK {
		fmt.Fprintf(a.stderr, "signdeck: copy %s was made, but sending it failed (%s): it is a draft that invites nobody; send it with `signdeck send %s`\n",
			clean(ns.Ref.String()), clean(sent.Reason), clean(ns.Ref.String()))
		if cancelErr != "" {
			fmt.Fprintf(a.stderr, "signdeck: the original %s was not canceled: %s\n", clean(ref.String()), clean(cancelErr))
		}
		return errFailed
	}
	if cancelErr != "" {
		fmt.Fprintf(a.stderr, "signdeck: copy %s was sent, but canceling the original %s failed: %s\n",
			clean(ns.Ref.String()), clean(ref.String()), clean(cancelErr))
		return errFailed
	}
	return nil
}

// matchSigners is the service's signer rule (kept for the tests' names).
func matchSigners(src []models.Signer, given []models.CopySigner) []models.CopySigner {
	return core.MatchSigners(src, given)
}

// describeField names a validation problem in terms of the flags.
func describeField(fe *models.FieldError, fromFlags bool) string {
	path := fe.Path
	if rest, ok := strings.CutPrefix(path, "signers["); ok {
		if idx, tail, ok := strings.Cut(rest, "]"); ok {
			if n, err := strconv.Atoi(idx); err == nil {
				what := "source signer"
				if fromFlags {
					what = "--signer"
				}
				if field, ok := strings.CutPrefix(tail, "."); ok {
					return fmt.Sprintf("%s #%d %s: %s", what, n+1, field, fe.Msg)
				}
				return fmt.Sprintf("%s #%d: %s", what, n+1, fe.Msg)
			}
		}
	}
	switch path {
	case "title", "subject", "message":
		return "--" + path + ": " + fe.Msg
	}
	return fe.Error()
}

// signerText is "Name <email>".
func signerText(name, email string) string {
	name, email = clean(name), clean(email)
	if name == "" {
		return "<" + email + ">"
	}
	return name + " <" + email + ">"
}

// printCopyPlan prints the copy's changes and signer diff.
func printCopyPlan(w io.Writer, src *models.Session, spec *models.CopySpec) {
	fmt.Fprintf(w, "Copy of %s %q (%s, %s)\n", clean(src.Ref.String()), clean(src.Title), src.Provider.Label(), src.Status.Label())
	change := func(label string, p *string, was string) {
		if p != nil && *p != was {
			fmt.Fprintf(w, "  %-8s %q (was %q)\n", label+":", clean(*p), clean(was))
		}
	}
	change("title", spec.Title, src.Title)
	change("subject", spec.Subject, src.Subject)
	change("message", spec.Message, src.Message)
	var opts []string
	if spec.Options.TestMode != nil {
		opts = append(opts, "test mode "+onOff(*spec.Options.TestMode))
	}
	if spec.Options.CancelOriginal {
		opts = append(opts, "cancel the original once the copy exists")
	}
	if spec.Options.TransactionID != "" {
		opts = append(opts, "transaction "+clean(spec.Options.TransactionID))
	}
	if len(opts) > 0 {
		fmt.Fprintf(w, "  options: %s\n", strings.Join(opts, "; "))
	}
	fmt.Fprintln(w, "Signers:")
	tw := newTable(w)
	pos := 0
	srcPos := func(g *models.Signer) int {
		for i := range src.Signers {
			if &src.Signers[i] == g {
				return i + 1
			}
		}
		return 0
	}
	for _, c := range models.DiffSigners(src.Signers, spec.Signers) {
		if c.Kind == "removed" {
			row(tw, "  - removed", "", signerText(c.Before.DisplayName(), c.Before.Email))
			continue
		}
		pos++
		n := strconv.Itoa(pos) + "."
		after := signerText(c.After.FullName(), c.After.Email)
		switch c.Kind {
		case "added":
			row(tw, "  + added", n, after)
		case "changed":
			row(tw, "  ~ changed", n, after, "(was "+strconv.Itoa(srcPos(c.Before))+". "+signerText(c.Before.DisplayName(), c.Before.Email)+")")
		default:
			row(tw, "  = kept", n, after)
		}
	}
	tw.Flush()
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func (a *app) printCopyResult(ns *models.Session, res *core.CopyOutcome) {
	verb := "sent"
	if res.Recovered {
		verb = "confirmed by its operation id (the provider's answer was lost; nothing was sent twice)"
	}
	switch {
	case ns.Status == models.StatusDraft && res.Sent == nil:
		verb = "made as a draft (nobody is invited until it is sent: signdeck send " + clean(ns.Ref.String()) + ")"
	case ns.Status == models.StatusDraft:
		verb = "made as a draft, but sending it failed"
	case res.Sent != nil:
		verb = "made and sent (signers invited)"
	}
	fmt.Fprintf(a.stdout, "Copy %s: %s %s\n", verb, clean(ns.Ref.String()), ns.Status.Label())
	if ns.URL != "" {
		fmt.Fprintf(a.stdout, "  url: %s\n", clean(ns.URL))
	}
	if res.OpID != "" {
		fmt.Fprintf(a.stdout, "  operation: %s\n", clean(res.OpID))
	}
	if oc := res.Original; oc != nil && oc.OK() {
		if oc.Status == models.StatusCancelPending {
			fmt.Fprintf(a.stdout, "  original: cancel requested (the provider confirms it later)\n")
		} else {
			fmt.Fprintf(a.stdout, "  original: %s\n", oc.Status.Label())
		}
	}
}
