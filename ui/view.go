package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/signdeck/signdeck/models"
)

// View renders the whole screen in the alternate screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "signdeck"
	if m.mouse {
		v.MouseMode = tea.MouseModeCellMotion
	}
	return v
}

// render draws the screen as exactly height lines of width cells.
func (m *Model) render() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	// The footer's height varies (a long flash wraps, the filter input
	// replaces it): keep the cursor row inside the table's window.
	m.clampCursor()
	var body string
	bh := m.bodyHeight()
	if b, ok := m.ov.(bodyOverlay); ok {
		body = b.body(m, w, bh)
	} else if m.screen == screenAccounts {
		body = m.renderAccounts(w, bh)
	} else {
		body = m.renderMain(w, bh)
	}
	footer := strings.Split(m.renderFooter(), "\n")
	for i, l := range footer {
		footer[i] = fitLine(l, w)
	}
	screen := strings.Join([]string{
		fitLine(m.renderHeader(), w),
		body,
		fitLine(m.renderStatus(), w),
		strings.Join(footer, "\n"),
	}, "\n")
	if modal := m.renderModal(); modal != "" {
		// Centre the box on the body; the status and footer stay visible.
		lines := strings.Split(screen, "\n")
		body := drawOver(strings.Join(lines[1:1+bh], "\n"), modal, w, bh)
		screen = strings.Join(append(append([]string{lines[0]}, body), lines[1+bh:]...), "\n")
	}
	if strings.Count(screen, "\n")+1 <= h {
		return screen
	}
	if lines := strings.Split(screen, "\n"); len(lines) > h {
		// A terminal too short for header, body, status and footer: keep
		// the bottom lines (status and footer say the most).
		screen = strings.Join(lines[len(lines)-h:], "\n")
	}
	return screen
}

// bodyHeight is the space between the header and the status line and
// footer (one line, or a few for a long flash).
func (m *Model) bodyHeight() int { return max(1, m.height-2-m.footerHeight()) }

func (m *Model) footerHeight() int {
	if m.filtering {
		return 1 + len(m.filterErrLines())
	}
	return max(1, len(m.flashLines()))
}

// filterErrLines is the filter's error, whole, wrapped above the filter
// input (at most maxFlashLines lines).
func (m *Model) filterErrLines() []string {
	if !m.filtering || m.filterErr == "" || m.width <= 0 {
		return nil
	}
	limit := max(1, min(maxFlashLines, m.height-4))
	lines := strings.Split(ansi.Wrap(glyphErr+" "+m.filterErr, m.width, " ,"), "\n")
	if len(lines) > limit {
		rest := strings.Join(lines[limit-1:], " ")
		lines = lines[:limit]
		lines[limit-1] = ansi.Truncate(rest, m.width, ellipsis)
	}
	return lines
}

type flashWrap struct {
	id, width, height int
	lines             []string
}

// flashLines is the flash wrapped to the width, at most maxFlashLines
// (fewer on a short terminal); the last line ends in "…" when cut. It is
// nil when no flash shows (the filter input has the footer).
func (m *Model) flashLines() []string {
	if _, ownsFooter := m.ov.(footerOverlay); m.fl.text == "" || m.filtering || ownsFooter || m.width <= 0 {
		return nil
	}
	c := &m.flashWrap
	if c.id == m.fl.id && c.width == m.width && c.height == m.height && c.lines != nil {
		return c.lines
	}
	limit := max(1, min(maxFlashLines, m.height-4))
	lines := strings.Split(ansi.Wrap(models.CleanText(m.fl.text), m.width, " -"), "\n")
	if len(lines) > limit {
		rest := strings.Join(lines[limit-1:], " ")
		lines = lines[:limit]
		lines[limit-1] = ansi.Truncate(rest, m.width, ellipsis)
	}
	*c = flashWrap{id: m.fl.id, width: m.width, height: m.height, lines: lines}
	return lines
}

// tableHeight is the number of data rows the table shows.
func (m *Model) tableHeight() int { return max(1, m.bodyHeight()-1) }

