package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/models"
)

// lensDriver is the fixture with two more awaiting Dropbox Sign requests
// (a6: sent 200h ago, signed by one signer 30h ago; a7: sent 300h ago,
// signed 1h ago), windows of 30 days (expiring) and 1 day (stalled), and
// a saved view "ana" (signer:ana).
func lensDriver(t testing.TB, mod func(*Options)) *driver {
	t.Helper()
	dbx, c1 := fixture()
	a6 := sess("acme", "a6", "Cedar lease", models.StatusAwaitingSignature, 200,
		signer("Hal Ode", "hal@example.com", models.SignerAwaiting), signer("Jo Pike", "jo@example.com", models.SignerAwaiting))
	a6.Signers[1].Status, a6.Signers[1].SignedAt = models.SignerSigned, testNow.Add(-30*time.Hour)
	a7 := sess("acme", "a7", "Cedar option", models.StatusAwaitingSignature, 300,
		signer("Kai Lu", "kai@example.com", models.SignerSigned), signer("Max Orr", "max@example.com", models.SignerAwaiting))
	a7.Signers[0].LastRemindedAt = testNow.Add(-time.Hour) // a reminder is not activity; the signature 1h ago is
	dbx.sessions = append(dbx.sessions, a6, a7)
	opts := Options{
		Accounts: []Account{
			{Name: "acme", Kind: models.DropboxSign, Provider: dbx, TokenSource: "keyring"},
			{Name: "prod", Kind: models.Constellation1, Provider: c1, TokenSource: "env"},
		},
		ExpiringDays: 30, StalledDays: 1,
		Views: []SavedView{{Name: "ana", Filter: "signer:ana"}},
	}
	if mod != nil {
		mod(&opts)
	}
	d := newDriver(t, opts)
	d.run(d.m.Init())
	return d
}

func TestLensesCycleFilterAndOrder(t *testing.T) {
	d := lensDriver(t, nil)
	d.send(tea.WindowSizeMsg{Width: 140, Height: 40})
	all := d.visibleIDs()
	if len(all) != 10 {
		t.Fatalf("active rows %v", all)
	}
	if h := header(d); !strings.Contains(h, "[active 10] · expiring 5 · stalled 2 · ana 1") {
		t.Errorf("header counts: %q", h)
	}
	steps := []struct {
		id   string
		want []string
		sort string
	}{
		// Soonest expiry first (a session expires 30 days after it was sent here).
		{viewExpiring, []string{"a7", "a6", "a3", "p1", "a1"}, "sort: expires ▲"},
		// Oldest activity first: a3 sent 50h ago, a6 signed 30h ago; a7
		// was signed 1h ago, a1 sent 2h ago.
		{viewStalled, []string{"a3", "a6"}, "sort: activity ▲"},
		// A saved view keeps the user's sort.
		{savedPrefix + "ana", []string{"a1"}, "sort: created ▼"},
		{"", all, "sort: created ▼"},
	}
	for _, s := range steps {
		d.press("v")
		if d.m.viewID() != s.id || d.m.curView != "" {
			t.Fatalf("view %q (table %q), want %q", d.m.viewID(), d.m.curView, s.id)
		}
		if got := d.visibleIDs(); !slices.Equal(got, s.want) {
			t.Errorf("%s rows %v, want %v", viewLabel(s.id), got, s.want)
		}
		if h := header(d); !strings.Contains(h, s.sort) {
			t.Errorf("%s header %q, want %q", viewLabel(s.id), h, s.sort)
		}
	}
	if !strings.Contains(d.flash(), "View: active") {
		t.Errorf("flash %q", d.flash())
	}
}

func TestLensFlashAndEmptyState(t *testing.T) {
	d := lensDriver(t, func(o *Options) { o.ExpiringDays = 0 }) // default 7: none expires that soon
	d.press("v")
	if !strings.Contains(d.flash(), "View: expiring (awaiting signature, expiring within 7 days, soonest first)") {
		t.Errorf("flash %q", d.flash())
	}
	if s := d.screen(); !strings.Contains(s, "No expiring sessions") {
		t.Errorf("empty state:\n%s", s)
	}
}

// The user's filter applies inside a lens; rows that arrive, change or
// leave are placed as for any filter, and the counts follow.
func TestLensFollowsRowsAndFilter(t *testing.T) {
	d := lensDriver(t, nil)
	d.press("v") // expiring
	d.press("/")
	d.typeText("cedar")
	d.press("enter")
	if got := d.visibleIDs(); !slices.Equal(got, []string{"a7", "a6"}) {
		t.Errorf("expiring + cedar = %v", got)
	}
	d.press("esc")
	acme := d.m.accts[0]
	soon := sess("acme", "n1", "New urgent lease", models.StatusAwaitingSignature, 1)
	soon.ExpiresAt = testNow.Add(2 * time.Hour)
	done := d.m.rowByRef(models.Ref{Account: "acme", ID: "a3"}).s
	done.Status = models.StatusCompleted
	d.send(pagesMsg{acct: "acme", view: "", gen: acme.load("").gen, sessions: []models.Session{soon, done}})
	if got := d.visibleIDs(); !slices.Equal(got, []string{"n1", "a7", "a6", "p1", "a1"}) {
		t.Errorf("after a page: %v", got)
	}
	counts := map[string]int{}
	for _, c := range d.m.viewCounts() {
		counts[viewLabel(c.id)] = c.n
	}
	if counts["active"] != 11 || counts["expiring"] != 5 || counts["stalled"] != 1 {
		t.Errorf("counts after a page: %v", counts)
	}
}

