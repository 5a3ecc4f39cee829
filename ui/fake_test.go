package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/store"
)

// fakeProvider is a deterministic in-memory provider.
type fakeProvider struct {
	mu       sync.Mutex
	kind     models.ProviderKind
	account  string
	caps     providers.Capabilities
	sessions []models.Session // full sessions, in list order
	pageSize int
	lite     bool // List returns summaries without signers
	// buckets are what List returns for ListQuery.Bucket (offer them in
	// caps.Buckets); Get finds their sessions too.
	buckets map[string][]models.Session
	queries []providers.ListQuery // every List call's query

	listErr  error
	listGate chan struct{} // when set, List waits for a value before each page
	listCtx  []context.Context
	lists    int

	getErr  map[string]error
	gets    []string
	cancels []string
	// onStatus, when set, runs first in CancelStatus (without the lock).
	onStatus func()
	// onCancel, when set, runs inside Cancel (without the lock).
	onCancel func()
	// cancelErr fails Cancel for an id.
	cancelErr map[string]error
	// statusSeq is what CancelStatus returns, in order (last one repeats).
	statusSeq    map[string][]models.Status
	statusCalls  int
	copies       []models.CopySpec
	finds        []string // FindCopy's operation ids
	copyErrs     []error  // returned by successive Copy calls, then success
	loseAnswers  int      // Copy calls that make the copy, then answer ErrAmbiguous
	nextID       int
	budget       providers.Budget
	cancelResult models.Status // status Cancel reports (default canceled/pending by caps)
}

func newFake(kind models.ProviderKind, account string) *fakeProvider {
	f := &fakeProvider{kind: kind, account: account, pageSize: 2, budget: providers.Budget{Remaining: -1}}
	switch kind {
	case models.Constellation1:
		// Constellation1 cancels synchronously, like the real vendor.
		f.caps = providers.Capabilities{Cancel: true, Copy: true, ActionLog: true, LiteList: true,
			CopyOptions: []string{"retain_fields", "transaction_id"}, CopyFixed: []string{"subject", "message"},
			Limits: models.CopyLimits{MaxSigners: 10, MaxTitle: 80, RequireLastName: true}}
		f.lite = true
	default:
		// Dropbox Sign cancels asynchronously, like the real vendor.
		f.caps = providers.Capabilities{Cancel: true, AsyncCancel: true, CancelPendingTTL: time.Hour, Copy: true, Query: true, Incremental: true,
			CopyOptions: []string{"test_mode", "cancel_original"},
			Limits:      models.CopyLimits{MaxSigners: 20, MaxTitle: 255, MaxMessage: 5000}}
	}
	return f
}

func (f *fakeProvider) Kind() models.ProviderKind            { return f.kind }
func (f *fakeProvider) Account() string                      { return f.account }
func (f *fakeProvider) Capabilities() providers.Capabilities { return f.caps }
func (f *fakeProvider) Verify(context.Context) (providers.AccountInfo, error) {
	return providers.AccountInfo{Who: "me@example.com"}, nil
}
func (f *fakeProvider) Budget() providers.Budget {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.budget
}

