package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// loadEvent is what the listing goroutine sends: a page, or the end.
type loadEvent struct {
	sessions []models.Session
	done     bool
	err      error
	// sync: the listing was a SessionCache.Sync (its pages are in the
	// cache already); partial: an incremental one, which lists only what
	// changed; closed: ids it found gone.
	sync, partial bool
	closed        []string
	// listed: the listing itself is done; details still come (Sync).
	listed bool
}

// pagesMsg carries one or more pages of one listing generation.
type pagesMsg struct {
	acct     string
	view     string // "" or the bucket listed
	gen      uint64
	sessions []models.Session
	pages    int
	done     bool
	closed   bool // the channel closed without a final event (canceled)
	err      error
	ch       <-chan loadEvent
	// From the final event (see loadEvent).
	sync, partial bool
	gone          []string
	// listed: the listing is done, background details still come.
	listed bool
}

// startLoad (re)starts the listing of account i: the previous listing's
// context is canceled so there is never more than one per account, and
// the generation moves on so its late pages are dropped.
func (m *Model) startLoad(i int) tea.Cmd {
	a := m.accts[i]
	if a.Provider == nil || !offers(a, m.curView) {
		return nil
	}
	if a.cancel != nil {
		a.cancel()
	}
	a.gen++
	a.genStamp = m.stamp
	ctx, cancel := context.WithCancel(m.ctx)
	a.cancel = cancel
	a.loading = true
	// Refresh invalidates the detail cache of the account.
	for ref, d := range m.details {
		if ref.Account == a.Name && !d.loading {
			delete(m.details, ref)
		}
	}
	p, name, gen, lg, view := a.Provider, a.Name, a.gen, m.log, m.curView
	cache, now, endpoint := m.opts.Cache, m.now, a.Endpoint
	ch := make(chan loadEvent, 4)
	send := func(ev loadEvent) bool {
		select {
		case ch <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	start := func() tea.Msg {
		go func() {
			defer close(ch)
			defer func() {
				if r := recover(); r != nil {
					lg.Error("listing panicked", "account", name, "panic", fmt.Sprint(r))
					send(loadEvent{done: true, err: fmt.Errorf("listing failed: internal error: %v", r)})
				}
			}()
			if cache != nil && view == "" {
				// Through the session cache: incremental when it can be.
				onListed := func() { send(loadEvent{listed: true}) }
				res, err := cache.Sync(ctx, name, p, app.SyncOptions{Now: now, Endpoint: endpoint, OnListed: onListed}, func(ss []models.Session) error {
					if !send(loadEvent{sessions: ss}) {
						return ctx.Err()
					}
					return nil
				})
				if err != nil && ctx.Err() == nil {
					lg.Warn("listing failed", "account", name, "err", models.CleanText(err.Error()))
				}
				send(loadEvent{done: true, err: err, sync: true, partial: !res.Full, closed: res.Closed})
				return
			}
			err := p.List(ctx, providers.ListQuery{Bucket: view}, func(pg providers.Page) error {
				if !send(loadEvent{sessions: pg.Sessions}) {
					return ctx.Err()
				}
				return nil
			})
			if err != nil && ctx.Err() == nil {
				lg.Warn("listing failed", "account", name, "err", models.CleanText(err.Error()))
			}
			send(loadEvent{done: true, err: err})
		}()
		return waitLoad(name, view, gen, ch)()
	}
	var cmds []tea.Cmd
	cmds = append(cmds, start)
	if m.detailOpen && !m.swapped {
		if r := m.current(); r != nil && r.s.Ref.Account == a.Name {
			cmds = append(cmds, m.loadDetail(false))
		}
	}
	return tea.Batch(cmds...)
}

// waitLoad waits for the next listing event and merges any further pages
// that are already waiting, so a fast listing costs few rebuilds.
func waitLoad(acct, view string, gen uint64, ch <-chan loadEvent) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return pagesMsg{acct: acct, view: view, gen: gen, closed: true}
		}
		msg := pagesMsg{acct: acct, view: view, gen: gen, ch: ch, pages: 1, sessions: ev.sessions, done: ev.done, err: ev.err,
			sync: ev.sync, partial: ev.partial, gone: ev.closed, listed: ev.listed}
		merged := false
		for !msg.done && len(msg.sessions) < maxCoalesce {
			select {
			case ev, ok := <-ch:
				if !ok {
					msg.closed = true
					return msg
				}
				if !merged {
					msg.sessions = append([]models.Session(nil), msg.sessions...)
					merged = true
				}
				msg.sessions = append(msg.sessions, ev.sessions...)
				msg.pages++
				msg.done, msg.err = ev.done, ev.err
				msg.sync, msg.partial, msg.gone = ev.sync, ev.partial, ev.closed
				msg.listed = msg.listed || ev.listed
			default:
				return msg
			}
		}
		return msg
	}
}

