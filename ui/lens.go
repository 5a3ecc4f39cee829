package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/signdeck/signdeck/models"
)

// Lenses are the views that look at the active table's rows through a
// test of their own, with no listing of their own: "expiring soon",
// "stalled" and the saved filters of the config. While one is shown the
// table is the active view's ("" in curView, so listing, caching and
// actions behave as in the active view) and its test is one more term of
// the filter (tq), so switching to one is a filter pass over the sorted
// indices, and rows that arrive are placed as for any filter (placeRows).

// SavedView is a named filter from the config (views:), shown as a view.
type SavedView struct {
	Name   string
	Filter string
}

type lensKind int8

const (
	lensNone lensKind = iota
	lensExpiring
	lensStalled
)

// View ids of the lenses in views(); bucket names never start with '~'.
const (
	viewExpiring = "~expiring"
	viewStalled  = "~stalled"
	savedPrefix  = "~view:"
)

func isLens(v string) bool { return strings.HasPrefix(v, "~") }

type savedView struct {
	name string
	q    query
}

// lensState is the lens shown over the active table and what it needs.
type lensState struct {
	id string // the lens shown (a view id), "" when none
	// now is the clock the expiring and stalled tests read, to the minute:
	// taken when a view is chosen, so rows do not drift in and out while
	// one is shown, and choosing views within a minute reuses the counts.
	now                time.Time
	expDays, stallDays int
	saved              []savedView

	// q is the filter with the lens's terms (tq), built for base, id, now.
	q, base  query
	built    bool
	builtFor string
	builtNow int64

	// The sort the user had before a lens chose its own (restored when a
	// view without one is shown).
	userSort sortCol
	userDesc bool
	hasUser  bool

	counts countCache
}

// initLens reads the lens options. A saved filter that does not parse or
// a name given twice is an error (the config reports it first, with its
// place in the file).
func (m *Model) initLens(opts Options) error {
	l := &m.lens
	l.now = m.now().Truncate(time.Minute)
	l.expDays, l.stallDays = opts.ExpiringDays, opts.StalledDays
	if l.expDays <= 0 {
		l.expDays = models.DefaultExpiringDays
	}
	if l.stallDays <= 0 {
		l.stallDays = models.DefaultStalledDays
	}
	seen := map[string]bool{}
	for i, v := range opts.Views {
		name := strings.TrimSpace(v.Name)
		if name == "" {
			return fmt.Errorf("views[%d]: the name is empty", i)
		}
		if seen[strings.ToLower(name)] || models.ReservedViewName(name) {
			return fmt.Errorf("views[%d]: the name %q is taken", i, models.CleanText(name))
		}
		seen[strings.ToLower(name)] = true
		f, err := models.ParseFilter(v.Filter)
		if err != nil {
			return fmt.Errorf("views[%d] %q: filter: %v", i, models.CleanText(name), err)
		}
		l.saved = append(l.saved, savedView{name: name, q: queryOf(f)})
	}
	return nil
}

// lensViews are the lens ids in the view cycle: expiring, stalled, then
// the saved views in config order.
func (m *Model) lensViews() []string {
	out := []string{viewExpiring, viewStalled}
	for _, s := range m.lens.saved {
		out = append(out, savedPrefix+s.name)
	}
	return out
}

// lensLabel names a lens for display.
func lensLabel(v string) string {
	switch v {
	case viewExpiring:
		return "expiring"
	case viewStalled:
		return "stalled"
	}
	return models.CleanText(strings.TrimPrefix(v, savedPrefix))
}

// viewID is the view shown: the lens, else curView.
func (m *Model) viewID() string {
	if m.lens.id != "" {
		return m.lens.id
	}
	return m.curView
}

// lensDesc says what a lens shows, for the flash when it is chosen.
func (m *Model) lensDesc(v string) string {
	switch v {
	case viewExpiring:
		return fmt.Sprintf("awaiting signature, expiring within %d day%s, soonest first", m.lens.expDays, plural(m.lens.expDays))
	case viewStalled:
		return fmt.Sprintf("awaiting signature, no signer activity for %d day%s, oldest first", m.lens.stallDays, plural(m.lens.stallDays))
	}
	for _, s := range m.lens.saved {
		if savedPrefix+s.name == v {
			return "saved filter"
		}
	}
	return ""
}

