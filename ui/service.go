package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
)

// maxLogEntries bounds the message log of outcomes.
const maxLogEntries = 100

// logEntry is one outcome in the message log.
type logEntry struct {
	at      time.Time
	action  string
	title   string
	outcome string
	reason  string
}

// recordOutcome adds an outcome to the message log.
func (m *Model) recordOutcome(action, title, outcome, reason string) {
	m.msgLog = append(m.msgLog, logEntry{at: m.now(), action: action, title: title, outcome: outcome,
		reason: models.CleanText(reason)})
	if n := len(m.msgLog); n > maxLogEntries {
		m.msgLog = append(m.msgLog[:0], m.msgLog[n-maxLogEntries:]...)
	}
}

// appAccount is the service's view of an account.
func (m *Model) appAccount(a *acctState) app.Account {
	return app.Account{Name: a.Name, Kind: a.Kind, Endpoint: a.Endpoint, Provider: a.Provider, Err: a.Err}
}

type reconcileMsg struct {
	rep app.Report
}

// reconcileCmd checks the journal's unresolved operations against the
// providers in the background, once at start.
func (m *Model) reconcileCmd() tea.Cmd {
	if m.svc == nil || !m.opts.Reconcile {
		return nil
	}
	svc, ctx := m.svc, m.ctx
	accts := make([]app.Account, 0, len(m.accts))
	for _, a := range m.accts {
		accts = append(accts, m.appAccount(a))
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		svc.LoadPending(ctx, accts)
		return reconcileMsg{rep: svc.Reconcile(ctx, accts)}
	}
}

func (m *Model) handleReconcile(msg reconcileMsg) tea.Cmd {
	rep := msg.rep
	for _, op := range rep.Resolved {
		ref, err := models.ParseRef(op.Ref)
		if err != nil {
			continue
		}
		switch {
		case op.Action == app.ActionCancel && op.Outcome == app.OutcomeOK:
			m.setRowStatus(ref, models.StatusCanceled)
		case op.Action == app.ActionCancel && op.Outcome == app.OutcomePending:
			m.setRowStatus(ref, models.StatusCancelPending)
		}
		m.recordOutcome("Earlier "+op.Action, op.Title, op.Outcome, op.Reason)
	}
	for _, n := range rep.NeedYou {
		m.recordOutcome("Earlier "+n.Op.Action, n.Op.Title, "needs you", n.Reason)
	}
	s := rep.Summary()
	if s == "" {
		return nil
	}
	level := flashInfo
	if len(rep.NeedYou) > 0 {
		level = flashWarn
		s += " (signdeck audit --unresolved)"
		for _, n := range rep.NeedYou {
			if n.Retry {
				s += "; retry copy " + n.Op.ID + " of " + n.Op.Ref + " with signdeck copy " + n.Op.Ref + " --operation-id " + n.Op.ID
				break
			}
		}
	}
	return m.setFlash(level, s)
}
