package config

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/signdeck/signdeck/keyring"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// The keys each mapping accepts, in the order they are documented.
// They come from the definitions in schema.go, which the JSON Schema is
// built from too.
var (
	topKeys     = names(topSettings)
	accountKeys = names(accountSettings)
	uiKeys      = names(uiSettings)

	dropboxSignOnly    = onlyFor(accountSettings, models.DropboxSign)
	constellation1Only = onlyFor(accountSettings, models.Constellation1)
)

// Parse parses the YAML config in data. filename is only used in messages
// and as Config.Path. An empty file is a valid config with no accounts.
//
// Every problem is reported, in file order: a single one as *Error, more
// as Errors. The returned Config is nil whenever err is not.
func Parse(filename string, data []byte) (*Config, error) {
	cfg := Default()
	cfg.Path = filename
	p := &parser{file: filename}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, nil
		}
		return nil, p.syntaxError(err, data)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.add(&extra, "", "the file holds a second YAML document (after a --- line); signdeck reads only one")
	} else if !errors.Is(err, io.EOF) {
		return nil, p.syntaxError(err, data)
	}

	p.root(&doc, cfg)

	switch len(p.errs) {
	case 0:
		return cfg, nil
	case 1:
		return nil, p.errs[0]
	}
	sortErrors(p.errs)
	return nil, p.errs
}

// parser collects the problems found while walking the node tree.
type parser struct {
	file string
	errs Errors
}

// add records a problem at n's position (none when n is nil).
func (p *parser) add(n *yaml.Node, path, format string, args ...any) {
	e := &Error{File: p.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlParserProblems are the messages of yaml.v3's parser (as opposed to
// its scanner). yaml.v3 reports their line 0-based, and leaves it out for
// the first line; syntaxError adds the missing 1.
var yamlParserProblems = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"found undefined tag handle":             true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
}

// syntaxError turns a yaml.v3 parse error on data into an *Error, keeping
// its line.
func (p *parser) syntaxError(err error, data []byte) *Error {
	msg := err.Error()
	e := &Error{File: p.file}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if yamlParserProblems[msg] {
		e.Line++
	}
	// An unexpected end of the file is placed on the line after the last.
	lines := bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		lines++
	}
	if e.Line > lines {
		e.Line = lines
	}
	e.Msg = "YAML syntax error: " + models.CleanText(msg)
	return e
}

// field is one key/value pair of a mapping.
type field struct {
	name string
	key  *yaml.Node
	val  *yaml.Node // aliases resolved
	path string
}

// at is where a problem with f's value is reported: the value, or the key
// when the value was left out.
func (f field) at() *yaml.Node {
	if isNull(f.val) && f.val.Value == "" {
		return f.key
	}
	return f.val
}

// fields returns the pairs of mapping n in file order. It reports and
// drops keys that are not plain scalars, merge keys and duplicates, and
// drops secrets (reported by secrets).
func (p *parser) fields(n *yaml.Node, path string) []field {
	var out []field
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.add(k, path, "a key must be a plain word, not %s", describe(k))
			continue
		}
		name := k.Value
		fp := join(path, name)
		if k.Tag == "!!merge" {
			p.add(k, path, "merge keys (<<) are not supported; write the settings out")
			continue
		}
		if isSecretKey(name) {
			continue
		}
		if first, dup := seen[name]; dup {
			p.add(k, fp, "duplicate key (first at line %d:%d)", first.Line, first.Column)
			continue
		}
		seen[name] = k
		out = append(out, field{name: name, key: k, val: v, path: fp})
	}
	return out
}

// unknown reports a key that the mapping does not accept, suggesting the
// closest known one.
func (p *parser) unknown(f field, known []string, what string) {
	if s := suggest(f.name, known); s != "" {
		p.add(f.key, f.path, "unknown key; did you mean %s?", s)
	} else {
		p.add(f.key, f.path, "unknown key; %s takes %s", what, strings.Join(known, ", "))
	}
}

