package ui

import (
	tea "charm.land/bubbletea/v2"
)

// Opt-in mouse support (Options.Mouse, ui.mouse in the config): a left
// click on a table row selects it, the wheel moves the cursor. It is off by
// default because mouse reporting takes over the terminal's own text
// selection.

// wheelStep is how many rows one wheel notch moves.
const wheelStep = 3

// tableTop is the screen line of the first table row: the header line,
// then the column header.
const tableTop = 2

// handleMouse acts on a click or a wheel notch over the session table; it
// ignores the mouse while a prompt, form or other view is open.
func (m *Model) handleMouse(msg tea.Msg) tea.Cmd {
	if !m.mouse || m.screen != screenTable || m.ov != nil || m.paused() {
		return nil
	}
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			return m.move(-wheelStep)
		case tea.MouseWheelDown:
			return m.move(wheelStep)
		}
	case tea.MouseClickMsg:
		if msg.Button != tea.MouseLeft {
			return nil
		}
		if m.detailOpen && (m.width < splitMinWidth || msg.X >= m.width*55/100) {
			return nil // the detail pane, not the table
		}
		row := msg.Y - tableTop
		if row < 0 || row >= m.tableHeight() {
			return nil
		}
		p := m.offset + row
		if p >= len(m.visible) {
			return nil
		}
		return m.move(p - m.cursor)
	}
	return nil
}
