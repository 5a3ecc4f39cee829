package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// The JSON output is a stable interface (documented in the README). It is
// built from these structs, never by marshaling the models directly. Every
// text field from a provider is passed through models.CleanText; times are
// RFC 3339 in UTC, null when absent.

// sessionJSON is one session in `list`, and the new session of `copy`.
type sessionJSON struct {
	Ref       string       `json:"ref"`
	Account   string       `json:"account"`
	Provider  string       `json:"provider"`
	ID        string       `json:"id"`
	Title     string       `json:"title"`
	Status    string       `json:"status"`
	CreatedAt *string      `json:"created_at"`
	ExpiresAt *string      `json:"expires_at"`
	URL       string       `json:"url"`
	Signers   []signerJSON `json:"signers"`
}

// signerJSON is one signer of a session, listed in signing order. Order is
// the provider's signing order: signers with the same order sign in any
// order (Dropbox Sign counts from 0, Constellation1 from 1).
type signerJSON struct {
	Name   string `json:"name"`
	Email  string `json:"email"`
	Status string `json:"status"`
	Order  int    `json:"order"`
}

// detailJSON is `show`: a session with its details.
type detailJSON struct {
	sessionJSON
	Subject       string          `json:"subject"`
	Message       string          `json:"message"`
	UpdatedAt     *string         `json:"updated_at"`
	TransactionID string          `json:"transaction_id"`
	TestMode      bool            `json:"test_mode"`
	Requester     string          `json:"requester"`
	SignerDetails []signerDetail  `json:"signer_details"`
	ActionLog     []actionLogJSON `json:"action_log"`
	Warnings      []string        `json:"warnings"`
}

// signerDetail adds what `show` knows about a signer.
type signerDetail struct {
	signerJSON
	SignedAt      *string `json:"signed_at"`
	DeclineReason string  `json:"decline_reason"`
	Error         string  `json:"error"`
}

// actionLogJSON is one line of a provider's action log.
type actionLogJSON struct {
	Time   *string `json:"time"`
	Actor  string  `json:"actor"`
	Action string  `json:"action"`
	Detail string  `json:"detail"`
}

// cancelJSON is one target of `cancel`. OK is true when the provider
// accepted the cancel (status canceled, or cancel_pending for asynchronous
// providers without --wait). Skipped targets were not sent: Error holds
// the reason. Status is the last status seen, "" when unknown.
type cancelJSON struct {
	Ref     string  `json:"ref"`
	OK      bool    `json:"ok"`
	Status  string  `json:"status"`
	Error   *string `json:"error"`
	Skipped bool    `json:"skipped"`
	// Outcome is the journal's outcome (ok, pending, failed, unknown,
	// skipped, not_sent) and OperationID the journal's operation id.
	Outcome     string `json:"outcome"`
	OperationID string `json:"operation_id,omitempty"`
}

// authStatusJSON is one account of `auth status`.
type authStatusJSON struct {
	Account  string `json:"account"`
	Provider string `json:"provider"`
	Source   string `json:"source"`
}

func jsonTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func clean(s string) string { return models.CleanText(s) }

func toSessionJSON(s *models.Session) sessionJSON {
	out := sessionJSON{
		Ref:       clean(s.Ref.String()),
		Account:   clean(s.Ref.Account),
		Provider:  string(s.Provider),
		ID:        clean(s.Ref.ID),
		Title:     clean(s.Title),
		Status:    clean(string(s.Status)),
		CreatedAt: jsonTime(s.CreatedAt),
		ExpiresAt: jsonTime(s.ExpiresAt),
		URL:       clean(s.URL),
		Signers:   make([]signerJSON, 0, len(s.Signers)),
	}
	for _, g := range s.Signers {
		out.Signers = append(out.Signers, toSignerJSON(g))
	}
	return out
}

func toSignerJSON(g models.Signer) signerJSON {
	return signerJSON{Name: clean(g.DisplayName()), Email: clean(g.Email), Status: clean(string(g.Status)), Order: g.Order}
}