func (m *Model) renderHeader() string {
	st := m.st
	parts := []string{st.Header.Render("signdeck")}
	total := len(m.rows)
	if len(m.visible) == total {
		parts = append(parts, fmt.Sprintf("%s sessions", fmtCount(total)))
	} else {
		parts = append(parts, fmt.Sprintf("%s of %s sessions", fmtCount(len(m.visible)), fmtCount(total)))
	}
	dir := glyphAsc
	if m.sortDesc {
		dir = glyphDesc
	}
	parts = append(parts, "sort: "+m.sortCol.String()+" "+dir)
	if m.filterText != "" {
		parts = append(parts, "filter: "+st.Bold.Render(models.CleanText(m.filterText)))
	}
	used := ansi.StringWidth(strings.Join(parts, " │ ")) + 3
	if m.opts.Readonly {
		used += len(" READ-ONLY ") + 1
	}
	if bar := m.renderViewBar(m.width - used); bar != "" {
		parts = slices.Insert(parts, 1, bar)
	}
	line := strings.Join(parts, st.HeaderDim.Render(" │ "))
	if m.opts.Readonly {
		ro := st.ReadOnly.Render(" READ-ONLY ")
		gap := m.width - ansi.StringWidth(line) - ansi.StringWidth(ro)
		if gap > 0 {
			line += strings.Repeat(" ", gap) + ro
		} else {
			line += " " + ro
		}
	}
	return line
}

// renderStatus is the per-account health, budget, refresh time and marks.
func (m *Model) renderStatus() string {
	st := m.st
	if p := m.openOv(); p != nil && p.err != "" {
		return st.Err.Render(glyphErr + " " + p.err)
	}
	var parts []string
	for _, a := range m.accts {
		seg := a.label + " "
		switch {
		case a.Provider == nil && a.Err != nil:
			seg += st.Err.Render(glyphErr) + " " + cleanErr(a.Err)
		case a.Provider == nil:
			seg += st.Dim.Render(glyphNoToken + " no token — press " + m.keys.label(actAccounts) + " to log in")
		case !offers(a, m.curView):
			seg += st.Dim.Render("no " + viewLabel(m.curView) + " view")
		case a.loading:
			seg += m.spin() + " " + fmtCount(a.count)
		case a.err != nil:
			// The flash with the whole error clears itself; the status line
			// keeps its gist until the next load succeeds (accounts view:
			// the whole text).
			seg += fmtCount(a.count) + " " + st.Err.Render(glyphErr+" "+shortErr(a.err))
		case a.loaded:
			seg += fmtCount(a.count) + " " + st.OK.Render(glyphOK)
		default:
			seg += fmtCount(a.count)
		}
		if c := m.cacheSeg(a); c != "" {
			seg += " " + st.Dim.Render(c)
		}
		if a.Provider != nil {
			if b := a.Provider.Budget(); b.Known() {
				switch {
				case b.Waiting:
					seg += " " + st.Warn.Render(glyphWait+" until "+b.Reset.In(m.now().Location()).Format("15:04:05"))
				case b.Limit > 0 && b.Remaining >= 0:
					seg += fmt.Sprintf(" %d/%d", b.Remaining, b.Limit)
				case b.Remaining >= 0:
					seg += fmt.Sprintf(" %d left", b.Remaining)
				}
			}
			if a.Provider.Budget().BackgroundHeld {
				// Background sync yields to people's calls and its share.
				seg += " " + st.Warn.Render("sync paused for the budget")
			}
		}
		parts = append(parts, seg)
	}
	if !m.lastRefresh.IsZero() {
		parts = append(parts, "refreshed "+m.lastRefresh.In(m.now().Location()).Format("15:04:05"))
	}
	if n := len(m.marks); n > 0 {
		parts = append(parts, st.Mark.Render(fmt.Sprintf("%s %d marked", glyphMark, n)))
	}
	if n := m.inflightCount(); n > 0 {
		parts = append(parts, fmt.Sprintf("%s %d in flight", m.spin(), n))
	}
	if n := len(m.pending); n > 0 {
		parts = append(parts, fmt.Sprintf("%d awaiting cancel confirmation", n))
	}
	return strings.Join(parts, st.HeaderDim.Render(" · "))
}

