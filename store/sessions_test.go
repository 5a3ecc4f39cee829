package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
)

// fullSession sets every field the cache stores, each to a distinct value.
func fullSession(acct, id string) models.Session {
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 890123456, time.UTC)
	return models.Session{
		Ref:           models.Ref{Account: acct, ID: id},
		Provider:      models.Constellation1,
		Title:         "Lease — 12 Elm St ✓",
		Subject:       "Please sign",
		Message:       "Hello\nthere",
		Status:        models.StatusAwaitingSignature,
		RawStatus:     "Out for signature",
		CreatedAt:     t0,
		ExpiresAt:     t0.Add(30 * 24 * time.Hour),
		UpdatedAt:     t0.Add(time.Hour),
		CC:            []string{"cc1@example.com", "cc2@example.com"},
		URL:           "https://example.com/s/" + id,
		Metadata:      map[string]string{"signdeck_op": "op-1", "deal": "42"},
		TransactionID: "tx-9",
		TestMode:      true,
		TemplateIDs:   []string{"tpl1", "tpl2"},
		Requester:     "sender@example.com",
		Warnings:      []string{"w1"},
		Complete:      true,
		NotCancelable: "sent by a teammate",
		Signers: []models.Signer{
			{ID: "g1", Name: "Ann Lee", FirstName: "Ann", LastName: "Lee", Email: "Ann@Example.com", Role: "Buyer",
				Order: 1, Status: models.SignerSigned, RawStatus: "Signed", SignedAt: t0.Add(2 * time.Hour),
				LastRemindedAt: t0.Add(time.Hour)},
			{ID: "g2", Name: "Bo Kim", FirstName: "Bo", LastName: "Kim", Email: "bo@example.com", Role: "Seller",
				Order: 2, Status: models.SignerDeclined, RawStatus: "Declined", DeclineReason: "wrong price",
				Error: "bounced"},
		},
	}
}

func sampleSessions(acct string, n int) []models.Session {
	ss := make([]models.Session, n)
	t0 := time.Unix(1_700_000_000, 0)
	for i := range ss {
		ss[i] = models.Session{
			Ref:       models.Ref{Account: acct, ID: fmt.Sprintf("id-%06d", i)},
			Provider:  models.DropboxSign,
			Title:     fmt.Sprintf("Agreement %d", i),
			Status:    models.StatusAwaitingSignature,
			RawStatus: "awaiting_signature",
			CreatedAt: t0.Add(time.Duration(i) * time.Minute),
			ExpiresAt: t0.Add(time.Duration(i)*time.Minute + 30*24*time.Hour),
			URL:       "https://app.example.com/s/" + fmt.Sprint(i),
			Complete:  true,
			Signers: []models.Signer{
				{Name: fmt.Sprintf("Signer %d", i), Email: fmt.Sprintf("s%d@example.com", i), Order: 0,
					Status: models.SignerAwaiting},
				{Name: fmt.Sprintf("Second %d", i), Email: fmt.Sprintf("t%d@example.com", i), Order: 1,
					Status: models.SignerAwaiting},
			},
		}
	}
	return ss
}

func loadAll(t testing.TB, db *DB, acct string) []models.Session {
	t.Helper()
	var out []models.Session
	if err := db.LoadSessions(context.Background(), acct, func(s models.Session) error {
		out = append(out, s)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// sameSession compares with time.Equal for times (the cache gives them
// back in the local zone).
func sameSession(t *testing.T, got, want models.Session) {
	t.Helper()
	norm := func(s models.Session) models.Session {
		s.ActionLog = nil
		for _, p := range []*time.Time{&s.CreatedAt, &s.ExpiresAt, &s.UpdatedAt} {
			if !p.IsZero() {
				*p = p.UTC()
			}
		}
		s.Signers = slices.Clone(s.Signers)
		for i := range s.Signers {
			if !s.Signers[i].SignedAt.IsZero() {
				s.Signers[i].SignedAt = s.Signers[i].SignedAt.UTC()
			}
			if !s.Signers[i].LastRemindedAt.IsZero() {
				s.Signers[i].LastRemindedAt = s.Signers[i].LastRemindedAt.UTC()
			}
		}
		return s
	}
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("session differs after the round trip:\n got %+v\nwant %+v", g, w)
	}
}

func TestSessionRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openT(t, filepath.Join(t.TempDir(), "s.db"))
	full := fullSession("acme", "abc")
	// The action log is not cached.
	withLog := full
	withLog.ActionLog = []models.LogEntry{{Action: "sent"}}
	lite := models.Session{Ref: models.Ref{ID: "lite"}, Provider: models.Constellation1, Title: "Lite",
		Status: models.StatusDraft}
	if err := db.PutSessions(ctx, "acme", []models.Session{withLog, lite}); err != nil {
		t.Fatal(err)
	}
	got := loadAll(t, db, "acme")
	if len(got) != 2 {
		t.Fatalf("loaded %d sessions, want 2", len(got))
	}
	sameSession(t, got[0], full)
	lite.Ref.Account = "acme"
	sameSession(t, got[1], lite)
	if got[1].Complete || got[1].Signers != nil || !got[1].CreatedAt.IsZero() {
		t.Fatalf("lite row: %+v", got[1])
	}
	// Every field checked one by one too, so that a new field in
	// fullSession that the cache drops shows up here.
	v := reflect.ValueOf(full)
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if name == "ActionLog" {
			continue
		}
		if v.Field(i).IsZero() {
			t.Errorf("fullSession leaves %s unset: the round trip does not cover it", name)
		}
	}
	gv := reflect.ValueOf(full.Signers[0])
	for i := range gv.NumField() {
		name := gv.Type().Field(i).Name
		if name != "DeclineReason" && name != "Error" && gv.Field(i).IsZero() {
			t.Errorf("fullSession's first signer leaves %s unset", name)
		}
	}
}

