package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/store"
)

// ErrDuplicateCopy: an identical copy (same source, same signers) was made
// or is unresolved within DuplicateWindow. The dashboard asks; the CLI
// refuses unless --again.
var ErrDuplicateCopy = errors.New("an identical copy was made recently")

// ErrNotCopyable: the copy was refused before anything was sent (the
// source's status, a capability, an invalid spec).
var ErrNotCopyable = errors.New("cannot copy")

// DuplicateError names the earlier operation.
type DuplicateError struct {
	Op store.Op
}

func (e *DuplicateError) Error() string {
	what := "was made"
	switch e.Op.Outcome {
	case store.OutcomeNone, OutcomeUnknown:
		what = "is unresolved (it may exist)"
	}
	s := fmt.Sprintf("an identical copy of %s (same signers) %s at %s, operation %s",
		e.Op.Ref, what, e.Op.CreatedAt.Local().Format("15:04:05"), e.Op.ID)
	if e.Op.NewRef != "" {
		s += " → " + e.Op.NewRef
	}
	return s
}

func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicateCopy }

// copyIntent is what the journal keeps of a copy: everything needed to
// find it again or retry it.
type copyIntent struct {
	Spec         models.CopySpec `json:"spec"`
	SignerEmails []string        `json:"signer_emails"`
	SourceTitle  string          `json:"source_title,omitempty"`
	// CopyOp links a cancel of the original to its copy.
	CopyOp string `json:"copy_op,omitempty"`
}

// CopyRequest is one copy a front end asks for.
type CopyRequest struct {
	Account Account
	// Source is the session as read just before (signers included).
	Source models.Session
	// Spec is the copy; its OperationID is ignored (the service makes one).
	Spec models.CopySpec
	// Again sends even when an identical copy was made recently.
	Again bool
	// SendNow starts the copy when it lands as a draft and the provider
	// can send drafts (Constellation1), as its own "send" operation.
	SendNow bool
}

// CopyOutcome is what happened to a copy.
type CopyOutcome struct {
	OpID    string
	Outcome string
	// Session is the new session (Outcome ok).
	Session   models.Session
	Recovered bool // found by its operation id instead of sent (again)
	Reason    string
	Err       error
	// Original is the cancel of the source, when asked and the copy exists.
	Original *CancelOutcome
	// Sent is the start of a copy that landed as a draft (SendNow).
	Sent *SendOutcome
}

// signerEmails returns the lower-cased, sorted emails of a copy.
func signerEmails(ss []models.CopySigner) []string {
	out := make([]string, 0, len(ss))
	for _, g := range ss {
		out = append(out, strings.ToLower(strings.TrimSpace(g.Email)))
	}
	sort.Strings(out)
	return out
}

// ValidateCopy is the one place that says whether a copy may be sent:
// the account and its capabilities, the source's status, the provider
// options, cancel-the-original on a source this account cannot cancel,
// and the spec against the provider's limits (a models.ValidationErrors
// lists every field's problem).
func (s *Service) ValidateCopy(a Account, src *models.Session, spec *models.CopySpec) error {
	if r := a.unavailable(); r != "" {
		return fmt.Errorf("%w: %s", ErrNotCopyable, r)
	}
	caps := a.Provider.Capabilities()
	if !caps.Copy {
		return fmt.Errorf("%w: %s sessions cannot be copied", ErrNotCopyable, a.Kind.Label())
	}
	if src != nil && !src.Status.Copyable() {
		return fmt.Errorf("%w %s: the session is %s", ErrNotCopyable, models.CleanText(src.Ref.String()), src.Status.Label())
	}
	if spec.Options.CancelOriginal {
		if !slices.Contains(caps.CopyOptions, "cancel_original") {
			return fmt.Errorf("%w: %s cannot cancel the original of a copy", ErrNotCopyable, a.Kind.Label())
		}
		if src != nil {
			if r := CancelOriginalBlocked(src); r != "" {
				return fmt.Errorf("%w: the original cannot be canceled (%s); copy without canceling it", ErrNotCopyable, r)
			}
		}
	}
	if spec.Options.TestMode != nil && !slices.Contains(caps.CopyOptions, "test_mode") {
		return fmt.Errorf("%w: test mode is not a %s option", ErrNotCopyable, a.Kind.Label())
	}
	if spec.Options.TransactionID != "" && !slices.Contains(caps.CopyOptions, "transaction_id") {
		return fmt.Errorf("%w: a transaction is not a %s option", ErrNotCopyable, a.Kind.Label())
	}
	var fixed models.ValidationErrors
	for _, f := range []struct {
		name string
		v    *string
		was  string
	}{{"subject", spec.Subject, srcField(src, "subject")}, {"message", spec.Message, srcField(src, "message")}} {
		if f.v != nil && slices.Contains(caps.CopyFixed, f.name) && strings.TrimSpace(*f.v) != strings.TrimSpace(f.was) {
			fixed = append(fixed, &models.FieldError{Path: f.name,
				Msg: fmt.Sprintf("a %s copy keeps the source's %s; it cannot be changed", a.Kind.Label(), f.name)})
		}
	}
	if err := spec.Validate(caps.Limits); err != nil {
		var ve models.ValidationErrors
		if errors.As(err, &ve) {
			return append(fixed, ve...)
		}
		return err
	}
	if len(fixed) > 0 {
		return fixed
	}
	return nil
}

