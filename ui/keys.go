package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/models"
)

// handleKey routes a key press: an open prompt, form or input swallows
// every key; only then do the view's keys apply.
func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	if m.ov != nil {
		return m.ov.key(m, msg)
	}
	switch {
	case m.filtering:
		return m.keyFilter(msg)
	case m.screen == screenAccounts:
		return m.keyAccounts(msg)
	}
	return m.keyTable(msg)
}

func (m *Model) keyTable(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	h := max(1, m.tableHeight())
	switch {
	case k.is(msg, actUp):
		return m.move(-1)
	case k.is(msg, actDown):
		return m.move(1)
	case k.is(msg, actTop):
		return m.move(-len(m.visible))
	case k.is(msg, actBottom):
		return m.move(len(m.visible))
	case k.is(msg, actPageUp):
		return m.move(-h)
	case k.is(msg, actPageDown):
		return m.move(h)
	case k.is(msg, actFilter):
		m.filtering = true
		m.filterErr = ""
		m.filterInput.SetValue(m.filterText)
		m.filterInput.CursorEnd()
		return m.filterInput.Focus()
	case k.is(msg, actSort):
		m.sortCol = (m.sortCol + 1) % numSortCols
		m.sortDesc = m.sortCol.defaultDesc()
		m.orderGen++
		m.rebuild()
		return nil
	case k.is(msg, actReverse):
		m.sortDesc = !m.sortDesc
		m.orderGen++
		m.rebuild()
		return nil
	case k.is(msg, actDetail):
		m.detailOpen = !m.detailOpen
		m.detailTop = 0
		m.clampCursor()
		if m.detailOpen {
			return m.loadDetail(true)
		}
		return nil
	case k.is(msg, actScrollDown):
		if m.detailOpen {
			m.detailTop += max(1, m.bodyHeight()/2)
		}
		return nil
	case k.is(msg, actScrollUp):
		if m.detailOpen {
			m.detailTop = max(0, m.detailTop-max(1, m.bodyHeight()/2))
		}
		return nil
	case k.is(msg, actMark):
		r := m.current()
		if r == nil {
			return nil
		}
		if _, ok := m.marks[r.s.Ref]; ok {
			delete(m.marks, r.s.Ref)
		} else {
			m.marks[r.s.Ref] = struct{}{}
		}
		return m.move(1)
	case k.is(msg, actClearMarks):
		return m.clearMarks()
	case k.is(msg, actCancel):
		return m.startCancel()
	case k.is(msg, actCopy):
		return m.startCopy()
	case k.is(msg, actRefresh):
		return m.refresh(false)
	case k.is(msg, actAccounts):
		m.screen = screenAccounts
		return nil
	case k.is(msg, actView):
		return m.cycleView()
	case k.is(msg, actOpen):
		return m.startOpen()
	case k.is(msg, actRemind):
		return m.startRemind()
	case k.is(msg, actSend):
		return m.startSend()
	case k.is(msg, actDownload):
		return m.startDownload()
	case k.is(msg, actYank):
		return m.yank()
	case k.is(msg, actBrowse):
		return m.openBrowser()
	case k.is(msg, actLog):
		m.openOverlay(logOverlay{})
		return nil
	case k.is(msg, actAges):
		m.relTimes = !m.relTimes
		return nil
	case k.is(msg, actHelp):
		m.openOverlay(&helpOverlay{})
		return nil
	case k.is(msg, actQuit), msg.String() == "ctrl+c":
		return m.requestQuit()
	case msg.String() == "esc":
		switch {
		case m.detailOpen:
			m.detailOpen = false
			m.clampCursor()
		case m.filterText != "":
			m.setFilter("")
		case len(m.marks) > 0:
			return m.clearMarks()
		}
		return nil
	}
	if a := k.removedAction(msg); a != "" {
		return m.flashf(flashWarn, "%s: read-only mode", actionTitle(a))
	}
	return nil
}

