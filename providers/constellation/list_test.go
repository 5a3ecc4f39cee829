package constellation

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/constellation/constellationtest"
)

func collect(t *testing.T, e *env, q providers.ListQuery) ([]providers.Page, error) {
	t.Helper()
	var pages []providers.Page
	err := e.c.List(e.ctx, q, func(p providers.Page) error { pages = append(pages, p); return nil })
	return pages, err
}

// listed returns the emulator's sessions the lite list shows for tx,
// newest first.
func listed(e *env, tx string) []constellationtest.Session {
	var out []constellationtest.Session
	for _, s := range e.srv.Sessions() {
		switch s.StatusCode {
		case constellationtest.StatusDeleted, constellationtest.StatusPurged, constellationtest.StatusArchived:
			continue
		}
		if s.TransactionID == tx {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b constellationtest.Session) int { return b.CreatedOn.Compare(a.CreatedOn) })
	return out
}

func TestListPagesAcrossMoreThan50(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 11, Size: 140, Transactions: []string{"TX-2024-0117"}})
	want := listed(e, "TX-2024-0117")
	if len(want) <= 2*PageSize {
		t.Fatalf("the seed gives %d listed sessions; the test needs more than %d", len(want), 2*PageSize)
	}
	pages, err := collect(t, e, providers.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	wantPages := (len(want) + PageSize - 1) / PageSize
	if len(pages) != wantPages {
		t.Fatalf("%d pages, want %d", len(pages), wantPages)
	}
	var ids []string
	for i, p := range pages {
		if p.Page != i+1 || p.Pages != wantPages || p.Total != len(want) {
			t.Errorf("page %d: Page=%d Pages=%d Total=%d, want %d/%d/%d", i, p.Page, p.Pages, p.Total, i+1, wantPages, len(want))
		}
		if i < len(pages)-1 && len(p.Sessions) != PageSize {
			t.Errorf("page %d holds %d sessions, want %d", i+1, len(p.Sessions), PageSize)
		}
		for _, s := range p.Sessions {
			if s.Complete {
				t.Errorf("%s: a lite row says Complete", s.Ref.ID)
			}
			if s.Ref.Account != "brokerage" || s.Provider != models.Constellation1 {
				t.Errorf("%s: ref %v provider %q", s.Ref.ID, s.Ref, s.Provider)
			}
			ids = append(ids, s.Ref.ID)
		}
	}
	for i, w := range want {
		if i >= len(ids) || ids[i] != w.ID {
			t.Fatalf("row %d is not the %d-th newest session", i, i+1)
		}
	}
	if len(ids) != len(want) {
		t.Errorf("%d rows, want %d", len(ids), len(want))
	}
	// The first page's rows carry the lite columns.
	first := pages[0].Sessions[0]
	if first.Title != want[0].Title || first.TransactionID != "TX-2024-0117" || !first.CreatedAt.Equal(want[0].CreatedOn) {
		t.Errorf("row 0 = %+v", first)
	}

	lites := e.requests("lite")
	if len(lites) != wantPages {
		t.Fatalf("%d lite requests, want %d", len(lites), wantPages)
	}
	for n, r := range lites {
		wantPath := "/rest/v1/sessions/lite/" + e.srv.Username() + "/TX-2024-0117/50/" + string(rune('0'+n)) + "/sortBy"
		if r.Method != "GET" || r.Path != wantPath {
			t.Errorf("request %d: %s %s, want GET %s", n, r.Method, r.Path, wantPath)
		}
		if r.RawQuery != "colName=CreatedOn&sortOrder=desc" {
			t.Errorf("request %d query %q", n, r.RawQuery)
		}
	}
}

func TestListStatusesMapped(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 12})
	pages, err := collect(t, e, providers.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range pages {
		for _, s := range p.Sessions {
			src, _ := e.srv.Session(s.Ref.ID)
			want, _, _ := mapSessionStatus(int64(src.StatusCode))
			if s.Status != want {
				t.Errorf("%s: status %q, want %q (code %d)", s.Ref.ID, s.Status, want, src.StatusCode)
			}
			n++
		}
	}
	total := 0
	for _, tx := range e.srv.Transactions() {
		total += len(listed(e, tx))
	}
	if n != total {
		t.Errorf("%d rows over all transactions, want %d", n, total)
	}
}

