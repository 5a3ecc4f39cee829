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

	"github.com/signdeck/signdeck/models"
)

// tableData is one view's rows and their visible order. The active view
// ("") and every bucket view ("expired", ...) have their own, so bucket
// rows never mix into the active view's rows; marks and details are kept
// by ref and shared.
type tableData struct {
	rows         []*row
	byRef        map[models.Ref]int
	visible      []int
	pos          []int32
	cursor       int
	offset       int
	cursorRef    models.Ref
	hasCursorRef bool
	// cursorChosen is set once the user (or an action such as a copy)
	// puts the cursor on a session. Until then the cursor stays on the
	// first row while pages stream in above it; after that it follows its
	// session.
	cursorChosen bool

	// order is every row in the sort order (orderCol, orderDesc): a filter
	// change walks it instead of sorting (rebuild), new and moved rows are
	// placed in it (placeRows).
	order     []int32
	orderCol  sortCol
	orderDesc bool

	// dirty are rows an upsert changed in a way that may move them or
	// change whether they pass the filter, not yet placed again.
	dirty []int
	// visQuery is the query the visible rows were built for (visValid).
	visQuery query
	visValid bool
	// snaps are recent filters' visible rows (rebuild); placeGen counts
	// changes to the order and the rows, which end them.
	snaps    []visSnap
	placeGen uint64

	// reused buffers
	sortBuf              []sortItem
	addedIdx, movedIdx   []int
	addBuf, atBuf, visIn []int
	scratch              []int
	remap                []int32
	markBuf              []uint64
	one                  [1]int

	// orderGen is Model.orderGen when the visible order was last built:
	// a view that missed a sort or filter change is rebuilt on entry.
	orderGen uint64

	// kept are the orders of other sorts used a moment ago (swapOrder);
	// removedGen counts removeRows calls that removed rows, which end them.
	kept       []keptOrder
	removedGen uint64
}

// table returns the table of a view, creating it.
func (m *Model) table(view string) *tableData {
	t := m.tables[view]
	if t == nil {
		t = &tableData{byRef: map[models.Ref]int{}, orderGen: m.orderGen}
		m.tables[view] = t
	}
	return t
}

// load returns the account's listing state in a view, creating it.
func (a *acctState) load(view string) *loadState {
	ls := a.loads[view]
	if ls == nil {
		ls = &loadState{}
		a.loads[view] = ls
	}
	return ls
}

// bucketOrder is the stable order of the known buckets in the view cycle;
// other buckets follow alphabetically.
var bucketOrder = []string{"expired", "archived", "deleted"}