// Counts are worked out when the rows change, not on every frame.
func TestLensCountsCachedUntilRowsChange(t *testing.T) {
	d := lensDriver(t, nil)
	n := func(id string) int {
		for _, c := range d.m.viewCounts() {
			if c.id == id {
				return c.n
			}
		}
		return -1
	}
	if n(viewStalled) != 2 {
		t.Fatalf("stalled %d", n(viewStalled))
	}
	r := d.m.rowByRef(models.Ref{Account: "acme", ID: "a3"})
	r.s.Status = models.StatusCompleted // behind the table's back: no recount
	if n(viewStalled) != 2 {
		t.Error("counts recomputed although no row changed")
	}
	s := r.s
	r.set(s) // a change the table sees
	if n(viewStalled) != 1 {
		t.Errorf("counts not updated after a row changed: %d", n(viewStalled))
	}
}

func TestLensOpenByIDLeavesTheLens(t *testing.T) {
	d := lensDriver(t, nil)
	d.press("v", "v") // stalled
	openRef(d, "prod/p3")
	if d.m.viewID() != "" || d.cursorID() != "p3" || !strings.Contains(d.flash(), "stalled view left to show it") {
		t.Errorf("view %q cursor %q flash %q", d.m.viewID(), d.cursorID(), d.flash())
	}
	if h := header(d); !strings.Contains(h, "sort: created ▼") {
		t.Errorf("user sort not back: %q", h)
	}
}

func TestNewRefusesBadSavedViews(t *testing.T) {
	for _, c := range []struct {
		views []SavedView
		want  string
	}{
		{[]SavedView{{Name: "x", Filter: "status:bogus"}}, `views[0] "x": filter: status: unknown status "bogus"`},
		{[]SavedView{{Name: " ", Filter: "x"}}, "views[0]: the name is empty"},
		{[]SavedView{{Name: "a", Filter: "x"}, {Name: "A", Filter: "y"}}, `views[1]: the name "A" is taken`},
		{[]SavedView{{Name: "Expiring", Filter: "y"}}, `views[0]: the name "Expiring" is taken`},
	} {
		_, err := New(Options{Views: c.views})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.views, err, c.want)
		}
	}
}

// The dashboard's matcher and models.Filter.Match (what the CLI and the
// config use) give the same answers.
func TestFilterMatchesModelsFilter(t *testing.T) {
	d := lensDriver(t, nil)
	for _, s := range []string{"lease", "Lease", "-lease status:awaiting", "signer:ana", "signer:Ana", "account:ac provider:c1",
		"dbx:acme", "c1:prod", "awaiting", "(untitled)", "acct:prod -is:canceled", "ANA", "example.com"} {
		q, err := parseQuery(s)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := models.ParseFilter(s)
		mt := d.m.matcherFor(q)
		for _, r := range d.m.rows {
			if a, b, c := q.match(r), mt.match(r), f.Match(&r.s); a != c || b != c {
				t.Errorf("%q on %s: ui %v, matcher %v, models %v", s, r.s.Ref, a, b, c)
			}
		}
	}
}

func TestViewBarFitsAndDegrades(t *testing.T) {
	d := lensDriver(t, func(o *Options) {
		o.Views = append(o.Views, SavedView{Name: "a very long saved view name", Filter: "cedar"})
	})
	for _, w := range []int{140, 80, 60, 40} {
		d.send(tea.WindowSizeMsg{Width: w, Height: 24})
		h := header(d)
		if stringWidth(strings.TrimRight(h, " ")) > w {
			t.Errorf("width %d: header %d wide: %q", w, stringWidth(h), h)
		}
		if w == 140 && !strings.Contains(h, "a very long saved view name 2") {
			t.Errorf("140: %q", h)
		}
		if w == 80 && !strings.Contains(h, "act 10") {
			t.Errorf("80: %q", h)
		}
	}
	d.press("v", "v")
	d.send(tea.WindowSizeMsg{Width: 60, Height: 24})
	if h := header(d); !strings.Contains(h, "stall 2") {
		t.Errorf("the shown view must stay in the bar: %q", h)
	}
}

