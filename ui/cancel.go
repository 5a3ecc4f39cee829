package ui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

func sortRefs(refs []models.Ref, cmp func(a, b models.Ref) int) { slices.SortFunc(refs, cmp) }

// cancelTarget is a session snapshotted when the prompt opened.
type cancelTarget struct {
	ref    models.Ref
	title  string
	acct   string // display label, "dbx:acme"
	kind   models.ProviderKind
	status models.Status
	reason string // why it is skipped; "" when eligible
}

type cancelPrompt struct {
	plan      app.CancelPlan
	targets   []cancelTarget // eligible, in plan order
	skipped   []cancelTarget
	hidden    int // marked targets the filter hides
	needCount bool
	input     textinput.Model
	err       string
}

// cancelOp tracks one confirmed cancel of one or more sessions.
type cancelOp struct {
	id        int
	total     int
	done      int
	canceled  []string
	requested []string
	failed    []string // "title: reason"
	skipped   int
}

type cancelResultMsg struct {
	op  int
	t   cancelTarget
	out app.CancelOutcome
}

// pollState is a cancel being followed to its confirmation.
type pollState struct {
	seq   int
	title string
}

type confirmResultMsg struct {
	ref models.Ref
	seq int
	out app.CancelOutcome
}

// cancelTargetOf is the service's view of a row (or of a ref with no row).
func (m *Model) cancelTargetOf(ref models.Ref) app.CancelTarget {
	a := m.acct(ref.Account)
	t := app.CancelTarget{Ref: ref, Account: app.Account{Name: ref.Account}}
	if a != nil {
		t.Account = m.appAccount(a)
	}
	switch r := m.rowByRef(ref); {
	case m.inFlight[ref]:
		t.Missing = app.ReasonInFlight
	case r != nil:
		s := r.s
		if _, ok := m.pending[ref]; ok {
			s.Status = models.StatusCancelPending
		}
		t.Session = &s
	default:
		if v, ok := m.viewOf(ref); ok {
			t.Missing = "session is marked in the " + viewLabel(v) + " view"
		}
	}
	return t
}

// cancelBlocked says why a session cannot be canceled now, or "" (the
// service's rule).
func (m *Model) cancelBlocked(ref models.Ref) string {
	if m.svc == nil {
		return "no operations journal is open in this session"
	}
	if m.acct(ref.Account) == nil {
		return "account " + models.CleanText(ref.Account) + " is not configured"
	}
	t := m.cancelTargetOf(ref)
	return m.svc.CancelBlocked(t.Account, ref, t.Session, t.Missing)
}

// startCancel opens the confirmation for the marked rows or the cursor
// row. The service plans it from the rows as they are now (no I/O); when
// none is eligible there is no prompt, only the reason.
func (m *Model) startCancel() tea.Cmd {
	refs, fromMarks := m.targets()
	if len(refs) == 0 {
		return m.setFlash(flashWarn, "Cancel: no session selected")
	}
	if m.svc == nil {
		return m.setFlash(flashWarn, "Cancel: no operations journal is open in this session")
	}
	p := &cancelPrompt{}
	targets := make([]app.CancelTarget, 0, len(refs))
	for _, ref := range refs {
		if fromMarks && !m.isVisible(ref) {
			p.hidden++
		}
		targets = append(targets, m.cancelTargetOf(ref))
	}
	p.plan = m.svc.PlanCancel(m.ctx, targets, false)
	conv := func(it app.CancelItem) cancelTarget {
		t := cancelTarget{ref: it.Target.Ref, title: it.Title, acct: models.CleanText(it.Target.Ref.Account),
			kind: it.Target.Account.Kind, status: it.Status, reason: it.Reason}
		if r := m.rowByRef(it.Target.Ref); r != nil {
			t.title, t.acct = r.title, r.acct
		}
		return t
	}
	for _, it := range p.plan.Eligible {
		p.targets = append(p.targets, conv(it))
	}
	for _, it := range p.plan.Skipped {
		p.skipped = append(p.skipped, conv(it))
	}
	if len(p.targets) == 0 {
		// Nothing to confirm: the refusal is journaled like the CLI's.
		svc, ctx, plan := m.svc, m.ctx, p.plan
		record := func() tea.Msg { svc.RecordSkipped(ctx, plan); return nil }
		if len(p.skipped) == 1 {
			return tea.Batch(record, m.flashf(flashWarn, "Cancel: %s", p.skipped[0].reason))
		}
		return tea.Batch(record, m.flashf(flashWarn, "Cancel: none of the %d sessions can be canceled (%s)", len(p.skipped), reasonSummary(p.skipped)))
	}
	if len(p.targets) > typeCountOver {
		p.needCount = true
		in := textinput.New()
		in.Prompt = "> "
		in.CharLimit = 7
		in.SetWidth(8)
		p.input = in
		m.openOverlay(p)
		return p.input.Focus()
	}
	m.openOverlay(p)
	return nil
}

