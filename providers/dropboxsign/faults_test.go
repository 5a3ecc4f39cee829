package dropboxsign

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

func openRequest(e *env) string {
	return e.srv.Add(dropboxsigntest.SignatureRequest{Title: "Notice to Perform - 77 Laurel Way", RequesterEmailAddress: ptrTo(e.srv.Owner()),
		Signatures: []dropboxsigntest.Signature{{SignerEmailAddress: "b@example.com", SignerName: ptrTo("Bo Buyer")}}})
}

func TestFaultsOnReads(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name      string
		f         dropboxsigntest.Faults
		kind      error // nil: the GET recovers by retrying
		contains  string
		attempts  int // exact GETs seen by the emulator; 0: at least 2
		nextWorks bool
	}{
		{"two HTML 502s then success", dropboxsigntest.Faults{HTML5xxRate: 1, Limit: 2}, nil, "", 3, true},
		{"one 500 then success", dropboxsigntest.Faults{ErrorRate: 1, Limit: 1}, nil, "", 2, true},
		{"a reset then success", dropboxsigntest.Faults{ResetRate: 1, Limit: 1}, nil, "", 0, true},
		{"HTML 502 every time", dropboxsigntest.Faults{HTML5xxRate: 1}, providers.ErrUnavailable, `HTML page titled "502 Bad Gateway"`, 4, false},
		{"500 every time", dropboxsigntest.Faults{ErrorRate: 1}, providers.ErrUnavailable, "(HTTP 500 unknown): An unknown error", 4, false},
		{"reset every time", dropboxsigntest.Faults{ResetRate: 1}, providers.ErrUnavailable, "", 0, false},
		{"malformed 200", dropboxsigntest.Faults{MalformedRate: 1, Limit: 1}, providers.ErrResponse, "could not be read (malformed at byte", 1, true},
		{"truncated 200", dropboxsigntest.Faults{TruncateRate: 1, Limit: 1}, providers.ErrResponse, "could not be read (truncated)", 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, dropboxsigntest.Options{Seed: 20, Size: 2})
			id := openRequest(e)
			f := tc.f
			f.Ops = []string{"GET /v3/signature_request/" + id}
			e.srv.SetFaults(f)
			s, err := e.c.Get(ctx, id)
			gets := e.srv.Count("GET", "/v3/signature_request/"+id)
			switch {
			case tc.kind == nil && err != nil:
				t.Fatalf("want recovery by retry, got %v", err)
			case tc.kind == nil && s.Ref.ID != id:
				t.Fatalf("got %+v", s)
			case tc.kind != nil:
				pe := checkErr(t, err, tc.kind)
				if !strings.Contains(pe.Error(), tc.contains) || len(pe.Error()) > 500 {
					t.Errorf("error %q (%d bytes): want it to mention %q, briefly", pe.Error(), len(pe.Error()), tc.contains)
				}
			}
			if (tc.attempts > 0 && gets != tc.attempts) || (tc.attempts == 0 && gets < 2) {
				t.Errorf("%d GETs reached the emulator, want %d", gets, tc.attempts)
			}
			if tc.nextWorks {
				if _, err := e.c.Get(ctx, id); err != nil {
					t.Errorf("the call after the fault: %v", err)
				}
			}
		})
	}
}

func TestFaultsOnWritesAreNeverRetried(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		f        dropboxsigntest.Faults
		kind     error
		contains string
		queued   bool // did the emulator queue the cancel
	}{
		{"HTML 502 before the cancel", dropboxsigntest.Faults{HTML5xxRate: 1}, providers.ErrUnavailable, "502", false},
		{"500 before the cancel", dropboxsigntest.Faults{ErrorRate: 1}, providers.ErrUnavailable, "500", false},
		{"reset before the cancel", dropboxsigntest.Faults{ResetRate: 1}, providers.ErrAmbiguous, "may or may not have been queued", false},
		{"reset after the cancel", dropboxsigntest.Faults{ResetRate: 1, AfterEffect: true}, providers.ErrAmbiguous, "may or may not have been queued", true},
		{"timeout", dropboxsigntest.Faults{Latency: 400 * time.Millisecond}, providers.ErrAmbiguous, "may or may not have been queued", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, dropboxsigntest.Options{Seed: 21, Size: 2, CancelDelay: time.Hour},
				tuneClient(func(cc *providers.ClientConfig) { cc.Timeout = 150 * time.Millisecond }))
			id := openRequest(e)
			f := tc.f
			f.Ops = []string{"POST /v3/signature_request/cancel/"}
			e.srv.SetFaults(f)
			_, err := e.c.Cancel(ctx, id)
			pe := checkErr(t, err, tc.kind)
			if !strings.Contains(pe.Error(), tc.contains) {
				t.Errorf("error %q lacks %q", pe.Error(), tc.contains)
			}
			if n := e.srv.Count("POST", "/v3/signature_request/cancel/"); n != 1 {
				t.Errorf("%d cancel POSTs, want exactly 1", n)
			}
			time.Sleep(f.Latency) // let a delayed handler finish
			if r, _ := e.srv.Get(id); r.CancelRequestedAt.IsZero() == tc.queued {
				t.Errorf("queued=%v, want %v", !r.CancelRequestedAt.IsZero(), tc.queued)
			}
			// Not marked locally: the outcome is not known.
			if st, _ := e.c.CancelStatus(ctx, id); st == models.StatusCancelPending {
				t.Error("a failed cancel shows as pending")
			}
		})
	}
	// Remind and send behave the same: one POST each.
	e := newEnv(t, dropboxsigntest.Options{Seed: 22, Size: 2})
	id := openRequest(e)
	e.srv.SetFaults(dropboxsigntest.Faults{ResetRate: 1, Ops: []string{"POST"}})
	checkErr(t, e.c.Remind(ctx, id, "b@example.com"), providers.ErrAmbiguous)
	if n := e.srv.Count("POST", ""); n != 1 {
		t.Errorf("%d remind POSTs, want 1", n)
	}
}

