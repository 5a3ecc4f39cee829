package ui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/sahilm/fuzzy"
)

// The command palette (`:`): every action of the table and every list
// view, by name, with completion. Enter runs an action exactly as its key
// does (runAction) or switches to a view.

// paletteItem is one thing the palette can run.
type paletteItem struct {
	def  *actionDef // the action; nil for a view
	view string     // the list view (m.views()) when def is nil
	name string     // what is typed and completed: "remind", "view stalled"
	desc string     // help text
	keys string     // the action's keys
	why  string     // why it cannot run now ("" when it can)
}

// paletteOverlay is the palette: an input and the items that match it.
type paletteOverlay struct {
	input textinput.Model
	all   []paletteItem // every item, built when the palette opens
	shown []paletteItem // the matches: runnable ones first
	sel   int
}

// openPalette opens the palette over the table.
func (m *Model) openPalette() tea.Cmd {
	p := &paletteOverlay{input: m.st.newInput(": ", "action or view name", paletteWidth(m)-8)}
	p.input.CharLimit = 100
	p.all = m.paletteItems()
	p.match()
	m.openOverlay(p)
	return p.input.Focus()
}

func paletteWidth(m *Model) int { return max(30, min(m.width-4, 72)) }

// paletteItems lists the table's actions (not the palette itself) in
// actionDefs order, then the list views from m.views(), then the cursor
// movements.
func (m *Model) paletteItems() []paletteItem {
	var out, nav []paletteItem
	scope := scopeMain
	if m.screen == screenAccounts {
		scope = scopeAccounts
	}
	for i := range m.keys.defs {
		d := &m.keys.defs[i]
		if d.handler(m) == nil || d.scope&scope == 0 || d.name == actPalette {
			continue
		}
		it := paletteItem{def: d, name: d.name, desc: d.desc, keys: m.keys.label(d.name), why: m.actionDisabled(d)}
		if b, ok := m.keys.removed[d.name]; ok {
			it.keys = b.Help().Key
		}
		if d.group == grpNav {
			nav = append(nav, it)
			continue
		}
		out = append(out, it)
	}
	for _, v := range m.views() {
		if scope != scopeMain {
			break
		}
		it := paletteItem{view: v, name: "view " + viewLabel(v), desc: "switch to the " + viewLabel(v) + " list"}
		if v == m.curView {
			it.desc = "the list shown now"
		}
		out = append(out, it)
	}
	return append(out, nav...)
}

// match filters the items by the input: names that start with it, then
// names that contain it, then help texts that contain it; when nothing
// does, a fuzzy match over the names ("rmd" finds remind). Items that can
// run come first.
func (p *paletteOverlay) match() {
	q := strings.ToLower(strings.TrimSpace(p.input.Value()))
	var found []paletteItem
	if q == "" {
		found = slices.Clone(p.all)
	} else {
		var tiers [3][]paletteItem
		for _, it := range p.all {
			name := strings.ToLower(it.name)
			switch {
			case strings.HasPrefix(name, q):
				tiers[0] = append(tiers[0], it)
			case strings.Contains(name, q):
				tiers[1] = append(tiers[1], it)
			case strings.Contains(strings.ToLower(it.desc), q):
				tiers[2] = append(tiers[2], it)
			}
		}
		found = slices.Concat(tiers[0], tiers[1], tiers[2])
		if len(found) == 0 {
			names := make([]string, len(p.all))
			for i, it := range p.all {
				names[i] = it.name
			}
			for _, mt := range fuzzy.Find(q, names) {
				found = append(found, p.all[mt.Index])
			}
		}
	}
	slices.SortStableFunc(found, func(a, b paletteItem) int {
		switch {
		case a.why == "" && b.why != "":
			return -1
		case a.why != "" && b.why == "":
			return 1
		}
		return 0
	})
	p.shown = found
	p.sel = 0
}

func (p *paletteOverlay) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc", "ctrl+c":
		m.dropOverlay(p)
		return nil
	case "up", "ctrl+p", "shift+tab":
		if len(p.shown) > 0 {
			p.sel = (p.sel - 1 + len(p.shown)) % len(p.shown)
		}
		return nil
	case "down", "ctrl+n":
		if len(p.shown) > 0 {
			p.sel = (p.sel + 1) % len(p.shown)
		}
		return nil
	case "tab":
		if p.sel < len(p.shown) {
			p.input.SetValue(p.shown[p.sel].name)
			p.input.CursorEnd()
			p.match()
		}
		return nil
	case "enter":
		if p.sel >= len(p.shown) {
			return nil // nothing matches: the palette stays open
		}
		it := p.shown[p.sel]
		m.dropOverlay(p)
		if it.def != nil {
			return m.runAction(it.def)
		}
		return m.setView(it.view)
	}
	before := p.input.Value()
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	if p.input.Value() != before {
		p.match()
	}
	return cmd
}

func (p *paletteOverlay) paste(_ *Model, msg tea.PasteMsg) tea.Cmd {
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	p.match()
	return cmd
}

func (*paletteOverlay) hint(*Model) string {
	return "enter run · tab complete · ↑↓ select · esc close"
}

func (*paletteOverlay) pausesRefresh() bool { return true }

func (p *paletteOverlay) view(m *Model) string {
	st := m.st
	w := paletteWidth(m) - 4 // inside the border and padding
	lines := []string{fitLine(p.input.View(), w), ""}
	rows := max(1, m.bodyHeight()-6)
	if len(p.shown) == 0 {
		lines = append(lines, st.Dim.Render(fitLine("no action or view matches", w)))
	}
	top := 0
	if p.sel >= rows {
		top = p.sel - rows + 1
	}
	nameW := 0
	for _, it := range p.shown {
		nameW = max(nameW, ansi.StringWidth(it.name))
	}
	nameW = min(nameW, 20)
	for i := top; i < len(p.shown) && i < top+rows; i++ {
		it := p.shown[i]
		cur := "  "
		if i == p.sel {
			cur = st.Focus.Render(glyphCursor) + " "
		}
		keys := pad(it.keys, 7)
		var line string
		if it.why != "" {
			line = cur + st.Dim.Render(pad(it.name, nameW)+"  "+keys+"  "+it.why)
		} else {
			line = cur + st.Bold.Render(pad(it.name, nameW)) + "  " + st.Key.Render(keys) + "  " + it.desc
		}
		lines = append(lines, fitLine(line, w))
	}
	if n := len(p.shown) - top - rows; n > 0 {
		lines = append(lines, st.Dim.Render(fitLine(fmt.Sprintf("  … and %d more (↓)", n), w)))
	}
	return st.Modal.Render(strings.Join(lines, "\n"))
}
