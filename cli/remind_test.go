package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers/constellation/constellationtest"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

// dbxRequest adds an open request of the emulator's owner with signers.
func dbxRequest(srv *dropboxsigntest.Server, title string, emails ...string) string {
	var sigs []dropboxsigntest.Signature
	for _, e := range emails {
		sigs = append(sigs, dropboxsigntest.Signature{SignerEmailAddress: e, SignerName: ptr(strings.Split(e, "@")[0] + " Tester"),
			StatusCode: "awaiting_signature"})
	}
	return "acme/" + srv.Add(dropboxsigntest.SignatureRequest{Title: title, RequesterEmailAddress: ptr(srv.Owner()), Signatures: sigs})
}

func actionsJSON(t *testing.T, r result) []actionJSON {
	t.Helper()
	var out []actionJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("json: %v\n%s", err, r)
	}
	return out
}

// lastAudit returns the newest journal line.
func lastAudit(t *testing.T, h *harness) string {
	t.Helper()
	lines := h.auditLines()
	if len(lines) == 0 {
		t.Fatal("empty journal")
	}
	return lines[len(lines)-1]
}

func TestRemindDropboxSignCLI(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{})
	ref := dbxRequest(srv, "Offer", "bo@example.com", "cy@example.com")

	r := h.run("", "remind", ref, "--yes", "--json")
	r.wantCode(t, ExitOK)
	got := actionsJSON(t, r)
	if len(got) != 1 || got[0].Outcome != "ok" || !got[0].OK || len(got[0].Signers) != 2 || got[0].Signers[0].Outcome != "ok" ||
		got[0].Signers[0].NextRemind == nil || !strings.HasPrefix(got[0].OperationID, "sdop") {
		t.Fatalf("remind --json: %+v", got)
	}
	if n := srv.Count("POST", "/v3/signature_request/remind/"); n != 2 {
		t.Errorf("%d reminders sent", n)
	}
	if a := lastAudit(t, h); !strings.Contains(a, `"action":"remind"`) || !strings.Contains(a, `"outcome":"ok"`) {
		t.Errorf("journal: %s", a)
	}

	// Within the hour: skipped with when the next is allowed, exit 0.
	r = h.run("", "remind", ref, "--email", "bo@example.com", "--yes")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "skipped") || !strings.Contains(r.stdout, "next reminder is allowed at") {
		t.Errorf("second remind:\n%s", r)
	}
	if n := srv.Count("POST", "/v3/signature_request/remind/"); n != 2 {
		t.Errorf("%d reminders sent after the skip", n)
	}

	// A signer not on the request: exit 1 with the reason.
	r = h.run("", "remind", ref, "--email", "zed@example.com", "--yes")
	r.wantCode(t, ExitFailure)
	if !strings.Contains(r.stderr, "zed@example.com") {
		t.Errorf("stderr:\n%s", r)
	}

	// Usage errors exit 2 and send nothing.
	h.run("", "remind", ref, "--email", "not-an-email", "--yes").wantCode(t, ExitUsage)
	h.run("", "remind", ref).wantCode(t, ExitUsage) // stdin is not a terminal
	h.run("", "--readonly", "remind", ref, "--yes").wantCode(t, ExitUsage)
	if n := srv.Count("POST", "/v3/signature_request/remind/"); n != 2 {
		t.Errorf("%d reminders sent after refusals", n)
	}
}

func TestRemindConstellationCLI(t *testing.T) {
	t.Parallel()
	h, srv := newConstellation(t, constellationtest.Options{})
	ref := pick1(t, listJSON(t, h), models.StatusAwaitingSignature)
	id := strings.TrimPrefix(ref, "c1/")
	srv.ModifySession(id, func(s *constellationtest.Session) {
		s.Signers = []constellationtest.Signer{
			{ID: "22222222-2222-4222-8222-222222222222", FirstName: "Bo", LastName: "Park", Email: "bo@example.com", Sequence: 1, StatusCode: constellationtest.SignerInvited},
		}
	})
	r := h.run("", "remind", ref, "--yes")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "reminded") || !strings.Contains(r.stdout, "bo@example.com") {
		t.Errorf("remind:\n%s", r)
	}
	if s, _ := srv.Session(id); s.Signers[0].Invites != 1 {
		t.Errorf("invites %d", s.Signers[0].Invites)
	}
}