func toDetailJSON(s *models.Session) detailJSON {
	out := detailJSON{
		sessionJSON:   toSessionJSON(s),
		Subject:       clean(s.Subject),
		Message:       clean(s.Message),
		UpdatedAt:     jsonTime(s.UpdatedAt),
		TransactionID: clean(s.TransactionID),
		TestMode:      s.TestMode,
		Requester:     clean(s.Requester),
		SignerDetails: make([]signerDetail, 0, len(s.Signers)),
		ActionLog:     make([]actionLogJSON, 0, len(s.ActionLog)),
		Warnings:      make([]string, 0, len(s.Warnings)),
	}
	for _, g := range s.Signers {
		out.SignerDetails = append(out.SignerDetails, signerDetail{
			signerJSON:    toSignerJSON(g),
			SignedAt:      jsonTime(g.SignedAt),
			DeclineReason: clean(g.DeclineReason),
			Error:         clean(g.Error),
		})
	}
	for _, e := range s.ActionLog {
		out.ActionLog = append(out.ActionLog, actionLogJSON{Time: jsonTime(e.Time), Actor: clean(e.Actor), Action: clean(e.Action), Detail: clean(e.Detail)})
	}
	for _, w := range s.Warnings {
		out.Warnings = append(out.Warnings, clean(w))
	}
	return out
}

// writeJSON writes v indented, with a trailing newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// newTable returns an aligned plain-text table writer; Flush it.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// row writes one table row; cells must be cleaned already.
func row(tw io.Writer, cells ...string) {
	fmt.Fprintln(tw, strings.Join(cells, "\t"))
}

// isTerminal reports whether a stream is a terminal.
func isTerminal(s any) bool {
	f, ok := s.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

func readPassword(fd int) ([]byte, error) { return term.ReadPassword(fd) }

// color reports whether human output to stdout may be coloured: stdout is
// a terminal, NO_COLOR is unset or empty, and TERM is not "dumb".
func (a *app) color() bool {
	if a.getenv("NO_COLOR") != "" || a.getenv("TERM") == "dumb" {
		return false
	}
	return a.isTerminal(a.stdout)
}

// ANSI colours of the same byte length, so that every cell of a coloured
// column carries the same invisible overhead and tabwriter still aligns.
const (
	ansiReset   = "\x1b[0m"
	ansiDefault = "\x1b[39m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiBlue    = "\x1b[34m"
	ansiGray    = "\x1b[90m"
)

// statusCell is the human form of a status, coloured when on.
func statusCell(s models.Status, color bool) string {
	return paint(s.Label(), statusColor(s), color)
}

func statusColor(s models.Status) string {
	switch s {
	case models.StatusCompleted:
		return ansiGreen
	case models.StatusAwaitingSignature, models.StatusDraft:
		return ansiBlue
	case models.StatusOnHold, models.StatusPaused, models.StatusCancelPending:
		return ansiYellow
	case models.StatusDeclined, models.StatusError:
		return ansiRed
	case models.StatusCanceled, models.StatusExpired, models.StatusDeleted, models.StatusArchived:
		return ansiGray
	}
	return ansiDefault
}

// paint wraps text in a colour of fixed length when color is on.
func paint(text, code string, color bool) string {
	if !color {
		return text
	}
	return code + text + ansiReset
}

// humanTime is a local time for tables, or "-" when absent.
func humanTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// dash returns "-" for an empty cell.
func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// truncate shortens s to at most n runes with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if n <= 0 || len(r) <= n {
		return s
	}
	if n == 1 {
		return "…"
	}
	return string(r[:n-1]) + "…"
}

// reason is err's text for a line that already names the account and the
// operation: a provider error drops its own account and operation prefix.
func reason(err error) string {
	var pe *providers.Error
	if errors.As(err, &pe) && pe.Error() == err.Error() {
		c := *pe
		c.Account, c.Op = "", ""
		return clean(c.Error())
	}
	return clean(err.Error())
}