// secrets reports every secret key in the document, at any depth, naming
// the account it sits in when there is one. The walk that follows drops
// these keys silently.
func (p *parser) secrets(root *yaml.Node) {
	seen := map[*yaml.Node]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := deref(root.Content[i]), deref(root.Content[i+1])
		if k.Kind == yaml.ScalarNode && isSecretKey(k.Value) {
			p.add(k, join("", k.Value), "%s", secretMsg(""))
			continue
		}
		path := ""
		if k.Kind == yaml.ScalarNode {
			path = k.Value
		}
		if path == "accounts" && v.Kind == yaml.SequenceNode {
			for j, item := range v.Content {
				item = deref(item)
				account := ""
				if item.Kind == yaml.MappingNode {
					account = peekName(item)
				}
				p.scanSecrets(item, index(path, j), account, seen)
			}
			continue
		}
		p.scanSecrets(v, join("", path), "", seen)
	}
}

func (p *parser) scanSecrets(n *yaml.Node, path, account string, seen map[*yaml.Node]bool) {
	n = deref(n)
	if seen[n] {
		return
	}
	seen[n] = true
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := deref(n.Content[i])
			if k.Kind != yaml.ScalarNode {
				continue
			}
			if isSecretKey(k.Value) {
				p.add(k, join(path, k.Value), "%s", secretMsg(account))
				continue
			}
			p.scanSecrets(n.Content[i+1], join(path, k.Value), account, seen)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p.scanSecrets(c, index(path, i), account, seen)
		}
	}
}

func (p *parser) root(doc *yaml.Node, cfg *Config) {
	n := doc
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return
		}
		n = n.Content[0]
	}
	n = deref(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.add(n, "", "want a mapping with the keys accounts, ui and keys, got %s", describe(n))
		return
	}
	p.secrets(n)
	for _, f := range p.fields(n, "") {
		switch f.name {
		case "accounts":
			cfg.Accounts = p.accounts(f)
		case "ui":
			p.ui(f, &cfg.UI)
		case "keys":
			cfg.Keys = p.keys(f, cfg)
		case "views":
			cfg.Views = p.views(f)
		case "cache":
			if b, ok := p.boolean(f); ok {
				cfg.NoCache = !b
			}
		default:
			p.unknown(f, topKeys, "the file")
		}
	}
}

func (p *parser) accounts(f field) []Account {
	if isNull(f.val) {
		return nil
	}
	if f.val.Kind != yaml.SequenceNode {
		p.add(f.val, f.path, "want a list of accounts, each starting with \"- name:\", got %s", describe(f.val))
		return nil
	}
	type first struct {
		name string
		node *yaml.Node
	}
	seen := map[string]first{}
	var out []Account
	for i, item := range f.val.Content {
		a, nameNode := p.account(deref(item), index(f.path, i))
		if nameNode != nil {
			key := strings.ToLower(a.Name)
			if prev, dup := seen[key]; dup {
				if prev.name == a.Name {
					p.add(nameNode, index(f.path, i)+".name", "duplicate account name %q (first at line %d:%d); names must be unique",
						a.Name, prev.node.Line, prev.node.Column)
				} else {
					p.add(nameNode, index(f.path, i)+".name", "account name %q differs from %q (line %d:%d) only in letter case; names must be unique",
						a.Name, prev.name, prev.node.Line, prev.node.Column)
				}
			} else {
				seen[key] = first{a.Name, nameNode}
			}
		}
		out = append(out, a)
	}
	return out
}

