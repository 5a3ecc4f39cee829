package dropboxsign

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

var opIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{8,100}$`)

// NewOperationID returns a fresh operation id: "sdop" and 26 hex digits,
// letters and digits only so the vendor's search tokenizes it as one term.
func NewOperationID() string {
	var b [13]byte
	_, _ = rand.Read(b[:])
	return "sdop" + hex.EncodeToString(b[:])
}

func jsonBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// invalid wraps validation problems as ErrInvalid naming the first field.
func (c *Client) invalid(op string, err error) *providers.Error {
	e := c.errorf(providers.ErrInvalid, op, "%s", err.Error())
	var ve models.ValidationErrors
	var fe *models.FieldError
	switch {
	case errors.As(err, &ve) && len(ve) > 0:
		e.Path = ve[0].Path
	case errors.As(err, &fe):
		e.Path = fe.Path
	}
	e.Err = err
	return e
}

// Copy sends a new signature request from spec: send_with_template with
// the source's templates when it used any (signers by role), else send
// with the source's current PDF (files_as_file_url) in file_urls. The new
// request's metadata carries signdeck_source and signdeck_op.
//
// Copy is a first attempt: it never searches before sending (the caller
// makes a fresh spec.OperationID; one is made when it is empty). The send
// is never retried blindly. When its outcome is unknown (timeout, reset,
// 5xx, unreadable answer) Copy searches for the operation id and returns
// the request it finds with Recovered set; if it finds none, the error
// wraps ErrAmbiguous and the result still carries the OperationID. A retry
// calls FindCopy with that id first and Copy again only when nothing
// carries it. spec.Options.CancelOriginal is the caller's business.
func (c *Client) Copy(ctx context.Context, spec models.CopySpec) (providers.CopyResult, error) {
	op := "copy " + spec.Source.ID
	if err := spec.Validate(c.Capabilities().Limits); err != nil {
		return providers.CopyResult{}, c.invalid(op, err)
	}
	if spec.Source.Account != c.cfg.Account {
		return providers.CopyResult{}, c.invalid(op, &models.FieldError{Path: "source",
			Msg: fmt.Sprintf("belongs to account %q, not %q", spec.Source.Account, c.cfg.Account)})
	}
	opID := spec.OperationID
	if opID == "" {
		opID = NewOperationID()
	} else if !opIDRE.MatchString(opID) {
		return providers.CopyResult{}, c.invalid(op, &models.FieldError{Path: "operation_id",
			Msg: "must be 8 to 100 letters, digits, '.', '_' or '-'"})
	}
	res := providers.CopyResult{OperationID: opID}

	src, _, err := c.getRaw(ctx, op, spec.Source.ID)
	if err != nil {
		return res, err
	}
	if st := c.toSession(src, nil).Status; !st.Copyable() {
		return res, c.errorf(providers.ErrInvalid, op, "a %s request cannot be copied", st.Label())
	}

	meta, warnings := copyMetadata(src.Metadata, src.SignatureRequestID, opID)
	testMode := src.TestMode
	if c.cfg.TestMode {
		testMode = true
	}
	if spec.Options.TestMode != nil {
		if c.cfg.TestMode && !*spec.Options.TestMode {
			e := c.errorf(providers.ErrInvalid, op, "account %s is configured with test_mode: true, so its copies are always test requests; remove test_mode from the config to send a real one", c.cfg.Account)
			e.Path = "options.test_mode"
			return res, e
		}
		testMode = *spec.Options.TestMode
	}
	title := src.Title
	if title == "" {
		title = src.OriginalTitle
	}
	if spec.Title != nil {
		title = strings.TrimSpace(*spec.Title)
	}
	subject, message := deref(src.Subject), deref(src.Message)
	if spec.Subject != nil {
		subject = *spec.Subject
	}
	if spec.Message != nil {
		message = *spec.Message
	}

	common := copyCommon{Title: title, Subject: subject, Message: message, Metadata: meta, TestMode: testMode}
	var path string
	var body []byte
	var more []string
	if len(src.TemplateIDs) > 0 {
		path = "signature_request/send_with_template"
		body, more, err = c.templateBody(ctx, op, src, spec, common)
	} else {
		path = "signature_request/send"
		body, more, err = c.fileBody(ctx, op, src, spec, common)
	}
	if err != nil {
		return res, err
	}
	warnings = append(warnings, more...)

	s, recovered, err := c.send(ctx, op, path, body, opID)
	if err != nil {
		return res, err
	}
	s.Warnings = append(s.Warnings, warnings...)
	res.Session, res.Recovered = s, recovered
	return res, nil
}

// FindCopyWindow is how long after an attempt started FindCopy keeps
// searching before it concludes that the attempt made no request: the
// vendor's search index is only eventually consistent, and a request can
// take a while to show in a metadata search.
const FindCopyWindow = 2 * time.Minute

// FindCopy looks for the request an earlier Copy attempt with
// spec.OperationID made. The attempt started at since; the search goes on
// (backing off, reporting progress through providers.Progress) until
// since+FindCopyWindow has passed, so a request the index does not show
// yet is still found. A request carrying the id but copied from another
// source is an ErrInvalid error: nothing may be sent for that id.
func (c *Client) FindCopy(ctx context.Context, spec models.CopySpec, q providers.FindQuery) (models.Session, bool, error) {
	since := q.Since
	op := "find copy " + spec.Source.ID
	opID := spec.OperationID
	if !opIDRE.MatchString(opID) {
		return models.Session{}, false, c.invalid(op, &models.FieldError{Path: "operation_id",
			Msg: "must be 8 to 100 letters, digits, '.', '_' or '-'"})
	}
	window := c.cfg.FindWindow
	if window == 0 {
		window = FindCopyWindow
	}
	deadline := since.Add(window)
	delay := 500 * time.Millisecond
	for {
		s, found, err := c.findOperation(ctx, opID)
		if err != nil {
			e := c.errorf(providers.KindOf(err), op, "could not check whether operation %s already created a request: %s", opID, err.Error())
			e.Err = err
			return models.Session{}, false, e
		}
		if found {
			if src := s.Metadata[MetaSource]; src != "" && src != spec.Source.ID {
				e := c.errorf(providers.ErrInvalid, op, "operation %s made a copy of request %s, not of %s", opID, src, spec.Source.ID)
				e.Path = "operation_id"
				return models.Session{}, false, e
			}
			s.Warnings = append(s.Warnings, "operation "+opID+" had already created this request; nothing was sent again")
			return s, true, nil
		}
		remaining := deadline.Sub(c.now())
		if remaining <= 0 || window < 0 {
			return models.Session{}, false, nil
		}
		providers.ReportProgress(ctx, fmt.Sprintf("looking for operation %s in the search index (%s left)", opID, remaining.Round(time.Second)))
		t := time.NewTimer(min(delay, remaining))
		select {
		case <-ctx.Done():
			t.Stop()
			return models.Session{}, false, ctx.Err()
		case <-t.C:
		}
		delay = min(delay*2, 10*time.Second)
	}
}

// send posts a new request once and resolves an unknown outcome by
// searching for the operation id.
func (c *Client) send(ctx context.Context, op, path string, body []byte, opID string) (models.Session, bool, error) {
	req := c.request(http.MethodPost, path, op)
	req.Body, req.ContentType = body, "application/json"
	// The vendor answers 429 before executing the call.
	req.Retry429 = true
	var gr getResponse
	resp, err := c.call(ctx, req, &gr)
	if err == nil && gr.SignatureRequest != nil && gr.SignatureRequest.SignatureRequestID != "" {
		return c.toSession(gr.SignatureRequest, gr.Warnings), false, nil
	}
	var cause error
	switch {
	case err == nil:
		cause = c.errorf(providers.ErrResponse, op, "the answer has no signature_request")
	case ctx.Err() != nil:
		e := c.errorf(providers.ErrAmbiguous, op,
			"interrupted while sending (%v): the send may or may not have happened; signdeck could not search for operation %s; retrying with the same operation id is the safe path",
			ctx.Err(), opID)
		e.Err = err
		return models.Session{}, false, e
	case isAmbiguous(err), errors.Is(err, providers.ErrResponse),
		resp != nil && resp.Status >= 500:
		cause = err
	default:
		// A definite refusal (4xx), or a failure before anything was sent.
		return models.Session{}, false, err
	}
	c.log.Warn("dropboxsign send outcome unknown; searching for the operation id",
		"account", c.cfg.Account, "op", op, "operation_id", opID, "error", c.http.Redact(cause.Error()))
	return c.recoverSend(ctx, op, opID, cause)
}

// recoverSend looks for the request an ambiguous send may have created.
func (c *Client) recoverSend(ctx context.Context, op, opID string, cause error) (models.Session, bool, error) {
	s, found, searchErr := c.searchOperation(ctx, opID)
	if found {
		s.Warnings = append(s.Warnings, "the send's answer was lost ("+c.http.Redact(cause.Error())+
			"); signdeck found the new request by its operation id "+opID+" and did not send again")
		return s, true, nil
	}
	searched := "signdeck searched for operation id " + opID + " and found nothing"
	if searchErr != nil {
		searched = "signdeck tried to search for operation id " + opID + " but the search failed (" + c.http.Redact(searchErr.Error()) + ")"
	}
	e := c.errorf(providers.ErrAmbiguous, op,
		"the send may or may not have happened (%s); %s; retrying the copy with the same operation id is the safe path: it searches again before sending",
		c.http.Redact(cause.Error()), searched)
	e.Err = cause
	return models.Session{}, false, e
}

// searchOperation searches for opID until it is found or RecoverWait has
// passed (the vendor's search index is only eventually consistent: a new
// request can take a moment to show), backing off between searches and
// searching a last time at the deadline. A negative RecoverWait searches
// once. When nothing is found, err is the last search's error (nil when
// that search worked and found nothing).
func (c *Client) searchOperation(ctx context.Context, opID string) (s models.Session, found bool, err error) {
	deadline := time.Now().Add(c.cfg.RecoverWait)
	delay := 250 * time.Millisecond
	for {
		s, found, err = c.findOperation(ctx, opID)
		if err == nil && found {
			return s, true, nil
		}
		remaining := time.Until(deadline)
		if ctx.Err() != nil || c.cfg.RecoverWait < 0 || remaining <= 0 {
			if err == nil && ctx.Err() != nil {
				err = ctx.Err()
			}
			return models.Session{}, false, err
		}
		t := time.NewTimer(min(delay, remaining))
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		delay *= 2
	}
}

// findOperation searches for the request whose metadata carries opID
// (query "metadata:OPID", reference §2.1).
func (c *Client) findOperation(ctx context.Context, opID string) (models.Session, bool, error) {
	var found []models.Session
	err := c.List(ctx, providers.ListQuery{Text: "metadata:" + opID, MaxPages: 3}, func(p providers.Page) error {
		for _, s := range p.Sessions {
			if s.Metadata[MetaOperation] == opID {
				found = append(found, s)
			}
		}
		return nil
	})
	if err != nil {
		return models.Session{}, false, err
	}
	if len(found) == 0 {
		return models.Session{}, false, nil
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].CreatedAt.After(found[j].CreatedAt) })
	s := found[0]
	if len(found) > 1 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%d requests carry operation id %s; showing the newest", len(found), opID))
	}
	return s, true, nil
}

// fileURL asks for a pre-signed URL of the source's current PDF.
func (c *Client) fileURL(ctx context.Context, op, id string) (string, error) {
	req := c.request(http.MethodGet, "signature_request/files_as_file_url/"+url.PathEscape(id), op)
	var fr fileResponse
	if _, err := c.call(ctx, req, &fr); err != nil {
		var pe *providers.Error
		if errors.As(err, &pe) {
			switch pe.Status {
			case http.StatusConflict:
				pe.Kind = providers.ErrConflict
				pe.Message = "files not ready yet, try again in a moment: Dropbox Sign is still preparing the source's PDF (" + pe.Message + ")"
			case http.StatusUnprocessableEntity:
				pe.Kind = providers.ErrInvalid
				pe.Message = "cannot copy: Dropbox Sign cannot provide this request's files, as for a request in an error state (" + pe.Message + ")"
			}
		}
		return "", err
	}
	if fr.FileURL == "" {
		return "", c.errorf(providers.ErrResponse, op, "files_as_file_url returned no file_url")
	}
	return fr.FileURL, nil
}

// sendSigners lists signers for a send. Orders are sent only when they
// differ (sequential signing), renumbered 0, 1, 2, ... in their order.
func sendSigners(in []models.CopySigner) []sendSigner {
	out := make([]sendSigner, len(in))
	ordered := false
	for i, s := range in {
		out[i] = sendSigner{Name: s.FullName(), EmailAddress: strings.TrimSpace(s.Email)}
		if s.Order != in[0].Order {
			ordered = true
		}
	}
	if !ordered {
		return out
	}
	idx := make([]int, len(in))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return in[idx[a]].Order < in[idx[b]].Order })
	for rank, i := range idx {
		r := rank
		out[i].Order = &r
	}
	return out
}

// templateSigners assigns the spec's signers to the template roles of the
// source. Every role needs exactly one signer.
func (c *Client) templateSigners(op string, src *signatureRequest, in []models.CopySigner) ([]templateSigner, error) {
	var roles []string
	roleOf := map[string]string{}
	for _, g := range src.Signatures {
		r := deref(g.SignerRole)
		if r != "" && !contains(roles, r) {
			roles = append(roles, r)
		}
		roleOf[g.SignatureID] = r
	}
	if len(roles) == 0 {
		return nil, c.invalid(op, &models.FieldError{Path: "signers",
			Msg: "the source was sent from a template but Dropbox Sign reports no signer roles, so the signers cannot be matched to the template"})
	}
	var errs models.ValidationErrors
	add := func(path, format string, args ...any) {
		errs = append(errs, &models.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	taken := map[string]int{}
	out := make([]templateSigner, 0, len(in))
	for i, s := range in {
		p := fmt.Sprintf("signers[%d].role", i)
		role := strings.TrimSpace(s.Role)
		if role == "" && s.ID != "" {
			role = roleOf[s.ID]
		}
		switch {
		case role == "":
			add(p, "is empty: the template's roles are %s", quoteList(roles))
			continue
		case !contains(roles, role):
			add(p, "%q is not a role of the template (roles: %s; roles are case-sensitive)", role, quoteList(roles))
			continue
		}
		if j, dup := taken[role]; dup {
			add(p, "role %q is already taken by signers[%d]", role, j)
			continue
		}
		taken[role] = i
		out = append(out, templateSigner{Role: role, Name: s.FullName(), EmailAddress: strings.TrimSpace(s.Email)})
	}
	for _, r := range roles {
		if _, ok := taken[r]; !ok {
			add("signers", "role %q has no signer", r)
		}
	}
	if len(errs) > 0 {
		return nil, c.invalid(op, errs)
	}
	return out, nil
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// copyMetadata carries the source's metadata into the copy within the
// vendor's limits (10 keys, keys up to 40 characters, values up to 1000),
// keeping two keys for signdeck_source and signdeck_op. What it drops or
// trims is reported as warnings.
func copyMetadata(src map[string]json.RawMessage, sourceID, opID string) (map[string]any, []string) {
	out := map[string]any{}
	var warns, dropped []string
	room := MaxMetadataKeys - 2
	for _, k := range sortedKeys(src) {
		if k == MetaSource || k == MetaOperation {
			continue // replaced by this copy's own
		}
		if utf8.RuneCountInString(k) > MaxMetadataKeyLen {
			warns = append(warns, fmt.Sprintf("metadata key %q dropped: keys may be at most %d characters", models.CleanText(k), MaxMetadataKeyLen))
			continue
		}
		if room == 0 {
			dropped = append(dropped, fmt.Sprintf("%q", models.CleanText(k)))
			continue
		}
		v := bytes.TrimSpace(src[k])
		if len(v) == 0 || bytes.Equal(v, []byte("null")) {
			continue
		}
		if v[0] == '"' {
			var s string
			if json.Unmarshal(v, &s) != nil {
				continue
			}
			if utf8.RuneCountInString(s) > MaxMetadataValue {
				s = string([]rune(s)[:MaxMetadataValue])
				warns = append(warns, fmt.Sprintf("metadata %q trimmed to %d characters", models.CleanText(k), MaxMetadataValue))
			}
			out[k] = s
		} else {
			var buf bytes.Buffer
			if json.Compact(&buf, v) != nil {
				continue
			}
			if utf8.RuneCount(buf.Bytes()) > MaxMetadataValue {
				warns = append(warns, fmt.Sprintf("metadata %q dropped: its value is longer than %d characters", models.CleanText(k), MaxMetadataValue))
				continue
			}
			out[k] = json.RawMessage(buf.Bytes())
		}
		room--
	}
	if len(dropped) > 0 {
		warns = append(warns, fmt.Sprintf("metadata %s dropped: Dropbox Sign allows %d keys and signdeck needs 2 (%s, %s)",
			strings.Join(dropped, ", "), MaxMetadataKeys, MetaSource, MetaOperation))
	}
	out[MetaSource] = sourceID
	out[MetaOperation] = opID
	return out, warns
}

// copyCommon is what both send routes carry over from the source and the
// spec.
type copyCommon struct {
	Title, Subject, Message string
	Metadata                map[string]any
	TestMode                bool
}

// templateBody builds the send_with_template body of a copy: the signers
// by role, the CCs by the templates' CC roles (read with GET
// /template/{id}, as the vendor requires one for each), and the source's
// custom fields as far as the spec lets them be sent. It returns the
// warnings about what could not be carried.
func (c *Client) templateBody(ctx context.Context, op string, src *signatureRequest, spec models.CopySpec, cm copyCommon) ([]byte, []string, error) {
	signers, err := c.templateSigners(op, src, spec.Signers)
	if err != nil {
		return nil, nil, err
	}
	var roles []string
	for _, id := range src.TemplateIDs {
		t, err := c.template(ctx, op, id)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range t.CCRoles {
			if r.Name != "" && !contains(roles, r.Name) {
				roles = append(roles, r.Name)
			}
		}
	}
	ccs, warnings, err := c.templateCCs(op, roles, src.CCEmailAddresses)
	if err != nil {
		return nil, nil, err
	}
	fields, more := copyCustomFields(src.CustomFields)
	warnings = append(warnings, more...)
	body, err := jsonBody(sendWithTemplateRequest{TemplateIDs: src.TemplateIDs, Signers: signers, CCs: ccs,
		CustomFields: fields, Title: cm.Title, Subject: cm.Subject, Message: cm.Message, Metadata: cm.Metadata, TestMode: cm.TestMode})
	if err != nil {
		return nil, nil, c.errorf(providers.ErrInvalid, op, "%s", err.Error())
	}
	return body, warnings, nil
}

// template reads one template (GET /template/{id}).
func (c *Client) template(ctx context.Context, op, id string) (*templateInfo, error) {
	if err := c.checkID(op, id); err != nil {
		return nil, err
	}
	var tr templateResponse
	if _, err := c.call(ctx, c.request(http.MethodGet, "template/"+url.PathEscape(id), op), &tr); err != nil {
		var pe *providers.Error
		if errors.As(err, &pe) && pe.Message != "" {
			pe.Message = "reading template " + models.CleanText(id) + " for its CC roles: " + pe.Message
		}
		return nil, err
	}
	if tr.Template == nil {
		return nil, c.errorf(providers.ErrResponse, op, "the template response has no template object")
	}
	return tr.Template, nil
}

// templateCCs assigns the source's CC addresses to the templates' CC
// roles. Dropbox Sign reports a request's CC addresses but not which role
// each had, so they are matched in order; with more than one role the
// copy warns that it assumed that order. A role left without an address
// is refused before sending, as the vendor would refuse it; addresses
// beyond the roles are not carried (warned).
func (c *Client) templateCCs(op string, roles, addrs []string) ([]ccRole, []string, error) {
	var warnings []string
	if len(roles) == 0 {
		if len(addrs) > 0 {
			warnings = append(warnings, fmt.Sprintf("%d CC address(es) not carried: the template has no CC role to give them", len(addrs)))
		}
		return nil, warnings, nil
	}
	if len(addrs) < len(roles) {
		return nil, nil, c.invalid(op, &models.FieldError{Path: "ccs",
			Msg: fmt.Sprintf("the template requires a CC for each of its CC roles (%s) but the source has %d CC address(es), so Dropbox Sign would refuse the copy",
				quoteList(roles), len(addrs))})
	}
	out := make([]ccRole, len(roles))
	for i, r := range roles {
		out[i] = ccRole{Role: r, EmailAddress: strings.TrimSpace(addrs[i])}
	}
	if len(roles) > 1 {
		warnings = append(warnings, fmt.Sprintf("CC roles %s were given the source's CC addresses in their order: Dropbox Sign does not report which address had which role",
			quoteList(roles)))
	}
	if extra := len(addrs) - len(roles); extra > 0 {
		warnings = append(warnings, fmt.Sprintf("%d CC address(es) not carried: the template has only %d CC role(s)", extra, len(roles)))
	}
	return out, warnings, nil
}

// copyCustomFields carries the source's custom fields (merge fields) into
// a send_with_template body as the spec's SubCustomField allows: a name,
// a string value (omitted when empty, which the spec allows and which
// keeps a field the template requires), and the editor and required
// flags. A checkbox's state is a boolean, which SubCustomField (value:
// string) cannot carry: it is sent by name and its state is warned about,
// as is a field without a name.
func copyCustomFields(in []fieldValue) ([]customField, []string) {
	var out []customField
	var warnings []string
	for _, f := range in {
		name := f.Name
		if name == "" {
			warnings = append(warnings, "a custom field without a name was not carried")
			continue
		}
		cf := customField{Name: name}
		if f.Editor != nil && *f.Editor != "" {
			cf.Editor = *f.Editor
			cf.Required = f.Required
		}
		v := bytes.TrimSpace(f.Value)
		switch {
		case len(v) == 0 || bytes.Equal(v, []byte("null")):
		case v[0] == '"':
			var sv string
			if json.Unmarshal(v, &sv) == nil {
				cf.Value = sv
			}
		case bytes.Equal(v, []byte("true")) || bytes.Equal(v, []byte("false")):
			state := "unchecked"
			if v[0] == 't' {
				state = "checked"
			}
			warnings = append(warnings, fmt.Sprintf("custom field %q (a checkbox, %s) was sent without its state: Dropbox Sign takes only text values for custom fields; set it in the new request", models.CleanText(name), state))
		default:
			// A number or other scalar: send its text.
			cf.Value = string(v)
		}
		out = append(out, cf)
	}
	return out, warnings
}

// fileBody builds the send body of a copy by the source's current PDF
// (files_as_file_url). That PDF carries the signatures already made, so a
// source with any signer signed (or a completed one) is refused with the
// reason unless the spec allows it explicitly.
func (c *Client) fileBody(ctx context.Context, op string, src *signatureRequest, spec models.CopySpec, cm copyCommon) ([]byte, []string, error) {
	var warnings []string
	if signed, total := signedCount(src); signed > 0 || src.IsComplete {
		problem := fmt.Sprintf("%d of %d signers have already signed the source", signed, total)
		if src.IsComplete {
			problem = "the source is completed"
		}
		problem += ", and a copy by file sends the source's current PDF, which carries those signatures"
		if !spec.Options.AllowSignedSource {
			e := c.errorf(providers.ErrInvalid, op, "not copied: %s; confirm with the allow_signed_source option to copy it anyway", problem)
			e.Path = "options.allow_signed_source"
			return nil, nil, e
		}
		warnings = append(warnings, "copied on confirmation although "+problem)
	}
	fileURL, err := c.fileURL(ctx, op, src.SignatureRequestID)
	if err != nil {
		return nil, nil, err
	}
	body, err := jsonBody(sendRequest{FileURLs: []string{fileURL}, Signers: sendSigners(spec.Signers),
		Title: cm.Title, Subject: cm.Subject, Message: cm.Message, Metadata: cm.Metadata,
		CCEmailAddresses: src.CCEmailAddresses, TestMode: cm.TestMode})
	if err != nil {
		return nil, nil, c.errorf(providers.ErrInvalid, op, "%s", err.Error())
	}
	return body, warnings, nil
}

// signedCount counts the source's signers who signed.
func signedCount(src *signatureRequest) (signed, total int) {
	for _, g := range src.Signatures {
		if signerStatus(g.StatusCode, false) == models.SignerSigned || (g.SignedAt != nil && *g.SignedAt > 0) {
			signed++
		}
	}
	return signed, len(src.Signatures)
}