// reasonSummary counts skip reasons: "2 × session already completed; ...".
func reasonSummary(ts []cancelTarget) string {
	counts := map[string]int{}
	var order []string
	for _, t := range ts {
		if counts[t.reason] == 0 {
			order = append(order, t.reason)
		}
		counts[t.reason]++
	}
	parts := make([]string, len(order))
	for i, r := range order {
		parts[i] = fmt.Sprintf("%d × %s", counts[r], r)
	}
	return strings.Join(parts, "; ")
}

// keyCancelPrompt: only y confirms; Enter, Esc and any other key abort.
// Above five targets the count must be typed first, then y or Enter.
func (m *Model) keyCancelPrompt(p *cancelPrompt, msg tea.KeyPressMsg) tea.Cmd {
	s := msg.String()
	if p.needCount {
		switch {
		case s == "y" || s == "enter":
			if strings.TrimSpace(p.input.Value()) == fmt.Sprint(len(p.targets)) {
				return m.confirmCancel(p)
			}
			p.err = fmt.Sprintf("type %d (the number of sessions) to confirm", len(p.targets))
			p.input.SetValue("")
			return nil
		case len(s) == 1 && s[0] >= '0' && s[0] <= '9', s == "backspace", s == "delete", s == "left", s == "right":
			var cmd tea.Cmd
			p.input, cmd = p.input.Update(msg)
			p.err = ""
			return cmd
		}
		m.dropOverlay(p)
		return m.setFlash(flashInfo, "Cancel aborted")
	}
	if s == "y" {
		return m.confirmCancel(p)
	}
	m.dropOverlay(p)
	return m.setFlash(flashInfo, "Cancel aborted")
}

// confirmCancel hands the plan to the service: skipped targets are
// journaled, every eligible one is cancelled (the service bounds how many
// run at once per account) and reported back one by one.
func (m *Model) confirmCancel(p *cancelPrompt) tea.Cmd {
	m.dropOverlay(p)
	m.cancelSeq++
	op := &cancelOp{id: m.cancelSeq, total: len(p.targets), skipped: len(p.skipped)}
	m.cancelOps[op.id] = op
	svc, ctx := m.svc, m.ctx
	skipped := app.CancelPlan{Skipped: p.plan.Skipped}
	cmds := []tea.Cmd{func() tea.Msg { svc.RecordSkipped(ctx, skipped); return nil }}
	for i, it := range p.plan.Eligible {
		t := p.targets[i]
		m.inFlight[t.ref] = true
		id := op.id
		cmds = append(cmds, func() tea.Msg {
			return cancelResultMsg{op: id, t: t, out: svc.Cancel(ctx, it)}
		})
	}
	n := len(p.targets)
	if n == 1 {
		cmds = append(cmds, m.flashf(flashInfo, "Canceling %s…", p.targets[0].title))
	} else {
		cmds = append(cmds, m.flashf(flashInfo, "Canceling %d sessions…", n))
	}
	return tea.Batch(cmds...)
}

func (m *Model) handleCancelResult(msg cancelResultMsg) tea.Cmd {
	t := msg.t
	delete(m.inFlight, t.ref)
	var cmds []tea.Cmd
	op := m.cancelOps[msg.op]
	out := msg.out
	m.recordOutcome("Cancel", t.title, out.Outcome, out.Reason)
	switch out.Outcome {
	case app.OutcomeOK, app.OutcomePending:
		st := out.Status
		if st == "" {
			st = models.StatusCanceled
		}
		delete(m.marks, t.ref)
		if st == models.StatusCancelPending {
			if op != nil {
				op.requested = append(op.requested, t.title)
			}
			cmds = append(cmds, m.followCancel(t.ref, t.title, out.OpID))
		} else if op != nil {
			op.canceled = append(op.canceled, t.title)
		}
		m.setRowStatus(t.ref, st)
	case app.OutcomeSkipped:
		if op != nil {
			op.skipped++
		}
		if out.Status != "" {
			m.setRowStatus(t.ref, out.Status)
		}
	default:
		if op != nil {
			op.failed = append(op.failed, t.title+": "+models.CleanText(out.Reason))
		}
		cmds = append(cmds, m.logCmd(slogWarn, "cancel failed", "ref", t.ref.String(), "outcome", out.Outcome, "err", out.Reason))
	}
	if op != nil {
		op.done++
		if op.done >= op.total {
			delete(m.cancelOps, op.id)
			cmds = append(cmds, m.cancelSummary(op))
		}
	}
	return tea.Batch(cmds...)
}

