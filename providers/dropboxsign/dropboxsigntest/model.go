package dropboxsigntest

import (
	"maps"
	"slices"
	"time"
)

// SignatureRequest is the emulator's record of one signature request. Its
// JSON form is the vendor's SignatureRequestResponse; the fields tagged "-"
// are emulator state.
type SignatureRequest struct {
	TestMode              bool           `json:"test_mode"`
	SignatureRequestID    string         `json:"signature_request_id"`
	RequesterEmailAddress *string        `json:"requester_email_address"`
	Title                 string         `json:"title"`
	OriginalTitle         string         `json:"original_title"`
	Subject               *string        `json:"subject"`
	Message               *string        `json:"message"`
	Metadata              map[string]any `json:"metadata"`
	CreatedAt             int64          `json:"created_at"`
	ExpiresAt             *int64         `json:"expires_at"`
	IsComplete            bool           `json:"is_complete"`
	IsDeclined            bool           `json:"is_declined"`
	HasError              bool           `json:"has_error"`
	FilesURL              string         `json:"files_url"`
	SigningURL            *string        `json:"signing_url"`
	DetailsURL            string         `json:"details_url"`
	CCEmailAddresses      []string       `json:"cc_email_addresses"`
	SigningRedirectURL    *string        `json:"signing_redirect_url"`
	TemplateIDs           []string       `json:"template_ids"`
	CustomFields          []CustomField  `json:"custom_fields"`
	Attachments           []Attachment   `json:"attachments"`
	ResponseData          []ResponseData `json:"response_data"`
	Signatures            []Signature    `json:"signatures"`
	BulkSendJobID         *string        `json:"bulk_send_job_id"`

	// FilesPreparing makes files_as_file_url and files answer 409 (files
	// not ready).
	FilesPreparing bool `json:"-"`
	// FilesPending is how many more times files answers 409 (the files
	// are being prepared) before it serves them (see actions.go).
	FilesPending int `json:"-"`
	// FilesFailed makes files answer 422, as for a request in an error
	// state (HasError does too).
	FilesFailed bool `json:"-"`
	// FileSize pads the served file to at least this many bytes.
	FileSize int `json:"-"`
	// AppendedSignaturePage: the request was sent without form fields, so
	// the vendor refuses to update its signers.
	AppendedSignaturePage bool `json:"-"`
	// CancelRequestedAt is when a cancel was queued; zero when none.
	CancelRequestedAt time.Time `json:"-"`
	// Canceled is set once a queued cancel completed: the request then
	// answers 410 and no longer lists.
	Canceled bool `json:"-"`
	// SearchableAt is when a `query` search starts finding the request
	// (Options.SearchDelay after a send); zero means at once.
	SearchableAt time.Time `json:"-"`
	// CanceledAt is when the cancel completed.
	CanceledAt time.Time `json:"-"`
	// indexed is the state `query` searches still see after a change,
	// until the search index catches up (Options.SearchDelay).
	indexed *indexState
}

// Signature is one signer of a request (SignatureRequestResponseSignatures).
type Signature struct {
	SignatureID        string  `json:"signature_id"`
	SignerGroupGUID    *string `json:"signer_group_guid"`
	SignerEmailAddress string  `json:"signer_email_address"`
	SignerName         *string `json:"signer_name"`
	SignerRole         *string `json:"signer_role"`
	Order              *int    `json:"order"`
	StatusCode         string  `json:"status_code"`
	DeclineReason      *string `json:"decline_reason"`
	SignedAt           *int64  `json:"signed_at"`
	LastViewedAt       *int64  `json:"last_viewed_at"`
	LastRemindedAt     *int64  `json:"last_reminded_at"`
	HasPin             bool    `json:"has_pin"`
	HasSMSAuth         *bool   `json:"has_sms_auth"`
	HasSMSDelivery     *bool   `json:"has_sms_delivery"`
	SMSPhoneNumber     *string `json:"sms_phone_number"`
	ReassignedBy       *string `json:"reassigned_by"`
	ReassignmentReason *string `json:"reassignment_reason"`
	ReassignedFrom     *string `json:"reassigned_from"`
	Error              *string `json:"error"`
}

