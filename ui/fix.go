package ui

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// Fixing a signer in place (fixsigner, from the detail pane) and
// extending the expiry (extend, on the cursor row or the marked rows):
// issue 10, actions 2 and 3. Both are app.Service.Update calls made in a
// tea.Cmd; each outcome goes to the flash and the message log.

// fixNeedsDetail: a signer is picked from the detail pane.
func fixNeedsDetail(m *Model) string {
	if m.current() != nil && !m.detailOpen {
		return "open the detail pane first (" + m.keys.label(actDetail) + "), then pick the signer"
	}
	return ""
}

// fixableSigner says why signer g cannot be changed in place ("" when it
// can): it has finished (signed, declined) or left the session.
func fixableSigner(g models.Signer) string {
	switch g.Status {
	case models.SignerSigned:
		return "has signed"
	case models.SignerDeclined:
		return "declined"
	case models.SignerCanceled, models.SignerExpired, models.SignerDelegated:
		return "is " + strings.ToLower(g.Status.Label())
	}
	return ""
}

// ---- fix a signer ----

type fixStage int

const (
	fixPick fixStage = iota
	fixEdit
	fixReview
	fixSending
	fixFailed
)

// fixOverlay is the fix-a-signer form: pick a signer, edit the name and
// email, review old → new, confirm with y.
type fixOverlay struct {
	ref      models.Ref
	title    string // cleaned, for messages
	acctName string
	kind     models.ProviderKind
	caps     providers.Capabilities
	split    bool // first/last name fields (Constellation1)
	signers  []models.Signer

	stage   fixStage
	cursor  int // the picked signer (index into signers)
	pickErr string

	name, first, last, email textinput.Model
	focus                    int // index into fields()
	errs                     []string
	failure                  string // the service's reason, in full
}

type fixResultMsg struct {
	form  *fixOverlay // the form that sent it
	title string
	ref   models.Ref
	out   app.UpdateOutcome
}

// fixSpec and extendSpec stand for the two kinds of update when asking
// app.UpdateBlocked whether a session can take one.
var (
	fixSpec    = providers.UpdateSpec{Signers: []providers.SignerUpdate{{}}}
	extendSpec = providers.UpdateSpec{ExpiresAt: time.Unix(1, 0)}
)

// startFixSigner opens the fix-a-signer form for the session in the open
// detail pane, or flashes why it cannot.
func (m *Model) startFixSigner() tea.Cmd {
	const what = "Fix signer"
	if m.opts.Readonly {
		return m.flashf(flashWarn, "%s: read-only mode", what)
	}
	r := m.current()
	switch {
	case r == nil:
		return m.flashf(flashWarn, "%s: no session selected", what)
	case !m.detailOpen:
		return m.flashf(flashWarn, "%s: open the detail pane first (%s), then pick the signer", what, m.keys.label(actDetail))
	}
	a := m.acct(r.s.Ref.Account)
	s := &r.s
	if d := m.details[r.s.Ref]; d != nil && d.s != nil {
		s = d.s
	}
	switch {
	case a == nil || a.Provider == nil:
		return m.flashf(flashWarn, "%s: %s", what, noTokenReasonFor(a, r.s.Ref.Account))
	case m.svc == nil:
		return m.flashf(flashWarn, "%s: no operations journal is open in this session, so nothing can be sent", what)
	}
	if why := app.UpdateBlocked(m.appAccount(a), s, fixSpec); why != "" {
		return m.flashf(flashWarn, "%s: %s", what, why)
	}
	switch {
	case !s.Complete || len(s.Signers) == 0:
		if d := m.details[r.s.Ref]; d != nil && d.loading {
			return m.flashf(flashInfo, "%s: the signers are still loading", what)
		}
		return m.flashf(flashWarn, "%s: the session's signers are not loaded", what)
	}
	caps := a.Provider.Capabilities()
	signers := slices.Clone(s.Signers)
	slices.SortStableFunc(signers, func(x, y models.Signer) int { return x.Order - y.Order })
	o := &fixOverlay{ref: r.s.Ref, title: r.title, acctName: a.Name, kind: a.Kind, caps: caps,
		split: caps.Limits.RequireLastName, signers: signers}
	// Start on the first signer that can be changed.
	for i, g := range signers {
		if fixableSigner(g) == "" {
			o.cursor = i
			break
		}
	}
	m.openOverlay(o)
	return nil
}

