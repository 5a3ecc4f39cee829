package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
)

// The session cache (issue 9): the dashboard opens from the sessions the
// last run stored, marks each account "cached N min ago" until its own
// listing lands, and hands every listed page of the active view to the
// cache (Options.Cache), which stores it in the background.

// cachedMsg carries the cached sessions as rows, built in a tea.Cmd.
type cachedMsg struct {
	rows     [][]*row    // by account index
	listedAt []time.Time // by account index
	// pending (by account index) counts the cached sessions not in rows:
	// the first part of a warm start holds only each account's first
	// screen in the sort order (warmFirst), the rest follows (rest).
	pending []int
	rest    bool
	err     error
}

// warmFirst is how many cached sessions of each account a warm start shows
// first, in the sort order: more than any screen holds, so the first frame
// is the one the whole cache would give, at a few milliseconds instead of
// decoding every session (100,000 take about half a second).
var warmFirst = 300 // a var for tests

// warmStart reads the cache in the background: one goroutine per
// account decodes its sessions and builds their rows. With the default
// (or any time) sort and no filter it reads each account's first screen
// only; handleCached then loads the rest (warmRest).
func (m *Model) warmStart() tea.Cmd {
	c := m.opts.Cache
	if c == nil {
		return nil
	}
	names := make([]string, len(m.accts))
	for i, a := range m.accts {
		names[i] = a.Name
	}
	by := ""
	if m.query.empty() {
		switch m.sortCol {
		case sortCreated:
			by = "created"
		case sortExpires:
			by = "expires"
		}
	}
	desc := m.sortDesc
	ctx := m.ctx
	return func() tea.Msg {
		if by != "" {
			if msg, ok := loadCached(ctx, c, names, nil, func(i int, fn func(models.Session) error) (int, bool, error) {
				return c.LoadAccountFirst(ctx, names[i], by, desc, warmFirst, fn)
			}); ok {
				return msg
			}
		}
		return loadAll(ctx, c, names, nil)
	}
}

// warmRest loads every cached session of the accounts whose first part
// is shown (pending > 0) except those shown (by account index).
func (m *Model) warmRest(pending []int, shown []map[string]bool) tea.Cmd {
	c := m.opts.Cache
	names := make([]string, len(m.accts))
	for i, a := range m.accts {
		if i < len(pending) && pending[i] > 0 {
			names[i] = a.Name
		}
	}
	ctx := m.ctx
	return func() tea.Msg {
		msg := loadAll(ctx, c, names, shown)
		msg.rest = true
		return msg
	}
}

// loadAll reads every cached session of the named accounts ("" skips
// one), but those in skip.
func loadAll(ctx context.Context, c *app.SessionCache, names []string, skip []map[string]bool) cachedMsg {
	msg, _ := loadCached(ctx, c, names, skip, func(i int, fn func(models.Session) error) (int, bool, error) {
		return 0, true, c.LoadAccount(ctx, names[i], fn)
	})
	return msg
}

// loadCached runs load for each named account concurrently and builds the
// rows it reads; ok is false when one load could not run (the store reads
// no first part).
func loadCached(ctx context.Context, c *app.SessionCache, names []string, skip []map[string]bool,
	load func(i int, fn func(models.Session) error) (total int, ok bool, err error)) (cachedMsg, bool) {
	msg := cachedMsg{rows: make([][]*row, len(names)), listedAt: make([]time.Time, len(names)),
		pending: make([]int, len(names))}
	errs := make([]error, len(names))
	oks := make([]bool, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		if name == "" {
			oks[i] = true
			continue
		}
		wg.Go(func() {
			var rows []*row
			var sk map[string]bool
			if i < len(skip) {
				sk = skip[i]
			}
			total, ok, err := load(i, func(s models.Session) error {
				if !sk[s.Ref.ID] {
					rows = append(rows, newRow(s, i))
				}
				return nil
			})
			oks[i], errs[i] = ok, err
			msg.rows[i] = rows
			msg.pending[i] = max(0, total-len(rows))
			msg.listedAt[i], _ = c.ListedAt(ctx, name)
		})
	}
	wg.Wait()
	msg.err = errors.Join(errs...)
	return msg, !slices.Contains(oks, false)
}

