package ui

import (
	"errors"
	"fmt"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

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
	err      error
}

// warmStart reads the cache in the background: one goroutine per
// account decodes its sessions and builds their rows.
func (m *Model) warmStart() tea.Cmd {
	c := m.opts.Cache
	if c == nil {
		return nil
	}
	names := make([]string, len(m.accts))
	for i, a := range m.accts {
		names[i] = a.Name
	}
	ctx := m.ctx
	return func() tea.Msg {
		msg := cachedMsg{rows: make([][]*row, len(names)), listedAt: make([]time.Time, len(names))}
		errs := make([]error, len(names))
		var wg sync.WaitGroup
		for i, name := range names {
			wg.Go(func() {
				var rows []*row
				errs[i] = c.LoadAccount(ctx, name, func(s models.Session) error {
					rows = append(rows, newRow(s, i))
					return nil
				})
				msg.rows[i] = rows
				msg.listedAt[i], _ = c.ListedAt(ctx, name)
			})
		}
		wg.Wait()
		msg.err = errors.Join(errs...)
		return msg
	}
}

// handleCached shows the cached rows (those no listing has shown yet),
// then starts every account's listing.
func (m *Model) handleCached(msg cachedMsg) tea.Cmd {
	var cmds []tea.Cmd
	if msg.err != nil {
		m.log.Warn("session cache unreadable", "err", models.CleanText(msg.err.Error()))
		cmds = append(cmds, m.flashf(flashWarn, "session cache: %s", cleanErr(msg.err)))
	}
	m.withView("", func() {
		added := m.addedIdx[:0]
		for i, a := range m.accts {
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
		m.placeRows(added)
		m.addedIdx = added
	})
	for i := range m.accts {
		cmds = append(cmds, m.startLoad(i))
	}
	return tea.Batch(cmds...)
}

// cacheSeg is the status line's note for an account shown from the cache
// until its listing lands: "cached 5 min ago".
func (m *Model) cacheSeg(a *acctState) string {
	if !a.fromCache || a.loaded || m.curView != "" {
		return ""
	}
	if a.cachedAt.IsZero() {
		return "cached"
	}
	return "cached " + ago(m.now().Sub(a.cachedAt))
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
