package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/keyring"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/constellation"
	"github.com/signdeck/signdeck/providers/constellation/constellationtest"
	"github.com/signdeck/signdeck/providers/dropboxsign"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
	"github.com/signdeck/signdeck/store"
)

const token = "sandbox-token-0123456789abcdef"

func fastTune(cc *providers.ClientConfig) {
	cc.BackoffBase, cc.BackoffMax = time.Millisecond, 5*time.Millisecond
}

type env struct {
	t    *testing.T
	svc  *app.Service
	db   *store.DB
	acct app.Account
	dbx  *dropboxsigntest.Server
	c1   *constellationtest.Server
}

func newStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(store.DefaultPath(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newService(t *testing.T, db *store.DB) *app.Service {
	svc := app.New(app.Options{Journal: db, Via: "cli", Secrets: func() []string { return []string{token} },
		Grace: 2 * time.Second})
	t.Cleanup(svc.Close)
	return svc
}

func dbxEnv(t *testing.T, o dropboxsigntest.Options, mods ...func(*dropboxsign.Config)) *env {
	t.Helper()
	o.APIKeys = []string{token}
	if o.CancelDelay == 0 {
		o.CancelDelay = time.Hour
	}
	srv, err := dropboxsigntest.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	cfg := dropboxsign.Config{Account: "acme", BaseURL: srv.URL, APIKey: token, Tune: fastTune,
		RecoverWait: -1, FindWindow: -1}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := dropboxsign.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := newStore(t)
	return &env{t: t, svc: newService(t, db), db: db, dbx: srv,
		acct: app.Account{Name: "acme", Kind: models.DropboxSign, Endpoint: srv.URL, Provider: c}}
}

func c1Env(t *testing.T, o constellationtest.Options) *env {
	t.Helper()
	o.APIKeys = []string{token}
	srv, err := constellationtest.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	c, err := constellation.New(constellation.Config{Account: "c1", BaseURL: srv.URL(), APIKey: token,
		Username: srv.Username(), Transactions: srv.Transactions(), Tune: fastTune})
	if err != nil {
		t.Fatal(err)
	}
	db := newStore(t)
	return &env{t: t, svc: newService(t, db), db: db, c1: srv,
		acct: app.Account{Name: "c1", Kind: models.Constellation1, Endpoint: srv.URL(), Provider: c}}
}

// open returns an awaiting session of the account.
func (e *env) open() models.Session {
	e.t.Helper()
	var found *models.Session
	err := e.acct.Provider.List(context.Background(), providers.ListQuery{}, func(p providers.Page) error {
		for _, s := range p.Sessions {
			// Nobody signed yet: Dropbox Sign refuses to copy a signed
			// source by file without AllowSignedSource.
			signed := false
			for _, g := range s.Signers {
				signed = signed || g.Status == models.SignerSigned
			}
			if found == nil && s.Status == models.StatusAwaitingSignature && s.NotCancelable == "" && !signed {
				found = &s
			}
		}
		return nil
	})
	if err != nil || found == nil {
		e.t.Fatalf("no awaiting session: %v", err)
	}
	s, err := e.acct.Provider.Get(context.Background(), found.Ref.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) op(id string) store.Op {
	e.t.Helper()
	op, err := e.db.Get(context.Background(), id)
	if err != nil {
		e.t.Fatalf("journal: %v", err)
	}
	return op
}

func (e *env) plan(s models.Session) app.CancelPlan {
	return e.svc.PlanCancel(context.Background(), []app.CancelTarget{{Account: e.acct, Ref: s.Ref}}, true)
}

func (e *env) cancelOne(s models.Session) app.CancelOutcome {
	e.t.Helper()
	p := e.plan(s)
	if len(p.Eligible) != 1 {
		e.t.Fatalf("plan: %+v", p)
	}
	return e.svc.RunCancels(context.Background(), p, nil)[0]
}

// TestCancelOutcomes runs each outcome class of a cancel through the
// service against both emulators and checks the journal.
func TestCancelOutcomes(t *testing.T) {
	type scenario struct {
		name    string
		dbx     dropboxsigntest.Faults
		c1      constellationtest.Faults
		outcome string
		status  models.Status
	}
	for _, provider := range []string{"dropboxsign", "constellation1"} {
		scenarios := []scenario{
			{name: "applied", outcome: app.OutcomePending, status: models.StatusCancelPending},
			// Refused by the vendor (a 4xx): certainly not applied.
			{name: "refused", outcome: app.OutcomeFailed},
			// Applied, then the answer was a 500 or a reset (and the
			// client's own status check failed too): unknown, never failed.
			{name: "applied then 500", dbx: dropboxsigntest.Faults{ErrorRate: 1, AfterEffect: true, Ops: []string{"POST /v3/signature_request/cancel"}},
				c1: constellationtest.Faults{ErrorRate: 1, ErrorStatus: 500, AfterEffect: true, Ops: []string{"cancel", "get"}}, outcome: app.OutcomeUnknown},
			{name: "applied then reset", dbx: dropboxsigntest.Faults{ResetRate: 1, AfterEffect: true, Ops: []string{"POST /v3/signature_request/cancel"}},
				c1: constellationtest.Faults{ResetRate: 1, AfterEffect: true, Ops: []string{"cancel", "get"}}, outcome: app.OutcomeUnknown},
		}
		if provider == "constellation1" {
			scenarios[0].outcome, scenarios[0].status = app.OutcomeOK, models.StatusCanceled
		}
		for _, sc := range scenarios {
			t.Run(provider+"/"+sc.name, func(t *testing.T) {
				var e *env
				if provider == "dropboxsign" {
					e = dbxEnv(t, dropboxsigntest.Options{Seed: 3, Size: 20})
				} else {
					e = c1Env(t, constellationtest.Options{Seed: 3, Size: 20})
				}
				s := e.open()
				p := e.plan(s)
				if len(p.Eligible) != 1 {
					t.Fatalf("plan: %+v", p)
				}
				if sc.name == "refused" {
					// Completed between the plan and the send: the vendor refuses.
					if e.dbx != nil {
						e.dbx.Modify(s.Ref.ID, func(r *dropboxsigntest.SignatureRequest) { r.IsComplete = true })
					} else {
						e.c1.SetStatus(s.Ref.ID, constellationtest.StatusCompleted)
					}
				}
				if e.dbx != nil {
					e.dbx.SetFaults(sc.dbx)
				} else {
					e.c1.SetFaults(sc.c1)
				}
				o := e.svc.RunCancels(context.Background(), p, nil)[0]
				if o.Outcome != sc.outcome || (sc.status != "" && o.Status != sc.status) {
					t.Fatalf("outcome %s/%s (%s), want %s/%s", o.Outcome, o.Status, o.Reason, sc.outcome, sc.status)
				}
				op := e.op(o.OpID)
				if op.Outcome != sc.outcome || op.Action != "cancel" || op.Ref != s.Ref.String() || op.Via != "cli" || op.Title != s.Title {
					t.Errorf("journal %+v", op)
				}
				if sc.outcome != app.OutcomeUnknown {
					return
				}
				// Reconciliation settles it from the session's status.
				if e.dbx != nil {
					e.dbx.SetFaults(dropboxsigntest.Faults{})
				} else {
					e.c1.SetFaults(constellationtest.Faults{})
				}
				rep := e.svc.Reconcile(context.Background(), []app.Account{e.acct})
				want := app.OutcomeOK // Constellation1: the session reads canceled
				if e.dbx != nil {
					// Dropbox Sign shows a queued cancel only once done:
					// pending within the hour, never sent again.
					want = app.OutcomePending
				}
				if e.c1 != nil && e.c1.Count("cancel") != 1 {
					t.Errorf("%d cancels sent", e.c1.Count("cancel"))
				}
				if got := e.op(o.OpID).Outcome; got != want || len(rep.Resolved) != 1 {
					t.Errorf("after reconciling: %s (resolved %d), want %s", got, len(rep.Resolved), want)
				}
				if e.dbx != nil {
					// A new plan skips it as pending; nothing is sent twice.
					if p := e.plan(s); len(p.Eligible) != 0 || len(p.Skipped) != 1 || !p.Skipped[0].Pending {
						t.Errorf("plan after reconciling: %+v", p)
					}
					e.dbx.CancelNow(s.Ref.ID)
					e.svc.Reconcile(context.Background(), []app.Account{e.acct})
					if got := e.op(o.OpID); got.Outcome != app.OutcomeOK || got.Status != "canceled" {
						t.Errorf("after the cancel completed: %+v", got)
					}
				}
			})
		}
	}
}

func TestCancelSkippedAndNotSent(t *testing.T) {
	e := c1Env(t, constellationtest.Options{Seed: 4, Size: 20})
	s := e.open()
	// Completed: skipped with the reason, never sent.
	e.c1.SetStatus(s.Ref.ID, constellationtest.StatusCompleted)
	p := e.plan(s)
	if len(p.Skipped) != 1 || p.Skipped[0].Reason != "session already completed" {
		t.Fatalf("plan %+v", p)
	}
	outs := e.svc.RunCancels(context.Background(), p, nil)
	if len(outs) != 1 || outs[0].Outcome != app.OutcomeSkipped || e.op(outs[0].OpID).Reason != "session already completed" {
		t.Errorf("skipped: %+v", outs)
	}
	if n := e.c1.Count("cancel"); n != 0 {
		t.Errorf("%d cancels sent", n)
	}
	// After a shutdown began nothing new is sent: not_sent.
	s2 := e.open()
	p = e.plan(s2)
	e.svc.Shutdown()
	outs = e.svc.RunCancels(context.Background(), p, nil)
	if outs[0].Outcome != app.OutcomeNotSent || e.op(outs[0].OpID).Outcome != app.OutcomeNotSent || e.c1.Count("cancel") != 0 {
		t.Errorf("after shutdown: %+v", outs[0])
	}
}

// TestIntentIsRecordedBeforeTheRequest: while the provider holds the
// request, the journal already has the intent, without an outcome.
func TestIntentIsRecordedBeforeTheRequest(t *testing.T) {
	e := dbxEnv(t, dropboxsigntest.Options{Seed: 5, Size: 20})
	s := e.open()
	p := e.plan(s)
	e.dbx.SetFaults(dropboxsigntest.Faults{Latency: 400 * time.Millisecond, Ops: []string{"POST /v3/signature_request/cancel"}})
	done := make(chan app.CancelOutcome)
	go func() { done <- e.svc.RunCancels(context.Background(), p, nil)[0] }()
	var seen store.Op
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		ops, _ := e.db.Ops(context.Background(), store.OpFilter{Unresolved: true})
		if len(ops) == 1 {
			seen = ops[0]
			break
		}
	}
	o := <-done
	if seen.ID != o.OpID || seen.Outcome != "" || seen.Ref != s.Ref.String() {
		t.Errorf("intent seen while in flight: %+v (op %s)", seen, o.OpID)
	}
	if n := e.dbx.Count("POST", "/v3/signature_request/cancel/"); n != 1 {
		t.Errorf("%d cancels", n)
	}
}

// TestShutdownLetsInFlightFinish: a cancel in flight when the shutdown
// begins finishes and is recorded; the queued ones are not_sent.
func TestShutdownLetsInFlightFinish(t *testing.T) {
	e := c1Env(t, constellationtest.Options{Seed: 6, Size: 30})
	var targets []app.CancelTarget
	err := e.acct.Provider.List(context.Background(), providers.ListQuery{}, func(p providers.Page) error {
		for _, s := range p.Sessions {
			if s.Status == models.StatusAwaitingSignature && len(targets) < 6 {
				targets = append(targets, app.CancelTarget{Account: e.acct, Ref: s.Ref})
			}
		}
		return nil
	})
	if err != nil || len(targets) < 6 {
		t.Fatalf("targets %d %v", len(targets), err)
	}
	plan := e.svc.PlanCancel(context.Background(), targets, true)
	e.c1.SetFaults(constellationtest.Faults{Latency: 500 * time.Millisecond, Ops: []string{"cancel"}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan []app.CancelOutcome)
	go func() { done <- e.svc.RunCancels(ctx, plan, nil) }()
	time.Sleep(200 * time.Millisecond) // 4 in flight (the per-account bound), 2 waiting
	cancel()
	e.svc.Shutdown()
	outs := <-done
	count := map[string]int{}
	for _, o := range outs {
		count[o.Outcome]++
		if got := e.op(o.OpID).Outcome; got != o.Outcome {
			t.Errorf("journal %s, outcome %s", got, o.Outcome)
		}
	}
	if count[app.OutcomeOK] != app.DefaultCancelWorkers || count[app.OutcomeNotSent] != 6-app.DefaultCancelWorkers {
		t.Errorf("outcomes %v", count)
	}
	if n := e.c1.Count("cancel"); n != app.DefaultCancelWorkers {
		t.Errorf("%d cancels sent", n)
	}
}

func copySpec(s models.Session) models.CopySpec {
	return models.CopySpec{Source: s.Ref, Signers: models.CopySignersFrom(&s), Options: models.CopyOptions{RetainFields: true}}
}

// TestCopyOutcomes: ok, unknown then found by reconciliation, unknown then
// retried (nothing made: sent once more), failed, skipped as a duplicate,
// not_sent after a shutdown: for both providers.
func TestCopyOutcomes(t *testing.T) {
	for _, provider := range []string{"dropboxsign", "constellation1"} {
		t.Run(provider, func(t *testing.T) {
			var e *env
			var lose, refuse func()
			var sends func() int
			clear := func() {}
			if provider == "dropboxsign" {
				// The index lags: the client's own search after a lost
				// answer misses the new request.
				e = dbxEnv(t, dropboxsigntest.Options{Seed: 7, Size: 20, SearchDelay: 300 * time.Millisecond})
				route := "POST /v3/signature_request/send"
				lose = func() {
					e.dbx.SetFaults(dropboxsigntest.Faults{ResetRate: 1, AfterEffect: true, Ops: []string{route}, Limit: 1})
				}
				refuse = func() { e.dbx.SetFaults(dropboxsigntest.Faults{ResetRate: 1, Ops: []string{route}, Limit: 1}) }
				sends = func() int {
					return e.dbx.Count("POST", "/v3/signature_request/send") + e.dbx.Count("POST", "/v3/signature_request/send_with_template")
				}
				clear = func() { e.dbx.SetFaults(dropboxsigntest.Faults{}) }
			} else {
				e = c1Env(t, constellationtest.Options{Seed: 7, Size: 20})
				// The answer is lost and the search after it fails too.
				lose = func() {
					e.c1.SetFaults(constellationtest.Faults{ResetRate: 1, AfterEffect: true, Ops: []string{"copy", "lite"}})
				}
				refuse = func() { e.c1.SetFaults(constellationtest.Faults{ResetRate: 1, Ops: []string{"copy"}, Limit: 1}) }
				sends = func() int { return e.c1.Count("copy") }
				clear = func() { e.c1.SetFaults(constellationtest.Faults{}) }
			}
			ctx := context.Background()
			src := e.open()

			// ok
			o := e.svc.Copy(ctx, app.CopyRequest{Account: e.acct, Source: src, Spec: copySpec(src)})
			if o.Outcome != app.OutcomeOK || o.Session.Ref.ID == "" || sends() != 1 {
				t.Fatalf("copy: %+v", o)
			}
			if op := e.op(o.OpID); op.Outcome != "ok" || op.NewRef != o.Session.Ref.String() || !strings.HasPrefix(op.ID, "sdop") {
				t.Errorf("journal %+v", op)
			}
			// skipped: the same copy again within the hour
			d := e.svc.Copy(ctx, app.CopyRequest{Account: e.acct, Source: src, Spec: copySpec(src)})
			if d.Outcome != app.OutcomeSkipped || !errors.Is(d.Err, app.ErrDuplicateCopy) || sends() != 1 {
				t.Errorf("duplicate: %+v", d)
			}

			// unknown: the answer is lost after the copy was made
			lose()
			u := e.svc.Copy(ctx, app.CopyRequest{Account: e.acct, Source: src, Spec: copySpec(src), Again: true})
			clear()
			if u.Outcome != app.OutcomeUnknown || sends() != 2 || !strings.Contains(u.Reason, u.OpID) {
				t.Fatalf("lost answer: %+v (sends %d)", u, sends())
			}
			// Reconciliation finds it (once the index shows it); nothing is sent.
			time.Sleep(350 * time.Millisecond)
			rep := e.svc.Reconcile(ctx, []app.Account{e.acct})
			if op := e.op(u.OpID); op.Outcome != app.OutcomeOK || op.NewRef == "" || sends() != 2 || len(rep.Resolved) != 1 {
				t.Errorf("after reconciling: %+v, sends %d, report %+v", op, sends(), rep)
			}

			// unknown, but nothing was made: the retry looks, then sends once.
			refuse()
			u2 := e.svc.Copy(ctx, app.CopyRequest{Account: e.acct, Source: src, Spec: copySpec(src), Again: true})
			clear()
			if u2.Outcome != app.OutcomeUnknown {
				t.Fatalf("refused send: %+v", u2)
			}
			before := sends()
			r := e.svc.RetryCopy(ctx, e.acct, u2.OpID)
			if r.Outcome != app.OutcomeOK || r.Recovered || sends() != before+1 {
				t.Errorf("retry: %+v, sends %d → %d", r, before, sends())
			}
			if op := e.op(u2.OpID); op.Outcome != "ok" || op.Attempts != 2 {
				t.Errorf("journal after the retry: %+v", op)
			}
			// The retry again: already done, nothing sent.
			if r2 := e.svc.RetryCopy(ctx, e.acct, u2.OpID); r2.Outcome != app.OutcomeOK || sends() != before+1 {
				t.Errorf("second retry: %+v", r2)
			}

			// failed: an invalid spec is refused before anything is sent
			bad := copySpec(src)
			bad.Signers = append(bad.Signers, models.CopySigner{Name: "No Mail", Email: "not-an-email"})
			f := e.svc.Copy(ctx, app.CopyRequest{Account: e.acct, Source: src, Spec: bad, Again: true})
			var ve models.ValidationErrors
			if f.Outcome != app.OutcomeFailed || !errors.As(f.Err, &ve) || f.OpID != "" {
				t.Errorf("invalid: %+v", f)
			}

			// not_sent: after a shutdown began
			e.svc.Shutdown()
			n := e.svc.Copy(ctx, app.CopyRequest{Account: e.acct, Source: src, Spec: copySpec(src), Again: true})
			if n.Outcome != app.OutcomeNotSent || e.op(n.OpID).Outcome != app.OutcomeNotSent {
				t.Errorf("after shutdown: %+v", n)
			}
		})
	}
}

// TestCopyCancelsTheOriginalOnlyOnceTheCopyExists (Constellation1 is
// synchronous): a failed copy leaves the original alone.
func TestCopyCancelsTheOriginalOnlyOnceTheCopyExists(t *testing.T) {
	e := c1Env(t, constellationtest.Options{Seed: 8, Size: 20})
	ctx := context.Background()
	src := e.open()
	spec := copySpec(src)
	spec.Options.CancelOriginal = true
	e.c1.SetFaults(constellationtest.Faults{ErrorRate: 1, ErrorStatus: 400, Ops: []string{"copy"}})
	o := e.svc.Copy(ctx, app.CopyRequest{Account: e.acct, Source: src, Spec: spec})
	if o.Outcome != app.OutcomeFailed || o.Original != nil || e.c1.Count("cancel") != 0 {
		t.Fatalf("failed copy: %+v, cancels %d", o, e.c1.Count("cancel"))
	}
	e.c1.SetFaults(constellationtest.Faults{})
	o = e.svc.Copy(ctx, app.CopyRequest{Account: e.acct, Source: src, Spec: spec})
	if o.Outcome != app.OutcomeOK || o.Original == nil || o.Original.Outcome != app.OutcomeOK {
		t.Fatalf("copy: %+v", o)
	}
	var copyAt, cancelAt int
	for i, r := range e.c1.Requests() {
		switch r.Op {
		case "copy":
			copyAt = i
		case "cancel":
			cancelAt = i
		}
	}
	if cancelAt < copyAt {
		t.Error("the original was canceled before the copy existed")
	}
	if got, _ := e.c1.Session(src.Ref.ID); got.StatusCode != constellationtest.StatusCancelled {
		t.Error("the original is not canceled")
	}
	cop := e.op(o.Original.OpID)
	if cop.Action != "cancel" || cop.Ref != src.Ref.String() || cop.Outcome != "ok" {
		t.Errorf("the original's cancel in the journal: %+v", cop)
	}
	// A source this account cannot cancel: refused before the copy.
	done := e.open()
	e.c1.SetStatus(done.Ref.ID, constellationtest.StatusCompleted)
	done, _ = e.acct.Provider.Get(ctx, done.Ref.ID)
	spec = copySpec(done)
	spec.Options.CancelOriginal = true
	if err := e.svc.ValidateCopy(e.acct, &done, &spec); err == nil || !strings.Contains(err.Error(), "the original cannot be canceled") {
		t.Errorf("validate: %v", err)
	}
}

// TestDropboxSignFirstCopyNeverSearches counts the emulator's requests: a
// first attempt sends without any metadata search.
func TestDropboxSignFirstCopyNeverSearches(t *testing.T) {
	e := dbxEnv(t, dropboxsigntest.Options{Seed: 9, Size: 20})
	src := e.open()
	e.dbx.ClearRequests()
	o := e.svc.Copy(context.Background(), app.CopyRequest{Account: e.acct, Source: src, Spec: copySpec(src)})
	if o.Outcome != app.OutcomeOK {
		t.Fatal(o.Reason)
	}
	for _, r := range e.dbx.Requests() {
		if strings.Contains(r.RawQuery, "metadata") || strings.Contains(r.RawQuery, "query=") {
			t.Errorf("a first attempt searched: %s %s?%s", r.Method, r.Path, r.RawQuery)
		}
	}
}

func TestJournalNeverHoldsTheToken(t *testing.T) {
	e := c1Env(t, constellationtest.Options{Seed: 10, Size: 20})
	src := e.open()
	spec := copySpec(src)
	title := "Deal " + token
	spec.Title = &title
	o := e.svc.Copy(context.Background(), app.CopyRequest{Account: e.acct, Source: src, Spec: spec})
	op := e.op(o.OpID)
	b, _ := json.Marshal(op)
	if strings.Contains(string(b), token) || strings.Contains(string(op.Intent), token) {
		t.Errorf("the journal holds the token: %s", b)
	}
}

type memTokens struct {
	mu sync.Mutex
	m  map[string]string
}

func (m *memTokens) Set(_ context.Context, a, s string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[a] = s
	return nil
}

func (m *memTokens) Delete(_ context.Context, a string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.m[a]; !ok {
		return keyring.ErrNotFound
	}
	delete(m.m, a)
	return nil
}

func TestLoginVerifiesThenStores(t *testing.T) {
	e := dbxEnv(t, dropboxsigntest.Options{Seed: 11, Size: 1})
	toks := &memTokens{m: map[string]string{}}
	build := func(secret string) (providers.Provider, error) {
		return dropboxsign.New(dropboxsign.Config{Account: "acme", BaseURL: e.dbx.URL, APIKey: secret, Tune: fastTune})
	}
	bad := e.svc.Login(context.Background(), app.LoginRequest{Account: e.acct, Secret: "wrong-token-123", Build: build, Tokens: toks})
	if bad.Outcome != app.OutcomeFailed || !errors.Is(bad.Err, app.ErrNotStored) || len(toks.m) != 0 {
		t.Errorf("bad token: %+v, stored %v", bad, toks.m)
	}
	good := e.svc.Login(context.Background(), app.LoginRequest{Account: e.acct, Secret: token, Build: build, Tokens: toks})
	if good.Outcome != app.OutcomeOK || !good.Verified || toks.m["acme"] != token || good.Provider == nil {
		t.Errorf("good token: %+v", good)
	}
	if _, err := e.svc.Logout(context.Background(), e.acct, toks); err != nil || len(toks.m) != 0 {
		t.Errorf("logout: %v", err)
	}
	ops, _ := e.db.Ops(context.Background(), store.OpFilter{})
	got := map[string]int{}
	for _, op := range ops {
		got[op.Action+"/"+op.Outcome]++
		if strings.Contains(op.Reason, "wrong-token-123") {
			t.Errorf("the journal holds the refused token: %+v", op)
		}
	}
	if got["login/failed"] != 1 || got["login/ok"] != 1 || got["logout/ok"] != 1 {
		t.Errorf("journal: %v", got)
	}
}