func srcField(src *models.Session, name string) string {
	if src == nil {
		return ""
	}
	if name == "subject" {
		return src.Subject
	}
	return src.Message
}

// CancelOriginalBlocked says why "cancel the original" cannot be offered
// for src (its status, or a teammate's request), or "".
func CancelOriginalBlocked(src *models.Session) string {
	return src.CancelBlockedReason()
}

// RecentCopy returns the journal's copy of the same source with the same
// signers made or left unresolved within DuplicateWindow, if any.
func (s *Service) RecentCopy(ctx context.Context, a Account, src models.Ref, signers []models.CopySigner) (*store.Op, error) {
	if s.j == nil {
		return nil, nil
	}
	ops, err := s.j.Ops(ctx, store.OpFilter{Action: ActionCopy, Account: a.Name, Ref: src.String(),
		Since: s.now().Add(-DuplicateWindow)})
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	want := strings.Join(signerEmails(signers), ",")
	for _, op := range ops {
		switch op.Outcome {
		case OutcomeOK, OutcomeUnknown, store.OutcomeNone:
		default:
			continue
		}
		var in copyIntent
		if json.Unmarshal(op.Intent, &in) != nil {
			continue
		}
		if strings.Join(in.SignerEmails, ",") == want {
			return &op, nil
		}
	}
	return nil, nil
}

// Copy makes a first attempt at a copy: it checks it (ValidateCopy, and
// the duplicate rule unless Again), records the intent with a fresh
// operation id, sends it once (the provider never searches before
// sending) and records the outcome. With CancelOriginal, the source is
// canceled only once the copy exists, as its own journaled operation.
func (s *Service) Copy(ctx context.Context, req CopyRequest) CopyOutcome {
	a := req.Account
	spec := req.Spec
	spec.OperationID = ""
	if err := s.ValidateCopy(a, &req.Source, &spec); err != nil {
		return CopyOutcome{Outcome: OutcomeFailed, Reason: s.errText(err), Err: err}
	}
	if !req.Again {
		dup, err := s.RecentCopy(ctx, a, spec.Source, spec.Signers)
		if err != nil {
			return CopyOutcome{Outcome: OutcomeFailed, Reason: s.errText(err), Err: err}
		}
		if dup != nil {
			err := &DuplicateError{Op: *dup}
			return CopyOutcome{Outcome: OutcomeSkipped, Reason: s.errText(err), Err: err}
		}
	}
	spec.OperationID = NewOperationID()
	title := req.Source.Title
	if spec.Title != nil {
		title = *spec.Title
	}
	intent, _ := json.Marshal(copyIntent{Spec: spec, SignerEmails: signerEmails(spec.Signers), SourceTitle: req.Source.Title})
	// The journal never holds a secret, not even inside a title.
	intent = []byte(s.redact(string(intent)))
	op := store.Op{ID: spec.OperationID, Action: ActionCopy, Account: a.Name, Provider: string(a.Kind),
		Endpoint: a.Endpoint, Ref: spec.Source.String(), Title: title, Intent: intent}
	s.inflightWG.Add(1)
	defer s.inflightWG.Done()
	if s.Stopping() {
		op.ID = ""
		id := s.recordFinal(ctx, op, store.Outcome{Outcome: OutcomeNotSent, Reason: "signdeck was stopping, so the copy was not sent"})
		return CopyOutcome{OpID: id, Outcome: OutcomeNotSent, Reason: "signdeck was stopping, so the copy was not sent"}
	}
	if err := s.record(ctx, op); err != nil {
		return CopyOutcome{Outcome: OutcomeFailed, Reason: s.errText(err), Err: err}
	}
	out := s.send(ctx, a, op.ID, spec)
	if out.Outcome == OutcomeOK && req.SendNow && out.Session.Status == models.StatusDraft && a.Provider.Capabilities().StartDraft {
		sent := s.StartDraft(ctx, a, out.Session.Ref, out.Session.Title)
		out.Sent = &sent
		if sent.Outcome == OutcomeOK && sent.Status != "" {
			out.Session.Status = sent.Status
		}
	}
	if out.Outcome == OutcomeOK && spec.Options.CancelOriginal {
		if out.Sent != nil && out.Sent.Outcome != OutcomeOK {
			// The copy is still a draft nobody was invited to: keep the
			// original live.
			it := CancelItem{Target: CancelTarget{Account: a, Ref: req.Source.Ref, Session: &req.Source},
				Title: models.CleanText(req.Source.Title), Status: req.Source.Status,
				Reason: "the copy was not sent (it is still a draft), so the original was kept"}
			o := s.RecordSkipped(ctx, CancelPlan{Skipped: []CancelItem{it}})
			out.Original = &o[0]
			return out
		}
		out.Original = s.cancelOriginal(ctx, a, req.Source, op.ID)
	}
	return out
}

