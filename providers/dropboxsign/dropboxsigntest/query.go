package dropboxsigntest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The list `query` syntax, as the vendor's search guide describes it:
// field:value terms (a term without a field matches to, from, title,
// subject, message, metadata and filename), combined with AND / OR (case-
// sensitive; AND binds tighter), a value running over the following bare
// words ("title:Field Trip Release AND from:me"), "quoted values",
// created:[min TO max] / {min TO max} date ranges, a trailing * wildcard,
// and leading wildcards refused.

type term struct {
	field string // "" for any text field
	value string
	lo    time.Time // created ranges
	hi    time.Time
	incl  bool
}

// query is an OR of AND groups.
type query [][]term

var searchFields = map[string]bool{
	"to": true, "from": true, "title": true, "subject": true, "message": true, "metadata": true,
	"created": true, "complete": true, "declined": true, "awaiting_my_signature": true,
	"test_mode": true, "filename": true, "template": true,
}

func tokenize(s string) ([]string, error) {
	var toks []string
	var cur strings.Builder
	inQuote := false
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '"':
			inQuote = !inQuote
			cur.WriteRune(r)
		case !inQuote && (r == ' ' || r == '\t' || r == '\n'):
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	if inQuote {
		return nil, errors.New("unbalanced quote in query")
	}
	flush()
	return toks, nil
}

func parseQuery(s string) (query, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	var q query
	var group []term
	var cur *term
	closeTerm := func() {
		if cur != nil {
			group = append(group, *cur)
			cur = nil
		}
	}
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		switch tok {
		case "AND":
			closeTerm()
			continue
		case "OR":
			closeTerm()
			if len(group) > 0 {
				q = append(q, group)
			}
			group = nil
			continue
		}
		field, value, hasField := strings.Cut(tok, ":")
		if hasField && searchFields[field] {
			closeTerm()
			if field == "created" && (strings.HasPrefix(value, "[") || strings.HasPrefix(value, "{")) {
				// Consume the range up to its closing bracket.
				rng := value
				for !strings.HasSuffix(rng, "]") && !strings.HasSuffix(rng, "}") && i+1 < len(toks) {
					i++
					rng += " " + toks[i]
				}
				t, err := parseRange(rng)
				if err != nil {
					return nil, err
				}
				group = append(group, t)
				continue
			}
			cur = &term{field: field, value: unquote(value)}
		} else if cur != nil && !strings.HasPrefix(tok, "\"") {
			cur.value = strings.TrimSpace(cur.value + " " + tok)
		} else {
			closeTerm()
			cur = &term{value: unquote(tok)}
		}
		if strings.HasPrefix(cur.value, "*") {
			return nil, fmt.Errorf("leading wildcards are not allowed: %q", tok)
		}
	}
	closeTerm()
	if len(group) > 0 {
		q = append(q, group)
	}
	return q, nil
}

func unquote(s string) string {
	if len(s) >= 2 && strings.HasPrefix(s, "\"") && strings.HasSuffix(s, "\"") {
		return s[1 : len(s)-1]
	}
	return s
}

func parseRange(s string) (term, error) {
	incl := strings.HasPrefix(s, "[")
	inner := strings.TrimSpace(s[1 : len(s)-1])
	lo, hi, ok := strings.Cut(inner, " TO ")
	if !ok {
		return term{}, fmt.Errorf("date range %q: want [min TO max]", s)
	}
	parse := func(v string) (time.Time, error) {
		v = strings.TrimSpace(v)
		if v == "*" {
			return time.Time{}, nil
		}
		return time.Parse("2006-01-02", v)
	}
	l, err := parse(lo)
	if err != nil {
		return term{}, fmt.Errorf("date range %q: %v", s, err)
	}
	h, err := parse(hi)
	if err != nil {
		return term{}, fmt.Errorf("date range %q: %v", s, err)
	}
	if !h.IsZero() {
		h = h.Add(24*time.Hour - time.Second) // the whole last day
	}
	return term{field: "created", lo: l, hi: h, incl: incl}, nil
}

// match reports whether r satisfies q; owner is the account's email ("me").
func (q query) match(r *SignatureRequest, owner string) bool {
	if len(q) == 0 {
		return true
	}
	for _, group := range q {
		ok := true
		for _, t := range group {
			if !t.match(r, owner) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func contains(haystack, needle string) bool {
	return strings.Contains(strings.ToLower(haystack), needle)
}

func (t term) match(r *SignatureRequest, owner string) bool {
	v := strings.ToLower(strings.TrimSuffix(t.value, "*"))
	boolVal := func(b bool) bool { return (v == "true" || v == "1") == b }
	person := func(email, name string) bool {
		if v == "me" {
			return strings.EqualFold(email, owner)
		}
		return contains(email, v) || contains(name, v)
	}
	to := func() bool {
		for _, s := range r.Signatures {
			name := ""
			if s.SignerName != nil {
				name = *s.SignerName
			}
			if person(s.SignerEmailAddress, name) {
				return true
			}
		}
		return false
	}
	from := func() bool {
		req := ""
		if r.RequesterEmailAddress != nil {
			req = *r.RequesterEmailAddress
		}
		return person(req, "")
	}
	meta := func() bool {
		for k, val := range r.Metadata {
			if contains(k, v) || contains(metaString(val), v) {
				return true
			}
		}
		return false
	}
	text := func(p *string) bool { return p != nil && contains(*p, v) }
	switch t.field {
	case "to":
		return to()
	case "from":
		return from()
	case "title":
		return contains(r.Title, v)
	case "subject":
		return text(r.Subject)
	case "message":
		return text(r.Message)
	case "metadata":
		return meta()
	case "filename":
		return contains(r.OriginalTitle, v)
	case "template":
		for _, id := range r.TemplateIDs {
			if strings.EqualFold(id, v) {
				return true
			}
		}
		return false
	case "complete":
		return boolVal(r.IsComplete)
	case "declined":
		return boolVal(r.IsDeclined)
	case "test_mode":
		return boolVal(r.TestMode)
	case "awaiting_my_signature":
		mine := false
		for _, s := range r.Signatures {
			if strings.EqualFold(s.SignerEmailAddress, owner) && s.StatusCode == "awaiting_signature" {
				mine = true
			}
		}
		return boolVal(mine)
	case "created":
		c := time.Unix(r.CreatedAt, 0)
		if !t.lo.IsZero() && (c.Before(t.lo) || (!t.incl && c.Equal(t.lo))) {
			return false
		}
		if !t.hi.IsZero() && (c.After(t.hi) || (!t.incl && c.Equal(t.hi))) {
			return false
		}
		return true
	}
	return to() || from() || contains(r.Title, v) || text(r.Subject) || text(r.Message) || meta() || contains(r.OriginalTitle, v)
}

func metaString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}
