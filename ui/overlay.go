package ui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// overlay is a dialog or screen drawn over the table: a confirmation, a
// form, the help, the message log. At most one is open, in Model.ov, and
// it decides everything while it is: which key does what, what a paste
// does, what is drawn, the footer hint and whether background refresh
// waits.
//
// An overlay closes itself with m.closeOverlay() and may replace itself
// with m.openOverlay(next).
type overlay interface {
	// key handles a key press.
	key(m *Model, msg tea.KeyPressMsg) tea.Cmd
	// paste handles bracketed paste; most overlays ignore it.
	paste(m *Model, msg tea.PasteMsg) tea.Cmd
	// view renders the box content (the caller frames and centres it).
	view(m *Model) string
	// hint is the footer line while the overlay is open.
	hint(m *Model) string
	// pausesRefresh reports whether automatic refresh waits while it is
	// open (anything the user is typing into or deciding on).
	pausesRefresh() bool
}

// noPaste is embedded by overlays that ignore pastes.
type noPaste struct{}

func (noPaste) paste(*Model, tea.PasteMsg) tea.Cmd { return nil }

// openOverlay shows o, replacing any open overlay.
func (m *Model) openOverlay(o overlay) { m.ov = o }

// closeOverlay closes the open overlay.
func (m *Model) closeOverlay() { m.ov = nil }

// scrollScreen is a screen that takes the table's place and scrolls (the
// help, the message log): top is its first line shown. Its key closes it
// on esc, q or its own action's key.
type scrollScreen struct {
	noPaste
	top   int
	owner string // the action that opens and closes it
}

func (sc *scrollScreen) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case msg.String() == "ctrl+c":
		return m.requestQuit()
	case msg.String() == "esc", msg.String() == "q", m.keys.is(msg, sc.owner):
		m.closeOverlay()
	case m.keys.is(msg, actDown):
		sc.top++
	case m.keys.is(msg, actUp):
		sc.top = max(0, sc.top-1)
	case m.keys.is(msg, actPageDown):
		sc.top += m.bodyHeight() / 2
	case m.keys.is(msg, actPageUp):
		sc.top = max(0, sc.top-m.bodyHeight()/2)
	case m.keys.is(msg, actTop):
		sc.top = 0
	}
	return nil
}

// scrolled clamps top for lines of content in h rows and returns the rows
// shown, the last one saying there is more when there is.
func (sc *scrollScreen) scrolled(m *Model, lines []string, h int) []string {
	sc.top = max(0, min(sc.top, max(0, len(lines)-h)))
	lines = lines[sc.top:]
	if len(lines) > h {
		lines = lines[:h]
		lines[h-1] = m.st.Dim.Render("  ↓ more: " + m.keys.label(actDown) + " scrolls")
	}
	return lines
}

// logOverlay is the message log (the last outcomes, newest first): it
// takes the table's place, wraps each entry and scrolls like the help.
type logOverlay struct{ scrollScreen }

func newLogOverlay() *logOverlay { return &logOverlay{scrollScreen{owner: actLog}} }

func (*logOverlay) view(*Model) string                { return "" }
func (l *logOverlay) body(m *Model, w, ht int) string { return m.renderLog(l, w, ht) }
func (*logOverlay) hint(*Model) string                { return "j/k scroll · esc close" }
func (*logOverlay) pausesRefresh() bool               { return false }

// Optional parts of an overlay, asked by type assertion so that an
// overlay without them needs no stubs.
type (
	// bodyOverlay replaces the body (the table) instead of drawing a box
	// over it: the help.
	bodyOverlay interface {
		body(m *Model, w, h int) string
	}
	// footerOverlay owns the footer line (an input there, like open by
	// id); no flash shows while it is open.
	footerOverlay interface {
		footer(m *Model) string
	}
	// busyOverlay shows the spinner while it waits for an answer.
	busyOverlay interface {
		busy() bool
	}
	// inflightOverlay counts operations it has sent whose answer has not
	// come back (quitting asks first).
	inflightOverlay interface {
		inflight() int
	}
)

// overlays is the open overlay and, under the quit question, the one it
// covers (which keeps its state and gets its answers meanwhile).
func (m *Model) overlays() []overlay {
	switch o := m.ov.(type) {
	case nil:
		return nil
	case *quitAsk:
		if o.under != nil {
			return []overlay{o, o.under}
		}
	}
	return []overlay{m.ov}
}

// openAs returns the open overlay of type T (also under the quit
// question), or T's zero value: an async answer finds its dialog this way
// and does nothing when it was closed.
func openAs[T overlay](m *Model) T {
	for _, o := range m.overlays() {
		if t, ok := o.(T); ok {
			return t
		}
	}
	var zero T
	return zero
}

// dropOverlay closes o wherever it is (on top or under the quit question).
func (m *Model) dropOverlay(o overlay) {
	switch {
	case m.ov == o:
		m.ov = nil
	default:
		if q, ok := m.ov.(*quitAsk); ok && q.under == o {
			q.under = nil
		}
	}
}

// The typed lookups of the dialogs.
func (m *Model) copyOv() *copyForm       { return openAs[*copyForm](m) }
func (m *Model) loginOv() *loginState    { return openAs[*loginState](m) }
func (m *Model) cancelOv() *cancelPrompt { return openAs[*cancelPrompt](m) }
func (m *Model) askOv() *askPrompt       { return openAs[*askPrompt](m) }
func (m *Model) openOv() *openPrompt     { return openAs[*openPrompt](m) }
func (m *Model) quitOv() *quitAsk        { return openAs[*quitAsk](m) }