// send sends the copy once and records its outcome.
func (s *Service) send(ctx context.Context, a Account, opID string, spec models.CopySpec) CopyOutcome {
	out := CopyOutcome{OpID: opID}
	sctx, cancel := s.dispatchContext(ctx, opID)
	res, err := a.Provider.Copy(sctx, spec)
	cancel()
	out.Outcome = classify(err)
	if err == nil {
		out.Session, out.Recovered = res.Session, res.Recovered
		s.outcome(ctx, opID, store.Outcome{Outcome: OutcomeOK, Status: string(res.Session.Status), NewRef: res.Session.Ref.String()})
		return out
	}
	out.Err = err
	out.Reason = s.errText(err)
	if out.Outcome == OutcomeUnknown {
		out.Reason = "the copy may or may not have been made (" + out.Reason + "); retry it with operation " + opID +
			": signdeck looks for it first and sends only if it does not exist"
	}
	s.outcome(ctx, opID, store.Outcome{Outcome: out.Outcome, Reason: out.Reason})
	return out
}

// cancelOriginal cancels a copy's source once the copy exists.
func (s *Service) cancelOriginal(ctx context.Context, a Account, src models.Session, copyOp string) *CancelOutcome {
	it := CancelItem{Target: CancelTarget{Account: a, Ref: src.Ref, Session: &src}, Title: models.CleanText(src.Title), Status: src.Status}
	if r := s.CancelBlocked(a, src.Ref, &src, ""); r != "" {
		it.Reason = r
		o := s.RecordSkipped(ctx, CancelPlan{Skipped: []CancelItem{it}})
		return &o[0]
	}
	o := s.Cancel(ctx, it)
	return &o
}

// RetryCopy resolves an earlier copy attempt whose outcome was unknown (or
// that was never sent): it looks for the copy by its operation id first
// (bounded by the attempt's time) and sends again, with the same operation
// id, only when the provider has none. Nothing is sent when the search
// fails or finds several lookalikes.
func (s *Service) RetryCopy(ctx context.Context, a Account, opID string) CopyOutcome {
	out := CopyOutcome{OpID: opID}
	if s.j == nil {
		out.Outcome, out.Reason = OutcomeFailed, "no operations journal is open"
		return out
	}
	op, err := s.j.Get(ctx, opID)
	if err != nil {
		out.Outcome, out.Err = OutcomeFailed, err
		out.Reason = fmt.Sprintf("operation %s is not in the journal (%s)", models.CleanText(opID), s.errText(err))
		return out
	}
	if op.Action != ActionCopy {
		out.Outcome, out.Reason = OutcomeFailed, fmt.Sprintf("operation %s is a %s, not a copy", opID, op.Action)
		return out
	}
	if op.Account != a.Name {
		out.Outcome, out.Reason = OutcomeFailed, fmt.Sprintf("operation %s belongs to account %s", opID, op.Account)
		return out
	}
	switch op.Outcome {
	case OutcomeOK:
		out.Outcome, out.Reason = OutcomeOK, "operation "+opID+" already made "+op.NewRef+"; nothing was sent"
		out.Recovered = true
		if ref, err := models.ParseRef(op.NewRef); err == nil {
			out.Session = models.Session{Ref: ref, Title: op.Title}
		}
		return out
	case OutcomeFailed, OutcomeSkipped:
		out.Outcome, out.Reason = op.Outcome, "operation "+opID+" certainly made nothing ("+op.Reason+"); make a new copy instead"
		return out
	}
	if r := a.unavailable(); r != "" {
		out.Outcome, out.Reason = OutcomeFailed, r
		return out
	}
	var in copyIntent
	if err := json.Unmarshal(op.Intent, &in); err != nil || in.Spec.OperationID != opID {
		out.Outcome, out.Reason = OutcomeFailed, "operation "+opID+" has no copy details in the journal; nothing was sent"
		return out
	}
	s.inflightWG.Add(1)
	defer s.inflightWG.Done()
	if s.Stopping() {
		out.Outcome, out.Reason = OutcomeNotSent, "signdeck was stopping, so nothing was sent"
		return out
	}
	sctx, cancel := s.sendContext(ctx)
	found, ok, err := a.Provider.FindCopy(sctx, in.Spec, s.findQuery(ctx, op))
	cancel()
	if err != nil {
		out.Outcome, out.Err = OutcomeUnknown, err
		out.Reason = "looking for the copy failed (" + s.errText(err) + "); nothing was sent"
		return out
	}
	if ok {
		if other := s.copyOwner(ctx, found.Ref.String(), opID); other != "" {
			out.Outcome = OutcomeUnknown
			out.Reason = fmt.Sprintf("the only lookalike found, %s, is the copy made by operation %s; nothing was sent: check the account's sessions", found.Ref, other)
			return out
		}
		out.Outcome, out.Session, out.Recovered = OutcomeOK, found, true
		out.Reason = "found by its operation id; nothing was sent again"
		s.outcome(ctx, opID, store.Outcome{Outcome: OutcomeOK, Status: string(found.Status), NewRef: found.Ref.String(), Reason: out.Reason})
		return out
	}
	return s.send(ctx, a, opID, in.Spec)
}

