package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// TestWarmStartFromCache: the first frame shows the cached rows, the
// account is marked "cached N min ago" until its listing lands; the
// listing's pages go into the cache and a session it no longer shows
// leaves it; an unchanged lite row keeps the cached detail.
func TestWarmStartFromCache(t *testing.T) {
	ctx := context.Background()
	_, db := testService(t)
	cache := app.NewSessionCache(db, nil)
	defer cache.Close()
	dbx, c1 := fixture()
	old := sess("acme", "a9", "Gone since the last run", models.StatusAwaitingSignature, 3)
	cache.Put("acme", []models.Session{dbx.sessions[0], old})
	cache.Put("prod", c1.sessions[:1]) // p1 with its signers
	cache.Listed("acme", true, testNow.Add(-7*time.Minute))
	cache.Listed("prod", true, testNow.Add(-7*time.Minute))
	if err := cache.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	gate := make(chan struct{})
	dbx.listGate = gate
	d := newDriver(t, Options{Cache: cache, Accounts: []Account{
		{Name: "acme", Kind: models.DropboxSign, Provider: dbx, TokenSource: "keyring"},
		{Name: "prod", Kind: models.Constellation1, Provider: c1, TokenSource: "env"},
	}})
	d.send(tea.WindowSizeMsg{Width: 200, Height: 30})
	d.blocking = true
	d.run(d.m.Init())

	ids := d.visibleIDs()
	if !slices.Contains(ids, "a9") || !slices.Contains(ids, "a1") {
		t.Fatalf("cached rows not shown before the listing: %v", ids)
	}
	if s := d.m.renderStatus(); !strings.Contains(stripView(s), "cached 7 min ago") {
		t.Errorf("status line without the cache note: %q", stripView(s))
	}
	// prod listed lite rows: p1 is unchanged, so it keeps its signers.
	if r := d.row("p1"); r == nil || len(r.s.Signers) != 2 || r.s.ExpiresAt.IsZero() || !r.s.Complete {
		t.Errorf("p1 lost its cached detail: %+v", r)
	}

	close(gate)
	d.settle()
	ids = d.visibleIDs()
	if slices.Contains(ids, "a9") || len(ids) != 8 {
		t.Errorf("after the listing: %v", ids)
	}
	if s := stripView(d.m.renderStatus()); strings.Contains(s, "cached") {
		t.Errorf("cache note still shown after the listing: %q", s)
	}
	if err := cache.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := cache.Load(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var cached []string
	for _, s := range got["acme"].Sessions {
		cached = append(cached, s.Ref.ID)
	}
	if !slices.Equal(cached, []string{"a1", "a2", "a3", "a4", "a5"}) {
		t.Errorf("cache after the listing: %v", cached)
	}
	if len(got["prod"].Sessions) != 3 {
		t.Errorf("prod cached: %d", len(got["prod"].Sessions))
	}
	for _, s := range got["prod"].Sessions {
		if s.Ref.ID == "p1" && len(s.Signers) != 2 {
			t.Errorf("the cache lost p1's detail: %+v", s)
		}
	}
}

// TestStatusLineShowsSyncPaused: the budget and a background sync held
// for it show in the status line.
func TestStatusLineShowsSyncPaused(t *testing.T) {
	d, dbx, _ := fixtureDriver(t, nil)
	d.send(tea.WindowSizeMsg{Width: 200, Height: 30})
	dbx.mu.Lock()
	dbx.budget = providers.Budget{Limit: 100, Remaining: 12, BackgroundHeld: true}
	dbx.mu.Unlock()
	s := stripView(d.m.renderStatus())
	if !strings.Contains(s, "12/100") || !strings.Contains(s, "sync paused for the budget") {
		t.Errorf("status line %q", s)
	}
	dbx.mu.Lock()
	dbx.budget.BackgroundHeld = false
	dbx.mu.Unlock()
	if s := stripView(d.m.renderStatus()); strings.Contains(s, "paused") {
		t.Errorf("status line %q", s)
	}
}

// TestIncrementalRefreshKeepsUnlistedRows: with the cache, a refresh
// after a full listing is incremental: it lists only what changed, so a
// finished session it does not list stays; an open one that left the
// listing is fetched and, answering 404, removed.
func TestIncrementalRefreshKeepsUnlistedRows(t *testing.T) {
	_, db := testService(t)
	cache := app.NewSessionCache(db, nil)
	defer cache.Close()
	d, dbx, _ := fixtureDriver(t, func(o *Options) { o.Cache = cache })
	if ids := d.visibleIDs(); !slices.Contains(ids, "a1") || !slices.Contains(ids, "a2") {
		t.Fatalf("first listing: %v", ids)
	}
	if err := cache.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The incremental listings (new, open) do not show a2 (completed)
	// nor a1 (awaiting, now deleted at the vendor).
	dbx.mu.Lock()
	dbx.sessions = slices.DeleteFunc(dbx.sessions, func(s models.Session) bool { return s.Ref.ID == "a1" || s.Ref.ID == "a2" })
	dbx.gets = nil
	dbx.mu.Unlock()
	d.run(d.m.refresh(false))
	ids := d.visibleIDs()
	if !slices.Contains(ids, "a2") {
		t.Errorf("an incremental refresh removed a finished row it did not list: %v", ids)
	}
	if slices.Contains(ids, "a1") {
		t.Errorf("a leaver answering 404 was kept: %v", ids)
	}
	dbx.mu.Lock()
	gets := slices.Clone(dbx.gets)
	dbx.mu.Unlock()
	if !slices.Contains(gets, "a1") || slices.Contains(gets, "a2") {
		t.Errorf("gets %v: want the open leaver a1 only", gets)
	}
}

// TestWarmStartFirstScreenThenRest: above warmFirst cached sessions an
// account shows its newest first (the first frame says it loads the
// rest), the rest follow in a tea.Cmd, and only then do the listings
// start.
func TestWarmStartFirstScreenThenRest(t *testing.T) {
	ctx := context.Background()
	_, db := testService(t)
	cache := app.NewSessionCache(db, nil)
	defer cache.Close()
	var acme []models.Session
	for i := range 10 {
		acme = append(acme, sess("acme", fmt.Sprintf("a%d", i), "Lease", models.StatusAwaitingSignature, 1+i*7%10))
	}
	undated := sess("acme", "a-undated", "Lease", models.StatusAwaitingSignature, 0)
	undated.CreatedAt = time.Time{}
	acme = append(acme, undated)
	cache.Put("acme", acme)
	cache.Put("prod", []models.Session{
		sess("prod", "p1", "Deed", models.StatusAwaitingSignature, 2),
		sess("prod", "p2", "Deed", models.StatusAwaitingSignature, 40),
	})
	cache.Listed("acme", true, testNow.Add(-7*time.Minute))
	if err := cache.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	defer func(n, c int) { warmFirst, warmChunk = n, c }(warmFirst, warmChunk)
	warmFirst, warmChunk = 3, 3

	m, err := New(Options{Now: fixedNow, Cache: cache, Accounts: []Account{
		{Name: "acme", Kind: models.DropboxSign, Provider: newFake(models.DropboxSign, "acme")},
		{Name: "prod", Kind: models.Constellation1, Provider: newFake(models.Constellation1, "prod")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.shutdown()
	m.setStyles(newStyles(false))
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 30})
	_, rest := m.Update(m.warmStart()())
	ids := func() []string {
		var out []string
		for _, i := range m.visible {
			out = append(out, m.rows[i].s.Ref.ID)
		}
		return out
	}
	// Newest first: a0 (1 h), a3 and p1 (2 h: by account), a6 (3 h); prod has 2.
	if got, want := ids(), []string{"a0", "a3", "p1", "a6", "p2"}; !slices.Equal(got, want) {
		t.Fatalf("first frame rows %v, want %v", got, want)
	}
	if s := stripView(m.renderStatus()); !strings.Contains(s, "cached 7 min ago, loading 11…") {
		t.Errorf("first frame's status line does not say it loads the rest: %q", s)
	}
	for _, a := range m.accts {
		if a.loading {
			t.Errorf("%s's listing started before the whole cache is in", a.Name)
		}
	}
	msg, ok := findMsg[cachedMsg](rest)
	if !ok {
		t.Fatal("no command brings the rest of the cache")
	}
	// The rest (8 rows) comes in chunks of 3, one Update each: keys are
	// handled in between, the status still says loading, the listings
	// wait, and the rows shown are in order after each chunk.
	var listings tea.Cmd
	var chunks [][]string
	for {
		_, listings = m.Update(msg)
		chunks = append(chunks, ids())
		next, more := findMsg[cachedMsg](listings)
		if !more {
			break
		}
		if s := stripView(m.renderStatus()); !strings.Contains(s, "loading 11…") {
			t.Errorf("between chunks the status line says %q", s)
		}
		if m.accts[0].loading || m.accts[1].loading {
			t.Error("a listing started before the last chunk")
		}
		m.Update(tea.KeyPressMsg{Code: 'j', Text: "j"})
		msg = next
	}
	if len(chunks) != 3 {
		t.Errorf("the rest came in %d updates, want 3 chunks of at most 3", len(chunks))
	}
	got := ids()
	for _, c := range chunks {
		if !isSubsequence(c, got) {
			t.Errorf("rows after a chunk %v are not in the final order %v", c, got)
		}
	}
	if len(got) != 13 || got[0] != "a0" || got[len(got)-1] != "a-undated" || !slices.Contains(got, "a9") {
		t.Fatalf("rows after the rest: %v", got)
	}
	if s := stripView(m.renderStatus()); strings.Contains(s, "loading") {
		t.Errorf("status line still says loading: %q", s)
	}
	if listings == nil || !m.accts[0].loading || !m.accts[1].loading {
		t.Error("the listings did not start once the cache was in")
	}
}

func isSubsequence(sub, all []string) bool {
	j := 0
	for _, x := range all {
		if j < len(sub) && sub[j] == x {
			j++
		}
	}
	return j == len(sub)
}
