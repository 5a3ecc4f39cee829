package dropboxsign

import "encoding/json"

// The wire types below follow the vendor's schemas (SignatureRequestResponse,
// ListInfoResponse, ErrorResponse, ...). They are deliberately lenient:
// unknown fields are ignored, nullable fields are pointers, polymorphic
// values stay json.RawMessage, and ids are plain strings of any length.

type warning struct {
	Msg  string `json:"warning_msg"`
	Name string `json:"warning_name"`
}

type errorBody struct {
	Error *struct {
		Msg  string `json:"error_msg"`
		Name string `json:"error_name"`
		Path string `json:"error_path"`
	} `json:"error"`
}

type listInfo struct {
	Page       int  `json:"page"`
	NumPages   int  `json:"num_pages"`
	NumResults *int `json:"num_results"`
	PageSize   int  `json:"page_size"`
}

type listResponse struct {
	SignatureRequests []signatureRequest `json:"signature_requests"`
	ListInfo          *listInfo          `json:"list_info"`
	Warnings          []warning          `json:"warnings"`
}

type getResponse struct {
	SignatureRequest *signatureRequest `json:"signature_request"`
	Warnings         []warning         `json:"warnings"`
}

type fileResponse struct {
	FileURL   string `json:"file_url"`
	ExpiresAt int64  `json:"expires_at"`
}

type accountResponse struct {
	Account *struct {
		AccountID    string  `json:"account_id"`
		EmailAddress string  `json:"email_address"`
		IsLocked     bool    `json:"is_locked"`
		IsPaidHS     bool    `json:"is_paid_hs"`
		IsPaidHF     bool    `json:"is_paid_hf"`
		RoleCode     *string `json:"role_code"`
		TeamID       *string `json:"team_id"`
		Locale       *string `json:"locale"`
		Quotas       *struct {
			APISignatureRequestsLeft *int `json:"api_signature_requests_left"`
			DocumentsLeft            *int `json:"documents_left"`
			TemplatesTotal           *int `json:"templates_total"`
			TemplatesLeft            *int `json:"templates_left"`
			SMSVerificationsLeft     *int `json:"sms_verifications_left"`
		} `json:"quotas"`
	} `json:"account"`
	Warnings []warning `json:"warnings"`
}

type signature struct {
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
	ReassignedBy       *string `json:"reassigned_by"`
	Error              *string `json:"error"`
}

// fieldValue is one entry of custom_fields[] or response_data[]; value is
// a string or a boolean depending on type.
type fieldValue struct {
	APIID       string          `json:"api_id"`
	SignatureID string          `json:"signature_id"`
	Name        string          `json:"name"`
	Type        string          `json:"type"`
	Required    bool            `json:"required"`
	Editor      *string         `json:"editor"`
	Value       json.RawMessage `json:"value"`
}

type signatureRequest struct {
	TestMode              bool                       `json:"test_mode"`
	SignatureRequestID    string                     `json:"signature_request_id"`
	RequesterEmailAddress *string                    `json:"requester_email_address"`
	Title                 string                     `json:"title"`
	OriginalTitle         string                     `json:"original_title"`
	Subject               *string                    `json:"subject"`
	Message               *string                    `json:"message"`
	Metadata              map[string]json.RawMessage `json:"metadata"`
	CreatedAt             int64                      `json:"created_at"`
	ExpiresAt             *int64                     `json:"expires_at"`
	IsComplete            bool                       `json:"is_complete"`
	IsDeclined            bool                       `json:"is_declined"`
	HasError              bool                       `json:"has_error"`
	FilesURL              string                     `json:"files_url"`
	SigningURL            *string                    `json:"signing_url"`
	DetailsURL            string                     `json:"details_url"`
	CCEmailAddresses      []string                   `json:"cc_email_addresses"`
	SigningRedirectURL    *string                    `json:"signing_redirect_url"`
	TemplateIDs           []string                   `json:"template_ids"`
	CustomFields          []fieldValue               `json:"custom_fields"`
	ResponseData          []fieldValue               `json:"response_data"`
	Attachments           json.RawMessage            `json:"attachments"`
	Signatures            []signature                `json:"signatures"`
	BulkSendJobID         *string                    `json:"bulk_send_job_id"`
}

// Request bodies.

type sendSigner struct {
	Name         string `json:"name"`
	EmailAddress string `json:"email_address"`
	Order        *int   `json:"order,omitempty"`
}

type templateSigner struct {
	Role         string `json:"role"`
	Name         string `json:"name"`
	EmailAddress string `json:"email_address"`
}

// customField is a SubCustomField.
type customField struct {
	Name     string `json:"name"`
	Value    string `json:"value,omitempty"`
	Editor   string `json:"editor,omitempty"`
	Required bool   `json:"required,omitempty"`
}

// ccRole is a SubCC: a CC address for one of the template's CC roles.
type ccRole struct {
	Role         string `json:"role"`
	EmailAddress string `json:"email_address"`
}

// templateInfo is the part of a TemplateResponse a copy needs.
type templateInfo struct {
	TemplateID  string `json:"template_id"`
	Title       string `json:"title"`
	SignerRoles []struct {
		Name  string `json:"name"`
		Order *int   `json:"order"`
	} `json:"signer_roles"`
	CCRoles []struct {
		Name string `json:"name"`
	} `json:"cc_roles"`
}

type templateResponse struct {
	Template *templateInfo `json:"template"`
	Warnings []warning     `json:"warnings"`
}

type sendRequest struct {
	FileURLs         []string       `json:"file_urls"`
	Signers          []sendSigner   `json:"signers"`
	Title            string         `json:"title,omitempty"`
	Subject          string         `json:"subject,omitempty"`
	Message          string         `json:"message,omitempty"`
	Metadata         map[string]any `json:"metadata,omitempty"`
	CCEmailAddresses []string       `json:"cc_email_addresses,omitempty"`
	TestMode         bool           `json:"test_mode"`
}

type sendWithTemplateRequest struct {
	TemplateIDs  []string         `json:"template_ids"`
	Signers      []templateSigner `json:"signers"`
	CCs          []ccRole         `json:"ccs,omitempty"`
	CustomFields []customField    `json:"custom_fields,omitempty"`
	Title        string           `json:"title,omitempty"`
	Subject      string           `json:"subject,omitempty"`
	Message      string           `json:"message,omitempty"`
	Metadata     map[string]any   `json:"metadata,omitempty"`
	TestMode     bool             `json:"test_mode"`
}

type remindRequest struct {
	EmailAddress string `json:"email_address"`
}
