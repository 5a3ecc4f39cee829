package constellation

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/signdeck/signdeck/models"
)

// Session status codes: SessionStatusType on the vendor's WebHook page
// (reference §5.1), with Purged and Archived from a later version of it.
const (
	codeDraft     = 1 // InDraft
	codeSent      = 2 // InSent
	codeCompleted = 3
	codeCancelled = 4
	codeDeleted   = 5
	codePaused    = 6 // InPaused
	codeExpired   = 7
	codePurged    = 8
	codeArchived  = 9
)

type statusInfo struct {
	status models.Status
	name   string // the vendor's enum name
	raw    bool   // keep the vendor's name in RawStatus: the mapping merges it
}

var sessionStatuses = map[int64]statusInfo{
	codeDraft:     {models.StatusDraft, "InDraft", false},
	codeSent:      {models.StatusAwaitingSignature, "InSent", false},
	codeCompleted: {models.StatusCompleted, "Completed", false},
	codeCancelled: {models.StatusCanceled, "Cancelled", false},
	codeDeleted:   {models.StatusDeleted, "Deleted", false},
	codePaused:    {models.StatusPaused, "InPaused", false},
	codeExpired:   {models.StatusExpired, "Expired", false},
	codePurged:    {models.StatusDeleted, "Purged", true},
	codeArchived:  {models.StatusArchived, "Archived", false},
}

// sessionStatusNames maps status names, in case an answer spells the
// status out instead of giving the code.
var sessionStatusNames = map[string]int64{
	"indraft": codeDraft, "draft": codeDraft,
	"insent": codeSent, "sent": codeSent,
	"completed": codeCompleted, "complete": codeCompleted,
	"cancelled": codeCancelled, "canceled": codeCancelled,
	"deleted":  codeDeleted,
	"inpaused": codePaused, "paused": codePaused,
	"expired":  codeExpired,
	"purged":   codePurged,
	"archived": codeArchived,
}

// mapSessionStatus maps a session StatusCode. An unknown code maps to
// StatusError, which the dashboard shows in its error colour, with
// RawStatus "code N" so the vendor's value stays visible; the caller adds
// a warning. (StatusError rather than a guess at a neutral status: a new
// vendor status could be final or not, and showing it as an error makes
// the user look instead of acting on a wrong assumption.)
func mapSessionStatus(code int64) (st models.Status, raw string, known bool) {
	if info, ok := sessionStatuses[code]; ok {
		if info.raw {
			raw = strings.ToLower(info.name)
		}
		return info.status, raw, true
	}
	return models.StatusError, "code " + strconv.FormatInt(code, 10), false
}

// sessionStatusOf reads the status of a session or lite row.
func sessionStatusOf(o obj) (st models.Status, raw string, warn string) {
	names := []string{"StatusCode", "SessionStatus", "SessionStatusCode", "Status", "StatusId"}
	code, ok := o.num(names...)
	if !ok {
		if info := o.sub("SessionInfo"); info != nil {
			code, ok = info.num(names...)
		}
	}
	if !ok {
		if name := strings.ToLower(strings.ReplaceAll(o.str(names...), " ", "")); name != "" {
			if c, found := sessionStatusNames[name]; found {
				code, ok = c, true
			} else {
				return models.StatusError, models.CleanText(o.str(names...)),
					"the provider sent an unknown session status " + strconv.Quote(models.CleanText(o.str(names...)))
			}
		}
	}
	if !ok {
		return models.StatusError, "no status", "the provider sent no session status"
	}
	st, raw, known := mapSessionStatus(code)
	if !known {
		warn = "the provider sent an unknown session status code " + strconv.FormatInt(code, 10)
	}
	return st, raw, warn
}

// Signer status codes (reference §5.2).
var signerStatuses = map[int64]models.SignerStatus{
	1: models.SignerPending,   // PendingInvite
	2: models.SignerAwaiting,  // Invited
	3: models.SignerViewed,    // InProgress
	4: models.SignerSigned,    // Completed
	5: models.SignerCanceled,  // Cancelled
	6: models.SignerDeclined,  // Declined
	7: models.SignerDelegated, // Delegated
	8: models.SignerError,     // AuthenticationFailed
}

var signerStatusNames = map[string]int64{
	"pendinginvite": 1, "pending": 1, "invited": 2, "inprogress": 3, "completed": 4, "signed": 4,
	"cancelled": 5, "canceled": 5, "declined": 6, "delegated": 7, "authenticationfailed": 8,
}

