// Package ui is signdeck's terminal dashboard: one table of every session
// across accounts, with filter, sort, detail, marks, cancel, copy and an
// accounts view. Update is pure and fast; every provider call, audit write
// and log line happens in a tea.Cmd.
package ui

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// Account is one configured provider account.
type Account struct {
	Name string
	Kind models.ProviderKind
	// Provider is nil when the account has no token yet.
	Provider providers.Provider
	// TokenSource is "keyring", "env", "memory" or "none".
	TokenSource string
	// Err is a setup error (e.g. keyring unavailable), shown in the
	// accounts view and the status line.
	Err error
	// Endpoint is the account's base URL, as the journal keys it.
	Endpoint string
}

// Options configure the dashboard.
type Options struct {
	Accounts []Account
	// Login verifies secret against the provider and stores it; it returns
	// a ready Provider and the token source. It runs in a tea.Cmd.
	Login  func(ctx context.Context, account, secret string) (providers.Provider, string, error)
	Logout func(ctx context.Context, account string) error
	// RefreshInterval reloads every account this often; 0 turns it off.
	RefreshInterval time.Duration
	// Readonly removes cancel and copy.
	Readonly bool
	// Mouse turns on mouse reporting: a click selects a row, the wheel
	// moves the cursor (mouse.go).
	Mouse bool
	// Theme is auto, dark, light or none ("" is auto; theme.go).
	Theme string
	// Keys rebinds actions: up, down, top, bottom, pageup, pagedown,
	// filter, detail, scrollup, scrolldown, mark, clearmarks, cancel, copy,
	// refresh, accounts, view, open, login, logout, sort, reverse, help,
	// quit.
	Keys map[string][]string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Logger receives diagnostics; it must not write to stdout/stderr.
	Logger *slog.Logger
	// Service runs every action that changes something (cancel, copy);
	// its journal records them. Without it the dashboard is read-only.
	Service *app.Service
	// DownloadDir is where D saves documents ("" turns it off).
	DownloadDir string
	// OpenURL opens a web page (nil: the platform's opener).
	OpenURL func(string) error
	// Reconcile, when set, is called once at start in the background: the
	// journal's unresolved operations are checked against the providers
	// and the outcome summarised in the status line.
	Reconcile bool
	// CancelPollFirst and CancelPollMax bound the backoff between polls of
	// an asynchronous cancel (defaults 2s and 30s).
	CancelPollFirst, CancelPollMax time.Duration
	// CancelConfirmTimeout stops polling after this long (default 10m).
	CancelConfirmTimeout time.Duration
	// Cache, when set, is the session cache: the dashboard opens from it
	// and stores every listed page of the active view in it.
	Cache *app.SessionCache
	// ExpiringDays and StalledDays are the windows of the expiring and
	// stalled views (0: models' defaults); Views are saved filters shown
	// as views (lens.go).
	ExpiringDays, StalledDays int
	Views                     []SavedView
}

const (
	typeCountOver   = 5 // above this many targets the count must be typed
	flashDuration   = 5 * time.Second
	flashErrDur     = 10 * time.Second
	spinInterval    = 100 * time.Millisecond
	detailDebounce  = 150 * time.Millisecond
	liveFilterLimit = 250_000 // rows above which live preview is debounced (a keystroke filters 100,000 rows in ~12 ms of CPU)
	filterDebounce  = 150 * time.Millisecond
	splitMinWidth   = 120
	maxCoalesce     = 1000 // sessions merged into one page message (its merge stays a few ms)
	maxReposition   = 64   // rows of a page repositioned one by one; more: rebuild
	slogWarn        = slog.LevelWarn
)

// screenKind is what the body shows under any overlay.
type screenKind int

const (
	screenTable screenKind = iota
	screenAccounts
)

type flashLevel int

const (
	flashInfo flashLevel = iota
	flashOK
	flashWarn
	flashErr
)

type flash struct {
	id    int
	text  string
	level flashLevel
}

// maxFlashLines is how many footer lines a long flash may take, so that a
// failure's reason or a new session's id is never cut off.
const maxFlashLines = 3

// acctState is an account and its loading state in the current view.
type acctState struct {
	Account
	label string // "dbx:acme"
	// *loadState is the listing state of the current view; loads holds
	// every view's ("" is the active view).
	*loadState
	loads map[string]*loadState
	// fromCache: rows were shown from the session cache, listed at
	// cachedAt; the status line says so until the listing lands.
	fromCache bool
	cachedAt  time.Time
	// cachePending: how many cached sessions a warm start is still
	// reading after showing the first screen of them (ui/cache.go).
	cachePending int
}