// fixHint is the detail pane's pointer to the fix-a-signer key, for a
// session whose signers it can change ("" otherwise).
func (m *Model) fixHint(s *models.Session) string {
	a := m.acct(s.Ref.Account)
	if b := m.keys.b[actFixSigner]; b == nil || !b.Enabled() || a == nil || app.UpdateBlocked(m.appAccount(a), s, fixSpec) != "" {
		return ""
	}
	return m.st.Dim.Render("  " + m.keys.label(actFixSigner) + " fix a signer")
}

// fields lists the form's inputs in order.
func (o *fixOverlay) fields() []*textinput.Model {
	if o.split {
		return []*textinput.Model{&o.first, &o.last, &o.email}
	}
	return []*textinput.Model{&o.name, &o.email}
}

func (o *fixOverlay) syncFocus() {
	for i, in := range o.fields() {
		if i == o.focus {
			in.Focus()
		} else {
			in.Blur()
		}
	}
}

// pick moves to the edit stage for signer i, or says why it cannot.
func (o *fixOverlay) pick(m *Model, i int) {
	if i < 0 || i >= len(o.signers) {
		return
	}
	o.cursor = i
	g := o.signers[i]
	if why := fixableSigner(g); why != "" {
		o.pickErr = fmt.Sprintf("Signer %d %s; only a signer who has not signed or declined can be changed", i+1, why)
		return
	}
	o.pickErr = ""
	st := m.st
	o.name = st.newInput("", "name", 30)
	o.first = st.newInput("", "first name", 20)
	o.last = st.newInput("", "last name", 20)
	o.email = st.newInput("", "email", 36)
	cs := models.CopySigner{Name: g.Name, FirstName: g.FirstName, LastName: g.LastName}
	if o.split {
		first, last := cs.SplitName()
		o.first.SetValue(models.CleanText(first))
		o.last.SetValue(models.CleanText(last))
	} else {
		o.name.SetValue(models.CleanText(g.DisplayName()))
	}
	o.email.SetValue(models.CleanText(g.Email))
	o.focus = len(o.fields()) - 1 // the email, the usual mistake
	o.errs = nil
	o.stage = fixEdit
	o.syncFocus()
}

// newSigner is the edited signer as the form holds it.
func (o *fixOverlay) newSigner() models.CopySigner {
	cs := models.CopySigner{Email: strings.TrimSpace(o.email.Value())}
	if o.split {
		cs.FirstName, cs.LastName = strings.TrimSpace(o.first.Value()), strings.TrimSpace(o.last.Value())
	} else {
		cs.Name = strings.TrimSpace(o.name.Value())
	}
	return cs
}

// update builds the service's change from the form: only what changed.
func (o *fixOverlay) update() providers.SignerUpdate {
	g := o.signers[o.cursor]
	cs := o.newSigner()
	u := providers.SignerUpdate{Signer: g.ID}
	if u.Signer == "" {
		u.Signer = g.Email
	}
	if !strings.EqualFold(cs.Email, models.CleanText(g.Email)) {
		u.Email = cs.Email
	}
	if o.split {
		first, last := models.CopySigner{Name: g.Name, FirstName: g.FirstName, LastName: g.LastName}.SplitName()
		if cs.FirstName != models.CleanText(first) || cs.LastName != models.CleanText(last) {
			u.FirstName, u.LastName = cs.FirstName, cs.LastName
			u.Name = cs.FullName()
		}
	} else if cs.Name != models.CleanText(g.DisplayName()) {
		u.Name = cs.Name
	}
	return u
}

// validate checks the edited signer with the copy form's rules (the
// provider's limits); the errors are kept for the view.
func (o *fixOverlay) validate() bool {
	o.errs = nil
	spec := models.CopySpec{Source: o.ref, Signers: []models.CopySigner{o.newSigner()}}
	if err := spec.Validate(o.caps.Limits); err != nil {
		if ve, ok := err.(models.ValidationErrors); ok {
			for _, e := range ve {
				field := strings.TrimPrefix(e.Path, "signers[0].")
				o.errs = append(o.errs, strings.ReplaceAll(field, "_", " ")+": "+e.Msg)
			}
		} else {
			o.errs = append(o.errs, err.Error())
		}
		return false
	}
	if u := o.update(); u.Email == "" && u.Name == "" && u.FirstName == "" && u.LastName == "" {
		o.errs = append(o.errs, "nothing changed: edit the name or the email")
		return false
	}
	return true
}

