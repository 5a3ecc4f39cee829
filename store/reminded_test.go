package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
)

// A reminder changes only a signer's LastRemindedAt: the cached row is
// rewritten, not skipped as unchanged.
func TestReminderTimeRewritesTheRow(t *testing.T) {
	ctx := context.Background()
	db := openT(t, filepath.Join(t.TempDir(), "s.db"))
	s := fullSession("acme", "abc")
	if err := db.PutSessions(ctx, "acme", []models.Session{s}); err != nil {
		t.Fatal(err)
	}
	at := s.Signers[0].LastRemindedAt.Add(90 * time.Minute)
	s.Signers[0].LastRemindedAt = at
	if err := db.PutSessions(ctx, "acme", []models.Session{s}); err != nil {
		t.Fatal(err)
	}
	got := loadAll(t, db, "acme")
	if len(got) != 1 || !got[0].Signers[0].LastRemindedAt.Equal(at) {
		t.Fatalf("cached reminder time %v, want %v", got[0].Signers[0].LastRemindedAt, at)
	}
}
