package ui

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

type itemKind int

const (
	itTitle itemKind = iota
	itMessage
	itName
	itFirst
	itLast
	itEmail
	itAdd
	itTestMode
	itCancelOrig
	itRetain
	itTxn
	itSendNow
)

type formItem struct {
	kind itemKind
	si   int // signer index for signer fields
}

type formSigner struct {
	id, role                     string
	order                        int
	name, first, last, email     textinput.Model
	origName, origFirst, origLst string
}

// copyForm is the copy-with-edited-signers form and its review.
type copyForm struct {
	id       int
	srcRef   models.Ref
	srcStamp uint64 // Model.stamp when the source was requested
	srcTitle string // cleaned, for messages
	acctName string
	kind     models.ProviderKind
	caps     providers.Capabilities
	split    bool // first/last name fields (Constellation1)
	src      models.Session
	loading  bool
	loadErr  error

	title, message, txn textinput.Model
	// The inputs' text right after filling: single-line inputs flatten
	// newlines and tabs, so an untouched field is compared with this, not
	// with the source, and the source's text is kept.
	titleFilled, messageFilled string
	testMode, cancel           bool
	retain                     bool
	signers                    []*formSigner
	focus                      int
	errs                       models.ValidationErrors

	// opID is the operation of the last send whose outcome was unknown:
	// the next send is then a retry of it (the service looks for the copy
	// first). "" until then: a first attempt never searches.
	opID string
	// sendNow starts a copy that lands as a draft (Constellation1).
	sendNow bool
	// again: the user confirmed sending a copy identical to a recent one.
	again      bool
	dupAsk     string // the duplicate warning shown until the next send
	dirty      bool
	reviewing  bool
	sending    bool
	sendErr    error
	discardAsk bool
	st         styles
	width      int
}

type copySourceMsg struct {
	form int
	s    models.Session
	err  error
}

type copyResultMsg struct {
	form int
	res  app.CopyOutcome
}

// startCopy opens the copy form for the cursor row (or the one marked row).
func (m *Model) startCopy() tea.Cmd {
	var r *row
	if n := len(m.marks); n > 1 {
		return m.flashf(flashWarn, "Copy: works on one session at a time (%d are marked; %s clears marks)", n, m.keys.label(actClearMarks))
	}
	refs, _ := m.targets()
	if len(refs) == 1 {
		r = m.rowByRef(refs[0])
	}
	if r == nil {
		return m.setFlash(flashWarn, "Copy: no session selected")
	}
	a := m.acct(r.s.Ref.Account)
	switch {
	case a == nil || a.Provider == nil:
		return m.flashf(flashWarn, "Copy: %s", noTokenReasonFor(a, r.s.Ref.Account))
	case !a.Provider.Capabilities().Copy:
		return m.flashf(flashWarn, "Copy: %s account %s cannot copy sessions", a.Kind.Label(), models.CleanText(a.Name))
	case !r.s.Status.Copyable():
		return m.flashf(flashWarn, "Copy: session is %s and may have lost its documents", strings.ToLower(r.s.Status.Label()))
	}
	caps := a.Provider.Capabilities()
	m.copySeq++
	f := &copyForm{
		id: m.copySeq, srcRef: r.s.Ref, srcStamp: m.stamp, srcTitle: r.title, acctName: a.Name, kind: a.Kind, caps: caps,
		split:  caps.Limits.RequireLastName,
		retain: true, sendNow: true, st: m.st, width: m.formWidth(),
	}
	m.openOverlay(f)
	full := &r.s
	if d := m.details[r.s.Ref]; d != nil && d.s != nil {
		full = d.s
	}
	if full.Complete {
		f.fill(*full)
		return nil
	}
	f.loading = true
	p, ref, id, ctx := a.Provider, r.s.Ref, f.id, m.ctx
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		s, err := p.Get(ctx, ref.ID)
		return copySourceMsg{form: id, s: s, err: err}
	}
}

func (m *Model) formWidth() int { return max(40, min(m.width-4, 100)) }