// followCancel has the service follow an asynchronous cancel to its
// confirmation, paced by the dashboard's options.
func (m *Model) followCancel(ref models.Ref, title, opID string) tea.Cmd {
	a := m.acct(ref.Account)
	if a == nil || a.Provider == nil || m.svc == nil {
		return nil
	}
	m.pollSeq++
	seq := m.pollSeq
	m.pending[ref] = &pollState{seq: seq, title: title}
	svc, ctx, acct := m.svc, m.ctx, m.appAccount(a)
	pace := app.Pacing{First: m.opts.CancelPollFirst, Max: m.opts.CancelPollMax, Timeout: m.opts.CancelConfirmTimeout}
	return func() tea.Msg {
		return confirmResultMsg{ref: ref, seq: seq, out: svc.Confirm(ctx, acct, ref, title, opID, pace)}
	}
}

// setRowStatus patches a row's status in place.
func (m *Model) setRowStatus(ref models.Ref, st models.Status) {
	m.stamp++
	stamp := m.stamp
	m.patchRow(ref, func(s *models.Session) { s.Status = st }, func(r *row) { r.statusStamp = stamp })
}

// patchRow changes ref's session in every table listing it (a session may
// be listed in more than one view) and in its cached detail, moving the
// row when its place in the order changes; then, when set, after sees
// each row patched.
func (m *Model) patchRow(ref models.Ref, patch func(*models.Session), after func(*row)) {
	m.eachTable(func() {
		i, ok := m.byRef[ref]
		if !ok {
			return
		}
		r := m.rows[i]
		before := *r
		s := r.s
		patch(&s)
		r.set(s)
		if after != nil {
			after(r)
		}
		if m.rowOrderChanged(&before, r) {
			m.reposition(i)
		}
	})
	if d := m.details[ref]; d != nil && d.s != nil {
		patch(d.s)
	}
}

// cancelSummary is the flash at the end of a cancel: every failure named
// with its reason.
func (m *Model) cancelSummary(op *cancelOp) tea.Cmd {
	if op.total == 1 {
		switch {
		case len(op.canceled) == 1:
			return m.flashf(flashOK, "Canceled %s", op.canceled[0])
		case len(op.requested) == 1:
			return m.flashf(flashOK, "Cancel requested for %s", op.requested[0])
		case len(op.failed) == 1:
			return m.flashf(flashErr, "Cancel failed: %s", op.failed[0])
		}
	}
	if len(op.canceled) == 0 && len(op.failed) == 0 && op.skipped == 0 && len(op.requested) > 0 {
		return m.flashf(flashOK, "Cancel requested for %d sessions; confirming", len(op.requested))
	}
	var parts []string
	parts = append(parts, fmt.Sprintf("%d canceled", len(op.canceled)))
	if len(op.requested) > 0 {
		parts = append(parts, fmt.Sprintf("%d requested", len(op.requested)))
	}
	if op.skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", op.skipped))
	}
	text := strings.Join(parts, ", ")
	level := flashOK
	if len(op.failed) > 0 {
		level = flashErr
		text += fmt.Sprintf(", %d failed: %s", len(op.failed), strings.Join(op.failed, "; "))
	}
	return m.setFlash(level, text)
}

func (m *Model) handleConfirmResult(msg confirmResultMsg) tea.Cmd {
	ps, ok := m.pending[msg.ref]
	if !ok || ps.seq != msg.seq {
		return nil
	}
	delete(m.pending, msg.ref)
	out := msg.out
	switch out.Outcome {
	case app.OutcomeOK:
		m.setRowStatus(msg.ref, models.StatusCanceled)
		m.recordOutcome("Cancel confirmed", ps.title, out.Outcome, "")
		if m.fl.level == flashErr && m.fl.text != "" {
			// A bulk summary naming failures stays; the confirmation is
			// in the message log.
			return nil
		}
		if n := len(m.pending); n > 0 {
			return m.flashf(flashOK, "Canceled %s (confirmed; %d more awaiting confirmation)", ps.title, n)
		}
		return m.flashf(flashOK, "Canceled %s (confirmed)", ps.title)
	case app.OutcomeFailed:
		if out.Status != "" {
			m.setRowStatus(msg.ref, out.Status)
		}
		m.recordOutcome("Cancel", ps.title, out.Outcome, out.Reason)
		return m.flashf(flashWarn, "%s: %s", ps.title, models.CleanText(out.Reason))
	}
	if m.ctx.Err() != nil {
		return nil
	}
	return m.flashf(flashWarn, "Cancel requested for %s is not confirmed: %s; it stays \"Cancel requested\" (refresh later)", ps.title, models.CleanText(out.Reason))
}

// rowReason is an error's text for a message that already names the
// session and its account: a provider error loses its "account: cancel
// <id>:" prefix, so the flash shows the reason rather than the id.
func rowReason(err error) string {
	if pe, ok := err.(*providers.Error); ok && pe != nil {
		short := *pe
		short.Account, short.Op = "", ""
		return cleanErr(&short)
	}
	return cleanErr(err)
}