// loadState is the listing state of one account in one view.
type loadState struct {
	gen      uint64 // listing generation; older messages are dropped
	genStamp uint64 // Model.stamp when that listing started
	loading  bool
	loaded   bool
	cancel   context.CancelFunc
	count    int
	err      error // last listing error
	lastLoad time.Time
}

// Model is the dashboard's Bubble Tea model. Its state is grouped by
// concern in embedded structs (their fields read as the Model's own).
type Model struct {
	opts  Options
	ctx   context.Context
	stop  context.CancelFunc
	now   func() time.Time
	log   *slog.Logger
	keys  keyMap
	after func(d time.Duration, msg tea.Msg) tea.Cmd
	newOp func() string
	// svc is the service layer: every action that changes something.
	svc *app.Service

	// screen is what the body shows (the table or the accounts); ov is
	// the one open overlay over it (dialog, form, help, palette).
	screen   screenKind
	ov       overlay
	quitting bool

	layoutState
	listState
	filterState
	detailState
	acctsView
	opsState
	flashState
	timerState
}

// layoutState is the terminal and how things are drawn on it.
type layoutState struct {
	width, height int
	st            styles
	mouse         bool                 // Options.Mouse
	statusCells   map[statusKey]string // statusCell's cache; setStyles clears it
	hintCache     hintCache            // renderFooter's cache; setStyles clears it
}

// listState is the table: the list views' rows, order and marks.
type listState struct {
	// *tableData is the current view's table; tables holds every view's
	// ("" is the active view). Bucket rows never share a table with the
	// active view's rows.
	*tableData
	tables  map[string]*tableData
	curView string // the list view: "" (active) or a bucket name
	// lens is the view over the active table (expiring, stalled, a saved
	// filter) while curView is "" (lens.go).
	lens    lensState
	swapped bool // withView made another view current for a moment
	// orderGen counts sort and filter changes (tableData.orderGen).
	orderGen uint64

	sortCol  sortCol
	sortDesc bool
	marks    map[models.Ref]struct{}
	// relTimes shows created and expires as ages (t toggles).
	relTimes bool
}

// filterState is the filter: the applied one and the input at the bottom.
type filterState struct {
	query       query  // active (or previewed) query
	filterText  string // applied filter
	filterInput textinput.Model
	filtering   bool // input focused
	filterErr   string
	filterSeq   int // preview debounce
}

// detailState is the detail pane and the fetched details.
type detailState struct {
	detailOpen  bool
	details     map[models.Ref]*detailEntry
	detailSeq   int // versions of detail entries
	detailWant  int // detail debounce
	detailTop   int
	detailShown models.Ref // the row the open pane last asked a detail for
}

// acctsView is the accounts and the accounts screen's cursor.
type acctsView struct {
	accts       []*acctState
	acctByName  map[string]int
	accountsCur int
}

// opsState is the operations in flight, each kind with its own counter.
type opsState struct {
	cancelOps map[int]*cancelOp
	inFlight  map[models.Ref]bool
	pending   map[models.Ref]*pollState
	cancelSeq int    // cancel operations (cancelOp.id)
	pollSeq   int    // confirmation polls (pollState.seq)
	loginSeq  int    // login attempts (loginState.seq)
	copySeq   int    // copy forms (copyForm.id)
	openSeq   int    // open-by-id requests
	stamp     uint64 // a clock shared on purpose: orders every action result against listings and details (keepActionStatus)

	openPending int // Gets of open-by-id in flight
	// actionsPending counts the reminders, sends, downloads, signer fixes
	// and expiry changes sent whose answer has not come back (quit asks
	// first while any is).
	actionsPending int
	logoutBusy     bool
	// lastYank is what y copied last (y again copies the URL).
	lastYank string
}

// flashState is the flash in the footer and the message log.
type flashState struct {
	fl        flash
	flashSeq  int
	flashWrap flashWrap // flashLines' cache
	// msgLog keeps the last outcomes (newest last); the log overlay shows it.
	msgLog []logEntry
}

// timerState is the spinner and automatic refresh.
type timerState struct {
	spinning        bool
	spinFrame       int
	lastRefresh     time.Time
	refreshDeferred bool
}

