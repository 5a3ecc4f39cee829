package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestJournalRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openT(t, filepath.Join(t.TempDir(), "j.db"))
	created := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	op := Op{ID: "op-1", Action: "copy", Account: "acme", Provider: "constellation1", Endpoint: "http://127.0.0.1:1",
		Ref: "acme/src", Title: "Lease", Via: "tui", PID: 77, CreatedAt: created,
		Intent: []byte(`{"title":"Lease","signers":["a@example.com"]}`)}
	if err := db.RecordIntent(ctx, op); err != nil {
		t.Fatal(err)
	}
	got, err := db.Get(ctx, "op-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != op.ID || got.Action != op.Action || got.Account != op.Account || got.Provider != op.Provider ||
		got.Endpoint != op.Endpoint || got.Ref != op.Ref || got.Title != op.Title || got.Via != op.Via ||
		got.PID != 77 || !got.CreatedAt.Equal(created) || string(got.Intent) != string(op.Intent) ||
		got.Outcome != OutcomeNone || !got.UpdatedAt.Equal(created) || got.Attempts != 0 {
		t.Fatalf("Get = %+v", got)
	}
	if err := db.BumpAttempt(ctx, "op-1"); err != nil {
		t.Fatal(err)
	}
	if err := db.BumpAttempt(ctx, "op-1"); err != nil {
		t.Fatal(err)
	}
	at := created.Add(time.Minute)
	if err := db.RecordOutcome(ctx, "op-1", Outcome{Outcome: OutcomeUnknown, Reason: "connection reset", At: at}); err != nil {
		t.Fatal(err)
	}
	at2 := at.Add(time.Minute)
	if err := db.RecordOutcome(ctx, "op-1", Outcome{Outcome: OutcomeOK, Status: "awaiting_signature",
		NewRef: "acme/new", At: at2}); err != nil {
		t.Fatal(err)
	}
	// Empty Status and NewRef keep the last ones; Reason is replaced.
	if err := db.RecordOutcome(ctx, "op-1", Outcome{Outcome: OutcomeOK, Reason: "confirmed", At: at2}); err != nil {
		t.Fatal(err)
	}
	got, err = db.Get(ctx, "op-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Outcome != OutcomeOK || got.Status != "awaiting_signature" || got.NewRef != "acme/new" ||
		got.Reason != "confirmed" || !got.UpdatedAt.Equal(at2) || got.Attempts != 2 {
		t.Fatalf("after outcomes: %+v", got)
	}
	ev, err := db.Events(ctx, "op-1")
	if err != nil {
		t.Fatal(err)
	}
	var kinds, outcomes []string
	for _, e := range ev {
		kinds = append(kinds, e.Kind)
		outcomes = append(outcomes, e.Outcome)
	}
	if !slices.Equal(kinds, []string{EventIntent, EventAttempt, EventAttempt, EventOutcome, EventOutcome, EventOutcome}) ||
		!slices.Equal(outcomes, []string{"", "", "", "unknown", "ok", "ok"}) {
		t.Fatalf("events: kinds %v outcomes %v", kinds, outcomes)
	}
	if ev[3].Reason != "connection reset" || !ev[3].At.Equal(at) || ev[4].NewRef != "acme/new" {
		t.Fatalf("event details: %+v", ev[3:5])
	}
}

func TestJournalErrors(t *testing.T) {
	ctx := context.Background()
	db := openT(t, filepath.Join(t.TempDir(), "j.db"))
	if err := db.RecordIntent(ctx, Op{ID: "a", Action: "cancel"}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordIntent(ctx, Op{ID: "a", Action: "cancel"}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate id: %v, want ErrExists", err)
	}
	if _, err := db.Get(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(missing) = %v, want ErrNotFound", err)
	}
	if err := db.RecordOutcome(ctx, "missing", Outcome{Outcome: OutcomeOK}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("RecordOutcome(missing) = %v, want ErrNotFound", err)
	}
	if err := db.BumpAttempt(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("BumpAttempt(missing) = %v, want ErrNotFound", err)
	}
	if err := db.RecordOutcome(ctx, "a", Outcome{Outcome: "maybe"}); err == nil {
		t.Fatal("an unknown outcome was accepted")
	}
	if err := db.RecordOutcome(ctx, "a", Outcome{}); err == nil {
		t.Fatal("an empty outcome was accepted")
	}
	if err := db.RecordIntent(ctx, Op{ID: "b", Action: "copy", Intent: []byte("{not json")}); err == nil {
		t.Fatal("an intent that is not JSON was accepted")
	}
	if err := db.RecordIntent(ctx, Op{Action: "copy"}); err == nil {
		t.Fatal("an empty id was accepted")
	}
	if err := db.RecordIntent(ctx, Op{ID: "c"}); err == nil {
		t.Fatal("an empty action was accepted")
	}
	err := db.RecordIntent(ctx, Op{ID: "a", Action: "cancel"})
	if !strings.HasPrefix(err.Error(), "signdeck store "+db.Path()+": ") {
		t.Fatalf("error %q does not name the store", err)
	}
}

func TestOpsFilter(t *testing.T) {
	ctx := context.Background()
	db := openT(t, filepath.Join(t.TempDir(), "j.db"))
	t0 := time.Unix(1_800_000_000, 0)
	add := func(id, action, acct, ref, outcome string, min int) {
		t.Helper()
		if err := db.RecordIntent(ctx, Op{ID: id, Action: action, Account: acct, Endpoint: "e-" + acct, Ref: ref,
			CreatedAt: t0.Add(time.Duration(min) * time.Minute), Outcome: outcome}); err != nil {
			t.Fatal(err)
		}
	}
	add("1", "cancel", "a", "a/x", OutcomeOK, 1)
	add("2", "cancel", "a", "a/y", OutcomeNone, 2)
	add("3", "copy", "a", "a/x", OutcomeUnknown, 3)
	add("4", "cancel", "b", "b/x", OutcomePending, 4)
	add("5", "login", "b", "", OutcomeFailed, 5)
	add("6", "cancel", "a", "a/z", OutcomeSkipped, 6)
	add("7", "copy", "b", "b/q", OutcomeNotSent, 6) // same time as 6: later insert first
	ids := func(f OpFilter) []string {
		t.Helper()
		ops, err := db.Ops(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range ops {
			out = append(out, o.ID)
		}
		return out
	}
	for _, c := range []struct {
		f    OpFilter
		want []string
	}{
		{OpFilter{}, []string{"7", "6", "5", "4", "3", "2", "1"}},
		{OpFilter{Limit: 2}, []string{"7", "6"}},
		{OpFilter{Unresolved: true}, []string{"4", "3", "2"}},
		{OpFilter{Since: t0.Add(4 * time.Minute)}, []string{"7", "6", "5", "4"}},
		{OpFilter{Action: "cancel", Account: "a"}, []string{"6", "2", "1"}},
		{OpFilter{Account: "a", Ref: "a/x"}, []string{"3", "1"}},
		{OpFilter{Endpoint: "e-b"}, []string{"7", "5", "4"}},
		{OpFilter{Unresolved: true, Account: "a", Since: t0.Add(3 * time.Minute)}, []string{"3"}},
	} {
		if got := ids(c.f); !slices.Equal(got, c.want) {
			t.Errorf("Ops(%+v) = %v, want %v", c.f, got, c.want)
		}
	}
}

func TestPendingCancels(t *testing.T) {
	ctx := context.Background()
	db := openT(t, filepath.Join(t.TempDir(), "j.db"))
	t0 := time.Unix(1_800_000_000, 0)
	add := func(id, action, acct, endpoint, ref string, min int, o string) {
		t.Helper()
		at := t0.Add(time.Duration(min) * time.Minute)
		if err := db.RecordIntent(ctx, Op{ID: id, Action: action, Account: acct, Endpoint: endpoint, Ref: ref,
			CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
		if o != "" {
			if err := db.RecordOutcome(ctx, id, Outcome{Outcome: o, At: at.Add(time.Second)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// s1 twice: the later one recorded first, so that the answer depends
	// on the times, not on the order of the rows.
	add("8", "cancel", "a", "E", "a/s1", 20, OutcomePending)
	add("1", "cancel", "a", "E", "a/s1", 0, OutcomePending)
	add("2", "cancel", "a", "E", "a/s2/with/slash", 10, OutcomePending)
	add("3", "cancel", "a", "E", "a/s3", 10, OutcomeOK)          // resolved
	add("4", "cancel", "a", "OTHER", "a/s4", 10, OutcomePending) // other endpoint
	add("5", "cancel", "b", "E", "b/s5", 10, OutcomePending)     // other account
	add("6", "copy", "a", "E", "a/s6", 10, OutcomePending)       // not a cancel
	add("7", "cancel", "a", "E", "a/s7", 10, OutcomeNone)        // no outcome yet
	add("9", "cancel", "a", "E", "a/s9", 5, OutcomePending)
	// s9's pending is superseded by a later outcome: no longer pending.
	if err := db.RecordOutcome(ctx, "9", Outcome{Outcome: OutcomeOK, Status: "canceled"}); err != nil {
		t.Fatal(err)
	}
	got, err := db.PendingCancels(ctx, "a", "E", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{
		"s1":            t0.Add(20*time.Minute + time.Second),
		"s2/with/slash": t0.Add(10*time.Minute + time.Second),
	}
	if len(got) != len(want) {
		t.Fatalf("PendingCancels = %v, want %v", got, want)
	}
	for k, v := range want {
		if !got[k].Equal(v) {
			t.Fatalf("PendingCancels[%s] = %v, want %v (all %v)", k, got[k], v, got)
		}
	}
	got, err = db.PendingCancels(ctx, "a", "E", t0.Add(15*time.Minute))
	if err != nil || len(got) != 1 || got["s1"].IsZero() {
		t.Fatalf("PendingCancels since +15m = %v, %v; want only s1", got, err)
	}
}

// An intent is on disk and visible to another handle (another process)
// as soon as RecordIntent returns.
func TestRecordIntentIsDurable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "j.db")
	a := openT(t, path)
	b := openT(t, path)
	// b has a connection open (and a read snapshot taken before) the write.
	if _, err := b.Ops(ctx, OpFilter{}); err != nil {
		t.Fatal(err)
	}
	if err := a.RecordIntent(ctx, Op{ID: "x", Action: "cancel", Ref: "acme/1"}); err != nil {
		t.Fatal(err)
	}
	op, err := b.Get(ctx, "x")
	if err != nil || op.Ref != "acme/1" {
		t.Fatalf("second handle: %+v, %v", op, err)
	}
}

func TestPruneOps(t *testing.T) {
	ctx := context.Background()
	db := openT(t, filepath.Join(t.TempDir(), "j.db"))
	t0 := time.Unix(1_800_000_000, 0)
	for i, o := range []string{OutcomeOK, OutcomeFailed, OutcomeSkipped, OutcomeNotSent, OutcomeNone, OutcomeUnknown, OutcomePending} {
		for _, age := range []time.Duration{48 * time.Hour, time.Hour} {
			id := fmt.Sprintf("%d-%s", i, age)
			if err := db.RecordIntent(ctx, Op{ID: id, Action: "cancel", CreatedAt: t0.Add(-age), Outcome: o}); err != nil {
				t.Fatal(err)
			}
		}
	}
	n, err := db.PruneOps(ctx, t0.Add(-24*time.Hour))
	if err != nil || n != 4 {
		t.Fatalf("PruneOps = %d, %v; want 4", n, err)
	}
	ops, _ := db.Ops(ctx, OpFilter{})
	if len(ops) != 10 {
		t.Fatalf("%d operations left, want 10", len(ops))
	}
	for _, op := range ops {
		if op.CreatedAt.Before(t0.Add(-24*time.Hour)) && !Unresolved(op.Outcome) {
			t.Fatalf("resolved old op %s kept", op.ID)
		}
	}
	var events int
	if err := db.sql.QueryRow(`SELECT count(*) FROM op_events`).Scan(&events); err != nil || events != 10 {
		t.Fatalf("%d events left, %v; want 10 (the pruned ops' history goes with them)", events, err)
	}
}

// Writers of one handle queue without failing while another waits, and a
// cancelled context stops a writer that is waiting.
func TestWriteWaitRespectsContext(t *testing.T) {
	db := openT(t, filepath.Join(t.TempDir(), "j.db"))
	db.wmu <- struct{}{} // as if a write were under way
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.RecordIntent(ctx, Op{ID: "x", Action: "cancel"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("RecordIntent with a cancelled context while a write is under way: %v", err)
	}
	<-db.wmu
	if err := db.RecordIntent(context.Background(), Op{ID: "x", Action: "cancel"}); err != nil {
		t.Fatal(err)
	}
}
