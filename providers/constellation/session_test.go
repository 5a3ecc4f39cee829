package constellation

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/constellation/constellationtest"
)

func TestGetWithActionLog(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 31})
	src := e.find(func(s constellationtest.Session) bool {
		return s.StatusCode == constellationtest.StatusCompleted && len(s.Signers) >= 2
	})
	s, err := e.c.Get(e.ctx, src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Complete || s.Ref != (models.Ref{Account: "brokerage", ID: src.ID}) || s.Title != src.Title ||
		s.TransactionID != src.TransactionID || s.Status != models.StatusCompleted || s.Message != src.Description ||
		s.Requester != src.OwnerEmail {
		t.Errorf("session = %+v", s)
	}
	if !s.CreatedAt.Equal(src.CreatedOn) || !s.ExpiresAt.Equal(src.ExpiresOn) || !s.UpdatedAt.Equal(src.ModifiedOn) {
		t.Errorf("dates %v %v %v, want %v %v %v", s.CreatedAt, s.ExpiresAt, s.UpdatedAt, src.CreatedOn, src.ExpiresOn, src.ModifiedOn)
	}
	if len(s.Signers) != len(src.Signers) {
		t.Fatalf("%d signers, want %d", len(s.Signers), len(src.Signers))
	}
	for i, g := range s.Signers {
		w := src.Signers[i]
		if g.ID != w.ID || g.Email != w.Email || g.FirstName != w.FirstName || g.LastName != w.LastName ||
			g.Name != w.FirstName+" "+w.LastName || g.Role != w.Role || g.Order != w.Sequence ||
			g.Status != models.SignerSigned || !g.SignedAt.Equal(w.SignedOn) {
			t.Errorf("signer %d = %+v, want %+v", i, g, w)
		}
	}
	if len(s.ActionLog) != len(src.ActionLog) || len(s.ActionLog) < 3 {
		t.Fatalf("%d action log entries, want %d", len(s.ActionLog), len(src.ActionLog))
	}
	for i, le := range s.ActionLog {
		w := src.ActionLog[i]
		if !le.Time.Equal(w.Date) || le.Action != w.Description || le.Detail != "IP "+w.IPAddress {
			t.Errorf("entry %d = %+v, want %+v", i, le, w)
		}
		if i > 0 && le.Time.Before(s.ActionLog[i-1].Time) {
			t.Errorf("entry %d is older than the one before", i)
		}
	}
	if len(s.Warnings) != 0 {
		t.Errorf("warnings %v", s.Warnings)
	}
	for _, op := range []string{"get", "actionlogs"} {
		r := e.requests(op)
		if len(r) != 1 || r[0].Method != "GET" {
			t.Fatalf("%s requests: %d", op, len(r))
		}
	}
	if p := e.requests("get")[0].Path; p != "/rest/v1/sessions/"+src.ID {
		t.Errorf("get path %q", p)
	}
	if p := e.requests("actionlogs")[0].Path; p != "/rest/v1/sessions/"+src.ID+"/actionlogs" {
		t.Errorf("action log path %q", p)
	}
}

func TestGetActionLogFailureIsAWarning(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 32,
		Faults: constellationtest.Faults{ErrorRate: 1, Ops: []string{"actionlogs"}}})
	src := e.srv.Sessions()[0]
	s, err := e.c.Get(e.ctx, src.ID)
	if err != nil {
		t.Fatalf("Get failed because of the action log: %v", err)
	}
	if s.ActionLog != nil || len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "action log unavailable") ||
		!strings.Contains(s.Warnings[0], "503") {
		t.Errorf("action log %v, warnings %q", s.ActionLog, s.Warnings)
	}
	if s.Title != src.Title || !s.Complete {
		t.Errorf("session = %+v", s)
	}
	if n := e.srv.Count("actionlogs"); n != 3 {
		t.Errorf("%d action log requests, want 3 (a read is retried twice)", n)
	}
}

