// Package models holds signdeck's provider-neutral domain types: sessions,
// signers, neutral statuses, session references and copy specifications,
// with their validation. It imports nothing from the UI, CLI or providers.
package models

import (
	"fmt"
	"strings"
)

// Status is the neutral status of a session. Its string form is stable: it
// is used in JSON output, in filters (`status:awaiting`) and in the config.
type Status string

// The neutral session statuses.
const (
	StatusDraft             Status = "draft"
	StatusAwaitingSignature Status = "awaiting_signature"
	StatusOnHold            Status = "on_hold"
	StatusPaused            Status = "paused"
	StatusCompleted         Status = "completed"
	StatusDeclined          Status = "declined"
	StatusCancelPending     Status = "cancel_pending"
	StatusCanceled          Status = "canceled"
	StatusExpired           Status = "expired"
	StatusError             Status = "error"
	StatusDeleted           Status = "deleted"
	StatusArchived          Status = "archived"
)

// AllStatuses lists every neutral status in a stable display order.
var AllStatuses = []Status{
	StatusDraft, StatusAwaitingSignature, StatusOnHold, StatusPaused,
	StatusCompleted, StatusDeclined, StatusCancelPending, StatusCanceled,
	StatusExpired, StatusError, StatusDeleted, StatusArchived,
}

// Valid reports whether s is one of the neutral statuses.
func (s Status) Valid() bool {
	for _, v := range AllStatuses {
		if v == s {
			return true
		}
	}
	return false
}

// String returns the stable lowercase form.
func (s Status) String() string { return string(s) }

// Cancelable reports whether a session in this status may still be canceled:
// it has not reached a final state and no cancel is already under way.
func (s Status) Cancelable() bool {
	switch s {
	case StatusDraft, StatusAwaitingSignature, StatusOnHold, StatusPaused, StatusError:
		return true
	}
	return false
}

// Copyable reports whether a session in this status can be used as the
// source of a copy. Deleted and archived sessions may have lost their
// documents; everything else still has them.
func (s Status) Copyable() bool {
	switch s {
	case StatusDeleted, StatusArchived:
		return false
	}
	return s.Valid()
}

// Final reports whether the status can no longer change by itself.
func (s Status) Final() bool {
	switch s {
	case StatusCompleted, StatusDeclined, StatusCanceled, StatusExpired, StatusDeleted, StatusArchived:
		return true
	}
	return false
}

// Label is a short human word for the status ("Awaiting", "Cancel requested").
func (s Status) Label() string {
	switch s {
	case StatusDraft:
		return "Draft"
	case StatusAwaitingSignature:
		return "Awaiting"
	case StatusOnHold:
		return "On hold"
	case StatusPaused:
		return "Paused"
	case StatusCompleted:
		return "Completed"
	case StatusDeclined:
		return "Declined"
	case StatusCancelPending:
		return "Cancel requested"
	case StatusCanceled:
		return "Canceled"
	case StatusExpired:
		return "Expired"
	case StatusError:
		return "Error"
	case StatusDeleted:
		return "Deleted"
	case StatusArchived:
		return "Archived"
	}
	if s == "" {
		return "Unknown"
	}
	return CleanText(string(s))
}

// CancelBlockedReason explains why a session in this status cannot be
// canceled, or returns "" when it can.
func (s Status) CancelBlockedReason() string {
	if s.Cancelable() {
		return ""
	}
	switch s {
	case StatusCompleted:
		return "session already completed"
	case StatusCanceled:
		return "session already canceled"
	case StatusCancelPending:
		return "a cancel is already pending"
	case StatusDeclined:
		return "session was declined"
	case StatusExpired:
		return "session has expired"
	case StatusDeleted:
		return "session was deleted"
	case StatusArchived:
		return "session is archived"
	}
	return "status " + string(s) + " cannot be canceled"
}

// ParseStatus reads a neutral status. It accepts the stable form, its
// display label, and any unambiguous prefix of either, case-insensitively,
// with '-' or ' ' for '_' ("awaiting", "cancel-pending", "Cancel requested",
// "cancel req", "Completed").
func ParseStatus(s string) (Status, error) {
	norm := strings.ToLower(strings.TrimSpace(s))
	norm = strings.NewReplacer("-", "_", " ", "_").Replace(norm)
	if norm == "" {
		return "", fmt.Errorf("empty status (want one of %s)", statusList())
	}
	if norm == "cancelled" {
		norm = "canceled"
	}
	var found []Status
	for _, v := range AllStatuses {
		label := strings.ReplaceAll(strings.ToLower(v.Label()), " ", "_")
		if string(v) == norm || label == norm {
			return v, nil
		}
		if strings.HasPrefix(string(v), norm) || strings.HasPrefix(label, norm) {
			found = append(found, v)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("unknown status %q; the statuses are %s", s, statusList())
	}
	names := make([]string, len(found))
	for i, f := range found {
		names[i] = string(f)
	}
	return "", fmt.Errorf("ambiguous status %q (matches %s)", s, strings.Join(names, ", "))
}

// statusList names every status as people see it (its label), with the
// stable name scripts use in parentheses when it differs.
func statusList() string {
	names := make([]string, len(AllStatuses))
	for i, v := range AllStatuses {
		names[i] = v.Label()
		if norm := strings.ToLower(strings.ReplaceAll(v.Label(), " ", "_")); norm != string(v) {
			names[i] += " (" + string(v) + ")"
		}
	}
	return strings.Join(names, ", ")
}

// SignerStatus is the neutral status of one signer.
type SignerStatus string

// The neutral signer statuses.
const (
	SignerPending   SignerStatus = "pending"            // not invited yet (waits for its turn)
	SignerAwaiting  SignerStatus = "awaiting_signature" // invited, has not signed
	SignerViewed    SignerStatus = "in_progress"        // opened or partly signed
	SignerSigned    SignerStatus = "signed"
	SignerDeclined  SignerStatus = "declined"
	SignerOnHold    SignerStatus = "on_hold"
	SignerCanceled  SignerStatus = "canceled"
	SignerExpired   SignerStatus = "expired"
	SignerDelegated SignerStatus = "delegated"
	SignerError     SignerStatus = "error"
	SignerUnknown   SignerStatus = "unknown" // the vendor sent a code we do not know; Signer.RawStatus keeps it
)

// Label is a short human word for the signer status.
func (s SignerStatus) Label() string {
	switch s {
	case SignerPending:
		return "Pending"
	case SignerAwaiting:
		return "Awaiting"
	case SignerViewed:
		return "In progress"
	case SignerSigned:
		return "Signed"
	case SignerDeclined:
		return "Declined"
	case SignerOnHold:
		return "On hold"
	case SignerCanceled:
		return "Canceled"
	case SignerExpired:
		return "Expired"
	case SignerDelegated:
		return "Delegated"
	case SignerError:
		return "Error"
	}
	return "Unknown"
}