// lensTerms are the terms a lens adds to the filter.
func (m *Model) lensTerms(v string) []term {
	l := &m.lens
	switch v {
	case viewExpiring:
		from, to := models.ExpiringRange(l.now, l.expDays)
		return []term{{kind: termLens, lens: lensExpiring, lensNow: l.now.UnixNano(), lensDays: l.expDays,
			lensLo: from.UnixNano(), lensHi: to.UnixNano()}}
	case viewStalled:
		return []term{{kind: termLens, lens: lensStalled, lensNow: l.now.UnixNano(), lensDays: l.stallDays,
			lensHi: models.StalledCutoff(l.now, l.stallDays).UnixNano()}}
	}
	for _, s := range l.saved {
		if savedPrefix+s.name == v {
			return s.q.terms
		}
	}
	return nil
}

// tq is the query of the current table: the filter, plus the lens's terms
// in the active table while a lens is shown.
func (m *Model) tq() query {
	l := &m.lens
	if m.curView != "" || l.id == "" {
		return m.query
	}
	if l.built && l.builtFor == l.id && l.builtNow == l.now.UnixNano() && l.base.equal(m.query) {
		return l.q
	}
	// The lens's terms first: a filter typed in the view then narrows the
	// last one (rebuild filters only the rows it showed).
	terms := append(slices.Clone(m.lensTerms(l.id)), m.query.terms...)
	l.q, l.base = query{terms: terms}, m.query
	l.built, l.builtFor, l.builtNow = true, l.id, l.now.UnixNano()
	return l.q
}

// lensHit is a lens term's test of a row: models.ExpiringSoon and
// models.Stalled (the rules `signdeck list --view` uses) on the row's unix
// nanos, with the bounds models gave (a test holds them equal).
func (t *term) lensHit(r *row) bool {
	if t.lensDays <= 0 || !models.Watched(r.s.Status) {
		return false
	}
	switch t.lens {
	case lensExpiring:
		return r.expires != 0 && r.expires >= t.lensLo && r.expires < t.lensHi
	case lensStalled:
		return r.activity != 0 && r.activity <= t.lensHi
	}
	return false
}

// lensSort is the order a lens shows its rows in, when it has its own.
func lensSort(v string) (sortCol, bool, bool) {
	switch v {
	case viewExpiring:
		return sortExpires, false, true // soonest first
	case viewStalled:
		return sortActivity, false, true // oldest activity first
	}
	return 0, false, false
}

// setLens shows lens v (a view id; anything else shows none) over the
// active table: its sort, the user's back when it has none. The caller
// switches to the active table, which rebuilds.
func (m *Model) setLens(v string) {
	l := &m.lens
	if !isLens(v) {
		v = ""
	}
	l.id = v
	if col, desc, own := lensSort(v); own {
		if !l.hasUser {
			l.userSort, l.userDesc, l.hasUser = m.sortCol, m.sortDesc, true
		}
		m.sortCol, m.sortDesc = col, desc
	} else if l.hasUser {
		m.sortCol, m.sortDesc, l.hasUser = l.userSort, l.userDesc, false
	}
	m.orderGen++
}

// viewCount is one view's entry in the view bar.
type viewCount struct {
	id    string
	n     int
	known bool // a bucket not listed yet has no count
}

type countKey struct {
	rowSet, removed uint64
	rows            int
	now             int64
	table           *tableData
}

// countCache holds the lens counts over the active table until its rows
// change (rowSetGen, removals, the row count) or the lens clock moves.
type countCache struct {
	key   countKey
	valid bool
	n     map[string]int
}