// CustomField is a merge field value: type "text" with a string value,
// or "checkbox" with a boolean one.
type CustomField struct {
	Type     string  `json:"type"`
	Name     string  `json:"name"`
	Value    any     `json:"value"`
	Required bool    `json:"required"`
	APIID    string  `json:"api_id"`
	Editor   *string `json:"editor"`
}

// ResponseData is one value a signer filled in; Value is a string for
// "text" and a bool for "checkbox".
type ResponseData struct {
	APIID       string `json:"api_id"`
	SignatureID string `json:"signature_id"`
	Name        string `json:"name"`
	Required    bool   `json:"required"`
	Type        string `json:"type"`
	Value       any    `json:"value"`
}

// Attachment is a signer attachment request.
type Attachment struct {
	ID           string  `json:"id"`
	Signer       string  `json:"signer"`
	Name         string  `json:"name"`
	Required     bool    `json:"required"`
	Instructions *string `json:"instructions"`
	UploadedAt   *int64  `json:"uploaded_at"`
}

// Template is a reusable document with signer roles, for send_with_template.
type Template struct {
	ID    string
	Title string
	Roles []string
	// CCRoles are the template's CC roles: send_with_template requires a
	// ccs entry for each, as the vendor does.
	CCRoles []string
}

// Clone returns a deep copy.
func (r *SignatureRequest) Clone() SignatureRequest {
	c := *r
	c.RequesterEmailAddress = clonePtr(r.RequesterEmailAddress)
	c.Subject = clonePtr(r.Subject)
	c.Message = clonePtr(r.Message)
	c.ExpiresAt = clonePtr(r.ExpiresAt)
	c.SigningURL = clonePtr(r.SigningURL)
	c.SigningRedirectURL = clonePtr(r.SigningRedirectURL)
	c.BulkSendJobID = clonePtr(r.BulkSendJobID)
	c.Metadata = maps.Clone(r.Metadata)
	c.CCEmailAddresses = slices.Clone(r.CCEmailAddresses)
	c.TemplateIDs = slices.Clone(r.TemplateIDs)
	c.CustomFields = slices.Clone(r.CustomFields)
	c.Attachments = slices.Clone(r.Attachments)
	c.ResponseData = slices.Clone(r.ResponseData)
	c.Signatures = make([]Signature, len(r.Signatures))
	for i, s := range r.Signatures {
		s.SignerGroupGUID = clonePtr(s.SignerGroupGUID)
		s.SignerName = clonePtr(s.SignerName)
		s.SignerRole = clonePtr(s.SignerRole)
		s.Order = clonePtr(s.Order)
		s.DeclineReason = clonePtr(s.DeclineReason)
		s.SignedAt = clonePtr(s.SignedAt)
		s.LastViewedAt = clonePtr(s.LastViewedAt)
		s.LastRemindedAt = clonePtr(s.LastRemindedAt)
		s.Error = clonePtr(s.Error)
		c.Signatures[i] = s
	}
	return c
}

// normalize makes the non-nullable collections non-nil so they encode as
// [] and {} rather than null.
func (r *SignatureRequest) normalize() {
	if r.Metadata == nil {
		r.Metadata = map[string]any{}
	}
	if r.CCEmailAddresses == nil {
		r.CCEmailAddresses = []string{}
	}
	if r.Signatures == nil {
		r.Signatures = []Signature{}
	}
	if r.CustomFields == nil {
		r.CustomFields = []CustomField{}
	}
	if r.ResponseData == nil {
		r.ResponseData = []ResponseData{}
	}
	if r.Attachments == nil {
		r.Attachments = []Attachment{}
	}
	if r.OriginalTitle == "" {
		r.OriginalTitle = r.Title
	}
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func ptr[T any](v T) *T { return &v }

// indexState is what the search index still shows of a request whose
// completion or decline it has not seen yet.
type indexState struct {
	isComplete, isDeclined bool
	until                  time.Time
}