func TestGetUnknownSession(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 33})
	_, err := e.c.Get(e.ctx, "6f1e0c4b-0000-4000-8000-000000000000")
	if !errors.Is(err, providers.ErrNotFound) || !strings.Contains(err.Error(), "Signing session not found") {
		t.Errorf("got %v, want ErrNotFound with the vendor's text", err)
	}
	_, err = e.c.Get(e.ctx, " ")
	if !errors.Is(err, providers.ErrInvalid) {
		t.Errorf("empty id: %v", err)
	}
}

func TestGetAnySessionIncludingBuckets(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 34, Size: 80})
	for _, code := range []int{constellationtest.StatusPurged, constellationtest.StatusArchived, constellationtest.StatusExpired} {
		src := e.find(withStatus(code))
		s, err := e.c.Get(e.ctx, src.ID)
		if err != nil {
			t.Fatal(err)
		}
		want, raw, _ := mapSessionStatus(int64(code))
		if s.Status != want || s.RawStatus != raw {
			t.Errorf("code %d: %q/%q, want %q/%q", code, s.Status, s.RawStatus, want, raw)
		}
	}
}

func TestCancel(t *testing.T) {
	const ret = "https://brokerage.example/after-signing?x=1"
	e := newEnv(t, constellationtest.Options{Seed: 35}, func(c *Config) { c.ReturnURL = ret })
	src := e.find(withStatus(constellationtest.StatusSent))
	res, err := e.c.Cancel(e.ctx, src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != models.StatusCanceled {
		t.Errorf("status %q, want canceled (synchronous)", res.Status)
	}
	r := e.requests("cancel")
	if len(r) != 1 {
		t.Fatalf("%d cancel requests", len(r))
	}
	if r[0].Method != "PUT" || r[0].Path != "/rest/v1/sessions/"+src.ID+"/cancel" {
		t.Errorf("%s %s", r[0].Method, r[0].Path)
	}
	if len(r[0].Query) != 1 || r[0].Query.Get("returnURL") != ret {
		t.Errorf("query %q, want only returnURL", r[0].RawQuery)
	}
	if r[0].ContentLength != 0 || len(r[0].Body) != 0 || r[0].Header.Get("Content-Length") != "0" {
		t.Errorf("body %q, Content-Length %d (%q); want an empty body with Content-Length 0",
			r[0].Body, r[0].ContentLength, r[0].Header.Get("Content-Length"))
	}
	if got, _ := e.srv.Session(src.ID); got.StatusCode != constellationtest.StatusCancelled {
		t.Errorf("emulator status %d", got.StatusCode)
	}
	st, err := e.c.CancelStatus(e.ctx, src.ID)
	if err != nil || st != models.StatusCanceled {
		t.Errorf("CancelStatus = %q, %v", st, err)
	}
	if e.c.Capabilities().AsyncCancel {
		t.Error("AsyncCancel is set")
	}

	// Without a ReturnURL the documented placeholder is sent.
	d := newEnv(t, constellationtest.Options{Seed: 35})
	if _, err := d.c.Cancel(d.ctx, d.find(withStatus(constellationtest.StatusDraft)).ID); err != nil {
		t.Fatal(err)
	}
	if got := d.requests("cancel")[0].Query.Get("returnURL"); got != DefaultReturnURL {
		t.Errorf("default returnURL %q", got)
	}
}

func TestCancelCompletedSessionRefused(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 36})
	src := e.find(withStatus(constellationtest.StatusCompleted))
	_, err := e.c.Cancel(e.ctx, src.ID)
	if !errors.Is(err, providers.ErrConflict) {
		t.Fatalf("got %v, want ErrConflict", err)
	}
	for _, want := range []string{"cannot cancel a completed session", "cannot be cancelled because it is Completed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if n := e.srv.Count("cancel"); n != 1 {
		t.Errorf("%d cancel requests, want 1", n)
	}
	if got, _ := e.srv.Session(src.ID); got.StatusCode != constellationtest.StatusCompleted {
		t.Error("the session changed")
	}
}