// quitAsk asks before quitting with operations in flight. It covers the
// overlay that was open, which comes back when the user says no.
type quitAsk struct {
	noPaste
	under overlay
}

func (q *quitAsk) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	m.ov = q.under
	if msg.String() == "y" {
		return m.quit()
	}
	return m.setFlash(flashInfo, "Quit aborted")
}

func (q *quitAsk) view(m *Model) string {
	st := m.st
	n := m.inflightCount()
	return st.Danger.Render(st.Title.Render("Quit?") + "\n\n" +
		fmt.Sprintf("%d operation%s in flight — quit anyway? ", n, plural(n)) + st.Bold.Render("[y/N]") + "\n" +
		st.Dim.Render("Quitting now leaves their outcome unknown."))
}
func (*quitAsk) hint(*Model) string  { return "y confirm · any other key aborts" }
func (*quitAsk) pausesRefresh() bool { return true }

// helpOverlay is the help screen: every action with its keys.
type helpOverlay struct{ scrollScreen }

func newHelpOverlay() *helpOverlay { return &helpOverlay{scrollScreen{owner: actHelp}} }

func (*helpOverlay) view(*Model) string                { return "" }
func (h *helpOverlay) body(m *Model, w, ht int) string { return m.renderHelp(h, w, ht) }
func (*helpOverlay) hint(*Model) string                { return "" }
func (*helpOverlay) pausesRefresh() bool               { return false }

// The dialogs: each delegates to its own file's key handler and renderer.

func (l *loginState) key(m *Model, msg tea.KeyPressMsg) tea.Cmd { return m.keyLogin(l, msg) }
func (l *loginState) paste(_ *Model, msg tea.PasteMsg) tea.Cmd {
	var cmd tea.Cmd
	l.input, cmd = l.input.Update(msg)
	return cmd
}
func (l *loginState) view(m *Model) string { return m.renderLogin(l) }
func (*loginState) hint(*Model) string     { return "enter verify & save · esc cancel" }
func (*loginState) pausesRefresh() bool    { return true }
func (l *loginState) busy() bool           { return l.sending }

// logoutAsk is the y/N question before logging out of an account.
type logoutAsk struct {
	noPaste
	acct int // index in m.accts
}

func (o *logoutAsk) key(m *Model, msg tea.KeyPressMsg) tea.Cmd { return m.keyLogoutAsk(o, msg) }
func (o *logoutAsk) view(m *Model) string                      { return m.renderLogout(o) }
func (*logoutAsk) hint(*Model) string                          { return "y confirm · any other key aborts" }
func (*logoutAsk) pausesRefresh() bool                         { return true }

func (f *copyForm) key(m *Model, msg tea.KeyPressMsg) tea.Cmd { return m.keyCopy(f, msg) }
func (f *copyForm) paste(_ *Model, msg tea.PasteMsg) tea.Cmd  { return f.pasteText(msg) }
func (f *copyForm) view(m *Model) string                      { return m.renderCopy(f) }
func (*copyForm) pausesRefresh() bool                         { return true }
func (f *copyForm) busy() bool                                { return f.loading || f.sending }
func (f *copyForm) inflight() int {
	if f.sending {
		return 1
	}
	return 0
}

func (f *copyForm) hint(*Model) string {
	switch {
	case f.sending:
		return "sending… the form is locked until the provider answers"
	case f.discardAsk:
		return "y discard · any other key keeps editing"
	case f.loading || f.loadErr != nil:
		return "esc close"
	case f.reviewing:
		return "y send · any other key returns to the form"
	}
	// The keys that finish the form come first, so that they stay
	// visible at 80 columns.
	return "ctrl+s review · esc close · tab/↑↓ move · ctrl+n/+ add · ctrl+x remove · alt+↑↓ reorder · space toggle"
}

func (p *cancelPrompt) key(m *Model, msg tea.KeyPressMsg) tea.Cmd { return m.keyCancelPrompt(p, msg) }
func (p *cancelPrompt) paste(_ *Model, msg tea.PasteMsg) tea.Cmd {
	if !p.needCount {
		return nil
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	return cmd
}
func (p *cancelPrompt) view(m *Model) string { return m.renderCancelPrompt(p) }
func (p *cancelPrompt) hint(*Model) string {
	if p.needCount {
		return "type the count, then y or enter · any other key aborts"
	}
	return "y cancel · enter, esc or any other key aborts"
}
func (*cancelPrompt) pausesRefresh() bool { return true }

func (p *askPrompt) key(m *Model, msg tea.KeyPressMsg) tea.Cmd { return m.keyAsk(p, msg) }
func (*askPrompt) paste(*Model, tea.PasteMsg) tea.Cmd          { return nil }
func (p *askPrompt) view(m *Model) string                      { return m.renderAsk(p) }
func (*askPrompt) hint(*Model) string                          { return "y confirm · any other key aborts" }
func (*askPrompt) pausesRefresh() bool                         { return true }

// The open-by-id prompt is an input in the footer, not a box.
func (p *openPrompt) key(m *Model, msg tea.KeyPressMsg) tea.Cmd { return m.keyOpen(p, msg) }
func (p *openPrompt) paste(_ *Model, msg tea.PasteMsg) tea.Cmd {
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	p.err = ""
	return cmd
}
func (*openPrompt) view(*Model) string     { return "" }
func (*openPrompt) hint(*Model) string     { return "" }
func (*openPrompt) pausesRefresh() bool    { return true }
func (p *openPrompt) footer(*Model) string { return p.input.View() }
