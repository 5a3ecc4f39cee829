package constellation

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

func TestParseDate(t *testing.T) {
	ref := time.Date(2024, 3, 5, 14, 30, 15, 0, time.UTC)
	ms := "1709649015000"
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"/Date(" + ms + ")/", ref, true},
		{"/Date(" + ms + "+0000)/", ref, true},
		{"/Date(" + ms + "-0500)/", ref, true},
		{"/Date(" + ms + "+0530)/", ref, true},
		{"Date(" + ms + ")", ref, true},
		{"/Date(-62135596800000)/", time.Time{}, true}, // DateTime.MinValue
		{"/Date(253402300799999)/", time.Time{}, true}, // DateTime.MaxValue
		{"2024-03-05T14:30:15Z", ref, true},
		{"2024-03-05T14:30:15.0000000Z", ref, true},
		{"2024-03-05T16:30:15+02:00", ref, true},
		{"2024-03-05T14:30:15", ref, true}, // no zone: UTC
		{"2024-03-05T14:30:15.1234567", ref.Add(123456700), true},
		{"2024-03-05 14:30:15", ref, true},
		{"3/5/2024 2:30:15 PM", ref, true},
		{"2024-03-05", time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), true},
		{"0001-01-01T00:00:00", time.Time{}, true},
		{"", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"/Date(abc)/", time.Time{}, false},
	} {
		got, ok := parseDate(tc.in)
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("parseDate(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	// The offset is kept for display; the instant is the UTC milliseconds.
	got, _ := parseDate("/Date(" + ms + "-0500)/")
	if _, off := got.Zone(); off != -5*3600 {
		t.Errorf("offset %d, want -05:00", off)
	}
	// JSON escapes "\/" to "/", as .NET writes it; numbers are ms.
	var o obj
	o, _ = asObj(json.RawMessage(`{"CreatedOn":"\/Date(` + ms + `)\/","Num":` + ms + `,"Str":"` + ms + `"}`))
	for _, name := range []string{"CreatedOn", "Num"} {
		if got := o.time(name); !got.Equal(ref) {
			t.Errorf("%s = %v", name, got)
		}
	}
}

func TestDetailsShapes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`{"Details":"Error: one."}`, []string{"Error: one."}},
		{`{"Details":["Error: one.","Error: two."]}`, []string{"Error: one.", "Error: two."}},
		{`{"Details":null}`, nil},
		{`{"Details":[]}`, nil},
		{`{"Details":""}`, nil},
		{`{"details":"lower case"}`, []string{"lower case"}},
		{`{"Details":[{"Message":"in an object"}]}`, []string{"in an object"}},
		{`{"Details":{"Description":"object"}}`, []string{"object"}},
		{`{"ErrorMessage":"other name"}`, []string{"other name"}},
		{`{"Details":"same","Errors":["same"]}`, []string{"same"}},
		{`{"Details":true}`, nil},
	} {
		o, _ := asObj(json.RawMessage(tc.in))
		if got := details(o); !slices.Equal(got, tc.want) {
			t.Errorf("details(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEnvelope(t *testing.T) {
	for _, tc := range []struct {
		in      string
		truthy  bool
		message string
	}{
		{`{"ReturnValue":"True"}`, true, ""},
		{`{"ReturnValue":"true"}`, true, ""},
		{`{"ReturnValue":true}`, true, ""},
		{`{"returnValue":"True"}`, true, ""},
		{`{"ReturnValue":"False","Details":"Error: x."}`, false, "Error: x."},
		{`{"ReturnValue":"False"}`, false, `ReturnValue "False"`},
		{`{"ReturnValue":null}`, false, "ReturnValue null"},
		{`{}`, false, "no result"},
		{`"a-bare-token"`, false, `ReturnValue "a-bare-token"`},
	} {
		raw, err := parseBody([]byte(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		env := readEnvelope(raw)
		if env.truthy() != tc.truthy {
			t.Errorf("%s: truthy %v", tc.in, env.truthy())
		}
		if tc.message != "" && !strings.Contains(env.message(), tc.message) {
			t.Errorf("%s: message %q lacks %q", tc.in, env.message(), tc.message)
		}
	}
}

func TestParseBodyUnwraps(t *testing.T) {
	inner := `{"ReturnValue":"True"}`
	for _, in := range []string{
		inner,
		"\xef\xbb\xbf" + inner,
		`{"d":` + inner + `}`,
		`{"CancelSessionResult":` + inner + `}`,
		`"{\"ReturnValue\":\"True\"}"`,
		"  \n" + inner + "\n",
	} {
		raw, err := parseBody([]byte(in))
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if !readEnvelope(raw).truthy() {
			t.Errorf("%q: not unwrapped to the envelope", in)
		}
	}
	for _, in := range []string{"", "<html>oops</html>", `{"ReturnValue": "True", "Sessions": [{"SigningSessionId": tru`, "Service Unavailable"} {
		if _, err := parseBody([]byte(in)); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
	// A one-member object that is not a wrapper stays as it is.
	raw, _ := parseBody([]byte(`{"TotalCount":0}`))
	if o, _ := asObj(raw); !o.has("TotalCount") {
		t.Error("a one-member answer was unwrapped")
	}
}

func TestToSessionTolerant(t *testing.T) {
	pascal := `{"SigningSessionId":"S1","StatusCode":"2","CreatedOn":"\/Date(1709649015000+0000)\/",
		"SessionInfo":{"Title":"Purchase Agreement","TransactionId":"TX-9","ExpiresOn":"2024-04-05T00:00:00",
			"CopyTo":"a@example.com, b@example.com","OwnerEmail":"agent@example.com","Unknown":{"x":1}},
		"Signers":[{"SignerID":"G2","LastName":"Okafor","FirstName":"Daniel","EmailAddress":"d@example.com","Sequence":"2","StatusCode":"6","DeclinedReason":"no"},
		           {"SignerId":"G1","FullName":"Ana Lopez","EmailAddress":"a@example.com","Sequence":1,"StatusCode":4,"SignedOn":"2024-03-06T10:00:00Z"}],
		"Documents":[{"FileName":"x.pdf"}],"SomethingNew":[1,2,3]}`
	camel := `{"signingSessionId":"S1","statusCode":2,"createdOn":"2024-03-05T14:30:15Z",
		"sessionInfo":{"title":"Purchase Agreement","transactionId":"TX-9","expiresOn":"/Date(1712275200000)/",
			"copyTo":"a@example.com,b@example.com","ownerEmail":"agent@example.com"},
		"signers":[{"signerId":"G1","fullName":"Ana Lopez","emailAddress":"a@example.com","sequence":1,"statusCode":4,"signedOn":"/Date(1709719200000)/"},
		           {"signerId":"G2","lastName":"Okafor","firstName":"Daniel","emailAddress":"d@example.com","sequence":2,"statusCode":6,"declineReason":"no"}]}`
	for name, in := range map[string]string{"PascalCase": pascal, "camelCase": camel} {
		o, ok := asObj(json.RawMessage(in))
		if !ok {
			t.Fatalf("%s: not an object", name)
		}
		s := toSession("acct", o)
		if s.Ref != (models.Ref{Account: "acct", ID: "S1"}) || s.Status != models.StatusAwaitingSignature ||
			s.Title != "Purchase Agreement" || s.TransactionID != "TX-9" || s.Requester != "agent@example.com" ||
			!s.CreatedAt.Equal(time.Date(2024, 3, 5, 14, 30, 15, 0, time.UTC)) ||
			!s.ExpiresAt.Equal(time.Date(2024, 4, 5, 0, 0, 0, 0, time.UTC)) ||
			!slices.Equal(s.CC, []string{"a@example.com", "b@example.com"}) || !s.Complete || len(s.Warnings) != 0 {
			t.Errorf("%s: %+v", name, s)
		}
		if len(s.Signers) != 2 {
			t.Fatalf("%s: %d signers", name, len(s.Signers))
		}
		a, d := s.Signers[0], s.Signers[1] // sorted by Sequence
		if a.ID != "G1" || a.Name != "Ana Lopez" || a.Order != 1 || a.Status != models.SignerSigned ||
			!a.SignedAt.Equal(time.Date(2024, 3, 6, 10, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: signer 1 %+v", name, a)
		}
		if d.ID != "G2" || d.Name != "Daniel Okafor" || d.Order != 2 || d.Status != models.SignerDeclined || d.DeclineReason != "no" {
			t.Errorf("%s: signer 2 %+v", name, d)
		}
	}
}

func TestToSessionCleansText(t *testing.T) {
	o, _ := asObj(json.RawMessage(`{"SigningSessionId":"S1","StatusCode":1,"SessionInfo":{"Title":"Deal\u001b[31m red\u202e"}}`))
	if s := toSession("a", o); s.Title != "Deal red" {
		t.Errorf("title %q", s.Title)
	}
}

func TestSessionStatusMapping(t *testing.T) {
	want := map[int64]models.Status{
		1: models.StatusDraft, 2: models.StatusAwaitingSignature, 3: models.StatusCompleted, 4: models.StatusCanceled,
		5: models.StatusDeleted, 6: models.StatusPaused, 7: models.StatusExpired, 8: models.StatusDeleted, 9: models.StatusArchived,
	}
	for code, st := range want {
		got, raw, known := mapSessionStatus(code)
		if got != st || !known {
			t.Errorf("code %d: %q, want %q", code, got, st)
		}
		if (code == 8) != (raw == "purged") {
			t.Errorf("code %d: raw %q", code, raw)
		}
	}
	for _, in := range []string{`{"StatusCode":12}`, `{"StatusCode":"12"}`, `{"Status":12}`} {
		o, _ := asObj(json.RawMessage(`{"SigningSessionId":"S",` + in[1:]))
		s := toSession("a", o)
		if s.Status != models.StatusError || s.RawStatus != "code 12" || len(s.Warnings) != 1 {
			t.Errorf("%s: %q %q %v", in, s.Status, s.RawStatus, s.Warnings)
		}
	}
	for in, st := range map[string]models.Status{`"InSent"`: models.StatusAwaitingSignature, `"Cancelled"`: models.StatusCanceled, `"Archived"`: models.StatusArchived} {
		o, _ := asObj(json.RawMessage(`{"SigningSessionId":"S","StatusCode":` + in + `}`))
		if s := toSession("a", o); s.Status != st {
			t.Errorf("%s: %q, want %q", in, s.Status, st)
		}
	}
	o, _ := asObj(json.RawMessage(`{"SigningSessionId":"S"}`))
	if s := toSession("a", o); s.Status != models.StatusError || s.RawStatus != "no status" {
		t.Errorf("no status: %q %q", s.Status, s.RawStatus)
	}
}

func TestSignerStatusMapping(t *testing.T) {
	want := map[int64]models.SignerStatus{
		1: models.SignerPending, 2: models.SignerAwaiting, 3: models.SignerViewed, 4: models.SignerSigned,
		5: models.SignerCanceled, 6: models.SignerDeclined, 7: models.SignerDelegated, 8: models.SignerError,
	}
	for code, st := range want {
		if got, _ := mapSignerStatus(code); got != st {
			t.Errorf("code %d: %q, want %q", code, got, st)
		}
	}
	o, _ := asObj(json.RawMessage(`{"SignerId":"G","LastName":"X","StatusCode":8}`))
	if g := toSigner(o); g.Status != models.SignerError || g.Error != "authentication failed" {
		t.Errorf("authentication failed: %+v", g)
	}
	o, _ = asObj(json.RawMessage(`{"SignerId":"G","LastName":"X","StatusCode":"42"}`))
	if g := toSigner(o); g.Status != models.SignerUnknown || g.RawStatus != "code 42" {
		t.Errorf("unknown code: %+v", g)
	}
}

func TestDecodeListShapes(t *testing.T) {
	for _, tc := range []struct {
		in    string
		ids   []string
		total int
	}{
		{`{"TotalCount":2,"Sessions":[{"SigningSessionId":"A","StatusCode":2},{"SigningSessionId":"B","StatusCode":3}]}`, []string{"A", "B"}, 2},
		{`{"totalCount":"2","sessions":[{"signingSessionId":"A","statusCode":"2"},{"Id":"B","StatusCode":3}]}`, []string{"A", "B"}, 2},
		{`{"TotalCount":3,"SessionInfoLites":[{"SigningSessionId":"A","StatusCode":2}]}`, []string{"A"}, 3},
		{`{"TotalCount":1,"Whatever":[{"SigningSessionId":"A","StatusCode":2}]}`, []string{"A"}, 1},
		{`[{"SigningSessionId":"A","StatusCode":2}]`, []string{"A"}, -1},
		{`{"SigningSessionIds":["A","B"],"TotalCount":9}`, []string{"A", "B"}, 9},
		{`{"TotalCount":0,"Sessions":null}`, nil, 0},
		{`{"TotalCount":0}`, nil, 0},
	} {
		raw, _ := parseBody([]byte(tc.in))
		rows, total, _, ok := decodeList(raw)
		if !ok || total != tc.total {
			t.Errorf("%s: ok %v total %d", tc.in, ok, total)
		}
		var ids []string
		for _, r := range rows {
			if s, ok := toLite("a", r, models.StatusExpired); ok {
				ids = append(ids, s.Ref.ID)
				if s.Status == models.StatusError {
					t.Errorf("%s: row %s status error", tc.in, s.Ref.ID)
				}
			}
		}
		if !slices.Equal(ids, tc.ids) {
			t.Errorf("%s: ids %v, want %v", tc.in, ids, tc.ids)
		}
	}
	// A bucket row without a status takes the bucket's.
	s, _ := toLite("a", json.RawMessage(`"A"`), models.StatusArchived)
	if s.Status != models.StatusArchived || s.Complete {
		t.Errorf("bucket id row %+v", s)
	}
	s, _ = toLite("a", json.RawMessage(`{"SigningSessionId":"A"}`), models.StatusExpired)
	if s.Status != models.StatusExpired || len(s.Warnings) != 0 {
		t.Errorf("bucket object row %+v", s)
	}
	if _, _, _, ok := decodeList(json.RawMessage(`{"ReturnValue":null,"Details":"Error: x"}`)); ok {
		t.Error("an error answer decoded as a list")
	}
}

func TestCopyAnswerShapes(t *testing.T) {
	c := stubClient(t, "http://127.0.0.1:1")
	for _, tc := range []struct {
		body string
		id   string
		kind error
	}{
		{`{"SigningSessionId":"NEW","Sessions":[{"SigningSessionId":"NEW","StatusCode":1,"Signers":[{"LastName":"X"}]}]}`, "NEW", nil},
		{`{"SigningSessionId":"NEW","Session":{"SigningSessionId":"NEW","StatusCode":1}}`, "NEW", nil},
		{`{"SigningSessionId":"NEW"}`, "NEW", nil},
		{`{"SigningSessionId":"SRC","Sessions":[{"SigningSessionId":"NEW","StatusCode":1}]}`, "NEW", nil},
		{`{"ReturnValue":"NEW","Details":null}`, "NEW", nil}, // deserialized as a RequestResponse (§8.7)
		{`{"SigningSessionId":"00000000-0000-0000-0000-000000000000","Details":["Error: All signers must have a last name and valid email address."]}`, "", providers.ErrInvalid},
		{`{"ReturnValue":"False","Details":null}`, "", providers.ErrProvider},
		{`{"SigningSessionId":null,"Sessions":null}`, "", providers.ErrAmbiguous},
		{`{"SigningSessionId":"SRC"}`, "", providers.ErrAmbiguous},
	} {
		id, _, err := c.copyAnswer(&providers.Response{Status: 200, Body: []byte(tc.body)}, nil, "copy SRC", "SRC")
		if id != tc.id || (tc.kind == nil) != (err == nil) || (tc.kind != nil && !errors.Is(err, tc.kind)) {
			t.Errorf("%s: id %q err %v; want %q %v", tc.body, id, err, tc.id, tc.kind)
		}
	}
	_, _, err := c.copyAnswer(&providers.Response{Status: 503, Body: []byte("<html><title>Down</title></html>")}, nil, "copy SRC", "SRC")
	if !errors.Is(err, providers.ErrAmbiguous) || !strings.Contains(err.Error(), "Down") {
		t.Errorf("5xx: %v", err)
	}
	_, _, err = c.copyAnswer(&providers.Response{Status: 400, Body: []byte(`{"Message":"Bad Request"}`)}, nil, "copy SRC", "SRC")
	if !errors.Is(err, providers.ErrInvalid) {
		t.Errorf("400: %v", err)
	}
}

func TestClassify(t *testing.T) {
	for text, want := range map[string]error{
		"Error: Bad Token Information. Please authenticate.":                      providers.ErrUnauthorized,
		"Error: Invalid token":                                                    providers.ErrUnauthorized,
		"Error: Invalid API key":                                                  providers.ErrUnauthorized,
		"Error: Invalid user account information":                                 providers.ErrUnauthorized,
		"Error: Username not found.":                                              providers.ErrInvalid,
		"Error: All signers must have a last name and valid email address.":       providers.ErrInvalid,
		"Error: Signing session not found.":                                       providers.ErrNotFound,
		"Error: The signing session cannot be cancelled because it is Completed.": providers.ErrConflict,
		"Error: Please try again later.":                                          providers.ErrUnavailable,
		"Error: Something odd.":                                                   providers.ErrProvider,
	} {
		if got := classify(text); got != want {
			t.Errorf("classify(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestExcerpt(t *testing.T) {
	long := "<!DOCTYPE html><html><head><style>p{x:y}</style></head><body><p>" + strings.Repeat("word ", 200) + "</p></body></html>"
	got := excerpt([]byte(long), nil)
	if strings.Contains(got, "<") || strings.Contains(got, "x:y") || len([]rune(got)) > maxExcerpt || !strings.HasPrefix(got, "HTML page: word") {
		t.Errorf("excerpt = %q", got)
	}
	if got := excerpt([]byte("<html><head><title>503 Service Unavailable</title></head><body>…</body></html>"), nil); got != "HTML page: 503 Service Unavailable" {
		t.Errorf("excerpt = %q", got)
	}
	if got := excerpt([]byte("plain \x1b[2Jtext\n"), nil); got != "plain text" {
		t.Errorf("excerpt = %q", got)
	}
	if got := excerpt(nil, nil); got != "empty body" {
		t.Errorf("excerpt = %q", got)
	}
}

func TestCapabilities(t *testing.T) {
	c := stubClient(t, "http://127.0.0.1:1")
	caps := c.Capabilities()
	if !caps.Cancel || caps.AsyncCancel || !caps.Copy || !caps.ActionLog || !caps.LiteList || caps.Query ||
		!caps.Limits.RequireLastName || !slices.Equal(caps.CopyOptions, []string{"retain_fields", "transaction_id", "cancel_original"}) {
		t.Errorf("capabilities %+v", caps)
	}
	if c.Kind() != models.Constellation1 || c.Account() != "stub" {
		t.Error("kind or account")
	}
	if _, err := New(Config{Account: "a"}); err == nil {
		t.Error("New accepted an empty API key")
	}
	if _, err := New(Config{Account: "a", APIKey: "k", BaseURL: "http://api.example.com/rest"}); err == nil {
		t.Error("New accepted plain http to a remote host")
	}
	d, err := New(Config{Account: "a", APIKey: "k"})
	if err != nil || d.hc.BaseURL() != DefaultBaseURL || d.returnURL != DefaultReturnURL {
		t.Errorf("defaults: %v", err)
	}
}
