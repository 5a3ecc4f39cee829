package constellationtest

import (
	"strconv"
	"strings"
	"time"
)

// Session status codes (SessionStatusType).
const (
	StatusDraft     = 1 // InDraft
	StatusSent      = 2 // InSent
	StatusCompleted = 3
	StatusCancelled = 4
	StatusDeleted   = 5
	StatusPaused    = 6 // InPaused
	StatusExpired   = 7
	StatusPurged    = 8
	StatusArchived  = 9
)

// Signer status codes.
const (
	SignerPendingInvite        = 1
	SignerInvited              = 2
	SignerInProgress           = 3
	SignerCompleted            = 4
	SignerCancelled            = 5
	SignerDeclined             = 6
	SignerDelegated            = 7
	SignerAuthenticationFailed = 8
)

var statusNames = map[int]string{
	StatusDraft: "Draft", StatusSent: "Sent", StatusCompleted: "Completed", StatusCancelled: "Cancelled",
	StatusDeleted: "Deleted", StatusPaused: "Paused", StatusExpired: "Expired", StatusPurged: "Purged",
	StatusArchived: "Archived",
}

// Session is the emulator's state of one signing session.
type Session struct {
	ID            string
	TransactionID string
	Title         string
	Description   string
	OwnerEmail    string
	OwnerName     string
	StatusCode    int
	CreatedOn     time.Time
	ModifiedOn    time.Time
	ExpiresOn     time.Time
	Signers       []Signer
	Documents     []string
	// CopiedFrom is the source's id when the session was made by a copy.
	CopiedFrom string
	// RetainFields is the copy option the session was made with.
	RetainFields bool
	ActionLog    []LogEntry
	// NotReadyStarts is how many more times StartSession answers that the
	// session is not ready yet (the vendor's "timing issue" after a
	// create or copy); see actions.go.
	NotReadyStarts int
	// DocumentSize pads each document GetSignerDocuments serves to at
	// least this many bytes.
	DocumentSize int
}

// Signer is one signer of a session.
type Signer struct {
	ID             string
	FirstName      string
	LastName       string
	Email          string
	Role           string
	Sequence       int
	StatusCode     int
	SignedOn       time.Time
	DeclinedReason string
	// Invites counts the email invitations sent to the signer by
	// SendSignerEmailInvites (emulator state).
	Invites int
}

// LogEntry is one action log line: "a date, IP address, and a description".
type LogEntry struct {
	Date        time.Time
	IPAddress   string
	Description string
}

func (s *Session) clone() Session {
	c := *s
	c.Signers = append([]Signer(nil), s.Signers...)
	c.Documents = append([]string(nil), s.Documents...)
	c.ActionLog = append([]LogEntry(nil), s.ActionLog...)
	return c
}

func (s *Session) log(at time.Time, ip, text string) {
	s.ActionLog = append(s.ActionLog, LogEntry{Date: at, IPAddress: ip, Description: text})
}

// wireDate writes a date the way .NET's JavaScriptSerializer does:
// "\/Date(ms)\/"; the zero time is null.
type wireDate time.Time

