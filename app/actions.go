package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/store"
)

// Actions of the daily triage loop, as the journal records them.
const (
	ActionRemind = "remind"
	ActionUpdate = "update"
	ActionSend   = "send"
)

// SignerOutcome is what an action did for one signer.
type SignerOutcome struct {
	// Signer is the signer as the provider answered (after an update, with
	// its new values).
	Signer models.Signer
	// Outcome is ok, skipped, failed or unknown.
	Outcome string
	Reason  string
	// NextRemind is when the signer may be reminded again, when the
	// vendor has a minimum gap.
	NextRemind time.Time
	Err        error
}

// ActionOutcome is what happened to one session: the common part of the
// outcomes of remind, update and send.
type ActionOutcome struct {
	Ref   models.Ref
	Title string
	OpID  string
	// Outcome is the journal's: ok, skipped, failed, unknown or not_sent.
	Outcome string
	Reason  string
	Err     error
	// Signers has one entry per signer acted on (remind, update).
	Signers []SignerOutcome
}

// OK reports whether the action was done (or there was nothing to do).
func (o ActionOutcome) OK() bool { return o.Outcome == OutcomeOK || o.Outcome == OutcomeSkipped }

// RemindOutcome is the outcome of Remind.
type RemindOutcome struct{ ActionOutcome }

// UpdateOutcome is the outcome of Update, UpdateSigner and ExtendExpiry.
type UpdateOutcome struct {
	ActionOutcome
	// ExpiresAt is the expiry the vendor set, when one was asked for and
	// set.
	ExpiresAt time.Time
	// ExpiryOutcome and ExpiryReason are those of the expiry change ("" when
	// none was asked for).
	ExpiryOutcome, ExpiryReason string
}

// SendOutcome is the outcome of StartDraft.
type SendOutcome struct {
	ActionOutcome
	// Status is the session's status after the start, when known.
	Status models.Status
}

// updateIntent is what the journal keeps of an update, so reconciliation
// can read the session back and compare.
type updateIntent struct {
	Signers   []providers.SignerUpdate `json:"signers,omitempty"`
	ExpiresAt time.Time                `json:"expires_at,omitzero"`
}

// remindIntent names the signers a remind was for (empty: all pending).
type remindIntent struct {
	Emails []string `json:"emails,omitempty"`
}

// begin records an action's intent and returns its operation, or an
// outcome when nothing may be sent (no token, stopping, journal down).
// done must be called when begin returns ok.
func (s *Service) begin(ctx context.Context, a Account, action string, ref models.Ref, title string, intent any, o *ActionOutcome) (store.Op, func(), bool) {
	op := store.Op{Action: action, Account: a.Name, Provider: string(a.Kind), Endpoint: a.Endpoint,
		Ref: ref.String(), Title: title}
	if intent != nil {
		b, _ := json.Marshal(intent)
		op.Intent = []byte(s.redact(string(b)))
	}
	if r := a.unavailable(); r != "" {
		o.Outcome, o.Reason = OutcomeFailed, r
		o.OpID = s.recordFinal(ctx, op, store.Outcome{Outcome: OutcomeFailed, Reason: r})
		return op, nil, false
	}
	s.inflightWG.Add(1)
	if s.Stopping() {
		s.inflightWG.Done()
		o.Outcome, o.Reason = OutcomeNotSent, "signdeck was stopping, so nothing was sent"
		o.OpID = s.recordFinal(ctx, op, store.Outcome{Outcome: OutcomeNotSent, Reason: o.Reason})
		return op, nil, false
	}
	op.ID = NewOperationID()
	o.OpID = op.ID
	if err := s.record(ctx, op); err != nil {
		s.inflightWG.Done()
		o.Outcome, o.Reason, o.Err = OutcomeFailed, s.errText(err), err
		return op, nil, false
	}
	return op, s.inflightWG.Done, true
}

