package ui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
)

// layoutInputs resizes inputs after a terminal resize.
func (m *Model) layoutInputs() {
	m.filterInput.SetWidth(max(10, m.width-4))
	if p := m.openOv(); p != nil {
		p.input.SetWidth(openInputWidth(m.width))
	}
	if f := m.copyOv(); f != nil {
		f.width = m.formWidth()
		f.layout()
	}
	if p := openAs[*paletteOverlay](m); p != nil {
		p.input.SetWidth(paletteWidth(m) - 8)
	}
}

// renderModal returns the open overlay's box, or "".
func (m *Model) renderModal() string {
	if m.ov == nil {
		return ""
	}
	return m.ov.view(m)
}

func (m *Model) renderCancelPrompt(p *cancelPrompt) string {
	st := m.st
	maxW := max(30, min(m.width-6, 90))
	var b []string
	n := len(p.targets)
	if n == 1 {
		t := p.targets[0]
		b = append(b, st.Title.Render("Cancel this session?"), "",
			fmt.Sprintf("%q", t.title), st.Dim.Render("account ")+t.acct+st.Dim.Render(" ("+t.kind.Label()+")"))
	} else {
		per := map[string]int{}
		var order []string
		for _, t := range p.targets {
			if per[t.acct] == 0 {
				order = append(order, t.acct)
			}
			per[t.acct]++
		}
		var in []string
		for _, a := range order {
			in = append(in, fmt.Sprintf("%d in %s", per[a], a))
		}
		b = append(b, st.Title.Render(fmt.Sprintf("Cancel %d sessions?", n)), "", strings.Join(in, ", "))
		// As many targets as fit: the rest of the prompt takes about 10
		// lines, its border 2, and the screen's own lines 4.
		fixedLines := 16
		if len(p.skipped) > 0 {
			fixedLines += 2 + min(len(p.skipped), 4) + 1
		}
		show := min(n, max(5, m.height-fixedLines))
		for _, t := range p.targets[:show] {
			b = append(b, "  • "+ansi.Truncate(t.title, maxW-20, ellipsis)+st.Dim.Render(" ("+t.acct+")"))
		}
		if n > show {
			b = append(b, st.Dim.Render(fmt.Sprintf("  … and %d more", n-show)))
		}
	}
	if p.hidden > 0 {
		b = append(b, st.Warn.Render(fmt.Sprintf("%d marked session%s %s hidden by the current filter.", p.hidden, plural(p.hidden), map[bool]string{true: "is", false: "are"}[p.hidden == 1])))
	}
	if len(p.skipped) > 0 {
		b = append(b, "", st.Bold.Render(fmt.Sprintf("Skipped, not sent (%d):", len(p.skipped))))
		show := min(len(p.skipped), 4)
		for _, t := range p.skipped[:show] {
			b = append(b, "  "+st.Dim.Render(glyphErr+" ")+ansi.Truncate(t.title, maxW/2, ellipsis)+st.Dim.Render(" — "+t.reason))
		}
		if len(p.skipped) > show {
			b = append(b, st.Dim.Render(fmt.Sprintf("  … and %d more", len(p.skipped)-show)))
		}
	}
	b = append(b, "", st.Err.Render("This cannot be undone."))
	if p.needCount {
		b = append(b, fmt.Sprintf("Type %d to confirm, then y or enter: ", n)+p.input.View())
		if p.err != "" {
			b = append(b, st.Err.Render(p.err))
		}
		b = append(b, st.Dim.Render("esc or any other key aborts"))
	} else {
		b = append(b, st.Bold.Render("[y/N]")+st.Dim.Render("  y cancels · enter, esc or any other key aborts"))
	}
	for i, l := range b {
		b[i] = ansi.Truncate(l, maxW, ellipsis)
	}
	return st.Danger.Render(strings.Join(b, "\n"))
}

func (m *Model) renderLogin(l *loginState) string {
	st := m.st
	a := m.accts[l.acct]
	lines := []string{st.Title.Render("Log in to " + a.label + " (" + a.Kind.Label() + ")"), ""}
	lines = append(lines, l.input.View())
	if l.sending {
		lines = append(lines, m.spin()+" verifying with the provider…")
	} else {
		lines = append(lines, st.Dim.Render("The token is verified with the provider first, then stored."))
	}
	if l.err != "" {
		lines = append(lines, st.Err.Render(ansi.Wordwrap(l.err, 60, " ")))
	}
	lines = append(lines, "", st.Dim.Render("enter verify & save · esc cancel"))
	return st.Modal.Render(strings.Join(lines, "\n"))
}

