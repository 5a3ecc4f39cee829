package dropboxsign

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
)

func sigs(codes ...string) []signature {
	out := make([]signature, len(codes))
	for i, c := range codes {
		out[i] = signature{SignatureID: "s" + c, SignerEmailAddress: c + "@example.com", StatusCode: c}
	}
	return out
}

func TestDeriveStatus(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	past, future, zero := now.Add(-time.Hour).Unix(), now.Add(time.Hour).Unix(), int64(0)
	cases := []struct {
		name    string
		sr      signatureRequest
		want    models.Status
		wantRaw string
	}{
		{"awaiting", signatureRequest{Signatures: sigs("awaiting_signature", "signed")}, models.StatusAwaitingSignature, ""},
		{"no signatures", signatureRequest{}, models.StatusAwaitingSignature, ""},
		{"complete wins over everything", signatureRequest{IsComplete: true, IsDeclined: true, HasError: true, Signatures: sigs("signed")}, models.StatusCompleted, ""},
		{"declined", signatureRequest{IsDeclined: true, Signatures: sigs("signed", "declined")}, models.StatusDeclined, ""},
		{"declined beats error", signatureRequest{IsDeclined: true, HasError: true}, models.StatusDeclined, ""},
		{"has_error", signatureRequest{HasError: true, Signatures: sigs("awaiting_signature")}, models.StatusError, "has_error"},
		{"error_ code without the flag", signatureRequest{Signatures: sigs("awaiting_signature", "error_file")}, models.StatusError, "error_file"},
		{"error beats expired", signatureRequest{ExpiresAt: &past, Signatures: sigs("expired", "error_text_tag")}, models.StatusError, "error_text_tag"},
		{"expired code", signatureRequest{Signatures: sigs("signed", "expired")}, models.StatusExpired, ""},
		{"expires_at passed", signatureRequest{ExpiresAt: &past, Signatures: sigs("awaiting_signature")}, models.StatusExpired, "expires_at passed"},
		{"expires_at ahead", signatureRequest{ExpiresAt: &future, Signatures: sigs("awaiting_signature")}, models.StatusAwaitingSignature, ""},
		{"expires_at 0 means none", signatureRequest{ExpiresAt: &zero, Signatures: sigs("awaiting_signature")}, models.StatusAwaitingSignature, ""},
		{"expired beats hold", signatureRequest{Signatures: sigs("on_hold", "expired")}, models.StatusExpired, ""},
		{"on hold by requester", signatureRequest{Signatures: sigs("on_hold_by_requester")}, models.StatusOnHold, "on_hold_by_requester"},
		{"by requester beats plain hold", signatureRequest{Signatures: sigs("on_hold", "on_hold_by_requester")}, models.StatusOnHold, "on_hold_by_requester"},
		{"on hold", signatureRequest{Signatures: sigs("signed", "on_hold")}, models.StatusOnHold, "on_hold"},
		{"unknown code stays visible", signatureRequest{Signatures: sigs("awaiting_signature", "pending_identity_check")}, models.StatusAwaitingSignature, "unknown status_code pending_identity_check"},
		{"empty code is unknown", signatureRequest{Signatures: sigs("")}, models.StatusAwaitingSignature, "unknown status_code (empty)"},
		{"unknown alongside a reason", signatureRequest{HasError: true, Signatures: sigs("mystery")}, models.StatusError, "has_error; unknown status_code mystery"},
		{"legacy success counts as signed", signatureRequest{Signatures: sigs("success", "awaiting_signature")}, models.StatusAwaitingSignature, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, raw := deriveStatus(&tc.sr, now)
			if got != tc.want || raw != tc.wantRaw {
				t.Errorf("deriveStatus = %q, %q; want %q, %q", got, raw, tc.want, tc.wantRaw)
			}
		})
	}
}

