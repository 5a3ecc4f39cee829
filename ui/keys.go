package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
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

// keyTable runs the action bound to the key (actionDefs); a disabled
// action's key flashes why, a key read-only mode removed says so.
func (m *Model) keyTable(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "ctrl+c":
		return m.requestQuit()
	case "esc":
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
	for i := range m.keys.defs {
		d := &m.keys.defs[i]
		if d.scope&scopeMain != 0 && d.handler(m) != nil && m.keys.is(msg, d.name) {
			return m.runAction(d)
		}
	}
	if a := m.keys.removedAction(msg); a != "" {
		return m.flashf(flashWarn, "%s: read-only mode", m.keys.title(a))
	}
	return nil
}

// runAction runs an action as its key does on the screen shown (the
// palette too): when it is disabled, the flash says why.
func (m *Model) runAction(d *actionDef) tea.Cmd {
	if why := m.actionDisabled(d); why != "" {
		return m.flashf(flashWarn, "%s: %s", m.keys.title(d.name), why)
	}
	if h := d.handler(m); h != nil {
		return h(m)
	}
	return nil
}

// handler is what d does on the screen shown, nil when nothing.
func (d *actionDef) handler(m *Model) func(*Model) tea.Cmd {
	if m.screen == screenAccounts && d.acctRun != nil {
		return d.acctRun
	}
	return d.run
}

// logoutInProgress: a logout's late answer would undo a login made
// meanwhile.
func logoutInProgress(m *Model) string {
	if m.logoutBusy {
		return "a logout is still in progress"
	}
	return ""
}

// actionDisabled is why d cannot run now ("" when it can).
func (m *Model) actionDisabled(d *actionDef) string {
	if m.opts.Readonly && d.dangerous {
		return "read-only mode"
	}
	if d.disabled == nil {
		return ""
	}
	return d.disabled(m)
}

// The actions' disabled reasons.

func detailClosed(m *Model) string {
	if !m.detailOpen {
		return "the detail pane is closed (" + m.keys.label(actDetail) + " opens it)"
	}
	return ""
}

func noCursorRow(m *Model) string {
	if m.current() == nil {
		return "no session selected"
	}
	return ""
}

func noMarks(m *Model) string {
	if len(m.marks) == 0 {
		return "nothing is marked"
	}
	return ""
}

func needsTargets(m *Model) string {
	if len(m.marks) == 0 && m.current() == nil {
		return "no session selected"
	}
	return ""
}

func needsJournal(m *Model) string {
	if why := needsTargets(m); why != "" {
		return why
	}
	if m.svc == nil {
		return "no operations journal is open in this session"
	}
	return ""
}

// needsCap: some account must have the capability.
func needsCap(what string, can func(providers.Capabilities) bool) func(m *Model) string {
	return func(m *Model) string {
		if why := needsTargets(m); why != "" {
			return why
		}
		for _, a := range m.accts {
			if a.Provider != nil && can(a.Provider.Capabilities()) {
				return ""
			}
		}
		return "no account here can " + what
	}
}

var downloadCap = needsCap("download documents", func(c providers.Capabilities) bool { return c.Download })

func downloadDisabled(m *Model) string {
	if m.opts.DownloadDir == "" {
		return "no download directory is set"
	}
	return downloadCap(m)
}

func (m *Model) startFilter() tea.Cmd {
	m.filtering = true
	m.filterErr = ""
	m.filterInput.SetValue(m.filterText)
	m.filterInput.CursorEnd()
	return m.filterInput.Focus()
}

func (m *Model) nextSort() tea.Cmd {
	m.sortCol = (m.sortCol + 1) % numSortCols
	m.sortDesc = m.sortCol.defaultDesc()
	m.orderGen++
	m.rebuild()
	return nil
}

func (m *Model) reverseSort() tea.Cmd {
	m.sortDesc = !m.sortDesc
	m.orderGen++
	m.rebuild()
	return nil
}

func (m *Model) toggleDetail() tea.Cmd {
	m.detailOpen = !m.detailOpen
	m.detailTop = 0
	m.clampCursor()
	if m.detailOpen {
		return m.loadDetail(true)
	}
	return nil
}

func (m *Model) toggleMark() tea.Cmd {
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
}

// title names an action in a flash ("Cancel: read-only mode").
func (k keyMap) title(a string) string {
	if d := k.def(a); d != nil && d.title != "" {
		return d.title
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
