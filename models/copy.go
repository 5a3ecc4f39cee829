package models

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// CopySigner is one signer of the new session in a copy. ID names the
// source signer it keeps or edits; it is empty for a newly added signer.
type CopySigner struct {
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Email     string `json:"email"`
	Role      string `json:"role,omitempty"`
	Order     int    `json:"order"`
}

// FullName returns Name, or first and last name joined.
func (c CopySigner) FullName() string {
	if n := strings.TrimSpace(c.Name); n != "" {
		return n
	}
	return strings.TrimSpace(strings.TrimSpace(c.FirstName) + " " + strings.TrimSpace(c.LastName))
}

// SplitName returns first and last name: the explicit fields when set,
// else Name split at its last space ("Mary Ann Smith" is "Mary Ann",
// "Smith").
//
// A one-word name is a last name ("Cher" is "", "Cher"). That is
// deliberate: Constellation1 requires a last name and makes the first name
// optional ("while signer first names are not required last names and
// email addresses are required", reference §6.5), so a mononym sent as
// the last name is accepted, while sent as a first name it would be
// refused with "All signers must have a last name". CopyLimits
// .RequireLastName therefore only catches a signer given an explicit
// FirstName and no LastName. Dropbox Sign takes one full name
// (FullName), so the split does not matter there.
func (c CopySigner) SplitName() (first, last string) {
	first, last = strings.TrimSpace(c.FirstName), strings.TrimSpace(c.LastName)
	if first != "" || last != "" {
		return first, last
	}
	n := strings.TrimSpace(c.Name)
	if i := strings.LastIndexByte(n, ' '); i > 0 {
		return strings.TrimSpace(n[:i]), strings.TrimSpace(n[i+1:])
	}
	return "", n
}

// CopyOptions are the provider options of a copy.
type CopyOptions struct {
	// TestMode sends the copy as a test request (Dropbox Sign). Nil keeps
	// the account's or the source's setting.
	TestMode *bool `json:"test_mode,omitempty"`
	// CancelOriginal cancels the source once the copy exists.
	CancelOriginal bool `json:"cancel_original,omitempty"`
	// RetainFields keeps the placed fields (Constellation1).
	RetainFields bool `json:"retain_fields"`
	// TransactionID moves the copy to another transaction (Constellation1);
	// empty keeps the source's.
	TransactionID string `json:"transaction_id,omitempty"`
	// AllowSignedSource copies a source some signers have already signed
	// (or a completed one) by its current document, which carries those
	// signatures (Dropbox Sign's file route). Without it such a copy is
	// refused with the reason.
	AllowSignedSource bool `json:"allow_signed_source,omitempty"`
}

// CopySpec describes a copy of a session with an edited signer list.
type CopySpec struct {
	Source  Ref          `json:"source"`
	Signers []CopySigner `json:"signers"`
	// Title, Subject and Message override the source's when non-nil.
	Title   *string     `json:"title,omitempty"`
	Subject *string     `json:"subject,omitempty"`
	Message *string     `json:"message,omitempty"`
	Options CopyOptions `json:"options"`
	// OperationID is a client-generated id that marks the new session, so
	// an ambiguous failure can be resolved by searching for it instead of
	// sending twice. Providers fill it when empty.
	OperationID string `json:"operation_id,omitempty"`
}

// CopyLimits are a provider's constraints on a copy.
type CopyLimits struct {
	MaxSigners int // 0: no limit
	MaxTitle   int // characters; 0: no limit
	MaxSubject int // characters; 0: no limit
	MaxMessage int // characters; 0: no limit
	MaxName    int // characters per name; 0: no limit
	// RequireLastName: each signer needs a last name (Constellation1). A
	// one-word name counts as a last name (see CopySigner.SplitName).
	RequireLastName bool
}

// FieldError is a validation error that names the offending field with a
// path such as "signers[1].email".
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Msg }

// ValidationErrors collects every problem found, in field order.
type ValidationErrors []*FieldError

func (v ValidationErrors) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// For returns the errors whose path starts with prefix.
func (v ValidationErrors) For(prefix string) []*FieldError {
	var out []*FieldError
	for _, e := range v {
		if strings.HasPrefix(e.Path, prefix) {
			out = append(out, e)
		}
	}
	return out
}

// ValidateEmail checks a single bare email address ("ana@example.com").
func ValidateEmail(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return errors.New("email is empty")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return fmt.Errorf("%q is not a valid email address", CleanText(s))
	}
	if a.Address != s || a.Name != "" {
		return fmt.Errorf("%q: give the bare address, like ana@example.com", CleanText(s))
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") {
		return fmt.Errorf("%q: the domain needs a dot, like example.com", CleanText(s))
	}
	return nil
}

