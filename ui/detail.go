package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/signdeck/signdeck/models"
)

// detailEntry caches the full session of one row (Provider.Get).
type detailEntry struct {
	seq     int
	stamp   uint64 // Model.stamp when requested
	loading bool
	err     error
	s       *models.Session
}

type detailMsg struct {
	ref models.Ref
	seq int
	s   models.Session
	err error
}

type detailWantMsg struct{ seq int }

// wantDetail asks for the cursor row's detail after a short pause, so
// scrolling through rows with the pane open does not fire a Get per row.
func (m *Model) wantDetail() tea.Cmd {
	m.detailTop = 0
	if !m.detailOpen {
		return nil
	}
	r := m.current()
	if r == nil {
		return nil
	}
	if _, ok := m.details[r.s.Ref]; ok {
		return nil
	}
	m.detailWant++
	return m.after(detailDebounce, detailWantMsg{seq: m.detailWant})
}

// loadDetail fetches the cursor row's full session unless cached. force
// reloads an entry that failed.
func (m *Model) loadDetail(force bool) tea.Cmd {
	r := m.current()
	if r == nil {
		return nil
	}
	ref := r.s.Ref
	if d, ok := m.details[ref]; ok && (d.loading || d.err == nil || !force) {
		return nil
	}
	a := m.acct(ref.Account)
	if a == nil || a.Provider == nil {
		return nil
	}
	m.detailSeq++
	m.details[ref] = &detailEntry{seq: m.detailSeq, stamp: m.stamp, loading: true}
	return getCmd(m.ctx, a, ref, m.detailSeq)
}

func getCmd(ctx context.Context, a *acctState, ref models.Ref, seq int) tea.Cmd {
	p := a.Provider
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		s, err := p.Get(ctx, ref.ID)
		return detailMsg{ref: ref, seq: seq, s: s, err: err}
	}
}

func (m *Model) handleDetail(msg detailMsg) tea.Cmd {
	d, ok := m.details[msg.ref]
	if !ok || d.seq != msg.seq {
		return nil // invalidated by a refresh, or superseded
	}
	d.loading = false
	if msg.err != nil {
		d.err = msg.err
		return nil
	}
	s := msg.s
	s.Ref = msg.ref
	if s.Provider == "" {
		if a := m.acct(msg.ref.Account); a != nil {
			s.Provider = a.Kind
		}
	}
	s.Complete = true
	if i, ok := m.byRef[msg.ref]; ok {
		m.keepActionStatus(i, &s, d.stamp)
	}
	d.s = &s
	// Upgrade the table rows (signer progress of a lite row) in every
	// view that lists the session.
	m.eachTable(func() {
		if i, ok := m.byRef[msg.ref]; ok {
			old := m.rows[i]
			before := *old
			m.upsert(s, old.ai, 0)
			if m.rowOrderChanged(&before, m.rows[i]) {
				m.reposition(i)
			}
		}
	})
	return nil
}

// rowOrderChanged reports whether an in-place update may move the row or
// change whether it passes the filter, which needs a rebuild.
func (m *Model) rowOrderChanged(a, b *row) bool {
	if !m.tq().empty() && (a.low != b.low || a.title != b.title || a.id != b.id || a.sig != b.sig ||
		a.s.Status != b.s.Status || a.s.Provider != b.s.Provider || a.s.Ref.Account != b.s.Ref.Account ||
		a.expires != b.expires || a.activity != b.activity) {
		return true
	}
	return sortKeyDiffers(a, b, m.sortCol)
}

func sortKeyDiffers(a, b *row, col sortCol) bool {
	switch col {
	case sortCreated:
		return a.created != b.created
	case sortExpires:
		return a.expires != b.expires
	case sortActivity:
		return a.activity != b.activity
	case sortTitle:
		return a.titleLower() != b.titleLower()
	case sortStatus:
		return a.s.Status != b.s.Status
	case sortSigners:
		return a.signed != b.signed || a.total != b.total
	}
	return false
}

