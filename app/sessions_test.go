package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
)

func c1Session(id string, complete bool) models.Session {
	s := models.Session{Ref: models.Ref{Account: "c1", ID: id}, Provider: models.Constellation1, Title: "Lease " + id,
		Status: models.StatusAwaitingSignature, CreatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		UpdatedAt: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), Complete: complete}
	if complete {
		s.ExpiresAt = time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
		s.Signers = []models.Signer{{Name: "Ana Cedar", Email: "ana@example.com", Status: models.SignerAwaiting}}
	}
	return s
}

func loadOne(t *testing.T, c *app.SessionCache, account, id string) models.Session {
	t.Helper()
	got, err := c.Load(context.Background(), []string{account})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got[account].Sessions {
		if s.Ref.ID == id {
			return s
		}
	}
	t.Fatalf("%s/%s not cached (%d cached)", account, id, len(got[account].Sessions))
	return models.Session{}
}

// TestSessionCacheWriteThroughAndMerge: pages put are stored in the
// background; a lite row keeps the cached detail until the row changes;
// Listed records when; Clear empties it.
func TestSessionCacheWriteThroughAndMerge(t *testing.T) {
	ctx := context.Background()
	db := newStore(t)
	c := app.NewSessionCache(db, nil)
	defer c.Close()

	c.Put("c1", []models.Session{c1Session("a", true), c1Session("b", false)})
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	c.Listed("c1", true, at)
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := c.Load(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ca := got["c1"]; ca == nil || len(ca.Sessions) != 2 || !ca.ListedAt.Equal(at) || !ca.FullAt.Equal(at) {
		t.Fatalf("loaded %+v", got["c1"])
	}

	// The next refresh lists "a" lite and unchanged: its detail is kept.
	c.Put("c1", []models.Session{c1Session("a", false)})
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	a := loadOne(t, c, "c1", "a")
	if len(a.Signers) != 1 || a.Signers[0].Email != "ana@example.com" || a.ExpiresAt.IsZero() || !a.Complete {
		t.Errorf("the detail was overwritten by a lite row: %+v", a)
	}

	// A new cache over the same store (a restart) keeps it too.
	c2 := app.NewSessionCache(db, nil)
	defer c2.Close()
	if _, err := c2.Load(ctx, nil); err != nil {
		t.Fatal(err)
	}
	c2.Put("c1", []models.Session{c1Session("a", false)})
	if err := c2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if a := loadOne(t, c2, "c1", "a"); len(a.Signers) != 1 || a.ExpiresAt.IsZero() {
		t.Errorf("after a restart the detail was overwritten: %+v", a)
	}

	// The row changed (signed, updated): the stale detail goes.
	changed := c1Session("a", false)
	changed.Status, changed.UpdatedAt = models.StatusCompleted, changed.UpdatedAt.Add(time.Hour)
	c2.Put("c1", []models.Session{changed})
	if err := c2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if a := loadOne(t, c2, "c1", "a"); len(a.Signers) != 0 || a.Complete || a.Status != models.StatusCompleted {
		t.Errorf("a changed row kept its stale detail: %+v", a)
	}

	c2.Delete("c1", []string{"b"})
	if err := c2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := c2.Load(ctx, nil); len(got["c1"].Sessions) != 1 {
		t.Errorf("after delete: %d cached", len(got["c1"].Sessions))
	}
	if err := c2.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := c2.Load(ctx, []string{"c1"}); len(got["c1"].Sessions) != 0 || !got["c1"].ListedAt.IsZero() {
		t.Errorf("after clear: %+v", got["c1"])
	}
}

// blockingStore holds PutSessions until released: Put must not wait.
type blockingStore struct {
	app.SessionStore
	release chan struct{}
}

func (b blockingStore) PutSessions(ctx context.Context, account string, ss []models.Session) error {
	<-b.release
	return b.SessionStore.PutSessions(ctx, account, ss)
}

func TestSessionCachePutNeverBlocks(t *testing.T) {
	bs := blockingStore{SessionStore: newStore(t), release: make(chan struct{})}
	c := app.NewSessionCache(bs, nil)
	for i := range 50 {
		c.Put("c1", []models.Session{c1Session(string(rune('a'+i%26))+"x", false)})
	}
	// Put returned 50 times while the store was held.
	close(bs.release)
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got, _ := c.Load(context.Background(), nil); len(got["c1"].Sessions) != 26 {
		t.Errorf("%d cached", len(got["c1"].Sessions))
	}
}

func TestMergeLite(t *testing.T) {
	full, lite := c1Session("a", true), c1Session("a", false)
	if m, kept := app.MergeLite(full, lite); !kept || len(m.Signers) != 1 || m.ExpiresAt.IsZero() {
		t.Errorf("unchanged: %+v %v", m, kept)
	}
	lite.UpdatedAt = lite.UpdatedAt.Add(time.Minute)
	if m, kept := app.MergeLite(full, lite); kept || len(m.Signers) != 0 {
		t.Errorf("updated: %+v %v", m, kept)
	}
}
