package ui

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/audit"
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
	targets   []cancelTarget // eligible
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

type cancelJob struct {
	op int
	t  cancelTarget
}

type cancelResultMsg struct {
	op  int
	t   cancelTarget
	res providers.CancelResult
	err error
}

// pollState follows an asynchronous cancel until it is confirmed.
type pollState struct {
	seq     int
	title   string
	delay   time.Duration
	elapsed time.Duration
}

type pollTickMsg struct {
	ref models.Ref
	seq int
}

type pollResultMsg struct {
	ref    models.Ref
	seq    int
	status models.Status
	err    error
}

// cancelBlocked says why a session cannot be canceled now, or "".
func (m *Model) cancelBlocked(ref models.Ref) string {
	r := m.rowByRef(ref)
	if r == nil {
		if v, ok := m.viewOf(ref); ok {
			return "session is marked in the " + viewLabel(v) + " view"
		}
		return "session is no longer listed"
	}
	a := m.acct(ref.Account)
	if a == nil {
		return "account " + models.CleanText(ref.Account) + " is not configured"
	}
	if a.Provider == nil {
		return noTokenReason(a)
	}
	if !a.Provider.Capabilities().Cancel {
		return fmt.Sprintf("%s account %s cannot cancel sessions", a.Kind.Label(), models.CleanText(a.Name))
	}
	if m.inFlight[ref] {
		return "a cancel is already in flight"
	}
	if _, ok := m.pending[ref]; ok {
		return models.StatusCancelPending.CancelBlockedReason()
	}
	return r.s.CancelBlockedReason()
}