// account parses one account. It returns the name's node when the name is
// valid, for the duplicate check.
func (p *parser) account(n *yaml.Node, path string) (Account, *yaml.Node) {
	var a Account
	if n.Kind != yaml.MappingNode {
		p.add(n, path, "want an account (a mapping with name and provider), got %s", describe(n))
		return a, nil
	}
	fs := p.fields(n, path)
	byName := map[string]field{}
	for _, f := range fs {
		byName[f.name] = f
	}
	// present reports whether key was given a value.
	present := func(key string) (field, bool) {
		f, ok := byName[key]
		return f, ok && !isNull(f.val)
	}
	// missingAt is where to report that key is missing: its key when it
	// was written without a value, else the account.
	missingAt := func(key string) *yaml.Node {
		if f, ok := byName[key]; ok {
			return f.key
		}
		return n
	}

	var nameNode *yaml.Node
	if f, ok := present("name"); !ok {
		p.add(missingAt("name"), join(path, "name"), "missing; every account needs a unique name")
	} else if s, ok := p.str(f); ok {
		if err := models.ValidateAccountName(s); err != nil {
			p.add(f.val, f.path, "%s", err)
		} else {
			a.Name, nameNode = s, f.val
		}
	}
	who := "this account"
	if a.Name != "" {
		who = "account " + a.Name
	}

	if f, ok := present("provider"); !ok {
		p.add(missingAt("provider"), join(path, "provider"), "missing; want dropboxsign or constellation1")
	} else if s, ok := p.str(f); ok {
		if k := models.ProviderKind(s); k.Valid() {
			a.Provider = k
		} else {
			msg := fmt.Sprintf("unknown provider %q (want dropboxsign or constellation1)", clean(s))
			if sug := suggest(s, []string{string(models.DropboxSign), string(models.Constellation1)}); sug != "" {
				msg += "; did you mean " + sug + "?"
			}
			p.add(f.val, f.path, "%s", msg)
		}
	}

	for _, f := range fs {
		if !slices.Contains(accountKeys, f.name) {
			p.unknown(f, accountKeys, "an account")
			continue
		}
		if f.name == "name" || f.name == "provider" || isNull(f.val) {
			continue
		}
		if a.Provider == models.Constellation1 && slices.Contains(dropboxSignOnly, f.name) {
			p.add(f.key, f.path, "%s is a dropboxsign setting; %s uses constellation1", f.name, who)
			continue
		}
		if a.Provider == models.DropboxSign && slices.Contains(constellation1Only, f.name) {
			p.add(f.key, f.path, "%s is a constellation1 setting; %s uses dropboxsign", f.name, who)
			continue
		}
		switch f.name {
		case "base_url":
			if s, ok := p.str(f); ok {
				if s == "" {
					p.add(f.val, f.path, "is empty; leave base_url out to use the provider's production URL")
				} else if err := providers.CheckBaseURL(s); err != nil {
					p.add(f.val, f.path, "%s", providers.Redact(err.Error()))
				} else {
					a.BaseURL = strings.TrimRight(s, "/")
				}
			}
		case "test_mode":
			a.TestMode, _ = p.boolean(f)
		case "team":
			a.Team, _ = p.boolean(f)
		case "username":
			if s, ok := p.str(f); ok && s != "" {
				if models.ValidateEmail(s) != nil || strings.TrimSpace(s) != s {
					p.add(f.val, f.path, "want the agent's sign-in email, like agent@example.com, got %q", clean(s))
				} else {
					a.Username = s
				}
			}
		case "transactions":
			a.Transactions = p.transactions(f)
		case "return_url":
			if s, ok := p.str(f); ok {
				if err := checkReturnURL(s); err != nil {
					p.add(f.val, f.path, "%s", providers.Redact(err.Error()))
				} else {
					a.ReturnURL = s
				}
			}
		}
	}

	if a.Provider == models.Constellation1 {
		const need = "a constellation1 account needs both username (the agent's sign-in email) and transactions (the transaction ids to list)"
		if f, ok := present("username"); !ok {
			p.add(missingAt("username"), join(path, "username"), "missing; %s", need)
		} else if f.val.Kind == yaml.ScalarNode && f.val.Value == "" {
			p.add(f.val, f.path, "is empty; %s", need)
		}
		if f, ok := present("transactions"); !ok {
			p.add(missingAt("transactions"), join(path, "transactions"), "missing; %s", need)
		} else if f.val.Kind == yaml.SequenceNode && len(f.val.Content) == 0 {
			p.add(f.val, f.path, "is empty; %s", need)
		}
		if a.ReturnURL == "" {
			a.ReturnURL = DefaultReturnURL
		}
	}
	if a.BaseURL == "" {
		a.BaseURL = DefaultBaseURL(a.Provider)
	}
	return a, nameNode
}

// peekName returns the account's name when it is written as a valid one,
// so that messages about earlier keys can name the account.
func peekName(n *yaml.Node) string {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind == yaml.ScalarNode && k.Value == "name" && v.Kind == yaml.ScalarNode {
			if models.ValidateAccountName(v.Value) == nil {
				return v.Value
			}
			return ""
		}
	}
	return ""
}