func (m *Model) renderLogout(o *logoutAsk) string {
	st := m.st
	a := m.accts[o.acct]
	lines := []string{st.Title.Render("Log out of " + a.label + "?"), ""}
	switch a.TokenSource {
	case "env":
		lines = append(lines, "The token comes from an environment variable:", "logout won't remove the env var; unset it yourself.")
	case "keyring":
		lines = append(lines, "The token will be removed from the keyring.")
	default:
		lines = append(lines, "The token will be forgotten.")
	}
	lines = append(lines, "", st.Bold.Render("[y/N]")+st.Dim.Render("  only y logs out"))
	return st.Danger.Render(strings.Join(lines, "\n"))
}

// renderCopy draws the copy form, its review, or the discard question.
func (m *Model) renderCopy(f *copyForm) string {
	st := m.st
	w := f.width
	head := st.Title.Render("Copy ") + fmt.Sprintf("%q", ansi.Truncate(f.srcTitle, w-30, ellipsis)) +
		st.Dim.Render(" ("+m.acctLabel(f.acctName)+")")
	var lines []string
	focusLine := 0
	switch {
	case f.loading:
		lines = []string{head, "", m.spin() + " loading the source session…", "", st.Dim.Render("esc close")}
	case f.loadErr != nil:
		lines = []string{head, "", st.Err.Render(ansi.Wordwrap("Could not load the source: "+cleanErr(f.loadErr), w-4, " ")), "", st.Dim.Render("esc close")}
	case f.reviewing || f.sending:
		lines = m.renderCopyReview(f, head)
	default:
		lines, focusLine = m.renderCopyForm(f, head)
	}
	if f.discardAsk {
		lines = append(lines, "", st.Warn.Render("Discard your changes to this copy? ")+st.Bold.Render("[y/N]"))
		focusLine = len(lines) - 1
	}
	// Wrapped messages hold newlines; they come after the focused field.
	lines = strings.Split(strings.Join(lines, "\n"), "\n")
	// Keep the focused line in view when the form is taller than the screen.
	maxH := max(5, m.bodyHeight()-2)
	if len(lines) > maxH {
		top := max(0, min(focusLine-maxH/2, len(lines)-maxH))
		lines = lines[top : top+maxH]
	}
	for i, l := range lines {
		lines[i] = fitLine(l, w-4)
	}
	return st.Modal.Render(strings.Join(lines, "\n"))
}

func (m *Model) acctLabel(name string) string {
	if a := m.acct(name); a != nil {
		return a.label
	}
	return models.CleanText(name)
}

