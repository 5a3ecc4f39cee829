package models

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// ProviderKind names an e-signature provider.
type ProviderKind string

// The supported providers.
const (
	DropboxSign    ProviderKind = "dropboxsign"
	Constellation1 ProviderKind = "constellation1"
)

// ProviderKinds lists the supported providers.
var ProviderKinds = []ProviderKind{DropboxSign, Constellation1}

// Valid reports whether k is a supported provider.
func (k ProviderKind) Valid() bool { return k == DropboxSign || k == Constellation1 }

// Label is the provider's display name.
func (k ProviderKind) Label() string {
	switch k {
	case DropboxSign:
		return "Dropbox Sign"
	case Constellation1:
		return "Constellation1"
	}
	return string(k)
}

// Short is a compact display name for narrow table columns.
func (k ProviderKind) Short() string {
	switch k {
	case DropboxSign:
		return "dbx"
	case Constellation1:
		return "c1"
	}
	return string(k)
}

var accountNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// ValidateAccountName checks an account name against [A-Za-z0-9._-]+.
func ValidateAccountName(name string) error {
	if name == "" {
		return fmt.Errorf("account name is empty")
	}
	if !accountNameRE.MatchString(name) {
		return fmt.Errorf("account name %q may only hold letters, digits, '.', '_' and '-'", CleanText(name))
	}
	return nil
}

// Ref identifies a session: the configured account it belongs to and the
// provider's own id. It is written ACCOUNT/ID.
type Ref struct {
	Account string `json:"account"`
	ID      string `json:"id"`
}

// String writes the ref as ACCOUNT/ID.
func (r Ref) String() string { return r.Account + "/" + r.ID }

// Key is a map key that is unique across accounts.
func (r Ref) Key() string { return r.String() }

// ParseRef reads ACCOUNT/ID. The id is everything after the first slash.
func ParseRef(s string) (Ref, error) {
	acct, id, ok := strings.Cut(s, "/")
	if !ok {
		return Ref{}, fmt.Errorf("session reference %q: want ACCOUNT/ID", CleanText(s))
	}
	if err := ValidateAccountName(acct); err != nil {
		return Ref{}, fmt.Errorf("session reference %q: %w", CleanText(s), err)
	}
	id = strings.TrimSpace(id)
	if id == "" {
		return Ref{}, fmt.Errorf("session reference %q: the id after %q is empty", CleanText(s), acct+"/")
	}
	for _, r := range id {
		if r < 0x21 || r == 0x7f {
			return Ref{}, fmt.Errorf("session reference %q: the id holds spaces or control characters", CleanText(s))
		}
	}
	return Ref{Account: acct, ID: id}, nil
}

// Session is one signing session (Constellation1) or signature request
// (Dropbox Sign) in neutral form. Zero times mean "absent".
type Session struct {
	Ref      Ref          `json:"ref"`
	Provider ProviderKind `json:"provider"`
	Title    string       `json:"title"`
	Subject  string       `json:"subject,omitempty"`
	Message  string       `json:"message,omitempty"`
	Status   Status       `json:"status"`
	// RawStatus keeps the vendor's own status text or code for display when
	// the mapping had to guess.
	RawStatus     string            `json:"raw_status,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
	ExpiresAt     time.Time         `json:"expires_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
	Signers       []Signer          `json:"signers"`
	CC            []string          `json:"cc,omitempty"`
	URL           string            `json:"url,omitempty"`
	Metadata      map[string]string `json:"metadata,omitempty"`
	TransactionID string            `json:"transaction_id,omitempty"`
	TestMode      bool              `json:"test_mode,omitempty"`
	// TemplateIDs lists the templates the session was created from (Dropbox Sign).
	TemplateIDs []string `json:"template_ids,omitempty"`
	// Requester is the sender's email address, when the provider says.
	Requester string `json:"requester,omitempty"`
	// ActionLog is the provider's audit trail, when loaded (Constellation1).
	ActionLog []LogEntry `json:"action_log,omitempty"`
	// Warnings carries non-fatal warnings the provider returned.
	Warnings []string `json:"warnings,omitempty"`
	// Complete is true when the provider returned the full session; a list
	// row may be a lite summary whose signers are not known yet.
	Complete bool `json:"-"`
	// NotCancelable is the provider's reason why this account cannot cancel
	// the session whatever its status (e.g. a teammate sent it), or "".
	NotCancelable string `json:"not_cancelable,omitempty"`
}

// CancelBlockedReason says why the account that listed the session cannot
// cancel it (its status, or NotCancelable), or returns "" when it can.
func (s *Session) CancelBlockedReason() string {
	if r := s.Status.CancelBlockedReason(); r != "" {
		return r
	}
	return s.NotCancelable
}

// SignedCount returns how many signers have signed and how many there are.
func (s *Session) SignedCount() (signed, total int) {
	for _, g := range s.Signers {
		if g.Status == SignerSigned {
			signed++
		}
	}
	return signed, len(s.Signers)
}

// Signer is one person asked to sign.
type Signer struct {
	ID        string       `json:"id,omitempty"`
	Name      string       `json:"name"`
	FirstName string       `json:"first_name,omitempty"`
	LastName  string       `json:"last_name,omitempty"`
	Email     string       `json:"email"`
	Role      string       `json:"role,omitempty"`
	Order     int          `json:"order"`
	Status    SignerStatus `json:"status"`
	RawStatus string       `json:"raw_status,omitempty"`
	SignedAt  time.Time    `json:"signed_at"`
	// DeclineReason is the reason a signer gave for declining.
	DeclineReason string `json:"decline_reason,omitempty"`
	// Error is a per-signer error the provider reported.
	Error string `json:"error,omitempty"`
	// LastRemindedAt is when the signer was last reminded (by anyone,
	// manually or automatically), when the provider says; zero otherwise.
	LastRemindedAt time.Time `json:"last_reminded_at,omitzero"`
}

// DisplayName returns Name, or first and last joined, or the email.
func (g Signer) DisplayName() string {
	if g.Name != "" {
		return g.Name
	}
	if n := strings.TrimSpace(g.FirstName + " " + g.LastName); n != "" {
		return n
	}
	return g.Email
}

// LogEntry is one line of a provider's action log.
type LogEntry struct {
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor,omitempty"`
	Action string    `json:"action"`
	Detail string    `json:"detail,omitempty"`
}
