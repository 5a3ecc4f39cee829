package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers/constellation/constellationtest"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

// c1Draft returns a draft of the emulator, made ready to start.
func c1Draft(t *testing.T, srv *constellationtest.Server, not string) string {
	t.Helper()
	for _, s := range srv.Sessions() {
		if s.StatusCode == constellationtest.StatusDraft && s.ID != not {
			srv.ModifySession(s.ID, func(x *constellationtest.Session) {
				if len(x.Documents) == 0 {
					x.Documents = []string{"contract.pdf"}
				}
				for i := range x.Signers {
					if x.Signers[i].LastName == "" {
						x.Signers[i].LastName = "Last"
					}
				}
			})
			return "c1/" + s.ID
		}
	}
	t.Fatal("no draft")
	return ""
}

func TestSendConstellationCLI(t *testing.T) {
	t.Parallel()
	h, srv := newConstellation(t, constellationtest.Options{Size: 40})
	d := c1Draft(t, srv, "")
	r := h.run("", "send", d, "--yes", "--json")
	r.wantCode(t, ExitOK)
	got := actionsJSON(t, r)
	if len(got) != 1 || got[0].Outcome != "ok" || got[0].Status != string(models.StatusAwaitingSignature) {
		t.Fatalf("send --json: %+v", got)
	}
	if s, _ := srv.Session(strings.TrimPrefix(d, "c1/")); s.StatusCode != constellationtest.StatusSent {
		t.Errorf("emulator status %d", s.StatusCode)
	}
	if a := lastAudit(t, h); !strings.Contains(a, `"action":"send"`) || !strings.Contains(a, `"outcome":"ok"`) {
		t.Errorf("journal: %s", a)
	}
	// Not a draft any more: skipped, exit 0.
	r = h.run("", "send", d, "--yes")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "skipped") || !strings.Contains(r.stdout, "not a draft") {
		t.Errorf("again:\n%s", r)
	}
	// A start the vendor refuses: exit 1.
	d2 := c1Draft(t, srv, strings.TrimPrefix(d, "c1/"))
	srv.ModifySession(strings.TrimPrefix(d2, "c1/"), func(x *constellationtest.Session) { x.Documents = nil })
	h.run("", "send", d2, "--yes").wantCode(t, ExitFailure)
	h.run("", "send", d2).wantCode(t, ExitUsage)
	h.run("", "--readonly", "send", d2, "--yes").wantCode(t, ExitUsage)
}

func TestSendDropboxSignIsUsageError(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{})
	ref := dbxRequest(srv, "Offer", "bo@example.com")
	r := h.run("", "send", ref, "--yes")
	r.wantCode(t, ExitUsage)
	if !strings.Contains(r.stderr, "no drafts") {
		t.Errorf("stderr:\n%s", r)
	}
	// --send is a Constellation1 option.
	h.run("", "copy", ref, "--yes", "--send").wantCode(t, ExitUsage)
}

func TestCopyConstellationSendsTheDraft(t *testing.T) {
	t.Parallel()
	h, srv := newConstellation(t, constellationtest.Options{})
	ref := pick1(t, listJSON(t, h), models.StatusAwaitingSignature)
	srv.ModifySession(strings.TrimPrefix(ref, "c1/"), func(s *constellationtest.Session) {
		if len(s.Documents) == 0 {
			s.Documents = []string{"contract.pdf"}
		}
	})
	// Default: sent, and the result says so.
	r := h.run("", "copy", ref, "--yes")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "made and sent") || !strings.Contains(r.stdout, "Awaiting") {
		t.Errorf("copy:\n%s", r)
	}
	// --send=false: a draft, and the result says how to send it.
	r = h.run("", "copy", ref, "--yes", "--again", "--send=false", "--json")
	r.wantCode(t, ExitOK)
	var ns map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &ns); err != nil || ns["status"] != string(models.StatusDraft) {
		t.Fatalf("copy --send=false: %v\n%s", err, r)
	}
	r = h.run("", "copy", ref, "--yes", "--again", "--send=false")
	if !strings.Contains(r.stdout, "made as a draft") || !strings.Contains(r.stdout, "signdeck send c1/") {
		t.Errorf("draft copy:\n%s", r)
	}
	var sends int
	for _, l := range h.auditLines() {
		if strings.Contains(l, `"action":"send"`) {
			sends++
		}
	}
	if sends != 1 {
		t.Errorf("%d send operations journaled, want 1", sends)
	}
}

// Issue 10: a Constellation1 copy with --message is a validation error
// (exit 2), not a failure.
func TestCopyConstellationMessageIsExit2(t *testing.T) {
	t.Parallel()
	h, srv := newConstellation(t, constellationtest.Options{})
	ref := pick1(t, listJSON(t, h), models.StatusAwaitingSignature)
	before := srv.Len()
	r := h.run("", "copy", ref, "--yes", "--message", "Please sign")
	r.wantCode(t, ExitUsage)
	if !strings.Contains(r.stderr, "message") || srv.Len() != before {
		t.Errorf("copy --message:\n%s", r)
	}
}