func TestSignerStatus(t *testing.T) {
	cases := []struct {
		code   string
		viewed bool
		want   models.SignerStatus
	}{
		{"awaiting_signature", false, models.SignerAwaiting},
		{"awaiting_signature", true, models.SignerViewed},
		{"signed", false, models.SignerSigned},
		{"success", false, models.SignerSigned},
		{"declined", true, models.SignerDeclined},
		{"on_hold", false, models.SignerOnHold},
		{"on_hold_by_requester", false, models.SignerOnHold},
		{"expired", false, models.SignerExpired},
		{"error_unknown", false, models.SignerError},
		{"error_invalid_email", false, models.SignerError},
		{"error_component_position", false, models.SignerError},
		{"reassigned", false, models.SignerUnknown},
		{"", false, models.SignerUnknown},
		{"SIGNED", false, models.SignerUnknown}, // codes are lowercase; do not guess
	}
	for _, tc := range cases {
		if got := signerStatus(tc.code, tc.viewed); got != tc.want {
			t.Errorf("signerStatus(%q, viewed=%v) = %q, want %q", tc.code, tc.viewed, got, tc.want)
		}
	}
}

func TestToSessionMapsEveryField(t *testing.T) {
	c, err := New(Config{Account: "acme", APIKey: "k3y-k3y"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	var sr signatureRequest
	raw := `{
	  "signature_request_id": "abc123", "title": "", "original_title": "Lease Renewal",
	  "subject": null, "message": "Please sign", "test_mode": true,
	  "metadata": {"a": "x", "n": 12, "b": true, "nested": {"k": ["v", 1]}, "nul": null},
	  "created_at": 1777000000, "expires_at": null,
	  "is_complete": false, "is_declined": false, "has_error": false,
	  "details_url": "https://app.hellosign.com/home/manage?guid=abc123",
	  "requester_email_address": "me@example.com", "cc_email_addresses": ["cc@example.com"],
	  "template_ids": ["t1"], "unknown_new_field": {"x": 1},
	  "signatures": [
	    {"signature_id": "s1", "signer_email_address": "a@example.com", "signer_name": "Ana", "signer_role": "Tenant",
	     "order": 1, "status_code": "signed", "signed_at": 1777000500, "last_viewed_at": 1777000400},
	    {"signature_id": "s2", "signer_email_address": "b@example.com", "signer_name": null, "signer_role": null,
	     "order": null, "status_code": "declined", "decline_reason": "wrong unit", "error": null, "last_reminded_at": 1777000900}
	  ]}`
	if err := json.Unmarshal([]byte(raw), &sr); err != nil {
		t.Fatal(err)
	}
	s := c.toSession(&sr, []warning{{Name: "unconfirmed", Msg: "confirm \x1b[31myour email"}})
	want := map[string]string{"a": "x", "n": "12", "b": "true", "nested": `{"k":["v",1]}`, "nul": ""}
	for k, v := range want {
		if s.Metadata[k] != v {
			t.Errorf("metadata[%q] = %q, want %q", k, s.Metadata[k], v)
		}
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"ref", s.Ref, models.Ref{Account: "acme", ID: "abc123"}},
		{"provider", s.Provider, models.DropboxSign},
		{"title falls back to original_title", s.Title, "Lease Renewal"},
		{"subject null", s.Subject, ""},
		{"message", s.Message, "Please sign"},
		{"status", s.Status, models.StatusAwaitingSignature},
		{"created", s.CreatedAt, time.Unix(1777000000, 0)},
		{"expires null", s.ExpiresAt.IsZero(), true},
		{"updated is the latest activity", s.UpdatedAt, time.Unix(1777000900, 0)},
		{"url", s.URL, "https://app.hellosign.com/home/manage?guid=abc123"},
		{"requester", s.Requester, "me@example.com"},
		{"cc", len(s.CC) == 1 && s.CC[0] == "cc@example.com", true},
		{"templates", len(s.TemplateIDs) == 1 && s.TemplateIDs[0] == "t1", true},
		{"test mode", s.TestMode, true},
		{"complete", s.Complete, true},
		{"warning cleaned", len(s.Warnings) == 1 && s.Warnings[0] == "unconfirmed: confirm your email", true},
		{"signer 1", s.Signers[0], models.Signer{ID: "s1", Name: "Ana", Email: "a@example.com", Role: "Tenant", Order: 1,
			Status: models.SignerSigned, RawStatus: "signed", SignedAt: time.Unix(1777000500, 0)}},
		{"signer 2", s.Signers[1], models.Signer{ID: "s2", Email: "b@example.com", Order: 0,
			Status: models.SignerDeclined, RawStatus: "declined", DeclineReason: "wrong unit",
			LastRemindedAt: time.Unix(1777000900, 0)}},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestQueuedCancelShowsPendingUntilTTL(t *testing.T) {
	c, err := New(Config{Account: "acme", APIKey: "k3y-k3y"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	open := signatureRequest{SignatureRequestID: "r1", Signatures: sigs("awaiting_signature")}
	done := signatureRequest{SignatureRequestID: "r2", IsComplete: true, Signatures: sigs("signed")}
	c.markCancel("r1")
	c.markCancel("r2")
	if st := c.toSession(&open, nil).Status; st != models.StatusCancelPending {
		t.Errorf("queued cancel: %v, want cancel_pending", st)
	}
	if st := c.toSession(&done, nil).Status; st != models.StatusCompleted {
		t.Errorf("a request that completed despite the cancel: %v, want completed", st)
	}
	now = now.Add(cancelPendingTTL + time.Minute)
	if st := c.toSession(&open, nil).Status; st != models.StatusAwaitingSignature {
		t.Errorf("after the TTL: %v, want the vendor's status (the cancel evidently did not happen)", st)
	}
}

func TestCopyMetadataLimits(t *testing.T) {
	long := make([]byte, 1200)
	for i := range long {
		long[i] = 'x'
	}
	src := map[string]json.RawMessage{
		"signdeck_op":     json.RawMessage(`"old-op"`),
		"signdeck_source": json.RawMessage(`"older"`),
		"a_long_text":     json.RawMessage(`"` + string(long) + `"`),
		"b_nested":        json.RawMessage(`{"x": {"y": 1}}`),
		"c_huge_nested":   json.RawMessage(`{"x": "` + string(long) + `"}`),
		"this_key_is_much_longer_than_forty_characters": json.RawMessage(`"v"`),
		"k1": json.RawMessage(`"1"`), "k2": json.RawMessage(`"2"`), "k3": json.RawMessage(`"3"`),
		"k4": json.RawMessage(`"4"`), "k5": json.RawMessage(`"5"`), "k6": json.RawMessage(`"6"`),
		"k7": json.RawMessage(`"7"`),
	}
	out, warns := copyMetadata(src, "SRC", "OP")
	if len(out) != MaxMetadataKeys {
		t.Errorf("%d keys, want %d: %v", len(out), MaxMetadataKeys, out)
	}
	if out[MetaSource] != "SRC" || out[MetaOperation] != "OP" {
		t.Errorf("signdeck keys: %v %v", out[MetaSource], out[MetaOperation])
	}
	if s, _ := out["a_long_text"].(string); len(s) != MaxMetadataValue {
		t.Errorf("long value kept with %d characters, want trimmed to %d", len(s), MaxMetadataValue)
	}
	if string(out["b_nested"].(json.RawMessage)) != `{"x":{"y":1}}` {
		t.Errorf("nested value not kept as an object: %s", out["b_nested"])
	}
	for _, k := range []string{"c_huge_nested", "this_key_is_much_longer_than_forty_characters", "k7"} {
		if _, ok := out[k]; ok {
			t.Errorf("%s should have been dropped", k)
		}
	}
	if len(warns) != 4 {
		t.Errorf("warnings %q: want one each for the trim, the huge nested value, the long key, and the keys over the limit", warns)
	}
	// Small metadata: nothing to report.
	out, warns = copyMetadata(map[string]json.RawMessage{"x": json.RawMessage(`"y"`)}, "S", "O")
	if len(warns) != 0 || len(out) != 3 {
		t.Errorf("small metadata: %v %q", out, warns)
	}
}

func TestSendSignersOrder(t *testing.T) {
	parallel := sendSigners([]models.CopySigner{{Name: "A", Email: "a@x.io"}, {Name: "B", Email: "b@x.io"}})
	for _, s := range parallel {
		if s.Order != nil {
			t.Errorf("equal orders must be sent without order: %+v", s)
		}
	}
	seq := sendSigners([]models.CopySigner{{Name: "A", Email: "a@x.io", Order: 5}, {Name: "B", Email: "b@x.io", Order: 2}, {Name: "C", Email: "c@x.io", Order: 9}})
	want := []int{1, 0, 2}
	for i, s := range seq {
		if s.Order == nil || *s.Order != want[i] {
			t.Errorf("signer %d order %v, want %d", i, s.Order, want[i])
		}
	}
}
