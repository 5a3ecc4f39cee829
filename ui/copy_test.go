package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// focusField moves the copy form's focus to an item.
func focusField(t *testing.T, d *driver, it formItem) {
	t.Helper()
	for i := 0; i < 50; i++ {
		if d.m.copyOv().focused() == it {
			return
		}
		d.press("tab")
	}
	t.Fatalf("cannot focus %+v", it)
}

// setField replaces the focused input's text.
func setField(d *driver, s string) {
	d.press("ctrl+u", "ctrl+k")
	d.typeText(s)
}

func openCopy(t *testing.T, id string) (*driver, *fakeProvider, *fakeProvider) {
	t.Helper()
	d, dbx, c1 := fixtureDriver(t, nil)
	d.send(tea.WindowSizeMsg{Width: 100, Height: 40})
	d.moveTo(id)
	d.press("c")
	if d.m.copyOv() == nil {
		t.Fatalf("copy form did not open: %q", d.flash())
	}
	return d, dbx, c1
}

func TestCopyFormPrefillsAndValidatesInline(t *testing.T) {
	d, dbx, _ := openCopy(t, "a1")
	f := d.m.copyOv()
	if f.title.Value() != "Lease renewal 12 Oak St" || len(f.signers) != 3 || f.signers[1].email.Value() != "bob@example.com" {
		t.Fatalf("not prefilled: title=%q signers=%d", f.title.Value(), len(f.signers))
	}
	s := d.screen()
	for _, want := range []string{"Ana Lima", "cara@example.com", "[ ] test mode", "[ ] cancel the original"} {
		if !strings.Contains(s, want) {
			t.Errorf("form lacks %q:\n%s", want, s)
		}
	}
	focusField(t, d, formItem{itEmail, 1})
	setField(d, "bob@")
	focusField(t, d, formItem{itEmail, 2})
	setField(d, "ANA@example.com")
	focusField(t, d, formItem{kind: itTitle})
	setField(d, "   ")
	d.press("ctrl+s")
	if f.reviewing {
		t.Fatal("review opened with invalid fields")
	}
	s = d.screen()
	for _, want := range []string{
		"title: is empty",
		`signers[1].email: "bob@" is not a valid email address`,
		"signers[2].email: ANA@example.com is already signer 1",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("form lacks error %q:\n%s", want, s)
		}
	}
	if f.focused().kind != itTitle {
		t.Errorf("focus = %+v, want the first error (title)", f.focused())
	}
	if len(dbx.copies) != 0 {
		t.Error("sent")
	}
}

func TestCopyConstellationLiteRowLoadsSourceAndSplitsNames(t *testing.T) {
	d, _, c1 := fixtureDriver(t, nil)
	d.moveTo("p1")
	_, cmd := d.m.Update(keyMsg("c"))
	if !d.m.copyOv().loading || !strings.Contains(d.screen(), "loading the source session") {
		t.Fatal("no loading state for a lite row")
	}
	d.run(cmd)
	f := d.m.copyOv()
	if len(c1.gets) != 1 || len(f.signers) != 2 {
		t.Fatalf("gets=%v signers=%d", c1.gets, len(f.signers))
	}
	if !f.split || f.signers[0].first.Value() != "Gus" || f.signers[0].last.Value() != "Hale" {
		t.Errorf("names not split: %q %q", f.signers[0].first.Value(), f.signers[0].last.Value())
	}
	if !f.retain || !strings.Contains(d.screen(), "[x] retain placed fields") {
		t.Error("retain_fields does not default to on")
	}
	if d.row("p1").total != 2 {
		t.Error("loading the source did not upgrade the lite row")
	}
	// Constellation1 requires a last name.
	focusField(t, d, formItem{itLast, 1})
	setField(d, "")
	d.press("ctrl+s")
	if !strings.Contains(d.screen(), "signers[1].last_name: is empty: a one-word name goes in Last") {
		t.Errorf("no last-name error:\n%s", d.screen())
	}
	if d.m.copyOv().focused() != (formItem{itLast, 1}) {
		t.Errorf("focus = %+v", d.m.copyOv().focused())
	}
}