func (m *Model) renderCopyForm(f *copyForm, head string) ([]string, int) {
	st := m.st
	cur := f.focused()
	focusLine := 0
	var lines []string
	mark := func(it formItem) string {
		if it == cur {
			focusLine = len(lines)
			return st.Focus.Render(glyphCursor) + " "
		}
		return "  "
	}
	errLines := func(path string) {
		for _, e := range f.errsFor(path) {
			lines = append(lines, "    "+st.Err.Render(glyphErr+" "+path+": "+models.CleanText(e)))
		}
	}
	if f.opID != "" {
		head += st.Dim.Render("  op " + shortOp(f.opID))
	}
	lines = append(lines, head, "")
	for _, e := range f.errsFor("source") {
		lines = append(lines, st.Err.Render(glyphErr+" "+e))
	}
	lines = append(lines, mark(formItem{kind: itTitle})+"Title    "+f.title.View())
	errLines("title")
	if f.fixed("message") {
		lines = append(lines, "  Message  "+st.Dim.Render("kept from the source (a "+f.kind.Label()+" copy cannot change it)"))
	} else {
		lines = append(lines, mark(formItem{kind: itMessage})+"Message  "+f.message.View())
	}
	errLines("message")
	errLines("subject")
	lines = append(lines, "", st.Bold.Render(fmt.Sprintf("Signers (%d)", len(f.signers))))
	errLines("signers")
	for i, g := range f.signers {
		p := fmt.Sprintf("signers[%d]", i)
		num := fmt.Sprintf("%2d. ", i+1)
		if f.split {
			lines = append(lines, mark(formItem{itFirst, i})+num+"First "+g.first.View())
			lines = append(lines, mark(formItem{itLast, i})+"    Last  "+g.last.View())
		} else {
			lines = append(lines, mark(formItem{itName, i})+num+"Name  "+g.name.View())
		}
		lines = append(lines, mark(formItem{itEmail, i})+"    Email "+g.email.View()+st.Dim.Render(fmt.Sprintf("  order %d", g.order)))
		for _, sub := range []string{".name", ".last_name", ".email", ".order"} {
			errLines(p + sub)
		}
	}
	lines = append(lines, mark(formItem{kind: itAdd})+st.Key.Render("[+ add signer]"))
	if len(f.caps.CopyOptions) > 0 {
		lines = append(lines, "", st.Bold.Render("Options"))
	}
	box := func(on bool) string {
		if on {
			return "[x]"
		}
		return "[ ]"
	}
	for _, it := range f.items() {
		switch it.kind {
		case itRetain:
			lines = append(lines, mark(it)+box(f.retain)+" retain placed fields")
		case itTxn:
			lines = append(lines, mark(it)+"Transaction "+f.txn.View())
			errLines("options.transaction_id")
		case itTestMode:
			if f.caps.TestModeForced {
				lines = append(lines, mark(it)+box(true)+" test mode (set by the account's config)")
			} else {
				lines = append(lines, mark(it)+box(f.testMode)+" test mode")
			}
			errLines("options.test_mode")
		case itSendNow:
			lines = append(lines, mark(it)+box(f.sendNow)+" send now (a copy lands as a draft that invites nobody)")
		case itCancelOrig:
			if r := app.CancelOriginalBlocked(&f.src); r != "" && !f.cancel {
				lines = append(lines, mark(it)+st.Dim.Render("[-] cancel the original: unavailable ("+models.CleanText(r)+")"))
			} else {
				lines = append(lines, mark(it)+box(f.cancel)+" cancel the original once the copy exists")
			}
			errLines("options.cancel_original")
		}
	}
	for _, e := range f.errs {
		if _, ok := f.itemForPath(e.Path); !ok && e.Path != "source" && e.Path != "signers" {
			lines = append(lines, st.Err.Render(glyphErr+" "+e.Path+": "+models.CleanText(e.Msg)))
		}
	}
	if f.sendErr != nil {
		lines = append(lines, "", st.Err.Render(ansi.Wordwrap(f.copyErrText(), f.width-6, " ")))
	}
	return lines, focusLine
}

func shortOp(id string) string {
	if len(id) > 8 {
		return id[:8] + "…"
	}
	return id
}