func (m *Model) handleCopySource(msg copySourceMsg) tea.Cmd {
	f := m.copyOv()
	if f == nil || f.id != msg.form {
		return nil
	}
	f.loading = false
	if msg.err != nil {
		f.loadErr = msg.err
		return nil
	}
	s := msg.s
	s.Ref = f.srcRef
	if s.Provider == "" {
		s.Provider = f.kind
	}
	s.Complete = true
	f.fill(s)
	// The loaded source also upgrades the table row and the detail cache.
	if i, ok := m.byRef[s.Ref]; ok {
		m.keepActionStatus(i, &s, f.srcStamp)
		before := *m.rows[i]
		m.upsert(s, m.rows[i].ai, 0)
		if m.rowOrderChanged(&before, m.rows[i]) {
			m.reposition(i)
		}
		m.detailSeq++
		m.details[s.Ref] = &detailEntry{seq: m.detailSeq, s: &s}
	}
	return nil
}

// fill prefills the form from the full source session.
func (f *copyForm) fill(s models.Session) {
	f.src = s
	f.title = f.st.newInput("", "title", 0)
	f.title.SetValue(models.CleanText(s.Title))
	f.title.CharLimit = 0
	f.message = f.st.newInput("", "message (optional)", 0)
	f.message.SetValue(models.CleanText(s.Message))
	f.titleFilled, f.messageFilled = f.title.Value(), f.message.Value()
	f.txn = f.st.newInput("", "keep the source's transaction", 30)
	f.testMode = s.TestMode || f.caps.TestModeForced
	for _, cs := range models.CopySignersFrom(&s) {
		f.signers = append(f.signers, f.newSigner(cs))
	}
	f.focus = 0
	f.layout()
	f.syncFocus()
}

// layout sizes the title and message inputs to the form's width (set at
// fill and after a resize), so their text and cursor stay inside the box.
func (f *copyForm) layout() {
	w := max(20, f.width-16)
	f.title.SetWidth(w)
	f.message.SetWidth(w)
}

func (f *copyForm) newSigner(cs models.CopySigner) *formSigner {
	g := &formSigner{id: cs.ID, role: cs.Role, order: cs.Order}
	g.name = f.st.newInput("", "name", 22)
	g.first = f.st.newInput("", "first name", 12)
	g.last = f.st.newInput("", "last name", 14)
	g.email = f.st.newInput("", "email", 30)
	// Values from the API are cleaned like everywhere else: the inputs'
	// own sanitising keeps the tail of an escape sequence and bidi marks.
	if f.split {
		first, last := cs.SplitName()
		g.first.SetValue(models.CleanText(first))
		g.last.SetValue(models.CleanText(last))
	} else {
		g.name.SetValue(models.CleanText(cs.FullName()))
	}
	g.email.SetValue(models.CleanText(cs.Email))
	return g
}

func (f *copyForm) offers(opt string) bool { return slices.Contains(f.caps.CopyOptions, opt) }

// fixed reports whether the provider keeps a field of the source in a copy.
func (f *copyForm) fixed(field string) bool { return slices.Contains(f.caps.CopyFixed, field) }

// items lists the focusable rows of the form in order.
func (f *copyForm) items() []formItem {
	its := []formItem{{kind: itTitle}}
	if !f.fixed("message") {
		its = append(its, formItem{kind: itMessage})
	}
	for i := range f.signers {
		if f.split {
			its = append(its, formItem{itFirst, i}, formItem{itLast, i})
		} else {
			its = append(its, formItem{itName, i})
		}
		its = append(its, formItem{itEmail, i})
	}
	its = append(its, formItem{kind: itAdd})
	if f.caps.StartDraft {
		its = append(its, formItem{kind: itSendNow})
	}
	for _, o := range []struct {
		name string
		kind itemKind
	}{{"retain_fields", itRetain}, {"transaction_id", itTxn}, {"test_mode", itTestMode}, {"cancel_original", itCancelOrig}} {
		if f.offers(o.name) {
			its = append(its, formItem{kind: o.kind})
		}
	}
	return its
}

func (f *copyForm) focused() formItem {
	its := f.items()
	f.focus = max(0, min(f.focus, len(its)-1))
	return its[f.focus]
}