func (m *Model) renderFooter() string {
	st := m.st
	if f, ok := m.ov.(footerOverlay); ok {
		return f.footer(m)
	}
	if m.filtering {
		var out []string
		for _, l := range m.filterErrLines() {
			out = append(out, st.Err.Render(l))
		}
		return strings.Join(append(out, m.filterInput.View()), "\n")
	}
	if lines := m.flashLines(); len(lines) > 0 {
		ls := st.Info
		switch m.fl.level {
		case flashOK:
			ls = st.OK
		case flashWarn:
			ls = st.Warn
		case flashErr:
			ls = st.Err
		}
		out := make([]string, len(lines))
		for i, l := range lines {
			out[i] = ls.Render(l)
		}
		return strings.Join(out, "\n")
	}
	if hint := m.modalHint(); hint != "" {
		return st.Dim.Render(hint)
	}
	var bs []key.Binding
	_, helpOpen := m.ov.(*helpOverlay)
	switch {
	case helpOpen:
		bs = []key.Binding{fixed("esc/?", "close help")}
	case m.screen == screenAccounts:
		bs = m.keys.accountsShort()
	default:
		bs = m.keys.short()
	}
	// The key hints change only with the width, the view and the styles:
	// rendered once, not every frame.
	var sig strings.Builder
	fmt.Fprintf(&sig, "%d\x00", m.width)
	for _, b := range bs {
		fmt.Fprintf(&sig, "%s\x00%s\x00%v\x00", b.Help().Key, b.Help().Desc, b.Enabled())
	}
	if c := &m.hintCache; c.sig == sig.String() && c.out != "" {
		return c.out
	}
	hm := help.New()
	hm.Styles.ShortKey = st.Key
	hm.Styles.ShortDesc = st.Desc
	hm.Styles.ShortSeparator = st.Dim
	hm.Styles.Ellipsis = st.Dim
	// Help and quit are always shown: the other hints give way first.
	pinned := m.keys.hints(actHelp, actQuit)
	if helpOpen {
		pinned = m.keys.hints(actQuit)
	}
	var rest []key.Binding
	for _, b := range bs {
		if !slices.ContainsFunc(pinned, func(p key.Binding) bool { return p.Help() == b.Help() }) {
			rest = append(rest, b)
		}
	}
	hm.SetWidth(0)
	tail := hm.ShortHelpView(pinned)
	sep := st.Dim.Render(" • ")
	hm.SetWidth(max(0, m.width-ansi.StringWidth(tail)-ansi.StringWidth(sep)))
	out := tail
	if head := hm.ShortHelpView(rest); head != "" {
		out = head + sep + tail
	}
	if ansi.StringWidth(out) > m.width {
		out = ansi.Truncate(out, m.width, "…")
	}
	m.hintCache = hintCache{sig: sig.String(), out: out}
	return out
}

// hintCache is the footer's rendered key hints and what they were
// rendered from.
type hintCache struct{ sig, out string }

// modalHint is the footer while an overlay has the keyboard ("": the
// key hints).
func (m *Model) modalHint() string {
	if m.ov == nil {
		return ""
	}
	return m.ov.hint(m)
}

// column is one table column laid out for the current width.
type column struct {
	title string
	width int
	sort  sortCol
	cell  func(m *Model, r *row) string
}

const gutterW = 2 // cursor glyph and mark glyph

