package ui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// loginState is the masked secret prompt of the accounts view. The secret
// lives only in the input until Enter, then only in the Login command.
type loginState struct {
	acct    int
	input   textinput.Model
	sending bool
	stop    context.CancelFunc // cancels the verification in flight
	seq     int                // the attempt; an abandoned one's answer only updates the account
	err     string
}

type loginResultMsg struct {
	acct   int
	seq    int
	p      providers.Provider
	source string
	err    string // already redacted
}

type logoutResultMsg struct {
	acct int
	err  string
}

func (m *Model) keyAccounts(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "ctrl+c":
		return m.requestQuit()
	case "esc":
		m.screen = screenTable
		return nil
	}
	for i := range m.keys.defs {
		d := &m.keys.defs[i]
		if d.scope&scopeAccounts != 0 && d.handler(m) != nil && m.keys.is(msg, d.name) {
			return m.runAction(d)
		}
	}
	return nil
}

func (m *Model) curAccount() *acctState {
	if m.accountsCur < 0 || m.accountsCur >= len(m.accts) {
		return nil
	}
	return m.accts[m.accountsCur]
}

func (m *Model) startLogin() tea.Cmd {
	a := m.curAccount()
	if a == nil {
		return nil
	}
	if m.opts.Login == nil {
		return m.setFlash(flashWarn, "Login: not available in this session")
	}
	in := m.st.newInput("Token: ", "paste the API key or token", 40)
	in.EchoMode = textinput.EchoPassword
	in.EchoCharacter = '•'
	l := &loginState{acct: m.accountsCur, input: in}
	m.openOverlay(l)
	return l.input.Focus()
}

func (m *Model) keyLogin(l *loginState, msg tea.KeyPressMsg) tea.Cmd {
	if l.sending {
		// Verifying; the secret is no longer held here. esc gives up (the
		// verification is canceled), ctrl+c quits.
		switch msg.String() {
		case "esc":
			l.stop()
			m.dropOverlay(l)
			return m.flashf(flashInfo, "Login to %s canceled", m.accts[l.acct].label)
		case "ctrl+c":
			return m.requestQuit()
		}
		return nil
	}
	switch msg.String() {
	case "esc", "ctrl+c":
		l.input.Reset()
		m.dropOverlay(l)
		return nil
	case "enter":
		secret := l.input.Value()
		l.input.Reset() // wipe it from the model right away
		if secret == "" {
			l.err = "enter the token first"
			return nil
		}
		l.sending = true
		l.err = ""
		a := m.accts[l.acct]
		ctx, stop := context.WithTimeout(m.ctx, time.Minute)
		m.loginSeq++
		l.stop, l.seq = stop, m.loginSeq
		login, name, idx, seq := m.opts.Login, a.Name, l.acct, l.seq
		return func() tea.Msg {
			defer stop()
			p, src, err := login(ctx, name, secret)
			msg := loginResultMsg{acct: idx, seq: seq, p: p, source: src}
			if err != nil {
				msg.err = providers.Redact(models.CleanText(err.Error()), secret)
			} else if p == nil {
				msg.err = "login returned no provider"
			}
			return msg
		}
	}
	var cmd tea.Cmd
	l.input, cmd = l.input.Update(msg)
	l.err = ""
	return cmd
}

func (m *Model) handleLoginResult(msg loginResultMsg) tea.Cmd {
	if msg.acct < 0 || msg.acct >= len(m.accts) {
		return nil
	}
	a := m.accts[msg.acct]
	if msg.err != "" {
		m.recordOutcome("Login", a.label, app.OutcomeFailed, msg.err)
		if l := m.loginOv(); l != nil && l.seq == msg.seq {
			l.sending = false
			l.err = "Login failed: " + msg.err
		}
		return tea.Batch(m.logCmd(slogWarn, "login failed", "account", a.Name, "err", msg.err))
	}
	if l := m.loginOv(); l != nil && l.seq == msg.seq {
		m.dropOverlay(l)
	}
	a.Provider = msg.p
	a.TokenSource = msg.source
	if a.TokenSource == "" {
		a.TokenSource = "memory"
	}
	a.Err, a.err = nil, nil
	m.recordOutcome("Login", a.label, app.OutcomeOK, "")
	load := m.startLoad(msg.acct)
	var active tea.Cmd
	if m.curView != "" {
		m.withView("", func() { active = m.startLoad(msg.acct) })
	}
	return tea.Batch(load, active,
		m.flashf(flashOK, "Logged in to %s (token in %s)", a.label, models.CleanText(a.TokenSource)))
}

func (m *Model) startLogout() tea.Cmd {
	a := m.curAccount()
	if a == nil {
		return nil
	}
	if m.opts.Logout == nil {
		return m.setFlash(flashWarn, "Logout: not available in this session")
	}
	if a.Provider == nil && (a.TokenSource == "none" || a.TokenSource == "") {
		return m.flashf(flashWarn, "Logout: %s has no token", a.label)
	}
	m.openOverlay(&logoutAsk{acct: m.accountsCur})
	return nil
}

func (m *Model) keyLogoutAsk(o *logoutAsk, msg tea.KeyPressMsg) tea.Cmd {
	i := o.acct
	m.dropOverlay(o)
	if msg.String() != "y" {
		return m.setFlash(flashInfo, "Logout aborted")
	}
	a := m.accts[i]
	logout, name, ctx := m.opts.Logout, a.Name, m.ctx
	m.logoutBusy = true
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		err := logout(ctx, name)
		msg := logoutResultMsg{acct: i}
		if err != nil {
			msg.err = models.CleanText(err.Error())
		}
		return msg
	}
}

func (m *Model) handleLogoutResult(msg logoutResultMsg) tea.Cmd {
	m.logoutBusy = false
	if msg.acct < 0 || msg.acct >= len(m.accts) {
		return nil
	}
	a := m.accts[msg.acct]
	if msg.err != "" {
		m.recordOutcome("Logout", a.label, app.OutcomeFailed, msg.err)
		return tea.Batch(m.flashf(flashErr, "Logout of %s failed: %s", a.label, msg.err))
	}
	m.recordOutcome("Logout", a.label, app.OutcomeOK, "")
	wasEnv := a.TokenSource == "env"
	for _, ls := range a.loads {
		if ls.cancel != nil {
			ls.cancel()
			ls.cancel = nil
		}
		ls.gen++ // drop pages of the listing that was running
		ls.loading = false
		ls.loaded = false
	}
	a.Provider = nil
	a.TokenSource = "none"
	idx := msg.acct
	for ref := range m.pending {
		if ref.Account == a.Name {
			delete(m.pending, ref)
		}
	}
	m.eachTable(func() {
		m.removeRows(func(r *row) bool { return r.ai == idx })
		m.rebuild()
	})
	text := "Logged out of " + a.label
	if wasEnv {
		text += "; the token still comes from the environment variable: unset it to stop using it"
	}
	return m.setFlash(flashOK, text)
}