func (o *fixOverlay) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	s := msg.String()
	switch o.stage {
	case fixSending:
		// Locked: the change is on its way and is sent once.
		if s == "ctrl+c" {
			m.closeOverlay()
			return m.requestQuit()
		}
		return nil
	case fixFailed:
		if s == "esc" || s == "ctrl+c" || s == "q" || s == "enter" {
			m.closeOverlay()
			return nil
		}
		o.stage = fixEdit
		o.syncFocus()
		return nil
	case fixReview:
		if s == "y" {
			return m.sendFix(o)
		}
		o.stage = fixEdit
		o.syncFocus()
		return nil
	case fixPick:
		switch {
		case s == "esc" || s == "ctrl+c" || s == "q":
			m.closeOverlay()
		case s == "up" || s == "k" || s == "shift+tab":
			o.cursor = max(0, o.cursor-1)
			o.pickErr = ""
		case s == "down" || s == "j" || s == "tab":
			o.cursor = min(len(o.signers)-1, o.cursor+1)
			o.pickErr = ""
		case s == "enter" || s == "space":
			o.pick(m, o.cursor)
		case len(s) == 1 && s[0] >= '1' && s[0] <= '9':
			n, _ := strconv.Atoi(s)
			if n <= len(o.signers) {
				o.pick(m, n-1)
			}
		}
		return nil
	}
	// fixEdit
	fields := o.fields()
	switch s {
	case "esc":
		o.stage = fixPick
		o.errs = nil
		return nil
	case "ctrl+c":
		m.closeOverlay()
		return nil
	case "tab", "down":
		o.focus = (o.focus + 1) % len(fields)
		o.syncFocus()
		return nil
	case "shift+tab", "up":
		o.focus = (o.focus - 1 + len(fields)) % len(fields)
		o.syncFocus()
		return nil
	case "enter", "ctrl+s":
		if s == "enter" && o.focus < len(fields)-1 {
			o.focus++
			o.syncFocus()
			return nil
		}
		if o.validate() {
			o.stage = fixReview
		}
		return nil
	}
	in := fields[o.focus]
	var cmd tea.Cmd
	*in, cmd = in.Update(msg)
	o.errs = nil
	return cmd
}

func (o *fixOverlay) paste(_ *Model, msg tea.PasteMsg) tea.Cmd {
	if o.stage != fixEdit {
		return nil
	}
	in := o.fields()[o.focus]
	var cmd tea.Cmd
	*in, cmd = in.Update(msg)
	o.errs = nil
	return cmd
}

func (o *fixOverlay) pausesRefresh() bool { return true }

func (o *fixOverlay) hint(*Model) string {
	switch o.stage {
	case fixPick:
		return "↑↓/1-9 pick · enter edit · esc close"
	case fixEdit:
		return "enter/ctrl+s review · tab/↑↓ move · esc back to the signers"
	case fixReview:
		return "y send · any other key returns to the form"
	case fixSending:
		return "sending… the form is locked until the provider answers"
	}
	return "esc close · any other key returns to the form"
}

// signerText writes a signer as "Name <email>".
func signerText(name, email string) string {
	name, email = models.CleanText(name), models.CleanText(email)
	switch {
	case name == "":
		return "<" + email + ">"
	case email == "" || email == name:
		return name
	}
	return name + " <" + email + ">"
}