func TestRateLimitHeadersAndWaiting(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, dropboxsigntest.Options{Seed: 23, Size: 3, RateLimit: 3, RateWindow: time.Second})
	if e.c.Budget().Known() {
		t.Error("budget known before any call")
	}
	for i := 0; i < 3; i++ {
		if _, err := e.c.Verify(ctx); err != nil {
			t.Fatal(err)
		}
		b := e.c.Budget()
		if b.Limit != 3 || b.Remaining != 2-i || b.Reset.IsZero() {
			t.Fatalf("budget after call %d: %+v", i+1, b)
		}
	}
	if b := e.c.Budget(); !b.Waiting {
		t.Errorf("the budget is spent but the limiter is not holding calls: %+v", b)
	}
	reset := e.c.Budget().Reset
	// The fourth call waits for the window to reset instead of drawing a 429.
	if _, err := e.c.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	if time.Now().Before(reset) {
		t.Errorf("the fourth call went out before the reset at %v", reset)
	}
	for _, r := range e.srv.Requests() {
		if r.Status == 429 {
			t.Error("the client drew a 429 although the headers announced the exhausted budget")
		}
	}

	// Other clients with the same key (they have not seen the headers)
	// draw a 429, wait for the announced reset, and send again: a GET and
	// a cancel alike (the vendor does not execute a call it answers 429).
	e2 := newEnv(t, dropboxsigntest.Options{Seed: 23, Size: 3, RateLimit: 2, RateWindow: 2 * time.Second})
	id := openRequest(e2)
	for e2.c.Budget().Remaining != 0 { // spend the window
		if _, err := e2.c.Verify(ctx); err != nil {
			t.Fatal(err)
		}
	}
	getter, canceler := newEnvClient(t, e2), newEnvClient(t, e2)
	var wg sync.WaitGroup
	var getErr, cancelErr error
	var res providers.CancelResult
	wg.Add(2)
	go func() { defer wg.Done(); _, getErr = getter.Get(ctx, id) }()
	go func() { defer wg.Done(); res, cancelErr = canceler.Cancel(ctx, id) }()
	wg.Wait()
	if getErr != nil || cancelErr != nil || res.Status != models.StatusCancelPending {
		t.Fatalf("after a 429: get %v; cancel %+v %v", getErr, res, cancelErr)
	}
	byPath := map[string][]string{}
	for _, r := range e2.srv.Requests() {
		byPath[r.Method+" "+r.Path] = append(byPath[r.Method+" "+r.Path], strconv.Itoa(r.Status))
	}
	for _, k := range []string{"GET /v3/signature_request/" + id, "POST /v3/signature_request/cancel/" + id} {
		if got := strings.Join(byPath[k], " "); got != "429 200" {
			t.Errorf("%s: statuses %q, want a 429 then a 200", k, got)
		}
	}
	if b := getter.Budget(); b.Limit != 2 {
		t.Errorf("the 429's headers did not reach the budget: %+v", b)
	}

	// When the reset is further away than the client may wait, the 429 is
	// returned with its reset time.
	slow := newEnv(t, dropboxsigntest.Options{Seed: 24, Size: 1, RateLimit: 1, RateWindow: time.Hour})
	if _, err := slow.c.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	impatient, err := New(Config{Account: "dbx", BaseURL: slow.srv.URL, APIKey: testKey,
		Tune: func(cc *providers.ClientConfig) { cc.MaxRateWait = 50 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = impatient.Verify(ctx)
	pe := checkErr(t, err, providers.ErrRateLimited)
	if pe.Name != "exceeded_rate" || time.Until(pe.RetryAt) < 50*time.Minute || time.Since(start) > 5*time.Second {
		t.Errorf("429: %+v after %v", pe, time.Since(start))
	}
}

// newEnvClient is a second client on e's emulator with a fresh limiter.
func newEnvClient(t *testing.T, e *env) *Client {
	t.Helper()
	c, err := New(Config{Account: "dbx", BaseURL: e.srv.URL, APIKey: testKey, Logger: newTestLogger(e.logs),
		Tune: func(cc *providers.ClientConfig) {
			cc.Limiter = providers.NewLimiter(100000, time.Second, 1000)
			cc.BackoffBase, cc.BackoffMax = 5*time.Millisecond, 20*time.Millisecond
		}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