// ParseSignerArg reads a command-line signer written "Name <email>" or a
// bare email.
func ParseSignerArg(s string) (CopySigner, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return CopySigner{}, errors.New("signer is empty: want \"Name <email>\"")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return CopySigner{}, fmt.Errorf("signer %q: want \"Name <email>\"", CleanText(s))
	}
	return CopySigner{Name: strings.TrimSpace(a.Name), Email: a.Address}, nil
}

// Validate checks the spec against the provider's limits. It returns
// ValidationErrors that name every offending field, or nil.
func (c *CopySpec) Validate(lim CopyLimits) error {
	var errs ValidationErrors
	add := func(path, format string, args ...any) {
		errs = append(errs, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if c.Source.Account == "" || c.Source.ID == "" {
		add("source", "the source session is not set")
	}
	checkLen := func(path string, p *string, max int) {
		if p == nil || max <= 0 {
			return
		}
		if n := utf8.RuneCountInString(*p); n > max {
			add(path, "is %d characters long; the provider allows %d", n, max)
		}
	}
	if c.Title != nil && strings.TrimSpace(*c.Title) == "" {
		add("title", "is empty")
	}
	checkLen("title", c.Title, lim.MaxTitle)
	checkLen("subject", c.Subject, lim.MaxSubject)
	checkLen("message", c.Message, lim.MaxMessage)
	if len(c.Signers) == 0 {
		add("signers", "at least one signer is needed")
	}
	if lim.MaxSigners > 0 && len(c.Signers) > lim.MaxSigners {
		add("signers", "%d signers; the provider allows %d", len(c.Signers), lim.MaxSigners)
	}
	seen := map[string]int{}
	for i, s := range c.Signers {
		p := fmt.Sprintf("signers[%d]", i)
		name := s.FullName()
		if name == "" {
			add(p+".name", "is empty")
		} else if lim.MaxName > 0 && utf8.RuneCountInString(name) > lim.MaxName {
			add(p+".name", "is %d characters long; the provider allows %d", utf8.RuneCountInString(name), lim.MaxName)
		}
		if strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			add(p+".name", "holds control characters")
		}
		if lim.RequireLastName && name != "" {
			if first, last := s.SplitName(); last == "" {
				msg := "is empty (the provider requires a last name)"
				if !strings.Contains(strings.TrimSpace(first), " ") {
					// A one-word name: the provider takes it as a last name.
					msg = "is empty: a one-word name goes in Last"
				}
				add(p+".last_name", "%s", msg)
			}
		}
		if err := ValidateEmail(s.Email); err != nil {
			add(p+".email", "%s", err.Error())
		} else {
			key := strings.ToLower(strings.TrimSpace(s.Email))
			if j, dup := seen[key]; dup {
				add(p+".email", "%s is already signer %d", s.Email, j+1)
			} else {
				seen[key] = i
			}
		}
		if s.Order < 0 {
			add(p+".order", "is negative")
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// SignerChange is one line of a copy's signer diff.
type SignerChange struct {
	Kind   string // "kept", "changed", "added", "removed"
	Before *Signer
	After  *CopySigner
}

// DiffSigners compares the source's signers with a copy's signer list.
// Signers are matched by ID; an entry without an ID is added.
func DiffSigners(before []Signer, after []CopySigner) []SignerChange {
	byID := map[string]int{}
	for i, s := range before {
		if s.ID != "" {
			byID[s.ID] = i
		}
	}
	used := map[int]bool{}
	var out []SignerChange
	for i := range after {
		a := &after[i]
		j, ok := byID[a.ID]
		if a.ID == "" || !ok || used[j] {
			out = append(out, SignerChange{Kind: "added", After: a})
			continue
		}
		used[j] = true
		b := &before[j]
		kind := "kept"
		if !strings.EqualFold(strings.TrimSpace(b.Email), strings.TrimSpace(a.Email)) ||
			b.DisplayName() != a.FullName() || b.Order != a.Order {
			kind = "changed"
		}
		out = append(out, SignerChange{Kind: kind, Before: b, After: a})
	}
	for i := range before {
		if !used[i] {
			out = append(out, SignerChange{Kind: "removed", Before: &before[i]})
		}
	}
	return out
}

// CopySignersFrom turns a session's signers into a copy's signer list that
// keeps them all.
func CopySignersFrom(s *Session) []CopySigner {
	out := make([]CopySigner, len(s.Signers))
	for i, g := range s.Signers {
		out[i] = CopySigner{ID: g.ID, Name: g.Name, FirstName: g.FirstName, LastName: g.LastName,
			Email: g.Email, Role: g.Role, Order: g.Order}
	}
	return out
}