func TestCancelNeverRetried(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults constellationtest.Faults
		done   bool // the cancel took effect before the answer was lost
	}{
		{"503 before", constellationtest.Faults{ErrorRate: 1}, false},
		{"reset before", constellationtest.Faults{ResetRate: 1}, false},
		{"503 after", constellationtest.Faults{ErrorRate: 1, AfterEffect: true}, true},
		{"reset after", constellationtest.Faults{ResetRate: 1, AfterEffect: true}, true},
		{"truncated after", constellationtest.Faults{TruncateRate: 1, AfterEffect: true}, true},
		{"malformed after", constellationtest.Faults{MalformedRate: 1, AfterEffect: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.faults.Ops = []string{"cancel"}
			e := newEnv(t, constellationtest.Options{Seed: 37, Faults: tc.faults})
			src := e.find(withStatus(constellationtest.StatusSent))
			res, err := e.c.Cancel(e.ctx, src.ID)
			if n := e.srv.Count("cancel"); n != 1 {
				t.Fatalf("%d cancel requests, want exactly 1", n)
			}
			if tc.done {
				if err != nil || res.Status != models.StatusCanceled || !strings.Contains(res.Message, "confirmed") {
					t.Errorf("got %+v, %v; want the cancel confirmed by reading the session", res, err)
				}
				return
			}
			if !errors.Is(err, providers.ErrAmbiguous) {
				t.Fatalf("got %v, want ErrAmbiguous", err)
			}
			if !strings.Contains(err.Error(), "most likely did not take effect") {
				t.Errorf("error %q does not say what the check found", err)
			}
			e.assertNoSecrets("error", err.Error())
		})
	}
}