// wholeCall sets o from the error of a whole provider call. A refusal of
// the session's state (closed, not a draft) is a skip: nothing was sent.
func (s *Service) wholeCall(o *ActionOutcome, err error, what string) {
	o.Err = err
	o.Reason = s.errText(err)
	o.Outcome = classify(err)
	switch {
	case errors.Is(err, providers.ErrConflict), errors.Is(err, providers.ErrGone):
		o.Outcome = OutcomeSkipped
	case o.Outcome == OutcomeUnknown:
		o.Reason = what + " (" + o.Reason + ")"
	}
}

// signerOutcome turns one provider signer result into an outcome. A
// reminder refused because the signer was reminded within the vendor's
// gap is a skip that says when the next one is allowed.
func (s *Service) signerOutcome(r providers.SignerResult, remind bool, gap time.Duration) SignerOutcome {
	so := SignerOutcome{Signer: r.Signer, NextRemind: r.NextRemind, Outcome: OutcomeOK}
	switch {
	case r.Skipped != "":
		so.Outcome, so.Reason = OutcomeSkipped, s.redact(r.Skipped)
	case r.Err != nil && remind && !r.NextRemind.IsZero() && errors.Is(r.Err, providers.ErrInvalid):
		so.Outcome = OutcomeSkipped
		within := "the vendor's minimum gap"
		switch {
		case gap == time.Hour:
			within = "the last hour"
		case gap > 0:
			within = "the last " + gap.String()
		}
		so.Reason = fmt.Sprintf("reminded within %s; the next reminder is allowed at %s",
			within, r.NextRemind.Local().Format("2006-01-02 15:04"))
	case r.Err != nil:
		so.Err = r.Err
		so.Outcome, so.Reason = classify(r.Err), s.errText(r.Err)
	}
	return so
}

// combine is a session's outcome from its signers': unknown when any may
// have been applied, else failed when any failed, else ok when any was
// done, else skipped. The reason names the signers done first ("reminded
// a@x"; done is the verb), then every signer not done with why.
func combine(ss []SignerOutcome, done string) (string, string) {
	var unknown, failed, ok bool
	var reasons, doneFor []string
	for _, g := range ss {
		switch g.Outcome {
		case OutcomeUnknown:
			unknown = true
		case OutcomeFailed:
			failed = true
		case OutcomeOK:
			ok = true
			if e := models.CleanText(g.Signer.Email); e != "" && done != "" {
				doneFor = append(doneFor, e)
			}
			continue
		}
		if r := g.Reason; r != "" {
			// The journal's reason names each signer.
			if e := models.CleanText(g.Signer.Email); e != "" && !strings.Contains(r, e) {
				r = e + ": " + r
			}
			reasons = append(reasons, r)
		}
	}
	if len(doneFor) > 0 {
		reasons = append([]string{done + " " + strings.Join(doneFor, ", ")}, reasons...)
	}
	reason := strings.Join(reasons, "; ")
	switch {
	case unknown:
		return OutcomeUnknown, reason
	case failed:
		return OutcomeFailed, reason
	case ok:
		return OutcomeOK, reason
	}
	if reason == "" {
		reason = "no signer to act on"
	}
	return OutcomeSkipped, reason
}

// Remind reminds the pending signers of ref: the one with email, or every
// pending signer when email is "". It is journaled as "remind". A signer
// that has signed or declined is skipped; one reminded within the vendor's
// gap (Dropbox Sign: an hour) is skipped with the time the next reminder is
// allowed (providers.NextReminder).
func (s *Service) Remind(ctx context.Context, a Account, ref models.Ref, email string) RemindOutcome {
	var out RemindOutcome
	o := &out.ActionOutcome
	o.Ref, o.Title = ref, models.CleanText(ref.ID)
	var emails []string
	if e := strings.TrimSpace(email); e != "" {
		emails = []string{e}
	}
	if a.Provider != nil && !a.Provider.Capabilities().Remind {
		o.Outcome, o.Reason = OutcomeFailed, a.Kind.Label()+" has no reminders"
		o.OpID = s.recordFinal(ctx, store.Op{Action: ActionRemind, Account: a.Name, Provider: string(a.Kind),
			Endpoint: a.Endpoint, Ref: ref.String(), Title: o.Title}, store.Outcome{Outcome: OutcomeFailed, Reason: o.Reason})
		return out
	}
	op, done, ok := s.begin(ctx, a, ActionRemind, ref, o.Title, remindIntent{Emails: emails}, o)
	if !ok {
		return out
	}
	defer done()
	sctx, cancel := s.dispatchContext(ctx, op.ID)
	res, err := providers.Remind(sctx, a.Provider, ref.ID, emails)
	cancel()
	if err != nil {
		s.wholeCall(o, err, "a reminder may or may not have been sent")
	} else {
		for _, r := range res.Signers {
			o.Signers = append(o.Signers, s.signerOutcome(r, true, a.Provider.Capabilities().RemindGap))
		}
		o.Outcome, o.Reason = combine(o.Signers, "reminded")
	}
	s.outcome(ctx, op.ID, store.Outcome{Outcome: o.Outcome, Reason: o.Reason})
	return out
}