func (m *Model) renderCopyReview(f *copyForm, head string) []string {
	st := m.st
	spec := f.spec()
	lines := []string{st.Title.Render("Review: ") + head, ""}
	lines = append(lines, st.Bold.Render("Signers"))
	who := func(name, email string, order int) string {
		return fmt.Sprintf("%s <%s> (order %d)", models.CleanText(name), models.CleanText(email), order)
	}
	changes := models.DiffSigners(f.src.Signers, spec.Signers)
	for _, c := range changes {
		switch c.Kind {
		case "kept":
			lines = append(lines, "  = "+who(c.After.FullName(), c.After.Email, c.After.Order))
		case "changed":
			lines = append(lines, st.Changed.Render("  ~ "+who(c.Before.DisplayName(), c.Before.Email, c.Before.Order)+" → "+who(c.After.FullName(), c.After.Email, c.After.Order)))
		case "added":
			lines = append(lines, st.Added.Render("  + "+who(c.After.FullName(), c.After.Email, c.After.Order)))
		case "removed":
			lines = append(lines, st.Removed.Render("  - "+who(c.Before.DisplayName(), c.Before.Email, c.Before.Order)))
		}
	}
	unchanged := true
	for _, c := range changes {
		if c.Kind != "kept" {
			unchanged = false
		}
	}
	if unchanged {
		lines = append(lines, st.Dim.Render("  signers unchanged: this re-sends the session to the same people"))
	}
	lines = append(lines, "")
	if spec.Title != nil {
		lines = append(lines, st.Changed.Render(fmt.Sprintf("Title    ~ %q → %q", models.CleanText(f.src.Title), models.CleanText(*spec.Title))))
	} else {
		lines = append(lines, "Title    = "+fmt.Sprintf("%q", models.CleanText(f.src.Title)))
	}
	if spec.Message != nil {
		lines = append(lines, st.Changed.Render(fmt.Sprintf("Message  ~ %q → %q", ansi.Truncate(models.CleanText(f.src.Message), 30, ellipsis), ansi.Truncate(models.CleanText(*spec.Message), 30, ellipsis))))
	} else {
		lines = append(lines, "Message  = unchanged")
	}
	var opts []string
	for _, it := range f.items() {
		switch it.kind {
		case itRetain:
			opts = append(opts, "retain fields "+yesNo(spec.Options.RetainFields))
		case itTxn:
			if spec.Options.TransactionID != "" {
				opts = append(opts, "transaction "+models.CleanText(spec.Options.TransactionID))
			} else {
				opts = append(opts, "transaction: the source's")
			}
		case itTestMode:
			opts = append(opts, "test mode "+yesNo(f.testMode))
		case itCancelOrig:
			opts = append(opts, "cancel original "+yesNo(f.cancel))
		}
	}
	if len(opts) > 0 {
		lines = append(lines, "Options  "+strings.Join(opts, ", "))
	}
	if f.cancel {
		lines = append(lines, st.Warn.Render("The original will be canceled once the copy exists. This cannot be undone."))
	}
	if f.opID != "" {
		lines = append(lines, st.Dim.Render("Operation "+f.opID+" (its outcome is unknown: sending again looks for it first)"))
	}
	lines = append(lines, "")
	switch {
	case f.sending:
		lines = append(lines, m.spin()+" sending… (locked: the copy is sent once)")
	case f.sendErr != nil:
		lines = append(lines, st.Err.Render(ansi.Wordwrap(f.copyErrText(), f.width-6, " ")), "",
			"Retry? "+st.Bold.Render("[y/N]")+st.Dim.Render("  "+retryHint(f)+" · any other key returns to the form"))
	default:
		lines = append(lines, "Send this copy? "+st.Bold.Render("[y/N]")+st.Dim.Render("  only y sends · any other key returns to the form"))
	}
	return lines
}