func (p *parser) transactions(f field) []string {
	if f.val.Kind != yaml.SequenceNode {
		p.add(f.val, f.path, "want a list, like [TX-1001, TX-1002], got %s", describe(f.val))
		return nil
	}
	seen := map[string]*yaml.Node{}
	var out []string
	for i, c := range f.val.Content {
		c = deref(c)
		ip := index(f.path, i)
		switch {
		case c.Kind != yaml.ScalarNode:
			p.add(c, ip, "want a transaction id, got %s", describe(c))
		case isNull(c) || c.Value == "":
			p.add(c, ip, "empty transaction id")
		case strings.IndexFunc(c.Value, unicode.IsSpace) >= 0 || strings.IndexFunc(c.Value, unicode.IsControl) >= 0:
			p.add(c, ip, "transaction id %q holds spaces or control characters", clean(c.Value))
		default:
			if prev, dup := seen[c.Value]; dup {
				p.add(c, ip, "duplicate transaction id %q (first at line %d:%d)", c.Value, prev.Line, prev.Column)
				continue
			}
			seen[c.Value] = c
			out = append(out, c.Value)
		}
	}
	return out
}

func (p *parser) ui(f field, ui *UI) {
	if isNull(f.val) {
		return
	}
	if f.val.Kind != yaml.MappingNode {
		p.add(f.val, f.path, "want a mapping with %s, got %s", strings.Join(uiKeys, ", "), describe(f.val))
		return
	}
	for _, g := range p.fields(f.val, f.path) {
		if !slices.Contains(uiKeys, g.name) {
			p.unknown(g, uiKeys, "ui")
			continue
		}
		if isNull(g.val) {
			continue
		}
		switch g.name {
		case "refresh_interval":
			if d, ok := p.duration(g); ok {
				ui.RefreshInterval = d
			}
		case "readonly":
			ui.Readonly, _ = p.boolean(g)
		case "mouse":
			ui.Mouse, _ = p.boolean(g)
		case "expiring_days":
			ui.ExpiringDays, _ = p.days(g)
		case "stalled_days":
			ui.StalledDays, _ = p.days(g)
		case "theme":
			if t, ok := p.str(g); ok {
				if slices.Contains(Themes, t) {
					ui.Theme = t
				} else {
					p.add(g.val, g.path, "unknown theme %q; want %s", clean(t), strings.Join(Themes, ", "))
				}
			}
		}
	}
}