func actionTitle(a string) string {
	switch a {
	case actCancel:
		return "Cancel"
	case actCopy:
		return "Copy"
	}
	return strings.ToUpper(a[:1]) + a[1:]
}

func (m *Model) clearMarks() tea.Cmd {
	if len(m.marks) == 0 {
		return nil
	}
	n := len(m.marks)
	clear(m.marks)
	return m.flashf(flashInfo, "Cleared %d mark%s", n, plural(n))
}

// move moves the cursor by d rows: O(1), independent of the row count.
func (m *Model) move(d int) tea.Cmd {
	if len(m.visible) == 0 {
		return nil
	}
	old := m.cursor
	m.cursor += d
	m.clampCursor()
	if m.cursor == old {
		return nil
	}
	m.cursorChosen = true
	return nil // Update's detailFollow loads the new row's detail
}

func (m *Model) requestQuit() tea.Cmd {
	if n := m.inflightCount(); n > 0 {
		m.openOverlay(&quitAsk{under: m.ov})
		return nil
	}
	return m.quit()
}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	m.shutdown()
	return tea.Quit
}

// keyFilter handles keys while the filter input has focus.
func (m *Model) keyFilter(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		if err := m.setFilter(m.filterInput.Value()); err != nil {
			return nil // the error stays inline; the input stays open
		}
		m.filtering = false
		m.filterInput.Blur()
		return nil
	case "esc", "ctrl+c":
		if m.filterInput.Value() != "" && msg.String() == "esc" {
			m.filterInput.SetValue("")
			m.filterErr = ""
			m.previewFilter()
			return nil
		}
		m.filtering = false
		m.filterInput.Blur()
		m.filterErr = ""
		m.setFilter("")
		return nil
	}
	var cmd tea.Cmd
	m.filterInput, cmd = m.filterInput.Update(msg)
	return tea.Batch(cmd, m.filterChanged())
}

type filterPreviewMsg struct{ seq int }

// filterChanged previews the filter as it is typed; with many rows the
// preview waits for a pause in typing.
func (m *Model) filterChanged() tea.Cmd {
	m.filterSeq++
	if len(m.rows) > liveFilterLimit {
		return m.after(filterDebounce, filterPreviewMsg{seq: m.filterSeq})
	}
	m.previewFilter()
	return nil
}

// previewFilter applies the typed filter when it parses; an invalid one
// keeps the last good preview and shows why.
func (m *Model) previewFilter() {
	q, err := parseQuery(m.filterInput.Value())
	if err != nil {
		m.filterErr = err.Error()
		return
	}
	m.filterErr = ""
	m.query = q
	m.orderGen++
	m.rebuild()
}

// setFilter applies a filter string.
func (m *Model) setFilter(s string) error {
	q, err := parseQuery(s)
	if err != nil {
		m.filterErr = err.Error()
		return err
	}
	m.filterErr = ""
	m.filterText = strings.TrimSpace(s)
	m.query = q
	m.orderGen++
	m.rebuild()
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// fmtCount writes n with thousands separators.
func fmtCount(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// targets returns the refs an action applies to: the marked rows (visible
// ones in table order, then hidden ones), or the cursor row.
func (m *Model) targets() ([]models.Ref, bool) {
	if len(m.marks) == 0 {
		if r := m.current(); r != nil {
			return []models.Ref{r.s.Ref}, false
		}
		return nil, false
	}
	var vis, hidden []models.Ref
	for ref := range m.marks {
		if m.isVisible(ref) {
			vis = append(vis, ref)
		} else {
			hidden = append(hidden, ref)
		}
	}
	byPos := func(refs []models.Ref) {
		sortRefs(refs, func(a, b models.Ref) int {
			ia, oka := m.byRef[a]
			ib, okb := m.byRef[b]
			if oka && okb && m.pos[ia] >= 0 && m.pos[ib] >= 0 {
				return int(m.pos[ia]) - int(m.pos[ib])
			}
			return strings.Compare(a.String(), b.String())
		})
	}
	byPos(vis)
	byPos(hidden)
	return append(vis, hidden...), true
}