// retryHint says what y does after a failed send.
func retryHint(f *copyForm) string {
	switch {
	case f.opID != "":
		return "y looks for operation " + shortOp(f.opID) + " and sends only if it does not exist"
	case f.again:
		return "y sends another copy all the same"
	}
	return "y sends again"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// renderHelp lists every action with its keys, from the key map. Blocks
// are packed into as many columns as fit; what does not fit scrolls.
func (m *Model) renderHelp(ho *helpOverlay, w, h int) string {
	st := m.st
	var blocks []string
	for _, g := range m.keys.helpGroups() {
		keyW := 0
		for _, b := range g.keys {
			keyW = max(keyW, ansi.StringWidth(b.Help().Key))
		}
		keyW = min(keyW, 16)
		lines := []string{st.Title.Render(g.title)}
		for _, b := range g.keys {
			lines = append(lines, "  "+st.Key.Render(pad(b.Help().Key, keyW))+"  "+b.Help().Desc)
		}
		blocks = append(blocks, strings.Join(lines, "\n"))
	}
	if m.opts.Readonly {
		// The removed actions are not listed; say why they are missing.
		blocks = append(blocks, strings.Join([]string{
			st.Title.Render("Read-only mode"),
			"  canceling and copying are off:",
			"  --readonly or ui.readonly is set",
		}, "\n"))
	}
	blocks = append(blocks, strings.Join([]string{
		st.Title.Render("Filter (" + m.keys.label(actFilter) + ")"),
		"  all words must match; lowercase",
		"  ignores case, Uppercase doesn't",
		"  status:awaiting,draft account:acme",
		"  provider:c1 signer:ana -excluded",
	}, "\n"), strings.Join([]string{
		st.Title.Render("Sort"),
		"  " + m.keys.label(actSort) + "  next column (shown ▲/▼)",
		"  " + m.keys.label(actReverse) + "  reverse the direction",
	}, "\n"))
	colW, total := 0, 0
	for _, b := range blocks {
		colW = max(colW, lipgloss.Width(b))
		total += lipgloss.Height(b) + 1
	}
	ncols := max(1, min(len(blocks), (w+2)/(colW+2)))
	per := max((total+ncols-1)/ncols, 1)
	var cols, cur []string
	curH := 0
	for _, b := range blocks {
		bh := lipgloss.Height(b) + 1
		if curH > 0 && curH+bh > per && len(cols) < ncols-1 {
			cols = append(cols, strings.Join(cur, "\n\n"))
			cur, curH = nil, 0
		}
		cur = append(cur, b)
		curH += bh
	}
	if len(cur) > 0 {
		cols = append(cols, strings.Join(cur, "\n\n"))
	}
	var lines []string
	for ci, c := range cols {
		for i, l := range strings.Split(c, "\n") {
			for len(lines) <= i {
				lines = append(lines, strings.Repeat(" ", ci*(colW+2)))
			}
			lines[i] = fitLine(lines[i], ci*(colW+2)) + fitLine(l, colW)
		}
	}
	return fitBlock(strings.Join(ho.scrolled(m, lines, h), "\n"), w, h)
}

// renderAccounts lists the accounts with token source, health and budget.
func (m *Model) renderAccounts(w, h int) string {
	st := m.st
	nameW := len("ACCOUNT")
	for _, a := range m.accts {
		nameW = max(nameW, ansi.StringWidth(models.CleanText(a.Name)))
	}
	nameW = min(nameW, 20)
	lines := []string{st.Title.Render("Accounts") + st.Dim.Render("  "+m.keys.label(actLogin)+" log in · "+m.keys.label(actLogout)+" log out · esc back"), ""}
	hdr := fmt.Sprintf("  %s %s %s %s %s %s", pad("ACCOUNT", nameW), pad("PROVIDER", 14), pad("TOKEN", 8), pad("SESSIONS", 8), pad("BUDGET", 12), "HEALTH")
	lines = append(lines, st.ColHeader.Render(fitLine(hdr, w)))
	for i, a := range m.accts {
		cur := " "
		if i == m.accountsCur {
			cur = glyphCursor
		}
		budget := "–"
		if a.Provider != nil {
			if b := a.Provider.Budget(); b.Known() {
				switch {
				case b.Waiting:
					budget = glyphWait + " " + b.Reset.In(m.now().Location()).Format("15:04:05")
				case b.Limit > 0:
					budget = fmt.Sprintf("%d/%d", b.Remaining, b.Limit)
				default:
					budget = fmt.Sprintf("%d left", b.Remaining)
				}
			} else {
				budget = "unknown"
			}
		}
		line := fmt.Sprintf("%s %s %s %s %s %s %s", cur, pad(models.CleanText(a.Name), nameW), pad(a.Kind.Label(), 14),
			pad(models.CleanText(a.TokenSource), 8), pad(fmtCount(a.count), 8), pad(budget, 12), m.health(a))
		line = fitLine(line, w)
		if i == m.accountsCur {
			line = st.Cursor.Render(ansi.Strip(line))
		}
		lines = append(lines, line)
	}
	if a := m.curAccount(); a != nil {
		lines = append(lines, "")
		if a.Err != nil {
			lines = append(lines, st.Err.Render(ansi.Wordwrap("Setup error: "+cleanErr(a.Err), w-2, " ")))
		}
		if a.err != nil {
			lines = append(lines, st.Err.Render(ansi.Wordwrap("Last listing failed: "+cleanErr(a.err), w-2, " ")))
		}
		if a.TokenSource == "env" {
			lines = append(lines, st.Dim.Render("The token comes from an environment variable; logging out won't remove it."))
		}
		if a.Provider == nil {
			lines = append(lines, st.Dim.Render("No token: press "+m.keys.label(actLogin)+" to log in."))
		}
	}
	return fitBlock(strings.Join(lines, "\n"), w, h)
}

// health is an account's state in words.
func (m *Model) health(a *acctState) string {
	st := m.st
	switch {
	case a.Provider == nil && a.Err != nil:
		return st.Err.Render(glyphErr + " " + cleanErr(a.Err))
	case a.Provider == nil:
		return st.Dim.Render(glyphNoToken + " no token — press " + m.keys.label(actLogin) + " to log in")
	case a.loading:
		return m.spin() + " loading"
	case a.err != nil:
		return st.Err.Render(glyphErr + " " + cleanErr(a.err))
	case a.loaded:
		return st.OK.Render(glyphOK+" ok") + st.Dim.Render(" "+a.lastLoad.In(m.now().Location()).Format("15:04:05"))
	}
	return st.Dim.Render("never loaded")
}
