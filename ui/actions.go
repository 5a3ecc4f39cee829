package ui

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// The triage actions of issue 10 in the dashboard: remind, send a draft,
// download, yank, open in the browser and the message log. Each runs
// through the service layer (which journals what changes something).

// askPrompt is a y/N confirmation for an action on one or more rows.
type askPrompt struct {
	title string
	lines []string
	yes   func() tea.Cmd
}

func (m *Model) keyAsk(p *askPrompt, msg tea.KeyPressMsg) tea.Cmd {
	m.dropOverlay(p)
	if msg.String() == "y" {
		return p.yes()
	}
	return m.setFlash(flashInfo, strings.SplitN(p.title, "?", 2)[0]+": aborted")
}

func (m *Model) renderAsk(p *askPrompt) string {
	st := m.st
	var b strings.Builder
	b.WriteString(st.Title.Render(p.title) + "\n\n")
	maxLines := max(1, m.height-10)
	for i, l := range p.lines {
		if i == maxLines-1 && len(p.lines) > maxLines {
			fmt.Fprintf(&b, "… and %d more\n", len(p.lines)-i)
			break
		}
		b.WriteString(l + "\n")
	}
	b.WriteString("\n" + st.Bold.Render("[y/N]") + st.Dim.Render("  only y confirms · any other key aborts"))
	return st.Danger.Render(b.String())
}

// actionTargets returns the rows an action applies to (marks or the
// cursor row) with their accounts; rows of accounts without the
// capability are named in skipped.
func (m *Model) actionTargets(name string, can func(providers.Capabilities) bool) (rows []*row, skipped []string) {
	refs, _ := m.targets()
	for _, ref := range refs {
		r := m.rowByRef(ref)
		a := m.acct(ref.Account)
		switch {
		case r == nil:
			skipped = append(skipped, models.CleanText(ref.String())+": not listed")
		case a == nil || a.Provider == nil:
			skipped = append(skipped, r.title+": "+noTokenReason(a))
		case !can(a.Provider.Capabilities()):
			skipped = append(skipped, fmt.Sprintf("%s: %s cannot %s", r.title, a.Kind.Label(), name))
		default:
			rows = append(rows, r)
		}
	}
	return rows, skipped
}

type actionResultMsg struct {
	action string
	title  string
	ref    models.Ref
	out    app.ActionOutcome
	status models.Status
	// counted: the action was counted in actionsPending when sent.
	counted bool
}

// startRemind asks, then reminds the pending signers of the target rows.
func (m *Model) startRemind() tea.Cmd {
	rows, skipped := m.actionTargets("remind signers", func(c providers.Capabilities) bool { return c.Remind })
	if len(rows) == 0 {
		return m.flashf(flashWarn, "Remind: %s", orNone(skipped, "no session selected"))
	}
	var lines []string
	for _, r := range rows {
		lines = append(lines, r.acct+"  "+r.title)
	}
	for _, s := range skipped {
		lines = append(lines, m.st.Dim.Render("skipped: "+s))
	}
	m.openOverlay(&askPrompt{title: fmt.Sprintf("Remind the pending signers of %s?", plural2(len(rows), "session")), lines: lines,
		yes: func() tea.Cmd {
			var cmds []tea.Cmd
			for _, r := range rows {
				a := m.appAccount(m.acct(r.s.Ref.Account))
				svc, ctx, ref, title := m.svc, m.ctx, r.s.Ref, r.title
				cmds = append(cmds, func() tea.Msg {
					out := svc.Remind(ctx, a, ref, "")
					return actionResultMsg{action: "Remind", title: title, ref: ref, out: out.ActionOutcome, counted: true}
				})
			}
			m.actionsPending += len(cmds)
			return tea.Batch(append(cmds, m.flashf(flashInfo, "Reminding %s…", plural2(len(rows), "session")))...)
		}})
	return nil
}

