package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/store"
)

// benchStore writes n sessions (half Dropbox Sign with signers, half
// Constellation1 lite) into a new store in dir and closes it.
func benchStore(b *testing.B, dir string, n int) string {
	b.Helper()
	path := store.DefaultPath(dir)
	db, err := store.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	statuses := models.AllStatuses
	batch := map[string][]models.Session{}
	flush := func() {
		for acct, ss := range batch {
			if err := db.PutSessions(context.Background(), acct, ss); err != nil {
				b.Fatal(err)
			}
		}
		clear(batch)
	}
	for i := 0; i < n; i++ {
		ai := i % 2
		acct := []string{"acme", "prod"}[ai]
		s := models.Session{
			Ref:       models.Ref{Account: acct, ID: fmt.Sprintf("id-%07d", i)},
			Provider:  []models.ProviderKind{models.DropboxSign, models.Constellation1}[ai],
			Title:     fmt.Sprintf("Lease renewal %d Oak St unit %d", i%997, i),
			Status:    statuses[i%len(statuses)],
			CreatedAt: testNow.Add(-time.Duration(i*7919%1000003) * time.Second),
			ExpiresAt: testNow.Add(time.Duration(i%5000) * time.Hour),
			Complete:  ai == 0,
		}
		if ai == 0 {
			s.Signers = []models.Signer{
				{Name: fmt.Sprintf("Signer %d", i%311), Email: fmt.Sprintf("s%d@example.com", i%311), Status: models.SignerSigned},
				{Name: "Bob Stone", Email: "bob@example.com", Status: models.SignerAwaiting},
			}
		}
		batch[acct] = append(batch[acct], s)
		if len(batch[acct]) == 2000 {
			flush()
		}
	}
	flush()
	return path
}

// BenchmarkWarmStart: open the store, load the cached sessions the first
// frame shows (each account's first screen in the sort order, with the
// count of the rest), first View(). The frame must show the newest session
// and say the account is cached and loading the rest. Outside the timer,
// the rest of the n sessions must arrive (the tea.Cmd handleCached
// returns) before the listings start.
func BenchmarkWarmStart(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		path := benchStore(b, filepath.Join(b.TempDir()), n)
		b.ReportAllocs()
		// Update()s adding the rest of the cache, in chunks: all of them,
		// and the longest (how long one holds the event loop).
		var restUpdate, longest time.Duration
		for b.Loop() {
			db, err := store.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			cache := app.NewSessionCache(db, nil)
			m, err := New(Options{Now: fixedNow, Cache: cache, Accounts: []Account{
				{Name: "acme", Kind: models.DropboxSign, Provider: newFake(models.DropboxSign, "acme")},
				{Name: "prod", Kind: models.Constellation1, Provider: newFake(models.Constellation1, "prod")},
			}})
			if err != nil {
				b.Fatal(err)
			}
			m.setStyles(newStyles(false))
			m.Update(tea.WindowSizeMsg{Width: 140, Height: 40})
			_, rest := m.Update(m.warmStart()())
			view := m.View().Content
			b.StopTimer()
			checkWarmFrame(b, m, view, n)
			// The rest of the cache, then every account's listing.
			for i := 0; i < 1000 && len(m.rows) < n; i++ {
				msg, ok := findMsg[cachedMsg](rest)
				if !ok {
					b.Fatalf("%d rows shown, %d cached, and no more coming", len(m.rows), n)
				}
				t0 := time.Now()
				_, rest = m.Update(msg)
				d := time.Since(t0)
				restUpdate += d
				longest = max(longest, d)
			}
			if len(m.rows) != n {
				b.Fatalf("%d rows shown, %d cached", len(m.rows), n)
			}
			if strings.Contains(m.View().Content, "loading") {
				b.Fatal("the status line still says loading once every cached row is in")
			}
			m.shutdown()
			cache.Close()
			db.Close()
			b.StartTimer()
		}
		reportResult(b, n, "warm_start", float64(perOp(b, 1).Microseconds())/1e3, "ms")
		b.ReportMetric(float64(restUpdate.Microseconds())/1e3/float64(b.N), "rest-update-ms")
		b.ReportMetric(float64(longest.Microseconds())/1e3, "longest-update-ms")
	})
}

// checkWarmFrame fails unless the first frame of a warm start from
// benchStore's n sessions shows the newest one first and says the
// accounts are cached (and, above warmFirst a account, loading the rest).
func checkWarmFrame(b *testing.B, m *Model, view string, n int) {
	b.Helper()
	newest := 0 // benchStore's created times: testNow - i*7919 mod 1000003 s
	for i := 1; i < n; i++ {
		if i*7919%1000003 < newest*7919%1000003 {
			newest = i
		}
	}
	if len(m.visible) == 0 || m.rows[m.visible[0]].s.Ref.ID != fmt.Sprintf("id-%07d", newest) {
		b.Fatalf("first frame does not start with the newest session id-%07d", newest)
	}
	if !strings.Contains(view, "cached") {
		b.Fatalf("first frame does not say the rows are cached:\n%s", view)
	}
	if per := n / 2; per > warmFirst && !strings.Contains(view, "loading "+fmtCount(per)) {
		b.Fatalf("first frame does not say it loads the other cached rows:\n%s", view)
	}
}

// findMsg runs cmd (and the commands of a batch) until one returns a T.
func findMsg[T tea.Msg](cmd tea.Cmd) (T, bool) {
	var zero T
	if cmd == nil {
		return zero, false
	}
	switch msg := cmd().(type) {
	case T:
		return msg, true
	case tea.BatchMsg:
		for _, c := range msg {
			if t, ok := findMsg[T](c); ok {
				return t, true
			}
		}
	}
	return zero, false
}
