package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/signdeck/signdeck/models"
)

// plainGolden compares the view, ANSI stripped and right-trimmed, with
// testdata/<test name>.golden (go test ./ui -update rewrites them).
func plainGolden(t *testing.T, d *driver) {
	t.Helper()
	lines := strings.Split(stripView(d.m.render()), "\n")
	if len(lines) != d.m.height {
		t.Errorf("view has %d lines, want %d", len(lines), d.m.height)
	}
	for i, l := range lines {
		if w := stringWidth(l); w != d.m.width {
			t.Errorf("line %d is %d cells wide, want %d: %q", i, w, d.m.width, l)
		}
		lines[i] = strings.TrimRight(l, " ")
	}
	golden.RequireEqual(t, strings.Join(lines, "\n")+"\n")
}

func TestGolden(t *testing.T) {
	sizes := []struct{ w, h int }{{80, 24}, {140, 40}}
	type scene struct {
		name  string
		setup func(t *testing.T, d *driver)
	}
	scenes := []scene{
		{"main_loaded", func(t *testing.T, d *driver) {}},
		{"main_marked", func(t *testing.T, d *driver) {
			d.press("space", "j", "space")
		}},
		{"filter_typing", func(t *testing.T, d *driver) {
			d.press("/")
			d.typeText("status:awaiting sig")
		}},
		{"filter_active", func(t *testing.T, d *driver) {
			d.press("/")
			d.typeText("status:awaiting,declined")
			d.press("enter", "s", "s")
		}},
		{"filter_error", func(t *testing.T, d *driver) {
			d.press("/")
			d.typeText("status:nope")
		}},
		{"detail", func(t *testing.T, d *driver) {
			d.moveTo("p1")
			d.press("enter")
		}},
		{"detail_dbx", func(t *testing.T, d *driver) {
			d.moveTo("a4")
			d.press("enter")
		}},
		{"cancel_single", func(t *testing.T, d *driver) {
			d.press("x")
		}},
		{"cancel_bulk", func(t *testing.T, d *driver) {
			for _, id := range []string{"a1", "p1", "a2", "a3", "p3"} {
				d.moveTo(id)
				d.press("space")
			}
			d.press("/")
			d.typeText("account:acme")
			d.press("enter", "x")
		}},
		{"copy_form", func(t *testing.T, d *driver) {
			d.press("c")
			focusField(t, d, formItem{itEmail, 1})
			setField(d, "bob@")
			d.press("ctrl+s")
		}},
		{"copy_form_c1", func(t *testing.T, d *driver) {
			d.moveTo("p1")
			d.press("c")
		}},
		{"copy_review", func(t *testing.T, d *driver) {
			d.press("c")
			focusField(t, d, formItem{itEmail, 1})
			setField(d, "bob.stone@example.com")
			focusField(t, d, formItem{itName, 2})
			d.press("ctrl+x", "ctrl+n")
			d.typeText("Zed Ray")
			d.press("tab")
			d.typeText("zed@example.com")
			focusField(t, d, formItem{kind: itTitle})
			d.typeText(" (v2)")
			d.press("ctrl+s")
		}},
		{"accounts", func(t *testing.T, d *driver) {
			d.m.accts[0].Provider.(*fakeProvider).budget.Limit = 100
			d.m.accts[0].Provider.(*fakeProvider).budget.Remaining = 87
			d.press("a", "j")
		}},
		{"login", func(t *testing.T, d *driver) {
			d.press("a", "l")
			d.typeText("secret-token-value")
		}},
		{"help", func(t *testing.T, d *driver) {
			d.press("?")
		}},
		{"palette", func(t *testing.T, d *driver) {
			d.press(":")
		}},
		{"palette_typed", func(t *testing.T, d *driver) {
			d.press(":")
			d.typeText("re")
			d.press("down")
		}},
		{"ages", func(t *testing.T, d *driver) {
			d.press("t")
		}},
		{"open_prompt", func(t *testing.T, d *driver) {
			d.press("o")
			d.typeText("acme/a")
		}},
		{"remind_prompt", func(t *testing.T, d *driver) {
			d.m.accts[0].Provider.(*fakeProvider).caps.Remind = true
			for _, id := range []string{"a1", "a2"} {
				d.moveTo(id)
				d.press("space")
			}
			d.press("m")
		}},
		{"message_log", func(t *testing.T, d *driver) {
			d.m.recordOutcome("Remind", "Lease renewal 12 Oak St", "ok", "reminded bob@example.com; ana@example.com has signed")
			d.m.recordOutcome("Download", "Purchase agreement", "failed", "Dropbox Sign could not prepare the file (HTTP 422)")
			d.m.recordOutcome("Cancel", "Listing agreement 99 Pine Ave with a title long enough to be cut at 80 columns", "ok", "confirmed")
			d.press("M")
		}},
		{"hostile", func(t *testing.T, d *driver) {
			d.send(pagesMsg{acct: "acme", gen: d.m.accts[0].gen, sessions: []models.Session{
				sess("acme", "e1", "\x1b]0;pwned\x07\x1b[2JInvoice\u202e gnp.exe", models.StatusError, 0,
					signer("\x1b[31mMallory\x1b[0m", "m@example.com", models.SignerError))}})
			d.moveTo("e1")
			d.press("enter")
		}},
	}
	for _, sz := range sizes {
		for _, sc := range scenes {
			t.Run(fmt.Sprintf("%dx%d/%s", sz.w, sz.h, sc.name), func(t *testing.T) {
				d, _, _ := fixtureDriver(t, func(o *Options) {
					o.Login = loginNoop
				})
				d.send(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
				sc.setup(t, d)
				plainGolden(t, d)
			})
		}
	}
}

func TestGoldenLoading(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {140, 40}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			dbx, c1 := fixture()
			dbx.listGate = make(chan struct{}, 10)
			dbx.listGate <- struct{}{}
			c1.listGate = make(chan struct{})
			d := newDriver(t, Options{Accounts: []Account{
				{Name: "acme", Kind: models.DropboxSign, Provider: dbx, TokenSource: "keyring"},
				{Name: "prod", Kind: models.Constellation1, Provider: c1, TokenSource: "env"},
				{Name: "new", Kind: models.Constellation1, TokenSource: "none"},
			}})
			d.blocking = true
			d.send(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
			d.run(d.m.Init())
			plainGolden(t, d)
			for range 5 {
				dbx.listGate <- struct{}{}
			}
			close(c1.listGate)
			d.settle()
		})
	}
}