// New builds the model. It fails on bad key bindings.
func New(opts Options) (*Model, error) {
	km, err := newKeyMap(opts.Keys, opts.Readonly)
	if err != nil {
		return nil, err
	}
	if opts.CancelPollFirst <= 0 {
		opts.CancelPollFirst = 2 * time.Second
	}
	if opts.CancelPollMax <= 0 {
		opts.CancelPollMax = 30 * time.Second
	}
	if opts.CancelPollMax < opts.CancelPollFirst {
		opts.CancelPollMax = opts.CancelPollFirst
	}
	if opts.CancelConfirmTimeout <= 0 {
		opts.CancelConfirmTimeout = 10 * time.Minute
	}
	m := &Model{
		opts:        opts,
		now:         opts.Now,
		log:         opts.Logger,
		keys:        km,
		newOp:       randomOpID,
		svc:         opts.Service,
		layoutState: layoutState{width: 80, height: 24, st: themeStyles(opts.Theme), mouse: opts.Mouse},
		listState: listState{
			tables:   map[string]*tableData{},
			marks:    map[models.Ref]struct{}{},
			sortCol:  sortCreated,
			sortDesc: true,
		},
		detailState: detailState{details: map[models.Ref]*detailEntry{}},
		acctsView:   acctsView{acctByName: map[string]int{}},
		opsState: opsState{
			cancelOps: map[int]*cancelOp{},
			inFlight:  map[models.Ref]bool{},
			pending:   map[models.Ref]*pollState{},
		},
	}
	m.after = m.timer
	m.tableData = m.table("")
	if m.now == nil {
		m.now = time.Now
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if err := m.initLens(opts); err != nil {
		return nil, err
	}
	m.ctx, m.stop = context.WithCancel(context.Background())
	for i, a := range opts.Accounts {
		if _, dup := m.acctByName[a.Name]; dup {
			return nil, fmt.Errorf("accounts: %q is listed twice", models.CleanText(a.Name))
		}
		if a.TokenSource == "" {
			a.TokenSource = "none"
			if a.Provider != nil {
				a.TokenSource = "memory"
			}
		}
		as := &acctState{Account: a, label: a.Kind.Short() + ":" + models.CleanText(a.Name), loads: map[string]*loadState{}}
		as.loadState = as.load("")
		m.accts = append(m.accts, as)
		m.acctByName[a.Name] = i
	}
	fi := m.st.newInput("/", "text  status:awaiting  signer:ana  account:acme  provider:dbx  -status:completed", 0)
	fi.CharLimit = 500
	m.filterInput = fi
	return m, nil
}

// timer delivers msg after d, or nothing once the dashboard stops, so no
// timer goroutine (flash, spinner, poll, auto refresh) outlives it.
func (m *Model) timer(d time.Duration, msg tea.Msg) tea.Cmd {
	ctx := m.ctx
	t := time.NewTimer(d)
	return func() tea.Msg {
		defer t.Stop()
		select {
		case <-t.C:
			return msg
		case <-ctx.Done():
			return nil
		}
	}
}

// randomOpID returns a fresh operation id for a copy (crypto/rand, hex).
func randomOpID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Sprintf("op-%d", time.Now().UnixNano())
	}
	return hex.EncodeToString(b[:])
}

// Init starts loading every account that has a token.
func (m *Model) Init() tea.Cmd {
	var cmds []tea.Cmd
	if warm := m.warmStart(); warm != nil {
		// The listings start once the cached rows are shown.
		cmds = append(cmds, warm)
	} else {
		for i := range m.accts {
			cmds = append(cmds, m.startLoad(i))
		}
	}
	if m.opts.RefreshInterval > 0 {
		cmds = append(cmds, m.after(m.opts.RefreshInterval, autoRefreshMsg{}))
	}
	cmds = append(cmds, m.ensureSpin(), m.reconcileCmd())
	return tea.Batch(cmds...)
}

// Close stops every background listing, refresh and timer of the
// dashboard. Run calls it on the way out; a caller driving the Model
// itself calls it when done.
func (m *Model) Close() { m.shutdown() }

// shutdown stops every background listing.
func (m *Model) shutdown() {
	for _, a := range m.accts {
		for _, ls := range a.loads {
			if ls.cancel != nil {
				ls.cancel()
			}
		}
	}
	m.stop()
}

type (
	autoRefreshMsg struct{}
	flashClearMsg  struct{ id int }
	spinTickMsg    struct{}
	auditDoneMsg   struct{}
)

// Update handles one message. It never blocks and never does I/O.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	cmds := []tea.Cmd{cmd}
	if m.refreshDeferred && !m.paused() {
		m.refreshDeferred = false
		cmds = append(cmds, m.refresh(true))
	}
	cmds = append(cmds, m.detailFollow(), m.ensureSpin())
	return m, tea.Batch(cmds...)
}

