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

type viewKind int

const (
	viewTable viewKind = iota
	viewAccounts
	viewHelp
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

// Model is the dashboard's Bubble Tea model.
type Model struct {
	opts  Options
	mouse bool // Options.Mouse
	ctx   context.Context
	stop  context.CancelFunc
	now   func() time.Time
	log   *slog.Logger
	keys  keyMap
	st    styles
	after func(d time.Duration, msg tea.Msg) tea.Cmd
	newOp func() string
	// svc is the service layer: every action that changes something.
	svc *app.Service
	// msgLog keeps the last outcomes (newest last); the log overlay shows it.
	msgLog []logEntry
	// ov is the one open overlay (dialog or screen over the table).
	ov overlay
	// ask is the y/N prompt of remind and send.
	ask *askPrompt
	// lastYank is what y copied last (y again copies the URL).
	lastYank string
	// relTimes shows created and expires as ages (t toggles).
	relTimes bool

	width, height int

	accts      []*acctState
	acctByName map[string]int

	// *tableData is the current view's table; tables holds every view's
	// ("" is the active view). Bucket rows never share a table with the
	// active view's rows.
	*tableData
	tables  map[string]*tableData
	curView string // "" (active) or a bucket name
	swapped bool   // withView made another view current for a moment
	// orderGen counts sort and filter changes (tableData.orderGen).
	orderGen uint64

	sortCol  sortCol
	sortDesc bool

	// filter
	query       query  // active (or previewed) query
	filterText  string // applied filter
	filterInput textinput.Model
	filtering   bool // input focused
	filterErr   string
	filterSeq   int

	marks map[models.Ref]struct{}

	view        viewKind
	detailOpen  bool
	details     map[models.Ref]*detailEntry
	detailSeq   int
	detailWant  int
	detailTop   int
	detailShown models.Ref // the row the open pane last asked a detail for
	accountsCur int
	helpTop     int

	cancelPrompt *cancelPrompt
	cancelOps    map[int]*cancelOp
	inFlight     map[models.Ref]bool
	pending      map[models.Ref]*pollState
	opSeq        int
	stamp        uint64 // orders action results against requests (keepActionStatus)

	copy    *copyForm
	copySeq int

	open        *openPrompt
	openSeq     int
	openPending int // Gets of open-by-id in flight

	login       *loginState
	logoutAsk   int // account index + 1 awaiting y/N, 0 when none
	logoutBusy  bool
	quitAsk     bool
	quitting    bool
	fl          flash
	flashSeq    int
	flashWrap   flashWrap            // flashLines' cache
	statusCells map[statusKey]string // statusCell's cache; setStyles clears it
	hintCache   hintCache            // renderFooter's cache; setStyles clears it
	spinning    bool
	spinFrame   int
	lastRefresh time.Time

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
		opts:       opts,
		now:        opts.Now,
		log:        opts.Logger,
		keys:       km,
		st:         themeStyles(opts.Theme),
		mouse:      opts.Mouse,
		newOp:      randomOpID,
		width:      80,
		height:     24,
		acctByName: map[string]int{},
		tables:     map[string]*tableData{},
		marks:      map[models.Ref]struct{}{},
		details:    map[models.Ref]*detailEntry{},
		cancelOps:  map[int]*cancelOp{},
		svc:        opts.Service,
		inFlight:   map[models.Ref]bool{},
		pending:    map[models.Ref]*pollState{},
		sortCol:    sortCreated,
		sortDesc:   true,
	}
	m.after = m.timer
	m.tableData = m.table("")
	if m.now == nil {
		m.now = time.Now
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
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
	if m.ov != nil && m.ov.pausesRefresh() {
		return true
	}
	return m.cancelPrompt != nil || m.ask != nil || m.copy != nil || m.filtering || m.login != nil || m.open != nil ||
		m.logoutAsk != 0 || m.quitAsk
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
	return m.inflightCount() > 0 || (m.copy != nil && (m.copy.loading || m.copy.sending)) ||
		(m.login != nil && m.login.sending) || m.logoutBusy
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
	n := len(m.inFlight)
	if m.copy != nil && m.copy.sending {
		n++
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
	case m.login != nil:
		var cmd tea.Cmd
		m.login.input, cmd = m.login.input.Update(msg)
		return cmd
	case m.copy != nil:
		return m.copy.paste(msg)
	case m.cancelPrompt != nil && m.cancelPrompt.needCount:
		var cmd tea.Cmd
		m.cancelPrompt.input, cmd = m.cancelPrompt.input.Update(msg)
		return cmd
	case m.open != nil:
		var cmd tea.Cmd
		m.open.input, cmd = m.open.input.Update(msg)
		m.open.err = ""
		return cmd
	case m.filtering:
		var cmd tea.Cmd
		m.filterInput, cmd = m.filterInput.Update(msg)
		return tea.Batch(cmd, m.filterChanged())
	}
	return nil
}