func (o *fixOverlay) view(m *Model) string {
	st := m.st
	w := m.formWidth()
	head := st.Title.Render("Fix a signer of ") + fmt.Sprintf("%q", ansi.Truncate(o.title, max(10, w-40), ellipsis)) +
		st.Dim.Render(" ("+m.acctLabel(o.acctName)+")")
	lines := []string{head, ""}
	focusLine := 0
	switch o.stage {
	case fixPick:
		lines = append(lines, st.Bold.Render("Which signer?"))
		for i, g := range o.signers {
			cur := "  "
			if i == o.cursor {
				cur = st.Focus.Render(glyphCursor) + " "
				focusLine = len(lines)
			}
			line := fmt.Sprintf("%2d. %s", i+1, signerText(g.DisplayName(), g.Email))
			status := "  " + signerStatusText(g.Status)
			if why := fixableSigner(g); why != "" {
				lines = append(lines, cur+st.Dim.Render(line+status+" — can't be changed"))
				continue
			}
			lines = append(lines, cur+line+st.Dim.Render(status))
		}
		if o.pickErr != "" {
			lines = append(lines, "", st.Err.Render(glyphErr+" "+o.pickErr))
		}
		if o.kind == models.DropboxSign {
			lines = append(lines, "", st.Dim.Render("Dropbox Sign refuses a change to a request sent with an appended signature page: copy it instead."))
		}
	case fixEdit:
		g := o.signers[o.cursor]
		lines = append(lines, st.Bold.Render(fmt.Sprintf("Signer %d", o.cursor+1))+st.Dim.Render("  now "+signerText(g.DisplayName(), g.Email)))
		mark := func(i int) string {
			if i == o.focus {
				return st.Focus.Render(glyphCursor) + " "
			}
			return "  "
		}
		if o.split {
			lines = append(lines, mark(0)+"First "+o.first.View(), mark(1)+"Last  "+o.last.View(), mark(2)+"Email "+o.email.View())
			lines = append(lines, st.Dim.Render("  Constellation1 needs a last name: a one-word name goes in Last."))
		} else {
			lines = append(lines, mark(0)+"Name  "+o.name.View(), mark(1)+"Email "+o.email.View())
		}
		for _, e := range o.errs {
			lines = append(lines, st.Err.Render(glyphErr+" "+models.CleanText(e)))
		}
		focusLine = len(lines) - 1 // the errors stay in view
	case fixReview, fixSending:
		g := o.signers[o.cursor]
		cs := o.newSigner()
		lines = append(lines, st.Bold.Render(fmt.Sprintf("Signer %d", o.cursor+1)))
		lines = append(lines, st.Changed.Render("  ~ "+signerText(g.DisplayName(), g.Email)+" → "+signerText(cs.FullName(), cs.Email)))
		if u := o.update(); u.Email != "" && o.kind == models.DropboxSign {
			lines = append(lines, st.Dim.Render("  The signer gets a new signing link at the new address."))
		}
		lines = append(lines, "")
		if o.stage == fixSending {
			lines = append(lines, m.spin()+" sending… (locked: the change is sent once)")
		} else {
			lines = append(lines, "Change this signer? "+st.Bold.Render("[y/N]")+st.Dim.Render("  only y sends · any other key returns to the form"))
		}
	case fixFailed:
		lines = append(lines, st.Err.Render("Not changed: "+o.failure), "",
			st.Dim.Render("esc close · any other key returns to the form"))
	}
	return st.Modal.Render(strings.Join(boxLines(lines, w-4, max(5, m.bodyHeight()-2), focusLine), "\n"))
}

// boxLines wraps each line to w cells (nothing is cut off), pads it, and
// keeps at most maxH lines with focus (a line index before wrapping, or
// the first line when 0) in view.
func boxLines(lines []string, w, maxH, focus int) []string {
	var out []string
	focusAt := 0
	for i, l := range lines {
		if i == focus {
			focusAt = len(out)
		}
		out = append(out, strings.Split(ansi.Wordwrap(l, w, " "), "\n")...)
	}
	if len(out) > maxH {
		top := max(0, min(focusAt-maxH/2, len(out)-maxH))
		if focus == 0 {
			top = 0
		}
		out = out[top : top+maxH]
	}
	for i, l := range out {
		out[i] = fitLine(l, w)
	}
	return out
}

// sendFix sends the reviewed change through the service, once.
func (m *Model) sendFix(o *fixOverlay) tea.Cmd {
	if !o.validate() {
		o.stage = fixEdit
		return nil
	}
	a := m.acct(o.acctName)
	if a == nil || a.Provider == nil {
		o.stage, o.failure = fixFailed, noTokenReasonFor(a, o.acctName)
		return nil
	}
	o.stage = fixSending
	o.syncFocus()
	acct := m.appAccount(a)
	svc, ctx, ref, title := m.svc, m.ctx, o.ref, o.title
	ups := []providers.SignerUpdate{o.update()}
	m.actionsPending++
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		return fixResultMsg{form: o, title: title, ref: ref, out: svc.UpdateSigner(ctx, acct, ref, ups)}
	}
}