// mapSignerStatus maps a signer StatusCode; unknown codes map to
// SignerUnknown with RawStatus "code N".
func mapSignerStatus(code int64) (models.SignerStatus, string) {
	if st, ok := signerStatuses[code]; ok {
		if code == 8 {
			return st, "authentication failed"
		}
		return st, ""
	}
	return models.SignerUnknown, "code " + strconv.FormatInt(code, 10)
}

func signerStatusOf(o obj) (models.SignerStatus, string) {
	names := []string{"StatusCode", "SignerStatus", "SignerStatusCode", "Status"}
	if code, ok := o.num(names...); ok {
		return mapSignerStatus(code)
	}
	if s := o.str(names...); s != "" {
		if code, ok := signerStatusNames[strings.ToLower(strings.ReplaceAll(s, " ", ""))]; ok {
			return mapSignerStatus(code)
		}
		return models.SignerUnknown, models.CleanText(s)
	}
	return models.SignerUnknown, "no status"
}

// nullGUID is how .NET writes an empty Guid.
const nullGUID = "00000000-0000-0000-0000-000000000000"

func cleanID(s string) string {
	s = strings.TrimSpace(s)
	if s == nullGUID {
		return ""
	}
	return s
}

// sessionID reads a session's id. SigningSessionId is the documented name;
// the samples also use Id and SessionInfo.Id.
func sessionID(o obj) string {
	if id := cleanID(o.str("SigningSessionId", "SigningSessionID", "SessionId", "Id")); id != "" {
		return id
	}
	if info := o.sub("SessionInfo"); info != nil {
		return cleanID(info.str("SigningSessionId", "Id"))
	}
	return ""
}

var (
	createdNames  = []string{"CreatedOn", "CreatedDate", "DateCreated", "Created", "CreateDate", "CreatedAt"}
	modifiedNames = []string{"ModifiedOn", "UpdatedOn", "LastModifiedOn", "LastModified", "ModifiedDate", "DateModified", "UpdatedDate", "LastUpdated"}
	expiresNames  = []string{"ExpiresOn", "ExpirationDate", "ExpireOn", "ExpiryDate", "Expires"}
	titleNames    = []string{"Title", "SessionTitle", "TransactionTitle", "Name"}
)

// toSession converts a full Session object.
func toSession(account string, o obj) models.Session {
	info := o.sub("SessionInfo")
	if info == nil {
		info = obj{}
	}
	s := models.Session{
		Ref:      models.Ref{Account: account, ID: sessionID(o)},
		Provider: models.Constellation1,
		Complete: true,
	}
	s.Title = models.CleanText(firstNonEmpty(info.str(titleNames...), o.str(titleNames...)))
	s.TransactionID = models.CleanText(firstNonEmpty(info.str("TransactionId"), o.str("TransactionId")))
	s.Message = models.CleanText(info.str("Description"))
	s.Requester = models.CleanText(firstNonEmpty(info.str("OwnerEmail"), o.str("OwnerEmail", "Username", "UserName")))
	s.CreatedAt = firstTime(o.time(createdNames...), info.time(createdNames...))
	s.UpdatedAt = firstTime(o.time(modifiedNames...), info.time(modifiedNames...))
	s.ExpiresAt = firstTime(info.time(expiresNames...), o.time(expiresNames...))
	for _, cc := range strings.Split(info.str("CopyTo"), ",") {
		if cc = models.CleanText(strings.TrimSpace(cc)); cc != "" {
			s.CC = append(s.CC, cc)
		}
	}
	var warn string
	s.Status, s.RawStatus, warn = sessionStatusOf(o)
	if warn != "" {
		s.Warnings = append(s.Warnings, warn)
	}
	if els, ok := o.list("Signers", "SignerList"); ok {
		for _, e := range els {
			if so, ok := asObj(e); ok {
				s.Signers = append(s.Signers, toSigner(so))
			}
		}
	}
	sort.SliceStable(s.Signers, func(i, j int) bool { return s.Signers[i].Order < s.Signers[j].Order })
	return s
}

