package cli

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers/constellation/constellationtest"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
	"github.com/signdeck/signdeck/ui"
)

// dash drives a real dashboard model: commands run in goroutines and their
// messages come back through one channel, so timers never block the test.
type dashDriver struct {
	t    *testing.T
	m    tea.Model
	msgs chan tea.Msg
}

func newDash(t *testing.T, opts ui.Options) *dashDriver {
	m, err := ui.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	d := &dashDriver{t: t, m: m, msgs: make(chan tea.Msg, 1024)}
	d.run(m.Init())
	d.send(tea.WindowSizeMsg{Width: 140, Height: 40})
	return d
}

func (d *dashDriver) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		if msg := cmd(); msg != nil {
			d.msgs <- msg
		}
	}()
}

func (d *dashDriver) send(msg tea.Msg) {
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			d.run(c)
		}
		return
	case tea.QuitMsg:
		return
	}
	var cmd tea.Cmd
	d.m, cmd = d.m.Update(msg)
	d.run(cmd)
}

// until feeds messages to the model until cond holds.
func (d *dashDriver) until(what string, cond func(view string) bool) {
	d.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if cond(d.view()) {
			return
		}
		select {
		case msg := <-d.msgs:
			d.send(msg)
		case <-deadline:
			d.t.Fatalf("dashboard: timed out waiting for %s\n%s", what, d.view())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// settle lets the commands still running finish (a journal write that
// answers no message) and feeds their messages.
func (d *dashDriver) settle() {
	// At most 2 s: background sync may go on answering for longer.
	end := time.After(2 * time.Second)
	for {
		select {
		case msg := <-d.msgs:
			d.send(msg)
		case <-time.After(300 * time.Millisecond):
			return
		case <-end:
			return
		}
	}
}

// close stops the dashboard's background work (listings, detail fetches,
// timers) so none of it outlives the test.
func (d *dashDriver) close() {
	if m, ok := d.m.(*ui.Model); ok {
		m.Close()
	}
	d.settle()
}

func (d *dashDriver) view() string {
	v := d.m.View()
	return v.Content
}

func (d *dashDriver) keys(keys ...string) {
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "enter":
			msg = tea.KeyPressMsg{Code: tea.KeyEnter}
		case "space":
			msg = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
		case "tab":
			msg = tea.KeyPressMsg{Code: tea.KeyTab}
		case "shift+tab":
			msg = tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
		case "ctrl+s":
			msg = tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl}
		case "ctrl+u":
			msg = tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
		default:
			r := []rune(k)[0]
			msg = tea.KeyPressMsg{Code: r, Text: k}
		}
		d.send(msg)
	}
}