func TestListSeveralTransactions(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 13})
	pages, err := collect(t, e, providers.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	txs := e.srv.Transactions()
	if len(pages) != len(txs) {
		t.Fatalf("%d pages for %d small transactions", len(pages), len(txs))
	}
	for i, p := range pages {
		if p.Page != i+1 || p.Total != -1 || p.Pages != 0 {
			t.Errorf("page %d: Page=%d Total=%d Pages=%d; with several transactions the total is unknown", i, p.Page, p.Total, p.Pages)
		}
		for _, s := range p.Sessions {
			if s.TransactionID != txs[i] {
				t.Errorf("page %d holds a session of %s, want %s", i+1, s.TransactionID, txs[i])
			}
		}
	}
}

func TestListMaxPagesPerTransaction(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 14, Size: 240, Transactions: []string{"TX-A", "TX-B"}})
	pages, err := collect(t, e, providers.ListQuery{MaxPages: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 || e.srv.Count("lite") != 2 {
		t.Fatalf("%d pages and %d lite requests, want one of each per transaction", len(pages), e.srv.Count("lite"))
	}
	if len(pages[0].Sessions) != PageSize || pages[1].Sessions[0].TransactionID != "TX-B" {
		t.Error("MaxPages=1 did not give each transaction's first full page")
	}
}

func TestListCallbackErrorStops(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 15})
	stop := errors.New("enough")
	calls := 0
	err := e.c.List(e.ctx, providers.ListQuery{}, func(providers.Page) error { calls++; return stop })
	if err != stop {
		t.Fatalf("got %v, want the callback's error as is", err)
	}
	if calls != 1 || e.srv.Count("lite") != 1 {
		t.Errorf("%d callbacks and %d lite requests after the callback failed, want 1 and 1", calls, e.srv.Count("lite"))
	}
}

func TestListBuckets(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 16, Size: 80})
	codes := map[string][]int{
		"expired":  {constellationtest.StatusExpired},
		"archived": {constellationtest.StatusArchived},
		"deleted":  {constellationtest.StatusDeleted, constellationtest.StatusPurged},
	}
	statuses := map[string]models.Status{"expired": models.StatusExpired, "archived": models.StatusArchived, "deleted": models.StatusDeleted}
	if got := e.c.Capabilities().Buckets; !slices.Equal(got, []string{"expired", "archived", "deleted"}) {
		t.Errorf("Capabilities.Buckets = %v", got)
	}
	for bucket, want := range codes {
		t.Run(bucket, func(t *testing.T) {
			e.srv.ClearRequests()
			var wantIDs []string
			var all []constellationtest.Session
			for _, s := range e.srv.Sessions() {
				if slices.Contains(want, s.StatusCode) {
					all = append(all, s)
				}
			}
			slices.SortStableFunc(all, func(a, b constellationtest.Session) int { return b.CreatedOn.Compare(a.CreatedOn) })
			for _, s := range all {
				wantIDs = append(wantIDs, s.ID)
			}
			if len(wantIDs) == 0 {
				t.Fatalf("the seed has no %s sessions", bucket)
			}
			pages, err := collect(t, e, providers.ListQuery{Bucket: bucket})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range pages {
				if p.Total != len(wantIDs) {
					t.Errorf("Total %d, want %d", p.Total, len(wantIDs))
				}
				for _, s := range p.Sessions {
					ids = append(ids, s.Ref.ID)
					if s.Status != statuses[bucket] || s.Complete {
						t.Errorf("%s: status %q complete %v", s.Ref.ID, s.Status, s.Complete)
					}
				}
			}
			if !slices.Equal(ids, wantIDs) {
				t.Errorf("ids %v, want %v", ids, wantIDs)
			}
			r := e.requests("bucket")
			if len(r) != 1 || r[0].Method != "GET" || r[0].Path != "/rest/v1/sessions/"+bucket+"/50/0" {
				t.Errorf("bucket requests: %+v", r)
			}
		})
	}
	e.srv.ClearRequests()
	_, err := collect(t, e, providers.ListQuery{Bucket: "trash"})
	if !errors.Is(err, providers.ErrInvalid) || len(e.srv.Requests()) != 0 {
		t.Errorf("an unknown bucket: %v after %d requests; want ErrInvalid before any", err, len(e.srv.Requests()))
	}
}

