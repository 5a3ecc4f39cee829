package ui

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"
	"unique"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
)

// row is one session in the table. It is kept compact for 100,000-row
// tables: the strings that repeat across sessions (account, provider,
// status, signer names and emails) are interned, the search text is two
// strings (one of them shared by every row with the same signers), and no
// rendered cell is stored; cells are drawn for the rows on screen only.
type row struct {
	s     models.Session // strings interned (internSession)
	ai    int            // index of the account in Model.accts
	title string         // cleaned title for display (the title itself when clean)
	id    string         // cleaned id for display (the id itself when clean)
	acct  string         // "dbx:acme", interned

	// low is the lowercased title, NUL, the lowercased id: what plain
	// filter terms search besides the signers and the few fixed labels;
	// low[:titleN] is the title's sort key.
	low    string
	titleN int32
	st     int8 // statusRank of the status, 0 when unknown
	// sig and sigLow are the signers' names and emails ("name email "
	// each), interned: rows with the same signers share them.
	sig, sigLow string

	signed, total int32 // signer progress; total -1 when unknown (lite row)

	created int64 // unix nanos, 0 when absent
	expires int64
	// activity is the last signer activity (models.Session.LastActivity),
	// unix nanos, 0 when unknown: the stalled view's test and order.
	activity int64

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

// intern returns the canonical copy of s: equal strings share one
// allocation while any row holds them (unique drops the rest).
func intern(s string) string {
	if s == "" {
		return ""
	}
	return unique.Make(s).Value()
}

// internSession interns the session's repeated strings. The signers are
// copied, never changed in place: the slice may be shared with the caller.
func internSession(s *models.Session) {
	s.Ref.Account = intern(s.Ref.Account)
	s.Provider = models.ProviderKind(intern(string(s.Provider)))
	s.Status = models.Status(intern(string(s.Status)))
	s.RawStatus = intern(s.RawStatus)
	s.Requester = intern(s.Requester)
	if len(s.Signers) > 0 {
		gs := make([]models.Signer, len(s.Signers))
		for i, g := range s.Signers {
			g.Name, g.FirstName, g.LastName = intern(g.Name), intern(g.FirstName), intern(g.LastName)
			g.Email, g.Role, g.RawStatus = intern(g.Email), intern(g.Role), intern(g.RawStatus)
			g.Status = models.SignerStatus(intern(string(g.Status)))
			gs[i] = g
		}
		s.Signers = gs
	}
}

// set replaces the session and recomputes the derived fields.
func (r *row) set(s models.Session) {
	rowSetGen.Add(1)
	internSession(&s)
	r.s = s
	r.title = models.CleanText(s.Title)
	if r.title == "" {
		r.title = "(untitled)"
	}
	r.id = models.CleanText(s.Ref.ID)
	r.acct = intern(s.Provider.Short() + ":" + models.CleanText(s.Ref.Account))
	r.created, r.expires = unixNano(s.CreatedAt), unixNano(s.ExpiresAt)
	r.activity = unixNano(s.LastActivity())
	tl := lowerASCII(r.title)
	r.low = tl + "\x00" + lowerASCII(r.id)
	r.titleN = int32(len(tl))
	r.st = int8(statusRank[s.Status])
	if len(s.Signers) == 0 {
		r.sig, r.sigLow = "", ""
	} else {
		var sb strings.Builder
		for _, g := range s.Signers {
			sb.WriteString(models.CleanText(g.DisplayName()))
			sb.WriteByte(' ')
			sb.WriteString(models.CleanText(g.Email))
			sb.WriteByte(' ')
		}
		r.sig = intern(sb.String())
		r.sigLow = intern(strings.ToLower(r.sig))
	}
	if !s.Complete && len(s.Signers) == 0 {
		r.signed, r.total = 0, -1
	} else {
		signed, total := s.SignedCount()
		r.signed, r.total = int32(signed), int32(total)
	}
}

// titleLower is the title's sort key.
func (r *row) titleLower() string { return r.low[:r.titleN] }

// lowerASCII is strings.ToLower; for ASCII it allocates only when a
// letter changes.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return strings.ToLower(s)
		}
		if 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 0x80 {
					return strings.ToLower(s)
				} else if 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
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

// sortActivity orders by the last signer activity: the stalled view's
// own order, not in the sort key's cycle.
const sortActivity = numSortCols