func (p *parser) keys(f field, cfg *Config) map[string][]string {
	if isNull(f.val) {
		return nil
	}
	if f.val.Kind != yaml.MappingNode {
		p.add(f.val, f.path, "want a mapping from action to keys, like quit: [q, ctrl+c], got %s", describe(f.val))
		return nil
	}
	type binding struct {
		action string
		node   *yaml.Node
	}
	bound := map[string]binding{}
	out := map[string][]string{}
	for _, g := range p.fields(f.val, f.path) {
		if !slices.Contains(KeyActions, g.name) {
			actions := strings.Join(KeyActions, ", ")
			if s := suggest(g.name, KeyActions); s != "" {
				p.add(g.key, g.path, "unknown action %q; did you mean %s? The actions are %s", clean(g.name), s, actions)
			} else {
				p.add(g.key, g.path, "unknown action %q; the actions are %s", clean(g.name), actions)
			}
			continue
		}
		var items []*yaml.Node
		var paths []string
		switch {
		case isNull(g.val):
			p.add(g.at(), g.path, "no keys given; want a key or a list of keys, like [q, ctrl+c]")
			continue
		case g.val.Kind == yaml.ScalarNode:
			items, paths = []*yaml.Node{g.val}, []string{g.path}
		case g.val.Kind == yaml.SequenceNode:
			if len(g.val.Content) == 0 {
				p.add(g.val, g.path, "empty list; give at least one key (an action cannot be unbound)")
				continue
			}
			for i, c := range g.val.Content {
				items = append(items, deref(c))
				paths = append(paths, index(g.path, i))
			}
		default:
			p.add(g.val, g.path, "want a key or a list of keys, like [q, ctrl+c], got %s", describe(g.val))
			continue
		}
		var keys []string
		for i, c := range items {
			switch {
			case c.Kind != yaml.ScalarNode:
				p.add(c, paths[i], "want a key like ctrl+r, got %s", describe(c))
			case isNull(c) || strings.TrimSpace(c.Value) == "":
				p.add(c, paths[i], "empty key; write the key's name, like q, ctrl+r or space")
			case strings.IndexFunc(c.Value, unicode.IsControl) >= 0:
				p.add(c, paths[i], "key %q holds control characters; write the key's name, like ctrl+r", clean(c.Value))
			default:
				if prev, dup := bound[c.Value]; dup {
					p.add(c, paths[i], "key %q is already bound to %s (line %d:%d)", c.Value, prev.action, prev.node.Line, prev.node.Column)
					continue
				}
				bound[c.Value] = binding{g.name, c}
				keys = append(keys, c.Value)
				if cfg.keyPos == nil {
					cfg.keyPos = map[string][]pos{}
				}
				cfg.keyPos[g.name] = append(cfg.keyPos[g.name], pos{c.Line, c.Column, paths[i]})
			}
		}
		out[g.name] = keys
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// days reads a whole number of days, 1 to MaxViewDays.
func (p *parser) days(f field) (int, bool) {
	var n int
	if f.val.Kind != yaml.ScalarNode || f.val.Decode(&n) != nil {
		p.add(f.val, f.path, "want a whole number of days like 7, got %s", describe(f.val))
		return 0, false
	}
	if n < 1 || n > MaxViewDays {
		p.add(f.val, f.path, "want 1 to %d days, got %d", MaxViewDays, n)
		return 0, false
	}
	return n, true
}

// viewKeys are the keys of one saved view.
var viewKeys = []string{"name", "filter"}

// views reads the saved views: each a mapping with a unique, non-empty
// name that is not a built-in view's, and a filter that parses.
func (p *parser) views(f field) []View {
	if isNull(f.val) {
		return nil
	}
	if f.val.Kind != yaml.SequenceNode {
		p.add(f.val, f.path, "want a list of views, each like - name: cedar deals, filter: \"cedar status:awaiting\", got %s", describe(f.val))
		return nil
	}
	seen := map[string]*yaml.Node{}
	var out []View
	for i, item := range f.val.Content {
		n, path := deref(item), index(f.path, i)
		if n.Kind != yaml.MappingNode {
			p.add(n, path, "want a view (a mapping with name and filter), got %s", describe(n))
			continue
		}
		var v View
		var nameNode, filterNode *yaml.Node
		var named, filtered bool // the key is there (a bad value is reported by str)
		for _, g := range p.fields(n, path) {
			switch g.name {
			case "name":
				named = true
				if s, ok := p.str(g); ok {
					v.Name, nameNode = strings.TrimSpace(s), g.at()
				}
			case "filter":
				filtered = true
				if s, ok := p.str(g); ok {
					v.Filter, filterNode = s, g.at()
				}
			default:
				p.unknown(g, viewKeys, "a view")
			}
		}
		ok := true
		switch {
		case nameNode == nil:
			if !named {
				p.add(n, path, "missing name; every view needs one")
			}
			ok = false
		case v.Name == "":
			p.add(nameNode, path+".name", "empty name; every view needs one")
			ok = false
		case strings.IndexFunc(v.Name, unicode.IsControl) >= 0:
			p.add(nameNode, path+".name", "name %q holds control characters", clean(v.Name))
			ok = false
		case models.ReservedViewName(v.Name):
			p.add(nameNode, path+".name", "%q is a built-in view's name (active, expiring, stalled, expired, archived, deleted); pick another", clean(v.Name))
			ok = false
		default:
			key := strings.ToLower(v.Name)
			if prev, dup := seen[key]; dup {
				p.add(nameNode, path+".name", "duplicate view name %q (first at line %d:%d); names must be unique", clean(v.Name), prev.Line, prev.Column)
				ok = false
			} else {
				seen[key] = nameNode
			}
		}
		switch {
		case filterNode == nil:
			if !filtered {
				p.add(n, path, "missing filter, like filter: \"cedar status:awaiting\"")
			}
			ok = false
		case strings.TrimSpace(v.Filter) == "":
			p.add(filterNode, path+".filter", "empty filter; a view shows the active sessions that match it")
			ok = false
		default:
			if _, err := models.ParseFilter(v.Filter); err != nil {
				p.add(filterNode, path+".filter", "%s", clean(err.Error()))
				ok = false
			}
		}
		if ok {
			out = append(out, v)
		}
	}
	return out
}

func (p *parser) str(f field) (string, bool) {
	if f.val.Kind != yaml.ScalarNode {
		p.add(f.val, f.path, "want a string, got %s", describe(f.val))
		return "", false
	}
	return f.val.Value, true
}

func (p *parser) boolean(f field) (bool, bool) {
	var b bool
	if f.val.Kind == yaml.ScalarNode && f.val.Decode(&b) == nil {
		return b, true
	}
	p.add(f.val, f.path, "want true or false, got %s", describe(f.val))
	return false, false
}

func (p *parser) duration(f field) (time.Duration, bool) {
	v := f.val
	if v.Kind != yaml.ScalarNode {
		p.add(v, f.path, "want a duration like 60s or 0, got %s", describe(v))
		return 0, false
	}
	s := strings.TrimSpace(v.Value)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n == 0:
			return 0, true
		case n < 0:
			p.add(v, f.path, "must not be negative; use 0 to turn auto refresh off")
		default:
			p.add(v, f.path, "want a duration with a unit, like %ds or 0, got %s", n, s)
		}
		return 0, false
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		p.add(v, f.path, "want a duration like 60s or 0, got %s", describe(v))
	case d < 0:
		p.add(v, f.path, "must not be negative; use 0 to turn auto refresh off")
	case d > 0 && d < MinRefreshInterval:
		p.add(v, f.path, "%s is too short; use at least %s, or 0 to turn auto refresh off", d, MinRefreshInterval)
	default:
		return d, true
	}
	return 0, false
}