func TestListNeedsUsernameAndTransactions(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 17}, func(c *Config) { c.Username = "" })
	if _, err := collect(t, e, providers.ListQuery{}); !errors.Is(err, providers.ErrInvalid) || !strings.Contains(err.Error(), "username") {
		t.Errorf("no username: %v", err)
	}
	e2 := newEnv(t, constellationtest.Options{Seed: 17}, func(c *Config) { c.Transactions = nil })
	if _, err := collect(t, e2, providers.ListQuery{}); !errors.Is(err, providers.ErrInvalid) || !strings.Contains(err.Error(), "transaction") {
		t.Errorf("no transactions: %v", err)
	}
	if len(e.srv.Requests())+len(e2.srv.Requests()) != 0 {
		t.Error("requests were sent for a listing that cannot work")
	}
}

func TestListWrongUsernameReportedOnce(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 18}, func(c *Config) {
		c.Username = "someone.else@example.com"
		c.Transactions = c.Transactions[:3]
	})
	_, err := collect(t, e, providers.ListQuery{})
	if !errors.Is(err, providers.ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	if strings.Count(err.Error(), "Username not found") != 1 {
		t.Errorf("error %q: want the vendor's text once", err)
	}
	if e.srv.Count("lite") != 3 {
		t.Errorf("%d lite requests, want one per transaction", e.srv.Count("lite"))
	}
}

func TestListGoesOnPastAFailingTransaction(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 19, Transactions: []string{"TX-1", "TX-2"},
		Faults: constellationtest.Faults{MalformedRate: 1, Ops: []string{"lite"}, Limit: 1}})
	pages, err := collect(t, e, providers.ListQuery{})
	if !errors.Is(err, providers.ErrResponse) || !strings.Contains(err.Error(), "list TX-1") {
		t.Fatalf("got %v, want ErrResponse for TX-1", err)
	}
	// Partial results: the error says so and names the transaction.
	if !errors.Is(err, providers.ErrIncomplete) || !strings.Contains(err.Error(), "1 of 2 transactions could not be listed (TX-1)") {
		t.Errorf("got %v, want ErrIncomplete naming TX-1", err)
	}
	if len(pages) != 1 || len(pages[0].Sessions) == 0 || pages[0].Sessions[0].TransactionID != "TX-2" {
		t.Errorf("TX-2 was not listed after TX-1 failed: %d pages", len(pages))
	}
	if strings.Contains(err.Error(), "tru") && len(err.Error()) > 400 {
		t.Errorf("the error dumps the body: %q", err)
	}
}

func TestListGetRetriedOn5xx(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 20, Transactions: []string{"TX-1"},
		Faults: constellationtest.Faults{ErrorRate: 1, Ops: []string{"lite"}, Limit: 2}})
	pages, err := collect(t, e, providers.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 1 || e.srv.Count("lite") != 3 {
		t.Errorf("%d lite requests, want 3 (two 503s retried, then the answer)", e.srv.Count("lite"))
	}
}

func TestListHTML5xxIsUnavailable(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 21, Transactions: []string{"TX-1", "TX-2"},
		Faults: constellationtest.Faults{ErrorRate: 1, ErrorStatus: 502, Ops: []string{"lite"}}})
	_, err := collect(t, e, providers.ListQuery{})
	if !errors.Is(err, providers.ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
	var pe *providers.Error
	if !errors.As(err, &pe) || pe.Status != 502 {
		t.Fatalf("got %#v, want a *providers.Error with HTTP 502", err)
	}
	if strings.Contains(pe.Message, "<") || len([]rune(pe.Message)) > maxExcerpt+40 {
		t.Errorf("message %q dumps the HTML body", pe.Message)
	}
	if !strings.Contains(pe.Message, "502 Bad Gateway") {
		t.Errorf("message %q does not name the page", pe.Message)
	}
	if e.srv.Count("lite") != 3 {
		t.Errorf("%d lite requests: want the first transaction retried (3 tries) and then a stop", e.srv.Count("lite"))
	}
}

// TestListPageCapIsVisible: a stream that reaches the page cap ends with
// an ErrIncomplete error, not silently.
func TestListPageCapIsVisible(t *testing.T) {
	old := maxPagesPerStream
	maxPagesPerStream = 2
	t.Cleanup(func() { maxPagesPerStream = old })
	e := newEnv(t, constellationtest.Options{Seed: 21, Size: 200, Transactions: []string{"TX-1"}})
	pages, err := collect(t, e, providers.ListQuery{})
	if !errors.Is(err, providers.ErrIncomplete) || !strings.Contains(err.Error(), "stopped after 2 pages") {
		t.Fatalf("got %v, want ErrIncomplete at the page cap", err)
	}
	if len(pages) != 2 {
		t.Errorf("%d pages streamed, want 2", len(pages))
	}
}
