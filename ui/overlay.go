package ui

import tea "charm.land/bubbletea/v2"

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

// logOverlay is the message log (the last outcomes, newest first).
type logOverlay struct{ noPaste }

func (logOverlay) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case msg.String() == "ctrl+c":
		return m.requestQuit()
	case msg.String() == "esc", msg.String() == "q", m.keys.is(msg, actLog):
		m.closeOverlay()
	}
	return nil
}

func (logOverlay) view(m *Model) string { return m.renderLog() }
func (logOverlay) hint(*Model) string   { return "esc close" }
func (logOverlay) pausesRefresh() bool  { return false }