// viewCounts counts every view: the active rows, each lens over them
// (cached: a frame at 100,000 rows does not count them), and each bucket
// once an account has listed it.
func (m *Model) viewCounts() []viewCount {
	act := m.tables[""]
	if act == nil {
		act = &tableData{}
	}
	c := &m.lens.counts
	key := countKey{rowSetGen.Load(), act.removedGen, len(act.rows), m.lens.now.UnixNano(), act}
	if !c.valid || c.key != key {
		c.key, c.valid = key, true
		c.n = map[string]int{}
		for _, v := range m.lensViews() {
			mt := m.matcherFor(query{terms: m.lensTerms(v)})
			n := 0
			for _, r := range act.rows {
				if mt.match(r) {
					n++
				}
			}
			c.n[v] = n
		}
	}
	var out []viewCount
	for _, v := range m.views() {
		vc := viewCount{id: v}
		switch {
		case v == "":
			vc.n, vc.known = len(act.rows), true
		case isLens(v):
			vc.n, vc.known = c.n[v], true
		default:
			for _, a := range m.accts {
				if ls := a.loads[v]; ls != nil && ls.loaded {
					vc.known = true
				}
			}
			if t := m.tables[v]; t != nil && vc.known {
				vc.n = len(t.rows)
			}
		}
		out = append(out, vc)
	}
	return out
}

// renderViewBar is every view with its count ("active 1,234 · expiring
// 12 · stalled 40 · cedar deals 3"), the shown one bold and bracketed, in at most w
// columns: views with nothing in them are dropped first, then the labels
// are shortened, then the views after the shown one that do not fit are
// summed up as "+N".
func (m *Model) renderViewBar(w int) string {
	counts := m.viewCounts()
	cur := m.viewID()
	st := m.st
	sep := " · "
	item := func(vc viewCount, short bool) string {
		label := viewLabel(vc.id)
		if short {
			label = shortLabel(label)
		}
		if vc.known {
			label += " " + fmtCount(vc.n)
		}
		return label
	}
	render := func(keep []viewCount, short bool, more int) (string, int) {
		var plain []string
		var styled []string
		for _, vc := range keep {
			s := item(vc, short)
			if vc.id == cur {
				// Bracketed as well as bold, so the shown view reads
				// without colour (NO_COLOR, a screen reader, a capture).
				s = "[" + s + "]"
				plain = append(plain, s)
				styled = append(styled, st.Bold.Render(s))
			} else {
				plain = append(plain, s)
				styled = append(styled, s)
			}
		}
		if more > 0 {
			s := fmt.Sprintf("+%d", more)
			plain, styled = append(plain, s), append(styled, s)
		}
		return strings.Join(styled, st.HeaderDim.Render(sep)), ansi.StringWidth(strings.Join(plain, sep))
	}
	all := counts
	if s, n := render(all, false, 0); n <= w {
		return s
	}
	// Drop the empty ones (never the shown view or active).
	var busy []viewCount
	for _, vc := range all {
		if vc.id == cur || vc.id == "" || (vc.known && vc.n > 0) {
			busy = append(busy, vc)
		}
	}
	for _, short := range []bool{false, true} {
		if s, n := render(busy, short, 0); n <= w {
			return s
		}
	}
	// Keep the shown view, then as many as fit in cycle order.
	for k := len(busy) - 1; k >= 1; k-- {
		keep := busy[:k]
		if !slices.ContainsFunc(keep, func(vc viewCount) bool { return vc.id == cur }) {
			keep = append(slices.Clone(busy[:k-1]), busy[slices.IndexFunc(busy, func(vc viewCount) bool { return vc.id == cur })])
		}
		if s, n := render(keep, true, len(busy)-len(keep)); n <= w {
			return s
		}
	}
	for _, vc := range busy {
		if vc.id == cur {
			s, _ := render([]viewCount{vc}, true, 0)
			return ansi.Truncate(s, max(0, w), ellipsis)
		}
	}
	return ""
}

// shortLabel shortens a view label for a narrow bar.
func shortLabel(s string) string {
	switch s {
	case "active":
		return "act"
	case "expiring":
		return "exp"
	case "stalled":
		return "stall"
	}
	if r := []rune(s); len(r) > 8 {
		return string(r[:7]) + ellipsis
	}
	return s
}