// startSend asks, then sends the target drafts.
func (m *Model) startSend() tea.Cmd {
	rows, skipped := m.actionTargets("send drafts", func(c providers.Capabilities) bool { return c.StartDraft })
	var drafts []*row
	for _, r := range rows {
		if r.s.Status == models.StatusDraft {
			drafts = append(drafts, r)
		} else {
			skipped = append(skipped, r.title+": not a draft")
		}
	}
	if len(drafts) == 0 {
		return m.flashf(flashWarn, "Send: %s", orNone(skipped, "no session selected"))
	}
	var lines []string
	for _, r := range drafts {
		lines = append(lines, r.acct+"  "+r.title)
	}
	m.openOverlay(&askPrompt{title: fmt.Sprintf("Send %s to the signers?", plural2(len(drafts), "draft")), lines: lines,
		yes: func() tea.Cmd {
			var cmds []tea.Cmd
			for _, r := range drafts {
				a := m.appAccount(m.acct(r.s.Ref.Account))
				svc, ctx, ref, title := m.svc, m.ctx, r.s.Ref, r.title
				cmds = append(cmds, func() tea.Msg {
					out := svc.StartDraft(ctx, a, ref, title)
					return actionResultMsg{action: "Send", title: title, ref: ref, out: out.ActionOutcome, status: out.Status, counted: true}
				})
			}
			m.actionsPending += len(cmds)
			return tea.Batch(cmds...)
		}})
	return nil
}

// startDownload saves the target rows' documents into the download
// directory (nothing changes at the provider, so no confirmation).
func (m *Model) startDownload() tea.Cmd {
	rows, skipped := m.actionTargets("download documents", func(c providers.Capabilities) bool { return c.Download })
	if len(rows) == 0 {
		return m.flashf(flashWarn, "Download: %s", orNone(skipped, "no session selected"))
	}
	dir := m.opts.DownloadDir
	if dir == "" {
		return m.setFlash(flashWarn, "Download: no download directory is set")
	}
	var cmds []tea.Cmd
	for _, r := range rows {
		a := m.appAccount(m.acct(r.s.Ref.Account))
		svc, ctx, ref, title := m.svc, m.ctx, r.s.Ref, r.title
		cmds = append(cmds, func() tea.Msg {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
			defer cancel()
			out := svc.Download(ctx, a, ref, dir, "", nil)
			res := actionResultMsg{action: "Download", title: title, ref: ref, counted: true,
				out: app.ActionOutcome{Ref: ref, Outcome: out.Outcome, Reason: out.Reason, Err: out.Err}}
			if out.Outcome == app.OutcomeOK {
				res.out.Reason = "saved " + strings.Join(out.Paths, ", ")
			}
			return res
		})
	}
	m.actionsPending += len(cmds)
	return tea.Batch(append(cmds, m.flashf(flashInfo, "Downloading %s into %s…", plural2(len(rows), "session"), dir))...)
}

func (m *Model) handleActionResult(msg actionResultMsg) tea.Cmd {
	if msg.counted {
		m.actionsPending = max(0, m.actionsPending-1)
	}
	out := msg.out
	if msg.status != "" && out.Outcome == app.OutcomeOK {
		m.setRowStatus(msg.ref, msg.status)
		if out.Reason == "" {
			// A sent draft: say what it is now, as the CLI does.
			out.Reason = "now " + strings.ToLower(msg.status.Label())
		}
	}
	m.recordOutcome(msg.action, msg.title, out.Outcome, out.Reason)
	var detail []string
	for _, so := range out.Signers {
		if so.Outcome != app.OutcomeOK && so.Reason != "" {
			detail = append(detail, models.CleanText(so.Signer.Email)+": "+models.CleanText(so.Reason))
		}
	}
	text := fmt.Sprintf("%s %s: %s", msg.action, msg.title, out.Outcome)
	if out.Reason != "" {
		text += " (" + models.CleanText(out.Reason) + ")"
	}
	if len(detail) > 0 && out.Reason == "" {
		text += "; " + strings.Join(detail, "; ")
	}
	level := flashOK
	switch out.Outcome {
	case app.OutcomeSkipped:
		level = flashWarn
	case app.OutcomeFailed, app.OutcomeUnknown, app.OutcomeNotSent:
		level = flashErr
	}
	return m.setFlash(level, text)
}