func (m *Model) handlePages(msg pagesMsg) tea.Cmd {
	i, ok := m.acctByName[msg.acct]
	if !ok {
		return nil
	}
	a := m.accts[i]
	if msg.gen != a.gen {
		return nil // an older listing: never overwrite a newer one
	}
	// New rows, and rows an update moved or made pass or fail the filter,
	// are placed in the sorted order and the visible rows (placeRows): the
	// cost follows the page, not the table.
	added, moved := m.addedIdx[:0], m.movedIdx[:0]
	firstNew := len(m.rows) // rows from here on are new
	for _, s := range msg.sessions {
		if s.Ref.Account == "" {
			s.Ref.Account = a.Name
		}
		if s.Ref.Account != a.Name {
			continue
		}
		if s.Provider == "" {
			s.Provider = a.Kind
		}
		if ri, ok := m.byRef[s.Ref]; ok {
			m.keepActionStatus(ri, &s, a.genStamp)
			if ri >= firstNew {
				m.upsert(s, i, a.gen) // new in this page: placed below
				continue
			}
			before := *m.rows[ri]
			m.upsert(s, i, a.gen)
			if m.rowOrderChanged(&before, m.rows[ri]) {
				moved = append(moved, ri)
			}
			continue
		}
		added = append(added, m.upsert(s, i, a.gen))
	}
	m.placeRows(append(moved, added...))
	m.addedIdx, m.movedIdx = added, moved
	if !msg.sync {
		m.cachePut(msg.view, a, msg.sessions)
	}
	var cmds []tea.Cmd
	if msg.listed && !msg.done {
		// The account's sessions are in; details of lite rows follow in
		// the background without holding the account "loading".
		a.loading, a.loaded, a.err = false, true, nil
		a.lastLoad = m.now()
		m.lastRefresh = a.lastLoad
	}
	switch {
	case msg.done:
		a.loading = false
		if a.cancel != nil {
			a.cancel()
			a.cancel = nil
		}
		if msg.err != nil {
			if errors.Is(msg.err, context.Canceled) {
				break
			}
			a.err = msg.err
			where := a.label
			if msg.view != "" {
				where += " " + viewLabel(msg.view)
			}
			cmds = append(cmds, m.flashf(flashErr, "%s: %s", where, cleanErr(msg.err)))
			break
		}
		a.err = nil
		a.loaded = true
		a.lastLoad = m.now()
		m.lastRefresh = a.lastLoad
		gen := a.gen
		var gone []string
		closed := map[string]bool{}
		for _, id := range msg.gone {
			closed[id] = true
		}
		m.removeRows(func(r *row) bool {
			if r.ai != i || r.seenGen == gen {
				return false
			}
			if msg.partial && !closed[r.s.Ref.ID] {
				// An incremental refresh lists only what changed.
				return false
			}
			_, confirming := m.pending[r.s.Ref]
			drop := !confirming && !m.inFlight[r.s.Ref]
			if drop {
				gone = append(gone, r.s.Ref.ID)
			}
			return drop
		})
		if !msg.sync {
			m.cacheListed(msg.view, a, gone, true)
		}
		cmds = append(cmds, m.logCmd(slog.LevelDebug, "listing done", "account", a.Name, "view", viewLabel(msg.view), "gen", gen))
	case msg.closed:
		a.loading = false
	case msg.ch != nil:
		cmds = append(cmds, waitLoad(msg.acct, msg.view, msg.gen, msg.ch))
	}
	return tea.Batch(cmds...)
}

// refresh reloads the current view of every account with a token that
// offers it. An automatic refresh leaves alone accounts whose listing is
// still running.
func (m *Model) refresh(auto bool) tea.Cmd {
	var cmds []tea.Cmd
	for i, a := range m.accts {
		if a.Provider == nil || (auto && a.loading) {
			continue
		}
		cmds = append(cmds, m.startLoad(i))
	}
	return tea.Batch(cmds...)
}

// shortErr is the gist of an error for the status line: a provider
// error's kind and HTTP status ("unauthorized (HTTP 401)"), else its
// first words.
func shortErr(err error) string {
	var pe *providers.Error
	if errors.As(err, &pe) && pe.Kind != nil {
		s := pe.Kind.Error()
		if pe.Status != 0 {
			s += fmt.Sprintf(" (HTTP %d)", pe.Status)
		} else if pe.Err != nil {
			// A network fault: its last words ("connection refused",
			// "i/o timeout"), never the request's internal URL.
			if g := netGist(pe.Err); g != "" {
				s += " (" + g + ")"
			}
		}
		return s
	}
	return ansi.Truncate(netGist(err), 40, ellipsis)
}

// netGist is the last part of a transport error's text, after the
// `Get "URL":` wrapping and the dial details.
func netGist(err error) string {
	msg := cleanErr(err)
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
		msg = msg[i+2:]
	}
	return msg
}

// cleanErr is an error's text made safe for the terminal.
func cleanErr(err error) string {
	if err == nil {
		return ""
	}
	return models.CleanText(err.Error())
}