// input returns the text input of an item, or nil for buttons/toggles.
func (f *copyForm) input(it formItem) *textinput.Model {
	switch it.kind {
	case itTitle:
		return &f.title
	case itMessage:
		return &f.message
	case itTxn:
		return &f.txn
	}
	if it.si < 0 || it.si >= len(f.signers) {
		return nil
	}
	g := f.signers[it.si]
	switch it.kind {
	case itName:
		return &g.name
	case itFirst:
		return &g.first
	case itLast:
		return &g.last
	case itEmail:
		return &g.email
	}
	return nil
}

// syncFocus gives the focused input the keyboard.
func (f *copyForm) syncFocus() {
	cur := f.focused()
	for _, it := range f.items() {
		if in := f.input(it); in != nil {
			if it == cur {
				in.Focus()
			} else {
				in.Blur()
			}
		}
	}
}

func (f *copyForm) focusItem(want formItem) {
	for i, it := range f.items() {
		if it == want {
			f.focus = i
			break
		}
	}
	f.syncFocus()
}

func (f *copyForm) pasteText(msg tea.PasteMsg) tea.Cmd {
	if f.loading || f.reviewing || f.sending || f.discardAsk {
		return nil
	}
	if in := f.input(f.focused()); in != nil {
		var cmd tea.Cmd
		*in, cmd = in.Update(msg)
		f.dirty = true
		return cmd
	}
	return nil
}

// firstNameItem is the first field of signer i.
func (f *copyForm) firstNameItem(i int) formItem {
	if f.split {
		return formItem{itFirst, i}
	}
	return formItem{itName, i}
}

func (f *copyForm) addSigner() {
	at := len(f.signers)
	if it := f.focused(); it.kind == itName || it.kind == itFirst || it.kind == itLast || it.kind == itEmail {
		at = it.si + 1
	}
	order, parallel := 1, false
	if n := len(f.signers); n > 0 {
		parallel = n > 1
		maxO := f.signers[0].order
		for _, g := range f.signers {
			maxO = max(maxO, g.order)
			if g.order != f.signers[0].order {
				parallel = false
			}
		}
		order = maxO + 1
		if parallel {
			order = maxO
		}
	}
	g := f.newSigner(models.CopySigner{Order: order})
	f.signers = slices.Insert(f.signers, at, g)
	if !parallel && at < len(f.signers)-1 {
		f.renumber()
	}
	f.dirty = true
	f.errs = nil
	f.focusItem(f.firstNameItem(at))
}

// renumber gives signers consecutive orders in list order, from the
// lowest order in use, unless they all share one order (parallel signing).
func (f *copyForm) renumber() {
	if len(f.signers) == 0 {
		return
	}
	base := f.signers[0].order
	for _, g := range f.signers {
		base = min(base, g.order)
	}
	for i, g := range f.signers {
		g.order = base + i
	}
}

func (f *copyForm) removeSigner() bool {
	it := f.focused()
	if it.kind != itName && it.kind != itFirst && it.kind != itLast && it.kind != itEmail {
		return false
	}
	f.signers = slices.Delete(f.signers, it.si, it.si+1)
	f.dirty = true
	f.errs = nil
	if len(f.signers) == 0 {
		f.focusItem(formItem{kind: itAdd})
	} else {
		f.focusItem(f.firstNameItem(min(it.si, len(f.signers)-1)))
	}
	return true
}

// moveSigner swaps the focused signer with its neighbour, and their
// signing orders with them.
func (f *copyForm) moveSigner(d int) bool {
	it := f.focused()
	if it.kind != itName && it.kind != itFirst && it.kind != itLast && it.kind != itEmail {
		return false
	}
	j := it.si + d
	if j < 0 || j >= len(f.signers) {
		return false
	}
	a, b := f.signers[it.si], f.signers[j]
	a.order, b.order = b.order, a.order
	f.signers[it.si], f.signers[j] = b, a
	f.dirty = true
	f.errs = nil
	it.si = j
	f.focusItem(it)
	return true
}