// yank copies the cursor row's ref (then, pressed again, its URL) to the
// clipboard with OSC 52.
func (m *Model) yank() tea.Cmd {
	r := m.current()
	if r == nil {
		return m.setFlash(flashWarn, "Yank: no session selected")
	}
	text, what := r.s.Ref.String(), "ref"
	if m.lastYank == text && r.s.URL != "" {
		text, what = r.s.URL, "URL"
	}
	m.lastYank = text
	return tea.Batch(tea.SetClipboard(models.CleanText(text)), m.flashf(flashOK, "Copied the %s to the clipboard: %s", what, models.CleanText(text)))
}

// openBrowser opens the cursor row's web page: https only, or loopback.
func (m *Model) openBrowser() tea.Cmd {
	r := m.current()
	if r == nil {
		return m.setFlash(flashWarn, "Browse: no session selected")
	}
	u := r.s.URL
	if !providers.SafeWebURL(u) {
		return m.setFlash(flashWarn, "Browse: this session has no web page signdeck may open (https only, or loopback)")
	}
	opener := m.opts.OpenURL
	if opener == nil {
		opener = openURL
	}
	return func() tea.Msg {
		if err := opener(u); err != nil {
			return actionResultMsg{action: "Browse", title: r.title, out: app.ActionOutcome{Outcome: app.OutcomeFailed, Reason: err.Error()}}
		}
		return actionResultMsg{action: "Browse", title: r.title, out: app.ActionOutcome{Outcome: app.OutcomeOK, Reason: "opened in the browser"}}
	}
}

// openURL starts the platform's opener without a shell; its output is
// discarded (nothing may print while the dashboard runs).
func openURL(u string) error {
	name, args := "xdg-open", []string{u}
	switch runtime.GOOS {
	case "darwin":
		name = "open"
	case "windows":
		name, args = "rundll32", []string{"url.dll,FileProtocolHandler", u}
	}
	cmd := exec.Command(name, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}

// renderLog is the message log: the last outcomes, newest first.
// renderLog is the message log in the body: newest first, each entry
// wrapped to the width (its continuation lines indented under the text),
// scrolled from l.top.
func (m *Model) renderLog(l *logOverlay, w, h int) string {
	st := m.st
	lines := []string{st.Title.Render("Message log") + st.Dim.Render(fmt.Sprintf("  last %d outcomes, newest first", maxLogEntries)), ""}
	if len(m.msgLog) == 0 {
		lines = append(lines, st.Dim.Render("Nothing yet: outcomes of cancels, copies, reminders, fixes, downloads and logins appear here."))
	}
	const stampW = len("15:04:05  ")
	textW := max(10, w-stampW)
	for i := len(m.msgLog) - 1; i >= 0; i-- {
		e := m.msgLog[i]
		text := e.action + " " + e.title + ": " + e.outcome
		if e.reason != "" {
			text += " (" + e.reason + ")"
		}
		for j, part := range strings.Split(ansi.Wrap(models.CleanText(text), textW, " -"), "\n") {
			lead := strings.Repeat(" ", stampW)
			if j == 0 {
				lead = st.Dim.Render(e.at.Format("15:04:05")) + "  "
			}
			lines = append(lines, lead+part)
		}
	}
	return fitBlock(strings.Join(l.scrolled(m, lines, h), "\n"), w, h)
}

func orNone(reasons []string, none string) string {
	if len(reasons) == 0 {
		return none
	}
	return strings.Join(reasons, "; ")
}

func plural2(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %ss", n, one)
}