func (d *dashDriver) typeText(s string) {
	for _, r := range s {
		d.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// open selects a session by ref with the dashboard's open-by-id.
func (d *dashDriver) open(ref string) {
	d.t.Helper()
	d.until("the listing", func(v string) bool { return strings.Contains(v, "✓") })
	d.keys("o")
	d.typeText(ref)
	d.keys("enter")
	d.until("the session open", func(v string) bool { return strings.Contains(v, "Opened "+ref) })
}

// journalRecord is what the parity test compares of a journal line.
type journalRecord struct {
	Action, Ref, Outcome, Status, Reason string
	HasNewRef                            bool
}

func journalOf(t *testing.T, h *harness) []journalRecord {
	var out []journalRecord
	for _, l := range h.auditLines() {
		var j auditJSON
		if err := json.Unmarshal([]byte(l), &j); err != nil {
			t.Fatal(err)
		}
		// The account, not the id: each front end has its own emulator.
		acct, _, _ := strings.Cut(j.Ref, "/")
		out = append(out, journalRecord{Action: j.Action, Ref: acct, Outcome: j.Outcome, Status: j.Status,
			Reason: j.Reason, HasNewRef: j.NewRef != ""})
	}
	return out
}

// TestFrontEndsAgree runs each scenario through the CLI and through the
// dashboard, each against its own emulator built from the same seed, and
// compares the journal records: same outcome, same status, same reason
// text.
func TestFrontEndsAgree(t *testing.T) {
	type setup struct {
		h   *harness
		ref string
	}
	dbx := func(t *testing.T, faults dropboxsigntest.Faults, status models.Status) setup {
		h, srv := newDropboxSign(t, dropboxsigntest.Options{Seed: 12, CancelDelay: 50 * time.Millisecond})
		ref := pick(t, srv, listJSON(t, h), status)
		srv.SetFaults(faults)
		return setup{h, ref}
	}
	c1 := func(t *testing.T, faults constellationtest.Faults, status models.Status) setup {
		h, _ := newConstellation(t, constellationtest.Options{Seed: 12})
		ref := pick1(t, listJSON(t, h), status)
		return setup{h, ref}
	}
	_ = c1
	scenarios := []struct {
		name  string
		setup func(t *testing.T) setup
		cli   []string // after the ref
		keys  func(d *dashDriver)
		wait  string // what the dashboard shows when done
	}{
		{
			name:  "dropboxsign cancel confirmed",
			setup: func(t *testing.T) setup { return dbx(t, dropboxsigntest.Faults{}, models.StatusAwaitingSignature) },
			cli:   []string{"cancel", "--yes", "--wait", "--timeout", "20s"},
			keys:  func(d *dashDriver) { d.keys("x", "y") },
			wait:  "(confirmed)",
		},
		{
			name:  "completed is skipped",
			setup: func(t *testing.T) setup { return dbx(t, dropboxsigntest.Faults{}, models.StatusCompleted) },
			cli:   []string{"cancel", "--yes"},
			keys:  func(d *dashDriver) { d.keys("x") },
			wait:  "session already completed",
		},
		{
			name: "applied then 500 is unknown",
			setup: func(t *testing.T) setup {
				return dbx(t, dropboxsigntest.Faults{ErrorRate: 1, AfterEffect: true, Ops: []string{"POST /v3/signature_request/cancel"}},
					models.StatusAwaitingSignature)
			},
			cli:  []string{"cancel", "--yes"},
			keys: func(d *dashDriver) { d.keys("x", "y") },
			wait: "Cancel failed",
		},
		{
			name: "constellation1 copy",
			setup: func(t *testing.T) setup {
				h, srv := newConstellation(t, constellationtest.Options{Seed: 12})
				_ = srv
				return setup{h, pick1(t, listJSON(t, h), models.StatusAwaitingSignature)}
			},
			// The dashboard's copy form has no "send now" yet (ui/, the
			// lead's): until it does, the CLI leaves the copy a draft too.
			cli: []string{"copy", "--yes"},
			keys: func(d *dashDriver) {
				d.keys("c")
				d.until("the form", func(v string) bool { return strings.Contains(v, "add signer") })
				d.keys("ctrl+s", "y")
			},
			wait: "Copied",
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			// The CLI.
			cs := sc.setup(t)
			args := append([]string{sc.cli[0], cs.ref}, sc.cli[1:]...)
			cs.h.run("", args...)
			viaCLI := journalOf(t, cs.h)

			// The dashboard.
			ds := sc.setup(t)
			ds.h.stdinTTY, ds.h.stdoutTT = true, true
			ds.h.ui = func(_ context.Context, opts ui.Options) error {
				opts.CancelPollFirst, opts.CancelPollMax = 20*time.Millisecond, 50*time.Millisecond
				d := newDash(t, opts)
				defer d.close()
				d.open(ds.ref)
				sc.keys(d)
				d.until(sc.wait, func(v string) bool { return strings.Contains(v, sc.wait) })
				d.settle()
				return nil
			}
			ds.h.run("").wantCode(t, ExitOK)
			viaDash := journalOf(t, ds.h)

			if len(viaCLI) == 0 || len(viaCLI) != len(viaDash) {
				t.Fatalf("journal via the CLI:\n%+v\nvia the dashboard:\n%+v", viaCLI, viaDash)
			}
			for i := range viaCLI {
				if viaCLI[i] != viaDash[i] {
					t.Errorf("record %d differs:\n cli  %+v\n dash %+v", i, viaCLI[i], viaDash[i])
				}
			}
		})
	}
}

// TestDashboardCopyOfACopy is the data-loss blocker, driven through the
// dashboard on the Constellation1 emulator, with and without "cancel the
// original": each copy makes a new live session, and an original is
// canceled only after its copy exists. Copying the copy again never takes
// an older lookalike for the new copy.
func TestDashboardCopyOfACopy(t *testing.T) {
	for _, cancelOriginal := range []bool{true, false} {
		t.Run(map[bool]string{true: "cancel the original", false: "keep the original"}[cancelOriginal], func(t *testing.T) {
			h, srv := newConstellation(t, constellationtest.Options{Seed: 12})
			ref := pick1(t, listJSON(t, h), models.StatusAwaitingSignature)
			h.stdinTTY, h.stdoutTT = true, true
			refs := []string{ref}
			h.ui = func(_ context.Context, opts ui.Options) error {
				d := newDash(t, opts)
				defer d.close()
				for round := 1; round <= 2; round++ {
					src := refs[len(refs)-1]
					d.open(src)
					d.keys("c")
					d.until("the form", func(v string) bool { return strings.Contains(v, "add signer") })
					if cancelOriginal {
						d.keys("shift+tab", "space")
						d.until("the option on", func(v string) bool { return strings.Contains(v, "[x] cancel the original") })
					}
					before := srv.Len()
					d.keys("ctrl+s", "y")
					d.until("the copy", func(v string) bool { return strings.Contains(v, "Copied ") })
					d.settle()
					if srv.Len() != before+1 {
						t.Fatalf("round %d: %d new sessions, want 1", round, srv.Len()-before)
					}
					var newest constellationtest.Session
					for _, s := range srv.Sessions() {
						if s.CopiedFrom != "" && strings.HasSuffix(src, s.CopiedFrom) {
							newest = s
						}
					}
					if newest.ID == "" {
						t.Fatalf("round %d: no copy of %s at the emulator", round, src)
					}
					refs = append(refs, "c1/"+newest.ID)
					// The source is canceled only after its copy exists.
					var copyAt, cancelAt int = -1, -1
					for i, r := range srv.Requests() {
						switch {
						case r.Op == "copy":
							copyAt = i
						case r.Op == "cancel" && strings.Contains(r.Path, src[strings.Index(src, "/")+1:]):
							cancelAt = i
						}
					}
					got, _ := srv.Session(src[strings.Index(src, "/")+1:])
					canceled := got.StatusCode == constellationtest.StatusCancelled
					if canceled != cancelOriginal || (cancelOriginal && cancelAt < copyAt) {
						t.Errorf("round %d: source canceled %v (want %v), cancel at %d, copy at %d", round, canceled, cancelOriginal, cancelAt, copyAt)
					}
				}
				return nil
			}
			h.run("").wantCode(t, ExitOK)
			// Both copies are live sessions, distinct from each other and
			// from the first source.
			last, _ := srv.Session(refs[2][3:])
			if refs[1] == refs[2] || last.StatusCode == constellationtest.StatusCancelled {
				t.Errorf("copies %v; the last copy's status %d", refs, last.StatusCode)
			}
			for _, l := range h.auditLines() {
				if strings.Contains(l, "found by") {
					t.Errorf("a copy was taken for an earlier one: %s", l)
				}
			}
		})
	}
}

// TestDashboardTriageActions drives remind, send, download and yank
// through the dashboard against both emulators; each goes through the
// service (the journal records what changes something).
func TestDashboardTriageActions(t *testing.T) {
	t.Run("dropboxsign remind, download, yank", func(t *testing.T) {
		h, srv := newDropboxSign(t, dropboxsigntest.Options{Seed: 12})
		ref := pickSigned(t, srv, listJSON(t, h))
		h.stdinTTY, h.stdoutTT = true, true
		dir := t.TempDir()
		h.ui = func(_ context.Context, opts ui.Options) error {
			opts.DownloadDir = dir
			d := newDash(t, opts)
			defer d.close()
			d.open(ref)
			d.keys("m")
			d.until("the remind prompt", func(v string) bool { return strings.Contains(v, "Remind the pending signers of 1 session?") })
			d.keys("y")
			d.until("the reminder", func(v string) bool { return strings.Contains(v, "Remind ") && strings.Contains(v, ": ok") })
			d.keys("D")
			d.until("the download", func(v string) bool { return strings.Contains(v, "Download") && strings.Contains(v, "saved") })
			d.keys("y")
			d.until("the yank", func(v string) bool { return strings.Contains(v, "Copied the ref to the clipboard: "+ref) })
			d.keys("M")
			d.until("the message log", func(v string) bool { return strings.Contains(v, "Message log") && strings.Contains(v, "Remind ") })
			d.settle()
			return nil
		}
		h.run("").wantCode(t, ExitOK)
		if n := srv.Count("POST", "/v3/signature_request/remind/"); n == 0 {
			t.Error("no reminder reached the emulator")
		}
		if files, _ := os.ReadDir(dir); len(files) != 1 {
			t.Errorf("downloaded %d files", len(files))
		}
		if audit := strings.Join(h.auditLines(), "\n"); !strings.Contains(audit, `"action":"remind"`) || !strings.Contains(audit, `"via":"tui"`) {
			t.Errorf("journal\n%s", audit)
		}
	})
	t.Run("constellation1 send a draft", func(t *testing.T) {
		h, srv := newConstellation(t, constellationtest.Options{Seed: 12})
		ref := pick1(t, listJSON(t, h), models.StatusDraft)
		h.stdinTTY, h.stdoutTT = true, true
		h.ui = func(_ context.Context, opts ui.Options) error {
			d := newDash(t, opts)
			defer d.close()
			d.open(ref)
			d.keys("p")
			d.until("the send prompt", func(v string) bool { return strings.Contains(v, "Send 1 draft to the signers?") })
			d.keys("y")
			d.until("the send", func(v string) bool { return strings.Contains(v, "Send ") && strings.Contains(v, ": ok (now awaiting") })
			d.settle()
			return nil
		}
		h.run("").wantCode(t, ExitOK)
		got, _ := srv.Session(ref[strings.Index(ref, "/")+1:])
		if got.StatusCode == constellationtest.StatusDraft {
			t.Error("the draft was not sent")
		}
	})
}

// TestDashboardConstellationRemindAndFix: remind and fix a signer through
// the dashboard against the Constellation1 emulator (the tmux e2e does the
// same on Dropbox Sign).
func TestDashboardConstellationRemindAndFix(t *testing.T) {
	h, srv := newConstellation(t, constellationtest.Options{Seed: 12})
	ref := pick1(t, listJSON(t, h), models.StatusAwaitingSignature)
	id := ref[strings.Index(ref, "/")+1:]
	before, _ := srv.Session(id)
	h.stdinTTY, h.stdoutTT = true, true
	h.ui = func(_ context.Context, opts ui.Options) error {
		d := newDash(t, opts)
		defer d.close()
		d.open(ref)
		d.keys("m")
		d.until("the remind prompt", func(v string) bool { return strings.Contains(v, "Remind the pending signers of 1 session?") })
		d.keys("y")
		d.until("the reminder", func(v string) bool { return strings.Contains(v, "Remind ") && strings.Contains(v, ": ok") })
		d.keys("e")
		d.until("the signer list", func(v string) bool { return strings.Contains(v, "Which signer?") })
		d.keys("enter")
		d.until("the form", func(v string) bool { return strings.Contains(v, "Email") })
		d.keys("ctrl+u")
		d.typeText("fixed.c1@example.com")
		d.keys("enter")
		d.until("the review", func(v string) bool { return strings.Contains(v, "Change this signer?") })
		d.keys("y")
		d.until("the fix", func(v string) bool { return strings.Contains(v, "Fix signer ") && strings.Contains(v, ": ok") })
		d.settle()
		return nil
	}
	h.run("").wantCode(t, ExitOK)
	after, _ := srv.Session(id)
	var invites, fixed int
	for i, g := range after.Signers {
		invites += g.Invites - before.Signers[i].Invites
		if g.Email == "fixed.c1@example.com" {
			fixed++
		}
	}
	if invites == 0 || fixed != 1 {
		t.Errorf("the emulator saw %d new invitations and %d signers with the new email", invites, fixed)
	}
	audit := strings.Join(h.auditLines(), "\n")
	for _, action := range []string{`"action":"remind"`, `"action":"update"`} {
		if !strings.Contains(audit, action) {
			t.Errorf("journal lacks %s:\n%s", action, audit)
		}
	}
}

// pickSigned returns an awaiting request with a pending signer that was
// never reminded.
func pickSigned(t *testing.T, srv *dropboxsigntest.Server, sessions []map[string]any) string {
	t.Helper()
	return pick(t, srv, sessions, models.StatusAwaitingSignature)
}
