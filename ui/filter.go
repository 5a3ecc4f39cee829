package ui

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/signdeck/signdeck/models"
)

// query is a parsed filter: every term must match (AND). Plain terms match
// the title, id, account, provider, status and signers; qualifiers narrow
// one field. Matching is smart-case: case-insensitive unless the term holds
// an uppercase letter. A leading '-' negates a term.
type query struct {
	terms []term
}

type termKind int

const (
	termText termKind = iota
	termStatus
	termAccount
	termProvider
	termSigner
)

type term struct {
	kind     termKind
	text     string // as typed (for case-sensitive terms) or lowercased
	cased    bool
	negate   bool
	statuses map[models.Status]bool
	kinds    map[models.ProviderKind]bool
}

func (q query) empty() bool { return len(q.terms) == 0 }

// parseQuery reads a filter string. Errors name the offending term.
func parseQuery(s string) (query, error) {
	var q query
	for _, f := range strings.Fields(s) {
		t := term{}
		if len(f) > 1 && f[0] == '-' {
			t.negate, f = true, f[1:]
		}
		name, val, hasQual := strings.Cut(f, ":")
		kind := termText
		if hasQual {
			switch strings.ToLower(name) {
			case "status", "is":
				kind = termStatus
			case "account", "acct":
				kind = termAccount
			case "provider":
				kind = termProvider
			case "signer":
				kind = termSigner
			default:
				hasQual = false // "foo:bar" is plain text (ids may hold colons)
			}
		}
		if !hasQual {
			val = f
		} else if val == "" {
			return query{}, fmt.Errorf("%s: needs a value, like %s", name, qualExample(kind))
		}
		t.kind = kind
		switch kind {
		case termStatus:
			st, err := parseStatuses(val)
			if err != nil {
				return query{}, fmt.Errorf("status: %v", err)
			}
			t.statuses = st
		case termProvider:
			k, err := parseKinds(val)
			if err != nil {
				return query{}, fmt.Errorf("provider: %v", err)
			}
			t.kinds = k
		default:
			t.cased = hasUpper(val)
			if t.cased {
				t.text = val
			} else {
				t.text = strings.ToLower(val)
			}
		}
		q.terms = append(q.terms, t)
	}
	return q, nil
}

func qualExample(k termKind) string {
	switch k {
	case termStatus:
		return "status:awaiting"
	case termAccount:
		return "account:acme"
	case termProvider:
		return "provider:dropboxsign"
	}
	return "signer:ana"
}

func hasUpper(s string) bool {
	for _, r := range s {
		if unicode.IsUpper(r) {
			return true
		}
	}
	return false
}

// parseStatuses reads a comma-separated list of statuses, each the stable
// form, the label, or a prefix of either (models.ParseStatus).
func parseStatuses(v string) (map[models.Status]bool, error) {
	out := map[models.Status]bool{}
	for _, p := range strings.Split(v, ",") {
		if p == "" {
			continue
		}
		st, err := models.ParseStatus(p)
		if err != nil {
			return nil, err
		}
		out[st] = true
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty status")
	}
	return out, nil
}

func normLabel(s string) string {
	return strings.NewReplacer(" ", "", "_", "", "-", "").Replace(strings.ToLower(strings.TrimSpace(s)))
}

func parseKinds(v string) (map[models.ProviderKind]bool, error) {
	out := map[models.ProviderKind]bool{}
	for _, p := range strings.Split(strings.ToLower(v), ",") {
		if p == "" {
			continue
		}
		n := normLabel(p)
		var found []models.ProviderKind
		for _, k := range models.ProviderKinds {
			if strings.HasPrefix(string(k), n) || strings.HasPrefix(normLabel(k.Label()), n) || k.Short() == n {
				found = append(found, k)
			}
		}
		if len(found) != 1 {
			names := make([]string, 0, 2*len(models.ProviderKinds))
			for _, k := range models.ProviderKinds {
				names = append(names, string(k), k.Short())
			}
			return nil, fmt.Errorf("unknown provider %q (want one of %s)", models.CleanText(p), strings.Join(names, ", "))
		}
		out[found[0]] = true
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty provider")
	}
	return out, nil
}

// match reports whether the row satisfies every term.
func (q query) match(r *row) bool {
	for i := range q.terms {
		t := &q.terms[i]
		if t.hit(r) == t.negate {
			return false
		}
	}
	return true
}

func (t *term) hit(r *row) bool {
	switch t.kind {
	case termStatus:
		return t.statuses[r.s.Status]
	case termProvider:
		return t.kinds[r.s.Provider]
	case termAccount:
		if t.cased {
			return strings.Contains(r.s.Ref.Account, t.text)
		}
		return strings.Contains(strings.ToLower(r.s.Ref.Account), t.text)
	case termSigner:
		if t.cased {
			return strings.Contains(r.signers, t.text)
		}
		return strings.Contains(r.signersLower, t.text)
	}
	if t.cased {
		return strings.Contains(r.text, t.text)
	}
	return strings.Contains(r.lower, t.text)
}