// handleFixResult shows the outcome (flash, message log), closes the form
// when the change was made and reloads the session's detail.
func (m *Model) handleFixResult(msg fixResultMsg) tea.Cmd {
	m.actionsPending = max(0, m.actionsPending-1)
	out := msg.out.ActionOutcome
	cmd := m.handleActionResult(actionResultMsg{action: "Fix signer", title: msg.title, ref: msg.ref, out: out})
	if o, ok := m.ov.(*fixOverlay); ok && o == msg.form {
		if out.OK() {
			m.closeOverlay()
		} else {
			// The reason in full (an appended signature page says what
			// to do instead), whatever the footer's width.
			o.stage = fixFailed
			o.failure = models.CleanText(out.Reason)
			if o.failure == "" {
				o.failure = out.Outcome
			}
		}
	}
	return tea.Batch(cmd, m.reloadDetail(msg.ref))
}

// reloadDetail fetches ref's full session again (its signers changed).
func (m *Model) reloadDetail(ref models.Ref) tea.Cmd {
	a := m.acct(ref.Account)
	if a == nil || a.Provider == nil {
		return nil
	}
	m.detailSeq++
	m.details[ref] = &detailEntry{seq: m.detailSeq, stamp: m.stamp, loading: true}
	return getCmd(m.ctx, a, ref, m.detailSeq)
}

// ---- extend the expiry ----

// extendOverlay asks for the new expiry of the target rows, then
// confirms.
type extendOverlay struct {
	rows    []*row
	skipped []string // "title: reason" of rows that can't
	input   textinput.Model
	err     string
	// confirming: the date parsed; y sends.
	confirming bool
	plan       []extendPlan
}

type extendPlan struct {
	r  *row
	at time.Time
}

// extendResultMsg carries every row's outcome of one extend.
type extendResultMsg struct {
	results []extendResult
	skipped int // rows that could not be extended, not sent
}

type extendResult struct {
	title string
	ref   models.Ref
	out   app.UpdateOutcome
}

// startExtend opens the extend prompt for the marked rows or the cursor
// row, or flashes why it cannot.
func (m *Model) startExtend() tea.Cmd {
	const what = "Extend expiry"
	if m.opts.Readonly {
		return m.flashf(flashWarn, "%s: read-only mode", what)
	}
	if m.svc == nil {
		return m.flashf(flashWarn, "%s: no operations journal is open in this session, so nothing can be sent", what)
	}
	rows, skipped := m.actionTargets("change the expiry date", func(c providers.Capabilities) bool { return c.ExtendExpiry })
	var ok []*row
	for _, r := range rows {
		a := m.acct(r.s.Ref.Account)
		if a == nil {
			continue
		}
		if why := app.UpdateBlocked(m.appAccount(a), &r.s, extendSpec); why != "" {
			skipped = append(skipped, r.title+": "+why)
			continue
		}
		ok = append(ok, r)
	}
	if len(ok) == 0 {
		return m.flashf(flashWarn, "%s: %s", what, orNone(skipped, "no session selected"))
	}
	in := m.st.newInput("New expiry ", "YYYY-MM-DD or +7d", 24)
	in.CharLimit = 40
	o := &extendOverlay{rows: ok, skipped: skipped, input: in}
	m.openOverlay(o)
	return o.input.Focus()
}

// parseNewExpiry reads YYYY-MM-DD (the end of that day) or +Nd (N days
// after the session's current expiry, or after now when it has none or it
// has passed). The result must be in the future.
func parseNewExpiry(s string, current, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	var at time.Time
	switch {
	case s == "":
		return time.Time{}, fmt.Errorf("type a date (YYYY-MM-DD) or a number of days (+7d)")
	case strings.HasPrefix(s, "+"):
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSuffix(s[1:], "d"), "D"))
		if err != nil || n <= 0 || n > 3650 {
			return time.Time{}, fmt.Errorf("%q: want +N or +Nd, N days from 1", models.CleanText(s))
		}
		base := current
		if base.IsZero() || base.Before(now) {
			base = now
		}
		at = base.AddDate(0, 0, n)
	default:
		d, err := time.ParseInLocation("2006-01-02", s, now.Location())
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a date: want YYYY-MM-DD or +Nd", models.CleanText(s))
		}
		at = d.Add(24*time.Hour - time.Second)
	}
	if !at.After(now) {
		return time.Time{}, fmt.Errorf("%s is in the past", at.In(now.Location()).Format("2006-01-02 15:04"))
	}
	return at, nil
}