// detailFollow asks for the detail of the row under the cursor whenever
// that row changed while the pane is open, whatever changed it: a key, a
// filter, a refresh that removed the row, a copy selecting its result.
func (m *Model) detailFollow() tea.Cmd {
	if !m.detailOpen {
		m.detailShown = models.Ref{}
		return nil
	}
	r := m.current()
	if r == nil || r.s.Ref == m.detailShown {
		return nil
	}
	m.detailShown = r.s.Ref
	return m.wantDetail()
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.clampCursor()
		m.layoutInputs()
		return nil
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.PasteMsg:
		return m.handlePaste(msg)
	case tea.MouseClickMsg, tea.MouseWheelMsg:
		return m.handleMouse(msg)
	case pagesMsg:
		var cmd tea.Cmd
		m.withView(msg.view, func() { cmd = m.handlePages(msg) })
		return cmd
	case cachedMsg:
		return m.handleCached(msg)
	case detailMsg:
		return m.handleDetail(msg)
	case detailWantMsg:
		if msg.seq == m.detailWant {
			return m.loadDetail(false)
		}
		return nil
	case filterPreviewMsg:
		if msg.seq == m.filterSeq && m.filtering {
			m.previewFilter()
		}
		return nil
	case cancelResultMsg:
		return m.handleCancelResult(msg)
	case confirmResultMsg:
		return m.handleConfirmResult(msg)
	case reconcileMsg:
		return m.handleReconcile(msg)
	case copySourceMsg:
		return m.handleCopySource(msg)
	case copyResultMsg:
		return m.handleCopyResult(msg)
	case actionResultMsg:
		return m.handleActionResult(msg)
	case fixResultMsg:
		return m.handleFixResult(msg)
	case extendResultMsg:
		return m.handleExtendResult(msg)
	case openResultMsg:
		return m.handleOpenResult(msg)
	case loginResultMsg:
		return m.handleLoginResult(msg)
	case logoutResultMsg:
		return m.handleLogoutResult(msg)
	case autoRefreshMsg:
		next := m.after(m.opts.RefreshInterval, autoRefreshMsg{})
		if m.paused() {
			m.refreshDeferred = true
			return next
		}
		return tea.Batch(next, m.refresh(true))
	case flashClearMsg:
		if msg.id == m.fl.id {
			m.fl = flash{}
		}
		return nil
	case spinTickMsg:
		if !m.busy() {
			m.spinning = false
			return nil
		}
		m.spinFrame = (m.spinFrame + 1) % len(spinnerFrames)
		return m.after(spinInterval, spinTickMsg{})
	}
	return nil
}

// paused reports whether a prompt, form or input is open: automatic
// refresh waits until it closes.
func (m *Model) paused() bool {
	for _, o := range m.overlays() {
		if o.pausesRefresh() {
			return true
		}
	}
	return m.filtering
}

// busy reports whether anything shows a spinner.
func (m *Model) busy() bool {
	for _, a := range m.accts {
		for _, ls := range a.loads {
			if ls.loading {
				return true
			}
		}
	}
	if m.openPending > 0 {
		return true
	}
	for _, d := range m.details {
		if d.loading {
			return true
		}
	}
	for _, o := range m.overlays() {
		if b, ok := o.(busyOverlay); ok && b.busy() {
			return true
		}
	}
	return m.inflightCount() > 0 || m.logoutBusy
}

func (m *Model) ensureSpin() tea.Cmd {
	if m.spinning || !m.busy() {
		return nil
	}
	m.spinning = true
	return m.after(spinInterval, spinTickMsg{})
}

func (m *Model) spin() string { return spinnerFrames[m.spinFrame] }

// inflightCount is the number of cancels and copies sent or queued whose
// answer has not come back.
func (m *Model) inflightCount() int {
	n := len(m.inFlight) + m.actionsPending
	for _, o := range m.overlays() {
		if f, ok := o.(inflightOverlay); ok {
			n += f.inflight()
		}
	}
	return n
}

// setFlash shows a message that clears itself.
func (m *Model) setFlash(level flashLevel, text string) tea.Cmd {
	m.flashSeq++
	m.fl = flash{id: m.flashSeq, text: text, level: level}
	d := flashDuration
	if level == flashErr || level == flashWarn {
		d = flashErrDur
	}
	return m.after(d, flashClearMsg{id: m.flashSeq})
}

func (m *Model) flashf(level flashLevel, format string, args ...any) tea.Cmd {
	return m.setFlash(level, fmt.Sprintf(format, args...))
}

// logCmd writes a diagnostic off the event loop.
func (m *Model) logCmd(level slog.Level, msg string, args ...any) tea.Cmd {
	lg := m.log
	return func() tea.Msg {
		lg.Log(context.Background(), level, msg, args...)
		return nil
	}
}

func (m *Model) acct(name string) *acctState {
	if i, ok := m.acctByName[name]; ok {
		return m.accts[i]
	}
	return nil
}

// noTokenReason says that an account cannot act without a token.
func noTokenReason(a *acctState) string {
	return app.NoTokenReason(a.Name)
}

func (m *Model) handlePaste(msg tea.PasteMsg) tea.Cmd {
	if m.ov != nil {
		return m.ov.paste(m, msg)
	}
	switch {
	case m.filtering:
		var cmd tea.Cmd
		m.filterInput, cmd = m.filterInput.Update(msg)
		return tea.Batch(cmd, m.filterChanged())
	}
	return nil
}