func (f *fakeProvider) List(ctx context.Context, q providers.ListQuery, fn func(providers.Page) error) error {
	f.mu.Lock()
	f.lists++
	f.listCtx = append(f.listCtx, ctx)
	f.queries = append(f.queries, q)
	all := append([]models.Session(nil), f.sessions...)
	if q.Bucket != "" {
		all = append([]models.Session(nil), f.buckets[q.Bucket]...)
	}
	gate, lerr, size, lite := f.listGate, f.listErr, f.pageSize, f.lite
	f.mu.Unlock()
	if size <= 0 {
		size = len(all) + 1
	}
	page := 0
	for start := 0; start < len(all) || page == 0; start += size {
		if gate != nil {
			select {
			case <-gate:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		end := min(start+size, len(all))
		var ss []models.Session
		for _, s := range all[start:end] {
			if lite {
				s.Signers, s.ActionLog, s.Complete = nil, nil, false
			} else {
				s.Complete = true
			}
			ss = append(ss, s)
		}
		page++
		if err := fn(providers.Page{Sessions: ss, Page: page, Total: len(all)}); err != nil {
			return err
		}
		if end >= len(all) {
			break
		}
	}
	return lerr
}

func (f *fakeProvider) find(id string) (models.Session, bool) {
	for _, s := range f.sessions {
		if s.Ref.ID == id {
			return s, true
		}
	}
	for _, ss := range f.buckets {
		for _, s := range ss {
			if s.Ref.ID == id {
				return s, true
			}
		}
	}
	return models.Session{}, false
}

func (f *fakeProvider) Get(ctx context.Context, id string) (models.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets = append(f.gets, id)
	if err := f.getErr[id]; err != nil {
		return models.Session{}, err
	}
	s, ok := f.find(id)
	if !ok {
		return models.Session{}, providers.NewError(providers.ErrNotFound, "get "+id, 404, "not_found", "no such session")
	}
	s.Complete = true
	return s, nil
}

func (f *fakeProvider) Cancel(ctx context.Context, id string) (providers.CancelResult, error) {
	// Like the real clients: the write is recorded as dispatched first.
	if err := providers.Dispatch(ctx); err != nil {
		return providers.CancelResult{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancels = append(f.cancels, id)
	if hook := f.onCancel; hook != nil {
		f.mu.Unlock()
		hook()
		f.mu.Lock()
	}
	if err := f.cancelErr[id]; err != nil {
		return providers.CancelResult{}, err
	}
	st := models.StatusCanceled
	if f.caps.AsyncCancel {
		st = models.StatusCancelPending
	}
	if f.cancelResult != "" {
		st = f.cancelResult
	}
	return providers.CancelResult{Status: st}, nil
}

func (f *fakeProvider) CancelStatus(ctx context.Context, id string) (models.Status, error) {
	if hook := f.onStatus; hook != nil {
		hook()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statusCalls++
	seq := f.statusSeq[id]
	if len(seq) == 0 {
		// Confirmed at the first poll unless a test scripts otherwise.
		return models.StatusCanceled, nil
	}
	st := seq[0]
	if len(seq) > 1 {
		f.statusSeq[id] = seq[1:]
	}
	return st, nil
}

func (f *fakeProvider) Copy(ctx context.Context, spec models.CopySpec) (providers.CopyResult, error) {
	if err := providers.Dispatch(ctx); err != nil {
		return providers.CopyResult{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.copies = append(f.copies, spec)
	if len(f.copyErrs) > 0 {
		err := f.copyErrs[0]
		f.copyErrs = f.copyErrs[1:]
		if err != nil {
			return providers.CopyResult{}, err
		}
	}
	src, _ := f.find(spec.Source.ID)
	f.nextID++
	ns := src
	ns.Ref = models.Ref{Account: f.account, ID: fmt.Sprintf("copy-%d", f.nextID)}
	ns.Status = models.StatusAwaitingSignature
	ns.Signers = nil
	for _, cs := range spec.Signers {
		ns.Signers = append(ns.Signers, models.Signer{ID: "n" + cs.Email, Name: cs.FullName(), Email: cs.Email, Order: cs.Order, Status: models.SignerAwaiting})
	}
	if spec.Title != nil {
		ns.Title = *spec.Title
	}
	ns.CreatedAt = testNow
	ns.Complete = true
	ns.Metadata = map[string]string{"signdeck_op": spec.OperationID}
	f.sessions = append([]models.Session{ns}, f.sessions...)
	if f.loseAnswers > 0 {
		f.loseAnswers--
		return providers.CopyResult{OperationID: spec.OperationID},
			providers.NewError(providers.ErrAmbiguous, "copy "+spec.Source.ID, 0, "", "connection reset after sending")
	}
	return providers.CopyResult{Session: ns, OperationID: spec.OperationID}, nil
}

// FindCopy finds the copy whose metadata carries the operation id.
func (f *fakeProvider) FindCopy(ctx context.Context, spec models.CopySpec, q providers.FindQuery) (models.Session, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finds = append(f.finds, spec.OperationID)
	for _, s := range f.sessions {
		if s.Metadata["signdeck_op"] == spec.OperationID {
			return s, true, nil
		}
	}
	return models.Session{}, false, nil
}

var testNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// sess builds a session for tests.
func sess(acct, id, title string, st models.Status, ageHours int, signers ...models.Signer) models.Session {
	kind := models.DropboxSign
	if strings.HasPrefix(acct, "c1") || acct == "prod" {
		kind = models.Constellation1
	}
	for i := range signers {
		if signers[i].ID == "" {
			signers[i].ID = fmt.Sprintf("%s-s%d", id, i+1)
		}
		if signers[i].Order == 0 {
			signers[i].Order = i + 1
		}
	}
	return models.Session{
		Ref: models.Ref{Account: acct, ID: id}, Provider: kind, Title: title, Status: st,
		CreatedAt: testNow.Add(-time.Duration(ageHours) * time.Hour),
		ExpiresAt: testNow.Add(time.Duration(30*24-ageHours) * time.Hour),
		Signers:   signers, Complete: true,
	}
}

func signer(name, email string, st models.SignerStatus) models.Signer {
	g := models.Signer{Name: name, Email: email, Status: st}
	if st == models.SignerSigned {
		g.SignedAt = testNow.Add(-time.Hour)
	}
	return g
}

func c1signer(first, last, email string, st models.SignerStatus) models.Signer {
	g := signer("", email, st)
	g.FirstName, g.LastName = first, last
	return g
}

// fixture returns two accounts with fixed data: acme (Dropbox Sign) and
// prod (Constellation1, lite list, async cancel).
func fixture() (*fakeProvider, *fakeProvider) {
	dbx := newFake(models.DropboxSign, "acme")
	dbx.sessions = []models.Session{
		sess("acme", "a1", "Lease renewal 12 Oak St", models.StatusAwaitingSignature, 2,
			signer("Ana Lima", "ana@example.com", models.SignerSigned), signer("Bob Stone", "bob@example.com", models.SignerAwaiting),
			signer("Cara Diaz", "cara@example.com", models.SignerPending)),
		sess("acme", "a2", "Purchase agreement — 7 Elm Rd", models.StatusCompleted, 30,
			signer("Dan Wu", "dan@example.com", models.SignerSigned)),
		sess("acme", "a3", "Listing agreement 99 Pine Ave with a very long title that needs truncating", models.StatusAwaitingSignature, 50,
			signer("Eve Park", "eve@example.com", models.SignerAwaiting)),
		sess("acme", "a4", "Disclosure packet", models.StatusDeclined, 80,
			models.Signer{Name: "Finn Moss", Email: "finn@example.com", Status: models.SignerDeclined, DeclineReason: "wrong address"}),
		sess("acme", "a5", "契約書 東京オフィス賃貸", models.StatusDraft, 100),
	}
	c1 := newFake(models.Constellation1, "prod")
	a := sess("prod", "p1", "Buyer rep agreement", models.StatusAwaitingSignature, 5,
		c1signer("Gus", "Hale", "gus@example.com", models.SignerViewed), c1signer("Ivy", "Jones", "ivy@example.com", models.SignerAwaiting))
	a.TransactionID = "tx-42"
	a.URL = "https://esign.example.com/s/p1"
	a.Metadata = map[string]string{"office": "North", "agent": "K. Lee"}
	a.ActionLog = []models.LogEntry{
		{Time: testNow.Add(-5 * time.Hour), Actor: "agent@example.com", Action: "created"},
		{Time: testNow.Add(-4 * time.Hour), Actor: "gus@example.com", Action: "viewed", Detail: "from 10.0.0.1"},
	}
	c1.sessions = []models.Session{
		a,
		sess("prod", "p2", "Seller disclosure", models.StatusCanceled, 70, c1signer("Kim", "Lo", "kim@example.com", models.SignerCanceled)),
		sess("prod", "p3", "Addendum B", models.StatusOnHold, 120, c1signer("Lou", "Ng", "lou@example.com", models.SignerOnHold)),
	}
	return dbx, c1
}

// timerMsg is what a scheduled tick becomes in Update tests: it is held
// until the test fires it, so tests never sleep.
type timerMsg struct {
	d   time.Duration
	msg tea.Msg
}

// driver runs Update and every returned command synchronously.
type driver struct {
	t      testing.TB
	m      *Model
	timers []timerMsg
	quit   bool
	// journal is the service's store.
	journal *store.DB
	// blocking runs commands in goroutines and parks the ones that block.
	blocking bool
	parked   []chan tea.Msg
}

// settle waits for parked commands and feeds their messages back.
func (d *driver) settle() {
	d.t.Helper()
	for len(d.parked) > 0 {
		ch := d.parked[0]
		d.parked = d.parked[1:]
		select {
		case msg := <-ch:
			d.run(func() tea.Msg { return msg })
		case <-time.After(5 * time.Second):
			d.t.Fatal("a parked command never answered")
		}
	}
}

func newDriver(t testing.TB, opts Options) *driver {
	t.Helper()
	if opts.Now == nil {
		opts.Now = fixedNow
	}
	// Confirmation polls are paced in milliseconds here.
	if opts.CancelPollFirst == 0 {
		opts.CancelPollFirst, opts.CancelPollMax = time.Millisecond, 5*time.Millisecond
	}
	if opts.CancelConfirmTimeout == 0 {
		opts.CancelConfirmTimeout = 300 * time.Millisecond
	}
	svc, db := testService(t)
	if opts.Service == nil {
		opts.Service = svc
	}
	m, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	d := &driver{t: t, m: m, journal: db}
	m.after = func(dur time.Duration, msg tea.Msg) tea.Cmd {
		return func() tea.Msg { return timerMsg{d: dur, msg: msg} }
	}
	m.newOp = func() string { return "op0123456789abcdef" }
	m.setStyles(newStyles(true))
	d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	return d
}

// fixtureDriver loads both fixture accounts.
func fixtureDriver(t testing.TB, mod func(*Options)) (*driver, *fakeProvider, *fakeProvider) {
	dbx, c1 := fixture()
	opts := Options{Accounts: []Account{
		{Name: "acme", Kind: models.DropboxSign, Provider: dbx, TokenSource: "keyring"},
		{Name: "prod", Kind: models.Constellation1, Provider: c1, TokenSource: "env"},
	}}
	if mod != nil {
		mod(&opts)
	}
	d := newDriver(t, opts)
	d.run(d.m.Init())
	return d, dbx, c1
}

func (d *driver) send(msg tea.Msg) {
	d.t.Helper()
	_, cmd := d.m.Update(msg)
	d.run(cmd)
}

// run executes commands (and the commands their messages return) until
// none is left. Ticks are held in d.timers.
func (d *driver) run(cmd tea.Cmd) {
	d.t.Helper()
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 10000 {
			d.t.Fatal("command loop does not settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		var msg tea.Msg
		if d.blocking {
			// Commands may block (gated listings): park those that do not
			// answer quickly; settle() finishes them later.
			ch := make(chan tea.Msg, 1)
			go func() { ch <- c() }()
			select {
			case msg = <-ch:
			case <-time.After(300 * time.Millisecond):
				d.parked = append(d.parked, ch)
				continue
			}
		} else {
			msg = c()
		}
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case timerMsg:
			d.timers = append(d.timers, msg)
		case tea.QuitMsg:
			d.quit = true
		default:
			_, next := d.m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// fire delivers the held timers whose message matches.
func (d *driver) fire(match func(tea.Msg) bool) int {
	d.t.Helper()
	var keep, due []timerMsg
	for _, tm := range d.timers {
		if match(tm.msg) {
			due = append(due, tm)
		} else {
			keep = append(keep, tm)
		}
	}
	d.timers = keep
	for _, tm := range due {
		d.send(tm.msg)
	}
	return len(due)
}

// press sends keys by name: "x", "enter", "esc", "space", "ctrl+c", ...
func (d *driver) press(keys ...string) {
	d.t.Helper()
	for _, k := range keys {
		d.send(keyMsg(k))
	}
}

// typeText sends each rune as a key press.
func (d *driver) typeText(s string) {
	d.t.Helper()
	for _, r := range s {
		d.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func keyMsg(k string) tea.KeyPressMsg {
	mods := tea.KeyMod(0)
	for {
		switch {
		case strings.HasPrefix(k, "ctrl+") && len(k) > 5:
			mods |= tea.ModCtrl
			k = k[5:]
			continue
		case strings.HasPrefix(k, "alt+") && len(k) > 4:
			mods |= tea.ModAlt
			k = k[4:]
			continue
		case strings.HasPrefix(k, "shift+") && len(k) > 6:
			mods |= tea.ModShift
			k = k[6:]
			continue
		}
		break
	}
	named := map[string]rune{
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "backspace": tea.KeyBackspace,
		"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"home": tea.KeyHome, "end": tea.KeyEnd, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "delete": tea.KeyDelete,
	}
	if c, ok := named[k]; ok {
		return tea.KeyPressMsg{Code: c, Mod: mods}
	}
	if k == "space" {
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " ", Mod: mods}
	}
	r := []rune(k)[0]
	if mods != 0 {
		return tea.KeyPressMsg{Code: r, Mod: mods}
	}
	return tea.KeyPressMsg{Code: r, Text: k}
}

// screen is the current view without styling.
func (d *driver) screen() string { return stripView(d.m.render()) }

func (d *driver) flash() string { return d.m.fl.text }

// cursorID is the id of the session under the cursor.
func (d *driver) cursorID() string {
	if r := d.m.current(); r != nil {
		return r.s.Ref.ID
	}
	return ""
}

// moveTo puts the cursor on a session id.
func (d *driver) moveTo(id string) {
	d.t.Helper()
	for i, idx := range d.m.visible {
		if d.m.rows[idx].s.Ref.ID == id {
			d.m.cursor = i
			d.m.cursorChosen = true
			d.m.clampCursor()
			return
		}
	}
	d.t.Fatalf("session %s is not visible", id)
}

func (d *driver) visibleIDs() []string {
	var out []string
	for _, i := range d.m.visible {
		out = append(out, d.m.rows[i].s.Ref.ID)
	}
	return out
}

func (d *driver) row(id string) *row {
	for _, r := range d.m.rows {
		if r.s.Ref.ID == id {
			return r
		}
	}
	return nil
}

// testStores keeps one store per test: tests that make many drivers
// (every terminal size) share it.
var testStores sync.Map // testing.TB -> *store.DB

// testService is a service over the test's store, in a temporary
// directory.
func testService(t testing.TB) (*app.Service, *store.DB) {
	t.Helper()
	db, ok := testStores.Load(t)
	if !ok {
		d, err := store.Open(store.DefaultPath(t.TempDir()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { testStores.Delete(t); d.Close() })
		testStores.Store(t, d)
		db = d
	}
	return app.New(app.Options{Journal: db.(*store.DB), Via: "tui"}), db.(*store.DB)
}

// ops returns the journal's operations of an action, oldest first.
func (d *driver) ops(action string) []store.Op {
	d.t.Helper()
	all, err := d.journal.Ops(context.Background(), store.OpFilter{Action: action})
	if err != nil {
		d.t.Fatal(err)
	}
	out := make([]store.Op, 0, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		out = append(out, all[i])
	}
	return out
}

var errBoom = errors.New("boom")

func stripView(s string) string { return ansi.Strip(s) }

func stringWidth(s string) int { return ansi.StringWidth(s) }

type (
	contextT  = context.Context
	providerT = providers.Provider
)
