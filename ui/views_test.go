package ui

import (
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// bucketDriver is the fixture with prod (Constellation1) offering the
// expired and deleted buckets (listed in that unusual order on purpose);
// acme (Dropbox Sign) offers none.
func bucketDriver(t *testing.T, mod func(*Options)) (*driver, *fakeProvider, *fakeProvider) {
	t.Helper()
	dbx, c1 := fixture()
	c1.caps.Buckets = []string{"deleted", "expired"}
	c1.buckets = map[string][]models.Session{
		"expired": {
			sess("prod", "e1", "Old listing agreement", models.StatusExpired, 900, c1signer("Max", "Orr", "max@example.com", models.SignerAwaiting)),
			sess("prod", "e2", "Stale counter offer", models.StatusExpired, 1200),
		},
		"deleted": {sess("prod", "d1", "Scrapped draft", models.StatusDeleted, 2000)},
	}
	opts := Options{Accounts: []Account{
		{Name: "acme", Kind: models.DropboxSign, Provider: dbx, TokenSource: "keyring"},
		{Name: "prod", Kind: models.Constellation1, Provider: c1, TokenSource: "env"},
	}}
	if mod != nil {
		mod(&opts)
	}
	d := newDriver(t, opts)
	d.run(d.m.Init())
	return d, dbx, c1
}

// listsOf counts the List calls of a fake for a bucket ("" active).
func listsOf(f *fakeProvider, bucket string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, q := range f.queries {
		if q.Bucket == bucket {
			n++
		}
	}
	return n
}

// pressV presses v n times, passing over the lenses (expiring, stalled,
// saved views) that come before the buckets in the cycle.
func pressV(d *driver, n int) {
	for range n {
		d.press("v")
		for i := 0; i < 10 && isLens(d.m.viewID()); i++ {
			d.press("v")
		}
	}
}

func header(d *driver) string { return strings.SplitN(d.screen(), "\n", 2)[0] }

func TestViewCyclesActiveAndOfferedBuckets(t *testing.T) {
	d, dbx, c1 := bucketDriver(t, nil)
	if h := header(d); !strings.Contains(h, "active 8") {
		t.Errorf("header does not show the view: %q", h)
	}
	if listsOf(c1, "expired") != 0 || listsOf(c1, "deleted") != 0 {
		t.Fatal("buckets listed before they are shown")
	}
	active := d.visibleIDs()

	pressV(d, 1)
	if d.m.curView != "expired" {
		t.Fatalf("view = %q, want expired (stable order: expired, archived, deleted)", d.m.curView)
	}
	if h := header(d); !strings.Contains(h, "expired 2") {
		t.Errorf("header: %q", h)
	}
	if got := d.visibleIDs(); !slices.Equal(got, []string{"e1", "e2"}) {
		t.Errorf("expired view rows = %v", got)
	}
	if listsOf(c1, "expired") != 1 || listsOf(dbx, "expired") != 0 {
		t.Errorf("expired listed by prod %d times, by acme %d times", listsOf(c1, "expired"), listsOf(dbx, "expired"))
	}
	if !strings.Contains(d.flash(), "no expired view: dbx:acme") {
		t.Errorf("flash does not say which accounts lack the view: %q", d.flash())
	}
	if s := d.screen(); !strings.Contains(s, "dbx:acme no expired view") || !strings.Contains(s, "c1:prod 2 ✓") {
		t.Errorf("status line:\n%s", s)
	}

	pressV(d, 1)
	if d.m.curView != "deleted" || !slices.Equal(d.visibleIDs(), []string{"d1"}) {
		t.Errorf("view %q rows %v, want deleted [d1]", d.m.curView, d.visibleIDs())
	}
	pressV(d, 1)
	if d.m.curView != "" {
		t.Fatalf("view = %q, want active after the last bucket", d.m.curView)
	}
	if got := d.visibleIDs(); !slices.Equal(got, active) {
		t.Errorf("active rows changed: %v, want %v", got, active)
	}
	for _, id := range []string{"e1", "e2", "d1"} {
		if d.row(id) != nil {
			t.Errorf("bucket row %s appears in the active view", id)
		}
	}
	if s := d.screen(); strings.Contains(s, "Old listing") || strings.Contains(s, "Scrapped") {
		t.Errorf("bucket rows on the active screen:\n%s", s)
	}
	// Lazy: coming back does not list again; r does, only the view shown.
	pressV(d, 1)
	if listsOf(c1, "expired") != 1 {
		t.Errorf("re-entering listed again: %d", listsOf(c1, "expired"))
	}
	activeLists := listsOf(c1, "") + listsOf(dbx, "")
	d.press("r")
	if listsOf(c1, "expired") != 2 || listsOf(c1, "")+listsOf(dbx, "") != activeLists || listsOf(dbx, "expired") != 0 {
		t.Errorf("r in the expired view: expired %d, active %d (was %d)", listsOf(c1, "expired"), listsOf(c1, "")+listsOf(dbx, ""), activeLists)
	}
}

func TestViewWithoutBucketsCyclesTheLenses(t *testing.T) {
	d, _, _ := fixtureDriver(t, nil)
	var seen []string
	for range 3 {
		d.press("v")
		seen = append(seen, d.m.viewID())
	}
	if want := []string{viewExpiring, viewStalled, ""}; !slices.Equal(seen, want) || d.m.curView != "" {
		t.Errorf("views %q, want %q", seen, want)
	}
}

func TestBucketViewEmptyStateNamesAccountsWithoutIt(t *testing.T) {
	d, _, c1 := bucketDriver(t, nil)
	c1.buckets["expired"] = nil
	pressV(d, 1)
	if s := d.screen(); !strings.Contains(s, "No expired sessions. No expired view in dbx:acme.") {
		t.Errorf("empty state:\n%s", s)
	}
}

func TestBucketStaleGenerationsDropped(t *testing.T) {
	d, _, _ := bucketDriver(t, nil)
	pressV(d, 1)
	prod := d.m.accts[1]
	old := prod.load("expired").gen
	d.press("r")
	if prod.load("expired").gen == old {
		t.Fatal("refresh did not move the generation on")
	}
	d.send(pagesMsg{acct: "prod", view: "expired", gen: old, sessions: []models.Session{
		sess("prod", "late", "Late page", models.StatusExpired, 1)}})
	if d.row("late") != nil {
		t.Error("a stale bucket page was merged")
	}
	// A current page of the active view arriving while a bucket is shown
	// goes to the active table, not the one on screen.
	d.send(pagesMsg{acct: "prod", view: "", gen: prod.load("").gen, sessions: []models.Session{
		sess("prod", "n1", "New active session", models.StatusAwaitingSignature, 1)}})
	if d.row("n1") != nil {
		t.Error("an active page landed in the expired view")
	}
	if _, ok := d.m.tables[""].byRef[models.Ref{Account: "prod", ID: "n1"}]; !ok {
		t.Error("the active page was lost")
	}
	if _, ok := d.m.tables[""].byRef[models.Ref{Account: "prod", ID: "e1"}]; ok {
		t.Error("a bucket row is in the active table")
	}
}

func TestBucketRowsCancelRefusedCopyAllowed(t *testing.T) {
	d, _, c1 := bucketDriver(t, nil)
	pressV(d, 1)
	d.moveTo("e1")
	d.press("x")
	if d.m.cancelOv() != nil || !strings.Contains(d.flash(), "session has expired") {
		t.Errorf("cancel of an expired row: prompt %v flash %q", d.m.cancelOv() != nil, d.flash())
	}
	d.press("c")
	if d.m.copyOv() == nil {
		t.Fatalf("copy of an expired row refused: %q", d.flash())
	}
	d.press("esc")
	pressV(d, 1) // deleted
	d.press("c")
	if d.m.copyOv() != nil || !strings.Contains(d.flash(), "deleted") {
		t.Errorf("copy of a deleted row: form %v flash %q", d.m.copyOv() != nil, d.flash())
	}
	if len(c1.cancels) != 0 {
		t.Errorf("cancels sent: %v", c1.cancels)
	}
}

func TestCancelOfAMarkFromAnotherViewSaysWhere(t *testing.T) {
	d, dbx, _ := bucketDriver(t, nil)
	d.moveTo("a1")
	d.press("space")
	pressV(d, 1)
	d.moveTo("e1")
	d.press("x")
	if !strings.Contains(d.flash(), "session is marked in the active view") || len(dbx.cancels) != 0 {
		t.Errorf("flash %q cancels %v", d.flash(), dbx.cancels)
	}
}

func TestAutoRefreshOnlyTheCurrentView(t *testing.T) {
	d, dbx, c1 := bucketDriver(t, func(o *Options) { o.RefreshInterval = 60e9 })
	pressV(d, 1)
	e, a := listsOf(c1, "expired"), listsOf(c1, "")+listsOf(dbx, "")
	d.fire(func(msg tea.Msg) bool { _, ok := msg.(autoRefreshMsg); return ok })
	if listsOf(c1, "expired") != e+1 || listsOf(c1, "")+listsOf(dbx, "") != a {
		t.Errorf("auto refresh: expired %d→%d, active %d→%d", e, listsOf(c1, "expired"), a, listsOf(c1, "")+listsOf(dbx, ""))
	}
}

func TestSortAndFilterApplyToBucketViews(t *testing.T) {
	d, _, _ := bucketDriver(t, nil)
	pressV(d, 3) // expired listed; back to active
	d.press("S") // oldest first, while the expired view is hidden
	pressV(d, 1)
	if got := d.visibleIDs(); !slices.Equal(got, []string{"e2", "e1"}) {
		t.Errorf("expired rows after reverse = %v, want [e2 e1]", got)
	}
	d.press("/")
	d.typeText("stale")
	d.press("enter")
	if got := d.visibleIDs(); !slices.Equal(got, []string{"e2"}) {
		t.Errorf("filtered expired rows = %v", got)
	}
	d.press("space")
	if _, ok := d.m.marks[models.Ref{Account: "prod", ID: "e2"}]; !ok {
		t.Error("marks are not kept by ref in a bucket view")
	}
	d.press("esc", "esc")
	d.moveTo("e1")
	d.press("enter")
	if !d.m.detailOpen || !strings.Contains(d.screen(), "Max Orr") {
		t.Errorf("detail in a bucket view:\n%s", d.screen())
	}
}

// --- open by id ---

func openRef(d *driver, text string) {
	d.press("o")
	d.typeText(text)
	d.press("enter")
}

func TestOpenByIDSelectsAndOpensDetail(t *testing.T) {
	d, _, c1 := bucketDriver(t, nil)
	d.press("o")
	if d.m.openOv() == nil || !strings.Contains(d.screen(), "Open ACCOUNT/ID:") {
		t.Fatalf("no prompt:\n%s", d.screen())
	}
	d.typeText("prod/e1")
	d.press("enter")
	if d.m.openOv() != nil {
		t.Error("prompt still open")
	}
	if !slices.Contains(c1.gets, "e1") {
		t.Fatalf("Get not called: %v", c1.gets)
	}
	if d.cursorID() != "e1" || !d.m.detailOpen {
		t.Errorf("cursor %q detail %v", d.cursorID(), d.m.detailOpen)
	}
	if !strings.Contains(d.flash(), "Opened prod/e1") || !strings.Contains(d.screen(), "Max Orr") {
		t.Errorf("flash %q screen:\n%s", d.flash(), d.screen())
	}
	if _, ok := d.m.tables[""].byRef[models.Ref{Account: "prod", ID: "e1"}]; !ok {
		t.Error("not upserted into the current (active) view")
	}
}

func TestOpenByIDClearsAHidingFilter(t *testing.T) {
	d, _, _ := fixtureDriver(t, nil)
	d.press("/")
	d.typeText("account:acme")
	d.press("enter")
	openRef(d, "prod/p3")
	if d.m.filterText != "" || d.cursorID() != "p3" || !d.m.detailOpen {
		t.Errorf("filter %q cursor %q detail %v", d.m.filterText, d.cursorID(), d.m.detailOpen)
	}
	if !strings.Contains(d.flash(), "filter cleared") {
		t.Errorf("flash %q", d.flash())
	}
}

func TestOpenByIDErrors(t *testing.T) {
	d, _, c1 := fixtureDriver(t, func(o *Options) {
		o.Accounts = append(o.Accounts, Account{Name: "new", Kind: models.Constellation1})
	})
	c1.getErr = map[string]error{"gone1": providers.NewError(providers.ErrGone, "get gone1", 410, "", "session removed")}

	openRef(d, "prod/nope")
	if d.m.openOv() != nil || !strings.Contains(d.flash(), "Open prod/nope") || !strings.Contains(d.flash(), "not found") {
		t.Errorf("not found: flash %q", d.flash())
	}
	if d.m.detailOpen {
		t.Error("detail opened on a failure")
	}
	openRef(d, "prod/gone1")
	if !strings.Contains(d.flash(), "session removed") {
		t.Errorf("gone: flash %q", d.flash())
	}

	gets := len(c1.gets)
	openRef(d, "garbage")
	if d.m.openOv() == nil || !strings.Contains(d.m.openOv().err, "ACCOUNT/ID") {
		t.Fatalf("bad ref: %+v", d.m.openOv())
	}
	if s := d.screen(); !strings.Contains(s, `no loaded session's id starts with "garbage"`) {
		t.Errorf("the error is not shown inline:\n%s", s)
	}
	d.press("esc")

	openRef(d, "zzz/1")
	if d.m.openOv() == nil || !strings.Contains(d.m.openOv().err, "zzz is not configured") {
		t.Errorf("unknown account: %+v", d.m.openOv())
	}
	d.press("esc")

	openRef(d, "new/1")
	if d.m.openOv() == nil || !strings.Contains(d.m.openOv().err, "has no token") {
		t.Errorf("no token: %+v", d.m.openOv())
	}
	d.press("esc")
	if d.m.openOv() != nil || d.flash() != "Open aborted" {
		t.Errorf("esc: open %v flash %q", d.m.openOv() != nil, d.flash())
	}
	if len(c1.gets) != gets {
		t.Errorf("Get called for a refused ref: %v", c1.gets[gets:])
	}
}

func TestOpenByIDInBucketViewStaysThere(t *testing.T) {
	d, _, _ := bucketDriver(t, nil)
	pressV(d, 1)
	openRef(d, "prod/d1")
	if d.m.curView != "expired" || d.cursorID() != "d1" || !d.m.detailOpen {
		t.Errorf("view %q cursor %q detail %v", d.m.curView, d.cursorID(), d.m.detailOpen)
	}
	if _, ok := d.m.tables[""].byRef[models.Ref{Account: "prod", ID: "d1"}]; ok {
		t.Error("opened into the active view instead of the current one")
	}
}

func TestGoldenViews(t *testing.T) {
	scenes := []struct {
		name  string
		setup func(d *driver)
	}{
		{"bucket_view", func(d *driver) { pressV(d, 1) }},
		{"open_prompt", func(d *driver) {
			d.press("o")
			d.typeText("prod/")
		}},
	}
	for _, sc := range scenes {
		t.Run("140x40/"+sc.name, func(t *testing.T) {
			d, _, _ := bucketDriver(t, nil)
			d.send(tea.WindowSizeMsg{Width: 140, Height: 40})
			sc.setup(d)
			plainGolden(t, d)
		})
	}
}

// TestOpenByIDPrefix: o takes a unique start of an id, with or without
// its account, among the loaded sessions; an ambiguous one lists the
// candidates and keeps the prompt; an exact id wins over longer ones.
func TestOpenByIDPrefix(t *testing.T) {
	d, _, c1 := fixtureDriver(t, nil)
	openRef(d, "p")
	if p := d.m.openOv(); p == nil || !strings.Contains(p.err, `"p" is the start of 3 sessions' ids (prod/p1, prod/p2, prod/p3)`) {
		t.Fatalf("ambiguous prefix: prompt %+v flash %q", p, d.flash())
	}
	d.press("esc")
	openRef(d, "zz")
	if p := d.m.openOv(); p == nil || !strings.Contains(p.err, `no loaded session's id starts with "zz"`) {
		t.Fatalf("unknown bare prefix: %+v", p)
	}
	d.press("esc")
	openRef(d, "p3") // bare, unique
	if d.m.openOv() != nil || d.cursorID() != "p3" || !slices.Contains(c1.gets, "p3") {
		t.Errorf("bare unique id: cursor %q gets %v flash %q", d.cursorID(), c1.gets, d.flash())
	}
	// An exact id wins over longer ones that start with it.
	d.send(pagesMsg{acct: "prod", gen: d.m.accts[1].gen, sessions: []models.Session{
		sess("prod", "p30", "Deed", models.StatusAwaitingSignature, 1)}})
	openRef(d, "prod/p3")
	if d.m.openOv() != nil || d.cursorID() != "p3" {
		t.Errorf("exact id: cursor %q, prompt %v", d.cursorID(), d.m.openOv())
	}
}