// stubServer answers encrypt and gettoken, GET session with status code
// sessionCode, and PUT cancel with cancelBody.
func stubServer(t *testing.T, cancelBody string, sessionCode int) (*httptest.Server, *atomic.Int32, *atomic.Int32) {
	var cancels, gets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		p := r.URL.Path
		switch {
		case strings.HasPrefix(p, "/rest/v1/encrypt/"):
			fmt.Fprint(w, `{"ReturnValue":"ENCRYPTED-KEY-VALUE","Details":null}`)
		case strings.HasPrefix(p, "/rest/v1/gettoken/"):
			fmt.Fprint(w, `{"ReturnValue":"TOKEN-VALUE-123","Details":null}`)
		case strings.HasSuffix(p, "/cancel"):
			cancels.Add(1)
			fmt.Fprint(w, cancelBody)
		case strings.HasPrefix(p, "/rest/v1/sessions/"):
			gets.Add(1)
			fmt.Fprintf(w, `{"SigningSessionId":"S1","Sessions":[{"SigningSessionId":"S1","StatusCode":%d,"SessionInfo":{"Title":"T"}}]}`, sessionCode)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &cancels, &gets
}

func stubClient(t *testing.T, base string) *Client {
	c, err := New(Config{Account: "stub", BaseURL: base + "/rest", APIKey: "stub-api-key", Username: "u@example.com",
		Transactions: []string{"T"}, Tune: fastTune, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCancelAnswerShapes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		body     string
		code     int   // the session's status when read afterwards
		kind     error // nil: success
		contains []string
		reads    int32 // session reads expected
	}{
		{"True", `{"ReturnValue":"True","Details":null}`, 4, nil, nil, 0},
		{"true bool", `{"ReturnValue":true}`, 4, nil, nil, 0},
		{"True with details", `{"ReturnValue":"True","Details":"Session cancelled."}`, 4, nil, []string{"Session cancelled."}, 1},
		{"True with details, still sent", `{"ReturnValue":"True","Details":"Error: Webhook delivery failed."}`, 2,
			providers.ErrProvider, []string{"Webhook delivery failed", "answered True", "still awaiting"}, 1},
		{"camelCase", `{"returnValue":"True"}`, 4, nil, nil, 0},
		{"False with string details", `{"ReturnValue":"False","Details":"Error: The session is locked."}`, 2,
			providers.ErrProvider, []string{"Error: The session is locked.", "awaiting"}, 1},
		{"False with array details", `{"ReturnValue":"False","Details":["Error: first problem.","Error: second problem."]}`, 2,
			providers.ErrProvider, []string{"first problem", "second problem"}, 1},
		{"False for a completed session", `{"ReturnValue":"False","Details":"Error: Operation failed."}`, 3,
			providers.ErrConflict, []string{"cannot cancel a completed session", "Operation failed"}, 1},
		{"False for an expired session", `{"ReturnValue":"False"}`, 7,
			providers.ErrConflict, []string{"cannot cancel an expired session", `ReturnValue "False"`}, 1},
		{"null ReturnValue", `{"ReturnValue":null,"Details":null}`, 2,
			providers.ErrProvider, []string{"ReturnValue null"}, 1},
		{"not found", `{"ReturnValue":"False","Details":"Error: Signing session not found."}`, 2,
			providers.ErrNotFound, []string{"Signing session not found"}, 0},
		{"HTML 200, then canceled", `<html><head><title>Oops</title></head><body>x</body></html>`, 4, nil, []string{"confirmed"}, 1},
		{"HTML 200, still sent", `<html><head><title>Oops</title></head><body>x</body></html>`, 2,
			providers.ErrAmbiguous, []string{"Oops", "most likely did not take effect"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, cancels, gets := stubServer(t, tc.body, tc.code)
			c := stubClient(t, srv.URL)
			res, err := c.Cancel(t.Context(), "S1")
			if cancels.Load() != 1 {
				t.Errorf("%d cancel requests, want 1", cancels.Load())
			}
			if gets.Load() != tc.reads {
				t.Errorf("%d session reads, want %d", gets.Load(), tc.reads)
			}
			if tc.kind == nil {
				if err != nil || res.Status != models.StatusCanceled {
					t.Fatalf("got %+v, %v; want canceled", res, err)
				}
				for _, w := range tc.contains {
					if !strings.Contains(res.Message, w) {
						t.Errorf("message %q lacks %q", res.Message, w)
					}
				}
				return
			}
			if !errors.Is(err, tc.kind) {
				t.Fatalf("got %v, want %v", err, tc.kind)
			}
			for _, w := range tc.contains {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, secret := range []string{"stub-api-key", "ENCRYPTED-KEY-VALUE", "TOKEN-VALUE-123"} {
				if strings.Contains(err.Error(), secret) {
					t.Error("the error holds a credential")
				}
			}
		})
	}
}

// TestWriteResentOnlyOnExplicitBadToken: a write is sent again after a
// refresh only when the vendor says the token was bad; a bare 401 or 403
// could come from anywhere, so the write is not repeated.
func TestWriteResentOnlyOnExplicitBadToken(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		cancels int32
		kind    error
	}{
		{"bare 401", 401, `Unauthorized`, 1, providers.ErrUnauthorized},
		{"403 page", 403, `<html><title>403 Forbidden</title></html>`, 1, providers.ErrForbidden},
		{"401 bad token", 401, `{"Details":"Error: Bad Token Information. Please authenticate."}`, 2, providers.ErrUnauthorized},
		{"200 bad token", 200, `{"ReturnValue":null,"Details":"Error: Bad Token Information. Please authenticate."}`, 2, providers.ErrUnauthorized},
		{"200 invalid token", 200, `{"ReturnValue":"False","Details":["Error: Invalid token"]}`, 2, providers.ErrUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cancels, tokens atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch p := r.URL.Path; {
				case strings.HasPrefix(p, "/rest/v1/encrypt/"):
					fmt.Fprint(w, `{"ReturnValue":"ENC"}`)
				case strings.HasPrefix(p, "/rest/v1/gettoken/"):
					fmt.Fprintf(w, `{"ReturnValue":"TOK%d"}`, tokens.Add(1))
				case strings.HasSuffix(p, "/cancel"):
					cancels.Add(1)
					w.WriteHeader(tc.status)
					fmt.Fprint(w, tc.body)
				default:
					fmt.Fprint(w, `{"Sessions":[{"SigningSessionId":"S1","StatusCode":2}]}`)
				}
			}))
			defer srv.Close()
			_, err := stubClient(t, srv.URL).Cancel(t.Context(), "S1")
			if !errors.Is(err, tc.kind) {
				t.Errorf("got %v, want %v", err, tc.kind)
			}
			if cancels.Load() != tc.cancels {
				t.Errorf("%d cancel requests, want %d", cancels.Load(), tc.cancels)
			}
		})
	}
}