// checkReturnURL accepts an absolute https:// URL (http:// on loopback)
// without user info. Unlike a base URL it may carry a query.
func checkReturnURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("return URL %q must be an absolute https:// URL", clean(raw))
	}
	if u.User != nil {
		return errors.New("return URL must not carry a user name or password")
	}
	if u.Scheme == "http" && !providers.IsLoopback(u.Hostname()) {
		return fmt.Errorf("return URL %q must use https:// (plain http is only allowed for loopback hosts)", clean(raw))
	}
	return nil
}

// isSecretKey reports whether a key names a credential: token, api_key,
// apikey, password, secret and their spellings (access-token, API_KEY,
// client_secret, ...).
func isSecretKey(k string) bool {
	s := strings.ToLower(k)
	s = strings.NewReplacer("_", "", "-", "", ".", "", " ", "").Replace(s)
	if s == "passwd" || s == "pwd" {
		return true
	}
	for _, suf := range []string{"token", "apikey", "password", "secret"} {
		if strings.HasSuffix(s, suf) {
			return true
		}
	}
	return false
}

// secretMsg explains where a secret goes instead of the config file. It
// never includes the secret.
func secretMsg(account string) string {
	if account == "" {
		return "secrets do not belong in the config file; remove this line and store the token with `signdeck auth login ACCOUNT` (or set SIGNDECK_TOKEN_<ACCOUNT>)"
	}
	return fmt.Sprintf("secrets do not belong in the config file; remove this line and store the token with `signdeck auth login %s` (or set %s)",
		account, keyring.EnvName(account))
}

// suggest returns the known word closest to s when it is close enough to
// be a likely typo, else "".
func suggest(s string, known []string) string {
	norm := func(x string) string { return strings.ReplaceAll(strings.ToLower(x), "-", "_") }
	ns := norm(s)
	best, bestD := "", 1<<30
	for _, k := range known {
		d := levenshtein(ns, norm(k))
		if d < bestD {
			best, bestD = k, d
		}
	}
	limit := 2
	if utf8.RuneCountInString(s) <= 4 {
		limit = 1
	}
	if bestD <= limit {
		return best
	}
	// A truncated key, like "refresh" for refresh_interval.
	if utf8.RuneCountInString(ns) >= 4 {
		for _, k := range known {
			if strings.HasPrefix(norm(k), ns) {
				return k
			}
		}
	}
	return ""
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names a node's kind, or quotes a scalar (shortened and cleaned
// for the terminal), for "got ..." messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		return strconv.Quote(clean(n.Value))
	}
	return "an unexpected YAML node"
}

// clean makes s safe and short enough to quote in a message.
func clean(s string) string {
	s = models.CleanText(s)
	if utf8.RuneCountInString(s) > 60 {
		s = string([]rune(s)[:57]) + "..."
	}
	return s
}

func join(path, key string) string {
	key = clean(key)
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }
