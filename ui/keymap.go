package ui

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
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
)

// scopes: a key may be bound once per scope.
const (
	scopeMain = 1 << iota
	scopeAccounts
)

type actionDef struct {
	name     string
	desc     string
	defaults []string
	scope    int
	// dangerous actions change something at a provider; read-only mode
	// removes them.
	dangerous bool
}

// actionDefs lists every rebindable action in help order.
var actionDefs = []actionDef{
	{actUp, "move up", []string{"k", "up"}, scopeMain | scopeAccounts, false},
	{actDown, "move down", []string{"j", "down"}, scopeMain | scopeAccounts, false},
	{actTop, "go to top", []string{"g", "home"}, scopeMain | scopeAccounts, false},
	{actBottom, "go to bottom", []string{"G", "end"}, scopeMain | scopeAccounts, false},
	{actPageUp, "page up", []string{"pgup", "ctrl+b"}, scopeMain, false},
	{actPageDown, "page down", []string{"pgdown", "ctrl+f"}, scopeMain, false},
	{actFilter, "filter", []string{"/"}, scopeMain, false},
	{actSort, "sort: next column", []string{"s"}, scopeMain, false},
	{actReverse, "sort: reverse", []string{"S"}, scopeMain, false},
	{actDetail, "open/close detail", []string{"enter"}, scopeMain, false},
	{actScrollDown, "scroll detail down", []string{"ctrl+d"}, scopeMain, false},
	{actScrollUp, "scroll detail up", []string{"ctrl+u"}, scopeMain, false},
	{actMark, "mark/unmark, move down", []string{"space"}, scopeMain, false},
	{actClearMarks, "clear marks", []string{`ctrl+\`}, scopeMain, false},
	{actCancel, "cancel session(s)", []string{"x"}, scopeMain, true},
	{actCopy, "copy, edit signers", []string{"c"}, scopeMain, true},
	{actRemind, "remind pending signers", []string{"m"}, scopeMain, true},
	{actSend, "send draft(s)", []string{"p"}, scopeMain, true},
	{actFixSigner, "fix a signer's name/email", []string{"e"}, scopeMain, true},
	{actExtend, "extend expiry", []string{"E"}, scopeMain, true},
	{actDownload, "download documents", []string{"D"}, scopeMain, false},
	{actYank, "yank ref (again: URL)", []string{"y"}, scopeMain, false},
	{actBrowse, "open in browser", []string{"b"}, scopeMain, false},
	{actLog, "message log", []string{"M"}, scopeMain, false},
	{actAges, "times: dates or ages", []string{"t"}, scopeMain, false},
	{actRefresh, "refresh now", []string{"r"}, scopeMain | scopeAccounts, false},
	{actAccounts, "accounts view", []string{"a"}, scopeMain | scopeAccounts, false},
	{actView, "next view (buckets)", []string{"v"}, scopeMain, false},
	{actOpen, "open by ACCOUNT/ID", []string{"o"}, scopeMain, false},
	{actLogin, "log in", []string{"l", "enter"}, scopeAccounts, false},
	{actLogout, "log out", []string{"L", "d"}, scopeAccounts, false},
	{actHelp, "help", []string{"?"}, scopeMain | scopeAccounts, false},
	{actQuit, "quit", []string{"q", "ctrl+c"}, scopeMain | scopeAccounts, false},
}

// reservedKeys close things and cannot be given to an action.
var reservedKeys = map[string]string{"esc": "back/close"}

// keyMap is the one registry that drives key handling, the footer hints
// and the help screen.
type keyMap struct {
	b        map[string]*key.Binding
	readonly bool
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
	km := keyMap{b: map[string]*key.Binding{}, readonly: readonly, removed: map[string]key.Binding{}}
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
	for _, n := range []string{actCancel, actCopy, actRemind, actSend} {
		if b, ok := k.removed[n]; ok && slices.Contains(b.Keys(), msg.String()) {
			return n
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

// shortDesc is the footer word of an action.
var shortDesc = map[string]string{
	actFilter: "filter", actSort: "sort", actReverse: "reverse", actDetail: "detail", actMark: "mark",
	actCancel: "cancel", actCopy: "copy", actRefresh: "refresh", actAccounts: "accounts", actHelp: "help",
	actQuit: "quit", actLogin: "log in", actLogout: "log out", actView: "view", actOpen: "open",
}

// hints returns footer bindings with short descriptions.
func (k keyMap) hints(actions ...string) []key.Binding {
	out := k.list(actions...)
	for i, b := range out {
		for _, a := range actions {
			if k.b[a] != nil && k.b[a].Help() == b.Help() {
				if d, ok := shortDesc[a]; ok {
					out[i].SetHelp(b.Help().Key, d)
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

// short returns the footer hints of the main table.
func (k keyMap) short() []key.Binding {
	return k.hints(actFilter, actSort, actDetail, actMark, actCancel, actCopy, actRefresh, actView, actOpen, actAccounts, actHelp, actQuit)
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
		{"Navigation", k.list(actUp, actDown, actTop, actBottom, actPageUp, actPageDown)},
		{"View", k.list(actFilter, actSort, actReverse, actDetail, actScrollDown, actScrollUp, actRefresh, actView, actOpen, actAccounts, actLog, actAges)},
		{"Selection", append(k.list(actMark, actClearMarks), fixed("esc", "back: detail›filter›marks"))},
	}
	if acts := k.list(actCancel, actCopy, actRemind, actSend, actFixSigner, actExtend, actDownload, actYank, actBrowse); len(acts) > 0 {
		groups = append(groups, helpGroup{"Actions (marked, else cursor row)", acts})
	}
	groups = append(groups,
		helpGroup{"Accounts view", k.list(actLogin, actLogout)},
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
	groups = append(groups, helpGroup{"App", k.list(actHelp, actQuit)})
	return groups
}
