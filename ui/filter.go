package ui

import (
	"maps"
	"strings"

	"github.com/signdeck/signdeck/models"
)

// query is a parsed filter: every term must match (AND). Plain terms match
// the title, id, account, provider, status and signers; qualifiers narrow
// one field. Matching is smart-case: case-insensitive unless the term holds
// an uppercase letter. A leading '-' negates a term.
type query struct {
	terms []term
}

type termKind = models.FilterKind

const (
	termText     = models.FilterText
	termStatus   = models.FilterStatus
	termAccount  = models.FilterAccount
	termProvider = models.FilterProvider
	termSigner   = models.FilterSigner
	// termLens is a view's own test (expiring, stalled), never typed: the
	// active table adds it to the filter while the view is shown (lens.go).
	termLens termKind = 100
)

type term struct {
	kind     termKind
	text     string // as typed (for case-sensitive terms) or lowercased
	cased    bool
	negate   bool
	statuses map[models.Status]bool
	kinds    map[models.ProviderKind]bool
	// termLens: which test, and the clock and window it uses, with the
	// bounds models gives for them (unix nanos: lensLo <= t < lensHi for
	// expiring, t <= lensHi for stalled).
	lens           lensKind
	lensNow        int64
	lensDays       int
	lensLo, lensHi int64
}

func (q query) empty() bool { return len(q.terms) == 0 }

// parseQuery reads a filter string (models.ParseFilter: the CLI and the
// config read the same language). Errors name the offending term.
func parseQuery(s string) (query, error) {
	f, err := models.ParseFilter(s)
	if err != nil {
		return query{}, err
	}
	return queryOf(f), nil
}

func queryOf(f models.Filter) query {
	var q query
	for _, t := range f.Terms {
		q.terms = append(q.terms, term{kind: t.Kind, text: t.Text, cased: t.Cased, negate: t.Negate,
			statuses: t.Statuses, kinds: t.Kinds})
	}
	return q
}

// match reports whether the row satisfies every term. It is the
// reference: loops over many rows use a matcher, which gives the same
// answers faster (a test holds them equal).
func (q query) match(r *row) bool {
	for i := range q.terms {
		t := &q.terms[i]
		if t.hit(r) == t.negate {
			return false
		}
	}
	return true
}

// fields are what a plain term searches, in the row's own case.
func (r *row) fields() []string {
	return []string{r.title, r.id, r.s.Ref.Account, string(r.s.Provider), r.s.Provider.Label(),
		r.acct, r.s.Status.Label(), string(r.s.Status), r.sig}
}

func (t *term) hit(r *row) bool {
	switch t.kind {
	case termLens:
		return t.lensHit(r)
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
			return strings.Contains(r.sig, t.text)
		}
		return strings.Contains(r.sigLow, t.text)
	}
	for _, f := range r.fields() {
		if !t.cased {
			f = strings.ToLower(f)
		}
		if strings.Contains(f, t.text) {
			return true
		}
	}
	return false
}

// matcher is a query prepared for a pass over many rows: what a term
// answers for the few fixed values (a status, an account with its
// provider) is worked out once, so a row costs a lookup for those and a
// substring search of its own text (title and id, signers).
type matcher struct {
	terms []preparedTerm
	accts []*acctState
}

type preparedTerm struct {
	*term
	byStatus [numStatusRanks]bool // the answer for a status rank (rank 0: ask the row)
	byAcct   []bool               // the answer for a row of account ai from its fixed fields
}

// numStatusRanks bounds statusRank (1..len(models.AllStatuses)).
const numStatusRanks = 32

func (m *Model) matcher() *matcher { return m.matcherFor(m.tq()) }

