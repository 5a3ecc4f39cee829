package dropboxsign

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// checkCleanSession fails when a decoded session's text is not safe to
// show once cleaned (the session keeps the vendor's text; every front end
// shows it through models.CleanText), when its status is outside the
// neutral set or a time comes from a non-positive timestamp.
func checkCleanSession(t *testing.T, s models.Session) {
	t.Helper()
	texts := []string{s.Ref.ID, s.Title, s.Subject, s.Message, s.RawStatus, s.Requester, s.URL}
	for _, g := range s.Signers {
		texts = append(texts, g.ID, g.Name, g.Email, g.Role, g.RawStatus, g.DeclineReason, g.Error)
	}
	texts = append(texts, s.CC...)
	for _, w := range s.Warnings {
		texts = append(texts, w)
	}
	for _, x := range texts {
		shown := models.CleanText(x)
		for _, r := range shown {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError && !strings.ContainsRune(x, utf8.RuneError) {
				t.Fatalf("%U left in %q (from %q)", r, shown, x)
			}
		}
	}
	if !s.Status.Valid() {
		t.Fatalf("status %q is not a neutral status", s.Status)
	}
	for _, tm := range []time.Time{s.CreatedAt, s.ExpiresAt} {
		if !tm.IsZero() && tm.Unix() <= 0 {
			t.Fatalf("time %v from a non-positive timestamp", tm)
		}
	}
	assertNoSecret(t, "decoded session", strings.Join(texts, " "))
}

// FuzzDecodeSignatureRequest feeds GET /signature_request bodies (dates as
// numbers, strings or nulls; metadata of every JSON type; numbers as
// strings) to the decoder: it answers a typed response error or a clean
// session, never a panic.
func FuzzDecodeSignatureRequest(f *testing.F) {
	f.Add([]byte(`{"signature_request":{"signature_request_id":"abc","title":"T","created_at":1700000000,"expires_at":null,"is_complete":false,"signatures":[{"signature_id":"s1","signer_email_address":"a@example.com","status_code":"awaiting_signature","order":"1","signed_at":"1700000000"}],"metadata":{"n":1,"s":"x","o":{"a":[1,2]}}},"warnings":[{"warning_msg":"w","warning_name":"n"}]}`))
	f.Add([]byte(`{"signature_request":{"created_at":"2024-01-01T00:00:00Z"}}`))
	f.Add([]byte(`{"signature_request":{"title":"\u001b]0;x\u0007t\u200d","created_at":-1,"is_declined":true}}`))
	f.Add([]byte(`[]`))
	c, err := New(Config{Account: "fz", BaseURL: "https://127.0.0.1:1/v3", APIKey: testKey})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var gr getResponse
		err := c.decode("get x", &providers.Response{Status: 200, Body: body}, &gr)
		if err != nil {
			var pe *providers.Error
			if !errors.As(err, &pe) || !errors.Is(err, providers.ErrResponse) {
				t.Fatalf("error %T %v, want a typed response error", err, err)
			}
			if models.CleanText(pe.Message) != pe.Message {
				t.Fatalf("unclean error text %q", pe.Message)
			}
			assertNoSecret(t, "decode error", err.Error())
			return
		}
		if gr.SignatureRequest != nil {
			checkCleanSession(t, c.toSession(gr.SignatureRequest, gr.Warnings))
		}
	})
}

// FuzzDecodeList does the same for list pages.
func FuzzDecodeList(f *testing.F) {
	f.Add([]byte(`{"signature_requests":[{"signature_request_id":"a","created_at":1},{"signature_request_id":null}],"list_info":{"num_pages":"2","page":1,"num_results":3,"page_size":20}}`))
	f.Add([]byte(`{"signature_requests":null,"list_info":null}`))
	c, err := New(Config{Account: "fz", BaseURL: "https://127.0.0.1:1/v3", APIKey: testKey})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var lr listResponse
		if err := c.decode("list", &providers.Response{Status: 200, Body: body}, &lr); err != nil {
			if !errors.Is(err, providers.ErrResponse) {
				t.Fatalf("error %v, want a typed response error", err)
			}
			return
		}
		for i := range lr.SignatureRequests {
			checkCleanSession(t, c.toSession(&lr.SignatureRequests[i], lr.Warnings))
		}
	})
}