// handleCached shows the cached rows (those no listing has shown yet).
// After a first part it loads the rest; then it starts every account's
// listing.
func (m *Model) handleCached(msg cachedMsg) tea.Cmd {
	var cmds []tea.Cmd
	// The rest of a warm start goes in by chunks, one message each, so
	// keys are handled between them (no Update holds the loop for long).
	var next *cachedMsg
	if msg.rest {
		msg, next = splitRest(msg, warmChunk)
	}
	if msg.err != nil {
		m.log.Warn("session cache unreadable", "err", models.CleanText(msg.err.Error()))
		cmds = append(cmds, m.flashf(flashWarn, "session cache: %s", cleanErr(msg.err)))
	}
	var shown []map[string]bool
	more := false
	m.withView("", func() {
		added := m.addedIdx[:0]
		for i, a := range m.accts {
			if next != nil {
				// More chunks to come: still loading.
			} else if msg.rest || i >= len(msg.pending) {
				a.cachePending = 0
			} else if msg.pending[i] > 0 {
				a.cachePending = msg.pending[i] + len(msg.rows[i])
				more = true
			}
			if i >= len(msg.rows) || a.loaded || len(msg.rows[i]) == 0 {
				continue
			}
			a.cachedAt = msg.listedAt[i]
			a.fromCache = true
			for _, r := range msg.rows[i] {
				if _, ok := m.byRef[r.s.Ref]; ok || r.s.Ref.Account != a.Name {
					continue
				}
				if r.s.Provider == "" {
					r.s.Provider = a.Kind
				}
				r.seenGen = 0
				m.rows = append(m.rows, r)
				m.byRef[r.s.Ref] = len(m.rows) - 1
				a.count++
				added = append(added, len(m.rows)-1)
			}
		}
		if len(added) > max(64, len(m.rows)/2) {
			// Most rows are new (a first part, or the first chunk of the
			// rest): one sort of compact keys beats placing each. A
			// later chunk is sorted on its own and merged (placeRows),
			// in proportion to the chunk plus one pass over the table.
			m.rebuild()
		} else {
			m.placeRows(added)
		}
		m.addedIdx = added
	})
	if next != nil {
		rest := *next
		return tea.Batch(append(cmds, func() tea.Msg { return rest })...)
	}
	if more {
		// The listings start once every cached row is in.
		shown = make([]map[string]bool, len(msg.rows))
		for i, rs := range msg.rows {
			shown[i] = make(map[string]bool, len(rs))
			for _, r := range rs {
				shown[i][r.s.Ref.ID] = true
			}
		}
		return tea.Batch(append(cmds, m.warmRest(msg.pending, shown))...)
	}
	for i := range m.accts {
		cmds = append(cmds, m.startLoad(i))
	}
	return tea.Batch(cmds...)
}

// warmChunk is how many rows of the rest of a warm start one Update
// takes in.
var warmChunk = 8192 // a var for tests

// splitRest takes at most n rows of msg (in account order) and returns
// them with the rest as the next message (nil when none is left).
func splitRest(msg cachedMsg, n int) (cachedMsg, *cachedMsg) {
	total := 0
	for _, rs := range msg.rows {
		total += len(rs)
	}
	if total <= n {
		return msg, nil
	}
	head, tail := msg, msg
	head.rows = make([][]*row, len(msg.rows))
	tail.rows = make([][]*row, len(msg.rows))
	tail.err = nil
	left := n
	for i, rs := range msg.rows {
		k := min(left, len(rs))
		head.rows[i], tail.rows[i] = rs[:k], rs[k:]
		left -= k
	}
	return head, &tail
}

// cacheSeg is the status line's note for an account shown from the cache
// until its listing lands: "cached 5 min ago".
func (m *Model) cacheSeg(a *acctState) string {
	if !a.fromCache || a.loaded || m.curView != "" {
		return ""
	}
	seg := "cached"
	if !a.cachedAt.IsZero() {
		seg += " " + ago(m.now().Sub(a.cachedAt))
	}
	if a.cachePending > 0 {
		// The first part of a warm start: the rest is being read.
		seg += ", loading " + fmtCount(a.cachePending) + "…"
	}
	return seg
}

func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

// cachePut hands a listed page of the active view to the cache.
func (m *Model) cachePut(view string, a *acctState, ss []models.Session) {
	if m.opts.Cache == nil || view != "" || len(ss) == 0 {
		return
	}
	m.opts.Cache.Put(a.Name, ss)
}

// cacheListed records a completed listing of the active view and drops
// the sessions it no longer shows from the cache.
func (m *Model) cacheListed(view string, a *acctState, gone []string, full bool) {
	if m.opts.Cache == nil || view != "" {
		return
	}
	m.opts.Cache.Delete(a.Name, gone)
	m.opts.Cache.Listed(a.Name, full, m.now())
}