// spec builds the copy spec from the form.
func (f *copyForm) spec() models.CopySpec {
	spec := models.CopySpec{Source: f.srcRef}
	if t := f.title.Value(); t != f.titleFilled {
		spec.Title = &t
	}
	if msg := f.message.Value(); msg != f.messageFilled && !f.fixed("message") {
		spec.Message = &msg
	}
	for _, g := range f.signers {
		cs := models.CopySigner{ID: g.id, Role: g.role, Order: g.order, Email: strings.TrimSpace(g.email.Value())}
		if f.split {
			cs.FirstName, cs.LastName = strings.TrimSpace(g.first.Value()), strings.TrimSpace(g.last.Value())
		} else {
			cs.Name = strings.TrimSpace(g.name.Value())
		}
		spec.Signers = append(spec.Signers, cs)
	}
	if f.offers("test_mode") && (f.testMode != f.src.TestMode || f.caps.TestModeForced) {
		tm := f.testMode
		spec.Options.TestMode = &tm
	}
	spec.Options.CancelOriginal = f.offers("cancel_original") && f.cancel
	spec.Options.RetainFields = f.offers("retain_fields") && f.retain
	if f.offers("transaction_id") {
		spec.Options.TransactionID = strings.TrimSpace(f.txn.Value())
	}
	return spec
}

// validate checks the form; errors are shown next to their fields.
func (f *copyForm) validate() bool {
	spec := f.spec()
	err := spec.Validate(f.caps.Limits)
	f.errs = nil
	if err == nil {
		return true
	}
	var ve models.ValidationErrors
	if errors.As(err, &ve) {
		f.errs = ve
	} else {
		f.errs = models.ValidationErrors{{Path: "form", Msg: err.Error()}}
	}
	// Focus the first offending field.
	if it, ok := f.itemForPath(f.errs[0].Path); ok {
		f.focusItem(it)
	}
	return false
}

var signerPathRE = regexp.MustCompile(`^signers\[(\d+)\]\.(\w+)$`)

func (f *copyForm) itemForPath(path string) (formItem, bool) {
	switch path {
	case "title":
		return formItem{kind: itTitle}, true
	case "message", "subject":
		return formItem{kind: itMessage}, true
	case "signers":
		return formItem{kind: itAdd}, true
	case "options.transaction_id", "transaction_id":
		return formItem{kind: itTxn}, true
	case "options.test_mode":
		return formItem{kind: itTestMode}, true
	case "options.cancel_original":
		return formItem{kind: itCancelOrig}, true
	}
	if mm := signerPathRE.FindStringSubmatch(path); mm != nil {
		i, _ := strconv.Atoi(mm[1])
		switch mm[2] {
		case "email":
			return formItem{itEmail, i}, true
		case "last_name":
			if f.split {
				return formItem{itLast, i}, true
			}
		}
		return f.firstNameItem(i), true
	}
	return formItem{}, false
}

// errsFor returns the messages of errors whose path is exactly path.
func (f *copyForm) errsFor(path string) []string {
	var out []string
	for _, e := range f.errs {
		if e.Path == path {
			out = append(out, e.Msg)
		}
	}
	return out
}

