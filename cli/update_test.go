package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers/constellation/constellationtest"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

func TestUpdateDropboxSignCLI(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{})
	ref := dbxRequest(srv, "Offer", "ana@exmaple.com")
	id := strings.TrimPrefix(ref, "acme/")

	r := h.run("", "update", ref, "--signer", `ana@exmaple.com=Ana Lima <ana@example.com>`, "--yes", "--json")
	r.wantCode(t, ExitOK)
	got := actionsJSON(t, r)
	if len(got) != 1 || got[0].Outcome != "ok" || len(got[0].Signers) != 1 || got[0].Signers[0].Email != "ana@example.com" {
		t.Fatalf("update --json: %+v", got)
	}
	if sr, _ := srv.Get(id); sr.Signatures[0].SignerEmailAddress != "ana@example.com" || *sr.Signatures[0].SignerName != "Ana Lima" {
		t.Errorf("emulator: %+v", sr.Signatures[0])
	}
	if a := lastAudit(t, h); !strings.Contains(a, `"action":"update"`) || !strings.Contains(a, `"outcome":"ok"`) {
		t.Errorf("journal: %s", a)
	}

	// --expires alone on several sessions.
	ref2 := dbxRequest(srv, "Listing", "bo@example.com")
	day := time.Now().AddDate(0, 0, 30).Format("2006-01-02")
	r = h.run("", "update", ref, ref2, "--expires", day, "--yes", "--json")
	r.wantCode(t, ExitOK)
	got = actionsJSON(t, r)
	if len(got) != 2 || got[0].ExpiresAt == nil || got[1].ExpiresAt == nil || len(got[0].Signers) != 0 {
		t.Fatalf("expires: %+v", got)
	}
	if sr, _ := srv.Get(strings.TrimPrefix(ref2, "acme/")); sr.ExpiresAt == nil ||
		time.Unix(*sr.ExpiresAt, 0).Local().Format("2006-01-02") != day {
		t.Errorf("emulator expiry %v, want %s", sr.ExpiresAt, day)
	}

	// Usage errors: exit 2, nothing sent.
	n := srv.Count("POST", "/v3/signature_request/update/")
	for _, args := range [][]string{
		{"update", ref, "--expires", "next tuesday", "--yes"},
		{"update", ref, "--expires", "2001-01-01", "--yes"},
		{"update", ref, "--signer", "ana@example.com", "--yes"},
		{"update", ref, "--signer", "nobody=Ana <ana@example.com>", "--yes"},
		{"update", ref, ref2, "--signer", "ana@example.com=Ana L", "--yes"},
		{"update", ref, "--yes"},
		{"update", ref, "--expires", time.Now().AddDate(0, 6, 0).Format("2006-01-02"), "--yes"}, // over 90 days
	} {
		r := h.run("", args...)
		if r.code != ExitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r)
		}
	}
	if m := srv.Count("POST", "/v3/signature_request/update/"); m != n {
		t.Errorf("%d updates sent by refused commands", m-n)
	}

	// An appended signature page: refused by the vendor, said clearly.
	ref3 := dbxRequest(srv, "No fields", "cy@example.com")
	srv.Modify(strings.TrimPrefix(ref3, "acme/"), func(r *dropboxsigntest.SignatureRequest) { r.AppendedSignaturePage = true })
	r = h.run("", "update", ref3, "--signer", "cy@example.com=cy@example.org", "--yes")
	r.wantCode(t, ExitFailure)
	if !strings.Contains(r.stdout+r.stderr, "appended signature page") || !strings.Contains(r.stderr, "Copy the request") {
		t.Errorf("appended page:\n%s", r)
	}
}

func TestUpdateConstellationCLI(t *testing.T) {
	t.Parallel()
	h, srv := newConstellation(t, constellationtest.Options{})
	ref := pick1(t, listJSON(t, h), models.StatusAwaitingSignature)
	id := strings.TrimPrefix(ref, "c1/")
	s, _ := srv.Session(id)
	old := s.Signers[0].Email
	r := h.run("", "update", ref, "--signer", old+"=Fixed Person <fixed@example.com>", "--yes")
	r.wantCode(t, ExitOK)
	if after, _ := srv.Session(id); after.Signers[0].Email != "fixed@example.com" || after.Signers[0].LastName != "Person" {
		t.Errorf("emulator: %+v\n%s", after.Signers[0], r)
	}
	// Constellation1 cannot change the expiry: exit 2 with the reason.
	r = h.run("", "update", ref, "--expires", time.Now().AddDate(0, 0, 5).Format("2006-01-02"), "--yes")
	r.wantCode(t, ExitUsage)
	if !strings.Contains(r.stderr, "cannot change the expiry") {
		t.Errorf("stderr:\n%s", r)
	}
}

func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	got, err := parseExpiry("2026-12-20", now, time.UTC)
	if err != nil || !got.Equal(time.Date(2026, 12, 20, 23, 59, 59, 0, time.UTC)) {
		t.Errorf("date: %v %v", got, err)
	}
	got, err = parseExpiry("2026-12-20T17:00:00+01:00", now, time.UTC)
	if err != nil || !got.Equal(time.Date(2026, 12, 20, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("rfc3339: %v %v", got, err)
	}
	for _, bad := range []string{"20/12/2026", "2026-12-01", "", "2026-13-01"} {
		if _, err := parseExpiry(bad, now, time.UTC); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