// makePlan computes each row's new expiry.
func (o *extendOverlay) makePlan(now time.Time) error {
	o.plan = o.plan[:0]
	for _, r := range o.rows {
		at, err := parseNewExpiry(o.input.Value(), r.s.ExpiresAt, now)
		if err != nil {
			return err
		}
		o.plan = append(o.plan, extendPlan{r: r, at: at})
	}
	return nil
}

func (o *extendOverlay) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	s := msg.String()
	if o.confirming {
		if s == "y" {
			m.closeOverlay()
			return m.runExtend(o.plan, o.skipped)
		}
		if s == "esc" || s == "ctrl+c" {
			m.closeOverlay()
			return m.setFlash(flashInfo, "Extend expiry: aborted")
		}
		o.confirming = false
		return o.input.Focus()
	}
	switch s {
	case "esc", "ctrl+c":
		m.closeOverlay()
		return m.setFlash(flashInfo, "Extend expiry: aborted")
	case "enter":
		if err := o.makePlan(m.now()); err != nil {
			o.err = err.Error()
			return nil
		}
		o.err = ""
		o.confirming = true
		o.input.Blur()
		return nil
	}
	var cmd tea.Cmd
	o.input, cmd = o.input.Update(msg)
	o.err = ""
	return cmd
}

func (o *extendOverlay) paste(_ *Model, msg tea.PasteMsg) tea.Cmd {
	if o.confirming {
		return nil
	}
	var cmd tea.Cmd
	o.input, cmd = o.input.Update(msg)
	return cmd
}

func (o *extendOverlay) pausesRefresh() bool { return true }

func (o *extendOverlay) hint(*Model) string {
	if o.confirming {
		return "y extend · esc aborts · any other key returns to the date"
	}
	return "enter review · esc cancel"
}

func (o *extendOverlay) view(m *Model) string {
	st := m.st
	w := max(40, min(m.width-6, 90))
	now := m.now()
	n := len(o.rows)
	lines := []string{st.Title.Render(fmt.Sprintf("Extend the expiry of %s", plural2(n, "session"))), ""}
	// As many rows as fit: the rest of the box takes about 10 lines.
	room := max(3, m.bodyHeight()-10-min(len(o.skipped), 3))
	// A target: its title takes the room its account and dates leave.
	item := func(r *row, tail string) string {
		acct := " (" + r.acct + ")"
		tw := max(8, w-4-ansi.StringWidth(acct)-ansi.StringWidth(tail))
		return "  • " + ansi.Truncate(r.title, tw, ellipsis) + st.Dim.Render(acct) + tail
	}
	if o.confirming {
		for i, p := range o.plan {
			if i == room-1 && len(o.plan) > room {
				lines = append(lines, st.Dim.Render(fmt.Sprintf("  … and %d more", len(o.plan)-i)))
				break
			}
			lines = append(lines, item(p.r, "  "+fmtDay(p.r.s.ExpiresAt, now)+" → "+fmtTimeLong(p.at, now)))
		}
	} else {
		for i, r := range o.rows {
			if i == room-1 && n > room {
				lines = append(lines, st.Dim.Render(fmt.Sprintf("  … and %d more", n-i)))
				break
			}
			lines = append(lines, item(r, "  expires "+fmtTimeLong(r.s.ExpiresAt, now)))
		}
	}
	if len(o.skipped) > 0 {
		lines = append(lines, "", st.Bold.Render(fmt.Sprintf("Can't, not sent (%d):", len(o.skipped))))
		show := min(len(o.skipped), 3)
		for _, s := range o.skipped[:show] {
			lines = append(lines, "  "+st.Dim.Render(glyphErr+" "+models.CleanText(s)))
		}
		if len(o.skipped) > show {
			lines = append(lines, st.Dim.Render(fmt.Sprintf("  … and %d more", len(o.skipped)-show)))
		}
	}
	lines = append(lines, "")
	if o.confirming {
		lines = append(lines, "Extend? "+st.Bold.Render("[y/N]")+st.Dim.Render("  only y sends · any other key returns to the date"))
	} else {
		lines = append(lines, o.input.View())
		if o.err != "" {
			lines = append(lines, st.Err.Render(glyphErr+" "+o.err))
		}
		lines = append(lines, st.Dim.Render("YYYY-MM-DD is the end of that day; +Nd is N days after each session's current expiry "+
			"(after now when it has passed). Dropbox Sign allows up to 90 days ahead."))
	}
	return st.Modal.Render(strings.Join(boxLines(lines, w, max(5, m.bodyHeight()-2), 0), "\n"))
}

// fmtDay is a date without the time ("–" when unset).
func fmtDay(t, now time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.In(now.Location()).Format("2006-01-02")
}

// runExtend extends every planned row through the service, at most 4 at
// a time, and answers one message with every outcome.
func (m *Model) runExtend(plan []extendPlan, skipped []string) tea.Cmd {
	type job struct {
		acct  app.Account
		ref   models.Ref
		title string
		at    time.Time
	}
	jobs := make([]job, 0, len(plan))
	for _, p := range plan {
		a := m.acct(p.r.s.Ref.Account)
		if a == nil {
			continue
		}
		jobs = append(jobs, job{acct: m.appAccount(a), ref: p.r.s.Ref, title: p.r.title, at: p.at})
	}
	for _, s := range skipped {
		title, reason, _ := strings.Cut(s, ": ")
		m.recordOutcome("Extend expiry", title, app.OutcomeSkipped, reason)
	}
	svc, ctx, nSkipped := m.svc, m.ctx, len(skipped)
	run := func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		res := make([]extendResult, len(jobs))
		sem := make(chan struct{}, 4)
		var wg sync.WaitGroup
		for i, j := range jobs {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				res[i] = extendResult{title: j.title, ref: j.ref, out: svc.ExtendExpiry(ctx, j.acct, j.ref, j.at)}
			}()
		}
		wg.Wait()
		return extendResultMsg{results: res, skipped: nSkipped}
	}
	m.actionsPending += len(jobs)
	return tea.Batch(run, m.flashf(flashInfo, "Extending the expiry of %s…", plural2(len(jobs), "session")))
}

// handleExtendResult logs each row's outcome, updates the expiry of the
// rows extended and summarises in the flash.
func (m *Model) handleExtendResult(msg extendResultMsg) tea.Cmd {
	m.actionsPending = max(0, m.actionsPending-len(msg.results))
	var ok int
	var failed []string
	skipped := msg.skipped
	for _, r := range msg.results {
		out := r.out
		reason := out.Reason
		if out.Outcome == app.OutcomeOK && !out.ExpiresAt.IsZero() {
			reason = "expires " + fmtTimeLong(out.ExpiresAt, m.now())
			m.setRowExpiry(r.ref, out.ExpiresAt)
		}
		m.recordOutcome("Extend expiry", r.title, out.Outcome, reason)
		switch out.Outcome {
		case app.OutcomeOK:
			ok++
		case app.OutcomeSkipped:
			skipped++
		default:
			failed = append(failed, r.title+": "+out.Outcome+" ("+models.CleanText(out.Reason)+")")
		}
	}
	if len(msg.results) == 1 && skipped == 0 {
		r := msg.results[0]
		if ok == 1 {
			return m.flashf(flashOK, "Extend expiry %s: ok (expires %s)", r.title, fmtTimeLong(r.out.ExpiresAt, m.now()))
		}
		return m.flashf(flashErr, "Extend expiry %s", failed[0])
	}
	parts := []string{fmt.Sprintf("%d extended", ok)}
	if skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", skipped))
	}
	level := flashOK
	switch {
	case len(failed) > 0:
		level = flashErr
		parts = append(parts, fmt.Sprintf("%d failed: %s", len(failed), strings.Join(failed, "; ")))
	case skipped > 0:
		level = flashWarn
	}
	text := "Extend expiry: " + strings.Join(parts, ", ")
	if skipped > 0 || len(failed) > 0 {
		text += " (" + m.keys.label(actLog) + " message log)"
	}
	return m.setFlash(level, text)
}

// setRowExpiry shows a new expiry in every table listing ref and in its
// cached detail.
func (m *Model) setRowExpiry(ref models.Ref, at time.Time) {
	m.patchRow(ref, func(s *models.Session) { s.ExpiresAt = at }, nil)
}