// startCancel opens the confirmation for the marked rows or the cursor
// row. Targets are snapshotted now; when none is eligible there is no
// prompt, only the reason.
func (m *Model) startCancel() tea.Cmd {
	refs, fromMarks := m.targets()
	if len(refs) == 0 {
		return m.setFlash(flashWarn, "Cancel: no session selected")
	}
	p := &cancelPrompt{}
	for _, ref := range refs {
		t := cancelTarget{ref: ref, title: models.CleanText(ref.ID), acct: models.CleanText(ref.Account)}
		if r := m.rowByRef(ref); r != nil {
			t.title, t.acct, t.kind, t.status = r.title, r.acct, r.s.Provider, r.s.Status
		}
		t.reason = m.cancelBlocked(ref)
		if fromMarks && !m.isVisible(ref) {
			p.hidden++
		}
		if t.reason != "" {
			p.skipped = append(p.skipped, t)
		} else {
			p.targets = append(p.targets, t)
		}
	}
	if len(p.targets) == 0 {
		if len(p.skipped) == 1 {
			return m.flashf(flashWarn, "Cancel: %s", p.skipped[0].reason)
		}
		return m.flashf(flashWarn, "Cancel: none of the %d sessions can be canceled (%s)", len(p.skipped), reasonSummary(p.skipped))
	}
	if len(p.targets) > typeCountOver {
		p.needCount = true
		in := textinput.New()
		in.Prompt = "> "
		in.CharLimit = 7
		in.SetWidth(8)
		p.input = in
		m.cancelPrompt = p
		return m.cancelPrompt.input.Focus()
	}
	m.cancelPrompt = p
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
func (m *Model) keyCancelPrompt(msg tea.KeyPressMsg) tea.Cmd {
	p := m.cancelPrompt
	s := msg.String()
	if p.needCount {
		switch {
		case s == "y" || s == "enter":
			if strings.TrimSpace(p.input.Value()) == fmt.Sprint(len(p.targets)) {
				return m.confirmCancel()
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
		m.cancelPrompt = nil
		return m.setFlash(flashInfo, "Cancel aborted")
	}
	if s == "y" {
		return m.confirmCancel()
	}
	m.cancelPrompt = nil
	return m.setFlash(flashInfo, "Cancel aborted")
}

// confirmCancel queues the cancels, at most cancelWorkers per account at
// a time.
func (m *Model) confirmCancel() tea.Cmd {
	p := m.cancelPrompt
	m.cancelPrompt = nil
	m.opSeq++
	op := &cancelOp{id: m.opSeq, total: len(p.targets), skipped: len(p.skipped)}
	m.cancelOps[op.id] = op
	var cmds []tea.Cmd
	for _, t := range p.skipped {
		cmds = append(cmds, m.auditCmd(audit.Event{Action: "cancel", Account: t.ref.Account, Provider: string(t.kind),
			Ref: t.ref.String(), Title: t.title, Outcome: "skipped", Status: string(t.status), Error: t.reason}))
	}
	accts := map[string]bool{}
	for _, t := range p.targets {
		m.cancelQueue[t.ref.Account] = append(m.cancelQueue[t.ref.Account], cancelJob{op: op.id, t: t})
		m.inFlight[t.ref] = true
		accts[t.ref.Account] = true
	}
	names := make([]string, 0, len(accts))
	for a := range accts {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, a := range names {
		cmds = append(cmds, m.dispatchCancels(a))
	}
	n := len(p.targets)
	if n == 1 {
		cmds = append(cmds, m.flashf(flashInfo, "Canceling %s…", p.targets[0].title))
	} else {
		cmds = append(cmds, m.flashf(flashInfo, "Canceling %d sessions…", n))
	}
	return tea.Batch(cmds...)
}

// dispatchCancels starts queued cancels of an account up to the limit.
func (m *Model) dispatchCancels(acct string) tea.Cmd {
	var cmds []tea.Cmd
	for m.cancelActive[acct] < cancelWorkers && len(m.cancelQueue[acct]) > 0 {
		job := m.cancelQueue[acct][0]
		m.cancelQueue[acct] = m.cancelQueue[acct][1:]
		a := m.acct(acct)
		if a == nil || a.Provider == nil {
			// Logged out meanwhile: report it as a failure without sending.
			t := job.t
			cmds = append(cmds, func() tea.Msg {
				return cancelResultMsg{op: job.op, t: t, err: fmt.Errorf("account %s has no token any more", t.ref.Account)}
			})
			m.cancelActive[acct]++
			continue
		}
		m.cancelActive[acct]++
		cmds = append(cmds, cancelCmd(m.ctx, a.Provider, job))
	}
	if len(m.cancelQueue[acct]) == 0 {
		delete(m.cancelQueue, acct)
	}
	return tea.Batch(cmds...)
}

func cancelCmd(ctx context.Context, p providers.Provider, job cancelJob) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		res, err := p.Cancel(ctx, job.t.ref.ID)
		return cancelResultMsg{op: job.op, t: job.t, res: res, err: err}
	}
}

func (m *Model) handleCancelResult(msg cancelResultMsg) tea.Cmd {
	t := msg.t
	acct := t.ref.Account
	m.cancelActive[acct]--
	if m.cancelActive[acct] <= 0 {
		delete(m.cancelActive, acct)
	}
	delete(m.inFlight, t.ref)
	var cmds []tea.Cmd
	cmds = append(cmds, m.dispatchCancels(acct))
	op := m.cancelOps[msg.op]
	ev := audit.Event{Action: "cancel", Account: acct, Provider: string(t.kind), Ref: t.ref.String(), Title: t.title}
	if msg.err != nil {
		reason := cleanErr(msg.err)
		if op != nil {
			op.failed = append(op.failed, t.title+": "+rowReason(msg.err))
		}
		ev.Outcome, ev.Error = "failed", reason
		cmds = append(cmds, m.logCmd(slogWarn, "cancel failed", "ref", t.ref.String(), "err", reason))
	} else {
		st := msg.res.Status
		if st == "" {
			st = models.StatusCanceled
		}
		delete(m.marks, t.ref)
		ev.Status = string(st)
		if st == models.StatusCancelPending {
			ev.Outcome = "pending"
			if op != nil {
				op.requested = append(op.requested, t.title)
			}
			m.opSeq++
			m.pending[t.ref] = &pollState{seq: m.opSeq, title: t.title, delay: m.opts.CancelPollFirst}
			cmds = append(cmds, m.after(m.opts.CancelPollFirst, pollTickMsg{ref: t.ref, seq: m.opSeq}))
		} else {
			ev.Outcome = "ok"
			if op != nil {
				op.canceled = append(op.canceled, t.title)
			}
		}
		m.setRowStatus(t.ref, st)
	}
	cmds = append(cmds, m.auditCmd(ev))
	if op != nil {
		op.done++
		if op.done >= op.total {
			delete(m.cancelOps, op.id)
			cmds = append(cmds, m.cancelSummary(op))
		}
	}
	return tea.Batch(cmds...)
}

// setRowStatus patches a row's status in place.
func (m *Model) setRowStatus(ref models.Ref, st models.Status) {
	m.stamp++
	stamp := m.stamp
	// The session may be listed in more than one view.
	m.eachTable(func() {
		i, ok := m.byRef[ref]
		if !ok {
			return
		}
		r := m.rows[i]
		before := *r
		s := r.s
		s.Status = st
		r.set(s)
		r.statusStamp = stamp
		if m.rowOrderChanged(&before, r) {
			m.reposition(i)
		}
	})
	if d := m.details[ref]; d != nil && d.s != nil {
		d.s.Status = st
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

func (m *Model) handlePollTick(msg pollTickMsg) tea.Cmd {
	ps, ok := m.pending[msg.ref]
	if !ok || ps.seq != msg.seq {
		return nil
	}
	a := m.acct(msg.ref.Account)
	if a == nil || a.Provider == nil {
		delete(m.pending, msg.ref)
		return nil
	}
	p, ref, seq, ctx := a.Provider, msg.ref, msg.seq, m.ctx
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		st, err := p.CancelStatus(ctx, ref.ID)
		return pollResultMsg{ref: ref, seq: seq, status: st, err: err}
	}
}

func (m *Model) handlePollResult(msg pollResultMsg) tea.Cmd {
	ps, ok := m.pending[msg.ref]
	if !ok || ps.seq != msg.seq {
		return nil
	}
	ev := audit.Event{Action: "cancel_confirmed", Account: msg.ref.Account, Ref: msg.ref.String(), Title: ps.title}
	if a := m.acct(msg.ref.Account); a != nil {
		ev.Provider = string(a.Kind)
	}
	if msg.err == nil && msg.status == models.StatusCanceled {
		delete(m.pending, msg.ref)
		m.setRowStatus(msg.ref, models.StatusCanceled)
		ev.Outcome, ev.Status = "ok", string(models.StatusCanceled)
		if n := len(m.pending); n > 0 {
			return tea.Batch(m.auditCmd(ev), m.flashf(flashOK, "Canceled %s (confirmed; %d more awaiting confirmation)", ps.title, n))
		}
		return tea.Batch(m.auditCmd(ev), m.flashf(flashOK, "Canceled %s (confirmed)", ps.title))
	}
	if msg.err == nil && msg.status.Final() {
		delete(m.pending, msg.ref)
		m.setRowStatus(msg.ref, msg.status)
		ev.Outcome, ev.Status = "failed", string(msg.status)
		ev.Error = "session ended as " + msg.status.Label() + " before the cancel took effect"
		return tea.Batch(m.auditCmd(ev), m.flashf(flashWarn, "%s: %s", ps.title, ev.Error))
	}
	var cmds []tea.Cmd
	if msg.err != nil {
		cmds = append(cmds, m.logCmd(slogWarn, "cancel status check failed", "ref", msg.ref.String(), "err", cleanErr(msg.err)))
	}
	ps.elapsed += ps.delay
	if ps.elapsed >= m.opts.CancelConfirmTimeout {
		delete(m.pending, msg.ref)
		ev.Outcome, ev.Status = "pending", string(models.StatusCancelPending)
		ev.Error = "not confirmed after " + m.opts.CancelConfirmTimeout.String()
		cmds = append(cmds, m.auditCmd(ev), m.flashf(flashWarn,
			"Cancel requested for %s is not confirmed after %s; it stays \"Cancel requested\" (refresh later)", ps.title, m.opts.CancelConfirmTimeout))
		return tea.Batch(cmds...)
	}
	ps.delay = min(ps.delay*2, m.opts.CancelPollMax)
	cmds = append(cmds, m.after(ps.delay, pollTickMsg{ref: msg.ref, seq: ps.seq}))
	return tea.Batch(cmds...)
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