// columns fits the columns to width: low-value columns are dropped first
// (id, expires, created, signers), then account and status shrink; the
// title takes the rest.
func (m *Model) columns(width int) []column {
	// The account column starts at up to 16 cells and grows to fit the
	// longest label (up to 28) when the title keeps titleRoomy cells.
	acctPref := len("ACCOUNT")
	for _, a := range m.accts {
		acctPref = max(acctPref, ansi.StringWidth(a.label))
	}
	acctPref = min(acctPref, 28)
	acctW := min(acctPref, 16)
	type spec struct {
		column
		drop int // drop order: lower goes first; 0 never
	}
	specs := []spec{
		{column{"ACCOUNT", acctW, sortAccount, func(m *Model, r *row) string { return r.acct }}, 0},
		{column{"TITLE", 0, sortTitle, func(m *Model, r *row) string { return r.title }}, 0},
		{column{"STATUS", 18, sortStatus, func(m *Model, r *row) string { return statusText(r.s.Status) }}, 0},
		{column{"SIGNERS", 12, sortSigners, func(m *Model, r *row) string {
			if r.total < 0 {
				return "–"
			}
			return strconv.Itoa(int(r.signed)) + "/" + strconv.Itoa(int(r.total)) + " signed"
		}}, 4},
		{column{"CREATED", 12, sortCreated, func(m *Model, r *row) string {
			if m.relTimes {
				return fmtAge(r.s.CreatedAt, m.now())
			}
			return fmtCreated(r.s.CreatedAt, m.now())
		}}, 3},
		{column{"EXPIRES", 10, sortExpires, func(m *Model, r *row) string {
			if m.relTimes {
				return fmtAge(r.s.ExpiresAt, m.now())
			}
			return fmtDate(r.s.ExpiresAt, m.now())
		}}, 2},
		{column{"ID", 14, sortID, func(m *Model, r *row) string { return r.id }}, 1},
	}
	const titleMin, titleRoomy, titleWide, idPref = 16, 40, 60, 40
	need := func() int {
		n := gutterW + titleMin
		for _, s := range specs {
			if s.title != "TITLE" {
				n += s.width + 1
			}
		}
		return n
	}
	for d := 1; d <= 4 && need() > width; d++ {
		for i, s := range specs {
			if s.drop == d {
				specs = append(specs[:i], specs[i+1:]...)
				break
			}
		}
	}
	if over := need() - width; over > 0 {
		for i := range specs {
			switch specs[i].title {
			case "ACCOUNT":
				cut := min(over, specs[i].width-6)
				specs[i].width -= cut
				over -= cut
			}
		}
		for i := range specs {
			if specs[i].title == "STATUS" && over > 0 {
				cut := min(over, specs[i].width-10)
				specs[i].width -= cut
				over -= cut
			}
		}
	}
	out := make([]column, len(specs))
	rest := width - gutterW
	for i, s := range specs {
		out[i] = s.column
		if s.title != "TITLE" {
			rest -= s.width + 1
		}
	}
	// Spare width goes to the account column, then to the id (Dropbox Sign
	// ids are 40 characters), before the title takes the rest.
	for i := range out {
		pref, keep := 0, 0
		switch out[i].title {
		case "ACCOUNT":
			pref, keep = acctPref, titleRoomy
		case "ID":
			pref, keep = idPref, titleWide
		}
		if grow := min(pref-out[i].width, rest-keep); grow > 0 {
			out[i].width += grow
			rest -= grow
		}
	}
	for i := range out {
		if out[i].title == "TITLE" {
			out[i].width = max(4, rest)
		}
	}
	return out
}

