package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/signdeck/signdeck/models"
)

// storeDriver is a two-account table of n varied sessions.
func storeDriver(t *testing.T, n int) *driver {
	t.Helper()
	d := newDriver(t, Options{Accounts: []Account{
		{Name: "acme", Kind: models.DropboxSign, Provider: newFake(models.DropboxSign, "acme")},
		{Name: "prod", Kind: models.Constellation1, Provider: newFake(models.Constellation1, "prod")},
	}})
	var pages [2][]models.Session
	for i := 0; i < n; i++ {
		ai := i % 2
		acct := []string{"acme", "prod"}[ai]
		s := sess(acct, fmt.Sprintf("ID-%04d", i), []string{"Oak lease", "Cedar Addendum", "oak OAK", "Élan contract"}[i%4]+fmt.Sprint(i%13),
			models.AllStatuses[i%len(models.AllStatuses)], (i*37)%500,
			signer([]string{"Ana Ruiz", "Bob Stone", "cedar Ng"}[i%3], fmt.Sprintf("s%d@Example.com", i%5), models.SignerSigned))
		if i%7 == 0 {
			s.Signers, s.Complete = nil, false
		}
		if i%11 == 0 {
			s.Status = "odd_vendor_status" // unknown: no status rank
		}
		pages[ai] = append(pages[ai], s)
	}
	for ai, p := range pages {
		d.m.accts[ai].gen = 1
		d.send(pagesMsg{acct: []string{"acme", "prod"}[ai], gen: 1, sessions: p})
	}
	return d
}

var storeQueries = []string{
	"", "oak", "OAK", "Oak", "cedar", "-cedar", "status:awaiting", "-status:completed,canceled", "provider:c1",
	"provider:dbx oak", "account:ACM", "account:acme", "signer:bob", "signer:Bob", "signer:example", "dropbox",
	"c1:prod", "awaiting", "id-00", "ID-00", "élan", "odd", "acme oak 1", "-oak -status:draft", "sign",
}

// TestMatcherMatchesReference: the prepared matcher the table's loops use
// answers as the reference query.match, for plain, cased, negated and
// qualified terms, unknown statuses and lite rows.
func TestMatcherMatchesReference(t *testing.T) {
	d := storeDriver(t, 400)
	for _, qs := range storeQueries {
		q, err := parseQuery(qs)
		if err != nil {
			t.Fatal(err)
		}
		d.m.query = q
		mt := d.m.matcher()
		hits := 0
		for _, r := range d.m.rows {
			want := q.match(r)
			if got := mt.match(r); got != want {
				t.Fatalf("%q on %s %q: matcher %v, reference %v", qs, r.s.Ref, r.title, got, want)
			}
			if want {
				hits++
			}
		}
		if qs != "" && (hits == 0 || hits == len(d.m.rows)) && !strings.HasPrefix(qs, "-") && qs != "sign" {
			t.Logf("%q matches %d of %d rows", qs, hits, len(d.m.rows))
		}
	}
}

// TestNarrowingFilterMatchesFullFilter: typing a filter one key at a time
// (each key narrowing or widening the last) shows what a filter applied
// from scratch shows, with pages and updates arriving between keys.
func TestNarrowingFilterMatchesFullFilter(t *testing.T) {
	d := storeDriver(t, 300)
	d.press("/")
	typed := "oak 1 -ced -status:dr"
	steps := []string{}
	for _, r := range typed {
		steps = append(steps, string(r))
	}
	steps = append(steps, "backspace", "backspace", "backspace", "a", "backspace", "backspace", "backspace", "backspace", "backspace")
	for k, key := range steps {
		if key == " " {
			key = "space"
		}
		d.press(key)
		if k%4 == 1 {
			// A cancel's result changes a row in place between keys.
			r := d.m.rows[(k*29)%len(d.m.rows)]
			d.m.setRowStatus(r.s.Ref, []models.Status{models.StatusDraft, models.StatusCanceled}[k%8/4])
		}
		if k%4 == 3 {
			// A refresh page between keys: a new row and a changed one.
			old := d.m.rows[(k*17)%len(d.m.rows)].s
			old.Title = "oak 1 changed " + fmt.Sprint(k)
			nw := old
			nw.Ref.ID = fmt.Sprintf("new-%d", k)
			d.send(pagesMsg{acct: old.Ref.Account, gen: 1, sessions: []models.Session{old, nw}})
		}
		got := slices.Clone(d.m.visible)
		d.m.visValid = false // forget the last filter: filter every row
		d.m.rebuild()
		if !slices.Equal(got, d.m.visible) {
			t.Fatalf("after %q (filter %q): %d rows shown, a full filter shows %d", key, d.m.filterInput.Value(), len(got), len(d.m.visible))
		}
	}
}