func (d wireDate) MarshalJSON() ([]byte, error) {
	t := time.Time(d)
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"\/Date(` + strconv.FormatInt(t.UnixMilli(), 10) + `)\/"`), nil
}

// The wire shapes: PascalCase members as the vendor's .NET classes.
type (
	wireRequestResponse struct {
		ReturnValue *string `json:"ReturnValue"`
		Details     any     `json:"Details"`
	}
	wireSessionResponse struct {
		SigningSessionId *string       `json:"SigningSessionId"`
		Sessions         []wireSession `json:"Sessions"`
		Details          []string      `json:"Details"`
	}
	wireSession struct {
		SigningSessionId string          `json:"SigningSessionId"`
		Id               string          `json:"Id"`
		StatusCode       int             `json:"StatusCode"`
		CreatedOn        wireDate        `json:"CreatedOn"`
		ModifiedOn       wireDate        `json:"ModifiedOn"`
		SessionInfo      wireSessionInfo `json:"SessionInfo"`
		Signers          []wireSigner    `json:"Signers"`
		Documents        []wireDocument  `json:"Documents"`
	}
	wireSessionInfo struct {
		Title           string   `json:"Title"`
		TransactionId   string   `json:"TransactionId"`
		Description     string   `json:"Description"`
		OwnerEmail      string   `json:"OwnerEmail"`
		OwnerName       string   `json:"OwnerName"`
		ExpiresOn       wireDate `json:"ExpiresOn"`
		UseSequence     int      `json:"UseSequence"`
		AllowDelegation bool     `json:"AllowDelegation"`
		CopyTo          *string  `json:"CopyTo"`
		ReturnURL       *string  `json:"ReturnURL"`
	}
	wireSigner struct {
		SignerId       string   `json:"SignerId"`
		FirstName      string   `json:"FirstName"`
		LastName       string   `json:"LastName"`
		FullName       string   `json:"FullName"`
		EmailAddress   string   `json:"EmailAddress"`
		SignerRole     string   `json:"SignerRole"`
		Sequence       int      `json:"Sequence"`
		StatusCode     int      `json:"StatusCode"`
		StateCode      int      `json:"StateCode"`
		SignedOn       wireDate `json:"SignedOn"`
		DeclinedReason *string  `json:"DeclinedReason"`
	}
	wireDocument struct {
		FileName string `json:"FileName"`
		FormId   string `json:"FormId"`
		Sequence int    `json:"Sequence"`
	}
	wireLite struct {
		SigningSessionId string   `json:"SigningSessionId"`
		Title            string   `json:"Title"`
		TransactionId    string   `json:"TransactionId"`
		StatusCode       int      `json:"StatusCode"`
		CreatedOn        wireDate `json:"CreatedOn"`
	}
	wireLiteView struct {
		TotalCount int        `json:"TotalCount"`
		Sessions   []wireLite `json:"Sessions"`
		Details    []string   `json:"Details"`
	}
	wireBucketView struct {
		SigningSessionIds []string `json:"SigningSessionIds"`
		TotalCount        int      `json:"TotalCount"`
		Details           []string `json:"Details"`
	}
	wireActionLogResponse struct {
		ActionLog []wireActionLog `json:"ActionLog"`
		Details   []string        `json:"Details"`
	}
	wireActionLog struct {
		Date        wireDate `json:"Date"`
		IPAddress   string   `json:"IPAddress"`
		Description string   `json:"Description"`
	}
	wireUserResponse struct {
		Users   []wireUser `json:"Users"`
		Details []string   `json:"Details"`
	}
	wireUser struct {
		SystemUserID     string `json:"SystemUserID"`
		Username         string `json:"Username"`
		FirstName        string `json:"FirstName"`
		LastName         string `json:"LastName"`
		Company          string `json:"Company"`
		StatusCode       int    `json:"StatusCode"`
		SubscriptionType string `json:"SubscriptionType"`
		TimeZoneId       string `json:"TimeZoneId"`
	}
)

func strPtr(s string) *string { return &s }

func (s *Session) wire() wireSession {
	w := wireSession{
		SigningSessionId: s.ID,
		Id:               s.ID,
		StatusCode:       s.StatusCode,
		CreatedOn:        wireDate(s.CreatedOn),
		ModifiedOn:       wireDate(s.ModifiedOn),
		SessionInfo: wireSessionInfo{
			Title:         s.Title,
			TransactionId: s.TransactionID,
			Description:   s.Description,
			OwnerEmail:    s.OwnerEmail,
			OwnerName:     s.OwnerName,
			ExpiresOn:     wireDate(s.ExpiresOn),
			UseSequence:   1,
		},
		Signers:   []wireSigner{},
		Documents: []wireDocument{},
	}
	for _, g := range s.Signers {
		ws := wireSigner{
			SignerId:     g.ID,
			FirstName:    g.FirstName,
			LastName:     g.LastName,
			FullName:     strings.TrimSpace(g.FirstName + " " + g.LastName),
			EmailAddress: g.Email,
			SignerRole:   g.Role,
			Sequence:     g.Sequence,
			StatusCode:   g.StatusCode,
			SignedOn:     wireDate(g.SignedOn),
		}
		if g.DeclinedReason != "" {
			ws.DeclinedReason = strPtr(g.DeclinedReason)
		}
		w.Signers = append(w.Signers, ws)
	}
	for i, d := range s.Documents {
		w.Documents = append(w.Documents, wireDocument{FileName: d, Sequence: i + 1})
	}
	return w
}

func (s *Session) lite() wireLite {
	return wireLite{SigningSessionId: s.ID, Title: s.Title, TransactionId: s.TransactionID,
		StatusCode: s.StatusCode, CreatedOn: wireDate(s.CreatedOn)}
}
