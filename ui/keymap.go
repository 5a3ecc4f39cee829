package ui

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/providers"
)

// Action names accepted in Options.Keys.
const (
	actUp         = "up"
	actDown       = "down"
	actTop        = "top"
	actBottom     = "bottom"
	actPageUp     = "pageup"
	actPageDown   = "pagedown"
	actFilter     = "filter"
	actDetail     = "detail"
	actScrollUp   = "scrollup"
	actScrollDown = "scrolldown"
	actMark       = "mark"
	actClearMarks = "clearmarks"
	actCancel     = "cancel"
	actCopy       = "copy"
	actRefresh    = "refresh"
	actAccounts   = "accounts"
	actView       = "view"
	actOpen       = "open"
	actLogin      = "login"
	actLogout     = "logout"
	actSort       = "sort"
	actReverse    = "reverse"
	actHelp       = "help"
	actQuit       = "quit"
	actRemind     = "remind"
	actSend       = "send"
	actDownload   = "download"
	actYank       = "yank"
	actBrowse     = "browse"
	actLog        = "log"
	actAges       = "ages"
	actFixSigner  = "fixsigner"
	actExtend     = "extend"
	actPalette    = "palette"
)

// scopes: a key may be bound once per scope.
const (
	scopeMain = 1 << iota
	scopeAccounts
)

// actionDef is everything about one action, in one place: its name (the
// config key), help text, default keys, where its keys apply, whether
// read-only mode removes it, its help group, its footer word and place,
// what it does and why it cannot run now. Key handling, the footer, the
// help screen, the command palette and config validation all come from
// actionDefs.
type actionDef struct {
	name     string
	desc     string
	defaults []string
	scope    int
	// dangerous actions change something at a provider; read-only mode
	// removes them.
	dangerous bool
	// title names the action in flashes ("": the name, capitalised).
	title string
	// group is the help screen group.
	group string
	// short is the footer word ("": desc); foot the place in the table's
	// footer (0: not in it).
	short string
	foot  int
	// run does the action on the table screen (its key, or the palette);
	// nil for the accounts screen's own actions.
	run func(m *Model) tea.Cmd
	// disabled says why the action cannot run now, "" when it can; its
	// key then flashes the reason.
	disabled func(m *Model) string
	// acctRun does the action on the accounts screen when it differs
	// from run (moving the accounts cursor, going back); acctOnly
	// actions (log in, log out) have only this one.
	acctRun func(m *Model) tea.Cmd
}

// Help groups, in the order the help screen shows them.
const (
	grpNav      = "Navigation"
	grpView     = "View"
	grpSelect   = "Selection"
	grpActions  = "Actions (marked, else cursor row)"
	grpAccounts = "Accounts view"
	grpApp      = "App"
)