func TestCopyEditAddRemoveReorderAndReviewDiff(t *testing.T) {
	d, dbx, _ := openCopy(t, "a1")
	focusField(t, d, formItem{itEmail, 1})
	setField(d, "bob.stone@example.com")
	focusField(t, d, formItem{itName, 2})
	d.press("ctrl+x") // remove Cara
	d.press("ctrl+n") // add after the focused signer
	d.typeText("Zed Ray")
	d.press("tab")
	d.typeText("zed+test@example.com") // '+' is text in an input
	f := d.m.copyOv()
	if len(f.signers) != 3 || f.signers[2].name.Value() != "Zed Ray" || f.signers[2].email.Value() != "zed+test@example.com" {
		t.Fatalf("signers = %d, last = %q <%q>", len(f.signers), f.signers[2].name.Value(), f.signers[2].email.Value())
	}
	// Move Zed up: orders swap with Bob's.
	d.press("alt+up")
	if f.signers[1].name.Value() != "Zed Ray" || f.signers[1].order != 2 || f.signers[2].order != 3 {
		t.Errorf("reorder: %q order %d, next order %d", f.signers[1].name.Value(), f.signers[1].order, f.signers[2].order)
	}
	focusField(t, d, formItem{kind: itTitle})
	setField(d, "Lease renewal (corrected)")
	focusField(t, d, formItem{kind: itTestMode})
	d.press("space")
	d.press("ctrl+s")
	if !f.reviewing {
		t.Fatalf("review did not open: %v", f.errs)
	}
	s := d.screen()
	for _, want := range []string{
		"= Ana Lima <ana@example.com> (order 1)",
		"+ Zed Ray <zed+test@example.com> (order 2)",
		"~ Bob Stone <bob@example.com> (order 2) → Bob Stone <bob.stone@example.com> (order 3)",
		"- Cara Diaz <cara@example.com> (order 3)",
		`Title    ~ "Lease renewal 12 Oak St" → "Lease renewal (corrected)"`,
		"test mode yes", "Send this copy? [y/N]",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("review lacks %q:\n%s", want, s)
		}
	}
	// Enter does not send; it returns to the form with edits kept.
	d.press("enter")
	if f.reviewing || len(dbx.copies) != 0 {
		t.Fatal("enter sent or stayed in review")
	}
	d.press("ctrl+s", "y")
	if len(dbx.copies) != 1 {
		t.Fatalf("copies = %d", len(dbx.copies))
	}
	spec := dbx.copies[0]
	if spec.Title == nil || *spec.Title != "Lease renewal (corrected)" || spec.Options.TestMode == nil || !*spec.Options.TestMode {
		t.Errorf("spec = %+v", spec)
	}
	if len(spec.Signers) != 3 || spec.Signers[1].ID != "" || spec.Signers[2].ID != "a1-s2" {
		t.Errorf("spec signers = %+v", spec.Signers)
	}
}

func TestCopySentOnceAndOperationIDReusedOnRetry(t *testing.T) {
	d, dbx, _ := openCopy(t, "a1")
	dbx.copyErrs = []error{providers.NewError(providers.ErrAmbiguous, "copy a1", 0, "", "connection reset after sending")}
	d.press("ctrl+s")
	_, cmd := d.m.Update(keyMsg("y"))
	if cmd == nil || !d.m.copyOv().sending {
		t.Fatal("y did not send")
	}
	_, again := d.m.Update(keyMsg("y"))
	if again != nil {
		t.Fatal("a second y returned a command while sending")
	}
	if !strings.Contains(d.screen(), "sending… (locked") {
		t.Error("no sending state")
	}
	d.press("esc") // locked: nothing closes it
	if d.m.copyOv() == nil {
		t.Fatal("esc closed a form that is sending")
	}
	d.run(cmd)
	if len(dbx.copies) != 1 || len(dbx.finds) != 0 {
		t.Fatalf("copies = %d, finds = %d: a first attempt never searches", len(dbx.copies), len(dbx.finds))
	}
	opID := dbx.copies[0].OperationID
	if !strings.HasPrefix(opID, "sdop") || d.m.copyOv().opID != opID {
		t.Fatalf("operation id %q (form %q)", opID, d.m.copyOv().opID)
	}
	s := d.screen()
	for _, want := range []string{"Outcome unknown", "Sending again is safe", opID[:8]} {
		if !strings.Contains(s, want) {
			t.Errorf("ambiguous error lacks %q:\n%s", want, s)
		}
	}
	d.press("y") // retry: looks for the copy first, then sends with the same id
	if len(dbx.finds) != 1 || dbx.finds[0] != opID || len(dbx.copies) != 2 || dbx.copies[1].OperationID != opID {
		t.Fatalf("retry: finds %v, copies %d", dbx.finds, len(dbx.copies))
	}
	if d.m.copyOv() != nil {
		t.Fatal("form still open after success")
	}
	if d.flash() != "Copied Lease renewal 12 Oak St to copy-1 (Awaiting)" {
		t.Errorf("flash = %q", d.flash())
	}
	if d.cursorID() != "copy-1" || d.row("copy-1") == nil {
		t.Errorf("new session not selected: cursor %s", d.cursorID())
	}
	ops := d.ops("copy")
	if len(ops) != 1 || ops[0].ID != opID || ops[0].Outcome != "ok" || ops[0].NewRef != "acme/copy-1" || ops[0].Attempts != 2 || ops[0].Via != "tui" {
		t.Errorf("journal = %+v", ops)
	}
}

// TestCopyRetryFindsTheLostCopy: the answer was lost but the copy exists;
// the retry finds it and sends nothing.
func TestCopyRetryFindsTheLostCopy(t *testing.T) {
	d, dbx, _ := openCopy(t, "a1")
	dbx.loseAnswers = 1
	d.press("ctrl+s", "y")
	if d.m.copyOv() == nil || d.m.copyOv().opID == "" {
		t.Fatal("the unclear send did not keep the form with its operation")
	}
	d.press("y")
	if len(dbx.copies) != 1 || len(dbx.finds) != 1 || d.m.copyOv() != nil {
		t.Fatalf("copies %d, finds %d, form open %v", len(dbx.copies), len(dbx.finds), d.m.copyOv() != nil)
	}
	if !strings.Contains(d.flash(), "found by its operation id; nothing was sent twice") {
		t.Errorf("flash = %q", d.flash())
	}
}

// TestCopyIdenticalRecentCopyAsksFirst: a second identical copy of the
// same source within the hour asks before it is sent.
func TestCopyIdenticalRecentCopyAsksFirst(t *testing.T) {
	d, dbx, _ := openCopy(t, "a1")
	d.press("ctrl+s", "y")
	if len(dbx.copies) != 1 {
		t.Fatal("first copy not sent")
	}
	d.moveTo("a1")
	d.press("c", "ctrl+s", "y")
	if len(dbx.copies) != 1 || d.m.copyOv() == nil || !strings.Contains(d.screen(), "an identical copy of acme/a1") {
		t.Fatalf("the duplicate was sent or not explained (copies %d):\n%s", len(dbx.copies), d.screen())
	}
	d.press("y") // send it all the same
	if len(dbx.copies) != 2 {
		t.Errorf("the confirmed duplicate was not sent: %d", len(dbx.copies))
	}
}

func TestCopyUnchangedSignersIsAResend(t *testing.T) {
	d, dbx, _ := openCopy(t, "a1")
	d.press("ctrl+s")
	if !strings.Contains(d.screen(), "signers unchanged: this re-sends") {
		t.Errorf("review does not say it is a re-send:\n%s", d.screen())
	}
	d.press("y")
	if len(dbx.copies) != 1 || dbx.copies[0].Title != nil {
		t.Errorf("copies = %+v", dbx.copies)
	}
}

func TestCopyCancelOriginalAndOriginalCancelError(t *testing.T) {
	d, dbx, _ := openCopy(t, "a1")
	focusField(t, d, formItem{kind: itCancelOrig})
	d.press("enter")
	d.press("ctrl+s")
	if !strings.Contains(d.screen(), "The original will be canceled once the copy exists") {
		t.Error("review does not warn about canceling the original")
	}
	d.press("y")
	if !dbx.copies[0].Options.CancelOriginal || len(dbx.cancels) != 1 || dbx.cancels[0] != "a1" {
		t.Errorf("spec %+v, cancels %v", dbx.copies[0].Options, dbx.cancels)
	}
	// Dropbox Sign cancels asynchronously: requested, then confirmed.
	if st := d.row("a1").s.Status; st != models.StatusCanceled {
		t.Errorf("original status = %s", st)
	}
	ops := d.ops("")
	if len(ops) != 2 || ops[0].Action != "copy" || ops[1].Action != "cancel" || ops[1].Outcome != "ok" || ops[1].Ref != "acme/a1" {
		t.Errorf("journal: the original is canceled only after the copy exists: %+v", ops)
	}
	// The copy succeeded but canceling the original failed.
	d2, dbx2, _ := fixtureDriver(t, nil)
	dbx2.cancelErr = map[string]error{"a3": providers.NewError(providers.ErrConflict, "cancel a3", 409, "", "conflict")}
	d2.moveTo("a3")
	d2.press("c")
	focusField(t, d2, formItem{kind: itCancelOrig})
	d2.press("enter", "ctrl+s", "y")
	if !strings.Contains(d2.flash(), "Copied Listing agreement 99 Pine Ave with a very long title that needs truncating to copy-1 (Awaiting); canceling the original failed:") ||
		!strings.Contains(d2.flash(), "conflict") {
		t.Errorf("flash = %q", d2.flash())
	}
}

func TestCopyEscOnDirtyFormAsks(t *testing.T) {
	d, _, _ := openCopy(t, "a1")
	d.press("esc")
	if d.m.copyOv() != nil {
		t.Fatal("esc on an untouched form did not close it")
	}
	d.press("c")
	d.typeText(" v2")
	d.press("esc")
	if d.m.copyOv() == nil || !d.m.copyOv().discardAsk || !strings.Contains(d.screen(), "Discard your changes to this copy? [y/N]") {
		t.Fatal("esc on a dirty form did not ask")
	}
	d.press("enter")
	if d.m.copyOv() == nil || d.m.copyOv().title.Value() != "Lease renewal 12 Oak St v2" {
		t.Fatal("enter discarded the form")
	}
	d.press("ctrl+c") // never loses a dirty form, never quits
	if d.quit || d.m.copyOv() == nil || !d.m.copyOv().discardAsk {
		t.Fatal("ctrl+c did not ask")
	}
	d.press("y")
	if d.m.copyOv() != nil {
		t.Error("y did not discard")
	}
}

func TestCopyDisabledReasons(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, nil)
	dbx.sessions[1].Status = models.StatusDeleted
	d.press("r")
	d.moveTo("a2")
	d.press("c")
	if d.m.copyOv() != nil || d.flash() != "Copy: session is deleted and may have lost its documents" {
		t.Errorf("flash = %q", d.flash())
	}
	d.press("space", "space", "c")
	if d.m.copyOv() != nil || !strings.HasPrefix(d.flash(), "Copy: works on one session at a time (2 are marked") {
		t.Errorf("flash = %q", d.flash())
	}
	dbx.caps.Copy = false
	d.press(`ctrl+\`)
	d.moveTo("a1")
	d.press("c")
	if d.flash() != "Copy: Dropbox Sign account acme cannot copy sessions" {
		t.Errorf("flash = %q", d.flash())
	}
}

func TestCopyProviderFieldErrorMapsToField(t *testing.T) {
	d, dbx, _ := openCopy(t, "a1")
	perr := providers.NewError(providers.ErrInvalid, "copy a1", 400, "bad_request", "domain is blocked")
	perr.Path = "signers[0].email"
	dbx.copyErrs = []error{perr}
	d.press("ctrl+s", "y")
	d.press("n") // back to the form
	if !strings.Contains(d.screen(), "signers[0].email: domain is blocked") {
		t.Errorf("provider field error not next to the field:\n%s", d.screen())
	}
}

func TestCopyFormTestModeForcedByAccount(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, nil)
	dbx.caps.TestModeForced = true
	d.send(tea.WindowSizeMsg{Width: 100, Height: 40})
	d.moveTo("a1")
	d.press("c")
	f := d.m.copyOv()
	if f == nil || !f.testMode {
		t.Fatal("the form must start in test mode when the account forces it")
	}
	if !strings.Contains(d.screen(), "[x] test mode (set by the account's config)") {
		t.Errorf("form does not say test mode is forced:\n%s", d.screen())
	}
	focusField(t, d, formItem{kind: itTestMode})
	d.press("space")
	if !f.testMode || !strings.Contains(d.screen(), "always on: the account's config sets test_mode: true") {
		t.Fatalf("toggle off was not refused: testMode=%v\n%s", f.testMode, d.screen())
	}
	d.press("ctrl+s")
	d.press("y")
	if len(dbx.copies) != 1 || dbx.copies[0].Options.TestMode == nil || !*dbx.copies[0].Options.TestMode {
		t.Fatalf("copies = %+v", dbx.copies)
	}
}

func TestCopyPlusAddsASignerOutsideTextFields(t *testing.T) {
	d, _, _ := openCopy(t, "a1")
	f := d.m.copyOv()
	// In an email field '+' is text.
	focusField(t, d, formItem{itEmail, 0})
	d.press("end")
	d.typeText("+x")
	if len(f.signers) != 3 || f.signers[0].email.Value() != "ana@example.com+x" {
		t.Fatalf("'+' in an email field: signers=%d email=%q", len(f.signers), f.signers[0].email.Value())
	}
	// On an option toggle '+' adds a signer at the end and focuses it.
	focusField(t, d, formItem{kind: itTestMode})
	d.typeText("+")
	if len(f.signers) != 4 || f.focused() != (formItem{itName, 3}) {
		t.Fatalf("'+' on an option: signers=%d focus=%+v", len(f.signers), f.focused())
	}
	// On the add button too.
	focusField(t, d, formItem{kind: itAdd})
	d.typeText("+")
	if len(f.signers) != 5 {
		t.Fatalf("'+' on the add button: signers=%d", len(f.signers))
	}
	d.press("esc", "y")
	d.press("?")
	if s := d.screen(); !strings.Contains(s, "add (not in a field)") {
		t.Errorf("help does not explain '+':\n%s", s)
	}
}

func TestCopyKeepsAnUntouchedMultiLineMessageAndTitle(t *testing.T) {
	dbx, c1 := fixture()
	dbx.sessions[0].Message = "Hi all,\n\nplease sign.\tThanks"
	dbx.sessions[0].Title = "Lease\trenewal"
	d := newDriver(t, Options{Accounts: []Account{
		{Name: "acme", Kind: models.DropboxSign, Provider: dbx},
		{Name: "prod", Kind: models.Constellation1, Provider: c1},
	}})
	d.run(d.m.Init())
	d.moveTo("a1")
	d.press("c", "ctrl+s")
	if s := d.screen(); !strings.Contains(s, "Message  = unchanged") || !strings.Contains(s, "Title    = ") {
		t.Errorf("review reports edits the user did not make:\n%s", s)
	}
	d.press("y")
	if len(dbx.copies) != 1 {
		t.Fatalf("copies = %d", len(dbx.copies))
	}
	if sp := dbx.copies[0]; sp.Message != nil || sp.Title != nil {
		t.Errorf("the copy changes the source: message=%q title=%v", deref(sp.Message), deref(sp.Title))
	}
}

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// TestCopyFormCleansHostileSourceText: the form's inputs are filled from
// the API, so they get the same cleaning as every other view.
func TestCopyFormCleansHostileSourceText(t *testing.T) {
	dbx := newFake(models.DropboxSign, "acme")
	s := sess("acme", "e1", "\x1b]0;pwned\x07Evil\u202e title", models.StatusAwaitingSignature, 1,
		signer("\x1b[31mMallory\x1b[0m\u202e", "m@example.com", models.SignerAwaiting))
	s.Message = "hi\x1b[2J there"
	dbx.sessions = []models.Session{s}
	d := newDriver(t, Options{Accounts: []Account{{Name: "acme", Kind: models.DropboxSign, Provider: dbx}}})
	d.run(d.m.Init())
	d.send(tea.WindowSizeMsg{Width: 140, Height: 40})
	d.press("c")
	raw := d.m.render()
	for _, bad := range []string{"pwned", "[31m", "[2J", "\u202e"} {
		if strings.Contains(raw, bad) {
			t.Errorf("copy form shows %q:\n%s", bad, stripView(raw))
		}
	}
	if !strings.Contains(d.screen(), "Evil title") || !strings.Contains(d.screen(), "Mallory") {
		t.Errorf("cleaned text missing:\n%s", d.screen())
	}
}

// TestCopyFormReflowsOnResize: after the terminal shrinks, the end of a
// long title being typed (and the cursor) stays inside the form.
func TestCopyFormReflowsOnResize(t *testing.T) {
	d, _, _ := openCopy(t, "a3") // a long title
	d.send(tea.WindowSizeMsg{Width: 60, Height: 30})
	focusField(t, d, formItem{kind: itTitle})
	d.press("end")
	d.typeText(" ZQX")
	if s := d.screen(); !strings.Contains(s, "ZQX") {
		t.Errorf("the typed end of the title is cut off after a resize:\n%s", s)
	}
}

// TestCopyCancelOriginalUnavailableForATeammatesRequest: the option says
// why it is unavailable and stays off, so the copy is never sent with a
// cancel that can only fail.
func TestCopyCancelOriginalUnavailableForATeammatesRequest(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, nil)
	dbx.sessions[0].NotCancelable = "sent by kim@example.com; Dropbox Sign lets only the sender cancel it"
	d.press("r")
	d.moveTo("a1")
	d.press("c")
	focusField(t, d, formItem{kind: itCancelOrig})
	if !strings.Contains(d.screen(), "cancel the original: unavailable (sent by kim@example.com") {
		t.Errorf("the option does not say why:\n%s", d.screen())
	}
	d.press("space")
	if d.m.copyOv().cancel {
		t.Fatal("the option was turned on")
	}
	d.press("ctrl+s", "y")
	if len(dbx.copies) != 1 || dbx.copies[0].Options.CancelOriginal || len(dbx.cancels) != 0 {
		t.Errorf("copies %+v, cancels %v", dbx.copies, dbx.cancels)
	}
}

// TestQuitQuestionOverASendingCopy: ctrl+c while a copy is sending asks
// first; the copy's answer reaches the form under the question, and
// declining brings back what was under it.
func TestQuitQuestionOverASendingCopy(t *testing.T) {
	d, dbx, _ := openCopy(t, "a1")
	dbx.copyErrs = []error{providers.NewError(providers.ErrAmbiguous, "copy a1", 0, "", "connection reset after sending")}
	d.press("ctrl+s")
	_, cmd := d.m.Update(keyMsg("y"))
	d.press("ctrl+c")
	if d.quit || d.m.quitOv() == nil || !strings.Contains(d.screen(), "1 operation in flight") {
		t.Fatalf("ctrl+c while sending did not ask:\n%s", d.screen())
	}
	d.run(cmd) // the answer arrives under the question
	if f := d.m.copyOv(); f == nil || f.sending || f.opID == "" {
		t.Fatalf("the copy's answer did not reach its form: %+v", f)
	}
	d.press("n")
	if d.quit || d.m.quitOv() != nil || d.m.copyOv() == nil || !strings.Contains(d.screen(), "Outcome unknown") {
		t.Fatalf("declining did not bring the form back:\n%s", d.screen())
	}
}
