package dropboxsign

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signdeck/signdeck/providers"
)

// listServer answers every list call with page(n) for the requested page
// and counts the calls.
func listServer(t *testing.T, page func(n int) string, tune func(*Config)) (*Client, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		n, _ := strconv.Atoi(r.URL.Query().Get("page"))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, page(n))
	}))
	t.Cleanup(srv.Close)
	cfg := Config{Account: "acme", BaseURL: srv.URL + "/v3", APIKey: testKey,
		Tune: func(cc *providers.ClientConfig) { cc.Limiter = providers.NewLimiter(100000, time.Second, 1000) }}
	if tune != nil {
		tune(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, &calls
}

func listBody(numPages int, ids ...string) string {
	var rows []string
	for _, id := range ids {
		rows = append(rows, fmt.Sprintf(`{"signature_request_id":%q,"title":"T %s","created_at":1700000000,"signatures":[]}`, id, id))
	}
	return fmt.Sprintf(`{"signature_requests":[%s],"list_info":{"page":1,"num_pages":%d,"num_results":null,"page_size":100}}`,
		strings.Join(rows, ","), numPages)
}

// TestListRepeatedPageStops (issue 9 item 5): a server that answers the
// same page whatever page is asked, with a huge num_pages, ends the
// listing at the second page with a visible ErrIncomplete error; the
// first page's rows were streamed.
func TestListRepeatedPageStops(t *testing.T) {
	c, calls := listServer(t, func(int) string { return listBody(1000000, "a1", "a2", "a3") }, nil)
	var got int
	err := c.List(context.Background(), providers.ListQuery{}, func(p providers.Page) error {
		got += len(p.Sessions)
		return nil
	})
	var pe *providers.Error
	if !errors.Is(err, providers.ErrIncomplete) || !errors.As(err, &pe) || !strings.Contains(err.Error(), "page 2 repeats page 1") {
		t.Fatalf("err = %v, want ErrIncomplete naming the repeat", err)
	}
	if got != 3 || calls.Load() != 2 {
		t.Errorf("%d rows streamed in %d calls, want 3 in 2", got, calls.Load())
	}
}

// TestListPageCap: distinct pages that never end stop at the page cap
// with ErrIncomplete.
func TestListPageCap(t *testing.T) {
	c, calls := listServer(t, func(n int) string { return listBody(1000000, fmt.Sprintf("p%d", n)) },
		func(cfg *Config) { cfg.MaxListPages = 5 })
	pages := 0
	err := c.List(context.Background(), providers.ListQuery{}, func(providers.Page) error { pages++; return nil })
	if !errors.Is(err, providers.ErrIncomplete) || !strings.Contains(err.Error(), "stopped after 5 pages (5 requests)") {
		t.Fatalf("err = %v", err)
	}
	if pages != 5 || calls.Load() != 5 {
		t.Errorf("%d pages in %d calls, want 5", pages, calls.Load())
	}
}

// TestListDropsRequestsWithoutID (issue 11 item 7): a listed request with
// every field null is dropped with a warning on its page, not shown as an
// "Awaiting" row with the ref "acme/".
func TestListDropsRequestsWithoutID(t *testing.T) {
	nullRow := `{"signature_request_id":null,"title":null,"created_at":null,"signatures":null,"metadata":null,"test_mode":null}`
	body := `{"signature_requests":[` + nullRow + `,{"signature_request_id":"good1","title":"Good","created_at":1700000000,"signatures":[]}],` +
		`"list_info":{"page":1,"num_pages":1,"num_results":2,"page_size":100}}`
	c, _ := listServer(t, func(int) string { return body }, nil)
	var pages []providers.Page
	if err := c.List(context.Background(), providers.ListQuery{}, func(p providers.Page) error {
		pages = append(pages, p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(pages) != 1 || len(pages[0].Sessions) != 1 || pages[0].Sessions[0].Ref.ID != "good1" {
		t.Fatalf("pages %+v", pages)
	}
	if len(pages[0].Warnings) != 1 || !strings.Contains(pages[0].Warnings[0], "1 listed request(s) without an id dropped") {
		t.Errorf("warnings %q", pages[0].Warnings)
	}
}