// TestGoldenColor pins the styling: ANSI-16 colours, reverse cursor,
// faint and bold attributes.
func TestGoldenColor(t *testing.T) {
	d, _, _ := fixtureDriver(t, nil)
	d.m.setStyles(newStyles(false))
	d.press("j", "space")
	golden.RequireEqual(t, d.m.render()+"\n")
}

func loginNoop(ctx contextT, account, secret string) (providerT, string, error) {
	return nil, "", fmt.Errorf("not in goldens")
}

// TestFooterKeepsHelpAndQuit: however narrow the terminal, the footer ends
// with the help and quit keys; other hints give way first.
func TestFooterKeepsHelpAndQuit(t *testing.T) {
	for _, w := range []int{40, 60, 80, 100} {
		d, _, _ := fixtureDriver(t, nil)
		d.send(tea.WindowSizeMsg{Width: w, Height: 24})
		lines := strings.Split(strings.TrimRight(d.screen(), "\n"), "\n")
		last := lines[len(lines)-1]
		if !strings.Contains(last, "? help") || !strings.Contains(last, "quit") {
			t.Errorf("width %d: footer %q", w, last)
		}
	}
}

// TestAgesToggle: t shows created and expires as ages, and back.
func TestAgesToggle(t *testing.T) {
	d, _, _ := fixtureDriver(t, nil)
	d.send(tea.WindowSizeMsg{Width: 140, Height: 24})
	if !strings.Contains(d.screen(), "Mar 15 10:00") {
		t.Fatalf("no dates:\n%s", d.screen())
	}
	d.press("t")
	s := d.screen()
	if strings.Contains(s, "Mar 15 10:00") || !strings.Contains(s, "2h") || !strings.Contains(s, "in 29d") {
		t.Errorf("ages not shown:\n%s", s)
	}
	d.press("t")
	if !strings.Contains(d.screen(), "Mar 15 10:00") {
		t.Error("t did not switch back")
	}
}

// TestBulkCancelListsAsManyAsFit: a tall terminal lists more targets than
// a short one, and the prompt still fits.
func TestBulkCancelListsAsManyAsFit(t *testing.T) {
	for _, h := range []int{24, 40} {
		dbx := newFake(models.DropboxSign, "acme")
		dbx.sessions = manySessions("acme", 20)
		d := newDriver(t, Options{Accounts: []Account{{Name: "acme", Kind: models.DropboxSign, Provider: dbx}}})
		d.run(d.m.Init())
		d.send(tea.WindowSizeMsg{Width: 100, Height: h})
		for range 20 {
			d.press("space")
		}
		d.press("x")
		s := d.screen()
		listed := strings.Count(s, "  • ")
		want := max(5, h-16)
		if listed != min(20, want) || len(strings.Split(strings.TrimRight(s, "\n"), "\n")) > h {
			t.Errorf("height %d: %d targets listed, want %d\n%s", h, listed, min(20, want), s)
		}
	}
}
