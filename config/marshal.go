package config

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/signdeck/signdeck/models"
)

// Marshal writes c as a config file that Parse reads back to the same
// Config (apart from Path). Settings equal to their defaults (base_url,
// return_url) are left out; ui is always written. Marshal refuses a Config
// that Parse would reject, returning the problems found in the output.
func Marshal(c *Config) ([]byte, error) {
	root := mapping()

	accts := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	if len(c.Accounts) == 0 {
		accts.Style = yaml.FlowStyle
	}
	for _, a := range c.Accounts {
		accts.Content = append(accts.Content, accountNode(a))
	}
	put(root, "accounts", accts)

	ui := mapping()
	put(ui, "refresh_interval", scalar("", formatDuration(c.UI.RefreshInterval)))
	put(ui, "readonly", boolNode(c.UI.Readonly))
	if c.UI.Mouse {
		put(ui, "mouse", boolNode(true))
	}
	if c.UI.Theme != "" {
		put(ui, "theme", str(c.UI.Theme))
	}
	if c.UI.ExpiringDays != 0 {
		put(ui, "expiring_days", scalar("!!int", strconv.Itoa(c.UI.ExpiringDays)))
	}
	if c.UI.StalledDays != 0 {
		put(ui, "stalled_days", scalar("!!int", strconv.Itoa(c.UI.StalledDays)))
	}
	put(root, "ui", ui)

	if len(c.Views) > 0 {
		views := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, v := range c.Views {
			m := mapping()
			put(m, "name", str(v.Name))
			put(m, "filter", str(v.Filter))
			views.Content = append(views.Content, m)
		}
		put(root, "views", views)
	}

	if len(c.Keys) > 0 {
		keys := mapping()
		for _, action := range keyOrder(c.Keys) {
			ks := c.Keys[action]
			if len(ks) == 1 {
				put(keys, action, str(ks[0]))
				continue
			}
			put(keys, action, strList(ks))
		}
		put(root, "keys", keys)
	}

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("config: marshal: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("config: marshal: %w", err)
	}
	if _, err := Parse("marshaled config", buf.Bytes()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func accountNode(a Account) *yaml.Node {
	m := mapping()
	put(m, "name", str(a.Name))
	put(m, "provider", str(string(a.Provider)))
	if a.BaseURL != "" && a.BaseURL != DefaultBaseURL(a.Provider) {
		put(m, "base_url", str(a.BaseURL))
	}
	switch a.Provider {
	case models.DropboxSign:
		put(m, "test_mode", boolNode(a.TestMode))
		put(m, "team", boolNode(a.Team))
	case models.Constellation1:
		put(m, "username", str(a.Username))
		put(m, "transactions", strList(a.Transactions))
		if a.ReturnURL != "" && a.ReturnURL != DefaultReturnURL {
			put(m, "return_url", str(a.ReturnURL))
		}
	default:
		// Not a valid account; write what it holds so that Parse names the
		// problem.
		if a.TestMode {
			put(m, "test_mode", boolNode(true))
		}
		if a.Team {
			put(m, "team", boolNode(true))
		}
		if a.Username != "" {
			put(m, "username", str(a.Username))
		}
		if len(a.Transactions) > 0 {
			put(m, "transactions", strList(a.Transactions))
		}
		if a.ReturnURL != "" {
			put(m, "return_url", str(a.ReturnURL))
		}
	}
	return m
}

// keyOrder lists the actions of keys in KeyActions order, then any others
// sorted (Parse will reject those).
func keyOrder(keys map[string][]string) []string {
	var out, other []string
	for _, a := range KeyActions {
		if _, ok := keys[a]; ok {
			out = append(out, a)
		}
	}
	for a := range keys {
		if !slices.Contains(KeyActions, a) {
			other = append(other, a)
		}
	}
	sort.Strings(other)
	return append(out, other...)
}

// formatDuration writes d the way Parse reads it: "0", "60s", or Go's
// duration syntax for sub-second parts.
func formatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }

func scalar(tag, v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v} }

// str is a string scalar; the encoder quotes it when it would otherwise
// read back as another type ("true", "123").
func str(s string) *yaml.Node { return scalar("!!str", s) }

func boolNode(b bool) *yaml.Node { return scalar("!!bool", strconv.FormatBool(b)) }

func strList(ss []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, s := range ss {
		n.Content = append(n.Content, str(s))
	}
	return n
}

func put(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, str(key), v)
}