// keyCopy handles keys while the copy form (or its review) is open.
func (m *Model) keyCopy(f *copyForm, msg tea.KeyPressMsg) tea.Cmd {
	s := msg.String()
	switch {
	case f.sending:
		// Locked: the copy is on its way; nothing may send it again.
		if s == "ctrl+c" {
			return m.requestQuit()
		}
		return nil
	case f.discardAsk:
		f.discardAsk = false
		if s == "y" {
			m.dropOverlay(f)
			return m.setFlash(flashInfo, "Copy discarded")
		}
		return nil
	case f.loading || f.loadErr != nil:
		if s == "esc" || s == "ctrl+c" || s == "q" {
			m.dropOverlay(f)
		}
		return nil
	case f.reviewing:
		if s == "y" {
			return m.sendCopy()
		}
		f.reviewing = false
		f.sendErr = nil
		return nil
	}
	switch s {
	case "esc", "ctrl+c":
		if f.dirty {
			f.discardAsk = true
			return nil
		}
		m.dropOverlay(f)
		return nil
	case "ctrl+s":
		if f.validate() {
			f.reviewing = true
		}
		return nil
	case "tab", "down":
		f.focus = (f.focus + 1) % len(f.items())
		f.syncFocus()
		return nil
	case "shift+tab", "up":
		n := len(f.items())
		f.focus = (f.focus - 1 + n) % n
		f.syncFocus()
		return nil
	case "ctrl+n":
		f.addSigner()
		return nil
	case "ctrl+x":
		f.removeSigner()
		return nil
	case "alt+up", "alt+k":
		f.moveSigner(-1)
		return nil
	case "alt+down", "alt+j":
		f.moveSigner(1)
		return nil
	}
	it := f.focused()
	// "+" adds a signer unless the focus is in a text field, where it is
	// text (emails and titles may hold a '+'); ctrl+n adds from anywhere.
	if s == "+" && f.input(it) == nil {
		f.addSigner()
		return nil
	}
	switch it.kind {
	case itAdd:
		if s == "enter" || s == "space" {
			f.addSigner()
		}
		return nil
	case itTestMode, itCancelOrig, itRetain, itSendNow:
		if s == "enter" || s == "space" || s == "x" {
			switch it.kind {
			case itSendNow:
				f.sendNow = !f.sendNow
			case itTestMode:
				if f.caps.TestModeForced {
					f.errs = models.ValidationErrors{{Path: "options.test_mode", Msg: "always on: the account's config sets test_mode: true"}}
					return nil
				}
				f.testMode = !f.testMode
			case itCancelOrig:
				// The service's rule: a source this account cannot cancel
				// (its status, a teammate's request) is not offered.
				if r := app.CancelOriginalBlocked(&f.src); r != "" && !f.cancel {
					f.errs = models.ValidationErrors{{Path: "options.cancel_original", Msg: "unavailable: " + r}}
					return nil
				}
				f.cancel = !f.cancel
			case itRetain:
				f.retain = !f.retain
			}
			f.dirty = true
		}
		return nil
	}
	if s == "enter" {
		f.focus = (f.focus + 1) % len(f.items())
		f.syncFocus()
		return nil
	}
	in := f.input(it)
	if in == nil {
		return nil
	}
	before := in.Value()
	var cmd tea.Cmd
	*in, cmd = in.Update(msg)
	if in.Value() != before {
		f.dirty = true
	}
	return cmd
}

// sendCopy sends the reviewed copy through the service. The form stays
// locked until the answer comes back. After an unknown outcome the next
// send is a retry of that operation (the service looks for the copy
// first); otherwise it is a first attempt, which never searches.
func (m *Model) sendCopy() tea.Cmd {
	f := m.copyOv()
	if f == nil || f.sending {
		return nil
	}
	if !f.validate() {
		f.reviewing = false
		return nil
	}
	a := m.acct(f.acctName)
	if a == nil || a.Provider == nil {
		f.sendErr = errors.New(noTokenReasonFor(a, f.acctName))
		return nil
	}
	if m.svc == nil {
		f.sendErr = errors.New("no operations journal is open in this session, so nothing can be sent")
		return nil
	}
	f.sending = true
	f.sendErr = nil
	req := app.CopyRequest{Account: m.appAccount(a), Source: f.src, Spec: f.spec(), Again: f.again, SendNow: f.sendNow}
	req.Source.Ref = f.srcRef
	svc, id, ctx, retry := m.svc, f.id, m.ctx, f.opID
	return func() tea.Msg {
		if retry != "" {
			return copyResultMsg{form: id, res: svc.RetryCopy(ctx, req.Account, retry)}
		}
		return copyResultMsg{form: id, res: svc.Copy(ctx, req)}
	}
}

func (m *Model) handleCopyResult(msg copyResultMsg) tea.Cmd {
	f := m.copyOv()
	if f == nil || f.id != msg.form {
		return nil
	}
	f.sending = false
	res := msg.res
	switch res.Outcome {
	case app.OutcomeOK:
	case app.OutcomeSkipped:
		if errors.Is(res.Err, app.ErrDuplicateCopy) {
			// Ask first: the next send goes out all the same.
			f.again = true
			f.sendErr = fmt.Errorf("%s. Send again to make another copy all the same", res.Reason)
			return nil
		}
		f.sendErr = errors.New(res.Reason)
		return nil
	case app.OutcomeUnknown:
		f.opID = res.OpID
		f.sendErr = &unknownCopyError{reason: res.Reason}
		return m.logCmd(slogWarn, "copy outcome unknown", "ref", f.srcRef.String(), "op", res.OpID, "err", res.Reason)
	default:
		f.opID = ""
		f.sendErr = errors.New(res.Reason)
		var pe *providers.Error
		if errors.As(res.Err, &pe) && pe.Path != "" {
			if _, ok := f.itemForPath(pe.Path); ok {
				f.errs = append(f.errs, &models.FieldError{Path: pe.Path, Msg: models.CleanText(pe.Message)})
			}
		}
		return m.logCmd(slogWarn, "copy failed", "ref", f.srcRef.String(), "op", res.OpID, "err", res.Reason)
	}
	m.dropOverlay(f)
	m.recordOutcome("Copy", f.srcTitle, res.Outcome, res.Reason)
	ns := res.Session
	if ns.Ref.Account == "" {
		ns.Ref.Account = f.acctName
	}
	if ns.Provider == "" {
		ns.Provider = f.kind
	}
	var cmds []tea.Cmd
	if m.curView != "" {
		// A copy is a new, active session: show it in the active view.
		cmds = append(cmds, m.setView(""))
	}
	var gen uint64
	ai := -1
	if i, ok := m.acctByName[ns.Ref.Account]; ok {
		ai, gen = i, m.accts[i].gen
	}
	if ns.Ref.ID != "" && ai >= 0 {
		m.upsert(ns, ai, gen)
	}
	state := ns.Status.Label()
	level := flashOK
	switch {
	case res.Sent != nil && res.Sent.Outcome == app.OutcomeOK:
		state = "sent to the signers"
		ns.Status = models.StatusAwaitingSignature
	case res.Sent != nil:
		state = "a draft: sending it failed: " + models.CleanText(res.Sent.Reason)
		level = flashWarn
	case ns.Status == models.StatusDraft:
		state = "a draft that invites nobody yet"
	}
	text := fmt.Sprintf("Copied %s to %s (%s)", f.srcTitle, models.CleanText(ns.Ref.ID), state)
	if res.Recovered {
		text += " (found by its operation id; nothing was sent twice)"
	}
	if oc := res.Original; oc != nil {
		switch {
		case oc.Outcome == app.OutcomePending:
			text += "; cancel of the original requested"
			cmds = append(cmds, m.followCancel(f.srcRef, f.srcTitle, oc.OpID))
			m.setRowStatus(f.srcRef, models.StatusCancelPending)
		case oc.Outcome == app.OutcomeOK:
			text += "; original canceled"
			m.setRowStatus(f.srcRef, oc.Status)
		default:
			level = flashWarn
			text += "; canceling the original failed: " + oc.Reason
		}
	}
	m.rebuild()
	if !m.selectRef(ns.Ref) && m.filterText != "" {
		// The filter hides the new session: clear it so it can be selected.
		m.setFilter("")
		m.selectRef(ns.Ref)
		text += " (filter cleared to show it)"
	}
	cmds = append(cmds, m.setFlash(level, text))
	return tea.Batch(cmds...)
}

// unknownCopyError is a send whose outcome is unknown.
type unknownCopyError struct{ reason string }

func (e *unknownCopyError) Error() string { return e.reason }

// copyErrText explains a failed send.
func (f *copyForm) copyErrText() string {
	if f.sendErr == nil {
		return ""
	}
	var ue *unknownCopyError
	if errors.As(f.sendErr, &ue) {
		return fmt.Sprintf("Outcome unknown: %s. Sending again is safe: signdeck first looks for operation %s and sends only if it does not exist.",
			models.CleanText(ue.reason), f.opID)
	}
	return "Copy failed: " + cleanErr(f.sendErr)
}