// views returns the active view (""), the lenses over it (expiring,
// stalled, the saved views; lens.go) and every bucket at least one account
// with a token offers.
func (m *Model) views() []string {
	seen := map[string]bool{}
	for _, a := range m.accts {
		if a.Provider == nil {
			continue
		}
		for _, b := range a.Provider.Capabilities().Buckets {
			if b = strings.TrimSpace(b); b != "" {
				seen[b] = true
			}
		}
	}
	out := append([]string{""}, m.lensViews()...)
	for _, b := range bucketOrder {
		if seen[b] {
			out = append(out, b)
			delete(seen, b)
		}
	}
	rest := make([]string, 0, len(seen))
	for b := range seen {
		rest = append(rest, b)
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// viewLabel names a view for display.
func viewLabel(v string) string {
	if v == "" {
		return "active"
	}
	if isLens(v) {
		return lensLabel(v)
	}
	return models.CleanText(v)
}

// offers reports whether account a can list view v.
func offers(a *acctState, v string) bool {
	if v == "" || isLens(v) {
		return true
	}
	return a.Provider != nil && slices.Contains(a.Provider.Capabilities().Buckets, v)
}

// lacking lists the labels of the accounts with a token that have no view v.
func (m *Model) lacking(v string) []string {
	var out []string
	if v == "" {
		return nil
	}
	for _, a := range m.accts {
		if a.Provider != nil && !offers(a, v) {
			out = append(out, a.label)
		}
	}
	return out
}

// switchTo makes view v current: its table and every account's listing
// state in it. A table that missed a sort or filter change is rebuilt.
func (m *Model) switchTo(v string) {
	m.curView = v
	m.tableData = m.table(v)
	for _, a := range m.accts {
		a.loadState = a.load(v)
	}
	if m.tableData.orderGen != m.orderGen {
		m.rebuild()
	}
}

// withView runs fn with view v current (a listing page or a result for a
// view that is not shown), then restores the current view.
func (m *Model) withView(v string, fn func()) {
	if v == m.curView {
		fn()
		return
	}
	saved, swapped := m.curView, m.swapped
	m.switchTo(v)
	m.swapped = true
	defer func() {
		m.switchTo(saved)
		m.swapped = swapped
	}()
	fn()
}

// eachTable runs fn once with each view that has a table current.
func (m *Model) eachTable(fn func()) {
	vs := make([]string, 0, len(m.tables))
	for v := range m.tables {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	for _, v := range vs {
		m.withView(v, fn)
	}
}

// viewOf returns a view, other than the current one, that lists ref.
func (m *Model) viewOf(ref models.Ref) (string, bool) {
	for _, v := range m.views() {
		if t := m.tables[v]; t != nil && v != m.curView {
			if _, ok := t.byRef[ref]; ok {
				return v, true
			}
		}
	}
	return "", false
}

// cycleView moves to the next view: active, then each offered bucket.
func (m *Model) cycleView() tea.Cmd {
	vs := m.views()
	if len(vs) == 1 && m.curView == "" {
		return m.setFlash(flashInfo, "View: no account offers other views (expired, archived, deleted)")
	}
	next := vs[(slices.Index(vs, m.viewID())+1)%len(vs)]
	return m.setView(next)
}

// setView shows view v and lazily lists it for every account that offers
// it and has not listed it yet.
func (m *Model) setView(v string) tea.Cmd {
	m.lens.now = m.now().Truncate(time.Minute)
	m.setLens(v)
	if isLens(v) {
		m.switchTo("")
	} else {
		m.switchTo(v)
	}
	m.detailTop = 0
	var cmds []tea.Cmd
	for i, a := range m.accts {
		if a.Provider != nil && offers(a, v) && !a.loaded && !a.loading {
			cmds = append(cmds, m.startLoad(i))
		}
	}
	text := "View: " + viewLabel(v)
	if d := m.lensDesc(v); d != "" {
		text += " (" + d + ")"
	}
	if miss := m.lacking(v); len(miss) > 0 {
		text += fmt.Sprintf(" (no %s view: %s)", viewLabel(v), strings.Join(miss, ", "))
	}
	cmds = append(cmds, m.setFlash(flashInfo, text))
	return tea.Batch(cmds...)
}

// openPrompt is the one-line "Open ACCOUNT/ID:" input.
type openPrompt struct {
	input textinput.Model
	err   string
}

type openResultMsg struct {
	seq   int
	ref   models.Ref
	stamp uint64
	s     models.Session
	err   error
}

const openPromptText = "Open ACCOUNT/ID: "

// openInputWidth leaves room for the prompt and the cursor.
func openInputWidth(w int) int { return max(10, w-len(openPromptText)-2) }

func (m *Model) startOpen() tea.Cmd {
	in := m.st.newInput(openPromptText, "acme/0123abcd", openInputWidth(m.width))
	in.CharLimit = 300
	p := &openPrompt{input: in}
	m.openOverlay(p)
	return p.input.Focus()
}

// keyOpen handles keys while the open prompt has focus.
func (m *Model) keyOpen(p *openPrompt, msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc", "ctrl+c":
		m.dropOverlay(p)
		return m.setFlash(flashInfo, "Open aborted")
	case "enter":
		ref, why := m.resolveOpen(strings.TrimSpace(p.input.Value()))
		if why != "" {
			p.err = why
			return nil
		}
		a := m.acct(ref.Account)
		if a == nil {
			names := make([]string, len(m.accts))
			for i, x := range m.accts {
				names[i] = models.CleanText(x.Name)
			}
			p.err = fmt.Sprintf("account %s is not configured (accounts: %s)", models.CleanText(ref.Account), strings.Join(names, ", "))
			return nil
		}
		if a.Provider == nil {
			p.err = noTokenReason(a) + " — press " + m.keys.label(actAccounts) + " to log in"
			return nil
		}
		m.dropOverlay(p)
		m.openSeq++
		m.openPending++
		prov, seq, stamp, ctx := a.Provider, m.openSeq, m.stamp, m.ctx
		get := func() tea.Msg {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			s, err := prov.Get(ctx, ref.ID)
			return openResultMsg{seq: seq, ref: ref, stamp: stamp, s: s, err: err}
		}
		return tea.Batch(get, m.flashf(flashInfo, "Opening %s…", models.CleanText(ref.String())))
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	p.err = ""
	return cmd
}

// resolveOpen reads what the open prompt was given: ACCOUNT/ID, or a
// unique prefix of an id, with or without its account, among the sessions
// loaded in any view. An exact id wins over longer ones it prefixes. A
// full ACCOUNT/ID no loaded row matches is fetched as it is (a session no
// list shows). why says what is wrong, or "".
func (m *Model) resolveOpen(text string) (ref models.Ref, why string) {
	acct, id, hasAcct := strings.Cut(text, "/")
	if !hasAcct {
		acct, id = "", text
	}
	if id == "" {
		if _, err := models.ParseRef(text); err != nil {
			return ref, models.CleanText(err.Error())
		}
		return ref, "give an id or the start of one"
	}
	var exact, matches []models.Ref
	seen := map[models.Ref]bool{}
	for _, t := range m.allTables() {
		for _, r := range t.rows {
			rf := r.s.Ref
			if (acct != "" && rf.Account != acct) || !strings.HasPrefix(rf.ID, id) || seen[rf] {
				continue
			}
			seen[rf] = true
			if rf.ID == id {
				exact = append(exact, rf)
			}
			matches = append(matches, rf)
		}
	}
	switch {
	case len(exact) == 1:
		return exact[0], ""
	case len(matches) == 1 && len(exact) == 0:
		return matches[0], ""
	case len(matches) > 1:
		slices.SortFunc(matches, func(a, b models.Ref) int { return strings.Compare(a.String(), b.String()) })
		var names []string
		for _, rf := range matches[:min(3, len(matches))] {
			names = append(names, models.CleanText(rf.String()))
		}
		more := ""
		if len(matches) > 3 {
			more = ", …"
		}
		return ref, fmt.Sprintf("%q is the start of %d sessions' ids (%s%s): type more of it", models.CleanText(text), len(matches), strings.Join(names, ", "), more)
	case !hasAcct:
		return ref, fmt.Sprintf("no loaded session's id starts with %q; give ACCOUNT/ID to open one no list shows", models.CleanText(text))
	}
	r, err := models.ParseRef(text)
	if err != nil {
		return ref, models.CleanText(err.Error())
	}
	return r, ""
}

// allTables is the active view's table and every bucket view's.
func (m *Model) allTables() []*tableData {
	out := []*tableData{m.tableData}
	for _, t := range m.tables {
		if t != m.tableData {
			out = append(out, t)
		}
	}
	return out
}

// handleOpenResult puts an opened session in the current view's table,
// selects it and opens the detail pane on it.
func (m *Model) handleOpenResult(msg openResultMsg) tea.Cmd {
	m.openPending = max(0, m.openPending-1)
	name := models.CleanText(msg.ref.String())
	if msg.err != nil {
		return m.flashf(flashErr, "Open %s: %s", name, cleanErr(msg.err))
	}
	ai, ok := m.acctByName[msg.ref.Account]
	if !ok {
		return m.flashf(flashErr, "Open %s: account is no longer configured", name)
	}
	s := msg.s
	s.Ref = msg.ref
	if s.Provider == "" {
		s.Provider = m.accts[ai].Kind
	}
	s.Complete = true
	if i, ok := m.byRef[s.Ref]; ok {
		m.keepActionStatus(i, &s, msg.stamp)
	}
	m.upsert(s, ai, 0)
	m.rebuild()
	text := "Opened " + name
	if m.curView != "" {
		text += " in the " + viewLabel(m.curView) + " view"
	}
	if !m.selectRef(s.Ref) && (m.filterText != "" || m.filtering) {
		// The filter hides the session: clear it so it can be selected.
		if m.filtering {
			m.filtering = false
			m.filterInput.Blur()
		}
		m.setFilter("")
		m.selectRef(s.Ref)
		text += " (filter cleared to show it)"
	}
	if !m.selectRef(s.Ref) && m.lens.id != "" {
		// The view's own test hides it: show the active view.
		text += " (" + viewLabel(m.lens.id) + " view left to show it)"
		m.setLens("")
		m.switchTo(m.curView)
		m.selectRef(s.Ref)
	}
	m.detailSeq++
	full := s
	m.details[s.Ref] = &detailEntry{seq: m.detailSeq, stamp: msg.stamp, s: &full}
	m.detailOpen = true
	m.detailTop = 0
	m.clampCursor()
	return m.setFlash(flashOK, text)
}