// actionDefs lists every rebindable action in help order.
var actionDefs = []actionDef{
	{name: actUp, desc: "move up", defaults: []string{"k", "up"}, scope: scopeMain | scopeAccounts, group: grpNav,
		run:     func(m *Model) tea.Cmd { return m.move(-1) },
		acctRun: func(m *Model) tea.Cmd { m.accountsCur = max(0, m.accountsCur-1); return nil }},
	{name: actDown, desc: "move down", defaults: []string{"j", "down"}, scope: scopeMain | scopeAccounts, group: grpNav,
		run:     func(m *Model) tea.Cmd { return m.move(1) },
		acctRun: func(m *Model) tea.Cmd { m.accountsCur = max(0, min(len(m.accts)-1, m.accountsCur+1)); return nil }},
	{name: actTop, desc: "go to top", defaults: []string{"g", "home"}, scope: scopeMain | scopeAccounts, group: grpNav,
		run:     func(m *Model) tea.Cmd { return m.move(-len(m.visible)) },
		acctRun: func(m *Model) tea.Cmd { m.accountsCur = 0; return nil }},
	{name: actBottom, desc: "go to bottom", defaults: []string{"G", "end"}, scope: scopeMain | scopeAccounts, group: grpNav,
		run:     func(m *Model) tea.Cmd { return m.move(len(m.visible)) },
		acctRun: func(m *Model) tea.Cmd { m.accountsCur = max(0, len(m.accts)-1); return nil }},
	{name: actPageUp, desc: "page up", defaults: []string{"pgup", "ctrl+b"}, scope: scopeMain, group: grpNav,
		run: func(m *Model) tea.Cmd { return m.move(-max(1, m.tableHeight())) }},
	{name: actPageDown, desc: "page down", defaults: []string{"pgdown", "ctrl+f"}, scope: scopeMain, group: grpNav,
		run: func(m *Model) tea.Cmd { return m.move(max(1, m.tableHeight())) }},
	{name: actFilter, desc: "filter", defaults: []string{"/"}, scope: scopeMain, group: grpView, short: "filter", foot: 1,
		run: (*Model).startFilter},
	{name: actSort, desc: "sort: next column", defaults: []string{"s"}, scope: scopeMain, group: grpView, short: "sort", foot: 2,
		run: (*Model).nextSort},
	{name: actReverse, desc: "sort: reverse", defaults: []string{"S"}, scope: scopeMain, group: grpView, short: "reverse",
		run: (*Model).reverseSort},
	{name: actDetail, desc: "open/close detail", defaults: []string{"enter"}, scope: scopeMain, group: grpView, short: "detail", foot: 3,
		run: (*Model).toggleDetail},
	{name: actScrollDown, desc: "scroll detail down", title: "Scroll down", defaults: []string{"ctrl+d"}, scope: scopeMain, group: grpView,
		run: func(m *Model) tea.Cmd { m.detailTop += max(1, m.bodyHeight()/2); return nil }, disabled: detailClosed},
	{name: actScrollUp, desc: "scroll detail up", title: "Scroll up", defaults: []string{"ctrl+u"}, scope: scopeMain, group: grpView,
		run:      func(m *Model) tea.Cmd { m.detailTop = max(0, m.detailTop-max(1, m.bodyHeight()/2)); return nil },
		disabled: detailClosed},
	{name: actMark, desc: "mark/unmark, move down", defaults: []string{"space"}, scope: scopeMain, group: grpSelect, short: "mark", foot: 4,
		run: (*Model).toggleMark, disabled: noCursorRow},
	{name: actClearMarks, desc: "clear marks", title: "Clear marks", defaults: []string{`ctrl+\`}, scope: scopeMain, group: grpSelect,
		run: (*Model).clearMarks, disabled: noMarks},
	{name: actCancel, desc: "cancel session(s)", defaults: []string{"x"}, scope: scopeMain, dangerous: true, group: grpActions, short: "cancel", foot: 5,
		run: (*Model).startCancel, disabled: needsJournal},
	{name: actCopy, desc: "copy, edit signers", defaults: []string{"c"}, scope: scopeMain, dangerous: true, group: grpActions, short: "copy", foot: 6,
		run: (*Model).startCopy, disabled: needsTargets},
	{name: actRemind, desc: "remind pending signers", defaults: []string{"m"}, scope: scopeMain, dangerous: true, group: grpActions,
		run: (*Model).startRemind, disabled: needsCap("remind signers", func(c providers.Capabilities) bool { return c.Remind })},
	{name: actSend, desc: "send draft(s)", defaults: []string{"p"}, scope: scopeMain, dangerous: true, group: grpActions,
		run: (*Model).startSend, disabled: needsCap("send drafts", func(c providers.Capabilities) bool { return c.StartDraft })},
	{name: actFixSigner, desc: "fix a signer's name/email", title: "Fix signer", defaults: []string{"e"}, scope: scopeMain, dangerous: true, group: grpActions,
		run: (*Model).startFixSigner, disabled: fixNeedsDetail},
	{name: actExtend, desc: "extend expiry", title: "Extend expiry", defaults: []string{"E"}, scope: scopeMain, dangerous: true, group: grpActions,
		run: (*Model).startExtend, disabled: needsJournal},
	{name: actDownload, desc: "download documents", defaults: []string{"D"}, scope: scopeMain, group: grpActions,
		run: (*Model).startDownload, disabled: downloadDisabled},
	{name: actYank, desc: "yank ref (again: URL)", defaults: []string{"y"}, scope: scopeMain, group: grpActions,
		run: (*Model).yank, disabled: noCursorRow},
	{name: actBrowse, desc: "open in browser", defaults: []string{"b"}, scope: scopeMain, group: grpActions,
		run: (*Model).openBrowser, disabled: noCursorRow},
	{name: actRefresh, desc: "refresh now", defaults: []string{"r"}, scope: scopeMain | scopeAccounts, group: grpView, short: "refresh", foot: 7,
		run: func(m *Model) tea.Cmd { return m.refresh(false) }},
	{name: actView, desc: "next view", defaults: []string{"v"}, scope: scopeMain, group: grpView, short: "view", foot: 8,
		run: (*Model).cycleView},
	{name: actOpen, desc: "open by ACCOUNT/ID", defaults: []string{"o"}, scope: scopeMain, group: grpView, short: "open", foot: 9,
		run: (*Model).startOpen},
	{name: actAccounts, desc: "accounts view", defaults: []string{"a"}, scope: scopeMain | scopeAccounts, group: grpView, short: "accounts", foot: 10,
		run:     func(m *Model) tea.Cmd { m.screen = screenAccounts; return nil },
		acctRun: func(m *Model) tea.Cmd { m.screen = screenTable; return nil }},
	{name: actLog, desc: "message log", defaults: []string{"M"}, scope: scopeMain, group: grpView,
		run: func(m *Model) tea.Cmd { m.openOverlay(newLogOverlay()); return nil }},
	{name: actAges, desc: "times: dates or ages", defaults: []string{"t"}, scope: scopeMain, group: grpView,
		run: func(m *Model) tea.Cmd { m.relTimes = !m.relTimes; return nil }},
	{name: actLogin, desc: "log in", defaults: []string{"l", "enter"}, scope: scopeAccounts, group: grpAccounts, short: "log in",
		acctRun: (*Model).startLogin, disabled: logoutInProgress},
	{name: actLogout, desc: "log out", defaults: []string{"L", "d"}, scope: scopeAccounts, group: grpAccounts, short: "log out",
		acctRun: (*Model).startLogout, disabled: logoutInProgress},
	{name: actPalette, desc: "command palette", defaults: []string{":"}, scope: scopeMain | scopeAccounts, group: grpApp,
		run: (*Model).openPalette},
	{name: actHelp, desc: "help", defaults: []string{"?"}, scope: scopeMain | scopeAccounts, group: grpApp, short: "help", foot: 11,
		run: func(m *Model) tea.Cmd { m.openOverlay(newHelpOverlay()); return nil }},
	{name: actQuit, desc: "quit", defaults: []string{"q", "ctrl+c"}, scope: scopeMain | scopeAccounts, group: grpApp, short: "quit", foot: 12,
		run: (*Model).requestQuit},
}

// reservedKeys close things and cannot be given to an action.
var reservedKeys = map[string]string{"esc": "back/close"}

// keyMap is the one registry that drives key handling, the footer hints
// and the help screen.
type keyMap struct {
	b        map[string]*key.Binding
	readonly bool
	// defs is actionDefs (held here so that the actions' handlers can
	// reach the list without an initialization cycle).
	defs []actionDef
	// removed keeps the bindings read-only mode removed, to explain why a
	// key does nothing.
	removed map[string]key.Binding
}

func actionNames() []string {
	out := make([]string, len(actionDefs))
	for i, d := range actionDefs {
		out[i] = d.name
	}
	return out
}

// newKeyMap builds the key map from the defaults and the user's rebinding.
func newKeyMap(over map[string][]string, readonly bool) (keyMap, error) {
	defs := map[string]actionDef{}
	for _, d := range actionDefs {
		defs[d.name] = d
	}
	names := make([]string, 0, len(over))
	for n := range over {
		names = append(names, n)
	}
	sort.Strings(names)
	keys := map[string][]string{}
	for _, n := range names {
		if _, ok := defs[n]; !ok {
			return keyMap{}, fmt.Errorf("keys: unknown action %q (actions: %s)", n, strings.Join(actionNames(), ", "))
		}
		ks := over[n]
		if len(ks) == 0 {
			return keyMap{}, fmt.Errorf("keys: action %q has no keys", n)
		}
		seen := map[string]bool{}
		var clean []string
		for _, k := range ks {
			k = strings.TrimSpace(k)
			if k == "" {
				return keyMap{}, fmt.Errorf("keys: action %q has an empty key", n)
			}
			if k == " " {
				k = "space"
			}
			if why, ok := reservedKeys[k]; ok {
				return keyMap{}, fmt.Errorf("keys: %q cannot be bound to %q: it is reserved for %s", k, n, why)
			}
			if !seen[k] {
				seen[k] = true
				clean = append(clean, k)
			}
		}
		keys[n] = clean
	}
	km := keyMap{b: map[string]*key.Binding{}, readonly: readonly, removed: map[string]key.Binding{}, defs: actionDefs}
	owner := map[int]map[string]string{scopeMain: {}, scopeAccounts: {}}
	for _, d := range actionDefs {
		ks, ok := keys[d.name]
		if !ok {
			ks = d.defaults
		}
		for _, scope := range []int{scopeMain, scopeAccounts} {
			if d.scope&scope == 0 {
				continue
			}
			for _, k := range ks {
				if prev, dup := owner[scope][k]; dup {
					return keyMap{}, fmt.Errorf("keys: %q is bound to both %q and %q", k, prev, d.name)
				}
				owner[scope][k] = d.name
			}
		}
		b := key.NewBinding(key.WithKeys(ks...), key.WithHelp(keyLabel(ks), d.desc))
		if readonly && d.dangerous {
			km.removed[d.name] = b
			b.SetEnabled(false)
		}
		km.b[d.name] = &b
	}
	return km, nil
}

// keyLabel writes keys for display ("k/↑").
func keyLabel(ks []string) string {
	out := make([]string, len(ks))
	for i, k := range ks {
		switch k {
		case "up":
			k = "↑"
		case "down":
			k = "↓"
		case "left":
			k = "←"
		case "right":
			k = "→"
		}
		out[i] = k
	}
	return strings.Join(out, "/")
}

// is reports whether msg matches the action's (enabled) binding.
func (k keyMap) is(msg fmt.Stringer, action string) bool {
	b := k.b[action]
	return b != nil && key.Matches(msg, *b)
}

// removedAction returns the read-only-removed action msg would have run.
func (k keyMap) removedAction(msg fmt.Stringer) string {
	for _, d := range k.defs {
		if b, ok := k.removed[d.name]; ok && slices.Contains(b.Keys(), msg.String()) {
			return d.name
		}
	}
	return ""
}

// label is the display form of an action's keys.
func (k keyMap) label(action string) string {
	if b := k.b[action]; b != nil {
		return b.Help().Key
	}
	return ""
}

// def returns the action's definition.
func (k keyMap) def(action string) *actionDef {
	for i := range k.defs {
		if k.defs[i].name == action {
			return &k.defs[i]
		}
	}
	return nil
}

// hints returns footer bindings with short descriptions.
func (k keyMap) hints(actions ...string) []key.Binding {
	out := k.list(actions...)
	for i, b := range out {
		for _, a := range actions {
			if k.b[a] != nil && k.b[a].Help() == b.Help() {
				if d := k.def(a); d != nil && d.short != "" {
					out[i].SetHelp(b.Help().Key, d.short)
				}
				break
			}
		}
	}
	return out
}

func (k keyMap) list(actions ...string) []key.Binding {
	var out []key.Binding
	for _, a := range actions {
		if b := k.b[a]; b != nil && b.Enabled() {
			out = append(out, *b)
		}
	}
	return out
}

// short returns the footer hints of the main table: the actions with a
// footer place, in that order.
func (k keyMap) short() []key.Binding {
	var foot []*actionDef
	for i := range k.defs {
		if k.defs[i].foot > 0 {
			foot = append(foot, &k.defs[i])
		}
	}
	slices.SortStableFunc(foot, func(a, b *actionDef) int { return a.foot - b.foot })
	names := make([]string, len(foot))
	for i, d := range foot {
		names[i] = d.name
	}
	return k.hints(names...)
}

// group lists the enabled bindings of a help group, in actionDefs order.
func (k keyMap) group(title string) []key.Binding {
	var names []string
	for _, d := range k.defs {
		if d.group == title {
			names = append(names, d.name)
		}
	}
	return k.list(names...)
}

// accountsShort returns the footer hints of the accounts view.
func (k keyMap) accountsShort() []key.Binding {
	b := k.hints(actLogin, actLogout, actRefresh)
	b = append(b, key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")))
	return append(b, k.hints(actHelp, actQuit)...)
}

// helpGroup is one titled group of the help screen.
type helpGroup struct {
	title string
	keys  []key.Binding
}

func fixed(keyText, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(keyText), key.WithHelp(keyText, desc))
}

// helpGroups returns every action with its keys, from the same bindings
// that handle key presses.
func (k keyMap) helpGroups() []helpGroup {
	groups := []helpGroup{
		{grpNav, k.group(grpNav)},
		{grpView, k.group(grpView)},
		{grpSelect, append(k.group(grpSelect), fixed("esc", "back: detail›filter›marks"))},
	}
	if acts := k.group(grpActions); len(acts) > 0 {
		groups = append(groups, helpGroup{grpActions, acts})
	}
	groups = append(groups,
		helpGroup{grpAccounts, k.group(grpAccounts)},
		helpGroup{"Prompts", []key.Binding{fixed("y", "confirm"), fixed("other keys", "abort (enter too)")}},
	)
	if !k.readonly {
		groups = append(groups, helpGroup{"Copy form", []key.Binding{
			fixed("tab/↓ s-tab/↑", "next/prev field"),
			fixed("ctrl+n", "add signer"),
			fixed("+", "add (not in a field)"),
			fixed("ctrl+x", "remove signer"),
			fixed("alt+↑/alt+↓", "move signer"),
			fixed("space", "toggle option"),
			fixed("ctrl+s", "review changes"),
			fixed("esc", "close (asks if edited)"),
		}})
	}
	groups = append(groups, helpGroup{grpApp, k.group(grpApp)})
	return groups
}