func TestQueryNarrows(t *testing.T) {
	for _, c := range []struct {
		from, to string
		want     bool
	}{
		{"", "o", true}, {"o", "oa", true}, {"oa", "oak", true}, {"oak", "oak 1", true}, {"oak 1", "oak 12", true},
		{"oak", "oa", false}, {"oak", "xoakx", true}, {"oak", "Oak", false}, {"-oak", "-oakx", false},
		{"-oak", "-oak x", true}, {"status:awaiting,draft", "status:awaiting", true},
		{"status:awaiting", "status:awaiting,draft", false}, {"oak x", "oak", false}, {"oak", "x", false},
		{"provider:dbx,c1", "provider:c1", true}, {"signer:an", "signer:ana", true}, {"signer:an", "an", false},
	} {
		from, err := parseQuery(c.from)
		if err != nil {
			t.Fatal(err)
		}
		to, err := parseQuery(c.to)
		if err != nil {
			t.Fatal(err)
		}
		if got := to.narrows(from); got != c.want {
			t.Errorf("%q narrows %q = %v, want %v", c.to, c.from, got, c.want)
		}
	}
}

// TestRowsInternRepeatedStrings: rows share one copy of the strings that
// repeat across sessions, and interning never writes into the caller's
// signers.
func TestRowsInternRepeatedStrings(t *testing.T) {
	mk := func(i int) models.Session {
		// Fresh copies of equal strings, as a JSON decoder makes them.
		s := sess(strings.Clone("acme"), fmt.Sprintf("id%d", i), "Title", models.Status(strings.Clone("awaiting_signature")), 1,
			signer(strings.Clone("Ana Ruiz"), strings.Clone("ana@x.io"), models.SignerSigned))
		return s
	}
	s1, s2 := mk(1), mk(2)
	callerName := s1.Signers[0].Name
	r1, r2 := newRow(s1, 0), newRow(s2, 0)
	same := func(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }
	for _, c := range []struct{ what, a, b string }{
		{"account", r1.s.Ref.Account, r2.s.Ref.Account},
		{"status", string(r1.s.Status), string(r2.s.Status)},
		{"signer name", r1.s.Signers[0].Name, r2.s.Signers[0].Name},
		{"signer email", r1.s.Signers[0].Email, r2.s.Signers[0].Email},
		{"account label", r1.acct, r2.acct},
		{"signer text", r1.sig, r2.sig},
		{"signer search text", r1.sigLow, r2.sigLow},
	} {
		if c.a != c.b || !same(c.a, c.b) {
			t.Errorf("%s: %q and %q are not one copy", c.what, c.a, c.b)
		}
	}
	if !same(s1.Signers[0].Name, callerName) || &s1.Signers[0] == &r1.s.Signers[0] {
		t.Errorf("interning wrote into the caller's signers")
	}
}

// TestUpsertThenRebuildPlacesTheChangedRow: a session updated in place
// outside a listing (open by id, a copy's result) and then rebuilt moves
// to its new place and passes or fails the filter anew.
func TestUpsertThenRebuildPlacesTheChangedRow(t *testing.T) {
	for _, filter := range []string{"", "oak", "-status:canceled"} {
		d := storeDriver(t, 200)
		if err := d.m.setFilter(filter); err != nil {
			t.Fatal(err)
		}
		for k := 0; k < 20; k++ {
			r := d.m.rows[(k*31)%len(d.m.rows)]
			s := r.s
			s.CreatedAt = testNow.Add(-time.Duration(k*1000) * time.Minute) // newer or older than every other row
			s.Title = []string{"Oak now", "Pine now"}[k%2]
			s.Status = []models.Status{models.StatusCanceled, models.StatusDraft}[k%2]
			d.m.upsert(s, r.ai, 0)
			d.m.rebuild()
			got := slices.Clone(d.m.visible)
			if !slices.Equal(d.m.order, sortedOrder(d.m)) {
				t.Fatalf("filter %q step %d: the order misses the change", filter, k)
			}
			d.m.visValid = false
			d.m.rebuild()
			if !slices.Equal(got, d.m.visible) {
				t.Fatalf("filter %q step %d: the visible rows miss the change", filter, k)
			}
		}
	}
}

// TestRecentFilterIsNotReusedAfterARowChanged: a filter applied again
// shows the rows as they are now, also when a row changed in place while
// no filter was applied (nothing was placed then).
func TestRecentFilterIsNotReusedAfterARowChanged(t *testing.T) {
	d := storeDriver(t, 100)
	if err := d.m.setFilter("-status:canceled"); err != nil {
		t.Fatal(err)
	}
	r := d.m.current()
	if err := d.m.setFilter(""); err != nil {
		t.Fatal(err)
	}
	d.m.setRowStatus(r.s.Ref, models.StatusCanceled)
	if err := d.m.setFilter("-status:canceled"); err != nil {
		t.Fatal(err)
	}
	if d.m.isVisible(r.s.Ref) {
		t.Errorf("%s was canceled but still passes -status:canceled", r.s.Ref)
	}
}