func TestPutReplacesAndSkipsUnchanged(t *testing.T) {
	ctx := context.Background()
	db := openT(t, filepath.Join(t.TempDir(), "s.db"))
	s := fullSession("acme", "abc")
	if err := db.PutSessions(ctx, "acme", []models.Session{s}); err != nil {
		t.Fatal(err)
	}
	cachedAt := func() int64 {
		var n int64
		if err := db.sql.QueryRow(`SELECT cached_at FROM sessions WHERE id = 'abc'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	first := cachedAt()
	time.Sleep(2 * time.Millisecond) // so that a rewrite would change cached_at
	if err := db.PutSessions(ctx, "acme", []models.Session{s}); err != nil {
		t.Fatal(err)
	}
	if cachedAt() != first {
		t.Fatal("an unchanged session was written again")
	}
	// A change of one signer's status rewrites the row and its signers.
	s.Signers = s.Signers[:1]
	s.Signers[0].Status = models.SignerAwaiting
	s.Status = models.StatusCanceled
	if err := db.PutSessions(ctx, "acme", []models.Session{s}); err != nil {
		t.Fatal(err)
	}
	got := loadAll(t, db, "")
	if len(got) != 1 {
		t.Fatalf("%d sessions", len(got))
	}
	sameSession(t, got[0], s)
	var n int
	if err := db.sql.QueryRow(`SELECT count(*) FROM signers`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d signer rows, %v; want 1", n, err)
	}
	// Another account's session is refused.
	other := fullSession("other", "x")
	if err := db.PutSessions(ctx, "acme", []models.Session{other}); err == nil {
		t.Fatal("PutSessions stored another account's session")
	}
}

func TestLoadDeleteClear(t *testing.T) {
	ctx := context.Background()
	db := openT(t, filepath.Join(t.TempDir(), "s.db"))
	a, b := sampleSessions("a", 50), sampleSessions("b", 30)
	if err := db.PutSessions(ctx, "b", b); err != nil {
		t.Fatal(err)
	}
	if err := db.PutSessions(ctx, "a", a); err != nil {
		t.Fatal(err)
	}
	all := loadAll(t, db, "")
	if len(all) != 80 {
		t.Fatalf("loaded %d, want 80", len(all))
	}
	for i, s := range all {
		want := a
		j := i
		if i >= 50 {
			want, j = b, i-50
		}
		sameSession(t, s, want[j])
	}
	if got := loadAll(t, db, "b"); len(got) != 30 || got[0].Ref.Account != "b" {
		t.Fatalf("account b: %d rows", len(got))
	}
	if err := db.DeleteSessions(ctx, "a", []string{"id-000001", "id-000003", "nope"}); err != nil {
		t.Fatal(err)
	}
	got := loadAll(t, db, "a")
	if len(got) != 48 || got[1].Ref.ID != "id-000002" {
		t.Fatalf("after delete: %d rows, second %s", len(got), got[1].Ref.ID)
	}
	sameSession(t, got[1], a[2])
	var n int
	if err := db.sql.QueryRow(`SELECT count(*) FROM signers WHERE account = 'a'`).Scan(&n); err != nil || n != 96 {
		t.Fatalf("%d signer rows of a after the delete, %v; want 96", n, err)
	}
	// fn's error stops the load and comes back as is.
	stop := errors.New("stop")
	calls := 0
	if err := db.LoadSessions(ctx, "", func(models.Session) error { calls++; return stop }); err != stop || calls != 1 {
		t.Fatalf("LoadSessions = %v after %d calls", err, calls)
	}
	if err := db.SetSyncState(ctx, "a", "created", "123"); err != nil {
		t.Fatal(err)
	}
	if err := db.ClearSessions(ctx); err != nil {
		t.Fatal(err)
	}
	if got := loadAll(t, db, ""); len(got) != 0 {
		t.Fatalf("%d rows after clear", len(got))
	}
	if v, at, err := db.SyncState(ctx, "a", "created"); err != nil || v != "" || !at.IsZero() {
		t.Fatalf("sync state after clear: %q %v %v", v, at, err)
	}
	if err := db.sql.QueryRow(`SELECT count(*) FROM signers`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d signer rows after clear", n)
	}
}

func TestSessionRefs(t *testing.T) {
	ctx := context.Background()
	db := openT(t, filepath.Join(t.TempDir(), "s.db"))
	put := func(acct string, ids ...string) {
		var ss []models.Session
		for _, id := range ids {
			ss = append(ss, models.Session{Ref: models.Ref{Account: acct, ID: id}, Provider: models.DropboxSign})
		}
		if err := db.PutSessions(ctx, acct, ss); err != nil {
			t.Fatal(err)
		}
	}
	put("acme", "ab1", "ab2", "b1", "a")
	put("acme2", "ab9")
	put("beta", "ab3")
	for _, c := range []struct {
		prefix string
		limit  int
		want   []string
	}{
		{"acme/ab", 0, []string{"acme/ab1", "acme/ab2"}},
		{"acme/ab", 1, []string{"acme/ab1"}},
		{"acme/", 0, []string{"acme/a", "acme/ab1", "acme/ab2", "acme/b1"}},
		{"acme", 0, []string{"acme/a", "acme/ab1", "acme/ab2", "acme/b1", "acme2/ab9"}},
		{"acme2", 0, []string{"acme2/ab9"}},
		{"b", 0, []string{"beta/ab3"}},
		{"", 3, []string{"acme/a", "acme/ab1", "acme/ab2"}},
		{"zzz", 0, nil},
		{"acme/c", 0, nil},
	} {
		got, err := db.SessionRefs(ctx, c.prefix, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("SessionRefs(%q, %d) = %v, want %v", c.prefix, c.limit, got, c.want)
		}
	}
}

func TestSyncState(t *testing.T) {
	ctx := context.Background()
	db := openT(t, filepath.Join(t.TempDir(), "s.db"))
	if v, at, err := db.SyncState(ctx, "a", "k"); err != nil || v != "" || !at.IsZero() {
		t.Fatalf("absent: %q %v %v", v, at, err)
	}
	before := time.Now()
	if err := db.SetSyncState(ctx, "a", "k", "v1"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSyncState(ctx, "a", "k", "v2"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSyncState(ctx, "b", "k", "other"); err != nil {
		t.Fatal(err)
	}
	v, at, err := db.SyncState(ctx, "a", "k")
	if err != nil || v != "v2" || at.Before(before) || at.After(time.Now()) {
		t.Fatalf("SyncState = %q %v %v", v, at, err)
	}
}

// The signers table answers a query by email through its index, and the
// sessions table by status and expiry through theirs.
func TestSessionIndexes(t *testing.T) {
	ctx := context.Background()
	db := openT(t, filepath.Join(t.TempDir(), "s.db"))
	if err := db.PutSessions(ctx, "acme", []models.Session{fullSession("acme", "abc")}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutSessions(ctx, "acme", sampleSessions("acme", 20)); err != nil {
		t.Fatal(err)
	}
	var id string
	if err := db.sql.QueryRow(`SELECT session_id FROM signers WHERE lower(email) = 'ann@example.com'`).Scan(&id); err != nil || id != "abc" {
		t.Fatalf("by email: %q, %v", id, err)
	}
	for q, index := range map[string]string{
		`SELECT session_id FROM signers WHERE lower(email) = 'x'`:                                                 "signers_email",
		`SELECT id FROM sessions WHERE status = 'canceled'`:                                                       "sessions_status",
		`SELECT id FROM sessions WHERE expires_at < 5 ORDER BY expires_at`:                                        "sessions_expires",
		`SELECT id FROM ops WHERE outcome IN ('', 'unknown', 'pending') ORDER BY created_at`:                      "ops_unresolved",
		`SELECT id FROM ops WHERE account = 'a' AND ref = 'a/b'`:                                                  "ops_account_ref",
		`SELECT id FROM ops WHERE action = 'cancel' AND account = 'a' AND endpoint = 'e' AND outcome = 'pending'`: "ops_action",
	} {
		rows, err := db.sql.Query("EXPLAIN QUERY PLAN " + q)
		if err != nil {
			t.Fatal(err)
		}
		var plan string
		for rows.Next() {
			var a, b, c int
			var d string
			if err := rows.Scan(&a, &b, &c, &d); err != nil {
				t.Fatal(err)
			}
			plan += d + "; "
		}
		rows.Close()
		if !strings.Contains(plan, index) {
			t.Errorf("%s: plan %q does not use %s", q, plan, index)
		}
	}
}

// A damaged data column is an error, never a panic or a wrong session.
func TestDecodeDamaged(t *testing.T) {
	s := fullSession("acme", "abc")
	b := encodeSession(nil, &s)
	var back models.Session
	if err := decodeSession(b, &back, interner{}); err != nil {
		t.Fatal(err)
	}
	for n := range len(b) {
		var got models.Session
		if err := decodeSession(b[:n], &got, interner{}); err == nil {
			t.Fatalf("a cut of %d bytes of %d decoded without an error", n, len(b))
		}
	}
	if err := decodeSession(append(b[:len(b):len(b)], 0), &back, interner{}); err == nil {
		t.Fatal("trailing bytes decoded without an error")
	}
	ctx := context.Background()
	db := openT(t, filepath.Join(t.TempDir(), "s.db"))
	if err := db.PutSessions(ctx, "acme", []models.Session{s}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.Exec(`UPDATE sessions SET data = x'01ff'`); err != nil {
		t.Fatal(err)
	}
	err := db.LoadSessions(ctx, "", func(models.Session) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "acme/abc") {
		t.Fatalf("LoadSessions of a damaged row: %v", err)
	}
}

// Times at the edges of what the cache holds.
func TestSessionTimes(t *testing.T) {
	ctx := context.Background()
	db := openT(t, filepath.Join(t.TempDir(), "s.db"))
	epoch := time.Unix(0, 0)
	before := time.Unix(-1, 0)
	far := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	s := models.Session{Ref: models.Ref{ID: "t"}, CreatedAt: epoch, ExpiresAt: far, UpdatedAt: before}
	if err := db.PutSessions(ctx, "a", []models.Session{s}); err != nil {
		t.Fatal(err)
	}
	got := loadAll(t, db, "a")[0]
	if !got.CreatedAt.Equal(epoch) || got.CreatedAt.IsZero() || !got.UpdatedAt.Equal(before) {
		t.Fatalf("times: %v %v", got.CreatedAt, got.UpdatedAt)
	}
	// Past 2262 the time is clamped, but stays far in the future.
	if got.ExpiresAt.Year() < 2262 {
		t.Fatalf("far expiry came back as %v", got.ExpiresAt)
	}
}

// TestLoadFirstSessions: the first sessions of one account by created or
// expiry time, either way, those without the time last, ties by id; the
// count is the account's.
func TestLoadFirstSessions(t *testing.T) {
	ctx := context.Background()
	db := openT(t, filepath.Join(t.TempDir(), "s.db"))
	t0 := time.Unix(1_700_000_000, 0)
	var ss []models.Session
	for i, h := range []int{3, 1, 0, 5, 3, 2} { // hours after t0; 0: no time
		s := models.Session{Ref: models.Ref{Account: "a", ID: fmt.Sprintf("s%d", i)}, Provider: models.DropboxSign,
			Title: "x", Status: models.StatusAwaitingSignature}
		if h > 0 {
			s.CreatedAt = t0.Add(time.Duration(h) * time.Hour)
			s.ExpiresAt = t0.Add(time.Duration(10-h) * time.Hour)
		}
		ss = append(ss, s)
	}
	if err := db.PutSessions(ctx, "a", ss); err != nil {
		t.Fatal(err)
	}
	if err := db.PutSessions(ctx, "b", sampleSessions("b", 9)); err != nil {
		t.Fatal(err)
	}
	first := func(by string, desc bool, limit int) ([]string, int) {
		t.Helper()
		var ids []string
		n, err := db.LoadFirstSessions(ctx, "a", by, desc, limit, func(s models.Session) error {
			if s.Ref.Account != "a" || s.Title != "x" {
				t.Errorf("decoded %+v", s)
			}
			ids = append(ids, s.Ref.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids, n
	}
	for _, c := range []struct {
		by    string
		desc  bool
		limit int
		want  []string
	}{
		{"created", true, 4, []string{"s3", "s0", "s4", "s5"}},
		{"created", false, 10, []string{"s1", "s5", "s0", "s4", "s3", "s2"}},
		{"expires", false, 2, []string{"s3", "s0"}},
		{"expires", true, 10, []string{"s1", "s5", "s0", "s4", "s3", "s2"}},
	} {
		ids, n := first(c.by, c.desc, c.limit)
		if !slices.Equal(ids, c.want) || n != 6 {
			t.Errorf("by %s desc %v limit %d: %v of %d, want %v of 6", c.by, c.desc, c.limit, ids, n, c.want)
		}
	}
	if _, err := db.LoadFirstSessions(ctx, "a", "title; DROP TABLE sessions", true, 3,
		func(models.Session) error { return nil }); err == nil {
		t.Error("an unknown order was accepted")
	}
}