// UpdateBlocked says why a cannot change sess as spec asks (fix a signer,
// change the expiry), or "" when it can: the account has no client, the
// provider cannot (providers.UpdateRefusal), the session is not awaiting
// signature, or only its sender may change it (a teammate's request). The
// front ends ask it before they offer the action; the provider still has
// the last word.
func UpdateBlocked(a Account, sess *models.Session, spec providers.UpdateSpec) string {
	if r := a.unavailable(); r != "" {
		return r
	}
	if why := providers.UpdateRefusal(a.Provider, spec); why != "" {
		return why
	}
	if sess == nil {
		return "the session is no longer listed"
	}
	if sess.Status != models.StatusAwaitingSignature {
		return "the session is " + strings.ToLower(sess.Status.Label()) + "; only a session awaiting signature can be changed"
	}
	return sess.NotCancelable
}

// UpdateSigner fixes signers of ref in place (journaled as "update").
func (s *Service) UpdateSigner(ctx context.Context, a Account, ref models.Ref, ups []providers.SignerUpdate) UpdateOutcome {
	return s.Update(ctx, a, ref, providers.UpdateSpec{Signers: ups})
}

// ExtendExpiry sets ref's expiry (journaled as "update").
func (s *Service) ExtendExpiry(ctx context.Context, a Account, ref models.Ref, at time.Time) UpdateOutcome {
	return s.Update(ctx, a, ref, providers.UpdateSpec{ExpiresAt: at})
}

// Update fixes signers in place and/or changes the expiry of ref, as one
// journaled "update" operation. A provider that cannot do what spec asks
// refuses before anything is sent (failed). Dropbox Sign refuses a signer
// update for a request with an appended signature page; the reason says
// so and to copy the request instead.
func (s *Service) Update(ctx context.Context, a Account, ref models.Ref, spec providers.UpdateSpec) UpdateOutcome {
	var out UpdateOutcome
	o := &out.ActionOutcome
	o.Ref, o.Title = ref, models.CleanText(ref.ID)
	op, done, ok := s.begin(ctx, a, ActionUpdate, ref, o.Title, updateIntent{Signers: spec.Signers, ExpiresAt: spec.ExpiresAt}, o)
	if !ok {
		return out
	}
	defer done()
	sctx, cancel := s.dispatchContext(ctx, op.ID)
	res, err := providers.Update(sctx, a.Provider, ref.ID, spec)
	cancel()
	if err != nil {
		s.wholeCall(o, err, "the update may or may not have been applied")
		s.outcome(ctx, op.ID, store.Outcome{Outcome: o.Outcome, Reason: o.Reason})
		return out
	}
	for _, r := range res.Signers {
		o.Signers = append(o.Signers, s.signerOutcome(r, false, 0))
	}
	all := append([]SignerOutcome(nil), o.Signers...)
	if !spec.ExpiresAt.IsZero() {
		ex := SignerOutcome{Outcome: OutcomeOK}
		if res.ExpiryErr != nil {
			ex.Outcome, ex.Reason, ex.Err = classify(res.ExpiryErr), "expiry: "+s.errText(res.ExpiryErr), res.ExpiryErr
		} else {
			out.ExpiresAt = res.ExpiresAt
		}
		out.ExpiryOutcome, out.ExpiryReason = ex.Outcome, ex.Reason
		all = append(all, ex)
	}
	o.Outcome, o.Reason = combine(all, "updated")
	s.outcome(ctx, op.ID, store.Outcome{Outcome: o.Outcome, Reason: o.Reason})
	return out
}

