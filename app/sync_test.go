package app_test

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/constellation/constellationtest"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

// cachedStatuses is the cache's content: id -> status.
func cachedStatuses(t *testing.T, c *app.SessionCache, account string) map[string]models.Status {
	t.Helper()
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := c.Load(context.Background(), []string{account})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]models.Status{}
	for _, s := range got[account].Sessions {
		out[s.Ref.ID] = s.Status
	}
	return out
}

// liveStatuses is a full listing: id -> status.
func liveStatuses(t *testing.T, p providers.Provider) map[string]models.Status {
	t.Helper()
	out := map[string]models.Status{}
	if err := p.List(context.Background(), providers.ListQuery{}, func(pg providers.Page) error {
		for _, s := range pg.Sessions {
			out[s.Ref.ID] = s.Status
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSyncIncrementalDropboxSign: after a full sweep, a refresh lists the
// new requests and the open ones, fetches the leavers one by one (a 410
// removes them), and leaves the cache equal to a full listing; the
// index lag is covered by the margin; a full sweep comes back when the
// last one is older than FullEvery.
func TestSyncIncrementalDropboxSign(t *testing.T) {
	e := dbxEnv(t, dropboxsigntest.Options{Seed: 11, Size: 250, SearchDelay: 50 * time.Millisecond, RateLimit: -1})
	ctx := context.Background()
	c := app.NewSessionCache(e.db, nil)
	defer c.Close()
	var emitted []models.Session
	emit := func(ss []models.Session) error { emitted = append(emitted, ss...); return nil }

	res, err := c.Sync(ctx, "acme", e.acct.Provider, app.SyncOptions{}, emit)
	if err != nil || !res.Full {
		t.Fatalf("first sync: %+v %v", res, err)
	}
	live := liveStatuses(t, e.acct.Provider)
	if got := cachedStatuses(t, c, "acme"); !maps.Equal(got, live) || len(got) != len(emitted) {
		t.Fatalf("after the full sweep: %d cached, %d live, %d emitted", len(got), len(live), len(emitted))
	}

	// Changes since: a new request (not in the index yet), one open request
	// completed, one canceled.
	var open []string
	for id, st := range live {
		if st == models.StatusAwaitingSignature {
			open = append(open, id)
		}
	}
	slices.Sort(open)
	if len(open) < 3 {
		t.Fatalf("%d open", len(open))
	}
	owner, signerName := e.dbx.Owner(), "New Signer"
	newID := e.dbx.Add(dropboxsigntest.SignatureRequest{Title: "Fresh lease", RequesterEmailAddress: &owner,
		Signatures: []dropboxsigntest.Signature{{SignerEmailAddress: "new@example.com", SignerName: &signerName}}})
	e.dbx.Modify(open[0], func(r *dropboxsigntest.SignatureRequest) {
		r.IsComplete = true
		for i := range r.Signatures {
			r.Signatures[i].StatusCode = "signed"
		}
	})
	e.dbx.CancelNow(open[1])
	time.Sleep(60 * time.Millisecond) // the index catches up

	e.dbx.ClearRequests()
	emitted = nil
	res, err = c.Sync(ctx, "acme", e.acct.Provider, app.SyncOptions{}, emit)
	if err != nil || res.Full {
		t.Fatalf("second sync: %+v %v", res, err)
	}
	var lists, gets int
	var queries []string
	for _, r := range e.dbx.Requests() {
		switch r.Op {
		case "list":
			lists++
			q, _ := url.ParseQuery(r.RawQuery)
			if q.Get("query") == "" {
				t.Errorf("an incremental sync listed without a query: %s", r.RawQuery)
			}
			queries = append(queries, q.Get("query"))
		case "get":
			gets++
		}
	}
	if !slices.ContainsFunc(queries, func(q string) bool { return strings.HasPrefix(q, "created:[") }) ||
		!slices.Contains(queries, "complete:false AND declined:false") {
		t.Errorf("queries %q", queries)
	}
	// The open listing and the new one are a few pages; the leavers (the
	// completed and the canceled one) one GET each.
	if gets != 2 || lists > 6 {
		t.Errorf("%d lists, %d gets", lists, gets)
	}
	if !slices.Equal(res.Closed, []string{open[1]}) {
		t.Errorf("closed %v, want %s", res.Closed, open[1])
	}
	if !slices.ContainsFunc(emitted, func(s models.Session) bool { return s.Ref.ID == newID }) {
		t.Error("the new request was not emitted")
	}
	live = liveStatuses(t, e.acct.Provider)
	if got := cachedStatuses(t, c, "acme"); !maps.Equal(got, live) {
		for id := range live {
			if got[id] != live[id] {
				t.Errorf("%s: cached %q, live %q", id, got[id], live[id])
			}
		}
		for id := range got {
			if _, ok := live[id]; !ok {
				t.Errorf("%s cached, not live", id)
			}
		}
	}

	// A day later: a full sweep again.
	res, err = c.Sync(ctx, "acme", e.acct.Provider, app.SyncOptions{Now: func() time.Time { return time.Now().Add(25 * time.Hour) }}, emit)
	if err != nil || !res.Full {
		t.Errorf("a day later: %+v %v", res, err)
	}
	if res, err = c.Sync(ctx, "acme", e.acct.Provider, app.SyncOptions{Full: true}, emit); err != nil || !res.Full {
		t.Errorf("on demand: %+v %v", res, err)
	}
}

// TestSyncConstellationDetails: each refresh lists lite rows and fetches,
// within its budget, full sessions for rows without a detail; a detail is
// kept across refreshes (not fetched again) until the row changes.
func TestSyncConstellationDetails(t *testing.T) {
	e := c1Env(t, constellationtest.Options{Seed: 12, Size: 12})
	ctx := context.Background()
	c := app.NewSessionCache(e.db, nil)
	defer c.Close()
	none := func([]models.Session) error { return nil }
	complete := func() (n, withSigners int) {
		t.Helper()
		if err := c.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := c.Load(ctx, []string{"c1"})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range got["c1"].Sessions {
			if s.Complete {
				n++
				if len(s.Signers) > 0 {
					withSigners++
				}
			}
		}
		return n, withSigners
	}
	res, err := c.Sync(ctx, "c1", e.acct.Provider, app.SyncOptions{Details: 5}, none)
	if err != nil || res.Details != 5 {
		t.Fatalf("first refresh: %+v %v", res, err)
	}
	if n, ws := complete(); n != 5 || ws != 5 {
		t.Fatalf("%d complete rows (%d with signers), want 5", n, ws)
	}
	gets := e.c1.Count("get")
	res, err = c.Sync(ctx, "c1", e.acct.Provider, app.SyncOptions{Details: 5}, none)
	if err != nil || res.Details != 5 {
		t.Fatalf("second refresh: %+v %v", res, err)
	}
	if n, _ := complete(); n != 10 {
		t.Errorf("%d complete rows after two refreshes: a kept detail was lost or fetched again", n)
	}
	if d := e.c1.Count("get") - gets; d != 5 {
		t.Errorf("%d gets in the second refresh, want 5", d)
	}
}

// TestSyncEndpointChangeIsFull: a cache filled from another endpoint (a
// sandbox's fresh emulator, a changed base_url) is refreshed in full.
func TestSyncEndpointChangeIsFull(t *testing.T) {
	e := dbxEnv(t, dropboxsigntest.Options{Seed: 13, Size: 20})
	ctx := context.Background()
	c := app.NewSessionCache(e.db, nil)
	defer c.Close()
	none := func([]models.Session) error { return nil }
	for i, tc := range []struct {
		endpoint string
		full     bool
	}{{"https://a.example", true}, {"https://a.example", false}, {"https://b.example", true}, {"https://b.example", false}} {
		res, err := c.Sync(ctx, "acme", e.acct.Provider, app.SyncOptions{Endpoint: tc.endpoint}, none)
		if err != nil || res.Full != tc.full {
			t.Errorf("sync %d (%s): full %v, want %v (%v)", i, tc.endpoint, res.Full, tc.full, err)
		}
	}
}
