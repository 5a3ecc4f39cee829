package ui

import (
	"fmt"
	"strings"
)

// KeyProblem is one key rebinding that the dashboard would refuse: Key,
// the Index-th key bound to Action in Options.Keys, clashes with another
// action's key (a default one, when that action is not rebound) or is
// reserved. Index is -1 when the problem has no single key.
type KeyProblem struct {
	Action string
	Index  int
	Key    string
	Msg    string
}

// CheckKeys reports every problem newKeyMap would refuse in a key
// rebinding, with the binding it sits at, so that the CLI can report it as
// a config error with a file position before the dashboard starts. It
// applies the same defaults, scopes and reserved keys as newKeyMap, and
// falls back to newKeyMap's own error when that finds something else.
func CheckKeys(over map[string][]string) []KeyProblem {
	var out []KeyProblem
	type owner struct {
		action string
		index  int // -1 for a default key
	}
	owners := map[int]map[string]owner{scopeMain: {}, scopeAccounts: {}}
	for _, d := range actionDefs {
		ks, rebound := over[d.name]
		if !rebound {
			ks = d.defaults
		}
		for i, k := range ks {
			idx := -1
			if rebound {
				idx = i
			}
			k = strings.TrimSpace(k)
			if why, ok := reservedKeys[k]; ok && rebound {
				out = append(out, KeyProblem{d.name, idx, k, fmt.Sprintf("key %q is reserved for %s", k, why)})
				continue
			}
		scopes:
			for _, scope := range []int{scopeMain, scopeAccounts} {
				if d.scope&scope == 0 {
					continue
				}
				prev, dup := owners[scope][k]
				if !dup {
					owners[scope][k] = owner{d.name, idx}
					continue
				}
				if prev.action == d.name {
					continue
				}
				switch {
				case idx >= 0 && prev.index < 0:
					out = append(out, KeyProblem{d.name, idx, k, fmt.Sprintf(
						"key %q is already bound to %s by default; bind %s to other keys too (keys: %s: [...])", k, prev.action, prev.action, prev.action)})
				case idx < 0 && prev.index >= 0:
					out = append(out, KeyProblem{prev.action, prev.index, k, fmt.Sprintf(
						"key %q is already bound to %s by default; bind %s to other keys too (keys: %s: [...])", k, d.name, d.name, d.name)})
				default:
					out = append(out, KeyProblem{d.name, idx, k, fmt.Sprintf("key %q is bound to both %s and %s", k, prev.action, d.name)})
				}
				break scopes
			}
		}
	}
	if len(out) == 0 {
		if _, err := newKeyMap(over, false); err != nil {
			out = append(out, KeyProblem{Index: -1, Msg: strings.TrimPrefix(err.Error(), "keys: ")})
		}
	}
	return out
}