func (c sortCol) String() string {
	return [...]string{"created", "expires", "title", "status", "signers", "account", "id", "activity"}[c]
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
	case sortCreated, sortExpires, sortActivity:
		x, y := a.created, b.created
		if col == sortExpires {
			x, y = a.expires, b.expires
		} else if col == sortActivity {
			x, y = a.activity, b.activity
		}
		if v, ok := absent(x, y); ok {
			if v != 0 {
				return v
			}
		} else {
			c = cmp.Compare(x, y)
		}
	case sortTitle:
		c = strings.Compare(a.titleLower(), b.titleLower())
	case sortStatus:
		c = cmp.Compare(a.st, b.st)
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
		if merged, kept := app.MergeLite(r.s, s); kept {
			s = merged // an unchanged lite row keeps the detail (signers, expiry)
		} else if !s.Complete && len(s.Signers) == 0 && len(r.s.Signers) > 0 {
			s.Signers = r.s.Signers
		}
		if _, pending := m.pending[s.Ref]; pending && !s.Status.Final() {
			s.Status = models.StatusCancelPending
		}
		k0 := placeKeyOf(r)
		r.set(s)
		if gen != 0 {
			r.seenGen = gen
		}
		if i < len(m.order) && placeKeyOf(r) != k0 {
			// It may have moved or passed or failed the filter: the next
			// placeRows or rebuild places it again.
			m.dirty = append(m.dirty, i)
		}
		return i
	}
	r := newRow(s, ai)
	r.seenGen = gen
	m.rows = append(m.rows, r)
	m.byRef[s.Ref] = len(m.rows) - 1
	if ai >= 0 && ai < len(m.accts) {
		m.accts[ai].count++
	}
	return len(m.rows) - 1
}

// placeKey is what decides a row's place in any sort order and whether
// it passes any filter.
type placeKey struct {
	low, title, id, sig, acct string
	status                    models.Status
	provider                  models.ProviderKind
	created, expires, act     int64
	signed, total             int32
}

func placeKeyOf(r *row) placeKey {
	return placeKey{r.low, r.title, r.id, r.sig, r.s.Ref.Account, r.s.Status, r.s.Provider,
		r.created, r.expires, r.activity, r.signed, r.total}
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
// details that pointed at them. The order and the visible rows keep their
// sequence (indices renumbered), so nothing is re-sorted or re-filtered.
func (m *Model) removeRows(drop func(r *row) bool) int {
	n := 0
	remap := m.remap[:0]
	kept := m.rows[:0]
	for _, r := range m.rows {
		if drop(r) {
			if r.ai >= 0 && r.ai < len(m.accts) {
				m.accts[r.ai].count--
			}
			delete(m.byRef, r.s.Ref)
			delete(m.marks, r.s.Ref)
			delete(m.details, r.s.Ref)
			n++
			remap = append(remap, -1)
			continue
		}
		remap = append(remap, int32(len(kept)))
		kept = append(kept, r)
	}
	clear(m.rows[len(kept):])
	m.rows = kept
	m.remap = remap[:0]
	if n == 0 {
		return 0
	}
	m.placeGen++
	m.removedGen++
	for i, r := range m.rows {
		m.byRef[r.s.Ref] = i
	}
	order := m.order[:0]
	for _, i := range m.order {
		if int(i) < len(remap) && remap[i] >= 0 {
			order = append(order, remap[i])
		}
	}
	m.order = order
	vis := m.visible[:0]
	for _, i := range m.visible {
		if i < len(remap) && remap[i] >= 0 {
			vis = append(vis, int(remap[i]))
		}
	}
	m.visible = vis
	dirty := m.dirty[:0]
	for _, i := range m.dirty {
		if i < len(remap) && remap[i] >= 0 {
			dirty = append(dirty, int(remap[i]))
		}
	}
	m.dirty = dirty
	if cap(m.pos) < len(m.rows) {
		m.pos = make([]int32, len(m.rows))
	}
	m.pos = m.pos[:len(m.rows)]
	for i := range m.pos {
		m.pos[i] = -1
	}
	for p, i := range vis {
		m.pos[i] = int32(p)
	}
	m.restoreCursor()
	return n
}

// rebuild recomputes the visible rows from the filter and sort. The
// sorted order of every row (order) is kept between calls and re-sorted
// only when the sort changed, so a filter change walks it and filters
// (O(n) matches, no sort); a filter that narrows the last one (a key
// typed at the end of a term, a term added) filters only the rows it
// showed. The cursor stays on the same session when it is still visible.
func (m *Model) rebuild() {
	q := m.tq()
	narrow := m.visValid && len(m.dirty) == 0 && len(m.order) == len(m.rows) &&
		m.orderCol == m.sortCol && m.orderDesc == m.sortDesc && q.narrows(m.visQuery)
	m.ensureOrder()
	src := m.order32()
	vis := m.visible[:0]
	snap := m.snapshot()
	switch {
	case narrow && q.equal(m.visQuery):
		vis = m.visible
	case snap != nil:
		for _, i := range snap {
			vis = append(vis, int(i))
		}
	case narrow:
		mt := m.matcher()
		for _, i := range m.visible {
			if mt.match(m.rows[i]) {
				vis = append(vis, i)
			}
		}
	case q.empty():
		for _, i := range src {
			vis = append(vis, int(i))
		}
	default:
		mt := m.matcher()
		for _, i := range src {
			if mt.match(m.rows[i]) {
				vis = append(vis, int(i))
			}
		}
	}
	m.tableData.orderGen = m.orderGen
	m.visible = vis
	m.visQuery, m.visValid = q, true
	if snap == nil && !q.empty() {
		m.keepSnapshot()
	}
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

func (m *Model) order32() []int32 { return m.order }

// visSnap is the visible rows of a recent filter: erasing a key brings a
// filter typed a moment ago back without filtering every row again. A
// snapshot holds while no row was placed, removed or changed since
// (placeGen, rowSetGen).
type visSnap struct {
	q         query
	vis       []int32
	placeGen  uint64
	rowSetGen uint64
}

const maxSnaps = 8

// rowSetGen counts row.set calls in the process: any change to any row
// ends every snapshot (rows are also changed where the table does not see
// it, e.g. a cancel's result set in place).
var rowSetGen atomic.Uint64

func (m *Model) snapshot() []int32 {
	q := m.tq()
	if q.empty() || m.orderCol != m.sortCol || m.orderDesc != m.sortDesc {
		return nil
	}
	g := rowSetGen.Load()
	for i := range m.snaps {
		sn := &m.snaps[i]
		if sn.placeGen == m.placeGen && sn.rowSetGen == g && sn.q.equal(q) {
			return sn.vis
		}
	}
	return nil
}

func (m *Model) keepSnapshot() {
	g := rowSetGen.Load()
	live := m.snaps[:0]
	for _, sn := range m.snaps {
		if sn.placeGen == m.placeGen && sn.rowSetGen == g {
			live = append(live, sn)
		}
	}
	clear(m.snaps[len(live):])
	m.snaps = live
	var vis []int32
	if len(m.snaps) == maxSnaps {
		vis = m.snaps[0].vis[:0]
		m.snaps = append(m.snaps[:0], m.snaps[1:]...)
	}
	for _, i := range m.visible {
		vis = append(vis, int32(i))
	}
	m.snaps = append(m.snaps, visSnap{q: m.tq(), vis: vis, placeGen: m.placeGen, rowSetGen: g})
}

// ensureOrder makes m.order every row in the current sort order: a full
// sort when the sort changed, else the rows added or changed since it was
// built are placed in it.
func (m *Model) ensureOrder() {
	col, desc := m.sortCol, m.sortDesc
	if m.orderCol == col && m.orderDesc == desc && len(m.order) <= len(m.rows) {
		fix := append(m.addBuf[:0], m.dirty...)
		for i := len(m.order); i < len(m.rows); i++ {
			fix = append(fix, i)
		}
		m.addBuf = fix
		if len(fix) == 0 {
			return
		}
		m.placeGen++
		if len(fix) <= max(64, len(m.rows)/16) {
			m.dirty = m.dirty[:0]
			slices.SortFunc(fix, m.cmpIdx)
			fix = slices.Compact(fix)
			m.orderTake(fix)
			m.orderPlace(fix)
			return
		}
	}
	if (m.orderCol != col || m.orderDesc != desc) && m.swapOrder(col, desc) {
		return
	}
	m.placeGen++
	m.dirty = m.dirty[:0]
	idx := m.scratch[:0]
	for i := range m.rows {
		idx = append(idx, i)
	}
	m.sortBuf = sortIndices(idx, m.rows, col, desc, m.sortBuf)
	clear(m.sortBuf) // the keys hold strings: do not keep them alive
	m.sortBuf = m.sortBuf[:0]
	order := m.order[:0]
	for _, i := range idx {
		order = append(order, int32(i))
	}
	m.order, m.scratch = order, idx[:0]
	m.orderCol, m.orderDesc = col, desc
}

// keptOrder is the order of every row in another sort, valid while no
// row changed, was added or was removed since (stamp).
type keptOrder struct {
	col   sortCol
	desc  bool
	order []int32
	stamp orderStamp
}

type orderStamp struct {
	rowSet, removed uint64
	rows            int
}

// maxKeptOrders bounds the sorts kept (a few hundred KB each at 100,000
// rows): enough for a view's own sort and the user's.
const maxKeptOrders = 3

// swapOrder makes the order the one for sort (col, desc) kept from a
// moment ago when no row changed since, keeping the current one: going
// back and forth between views with their own sorts (expiring, stalled)
// re-sorts nothing. It reports false when there is none; then the
// current order is kept and a fresh buffer is left for the sort.
func (m *Model) swapOrder(col sortCol, desc bool) bool {
	st := orderStamp{rowSetGen.Load(), m.removedGen, len(m.rows)}
	canKeep := len(m.dirty) == 0 && len(m.order) == len(m.rows) && len(m.order) > 0
	cur := keptOrder{m.orderCol, m.orderDesc, m.order, st}
	var spare []int32
	live := m.kept[:0]
	for _, k := range m.kept {
		if k.stamp == st {
			live = append(live, k)
		} else if spare == nil {
			spare = k.order[:0]
		}
	}
	clear(m.kept[len(live):])
	m.kept = live
	for i, k := range m.kept {
		if k.col == col && k.desc == desc {
			m.order, m.orderCol, m.orderDesc = k.order, col, desc
			if canKeep {
				m.kept[i] = cur
			} else {
				m.kept = slices.Delete(m.kept, i, i+1)
			}
			m.dirty = m.dirty[:0]
			m.placeGen++
			return true
		}
	}
	if canKeep {
		if len(m.kept) == maxKeptOrders {
			spare = m.kept[0].order[:0]
			m.kept = slices.Delete(m.kept, 0, 1)
		}
		m.kept = append(m.kept, cur)
		m.order = spare
	}
	return false
}

// orderTake removes rows (sorted, distinct) from the order; rows not in it
// (new ones) are skipped.
func (m *Model) orderTake(rows []int) {
	n0 := len(m.order)
	any := false
	for _, i := range rows {
		if i < n0 {
			any = true
			break
		}
	}
	if !any {
		return
	}
	mark := m.marks64(rows)
	order := m.order[:0]
	for _, i := range m.order {
		if mark[i/64]&(1<<(i%64)) == 0 {
			order = append(order, i)
		}
	}
	m.order = order
	m.unmark(rows)
}

// orderPlace inserts rows (sorted by the current sort, not in the order)
// at their places: a binary search each, one pass of copies.
func (m *Model) orderPlace(rows []int) {
	at := m.atBuf[:0]
	for _, i := range rows {
		at = append(at, sort.Search(len(m.order), func(p int) bool { return m.cmpIdx(int(m.order[p]), i) > 0 }))
	}
	m.atBuf = at
	m.order = mergeAt(m.order, at, func(j int) int32 { return int32(rows[j]) })
}

// marks64 sets the bits of rows in the reused bit set.
func (m *Model) marks64(rows []int) []uint64 {
	mark := m.markBuf
	if need := (len(m.rows) + 63) / 64; len(mark) < need {
		mark = make([]uint64, need+need/4)
		m.markBuf = mark
	}
	for _, i := range rows {
		mark[i/64] |= 1 << (i % 64)
	}
	return mark
}

func (m *Model) unmark(rows []int) {
	for _, i := range rows {
		m.markBuf[i/64] = 0
	}
}

// cmpIdx orders rows i and j by the current sort (compareRows).
func (m *Model) cmpIdx(i, j int) int {
	a, b := m.rows[i], m.rows[j]
	switch m.sortCol {
	case sortCreated, sortExpires, sortActivity:
		// The common case inline: both dates present.
		x, y := a.created, b.created
		if m.sortCol == sortExpires {
			x, y = a.expires, b.expires
		} else if m.sortCol == sortActivity {
			x, y = a.activity, b.activity
		}
		if x != 0 && y != 0 && x != y {
			if (x < y) != m.sortDesc {
				return -1
			}
			return 1
		}
	}
	return compareRows(a, b, m.sortCol, m.sortDesc)
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

// insertVisible places rows just appended to m.rows (indices in added).
func (m *Model) insertVisible(added []int) {
	if len(added) == 0 {
		return
	}
	m.placeRows(added)
}

// reposition puts row i back in its place after an in-place update
// changed its sort key or whether it passes the filter (a cancel result, a
// loaded detail). It reports false when it had to rebuild the view instead.
func (m *Model) reposition(i int) bool {
	if i < 0 || i >= len(m.rows) {
		m.rebuild()
		return false
	}
	m.one[0] = i
	return m.placeRows(m.one[:])
}

// placeRows puts rows in their places in the sorted order and the visible
// rows: rows new since the order was built (appended to m.rows) and rows
// an update may have moved or made pass or fail the filter (idx, and any
// upsert marked). Its cost is in proportion to the rows placed (a sort of
// them, a filter match each and a binary search each in the order and in
// the visible rows) plus one copy of the index slices: it never sorts or
// filters the other rows. It reports false when it had to rebuild the
// view instead (the sort or the filter changed since the view was built).
func (m *Model) placeRows(idx []int) bool {
	n0 := len(m.order)
	if m.orderCol != m.sortCol || m.orderDesc != m.sortDesc || n0 > len(m.rows) ||
		len(m.pos) < n0 || m.tableData.orderGen != m.orderGen || !m.visValid {
		m.rebuild()
		return false
	}
	for len(m.pos) < len(m.rows) {
		m.pos = append(m.pos, -1)
	}
	// The rows to place, sorted, once each.
	add := append(m.addBuf[:0], idx...)
	add = append(add, m.dirty...)
	m.dirty = m.dirty[:0]
	for i := n0; i < len(m.rows); i++ {
		add = append(add, i)
	}
	slices.SortFunc(add, m.cmpIdx)
	add = slices.Compact(add)
	m.addBuf = add
	if len(add) == 0 {
		return true
	}
	m.placeGen++
	// Take them out of the order and the visible rows.
	m.orderTake(add)
	lo := len(m.visible) // the first visible position that changes
	for _, i := range add {
		if p := m.pos[i]; p >= 0 {
			lo = min(lo, int(p))
		}
	}
	if lo < len(m.visible) {
		mark := m.marks64(add)
		vis := m.visible[:lo]
		for _, i := range m.visible[lo:] {
			if mark[i/64]&(1<<(i%64)) == 0 {
				vis = append(vis, i)
			}
		}
		m.visible = vis
		m.unmark(add)
	}
	for _, i := range add {
		m.pos[i] = -1
	}
	// Merge them back in.
	m.orderPlace(add)
	vin := m.visIn[:0]
	if m.tq().empty() {
		vin = append(vin, add...)
	} else {
		mt := m.matcher()
		for _, i := range add {
			if mt.match(m.rows[i]) {
				vin = append(vin, i)
			}
		}
	}
	at := m.atBuf[:0]
	for _, i := range vin {
		at = append(at, sort.Search(len(m.visible), func(p int) bool { return m.cmpIdx(m.visible[p], i) > 0 }))
	}
	m.visIn, m.atBuf = vin, at
	if len(at) > 0 {
		lo = min(lo, at[0])
		m.visible = mergeAt(m.visible, at, func(j int) int { return vin[j] })
	}
	for p := lo; p < len(m.visible); p++ {
		m.pos[m.visible[p]] = int32(p)
	}
	m.restoreCursor()
	return true
}

// mergeAt inserts k values into s, value j before s[at[j]] (at is
// non-decreasing), moving each run of s once.
func mergeAt[T any](s []T, at []int, val func(j int) T) []T {
	k := len(at)
	if k == 0 {
		return s
	}
	n := len(s)
	s = slices.Grow(s, k)[:n+k]
	end := n
	for j := k - 1; j >= 0; j-- {
		copy(s[at[j]+j+1:], s[at[j]:end])
		s[at[j]+j] = val(j)
		end = at[j]
	}
	return s
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
// chasing row pointers in every comparison. It lives only during a sort.
type sortItem struct {
	k        int64  // numeric key, already oriented (absent values last)
	s        string // string key (title, account, id)
	acct, id string // tiebreak, always ascending
	idx      int
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
	it := sortItem{acct: r.s.Ref.Account, id: r.s.Ref.ID, idx: idx}
	switch col {
	case sortCreated, sortExpires, sortActivity:
		v := r.created
		if col == sortExpires {
			v = r.expires
		} else if col == sortActivity {
			v = r.activity
		}
		if v == 0 {
			it.k = math.MaxInt64
		} else {
			it.k = sign * v
		}
	case sortStatus:
		it.k = sign * int64(r.st)
	case sortSigners:
		if r.total < 0 {
			it.k = math.MaxInt64
		} else if r.total == 0 {
			it.k = 0
		} else {
			it.k = sign * (int64(r.signed)*1_000_000/int64(r.total)*1000 + int64(r.total))
		}
	case sortTitle:
		it.s = r.titleLower()
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
	if c := strings.Compare(a.acct, b.acct); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}