// renderDetail renders the detail of the cursor row into width x height.
func (m *Model) renderDetail(width, height int) string {
	r := m.current()
	if r == nil {
		return fitBlock("No session selected.", width, height)
	}
	s := &r.s
	d := m.details[s.Ref]
	if d != nil && d.s != nil {
		s = d.s
	}
	st := m.st
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	addWrapped := func(prefix, text string) {
		w := max(10, width-ansi.StringWidth(prefix))
		for i, l := range strings.Split(ansi.Wrap(text, w, " "), "\n") {
			if i == 0 {
				lines = append(lines, prefix+l)
			} else {
				lines = append(lines, strings.Repeat(" ", ansi.StringWidth(prefix))+l)
			}
		}
	}
	addWrapped("", st.Title.Render(models.CleanText(orDash(s.Title))))
	a := m.acct(s.Ref.Account)
	kind := s.Provider.Label()
	add("%s · %s · %s", r.acct, kind, st.Dim.Render("id "+models.CleanText(s.Ref.ID)))
	status := st.forStatus(s.Status).Render(statusText(s.Status))
	if s.RawStatus != "" && s.RawStatus != string(s.Status) {
		status += st.Dim.Render(" (" + models.CleanText(s.RawStatus) + ")")
	}
	if s.TestMode {
		status += st.Warn.Render(" [test mode]")
	}
	add("Status   %s", status)
	add("Created  %s", fmtTimeLong(s.CreatedAt, m.now()))
	add("Expires  %s", fmtTimeLong(s.ExpiresAt, m.now()))
	if !s.UpdatedAt.IsZero() {
		add("Updated  %s", fmtTimeLong(s.UpdatedAt, m.now()))
	}
	if s.Requester != "" {
		addWrapped("From     ", models.CleanText(s.Requester))
	}
	if s.URL != "" {
		addWrapped("URL      ", models.CleanText(s.URL))
	}
	if s.TransactionID != "" {
		addWrapped("Txn      ", models.CleanText(s.TransactionID))
	}
	if s.Subject != "" {
		addWrapped("Subject  ", models.CleanText(s.Subject))
	}
	if s.Message != "" {
		addWrapped("Message  ", models.CleanText(s.Message))
	}
	if len(s.CC) > 0 {
		cc := make([]string, len(s.CC))
		for i, c := range s.CC {
			cc[i] = models.CleanText(c)
		}
		addWrapped("CC       ", strings.Join(cc, ", "))
	}
	switch {
	case d != nil && d.loading:
		add("")
		add("%s loading…", m.spin())
	case d != nil && d.err != nil:
		add("")
		addWrapped(st.Err.Render(glyphErr+" ")+"", "could not load details: "+cleanErr(d.err))
		add("%s", st.Dim.Render("press "+m.keys.label(actDetail)+" twice to retry"))
	case d == nil && !s.Complete && (a == nil || a.Provider == nil):
		add("")
		add("%s", st.Dim.Render("details unavailable: "+noTokenReasonFor(a, s.Ref.Account)))
	}
	add("")
	signed, total := s.SignedCount()
	if !s.Complete && len(s.Signers) == 0 {
		add("%s", st.Bold.Render("Signers")+st.Dim.Render(" (not loaded)"))
	} else {
		add("%s", st.Bold.Render(fmt.Sprintf("Signers (%d/%d signed)", signed, total))+m.fixHint(s))
	}
	signers := slices.Clone(s.Signers)
	slices.SortStableFunc(signers, func(x, y models.Signer) int { return x.Order - y.Order })
	for i, g := range signers {
		name := models.CleanText(g.DisplayName())
		email := models.CleanText(g.Email)
		who := name
		if email != "" && email != name {
			who += " <" + email + ">"
		}
		addWrapped(fmt.Sprintf("%2d. ", i+1), who)
		stLine := "    " + st.forSigner(g.Status).Render(signerStatusText(g.Status))
		if g.RawStatus != "" && g.Status == models.SignerUnknown {
			stLine += st.Dim.Render(" (" + models.CleanText(g.RawStatus) + ")")
		}
		if !g.SignedAt.IsZero() {
			stLine += "  " + fmtTimeLong(g.SignedAt, m.now())
		}
		if g.Role != "" {
			stLine += st.Dim.Render("  role " + models.CleanText(g.Role))
		}
		add("%s", stLine)
		if g.DeclineReason != "" {
			addWrapped("    reason: ", models.CleanText(g.DeclineReason))
		}
		if g.Error != "" {
			addWrapped("    "+st.Err.Render("error: "), models.CleanText(g.Error))
		}
	}
	if len(s.Metadata) > 0 {
		add("")
		add("%s", st.Bold.Render("Metadata"))
		keys := make([]string, 0, len(s.Metadata))
		for k := range s.Metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			addWrapped("  "+models.CleanText(k)+": ", models.CleanText(s.Metadata[k]))
		}
	}
	if len(s.ActionLog) > 0 {
		add("")
		add("%s", st.Bold.Render("Action log"))
		for _, e := range s.ActionLog {
			text := models.CleanText(e.Action)
			if e.Actor != "" {
				text = models.CleanText(e.Actor) + ": " + text
			}
			if e.Detail != "" {
				text += " — " + models.CleanText(e.Detail)
			}
			addWrapped("  "+fmtTimeShort(e.Time, m.now())+"  ", text)
		}
	}
	if len(s.Warnings) > 0 {
		add("")
		add("%s", st.Warn.Render("Warnings"))
		for _, w := range s.Warnings {
			addWrapped("  ! ", models.CleanText(w))
		}
	}
	// Scroll.
	maxTop := max(0, len(lines)-height)
	if m.detailTop > maxTop {
		m.detailTop = maxTop
	}
	lines = lines[m.detailTop:]
	if len(lines) > height && height > 0 {
		lines = lines[:height]
		lines[height-1] = st.Dim.Render(fmt.Sprintf("… %s to scroll", m.keys.label(actScrollDown)))
	}
	return fitBlock(strings.Join(lines, "\n"), width, height)
}

func noTokenReasonFor(a *acctState, name string) string {
	if a == nil {
		return "account " + models.CleanText(name) + " is not configured"
	}
	return noTokenReason(a)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(untitled)"
	}
	return s
}