// findQuery bounds the search for op's copy: its time, and the sessions
// other copies of the same source made (never this operation's).
func (s *Service) findQuery(ctx context.Context, op store.Op) providers.FindQuery {
	q := providers.FindQuery{Since: op.CreatedAt}
	ops, err := s.j.Ops(ctx, store.OpFilter{Action: ActionCopy, Account: op.Account, Ref: op.Ref})
	if err != nil {
		return q
	}
	for _, o := range ops {
		if o.ID != op.ID && o.NewRef != "" {
			q.Exclude = append(q.Exclude, sessionID(o.NewRef))
		}
	}
	return q
}

// copyOwner returns the id of another copy operation that already
// recorded ref as its new session, or "".
func (s *Service) copyOwner(ctx context.Context, ref, self string) string {
	ops, err := s.j.Ops(ctx, store.OpFilter{Action: ActionCopy, Since: s.now().Add(-30 * 24 * time.Hour)})
	if err != nil {
		return ""
	}
	for _, op := range ops {
		if op.ID != self && op.NewRef == ref {
			return op.ID
		}
	}
	return ""
}

// MatchSigners turns a signer list given in signing order into the copy's
// signers: an entry whose email matches a source signer
// (case-insensitively, each once) keeps that signer's id and role, and its
// name unless a new one is given. Orders follow SignerOrders.
func MatchSigners(src []models.Signer, given []models.CopySigner) []models.CopySigner {
	used := make([]bool, len(src))
	orders := SignerOrders(src, len(given))
	out := make([]models.CopySigner, len(given))
	for i, g := range given {
		g.Order = orders[i]
		for j, sg := range src {
			if used[j] || !strings.EqualFold(strings.TrimSpace(sg.Email), strings.TrimSpace(g.Email)) {
				continue
			}
			used[j] = true
			g.ID, g.Role = sg.ID, sg.Role
			if g.Name == "" && g.FirstName == "" && g.LastName == "" {
				g.Name, g.FirstName, g.LastName = sg.Name, sg.FirstName, sg.LastName
			}
			break
		}
		out[i] = g
	}
	return out
}

// SignerOrders is the signer-order rule: the orders of n signers listed in
// signing order, numbered like the source's. When the source's signers all
// share one order (they sign in any order) the copy's share it too;
// otherwise they count up from the source's lowest order (0 for Dropbox
// Sign, 1 for Constellation1), so a signer kept in its place keeps its
// order.
func SignerOrders(src []models.Signer, n int) []int {
	out := make([]int, n)
	if len(src) == 0 {
		return out
	}
	base, same := src[0].Order, true
	for _, g := range src[1:] {
		base = min(base, g.Order)
		same = same && g.Order == src[0].Order
	}
	for i := range out {
		if same && len(src) > 1 {
			out[i] = base
		} else {
			out[i] = base + i
		}
	}
	return out
}

// RenumberSigners applies the signer-order rule to a list edited in place
// (the dashboard's form): consecutive orders from the lowest in use,
// unless they all share one order.
func RenumberSigners(ss []models.CopySigner) {
	if len(ss) == 0 {
		return
	}
	base, same := ss[0].Order, true
	for _, g := range ss[1:] {
		base = min(base, g.Order)
		same = same && g.Order == ss[0].Order
	}
	if same && len(ss) > 1 {
		return
	}
	for i := range ss {
		ss[i].Order = base + i
	}
}
