package ui

import (
	"context"
	"fmt"
	"path/filepath"
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

// BenchmarkWarmStart: open the store, load every cached session into
// the dashboard, first View().
func BenchmarkWarmStart(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		path := benchStore(b, filepath.Join(b.TempDir()), n)
		b.ReportAllocs()
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
			m.Update(m.warmStart()())
			_ = m.View()
			b.StopTimer()
			if len(m.rows) != n {
				b.Fatalf("%d rows shown, %d cached", len(m.rows), n)
			}
			m.shutdown()
			cache.Close()
			db.Close()
			b.StartTimer()
		}
		reportResult(b, n, "warm_start", float64(perOp(b, 1).Microseconds())/1e3, "ms")
	})
}
