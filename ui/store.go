package ui

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/signdeck/signdeck/models"
)

// row is one session in the table. Display and search text is computed
// once when the row is inserted or updated, never per frame or keypress.
type row struct {
	s       models.Session
	ai      int    // index of the account in Model.accts
	title   string // cleaned title for display
	id      string // cleaned id for display
	acct    string // "dbx:acme"
	created int64  // unix nanos, 0 when absent
	expires int64

	text, lower           string // searchable text (title, id, account, provider, status, signers)
	signers, signersLower string // signer names and emails
	titleLower            string
	signed, total         int // signer progress; total -1 when unknown (lite row)

	refKey string // account NUL id: the sort tiebreak

	seenGen uint64 // listing generation that last saw the row
	// statusStamp is Model.stamp when an action (a cancel's result, its
	// confirmation) last set the status; 0 when only listings did.
	statusStamp uint64
}

func newRow(s models.Session, ai int) *row {
	r := &row{ai: ai}
	r.set(s)
	return r
}

// set replaces the session and recomputes the derived text.
func (r *row) set(s models.Session) {
	r.s = s
	r.title = models.CleanText(s.Title)
	if r.title == "" {
		r.title = "(untitled)"
	}
	r.id = models.CleanText(s.Ref.ID)
	r.refKey = s.Ref.Account + "\x00" + s.Ref.ID
	r.acct = s.Provider.Short() + ":" + models.CleanText(s.Ref.Account)
	r.created, r.expires = unixNano(s.CreatedAt), unixNano(s.ExpiresAt)
	var sb strings.Builder
	for _, g := range s.Signers {
		sb.WriteString(models.CleanText(g.DisplayName()))
		sb.WriteByte(' ')
		sb.WriteString(models.CleanText(g.Email))
		sb.WriteByte(' ')
	}
	r.signers = sb.String()
	r.signersLower = strings.ToLower(r.signers)
	r.text = strings.Join([]string{r.title, r.id, s.Ref.Account, string(s.Provider), s.Provider.Label(),
		r.acct, s.Status.Label(), string(s.Status), r.signers}, " ")
	r.lower = strings.ToLower(r.text)
	r.titleLower = strings.ToLower(r.title)
	if !s.Complete && len(s.Signers) == 0 {
		r.signed, r.total = 0, -1
	} else {
		r.signed, r.total = s.SignedCount()
	}
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// sortCol is a sortable column.
type sortCol int

const (
	sortCreated sortCol = iota
	sortExpires
	sortTitle
	sortStatus
	sortSigners
	sortAccount
	sortID
	numSortCols
)

func (c sortCol) String() string {
	return [...]string{"created", "expires", "title", "status", "signers", "account", "id"}[c]
}

// defaultDesc is the direction a column starts in: dates newest first.
func (c sortCol) defaultDesc() bool { return c == sortCreated || c == sortExpires }

var statusRank = func() map[models.Status]int {
	m := map[models.Status]int{}
	for i, s := range models.AllStatuses {
		m[s] = i + 1
	}
	return m
}()

// compareRows is the reference order (sortIndices computes the same order
// faster; a test holds them equal). It orders two rows by the column; absent values sort last in
// both directions; the ref breaks ties so the order is total and stable.
func compareRows(a, b *row, col sortCol, desc bool) int {
	var c int
	absent := func(x, y int64) (int, bool) {
		switch {
		case x == 0 && y == 0:
			return 0, true
		case x == 0:
			return 1, true
		case y == 0:
			return -1, true
		}
		return 0, false
	}
	switch col {
	case sortCreated, sortExpires:
		x, y := a.created, b.created
		if col == sortExpires {
			x, y = a.expires, b.expires
		}
		if v, ok := absent(x, y); ok {
			if v != 0 {
				return v
			}
		} else {
			c = cmp.Compare(x, y)
		}
	case sortTitle:
		c = strings.Compare(a.titleLower, b.titleLower)
	case sortStatus:
		c = cmp.Compare(statusRank[a.s.Status], statusRank[b.s.Status])
	case sortSigners:
		// Fraction signed, then total; unknown (lite) rows last.
		if a.total < 0 || b.total < 0 {
			if a.total < 0 && b.total >= 0 {
				return 1
			}
			if b.total < 0 && a.total >= 0 {
				return -1
			}
		} else {
			c = cmp.Compare(a.signed*b.total, b.signed*a.total)
			if c == 0 {
				c = cmp.Compare(a.total, b.total)
			}
		}
	case sortAccount:
		c = strings.Compare(a.acct, b.acct)
	case sortID:
		c = strings.Compare(a.s.Ref.ID, b.s.Ref.ID)
	}
	if desc {
		c = -c
	}
	if c != 0 {
		return c
	}
	if c = strings.Compare(a.s.Ref.Account, b.s.Ref.Account); c != 0 {
		return c
	}
	return strings.Compare(a.s.Ref.ID, b.s.Ref.ID)
}

// upsert inserts or replaces a session and returns its row index. A lite
// session does not erase signers already known for the row.
func (m *Model) upsert(s models.Session, ai int, gen uint64) int {
	if i, ok := m.byRef[s.Ref]; ok {
		r := m.rows[i]
		if !s.Complete && len(s.Signers) == 0 && len(r.s.Signers) > 0 {
			s.Signers = r.s.Signers
		}
		if _, pending := m.pending[s.Ref]; pending && !s.Status.Final() {
			s.Status = models.StatusCancelPending
		}
		r.set(s)
		if gen != 0 {
			r.seenGen = gen
		}
		return i
	}
	r := newRow(s, ai)
	r.seenGen = gen
	m.rows = append(m.rows, r)
	m.byRef[s.Ref] = len(m.rows) - 1
	return len(m.rows) - 1
}

// keepActionStatus keeps the final status an action gave row i when s
// comes from a request that started before (stamp since): a listing page
// or detail fetched before a cancel must not undo it. Requests started
// later are believed.
func (m *Model) keepActionStatus(i int, s *models.Session, since uint64) {
	r := m.rows[i]
	if r.statusStamp > since && r.s.Status.Final() && s.Status != r.s.Status {
		s.Status = r.s.Status
	}
}

// removeRows drops the rows for which drop returns true and the marks and
// details that pointed at them.
func (m *Model) removeRows(drop func(r *row) bool) int {
	n := 0
	kept := m.rows[:0]
	for _, r := range m.rows {
		if drop(r) {
			delete(m.byRef, r.s.Ref)
			delete(m.marks, r.s.Ref)
			delete(m.details, r.s.Ref)
			n++
			continue
		}
		kept = append(kept, r)
	}
	clear(m.rows[len(kept):])
	m.rows = kept
	if n > 0 {
		for i, r := range m.rows {
			m.byRef[r.s.Ref] = i
		}
	}
	return n
}

// rebuild recomputes the visible index slice from the filter and sort:
// O(n) filtering and O(k log k) sorting of index ints; sessions are never
// copied. The cursor stays on the same session when it is still visible.
func (m *Model) rebuild() {
	for _, a := range m.accts {
		a.count = 0
	}
	vis := m.visible[:0]
	for i, r := range m.rows {
		if r.ai >= 0 && r.ai < len(m.accts) {
			m.accts[r.ai].count++
		}
		if m.query.empty() || m.query.match(r) {
			vis = append(vis, i)
		}
	}
	m.sortBuf = sortIndices(vis, m.rows, m.sortCol, m.sortDesc, m.sortBuf)
	m.tableData.orderGen = m.orderGen
	m.visible = vis
	if cap(m.pos) < len(m.rows) {
		m.pos = make([]int32, len(m.rows), cap(m.rows))
	}
	m.pos = m.pos[:len(m.rows)]
	for i := range m.pos {
		m.pos[i] = -1
	}
	for p, i := range vis {
		m.pos[i] = int32(p)
	}
	m.restoreCursor()
}

// restoreCursor puts the cursor back after the visible rows changed: on
// the first row until the user has chosen one, then on its session while
// that session is visible.
func (m *Model) restoreCursor() {
	switch {
	case !m.cursorChosen:
		m.cursor = 0
	case m.hasCursorRef:
		if i, ok := m.byRef[m.cursorRef]; ok && i < len(m.pos) && m.pos[i] >= 0 {
			m.cursor = int(m.pos[i])
		}
	}
	m.clampCursor()
}

// insertVisible adds rows just appended to m.rows (indices in added) to
// the visible index without re-sorting it: the new rows that pass the
// filter are sorted (k log k) and merged into the sorted visible rows
// (n). A page streaming into a large table costs a linear merge instead of
// a full rebuild, so the event loop stays free for key presses. The merge
// walks m.sortBuf, the compact keys of the visible rows in order (rebuild
// leaves them there), never the rows themselves.
func (m *Model) insertVisible(added []int) {
	if len(added) == 0 {
		return
	}
	if len(m.sortBuf) != len(m.visible) {
		m.rebuild()
		return
	}
	for _, i := range added {
		if r := m.rows[i]; r.ai >= 0 && r.ai < len(m.accts) {
			m.accts[r.ai].count++
		}
	}
	for len(m.pos) < len(m.rows) {
		m.pos = append(m.pos, -1)
	}
	cand := m.mergeIdx[:0]
	for _, i := range added {
		if m.query.empty() || m.query.match(m.rows[i]) {
			cand = append(cand, i)
		}
	}
	m.mergeIdx = cand
	if len(cand) == 0 {
		return
	}
	desc := m.sortDesc
	add := sortIndices(cand, m.rows, m.sortCol, desc, m.mergeKeys)
	m.mergeKeys = add
	old := m.sortBuf
	// The rows before the first new one keep their places.
	from := sort.Search(len(old), func(p int) bool { return cmpSortItems(old[p], add[0], desc) > 0 })
	keys := m.spareKeys[:0]
	if need := len(old) + len(add); cap(keys) < need {
		keys = make([]sortItem, 0, need+need/4)
	}
	keys = append(keys, old[:from]...)
	p, j := from, 0
	for p < len(old) && j < len(add) {
		if cmpSortItems(old[p], add[j], desc) <= 0 {
			keys = append(keys, old[p])
			p++
		} else {
			keys = append(keys, add[j])
			j++
		}
	}
	keys = append(keys, old[p:]...)
	keys = append(keys, add[j:]...)
	m.spareKeys, m.sortBuf = old[:0], keys
	vis := m.visible
	if cap(vis) < len(keys) {
		vis = slices.Grow(vis, len(keys)-len(vis)+len(keys)/4)
	}
	vis = vis[:len(keys)]
	for q := from; q < len(keys); q++ {
		vis[q] = keys[q].idx
		m.pos[vis[q]] = int32(q)
	}
	m.visible = vis
	m.restoreCursor()
}

// reposition puts row i back in its place after an in-place update
// changed its sort key or whether it passes the filter (a cancel result, a
// loaded detail): a binary search and two memmoves instead of a rebuild,
// so a bulk cancel over a filtered 100k-row table does not re-sort the
// table once per result.
// It reports false when it had to rebuild the view instead.
func (m *Model) reposition(i int) bool {
	if len(m.sortBuf) != len(m.visible) || i < 0 || i >= len(m.rows) || i >= len(m.pos) {
		m.rebuild()
		return false
	}
	r := m.rows[i]
	p := int(m.pos[i])
	if p >= 0 {
		m.visible = slices.Delete(m.visible, p, p+1)
		m.sortBuf = slices.Delete(m.sortBuf, p, p+1)
		m.pos[i] = -1
	}
	q := -1
	if m.query.empty() || m.query.match(r) {
		k := sortKeyOf(r, i, m.sortCol, m.sortDesc)
		buf, desc := m.sortBuf, m.sortDesc
		q = sort.Search(len(buf), func(x int) bool { return cmpSortItems(buf[x], k, desc) > 0 })
		m.visible = slices.Insert(m.visible, q, i)
		m.sortBuf = slices.Insert(m.sortBuf, q, k)
	}
	var lo, hi int // positions that changed
	switch {
	case p >= 0 && q >= 0:
		lo, hi = min(p, q), max(p, q)+1
	case p >= 0:
		lo, hi = p, len(m.visible)
	case q >= 0:
		lo, hi = q, len(m.visible)
	default:
		return true
	}
	for x := lo; x < hi; x++ {
		m.pos[m.visible[x]] = int32(x)
	}
	m.restoreCursor()
	return true
}

// clampCursor keeps the cursor inside the visible rows and remembers its
// session.
func (m *Model) clampCursor() {
	if m.cursor >= len(m.visible) {
		m.cursor = len(m.visible) - 1
	}
	if m.cursor < 0 {
		m.cursor = 0
	}
	if len(m.visible) == 0 {
		m.hasCursorRef = false
		return
	}
	m.cursorRef = m.rows[m.visible[m.cursor]].s.Ref
	m.hasCursorRef = true
	h := m.tableHeight()
	if m.offset > m.cursor {
		m.offset = m.cursor
	}
	if h > 0 && m.cursor >= m.offset+h {
		m.offset = m.cursor - h + 1
	}
	if maxOff := len(m.visible) - h; maxOff >= 0 && m.offset > maxOff {
		m.offset = maxOff
	}
	if m.offset < 0 {
		m.offset = 0
	}
}

// current returns the row under the cursor.
func (m *Model) current() *row {
	if m.cursor < 0 || m.cursor >= len(m.visible) {
		return nil
	}
	return m.rows[m.visible[m.cursor]]
}

// rowByRef returns the row of a session, or nil.
func (m *Model) rowByRef(ref models.Ref) *row {
	if i, ok := m.byRef[ref]; ok {
		return m.rows[i]
	}
	return nil
}

// isVisible reports whether the session passes the current filter.
func (m *Model) isVisible(ref models.Ref) bool {
	i, ok := m.byRef[ref]
	return ok && i < len(m.pos) && m.pos[i] >= 0
}

// selectRef moves the cursor to the session when it is visible.
func (m *Model) selectRef(ref models.Ref) bool {
	i, ok := m.byRef[ref]
	if !ok || i >= len(m.pos) || m.pos[i] < 0 {
		return false
	}
	m.cursor = int(m.pos[i])
	m.cursorChosen = true
	m.clampCursor()
	return true
}

// sortItem is a compact sort key: sorting these contiguous structs avoids
// chasing row pointers in every comparison.
type sortItem struct {
	k   int64  // numeric key, already oriented (absent values last)
	s   string // string key (title, account, id)
	ref string // tiebreak, always ascending
	idx int
}

// sortIndices sorts vis (row indices) by the column: the same order as
// compareRows, computed from keys extracted once per sort.
func sortIndices(vis []int, rows []*row, col sortCol, desc bool, buf []sortItem) []sortItem {
	buf = buf[:0]
	for _, i := range vis {
		buf = append(buf, sortKeyOf(rows[i], i, col, desc))
	}
	slices.SortFunc(buf, func(a, b sortItem) int { return cmpSortItems(a, b, desc) })
	for i := range buf {
		vis[i] = buf[i].idx
	}
	return buf
}

// sortKeyOf is the compact sort key of row r (at index idx) for the column.
func sortKeyOf(r *row, idx int, col sortCol, desc bool) sortItem {
	sign := int64(1)
	if desc {
		sign = -1
	}
	it := sortItem{ref: r.refKey, idx: idx}
	switch col {
	case sortCreated, sortExpires:
		v := r.created
		if col == sortExpires {
			v = r.expires
		}
		if v == 0 {
			it.k = math.MaxInt64
		} else {
			it.k = sign * v
		}
	case sortStatus:
		it.k = sign * int64(statusRank[r.s.Status])
	case sortSigners:
		if r.total < 0 {
			it.k = math.MaxInt64
		} else if r.total == 0 {
			it.k = 0
		} else {
			it.k = sign * (int64(r.signed)*1_000_000/int64(r.total)*1000 + int64(r.total))
		}
	case sortTitle:
		it.s = r.titleLower
	case sortAccount:
		it.s = r.acct
	case sortID:
		it.s = r.s.Ref.ID
	}
	return it
}

// cmpSortItems orders two sort keys; the ref breaks ties.
func cmpSortItems(a, b sortItem, desc bool) int {
	if a.k != b.k {
		if a.k < b.k {
			return -1
		}
		return 1
	}
	if a.s != b.s {
		c := strings.Compare(a.s, b.s)
		if desc {
			c = -c
		}
		return c
	}
	return strings.Compare(a.ref, b.ref)
}