// toSigner converts a Signer object.
func toSigner(o obj) models.Signer {
	g := models.Signer{
		ID:        cleanID(o.str("SignerId", "SignerID", "Id")),
		FirstName: models.CleanText(o.str("FirstName")),
		LastName:  models.CleanText(o.str("LastName")),
		Email:     models.CleanText(o.str("EmailAddress", "Email")),
		Role:      models.CleanText(o.str("SignerRole", "Role")),
	}
	g.Name = models.CleanText(o.str("FullName", "Name"))
	if g.Name == "" {
		g.Name = strings.TrimSpace(g.FirstName + " " + g.LastName)
	}
	if seq, ok := o.num("Sequence", "SignerSequence", "Order"); ok {
		g.Order = int(seq)
	}
	g.Status, g.RawStatus = signerStatusOf(o)
	g.SignedAt = o.time("SignedOn", "SignedDate", "DateSigned", "CompletedOn", "CompletedDate", "SignedAt")
	g.DeclineReason = models.CleanText(o.str("DeclinedReason", "DeclineReason", "ReasonForDeclining"))
	if g.Status == models.SignerError && g.RawStatus != "" {
		g.Error = g.RawStatus
	}
	return g
}

// toLite converts a row of the lite list or of a bucket: an object with
// the lite columns (SigningSessionId, Title, TransactionId, StatusCode,
// CreatedOn), or a bare session id. bucket, when not "", is the status the
// bucket implies, used when the row says none.
func toLite(account string, raw json.RawMessage, bucket models.Status) (models.Session, bool) {
	s := models.Session{Provider: models.Constellation1}
	if id, ok := rawString(raw); ok && len(raw) > 0 && raw[0] == '"' {
		s.Ref = models.Ref{Account: account, ID: cleanID(id)}
		s.Status = bucket
		return s, s.Ref.ID != ""
	}
	o, ok := asObj(raw)
	if !ok {
		return s, false
	}
	info := o.sub("SessionInfo")
	if info == nil {
		info = obj{}
	}
	s.Ref = models.Ref{Account: account, ID: sessionID(o)}
	s.Title = models.CleanText(firstNonEmpty(o.str(titleNames...), info.str(titleNames...)))
	s.TransactionID = models.CleanText(firstNonEmpty(o.str("TransactionId"), info.str("TransactionId")))
	s.CreatedAt = firstTime(o.time(createdNames...), info.time(createdNames...))
	s.UpdatedAt = firstTime(o.time(modifiedNames...), info.time(modifiedNames...))
	s.ExpiresAt = firstTime(o.time(expiresNames...), info.time(expiresNames...))
	var warn string
	s.Status, s.RawStatus, warn = sessionStatusOf(o)
	if warn != "" && bucket != "" && s.RawStatus == "no status" {
		s.Status, s.RawStatus, warn = bucket, "", ""
	}
	if warn != "" {
		s.Warnings = append(s.Warnings, warn)
	}
	if els, ok := o.list("Signers"); ok {
		for _, e := range els {
			if so, ok := asObj(e); ok {
				s.Signers = append(s.Signers, toSigner(so))
			}
		}
	}
	return s, s.Ref.ID != ""
}

// toLogEntries converts an ActionLog array: "an action log object contains
// a date, IP address, and a description for the action" (reference §4.9).
// Entries are sorted oldest first.
func toLogEntries(els []json.RawMessage) []models.LogEntry {
	var out []models.LogEntry
	for _, e := range els {
		if s, ok := rawString(e); ok && len(e) > 0 && e[0] == '"' {
			if s = models.CleanText(strings.TrimSpace(s)); s != "" {
				out = append(out, models.LogEntry{Action: s})
			}
			continue
		}
		o, ok := asObj(e)
		if !ok {
			continue
		}
		le := models.LogEntry{
			Time:   o.time("Date", "ActionDate", "CreatedOn", "LogDate", "Timestamp", "DateTime", "Time"),
			Actor:  models.CleanText(o.str("UserName", "Username", "Email", "EmailAddress", "Actor", "Name", "FullName")),
			Action: models.CleanText(o.str("Description", "Action", "ActionDescription", "Message", "Text")),
		}
		if ip := models.CleanText(o.str("IPAddress", "IpAddress", "IP")); ip != "" {
			le.Detail = "IP " + ip
		}
		if le.Action == "" && le.Detail == "" {
			continue
		}
		out = append(out, le)
	}
	for _, le := range out {
		if le.Time.IsZero() {
			return out // cannot sort: keep the vendor's order
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}