// matcherFor prepares query q over the model's accounts.
func (m *Model) matcherFor(q query) *matcher {
	mt := &matcher{accts: m.accts}
	for i := range q.terms {
		t := &q.terms[i]
		pt := preparedTerm{term: t, byAcct: make([]bool, len(m.accts))}
		for _, st := range models.AllStatuses {
			rk := statusRank[st]
			if rk <= 0 || rk >= numStatusRanks {
				continue
			}
			switch t.kind {
			case termStatus:
				pt.byStatus[rk] = t.statuses[st]
			case termText:
				pt.byStatus[rk] = t.contains(st.Label()) || t.contains(string(st))
			}
		}
		for ai, a := range m.accts {
			acct := a.Kind.Short() + ":" + models.CleanText(a.Name)
			switch t.kind {
			case termProvider:
				pt.byAcct[ai] = t.kinds[a.Kind]
			case termAccount:
				pt.byAcct[ai] = t.contains(a.Name)
			case termText:
				pt.byAcct[ai] = t.contains(a.Name) || t.contains(string(a.Kind)) || t.contains(a.Kind.Label()) || t.contains(acct)
			}
		}
		mt.terms = append(mt.terms, pt)
	}
	return mt
}

// contains is a plain term's test of one field, smart-case.
func (t *term) contains(f string) bool {
	if t.cased {
		return strings.Contains(f, t.text)
	}
	return strings.Contains(strings.ToLower(f), t.text)
}

// fixed reports whether the row's account fields are the account's own,
// so the answers prepared per account hold for it.
func (mt *matcher) fixed(r *row) bool {
	if r.ai < 0 || r.ai >= len(mt.accts) {
		return false
	}
	a := mt.accts[r.ai]
	return r.s.Provider == a.Kind && r.s.Ref.Account == a.Name
}

func (mt *matcher) match(r *row) bool {
	for i := range mt.terms {
		t := &mt.terms[i]
		if t.hitFast(r, mt) == t.negate {
			return false
		}
	}
	return true
}

func (t *preparedTerm) hitFast(r *row, mt *matcher) bool {
	switch t.kind {
	case termStatus:
		if r.st > 0 {
			return t.byStatus[r.st]
		}
	case termProvider, termAccount:
		if mt.fixed(r) {
			return t.byAcct[r.ai]
		}
	case termSigner:
		if t.cased {
			return strings.Contains(r.sig, t.text)
		}
		return strings.Contains(r.sigLow, t.text)
	case termText:
		if r.st <= 0 || !mt.fixed(r) {
			break
		}
		if t.byStatus[r.st] || t.byAcct[r.ai] {
			return true
		}
		if t.cased {
			return strings.Contains(r.title, t.text) || strings.Contains(r.id, t.text) || strings.Contains(r.sig, t.text)
		}
		return strings.Contains(r.low, t.text) || strings.Contains(r.sigLow, t.text)
	}
	return t.hit(r)
}

// equal reports whether two queries are the same.
func (q query) equal(o query) bool {
	if len(q.terms) != len(o.terms) {
		return false
	}
	for i := range q.terms {
		if !q.terms[i].equal(&o.terms[i]) {
			return false
		}
	}
	return true
}

func (t *term) equal(o *term) bool {
	return t.kind == o.kind && t.text == o.text && t.cased == o.cased && t.negate == o.negate &&
		t.lens == o.lens && t.lensNow == o.lensNow && t.lensDays == o.lensDays &&
		maps.Equal(t.statuses, o.statuses) && maps.Equal(t.kinds, o.kinds)
}

// narrows reports whether every row q matches also matches o: q is o with
// terms added, or with a term's text grown (as typing at the end does).
// A filter that narrows the last one need only look at the rows that one
// showed.
func (q query) narrows(o query) bool {
	if len(q.terms) < len(o.terms) {
		return false
	}
	for i := range o.terms {
		n, w := &q.terms[i], &o.terms[i]
		if n.equal(w) {
			continue
		}
		if n.kind != w.kind || n.kind == termLens || n.negate || w.negate || n.cased != w.cased {
			return false
		}
		switch n.kind {
		case termStatus:
			for st := range n.statuses {
				if !w.statuses[st] {
					return false
				}
			}
		case termProvider:
			for k := range n.kinds {
				if !w.kinds[k] {
					return false
				}
			}
		default:
			if !strings.Contains(n.text, w.text) {
				return false
			}
		}
	}
	return true
}