// StartDraft sends a draft session (a Constellation1 copy lands as one):
// its signers are invited. Journaled as "send". A session that is not a
// draft is skipped.
func (s *Service) StartDraft(ctx context.Context, a Account, ref models.Ref, title string) SendOutcome {
	var out SendOutcome
	o := &out.ActionOutcome
	o.Ref, o.Title = ref, models.CleanText(title)
	if o.Title == "" {
		o.Title = models.CleanText(ref.ID)
	}
	op, done, ok := s.begin(ctx, a, ActionSend, ref, o.Title, nil, o)
	if !ok {
		return out
	}
	defer done()
	sctx, cancel := s.dispatchContext(ctx, op.ID)
	res, err := providers.StartDraft(sctx, a.Provider, ref.ID)
	cancel()
	if err != nil {
		s.wholeCall(o, err, "the draft may or may not have been sent")
	} else {
		o.Outcome, out.Status = OutcomeOK, res.Status
		o.Reason = s.redact(res.Message)
	}
	s.outcome(ctx, op.ID, store.Outcome{Outcome: o.Outcome, Status: string(out.Status), Reason: o.Reason})
	return out
}

// DownloadOutcome is the outcome of Download. Downloads change nothing at
// the vendor and are not journaled.
type DownloadOutcome struct {
	Ref models.Ref
	// Paths are the files written, in order.
	Paths []string
	Bytes int64
	// Outcome is ok or failed.
	Outcome string
	Reason  string
	Err     error
}

// Download writes ref's documents into dir (created 0700 when missing)
// in format ("" is the provider's first), never replacing a file
// (providers.CreateIn: "name (1).pdf" ...). progress, when set, is called
// as bytes arrive (total -1 when unknown). A failed file is removed.
func (s *Service) Download(ctx context.Context, a Account, ref models.Ref, dir, format string, progress func(done, total int64)) DownloadOutcome {
	out := DownloadOutcome{Ref: ref}
	fail := func(err error) DownloadOutcome {
		out.Outcome, out.Err, out.Reason = OutcomeFailed, err, s.errText(err)
		return out
	}
	if r := a.unavailable(); r != "" {
		out.Outcome, out.Reason = OutcomeFailed, r
		return out
	}
	if dir == "" {
		return fail(errors.New("no download directory"))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail(err)
	}
	var paths []string
	spec := providers.DownloadSpec{Format: format, Create: providers.CreateIn(dir, func(p string) { paths = append(paths, p) })}
	if progress != nil {
		spec.Progress = func(p providers.Progress) { progress(p.Done, p.Total) }
	}
	res, err := providers.Download(ctx, a.Provider, ref.ID, spec)
	for _, f := range res.Files {
		out.Bytes += f.Bytes
	}
	// A file whose download failed was removed: list only those written.
	for _, p := range paths {
		if _, serr := os.Lstat(p); serr == nil {
			out.Paths = append(out.Paths, p)
		}
	}
	if err != nil {
		return fail(err)
	}
	out.Outcome = OutcomeOK
	return out
}

// reconcileAction settles an unresolved remind, update or send
// conservatively, sending nothing: an update by reading the session back
// and comparing it with the intent, a send by the session's status, a
// remind by the signers' last reminder when the provider shows it (else
// it stays unknown: a reminder may have been sent).
func (s *Service) reconcileAction(ctx context.Context, a Account, op store.Op, rep *Report) {
	ref, err := models.ParseRef(op.Ref)
	if err != nil {
		return
	}
	if op.Action == ActionRemind && op.Outcome != store.OutcomeNone {
		return // already unknown: nothing more can be learnt
	}
	sess, err := a.Provider.Get(ctx, ref.ID)
	if err != nil {
		rep.NeedYou = append(rep.NeedYou, NeedYou{Op: op, Reason: "reading the session failed: " + s.errText(err)})
		return
	}
	switch op.Action {
	case ActionSend:
		if sess.Status == models.StatusDraft {
			s.resolve(ctx, op, store.Outcome{Outcome: OutcomeFailed, Status: string(sess.Status),
				Reason: "not sent: the session is still a draft; send it again"}, rep)
			return
		}
		s.resolve(ctx, op, store.Outcome{Outcome: OutcomeOK, Status: string(sess.Status),
			Reason: "the session is " + sess.Status.Label() + " (confirmed by reconciliation)"}, rep)
	case ActionRemind:
		for _, g := range sess.Signers {
			if !g.LastRemindedAt.IsZero() && !g.LastRemindedAt.Before(op.CreatedAt.Add(-time.Minute)) {
				s.resolve(ctx, op, store.Outcome{Outcome: OutcomeOK,
					Reason: "the provider shows a reminder sent at " + g.LastRemindedAt.Local().Format("15:04") + " (confirmed by reconciliation)"}, rep)
				return
			}
		}
		s.resolve(ctx, op, store.Outcome{Outcome: OutcomeUnknown,
			Reason: "interrupted: a reminder may have been sent"}, rep)
	case ActionUpdate:
		var in updateIntent
		if json.Unmarshal(op.Intent, &in) != nil {
			rep.NeedYou = append(rep.NeedYou, NeedYou{Op: op, Reason: "the journal holds no update details for this operation"})
			return
		}
		var applied, missing []string
		for _, u := range in.Signers {
			if updateShown(sess.Signers, u) {
				applied = append(applied, u.Signer)
			} else {
				missing = append(missing, u.Signer)
			}
		}
		if !in.ExpiresAt.IsZero() {
			// The vendor may round the expiry: within a day is applied.
			if d := sess.ExpiresAt.Sub(in.ExpiresAt); !sess.ExpiresAt.IsZero() && d > -24*time.Hour && d < 24*time.Hour {
				applied = append(applied, "expiry")
			} else {
				missing = append(missing, "expiry")
			}
		}
		switch {
		case len(missing) == 0:
			s.resolve(ctx, op, store.Outcome{Outcome: OutcomeOK, Status: string(sess.Status),
				Reason: "the session shows the new values (confirmed by reconciliation)"}, rep)
		case len(applied) == 0:
			s.resolve(ctx, op, store.Outcome{Outcome: OutcomeFailed, Status: string(sess.Status),
				Reason: "not applied: the session still shows the old values of " + strings.Join(missing, ", ")}, rep)
		default:
			reason := "partly applied: " + strings.Join(applied, ", ") + " changed; " + strings.Join(missing, ", ") + " did not"
			s.outcome(ctx, op.ID, store.Outcome{Outcome: OutcomeUnknown, Reason: reason})
			op.Outcome, op.Reason = OutcomeUnknown, reason
			rep.NeedYou = append(rep.NeedYou, NeedYou{Op: op, Reason: reason})
		}
	}
}

// updateShown reports whether the session's signers show update u: a
// signer with the new email (or the old one when unchanged) and the new
// name, when one was given.
func updateShown(signers []models.Signer, u providers.SignerUpdate) bool {
	email := u.Email
	if email == "" {
		email = u.Signer
	}
	name := u.Name
	if name == "" && (u.FirstName != "" || u.LastName != "") {
		name = strings.TrimSpace(u.FirstName + " " + u.LastName)
	}
	for _, g := range signers {
		if g.ID != u.Signer && !strings.EqualFold(g.Email, email) {
			continue
		}
		if u.Email != "" && !strings.EqualFold(g.Email, u.Email) {
			continue
		}
		if name != "" && !strings.EqualFold(strings.Join(strings.Fields(g.DisplayName()), " "), strings.Join(strings.Fields(name), " ")) &&
			!strings.EqualFold(strings.TrimSpace(g.FirstName+" "+g.LastName), name) {
			continue
		}
		return true
	}
	return false
}
