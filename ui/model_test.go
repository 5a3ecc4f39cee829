package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

func TestNewRejectsBadKeyBindings(t *testing.T) {
	cases := []struct {
		keys map[string][]string
		want string
	}{
		{map[string][]string{"launch": {"l"}}, `keys: unknown action "launch"`},
		{map[string][]string{"cancel": {"c"}}, `keys: "c" is bound to both "cancel" and "copy"`},
		{map[string][]string{"refresh": {"j"}}, `keys: "j" is bound to both "down" and "refresh"`},
		{map[string][]string{"quit": {}}, `keys: action "quit" has no keys`},
		{map[string][]string{"quit": {" "}}, `keys: action "quit" has an empty key`},
		{map[string][]string{"detail": {"esc"}}, `keys: "esc" cannot be bound to "detail": it is reserved for back/close`},
	}
	for _, c := range cases {
		_, err := New(Options{Keys: c.keys})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%v) = %v, want error containing %q", c.keys, err, c.want)
		}
	}
	// The same key in different scopes is fine (enter: detail / login).
	if _, err := New(Options{Keys: map[string][]string{"login": {"enter"}}}); err != nil {
		t.Errorf("enter for login and detail: %v", err)
	}
}

func TestReboundKeysDriveActionsAndHelp(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, func(o *Options) { o.Keys = map[string][]string{"cancel": {"X"}, "quit": {"Q"}} })
	d.press("x")
	if d.m.cancelOv() != nil {
		t.Fatal("x still opens the cancel prompt after rebinding to X")
	}
	d.press("X")
	if d.m.cancelOv() == nil {
		t.Fatal("X does not open the cancel prompt")
	}
	d.press("esc")
	d.send(tea.WindowSizeMsg{Width: 140, Height: 40})
	d.press("?")
	if s := d.screen(); !strings.Contains(s, "X  ") || !strings.Contains(s, "cancel session(s)") {
		t.Errorf("help does not show the rebound key:\n%s", s)
	}
	d.press("esc", "q")
	if d.quit {
		t.Error("q quits although quit is rebound to Q")
	}
	d.press("Q")
	if !d.quit {
		t.Error("Q does not quit")
	}
	if len(dbx.cancels) != 0 {
		t.Error("a cancel was sent")
	}
}

func TestLoadStreamsPagesAndCounts(t *testing.T) {
	d, dbx, c1 := fixtureDriver(t, nil)
	if got := len(d.m.rows); got != 8 {
		t.Fatalf("rows = %d, want 8", got)
	}
	if dbx.lists != 1 || c1.lists != 1 {
		t.Errorf("lists = %d/%d, want one each", dbx.lists, c1.lists)
	}
	// Newest first.
	if got := d.visibleIDs(); !slices.Equal(got, []string{"a1", "p1", "a2", "a3", "p2", "a4", "a5", "p3"}) {
		t.Errorf("order = %v", got)
	}
	s := d.screen()
	for _, want := range []string{"8 sessions", "dbx:acme 5 ✓", "c1:prod 3 ✓", "refreshed 12:00:00", "1/3 signed"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	// Lite rows (Constellation1) show "–" for signers until loaded.
	if r := d.row("p1"); r.total != -1 {
		t.Errorf("lite row total = %d, want -1 (unknown)", r.total)
	}
}

func TestLoadingShowsSpinnerAndCountWhilePagesStream(t *testing.T) {
	dbx, _ := fixture()
	dbx.listGate = make(chan struct{}, 10)
	dbx.listGate <- struct{}{}
	d := newDriver(t, Options{Accounts: []Account{{Name: "acme", Kind: models.DropboxSign, Provider: dbx}}})
	d.blocking = true
	d.run(d.m.Init())
	if !d.m.accts[0].loading {
		t.Fatal("account is not loading")
	}
	s := d.screen()
	if !strings.Contains(s, "dbx:acme "+spinnerFrames[0]+" 2") {
		t.Errorf("status line lacks spinner and count:\n%s", s)
	}
	// The user can work while pages stream: move and filter.
	d.press("j")
	if d.cursorID() != "a2" {
		t.Errorf("cursor = %s, want a2", d.cursorID())
	}
	for i := 0; i < 5; i++ {
		dbx.listGate <- struct{}{}
	}
	d.settle()
	if d.m.accts[0].loading || len(d.m.rows) != 5 {
		t.Errorf("loading=%v rows=%d after the listing ended", d.m.accts[0].loading, len(d.m.rows))
	}
	if d.cursorID() != "a2" {
		t.Errorf("cursor moved to %s while pages arrived", d.cursorID())
	}
}

func TestStaleGenerationIsDropped(t *testing.T) {
	d, _, _ := fixtureDriver(t, nil)
	a := d.m.accts[0]
	old := a.gen
	d.m.startLoad(0) // a newer listing; its command is not run
	stale := pagesMsg{acct: "acme", gen: old, sessions: []models.Session{
		sess("acme", "zz", "From an old request", models.StatusAwaitingSignature, 1)}, done: true}
	d.send(stale)
	if d.row("zz") != nil {
		t.Error("a page of an older generation was applied")
	}
	if !a.loading {
		t.Error("the old generation's end marked the new listing done")
	}
	// The current generation is applied.
	d.send(pagesMsg{acct: "acme", gen: a.gen, sessions: []models.Session{
		sess("acme", "a1", "Renamed by newer listing", models.StatusAwaitingSignature, 2)}, done: true})
	if r := d.row("a1"); r == nil || r.title != "Renamed by newer listing" {
		t.Error("the current generation was not applied")
	}
	// Rows not seen by the completed listing are gone.
	if d.row("a2") != nil {
		t.Error("a row missing from the completed listing was kept")
	}
}

func TestRefreshCancelsTheOlderListing(t *testing.T) {
	dbx, _ := fixture()
	dbx.listGate = make(chan struct{})
	d := newDriver(t, Options{Accounts: []Account{{Name: "acme", Kind: models.DropboxSign, Provider: dbx}}})
	d.blocking = true
	d.run(d.m.Init())
	d.press("r")
	dbx.mu.Lock()
	ctxs := append([]context.Context(nil), dbx.listCtx...)
	dbx.mu.Unlock()
	if len(ctxs) != 2 {
		t.Fatalf("listings = %d, want 2", len(ctxs))
	}
	select {
	case <-ctxs[0].Done():
	case <-time.After(time.Second):
		t.Fatal("the older listing's context was not canceled")
	}
	if ctxs[1].Err() != nil {
		t.Fatal("the new listing is canceled")
	}
	close(dbx.listGate)
	d.settle()
	if len(d.m.rows) != 5 || d.m.accts[0].loading {
		t.Errorf("rows=%d loading=%v", len(d.m.rows), d.m.accts[0].loading)
	}
}

func TestRefreshUpsertsAndRemovesButKeepsConfirmingRows(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, func(o *Options) { o.CancelConfirmTimeout = 10 * time.Second })
	// Cancel a1 (Dropbox Sign, async): it stays "Cancel requested" while
	// the service confirms it (held here).
	gate := make(chan struct{})
	dbx.onStatus = func() { <-gate }
	d.moveTo("a1")
	d.blocking = true
	d.press("x", "y")
	if st := d.row("a1").s.Status; st != models.StatusCancelPending {
		t.Fatalf("a1 status = %s", st)
	}
	// The provider still lists a1 as awaiting, and a5 disappeared.
	dbx.mu.Lock()
	dbx.sessions = dbx.sessions[:4]
	dbx.sessions[1].Title = "Purchase agreement v2"
	dbx.mu.Unlock()
	d.press("r")
	if d.row("a5") != nil {
		t.Error("a5 was not removed after a complete listing")
	}
	if r := d.row("a2"); r == nil || r.title != "Purchase agreement v2" {
		t.Error("a2 was not updated in place")
	}
	if st := d.row("a1").s.Status; st != models.StatusCancelPending {
		t.Errorf("refresh overwrote the pending cancel: %s", st)
	}
	// A session being confirmed stays even when the listing omits it.
	dbx.mu.Lock()
	dbx.sessions = dbx.sessions[1:]
	dbx.mu.Unlock()
	d.press("r")
	if d.row("a1") == nil {
		t.Error("a row whose cancel is being confirmed was removed")
	}
	close(gate)
	d.settle()
}

func TestListingErrorShowsAndOtherAccountsWork(t *testing.T) {
	d, _, _ := fixtureDriver(t, func(o *Options) {
		o.Accounts[1].Provider.(*fakeProvider).listErr = providers.NewError(providers.ErrUnauthorized, "list", 401, "unauthorized", "token revoked")
	})
	s := d.screen()
	if !strings.Contains(s, "c1:prod 3 ✗ unauthorized (HTTP 401)") {
		t.Errorf("status line lacks the error:\n%s", s)
	}
	if !strings.Contains(d.flash(), "c1:prod: list: unauthorized (HTTP 401 unauthorized): token revoked") {
		t.Errorf("flash = %q", d.flash())
	}
	// The status line keeps the gist once the flash has cleared.
	d.fire(func(msg tea.Msg) bool { _, ok := msg.(flashClearMsg); return ok })
	if s := d.screen(); d.flash() != "" || !strings.Contains(s, "c1:prod 3 ✗ unauthorized (HTTP 401)") {
		t.Errorf("after the flash cleared:\n%s", s)
	}
	// Rows of a failed listing are kept (no removal on error); others work.
	if len(d.m.rows) != 8 {
		t.Errorf("rows = %d", len(d.m.rows))
	}
	d.press("a", "j") // the accounts view, on prod
	if s := d.screen(); !strings.Contains(s, "Last listing failed: list: unauthorized") || !strings.Contains(s, "token revoked") {
		t.Errorf("accounts view lacks the error:\n%s", s)
	}
}

func TestFilterQualifiersAndSmartCase(t *testing.T) {
	d, dbx, c1 := fixtureDriver(t, nil)
	// Make p1's signers known.
	d.moveTo("p1")
	d.press("enter", "esc")
	cases := []struct {
		q    string
		want []string
	}{
		{"lease", []string{"a1"}},
		{"LEASE", nil},            // uppercase: case-sensitive
		{"Lease", []string{"a1"}}, // exact case matches
		{"agreement", []string{"p1", "a2", "a3"}},
		{"agreement elm", []string{"a2"}}, // all terms must match
		{"status:awaiting", []string{"a1", "p1", "a3"}},
		{"status:completed,declined", []string{"a2", "a4"}},
		{"status:cancel-requested", nil}, // label form
		{"status:on-hold", []string{"p3"}},
		{"account:prod", []string{"p1", "p2", "p3"}},
		{"provider:dbx status:draft", []string{"a5"}},
		{"provider:constellation1 status:aw", []string{"p1"}},
		{"signer:ana", []string{"a1"}},
		{"signer:ivy", []string{"p1"}}, // loaded by the detail
		{"-status:awaiting account:acme", []string{"a2", "a4", "a5"}},
		{"東京", []string{"a5"}},
		{"bob@example", []string{"a1"}}, // plain terms search signers too
	}
	for _, c := range cases {
		d.press("/")
		d.press("ctrl+u") // clear the input line
		d.typeText(c.q)
		d.press("enter")
		if d.m.filtering {
			t.Errorf("%q: input still open (err %q)", c.q, d.m.filterErr)
			d.press("esc", "esc")
			continue
		}
		if got := d.visibleIDs(); !slices.Equal(got, c.want) {
			t.Errorf("filter %q = %v, want %v", c.q, got, c.want)
		}
	}
	if dbx.lists != 1 || c1.lists != 1 {
		t.Errorf("filtering fetched: lists = %d/%d", dbx.lists, c1.lists)
	}
}

func TestFilterInvalidQualifierShowsSpecificError(t *testing.T) {
	d, _, _ := fixtureDriver(t, nil)
	for q, want := range map[string]string{
		"status:bogus": `status: unknown status "bogus"`,
		"status:c":     `ambiguous status "c" (matches completed, cancel_pending, canceled)`,
		"provider:foo": `provider: unknown provider "foo"`,
		"signer:":      `signer: needs a value, like signer:ana`,
	} {
		d.press("/")
		d.press("ctrl+u")
		d.typeText(q)
		d.press("enter")
		if !d.m.filtering {
			t.Errorf("%q: Enter applied an invalid filter", q)
		}
		if !strings.Contains(d.m.filterErr, want) {
			t.Errorf("%q: error %q, want %q", q, d.m.filterErr, want)
		}
		if !strings.Contains(d.screen(), want) {
			t.Errorf("%q: error not shown inline", q)
		}
		d.press("esc", "esc")
	}
}

func TestFilterPreviewEnterEscAndHeaderCount(t *testing.T) {
	d, _, _ := fixtureDriver(t, nil)
	d.press("/")
	d.typeText("status:aw")
	if got := len(d.visibleIDs()); got != 3 {
		t.Errorf("live preview shows %d rows, want 3", got)
	}
	if !strings.Contains(d.screen(), "3 of 8 sessions") {
		t.Error("header lacks N of M")
	}
	d.press("q") // text while typing, never quit
	if d.quit || !strings.HasSuffix(d.m.filterInput.Value(), "q") {
		t.Fatal("q in the filter input was not text")
	}
	d.press("backspace", "enter")
	if d.m.filterText != "status:aw" || d.m.filtering {
		t.Fatalf("filter = %q filtering=%v", d.m.filterText, d.m.filtering)
	}
	// Esc with the input closed clears the active filter.
	d.press("esc")
	if d.m.filterText != "" || len(d.visibleIDs()) != 8 {
		t.Error("esc did not clear the active filter")
	}
	// Esc in a non-empty input clears the text; again closes and clears.
	d.press("/")
	d.typeText("lease")
	d.press("esc")
	if !d.m.filtering || d.m.filterInput.Value() != "" || len(d.visibleIDs()) != 8 {
		t.Errorf("first esc: filtering=%v value=%q rows=%d", d.m.filtering, d.m.filterInput.Value(), len(d.visibleIDs()))
	}
	d.press("esc")
	if d.m.filtering {
		t.Error("second esc did not close the input")
	}
}

func TestSortCyclesTogglesAndKeepsCursor(t *testing.T) {
	d, _, _ := fixtureDriver(t, nil)
	d.moveTo("a3")
	if !strings.Contains(d.screen(), "CREATED ▼") || !strings.Contains(d.screen(), "sort: created ▼") {
		t.Error("header does not show created ▼")
	}
	d.press("S")
	if d.m.sortDesc || d.visibleIDs()[0] != "p3" {
		t.Errorf("S did not reverse: %v", d.visibleIDs())
	}
	if !strings.Contains(d.screen(), "sort: created ▲") {
		t.Error("header does not show ▲ after reversing")
	}
	if d.cursorID() != "a3" {
		t.Errorf("cursor left a3: %s", d.cursorID())
	}
	d.press("S")
	if !d.m.sortDesc {
		t.Error("second S did not toggle back")
	}
	d.press("s", "s") // expires, then title
	if d.m.sortCol != sortTitle || d.m.sortDesc {
		t.Fatalf("sort = %v desc=%v", d.m.sortCol, d.m.sortDesc)
	}
	if got := d.visibleIDs(); got[0] != "p3" || got[1] != "p1" { // Addendum B, Buyer rep…
		t.Errorf("title order = %v", got)
	}
	if d.cursorID() != "a3" || !strings.Contains(d.screen(), "TITLE ▲") {
		t.Error("cursor or header wrong after sorting by title")
	}
	// Stable: equal keys are ordered by ref.
	d.press("s") // status
	aw := []string{}
	for _, id := range d.visibleIDs() {
		if st := d.row(id).s.Status; st == models.StatusAwaitingSignature {
			aw = append(aw, id)
		}
	}
	if !slices.Equal(aw, []string{"a1", "a3", "p1"}) {
		t.Errorf("ties not broken by ref: %v", aw)
	}
	for i := 0; i < int(numSortCols)-3; i++ {
		d.press("s")
	}
	if d.m.sortCol != sortCreated || !d.m.sortDesc {
		t.Errorf("cycle did not come back to created ▼: %v %v", d.m.sortCol, d.m.sortDesc)
	}
}

func TestMarksSurviveRefreshSortFilter(t *testing.T) {
	d, _, _ := fixtureDriver(t, nil)
	d.press("space")
	if d.cursorID() != "p1" {
		t.Errorf("space did not move down: %s", d.cursorID())
	}
	d.press("j", "space") // a1 and a2 marked
	if len(d.m.marks) != 2 || !strings.Contains(d.screen(), "2 marked") {
		t.Fatalf("marks = %v", d.m.marks)
	}
	d.press("r", "s", "S")
	d.press("/")
	d.typeText("account:prod")
	d.press("enter")
	for _, id := range []string{"a1", "a2"} {
		if _, ok := d.m.marks[models.Ref{Account: "acme", ID: id}]; !ok {
			t.Errorf("mark of %s lost", id)
		}
	}
	d.press("esc")
	if !strings.Contains(d.screen(), "◆dbx:acme Lease") && !strings.Contains(d.screen(), "◆dbx:acme") {
		t.Errorf("mark glyph not shown:\n%s", d.screen())
	}
	d.press(`ctrl+\`)
	if len(d.m.marks) != 0 {
		t.Error("ctrl+\\ did not clear marks")
	}
	d.press("space", "esc")
	if len(d.m.marks) != 0 {
		t.Error("esc with nothing else open did not clear marks")
	}
}

// --- cancel ---

func TestCancelPromptOnlyYConfirms(t *testing.T) {
	for _, k := range []string{"enter", "esc", "n", "Y", "space", "x", "q", "ctrl+c"} {
		d, dbx, _ := fixtureDriver(t, nil)
		d.press("x")
		if d.m.cancelOv() == nil {
			t.Fatal("x did not open the prompt")
		}
		_, cmd := d.m.Update(keyMsg(k))
		d.run(cmd)
		if d.m.cancelOv() != nil {
			t.Errorf("%s left the prompt open", k)
		}
		if len(dbx.cancels) != 0 || d.m.inflightCount() != 0 || d.quit {
			t.Errorf("%s sent a cancel or quit", k)
		}
		if d.row("a1").s.Status != models.StatusAwaitingSignature {
			t.Errorf("%s changed the row", k)
		}
	}
}

func TestCancelSingleWithY(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, nil)
	d.press("x")
	s := d.screen()
	for _, want := range []string{"Cancel this session?", `"Lease renewal 12 Oak St"`, "dbx:acme", "This cannot be undone.", "[y/N]"} {
		if !strings.Contains(s, want) {
			t.Errorf("prompt lacks %q:\n%s", want, s)
		}
	}
	_, cmd := d.m.Update(keyMsg("y"))
	if cmd == nil {
		t.Fatal("y returned no command")
	}
	if len(dbx.cancels) != 0 {
		t.Fatal("cancel sent inside Update")
	}
	d.run(cmd)
	if !slices.Equal(dbx.cancels, []string{"a1"}) {
		t.Errorf("cancels = %v", dbx.cancels)
	}
	if st := d.row("a1").s.Status; st != models.StatusCanceled {
		t.Errorf("status = %s", st)
	}
	if d.flash() != "Canceled Lease renewal 12 Oak St (confirmed)" {
		t.Errorf("flash = %q", d.flash())
	}
	ev := d.ops("cancel")
	if len(ev) != 1 || ev[0].Outcome != "ok" || ev[0].Via != "tui" || ev[0].Ref != "acme/a1" || ev[0].Status != "canceled" {
		t.Errorf("journal = %+v", ev)
	}
}

func TestCancelAllIneligibleGivesReasonWithoutPrompt(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, nil)
	d.moveTo("a2")
	d.press("x")
	if d.m.cancelOv() != nil {
		t.Fatal("a prompt opened for a completed session")
	}
	if d.flash() != "Cancel: session already completed" {
		t.Errorf("flash = %q", d.flash())
	}
	d.moveTo("a2")
	d.press("space")
	d.moveTo("p2")
	d.press("space", "x")
	if d.m.cancelOv() != nil || !strings.Contains(d.flash(), "none of the 2 sessions can be canceled (1 × session already completed; 1 × session already canceled)") {
		t.Errorf("flash = %q", d.flash())
	}
	if len(dbx.cancels) != 0 {
		t.Error("sent")
	}
}

func TestCancelNoTokenAndNoCapabilityReasons(t *testing.T) {
	dbx, _ := fixture()
	dbx.caps.Cancel = false
	d := newDriver(t, Options{Accounts: []Account{
		{Name: "acme", Kind: models.DropboxSign, Provider: dbx},
		{Name: "x", Kind: models.Constellation1},
	}})
	d.run(d.m.Init())
	d.press("x")
	if d.flash() != "Cancel: Dropbox Sign account acme cannot cancel sessions" {
		t.Errorf("flash = %q", d.flash())
	}
	// A row of an account without a token.
	d.m.upsert(sess("x", "x1", "Orphan", models.StatusAwaitingSignature, 0), 1, 0)
	d.m.rebuild()
	d.moveTo("x1")
	d.press("x")
	if d.flash() != "Cancel: account x has no token: set SIGNDECK_TOKEN_X or run `signdeck auth login x`" {
		t.Errorf("flash = %q", d.flash())
	}
	d.press("c")
	if d.flash() != "Copy: account x has no token: set SIGNDECK_TOKEN_X or run `signdeck auth login x`" {
		t.Errorf("flash = %q", d.flash())
	}
	if !strings.Contains(d.screen(), "c1:x – no token — press a to log in") {
		t.Errorf("status line lacks the no-token hint:\n%s", d.screen())
	}
}

func TestCancelSkipsSessionTheProviderSaysCannotBeCanceled(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, nil)
	d.row("a1").s.NotCancelable = "sent by kim@example.com; Dropbox Sign lets only the sender cancel it"
	d.moveTo("a1")
	d.press("x")
	if d.m.cancelOv() != nil {
		t.Fatal("a prompt opened for a teammate's request")
	}
	if d.flash() != "Cancel: sent by kim@example.com; Dropbox Sign lets only the sender cancel it" {
		t.Errorf("flash = %q", d.flash())
	}
	if len(dbx.cancels) != 0 {
		t.Error("sent")
	}
}

func TestCancelBulkSkipsIneligibleCountsHiddenAndNamesFailures(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, nil)
	dbx.cancelErr = map[string]error{"a3": providers.NewError(providers.ErrConflict, "cancel a3", 409, "conflict", "already signed")}
	for _, id := range []string{"a1", "a2", "a3"} {
		d.moveTo(id)
		d.press("space")
	}
	d.press("/")
	d.typeText("lease")
	d.press("enter", "x")
	s := d.screen()
	for _, want := range []string{"Cancel 2 sessions?", "2 marked sessions are hidden by the current filter.",
		"Skipped, not sent (1):", "session already completed", "This cannot be undone."} {
		if !strings.Contains(s, want) {
			t.Errorf("prompt lacks %q:\n%s", want, s)
		}
	}
	d.press("y")
	if !slices.Equal(dbx.cancels, []string{"a1", "a3"}) {
		t.Errorf("cancels = %v (the completed one must not be sent)", dbx.cancels)
	}
	want := "0 canceled, 1 requested, 1 skipped, 1 failed: Listing agreement 99 Pine Ave with a very long title that needs truncating: conflict (HTTP 409 conflict): already signed"
	if d.flash() != want {
		t.Errorf("flash = %q\nwant    %q", d.flash(), want)
	}
	// Failed rows stay marked, succeeded ones are unmarked; the skipped one stays.
	if _, ok := d.m.marks[models.Ref{Account: "acme", ID: "a3"}]; !ok {
		t.Error("failed row lost its mark")
	}
	if _, ok := d.m.marks[models.Ref{Account: "acme", ID: "a1"}]; ok {
		t.Error("canceled row still marked")
	}
	outcomes := map[string]string{}
	for _, e := range d.ops("cancel") {
		outcomes[e.Ref] = e.Outcome
	}
	if outcomes["acme/a1"] != "ok" || outcomes["acme/a3"] != "failed" || outcomes["acme/a2"] != "skipped" {
		t.Errorf("audit outcomes = %v", outcomes)
	}
}

func manySessions(acct string, n int) []models.Session {
	var out []models.Session
	for i := 0; i < n; i++ {
		out = append(out, sess(acct, fmt.Sprintf("m%02d", i), fmt.Sprintf("Bulk %02d", i), models.StatusAwaitingSignature, i))
	}
	return out
}

func TestCancelAboveFiveNeedsTypedCount(t *testing.T) {
	setup := func() (*driver, *fakeProvider) {
		dbx := newFake(models.DropboxSign, "acme")
		dbx.sessions = manySessions("acme", 7)
		d := newDriver(t, Options{Accounts: []Account{{Name: "acme", Kind: models.DropboxSign, Provider: dbx}}})
		d.run(d.m.Init())
		for range 7 {
			d.press("space")
		}
		d.press("x")
		return d, dbx
	}
	d, dbx := setup()
	if !d.m.cancelOv().needCount || !strings.Contains(d.screen(), "Type 7 to confirm") {
		t.Fatalf("no count prompt:\n%s", d.screen())
	}
	d.press("y") // y before the count: does not confirm
	d.typeText("6")
	d.press("enter") // wrong count: does not confirm
	d.typeText("77")
	d.press("y")
	if len(dbx.cancels) != 0 || d.m.cancelOv() == nil {
		t.Fatalf("confirmed on a wrong count: cancels=%v", dbx.cancels)
	}
	if !strings.Contains(d.screen(), "type 7 (the number of sessions) to confirm") {
		t.Error("no hint after a wrong count")
	}
	d.typeText("7")
	d.press("enter")
	if len(dbx.cancels) != 7 {
		t.Errorf("cancels = %d, want 7", len(dbx.cancels))
	}
	if f := d.flash(); !strings.HasPrefix(f, "Canceled Bulk 0") || !strings.HasSuffix(f, "(confirmed)") {
		t.Errorf("flash = %q", f)
	}
	if ops := d.ops("cancel"); len(ops) != 7 || ops[6].Outcome != "ok" {
		t.Errorf("journal = %d ops", len(ops))
	}
	// Any other key aborts.
	d, dbx = setup()
	d.typeText("7")
	d.press("n")
	if d.m.cancelOv() != nil || len(dbx.cancels) != 0 {
		t.Error("n did not abort the count prompt")
	}
	d, _ = setup()
	d.press("esc")
	if d.m.cancelOv() != nil {
		t.Error("esc did not abort the count prompt")
	}
}

func TestCancelConcurrencyIsBoundedPerAccount(t *testing.T) {
	dbx := newFake(models.DropboxSign, "acme")
	dbx.sessions = manySessions("acme", 9)
	gate := make(chan struct{})
	var mu sync.Mutex
	active, most := 0, 0
	dbx.onCancel = func() {
		mu.Lock()
		active++
		most = max(most, active)
		mu.Unlock()
		<-gate
		mu.Lock()
		active--
		mu.Unlock()
	}
	d := newDriver(t, Options{Accounts: []Account{{Name: "acme", Kind: models.DropboxSign, Provider: dbx}}})
	d.run(d.m.Init())
	for range 9 {
		d.press("space")
	}
	d.press("x")
	d.typeText("9")
	d.blocking = true
	d.press("y")
	if d.m.inflightCount() != 9 {
		t.Errorf("in flight = %d", d.m.inflightCount())
	}
	close(gate)
	d.settle()
	if len(dbx.cancels) != 9 || d.m.inflightCount() != 0 {
		t.Errorf("cancels=%d inflight=%d", len(dbx.cancels), d.m.inflightCount())
	}
	if most != app.DefaultCancelWorkers {
		t.Errorf("at most %d cancels at once, want %d", most, app.DefaultCancelWorkers)
	}
}

// TestAsyncCancelConfirmedByTheService: Dropbox Sign cancels
// asynchronously; the row reads Cancel requested while the service follows
// the cancel to its confirmation, then Canceled, and the journal's cancel
// ends ok.
func TestAsyncCancelConfirmedByTheService(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, nil)
	gate := make(chan struct{})
	dbx.onStatus = func() { <-gate }
	dbx.statusSeq = map[string][]models.Status{"a1": {models.StatusCancelPending, models.StatusCancelPending, models.StatusCanceled}}
	d.m.opts.CancelConfirmTimeout = 10 * time.Second
	d.moveTo("a1")
	d.blocking = true
	d.press("x", "y")
	if st := d.row("a1").s.Status; st != models.StatusCancelPending {
		t.Fatalf("status = %s", st)
	}
	if d.flash() != "Cancel requested for Lease renewal 12 Oak St" {
		t.Errorf("flash = %q", d.flash())
	}
	if !strings.Contains(d.screen(), "◌ Cancel requested") {
		t.Error("row does not show Cancel requested")
	}
	if ops := d.ops("cancel"); len(ops) != 1 || ops[0].Outcome != "pending" {
		t.Errorf("journal while confirming = %+v", ops)
	}
	close(gate)
	d.settle()
	if st := d.row("a1").s.Status; st != models.StatusCanceled {
		t.Errorf("status after confirmation = %s", st)
	}
	if d.flash() != "Canceled Lease renewal 12 Oak St (confirmed)" {
		t.Errorf("flash = %q", d.flash())
	}
	if dbx.statusCalls != 3 {
		t.Errorf("status polls = %d, want 3", dbx.statusCalls)
	}
	if ops := d.ops("cancel"); len(ops) != 1 || ops[0].Outcome != "ok" || ops[0].Status != "canceled" {
		t.Errorf("journal = %+v", ops)
	}
}

func TestSyncCancelIsDoneAtOnce(t *testing.T) {
	d, _, c1 := fixtureDriver(t, nil)
	d.moveTo("p1")
	d.press("x", "y")
	if st := d.row("p1").s.Status; st != models.StatusCanceled || c1.statusCalls != 0 {
		t.Errorf("status = %s, polls %d", st, c1.statusCalls)
	}
	if d.flash() != "Canceled Buyer rep agreement" {
		t.Errorf("flash = %q", d.flash())
	}
}

func TestAsyncCancelGivesUpAfterTimeout(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, func(o *Options) {
		o.CancelPollFirst, o.CancelPollMax, o.CancelConfirmTimeout = 5*time.Millisecond, 10*time.Millisecond, 60*time.Millisecond
	})
	dbx.statusSeq = map[string][]models.Status{"a1": {models.StatusCancelPending}}
	d.moveTo("a1")
	d.press("x", "y")
	if _, ok := d.m.pending[models.Ref{Account: "acme", ID: "a1"}]; ok {
		t.Fatal("still following after the timeout")
	}
	if dbx.statusCalls < 3 {
		t.Errorf("status calls = %d", dbx.statusCalls)
	}
	if st := d.row("a1").s.Status; st != models.StatusCancelPending {
		t.Errorf("status = %s, want it to stay Cancel requested", st)
	}
	if !strings.Contains(d.flash(), `stays "Cancel requested"`) {
		t.Errorf("flash = %q", d.flash())
	}
	if ops := d.ops("cancel"); len(ops) != 1 || ops[0].Outcome != "pending" {
		t.Errorf("journal = %+v", ops)
	}
}

func TestQuitAsksWhileOperationsInFlight(t *testing.T) {
	d, _, _ := fixtureDriver(t, nil)
	d.press("x")
	_, _ = d.m.Update(keyMsg("y")) // cancel command not run: in flight
	d.press("q")
	if d.quit || d.m.quitOv() == nil {
		t.Fatal("q quit with a cancel in flight")
	}
	if !strings.Contains(d.screen(), "1 operation in flight — quit anyway? [y/N]") {
		t.Errorf("no quit question:\n%s", d.screen())
	}
	d.press("enter")
	if d.quit || d.m.quitOv() != nil {
		t.Fatal("enter confirmed quitting")
	}
	d.press("ctrl+c", "y")
	if !d.quit {
		t.Error("y did not quit")
	}
}

// --- detail ---

func TestDetailLoadsLazilyCachesAndUpgradesLiteRow(t *testing.T) {
	d, _, c1 := fixtureDriver(t, nil)
	d.send(tea.WindowSizeMsg{Width: 140, Height: 40})
	d.moveTo("p1")
	_, cmd := d.m.Update(keyMsg("enter"))
	if !strings.Contains(d.screen(), "loading…") {
		t.Errorf("no loading indicator:\n%s", d.screen())
	}
	if len(c1.gets) != 0 {
		t.Fatal("Get ran inside Update")
	}
	d.run(cmd)
	s := d.screen()
	for _, want := range []string{"Signers (0/2 signed)", "Gus Hale <gus@example.com>", "◐ In progress", "tx-42",
		"https://esign.example.com/s/p1", "office: North", "Action log", "gus@example.com: viewed — from 10.0.0.1"} {
		if !strings.Contains(s, want) {
			t.Errorf("detail lacks %q:\n%s", want, s)
		}
	}
	if r := d.row("p1"); r.total != 2 {
		t.Errorf("lite row not upgraded: total=%d", r.total)
	}
	d.press("esc", "enter")
	if len(c1.gets) != 1 {
		t.Errorf("gets = %v (cache not used)", c1.gets)
	}
	// Refresh invalidates the cache.
	d.press("r")
	if len(c1.gets) != 2 {
		t.Errorf("gets after refresh = %v", c1.gets)
	}
}

func TestDetailErrorInlineAndDebouncedMovement(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, nil)
	dbx.getErr = map[string]error{"a2": errors.New("HTTP 503")}
	d.press("enter")
	d.press("j", "j") // p1, a2: no Get until the pause
	if n := len(dbx.gets); n != 1 {
		t.Errorf("gets while moving = %v", dbx.gets)
	}
	d.fire(func(msg tea.Msg) bool { _, ok := msg.(detailWantMsg); return ok })
	if !slices.Equal(dbx.gets, []string{"a1", "a2"}) {
		t.Errorf("gets = %v, want only the row the cursor rests on", dbx.gets)
	}
	if !strings.Contains(d.screen(), "could not load details: HTTP 503") {
		t.Errorf("error not inline:\n%s", d.screen())
	}
}

// --- read-only ---

func TestReadonlyRemovesCancelAndCopy(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, func(o *Options) { o.Readonly = true })
	s := d.screen()
	if strings.Contains(s, "cancel") || strings.Contains(s, "copy") || !strings.Contains(s, "READ-ONLY") {
		t.Errorf("footer still offers cancel/copy or lacks the indicator:\n%s", s)
	}
	d.press("?")
	s = d.screen()
	if strings.Contains(s, "cancel session") || strings.Contains(s, "copy, edit") || strings.Contains(s, "Copy form") {
		t.Errorf("help lists removed actions:\n%s", s)
	}
	if !strings.Contains(s, "Read-only mode") || !strings.Contains(s, "canceling and copying are off") {
		t.Errorf("help does not say why cancel and copy are missing:\n%s", s)
	}
	d.press("esc")
	_, cmd := d.m.Update(keyMsg("x"))
	d.run(cmd)
	if d.m.cancelOv() != nil || len(dbx.cancels) != 0 {
		t.Error("x works in read-only mode")
	}
	if d.flash() != "Cancel: read-only mode" {
		t.Errorf("flash = %q", d.flash())
	}
	d.press("c")
	if d.m.copyOv() != nil || d.flash() != "Copy: read-only mode" {
		t.Errorf("copy opened or flash = %q", d.flash())
	}
}

// --- hostile text ---

func TestHostileTextIsCleaned(t *testing.T) {
	dbx := newFake(models.DropboxSign, "acme")
	evil := "\x1b]0;pwned\x07\x1b[2JEvil\u009b31m title"
	s := sess("acme", "e1", evil, models.StatusAwaitingSignature, 1,
		signer("\x1b[31mMallory\x1b[0m", "m@example.com\x1b[2J", models.SignerDeclined))
	s.Signers[0].DeclineReason = "no\x1b]52;c;Zm9v\x07pe"
	s.Metadata = map[string]string{"k\x1b[1m": "v\x1b[2J"}
	s.ActionLog = []models.LogEntry{{Action: "x\x1b[H\x1b[2Jy"}}
	s.URL = "https://x\x1b[2J.example"
	dbx.sessions = []models.Session{s}
	dbx.getErr = nil
	d := newDriver(t, Options{Accounts: []Account{{Name: "acme", Kind: models.DropboxSign, Provider: dbx}}})
	d.run(d.m.Init())
	d.send(tea.WindowSizeMsg{Width: 140, Height: 40})
	d.press("enter")
	d.press("x")
	raw := d.m.render()
	for _, bad := range []string{"\x1b]", "\x07", "\x1b[2J", "\u009b", "\x1b[H", "pwned"} {
		if strings.Contains(raw, bad) {
			t.Errorf("view contains %q", bad)
		}
	}
	if !strings.Contains(d.screen(), "Evil title") || !strings.Contains(d.screen(), "Mallory") {
		t.Errorf("cleaned text missing:\n%s", d.screen())
	}
	v := d.m.View()
	if v.WindowTitle != "signdeck" {
		t.Errorf("window title = %q", v.WindowTitle)
	}
	// Errors too.
	d.press("esc")
	d.send(pagesMsg{acct: "acme", gen: d.m.accts[0].gen, done: true, err: errors.New("bad \x1b]0;t\x07thing")})
	if strings.Contains(d.m.render(), "\x1b]0;t") {
		t.Error("error text not cleaned")
	}
}

// --- auto refresh ---

func TestAutoRefreshPausesWhileAModalIsOpen(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, func(o *Options) { o.RefreshInterval = time.Minute })
	isAuto := func(msg tea.Msg) bool { _, ok := msg.(autoRefreshMsg); return ok }
	d.fire(isAuto)
	if dbx.lists != 2 {
		t.Fatalf("lists = %d after one tick", dbx.lists)
	}
	d.press("x") // modal open
	d.fire(isAuto)
	if dbx.lists != 2 {
		t.Error("refreshed while the cancel prompt was open")
	}
	d.press("n") // closes: the deferred refresh runs
	if dbx.lists != 3 {
		t.Errorf("deferred refresh did not run on close: lists = %d", dbx.lists)
	}
	if !strings.Contains(fmt.Sprint(d.timers), "{}") {
		t.Error("the next tick was not scheduled")
	}
}

func TestFlashClearsItself(t *testing.T) {
	d, _, _ := fixtureDriver(t, nil)
	d.moveTo("a2")
	d.press("x")
	first := d.flash()
	d.press(`ctrl+\`) // no marks: no new flash
	d.press("space", `ctrl+\`)
	if d.flash() == first {
		t.Fatal("second flash not shown")
	}
	// The first flash's timer must not clear the second.
	d.send(flashClearMsg{id: d.m.fl.id - 1})
	if d.flash() == "" {
		t.Error("an old timer cleared a newer flash")
	}
	d.fire(func(msg tea.Msg) bool { _, ok := msg.(flashClearMsg); return ok })
	if d.flash() != "" {
		t.Error("flash did not clear")
	}
}

func TestNarrowTerminalsDropColumnsAndTruncateByWidth(t *testing.T) {
	d, _, _ := fixtureDriver(t, nil)
	d.send(tea.WindowSizeMsg{Width: 60, Height: 20})
	s := d.screen()
	for _, l := range strings.Split(s, "\n") {
		if w := len([]rune(l)); w > 60+20 { // runes ≥ cells; wide runes counted below
			t.Errorf("line too long: %q", l)
		}
	}
	if strings.Contains(s, "CREATED") || strings.Contains(s, "ID") && strings.Contains(s, " ID ") {
		t.Errorf("low-value columns not dropped at 60 cols:\n%s", s)
	}
	if !strings.Contains(s, "STATUS") || !strings.Contains(s, "TITLE") {
		t.Errorf("essential columns dropped:\n%s", s)
	}
	d.send(tea.WindowSizeMsg{Width: 140, Height: 40})
	s = d.screen()
	if !strings.Contains(s, "EXPIRES") || !strings.Contains(s, " ID") {
		t.Errorf("wide terminal lacks columns:\n%s", s)
	}
	for _, l := range strings.Split(s, "\n") {
		if w := stringWidth(l); w != 140 {
			t.Errorf("line width %d != 140: %q", w, l)
		}
	}
	// The wide-rune title is cut by display width.
	if !strings.Contains(d.screen(), "契約書") {
		t.Error("wide runes lost")
	}
}

func TestNoColorKeepsSymbols(t *testing.T) {
	d, _, _ := fixtureDriver(t, nil)
	d.m.setStyles(newStyles(true))
	raw := d.m.render()
	if strings.Contains(raw, "\x1b[3") || strings.Contains(raw, "\x1b[9") || strings.Contains(raw, "38;") {
		t.Errorf("NO_COLOR render has colour codes")
	}
	for _, sym := range []string{"● Awaiting", "✓ Completed", "✗ Declined", "⊘ Canceled"} {
		if !strings.Contains(raw, sym) {
			t.Errorf("symbol %q missing without colour", sym)
		}
	}
	d.m.setStyles(newStyles(false))
	if raw := d.m.render(); !strings.Contains(raw, "\x1b[3") && !strings.Contains(raw, "\x1b[9") {
		t.Error("colour styles produce no colour")
	}
	t.Setenv("NO_COLOR", "1")
	m, _ := New(Options{})
	if !m.st.noColor {
		t.Error("NO_COLOR not honoured")
	}
}

// TestSortKeysMatchCompareRows checks the fast key sort against the plain
// comparator for every column and direction, ties and absent values.
func TestSortKeysMatchCompareRows(t *testing.T) {
	var rows []*row
	for i := 0; i < 300; i++ {
		s := sess([]string{"acme", "prod", "zeta"}[i%3], fmt.Sprintf("id%03d", (i*37)%300),
			[]string{"Beta", "alpha", "Gamma", "alpha"}[i%4], models.AllStatuses[i%5], i%7)
		if i%11 == 0 {
			s.ExpiresAt = time.Time{}
			s.CreatedAt = time.Time{}
		}
		switch i % 3 {
		case 0:
			s.Signers = []models.Signer{signer("a", "a@x.io", models.SignerSigned), signer("b", "b@x.io", models.SignerAwaiting)}
		case 1:
			s.Signers, s.Complete = nil, false
		case 2:
			s.Signers = []models.Signer{signer("c", "c@x.io", models.SignerSigned)}
		}
		rows = append(rows, newRow(s, i%3))
	}
	for c := sortCol(0); c < numSortCols; c++ {
		for _, desc := range []bool{false, true} {
			want := make([]int, len(rows))
			for i := range want {
				want[i] = i
			}
			got := slices.Clone(want)
			slices.SortFunc(want, func(a, b int) int { return compareRows(rows[a], rows[b], c, desc) })
			sortIndices(got, rows, c, desc, nil)
			if !slices.Equal(got, want) {
				t.Errorf("%v desc=%v: key sort differs from compareRows", c, desc)
			}
		}
	}
}

func TestCursorStaysOnTopWhileNewerPagesStreamIn(t *testing.T) {
	dbx := newFake(models.DropboxSign, "acme")
	// The listing returns the oldest sessions first, so every page holds
	// rows that sort above the ones already shown (created, newest first).
	for i := 0; i < 8; i++ {
		dbx.sessions = append(dbx.sessions, sess("acme", fmt.Sprintf("s%d", i), fmt.Sprintf("Session %d", i), models.StatusAwaitingSignature, 100-i))
	}
	d := newDriver(t, Options{Accounts: []Account{{Name: "acme", Kind: models.DropboxSign, Provider: dbx}}})
	d.run(d.m.Init())
	if d.m.cursor != 0 || d.cursorID() != "s7" {
		t.Errorf("untouched cursor at row %d (%s), want row 0 (s7, the newest)", d.m.cursor, d.cursorID())
	}
	// Once the user has moved, the cursor follows its session.
	d.press("j") // s6
	d.m.accts[0].gen++
	d.send(pagesMsg{acct: "acme", gen: d.m.accts[0].gen, sessions: []models.Session{
		sess("acme", "new", "Newest", models.StatusAwaitingSignature, 1)}})
	if d.cursorID() != "s6" {
		t.Errorf("cursor on %s after a newer row arrived, want s6 (the session the user chose)", d.cursorID())
	}
}

// sortedOrder is every row of the table sorted from scratch.
func sortedOrder(m *Model) []int32 {
	idx := make([]int, len(m.rows))
	for i := range idx {
		idx[i] = i
	}
	sortIndices(idx, m.rows, m.sortCol, m.sortDesc, nil)
	out := make([]int32, len(idx))
	for p, i := range idx {
		out[p] = int32(i)
	}
	return out
}

// TestStreamedPagesMatchFullRebuild checks the incremental merge of pages
// (insertVisible) against a full rebuild, for every sort column and
// direction, with and without a filter, with updates and repeats mixed in.
func TestStreamedPagesMatchFullRebuild(t *testing.T) {
	mk := func(i int) models.Session {
		acct := "acme"
		s := sess(acct, fmt.Sprintf("id%04d", (i*7919)%1000), []string{"Beta", "alpha", "Gamma", "alpha", "Oak"}[i%5],
			models.AllStatuses[i%6], (i*31)%200)
		if i%9 == 0 {
			s.CreatedAt, s.ExpiresAt = time.Time{}, time.Time{}
		}
		if i%4 == 0 {
			s.Signers = []models.Signer{signer("a", "a@x.io", models.SignerSigned), signer("b", "b@x.io", models.SignerAwaiting)}
		}
		return s
	}
	for _, filter := range []string{"", "alpha", "status:awaiting,draft", "-oak"} {
		for c := sortCol(0); c < numSortCols; c++ {
			for _, desc := range []bool{false, true} {
				d := newDriver(t, Options{Accounts: []Account{{Name: "acme", Kind: models.DropboxSign, Provider: newFake(models.DropboxSign, "acme")}}})
				if err := d.m.setFilter(filter); err != nil {
					t.Fatal(err)
				}
				d.m.sortCol, d.m.sortDesc = c, desc
				d.m.rebuild()
				a := d.m.accts[0]
				a.gen = 1
				for page := 0; page < 12; page++ {
					var ss []models.Session
					for k := 0; k < 40; k++ {
						i := page*37 + k*3 // overlapping: repeats and in-place updates
						s := mk(i)
						if page > 6 && i%10 == 0 {
							s.Status = models.AllStatuses[(i+page)%6] // an update that may move the row
						}
						ss = append(ss, s)
					}
					// A new session twice in one message, changed the second time.
					dup := mk(5000 + page)
					dup.Ref.ID = fmt.Sprintf("dup%02d", page)
					ss = append(ss, dup)
					dup.Status, dup.Title = models.StatusCanceled, "zz changed"
					ss = append(ss, dup)
					d.send(pagesMsg{acct: "acme", gen: 1, sessions: ss})
					gotVis, gotPos, gotCount := slices.Clone(d.m.visible), slices.Clone(d.m.pos), a.count
					if !slices.Equal(d.m.order, sortedOrder(d.m)) {
						t.Fatalf("filter %q %v desc=%v page %d: the kept order differs from a sort", filter, c, desc, page)
					}
					d.m.rebuild()
					if !slices.Equal(gotVis, d.m.visible) || !slices.Equal(gotPos, d.m.pos) || gotCount != a.count {
						t.Fatalf("filter %q %v desc=%v page %d: merged order/pos/count differ from a rebuild", filter, c, desc, page)
					}
				}
			}
		}
	}
}

func TestAccountColumnFitsTypicalNamesWhenThereIsRoom(t *testing.T) {
	dbx := newFake(models.DropboxSign, "demo-dropboxsign")
	dbx.sessions = []models.Session{sess("demo-dropboxsign", "d1", "A title", models.StatusAwaitingSignature, 1)}
	c1 := newFake(models.Constellation1, "demo-constellation1")
	c1.sessions = []models.Session{sess("demo-constellation1", "c1", "Another title", models.StatusAwaitingSignature, 2)}
	d := newDriver(t, Options{Accounts: []Account{
		{Name: "demo-dropboxsign", Kind: models.DropboxSign, Provider: dbx},
		{Name: "demo-constellation1", Kind: models.Constellation1, Provider: c1},
	}})
	d.run(d.m.Init())
	d.send(tea.WindowSizeMsg{Width: 140, Height: 20})
	s := d.screen()
	for _, want := range []string{"dbx:demo-dropboxsign ", "c1:demo-constellation1 "} {
		if !strings.Contains(s, want) {
			t.Errorf("at 140 columns the account column cuts %q:\n%s", want, s)
		}
	}
	for _, c := range d.m.columns(140) {
		if c.title == "TITLE" && c.width < 40 {
			t.Errorf("title got %d cells, want at least 40", c.width)
		}
	}
	// Wide: the id shows in full too.
	d.send(tea.WindowSizeMsg{Width: 200, Height: 20})
	for _, c := range d.m.columns(200) {
		if c.title == "ID" && c.width != 40 {
			t.Errorf("at 200 columns the id column is %d cells, want 40", c.width)
		}
	}
	// Narrow: the title keeps its room and the account shrinks as before.
	d.send(tea.WindowSizeMsg{Width: 80, Height: 20})
	if s := d.screen(); !strings.Contains(s, "dbx:demo-dropbo…") {
		t.Errorf("at 80 columns:\n%s", s)
	}
}

// TestLongFlashWrapsSoTheReasonShows: a failure's reason comes last in
// the flash; at 80 columns it must still be on screen, and the cursor row
// stays in view while the footer is taller.
func TestLongFlashWrapsSoTheReasonShows(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, nil)
	d.send(tea.WindowSizeMsg{Width: 80, Height: 12})
	d.moveTo("a1")
	dbx.cancelErr = map[string]error{"a1": errors.New("acme: cancel a1: invalid input (HTTP 400 signature_request_cancel_failed): Either you are not the requester or the Signature Request can no longer be cancelled.")}
	d.press("G") // the cursor on the last table row
	d.moveTo("a1")
	d.press("x", "y")
	s := d.screen()
	if !strings.Contains(strings.Join(strings.Fields(s), " "), "can no longer be cancelled.") {
		t.Errorf("the failure's reason is cut off:\n%s", s)
	}
	if n := len(strings.Split(s, "\n")); n != 12 {
		t.Errorf("screen has %d lines, want 12", n)
	}
	// The cursor stays visible with the taller footer.
	d.press("G")
	if s := d.screen(); !strings.Contains(s, "› ") {
		t.Errorf("the cursor row is hidden by the flash:\n%s", s)
	}
	// A flash too long for three lines ends in "…".
	d.m.setFlash(flashErr, strings.Repeat("word ", 100))
	lines := d.m.flashLines()
	if len(lines) != maxFlashLines || !strings.HasSuffix(lines[len(lines)-1], "…") {
		t.Errorf("flash lines = %q", lines)
	}
}

func TestCancelFailureFlashShowsTheReasonNotTheID(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, nil)
	d.moveTo("a1")
	pe := providers.NewError(providers.ErrInvalid, "cancel a1", 400, "signature_request_cancel_failed", "Either you are not the requester.")
	pe.Account = "acme"
	dbx.cancelErr = map[string]error{"a1": pe}
	d.press("x", "y")
	want := "Cancel failed: Lease renewal 12 Oak St: invalid input (HTTP 400 signature_request_cancel_failed): Either you are not the requester."
	if d.flash() != want {
		t.Errorf("flash = %q\nwant    %q", d.flash(), want)
	}
	if ev := d.ops("cancel"); len(ev) != 1 || ev[0].Outcome != "failed" || ev[0].Ref != "acme/a1" ||
		ev[0].Reason != "invalid input (HTTP 400 signature_request_cancel_failed): Either you are not the requester." {
		t.Errorf("the journal keeps the reason with the ref: %+v", ev)
	}
}

// TestDetailFollowsTheCursorRowWhateverMovedIt: the open detail pane loads
// the row under the cursor also when a filter (not a key) puts another row
// there.
func TestDetailFollowsTheCursorRowWhateverMovedIt(t *testing.T) {
	d, _, c1 := fixtureDriver(t, nil)
	d.moveTo("p1")
	d.press("enter")
	if !slices.Equal(c1.gets, []string{"p1"}) {
		t.Fatalf("gets = %v", c1.gets)
	}
	d.press("/")
	d.typeText("Addendum")
	d.press("enter")
	if d.cursorID() != "p3" {
		t.Fatalf("cursor = %s, want p3", d.cursorID())
	}
	d.fire(func(msg tea.Msg) bool { _, ok := msg.(detailWantMsg); return ok })
	if !slices.Equal(c1.gets, []string{"p1", "p3"}) {
		t.Errorf("gets = %v: the detail of the row the filter put under the cursor was never loaded", c1.gets)
	}
	if s := d.screen(); strings.Contains(s, "(not loaded)") || !strings.Contains(s, "Lou Ng") {
		t.Errorf("detail pane:\n%s", s)
	}
}

// TestRepositionMatchesFullRebuild: in-place updates (cancel results,
// loaded details) move one row; the result must equal a full rebuild.
func TestRepositionMatchesFullRebuild(t *testing.T) {
	for _, filter := range []string{"", "status:awaiting", "-status:canceled alpha"} {
		for c := sortCol(0); c < numSortCols; c++ {
			for _, desc := range []bool{false, true} {
				d := newDriver(t, Options{Accounts: []Account{{Name: "acme", Kind: models.DropboxSign, Provider: newFake(models.DropboxSign, "acme")}}})
				d.m.accts[0].gen = 1
				var ss []models.Session
				for i := 0; i < 120; i++ {
					s := sess("acme", fmt.Sprintf("id%03d", i), []string{"Beta", "alpha", "Gamma", "alpha"}[i%4], models.AllStatuses[i%4], (i*31)%90)
					ss = append(ss, s)
				}
				d.send(pagesMsg{acct: "acme", gen: 1, sessions: ss})
				if err := d.m.setFilter(filter); err != nil {
					t.Fatal(err)
				}
				d.m.sortCol, d.m.sortDesc = c, desc
				d.m.rebuild()
				for k := 0; k < 60; k++ {
					r := d.m.rows[(k*37)%len(d.m.rows)]
					st := []models.Status{models.StatusCanceled, models.StatusAwaitingSignature, models.StatusCancelPending, models.StatusCompleted}[k%4]
					d.m.setRowStatus(r.s.Ref, st)
					gotVis, gotPos, gotOrder := slices.Clone(d.m.visible), slices.Clone(d.m.pos), slices.Clone(d.m.order)
					d.m.rebuild()
					if !slices.Equal(gotVis, d.m.visible) || !slices.Equal(gotPos, d.m.pos) || !slices.Equal(gotOrder, sortedOrder(d.m)) {
						t.Fatalf("filter %q %v desc=%v step %d: reposition differs from a rebuild", filter, c, desc, k)
					}
				}
			}
		}
	}
}

// TestStaleListingDoesNotUndoACancel: a page of a listing that started
// before a cancel may hold the session's old status; it must not undo the
// cancel. A listing started afterwards is authoritative.
func TestStaleListingDoesNotUndoACancel(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, nil)
	a := d.m.accts[0]
	d.m.startLoad(0) // a refresh is running (its command is not run)
	gen := a.gen
	d.moveTo("a1")
	d.press("x", "y")
	if r := d.row("a1"); r.s.Status != models.StatusCanceled {
		t.Fatalf("a1 = %s after the cancel", r.s.Status)
	}
	// A page fetched before the cancel arrives late.
	old := dbx.sessions[0]
	old.Complete = true
	d.send(pagesMsg{acct: "acme", gen: gen, sessions: []models.Session{old}})
	if r := d.row("a1"); r.s.Status != models.StatusCanceled {
		t.Errorf("a stale page put a1 back to %s", r.s.Status)
	}
	// So does a detail requested before the cancel.
	d.m.detailSeq++
	d.m.details[old.Ref] = &detailEntry{seq: d.m.detailSeq, loading: true, stamp: 0}
	d.send(detailMsg{ref: old.Ref, seq: d.m.detailSeq, s: old})
	if r := d.row("a1"); r.s.Status != models.StatusCanceled {
		t.Errorf("a stale detail put a1 back to %s", r.s.Status)
	}
	// A listing started after the cancel is believed.
	d.m.startLoad(0)
	d.send(pagesMsg{acct: "acme", gen: a.gen, sessions: []models.Session{old}})
	if r := d.row("a1"); r.s.Status != models.StatusAwaitingSignature {
		t.Errorf("a listing started after the cancel was ignored: %s", r.s.Status)
	}
}

// TestDisabledActionKeyFlashesWhy: a key whose action cannot run now says
// why instead of doing nothing; once it can, the same key acts.
func TestDisabledActionKeyFlashesWhy(t *testing.T) {
	d, _, _ := fixtureDriver(t, nil)
	d.press("ctrl+d")
	if d.flash() != "Scroll down: the detail pane is closed (enter opens it)" {
		t.Errorf("ctrl+d with the detail closed: flash %q", d.flash())
	}
	d.press(`ctrl+\`)
	if d.flash() != "Clear marks: nothing is marked" {
		t.Errorf(`ctrl+\ without marks: flash %q`, d.flash())
	}
	d.press("space", `ctrl+\`)
	if len(d.m.marks) != 0 || d.flash() != "Cleared 1 mark" {
		t.Errorf(`ctrl+\ with a mark: marks %d flash %q`, len(d.m.marks), d.flash())
	}
	d.press("/")
	d.typeText("nothing-matches-this")
	d.press("enter", "y")
	if !strings.Contains(d.flash(), "Yank: no session selected") {
		t.Errorf("y on an empty table: flash %q", d.flash())
	}
}
