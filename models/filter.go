package models

import (
	"fmt"
	"strings"
	"unicode"
)

// Filter is a parsed filter string (the dashboard's `/` filter and saved
// views in the config): every term must match (AND). Plain terms match the
// title, id, account, provider, status and signers; qualifiers narrow one
// field (status:, is:, account:, acct:, provider:, signer:). Matching is
// smart-case: case-insensitive unless the term holds an uppercase letter.
// A leading '-' negates a term.
type Filter struct {
	Terms []FilterTerm
}

// FilterKind is what a filter term tests.
type FilterKind int

// The filter term kinds.
const (
	FilterText FilterKind = iota
	FilterStatus
	FilterAccount
	FilterProvider
	FilterSigner
)

// FilterTerm is one word of a filter.
type FilterTerm struct {
	Kind     FilterKind
	Text     string // as typed (Cased) or lowercased
	Cased    bool
	Negate   bool
	Statuses map[Status]bool       // FilterStatus
	Kinds    map[ProviderKind]bool // FilterProvider
}

// ParseFilter reads a filter string. Errors name the offending term.
func ParseFilter(s string) (Filter, error) {
	var q Filter
	for _, f := range strings.Fields(s) {
		t := FilterTerm{}
		if len(f) > 1 && f[0] == '-' {
			t.Negate, f = true, f[1:]
		}
		name, val, hasQual := strings.Cut(f, ":")
		kind := FilterText
		if hasQual {
			switch strings.ToLower(name) {
			case "status", "is":
				kind = FilterStatus
			case "account", "acct":
				kind = FilterAccount
			case "provider":
				kind = FilterProvider
			case "signer":
				kind = FilterSigner
			default:
				hasQual = false // "foo:bar" is plain text (ids may hold colons)
			}
		}
		if !hasQual {
			val = f
		} else if val == "" {
			return Filter{}, fmt.Errorf("%s: needs a value, like %s", name, qualExample(kind))
		}
		t.Kind = kind
		switch kind {
		case FilterStatus:
			st, err := parseStatuses(val)
			if err != nil {
				return Filter{}, fmt.Errorf("status: %v", err)
			}
			t.Statuses = st
		case FilterProvider:
			k, err := parseKinds(val)
			if err != nil {
				return Filter{}, fmt.Errorf("provider: %v", err)
			}
			t.Kinds = k
		default:
			t.Cased = hasUpper(val)
			if t.Cased {
				t.Text = val
			} else {
				t.Text = strings.ToLower(val)
			}
		}
		q.Terms = append(q.Terms, t)
	}
	return q, nil
}

func qualExample(k FilterKind) string {
	switch k {
	case FilterStatus:
		return "status:awaiting"
	case FilterAccount:
		return "account:acme"
	case FilterProvider:
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
// form, the label, or a prefix of either (ParseStatus).
func parseStatuses(v string) (map[Status]bool, error) {
	out := map[Status]bool{}
	for _, p := range strings.Split(v, ",") {
		if p == "" {
			continue
		}
		st, err := ParseStatus(p)
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

func parseKinds(v string) (map[ProviderKind]bool, error) {
	out := map[ProviderKind]bool{}
	for _, p := range strings.Split(strings.ToLower(v), ",") {
		if p == "" {
			continue
		}
		n := normLabel(p)
		var found []ProviderKind
		for _, k := range ProviderKinds {
			if strings.HasPrefix(string(k), n) || strings.HasPrefix(normLabel(k.Label()), n) || k.Short() == n {
				found = append(found, k)
			}
		}
		if len(found) != 1 {
			names := make([]string, 0, 2*len(ProviderKinds))
			for _, k := range ProviderKinds {
				names = append(names, string(k), k.Short())
			}
			return nil, fmt.Errorf("unknown provider %q (want one of %s)", CleanText(p), strings.Join(names, ", "))
		}
		out[found[0]] = true
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty provider")
	}
	return out, nil
}

// Match reports whether the session satisfies every term. The dashboard
// keeps a faster matcher over its rows that gives the same answers (a ui
// test holds them equal); the CLI uses this one.
func (q Filter) Match(s *Session) bool {
	if len(q.Terms) == 0 {
		return true
	}
	sig := s.signerText()
	sigLow := strings.ToLower(sig)
	title := CleanText(s.Title)
	if title == "" {
		title = "(untitled)"
	}
	fields := []string{title, CleanText(s.Ref.ID), s.Ref.Account, string(s.Provider), s.Provider.Label(),
		s.Provider.Short() + ":" + CleanText(s.Ref.Account), s.Status.Label(), string(s.Status), sig}
	for i := range q.Terms {
		t := &q.Terms[i]
		if t.hit(s, fields, sig, sigLow) == t.Negate {
			return false
		}
	}
	return true
}

// signerText is what signer: and plain terms search in the signers: each
// signer's display name and email, cleaned, each followed by a space.
func (s *Session) signerText() string {
	var sb strings.Builder
	for _, g := range s.Signers {
		sb.WriteString(CleanText(g.DisplayName()))
		sb.WriteByte(' ')
		sb.WriteString(CleanText(g.Email))
		sb.WriteByte(' ')
	}
	return sb.String()
}

func (t *FilterTerm) hit(s *Session, fields []string, sig, sigLow string) bool {
	switch t.Kind {
	case FilterStatus:
		return t.Statuses[s.Status]
	case FilterProvider:
		return t.Kinds[s.Provider]
	case FilterAccount:
		return t.contains(s.Ref.Account)
	case FilterSigner:
		if t.Cased {
			return strings.Contains(sig, t.Text)
		}
		return strings.Contains(sigLow, t.Text)
	}
	for _, f := range fields {
		if t.contains(f) {
			return true
		}
	}
	return false
}

func (t *FilterTerm) contains(f string) bool {
	if t.Cased {
		return strings.Contains(f, t.Text)
	}
	return strings.Contains(strings.ToLower(f), t.Text)
}