func TestGoldenLenses(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {140, 40}} {
		for _, sc := range []struct {
			name string
			keys []string
		}{
			{"active", nil},
			{"expiring", []string{"v"}},
			{"stalled", []string{"v", "v"}},
		} {
			t.Run(fmt.Sprintf("%dx%d/%s", size.w, size.h, sc.name), func(t *testing.T) {
				d := lensDriver(t, nil)
				d.send(tea.WindowSizeMsg{Width: size.w, Height: size.h})
				d.press(sc.keys...)
				plainGolden(t, d)
			})
		}
	}
}

// A detail that moves a row's expiry out of the window takes it out of the
// expiring view even when the user sorted the view by another column.
func TestLensDetailMovesRowOut(t *testing.T) {
	dbx, c1 := fixture()
	d := newDriver(t, Options{Accounts: []Account{
		{Name: "acme", Kind: models.DropboxSign, Provider: dbx, TokenSource: "keyring"},
		{Name: "prod", Kind: models.Constellation1, Provider: c1, TokenSource: "env"},
	}, ExpiringDays: 30})
	d.run(d.m.Init())
	d.press("v")
	d.press("s") // expires -> title
	if got := d.visibleIDs(); !slices.Contains(got, "p1") || !strings.Contains(header(d), "sort: title") {
		t.Fatalf("rows %v header %q", got, header(d))
	}
	c1.mu.Lock()
	c1.sessions[0].ExpiresAt = testNow.Add(60 * 24 * time.Hour)
	c1.mu.Unlock()
	d.moveTo("p1")
	d.press("enter")
	d.fire(func(tea.Msg) bool { return true })
	if got := d.visibleIDs(); slices.Contains(got, "p1") {
		t.Errorf("p1 still expiring after its detail: %v", got)
	}
}

// The dashboard's lens test on row nanos gives the models rule's answers,
// at and around the windows' edges.
func TestLensHitAgreesWithModels(t *testing.T) {
	d := lensDriver(t, func(o *Options) { o.ExpiringDays, o.StalledDays = 3, 2 })
	now := d.m.lens.now
	day := 24 * time.Hour
	var times []time.Time
	for _, base := range []time.Duration{0, 3 * day, -2 * day, day, -5 * day} {
		for _, e := range []time.Duration{-time.Nanosecond, 0, time.Nanosecond, time.Minute} {
			times = append(times, now.Add(base+e))
		}
	}
	times = append(times, time.Time{})
	exp := query{terms: d.m.lensTerms(viewExpiring)}
	stall := query{terms: d.m.lensTerms(viewStalled)}
	for _, st := range models.AllStatuses {
		for _, tm := range times {
			s := models.Session{Ref: models.Ref{Account: "acme", ID: "x"}, Provider: models.DropboxSign, Status: st, CreatedAt: tm, ExpiresAt: tm}
			r := newRow(s, 0)
			if got, want := exp.match(r), s.ExpiringSoon(now, 3); got != want {
				t.Errorf("expiring %s at %v: ui %v, models %v", st, tm.Sub(now), got, want)
			}
			if got, want := stall.match(r), s.Stalled(now, 2); got != want {
				t.Errorf("stalled %s at %v: ui %v, models %v", st, tm.Sub(now), got, want)
			}
		}
	}
}

// Going back and forth between views with their own sorts reuses the
// orders kept (swapOrder) only while no row changed: after every step the
// visible rows are exactly the view's rows in its sort.
func TestViewSwitchOrdersStayRight(t *testing.T) {
	d := lensDriver(t, nil)
	check := func(step string) {
		t.Helper()
		m := d.m
		q := m.tq()
		var want []int
		for i, r := range m.rows {
			if q.match(r) {
				want = append(want, i)
			}
		}
		slices.SortFunc(want, func(a, b int) int { return compareRows(m.rows[a], m.rows[b], m.sortCol, m.sortDesc) })
		if !slices.Equal(m.visible, want) {
			t.Fatalf("%s: visible %v, want %v", step, m.visible, want)
		}
	}
	acme := d.m.accts[0]
	for i := range 12 {
		d.press("v")
		check(fmt.Sprintf("switch %d to %q", i, d.m.viewID()))
		switch i % 4 {
		case 1: // a page changes one row and adds one
			r := d.m.tables[""].rows[i%len(d.m.tables[""].rows)].s
			r.CreatedAt = r.CreatedAt.Add(-time.Duration(i) * 24 * time.Hour)
			r.ExpiresAt = testNow.Add(time.Duration(i) * time.Hour)
			n := sess("acme", fmt.Sprintf("n%d", i), "New", models.StatusAwaitingSignature, 100+i*50)
			d.send(pagesMsg{acct: "acme", view: "", gen: acme.load("").gen, sessions: []models.Session{r, n}})
			check(fmt.Sprintf("page %d in %q", i, d.m.viewID()))
		case 3:
			d.press("S") // reverse: a user sort inside the view
			check(fmt.Sprintf("reverse %d in %q", i, d.m.viewID()))
		}
	}
}
