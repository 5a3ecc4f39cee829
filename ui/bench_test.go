package ui

import (
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/models"
)

// benchModel holds n sessions across two accounts.
func benchModel(b testing.TB, n int) *Model {
	b.Helper()
	m, err := New(Options{Now: fixedNow, Accounts: []Account{
		{Name: "acme", Kind: models.DropboxSign, Provider: newFake(models.DropboxSign, "acme")},
		{Name: "prod", Kind: models.Constellation1, Provider: newFake(models.Constellation1, "prod")},
	}})
	if err != nil {
		b.Fatal(err)
	}
	m.setStyles(newStyles(false))
	m.Update(tea.WindowSizeMsg{Width: 140, Height: 40})
	statuses := models.AllStatuses
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
			Signers: []models.Signer{
				{Name: fmt.Sprintf("Signer %d", i%311), Email: fmt.Sprintf("s%d@example.com", i%311), Status: models.SignerSigned},
				{Name: "Bob Stone", Email: "bob@example.com", Status: models.SignerAwaiting},
			},
			Complete: ai == 0,
		}
		if ai == 1 {
			s.Signers = nil
		}
		m.upsert(s, ai, 1)
	}
	m.rebuild()
	return m
}

func BenchmarkView100k(b *testing.B) {
	m := benchModel(b, 100_000)
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

func BenchmarkFilter100k(b *testing.B) {
	m := benchModel(b, 100_000)
	queries := []string{"oak 12", "status:awaiting signer:bob", "provider:c1 -status:completed"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.snaps = nil // every row filtered: the worst case of a keystroke
		if err := m.setFilter(queries[i%len(queries)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkSort100k(b *testing.B) {
	m := benchModel(b, 100_000)
	b.ReportAllocs()
	for b.Loop() {
		m.sortCol = (m.sortCol + 1) % numSortCols
		m.rebuild()
	}
}

func BenchmarkMoveCursor100k(b *testing.B) {
	m := benchModel(b, 100_000)
	down, top := keyMsg("j"), keyMsg("g")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%50_000 == 49_999 {
			m.Update(top)
		} else {
			m.Update(down)
		}
		i++
	}
}

// BenchmarkLoadPages100k ingests 100k sessions in pages of 500.
func BenchmarkLoadPages100k(b *testing.B) {
	src := benchModel(b, 100_000)
	var pages [][]models.Session
	for i := 0; i < len(src.rows); i += 5000 {
		var p []models.Session
		for _, r := range src.rows[i:min(i+5000, len(src.rows))] {
			if r.ai == 0 {
				p = append(p, r.s)
			}
		}
		pages = append(pages, p)
	}
	b.ReportAllocs()
	for b.Loop() {
		m := benchModel(b, 0)
		m.accts[0].gen = 1
		for _, p := range pages {
			m.handlePages(pagesMsg{acct: "acme", gen: 1, sessions: p})
		}
	}
}

// BenchmarkPageInto100k is the cost of one 100-session page arriving while
// the table already holds 100k rows: what the event loop pays per page
// during a large load.
func BenchmarkPageInto100k(b *testing.B) {
	m := benchModel(b, 100_000)
	m.accts[0].gen = 1
	tmpl := m.rows[0].s
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		page := make([]models.Session, 100)
		for i := range page {
			s := tmpl
			s.Ref.ID = fmt.Sprintf("new-%09d", n)
			s.CreatedAt = testNow.Add(-time.Duration(n*7919%1000003) * time.Second)
			page[i] = s
			n++
		}
		m.handlePages(pagesMsg{acct: "acme", gen: 1, sessions: page})
	}
}

// BenchmarkRowStatus100k is one cancel result arriving (the row's status
// changes) while a status filter is active over 100k rows.
func BenchmarkRowStatus100k(b *testing.B) {
	m := benchModel(b, 100_000)
	if err := m.setFilter("-status:canceled"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r := m.rows[i%len(m.rows)]
		st := models.StatusCanceled
		if r.s.Status == models.StatusCanceled {
			st = models.StatusAwaitingSignature
		}
		m.setRowStatus(r.s.Ref, st)
		i += 7
	}
}