// renderTable draws the column header and only the visible window of rows.
func (m *Model) renderTable(width, height int) string {
	st := m.st
	cols := m.columns(width)
	var b strings.Builder
	b.Grow((width + 64) * max(1, height)) // one allocation for the table
	hdr := strings.Repeat(" ", gutterW)
	for i, c := range cols {
		t := c.title
		if c.sort == m.sortCol {
			if m.sortDesc {
				t += " " + glyphDesc
			} else {
				t += " " + glyphAsc
			}
		}
		if i > 0 {
			hdr += " "
		}
		hdr += pad(t, c.width)
	}
	b.WriteString(st.ColHeader.Render(fitLine(hdr, width)))
	rowsH := height - 1
	if len(m.visible) == 0 {
		msg := "No sessions."
		switch {
		case len(m.rows) > 0 && m.lens.id != "" && m.query.empty():
			msg = "No " + viewLabel(m.lens.id) + " sessions (" + m.lensDesc(m.lens.id) + ")."
		case len(m.rows) > 0:
			msg = "No session matches the filter. Press esc to clear it."
		case m.anyLoading():
			msg = m.spin() + " Loading sessions…"
		case !m.anyProvider():
			msg = "No account has a token. Press " + m.keys.label(actAccounts) + " to open accounts and log in."
		case m.curView != "":
			msg = "No " + viewLabel(m.curView) + " sessions."
			if miss := m.lacking(m.curView); len(miss) > 0 {
				msg += " No " + viewLabel(m.curView) + " view in " + strings.Join(miss, ", ") + "."
			}
		}
		if rowsH > 0 {
			b.WriteString("\n")
			b.WriteString(fitBlock("  "+msg, width, rowsH))
		}
		return b.String()
	}
	end := min(len(m.visible), m.offset+rowsH)
	// The cells of a row fill the width exactly unless the terminal is too
	// narrow for the title's minimum; only then is the line cut to fit.
	lineW := gutterW + len(cols) - 1
	for _, c := range cols {
		lineW += c.width
	}
	n := 0
	var line strings.Builder
	for p := m.offset; p < end; p++ {
		r := m.rows[m.visible[p]]
		isCur := p == m.cursor
		_, marked := m.marks[r.s.Ref]
		line.Reset()
		line.Grow(width + 32)
		if isCur {
			line.WriteString(glyphCursor)
		} else {
			line.WriteString(" ")
		}
		if marked {
			if isCur {
				line.WriteString(glyphMark)
			} else {
				line.WriteString(st.Mark.Render(glyphMark))
			}
		} else {
			line.WriteString(" ")
		}
		for i, c := range cols {
			if i > 0 {
				line.WriteByte(' ')
			}
			if c.sort == sortStatus {
				line.WriteString(m.statusCell(r.s.Status, c.width, !isCur))
				continue
			}
			writePadded(&line, c.cell(m, r), c.width)
		}
		s := line.String()
		if lineW != width {
			s = fitLine(s, width)
		}
		if isCur {
			s = st.Cursor.Render(ansi.Strip(s))
		}
		b.WriteString("\n")
		b.WriteString(s)
		n++
	}
	for ; n < rowsH; n++ {
		b.WriteString("\n")
		b.WriteString(strings.Repeat(" ", width))
	}
	return b.String()
}

func (m *Model) anyLoading() bool {
	for _, a := range m.accts {
		if a.loading {
			return true
		}
	}
	return false
}

func (m *Model) anyProvider() bool {
	for _, a := range m.accts {
		if a.Provider != nil {
			return true
		}
	}
	return false
}

// renderMain draws the table, with the detail pane beside it on wide
// terminals or instead of it on narrow ones.
func (m *Model) renderMain(w, h int) string {
	if !m.detailOpen {
		return m.renderTable(w, h)
	}
	if w < splitMinWidth {
		title := m.st.Title.Render("Detail") + m.st.Dim.Render("  esc/"+m.keys.label(actDetail)+" close · "+
			m.keys.label(actUp)+" "+m.keys.label(actDown)+" previous/next · "+m.keys.label(actScrollDown)+" "+m.keys.label(actScrollUp)+" scroll")
		if h <= 1 {
			return fitLine(title, w)
		}
		return fitLine(title, w) + "\n" + m.renderDetail(w, h-1)
	}
	tw := w * 55 / 100
	dw := w - tw
	left := strings.Split(m.renderTable(tw, h), "\n")
	right := strings.Split(m.renderDetail(dw-2, h), "\n")
	var b strings.Builder
	for i := 0; i < h; i++ {
		if i > 0 {
			b.WriteString("\n")
		}
		l, r := "", ""
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		b.WriteString(fitLine(l, tw))
		b.WriteString(m.st.Dim.Render("│") + " ")
		b.WriteString(fitLine(r, dw-2))
	}
	return b.String()
}

// Formatting helpers.

func fmtCreated(t, now time.Time) string {
	if t.IsZero() {
		return "–"
	}
	t = t.In(now.Location())
	if t.Year() == now.Year() {
		return t.Format("Jan 02 15:04")
	}
	return t.Format("2006-01-02")
}

// fmtAge is a k9s-style age: "45s", "12m", "5h", "3d", "7w" ago, or "in
// 3d" for a time ahead.
func fmtAge(t, now time.Time) string {
	if t.IsZero() {
		return "–"
	}
	d := now.Sub(t)
	ahead := d < 0
	if ahead {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		s = fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		s = fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		s = fmt.Sprintf("%dh", int(d.Hours()))
	case d < 60*24*time.Hour:
		s = fmt.Sprintf("%dd", int(d.Hours()/24))
	default:
		s = fmt.Sprintf("%dw", int(d.Hours()/24/7))
	}
	if ahead {
		return "in " + s
	}
	return s
}

func fmtDate(t, now time.Time) string {
	if t.IsZero() {
		return "–"
	}
	t = t.In(now.Location())
	if t.Year() == now.Year() {
		return t.Format("Jan 02")
	}
	return t.Format("2006-01-02")
}

func fmtTimeLong(t, now time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.In(now.Location()).Format("2006-01-02 15:04")
}

func fmtTimeShort(t, now time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.In(now.Location()).Format("01-02 15:04")
}

// statusKey is a status cell of a width, styled or plain.
type statusKey struct {
	st     models.Status
	width  int
	styled bool
}

// statusCell is a status padded to the width and, when styled, coloured:
// a handful of distinct cells per screen, rendered once and kept until the
// styles change (setStyles), instead of once per row and frame.
func (m *Model) statusCell(st models.Status, w int, styled bool) string {
	k := statusKey{st, w, styled}
	if c, ok := m.statusCells[k]; ok {
		return c
	}
	c := pad(statusText(st), w)
	if styled {
		c = m.st.forStatus(st).Render(c)
	}
	if m.statusCells == nil || len(m.statusCells) > 256 {
		m.statusCells = map[statusKey]string{}
	}
	m.statusCells[k] = c
	return c
}

// plainASCII reports whether s is printable ASCII: one cell a byte.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// writePadded writes pad(s, w) to b; printable ASCII, the common case,
// skips the width measurement and allocates nothing.
func writePadded(b *strings.Builder, s string, w int) {
	if w <= 0 {
		return
	}
	if !plainASCII(s) {
		b.WriteString(pad(s, w))
		return
	}
	if len(s) > w {
		b.WriteString(s[:w-1])
		b.WriteString(ellipsis)
		return
	}
	b.WriteString(s)
	for range w - len(s) {
		b.WriteByte(' ')
	}
}

// pad truncates s to w cells (with "…") and pads it with spaces. It
// measures display width, so wide runes count double.
func pad(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, ellipsis)
	}
	if n := w - ansi.StringWidth(s); n > 0 {
		s += strings.Repeat(" ", n)
	}
	return s
}

// fitLine makes a (possibly styled) line exactly w cells wide.
func fitLine(s string, w int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, ellipsis)
	}
	return s + strings.Repeat(" ", w-sw)
}

// fitBlock makes text exactly h lines of w cells.
func fitBlock(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		lines[i] = fitLine(l, w)
	}
	return strings.Join(lines, "\n")
}

// drawOver draws fg centred on top of bg.
func drawOver(bg, fg string, w, h int) string {
	bl := strings.Split(bg, "\n")
	for len(bl) < h {
		bl = append(bl, strings.Repeat(" ", w))
	}
	fl := strings.Split(fg, "\n")
	fw := 0
	for _, l := range fl {
		fw = max(fw, ansi.StringWidth(l))
	}
	fw = min(fw, w)
	if len(fl) > h {
		fl = fl[:h]
	}
	x := max(0, (w-fw)/2)
	y := max(0, (h-len(fl))/2)
	for i, l := range fl {
		row := bl[y+i]
		left := ansi.Truncate(row, x, "")
		if lw := ansi.StringWidth(left); lw < x {
			left += strings.Repeat(" ", x-lw)
		}
		right := ansi.TruncateLeft(row, x+fw, "")
		bl[y+i] = left + "\x1b[m" + fitLine(l, fw) + "\x1b[m" + right
	}
	return strings.Join(bl, "\n")
}
