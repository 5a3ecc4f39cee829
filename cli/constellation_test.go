package cli

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers/constellation/constellationtest"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

// c1Token is the Constellation1 emulator's API key in these tests.
const c1Token = "c1-test-key-93d4e07b11"

// newConstellation starts a Constellation1 emulator and a harness whose
// config has one account, c1, pointing at it.
func newConstellation(t *testing.T, opts constellationtest.Options) (*harness, *constellationtest.Server) {
	t.Helper()
	srv := startConstellation(t, opts)
	h := newHarness(t, c1Config("c1", srv))
	h.env["SIGNDECK_TOKEN_C1"] = c1Token
	h.secrets = []string{c1Token}
	return h, srv
}

func startConstellation(t *testing.T, opts constellationtest.Options) *constellationtest.Server {
	t.Helper()
	if opts.Size == 0 {
		opts.Size = 20
	}
	if opts.Seed == 0 {
		opts.Seed = 3
	}
	opts.APIKeys = []string{c1Token}
	srv, err := constellationtest.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func c1Config(name string, srv *constellationtest.Server) string {
	return fmt.Sprintf(`accounts:
  - name: %s
    provider: constellation1
    base_url: %s
    username: %s
    transactions: [%s]
`, name, srv.URL(), srv.Username(), strings.Join(srv.Transactions(), ", "))
}

func TestListAndShowConstellation(t *testing.T) {
	t.Parallel()
	h, srv := newConstellation(t, constellationtest.Options{})
	all := listJSON(t, h)
	if len(all) == 0 {
		t.Fatal("no sessions")
	}
	for _, s := range all {
		checkSessionJSON(t, s)
		if s["provider"] != "constellation1" || s["account"] != "c1" {
			t.Errorf("session %v", s)
		}
	}
	// Statuses kept in a separate view are fetched when asked for.
	expired := listJSON(t, h, "--status", "expired")
	for _, s := range expired {
		if s["status"] != "expired" {
			t.Errorf("--status expired kept %v", s["status"])
		}
	}

	ref := pick1(t, all, models.StatusAwaitingSignature)
	r := h.run("", "show", ref, "--json")
	r.wantCode(t, ExitOK)
	var d detailJSON
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatal(err)
	}
	es, _ := srv.Session(strings.TrimPrefix(ref, "c1/"))
	if d.Ref != ref || len(d.Signers) != len(es.Signers) || len(d.SignerDetails) != len(es.Signers) {
		t.Errorf("show --json: ref %s, %d signers, want %d", d.Ref, len(d.Signers), len(es.Signers))
	}
	if len(es.ActionLog) > 0 && len(d.ActionLog) == 0 {
		t.Error("show --json has no action log")
	}
	r = h.run("", "show", ref)
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "Provider:     Constellation1") && !regexp.MustCompile(`Provider:\s+Constellation1`).MatchString(r.stdout) {
		t.Errorf("show\n%s", r)
	}
	if len(es.ActionLog) > 0 && !strings.Contains(r.stdout, "Action log:") {
		t.Errorf("show has no action log\n%s", r)
	}
}

// pick1 returns the ref of the first session in status st.
func pick1(t *testing.T, sessions []map[string]any, st models.Status) string {
	t.Helper()
	for _, s := range sessions {
		if s["status"] == string(st) {
			return s["ref"].(string)
		}
	}
	t.Fatalf("no %s session in the emulator's data", st)
	return ""
}

func TestCancelConstellationIsSynchronous(t *testing.T) {
	t.Parallel()
	h, _ := newConstellation(t, constellationtest.Options{})
	ref := pick1(t, listJSON(t, h), models.StatusAwaitingSignature)
	r := h.run("", "cancel", ref, "--yes", "--json")
	r.wantCode(t, ExitOK)
	want := []map[string]any{{"ref": ref, "ok": true, "status": "canceled", "error": nil, "skipped": false, "outcome": "ok"}}
	var got []map[string]any
	json.Unmarshal([]byte(r.stdout), &got)
	if !jsonEqual(withoutOpIDs(t, got), want) {
		t.Errorf("cancel --json = %v, want %v", got, want)
	}
	// Canceled now: a second cancel is skipped, not sent.
	r = h.run("", "cancel", ref, "--yes", "--json")
	r.wantCode(t, ExitOK)
	json.Unmarshal([]byte(r.stdout), &got)
	if len(got) != 1 || !got[0]["skipped"].(bool) || got[0]["error"] != "session already canceled" {
		t.Errorf("second cancel = %v", got)
	}
}

func TestCopyConstellation(t *testing.T) {
	t.Parallel()
	h, srv := newConstellation(t, constellationtest.Options{})
	ref := pick1(t, listJSON(t, h), models.StatusAwaitingSignature)
	tx := srv.Transactions()[len(srv.Transactions())-1]

	// An invalid signer list is not sent.
	r := h.run("", "copy", ref, "--yes", "--signer", "Ana Lima <ana@example.com>", "--signer", "Ana Two <ana@example.com>")
	r.wantCode(t, ExitUsage)
	if !strings.Contains(r.stderr, "--signer #2 email: ana@example.com is already signer 1") {
		t.Errorf("stderr\n%s", r)
	}
	// A Dropbox Sign option is refused.
	r = h.run("", "copy", ref, "--yes", "--test-mode")
	r.wantCode(t, ExitUsage)

	// The source's own signers, listed in place, are all kept.
	r = h.run("", "show", ref, "--json")
	var d detailJSON
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatal(err)
	}
	args := []string{"copy", ref, "--yes"}
	for _, g := range d.Signers {
		args = append(args, "--signer", g.Name+" <"+g.Email+">")
	}
	r = h.run("", args...)
	r.wantCode(t, ExitOK)
	if n := strings.Count(r.stdout, "= kept"); n != len(d.Signers) || strings.Contains(r.stdout, "changed") {
		t.Errorf("%d of %d signers kept\n%s", n, len(d.Signers), r)
	}

	before := srv.Len()
	r = h.run("", "copy", ref, "--yes", "--json", "--transaction", tx, "--retain-fields=false",
		"--signer", "Ana Lima <ana.lima@example.com>", "--signer", "Bo Ek <bo.ek@example.com>")
	r.wantCode(t, ExitOK)
	var ns map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &ns); err != nil {
		t.Fatalf("copy --json: %v\n%s", err, r)
	}
	checkSessionJSON(t, ns)
	if got := emails(ns["signers"].([]any)); strings.Join(got, ",") != "ana.lima@example.com,bo.ek@example.com" {
		t.Errorf("signers %v", got)
	}
	if srv.Len() != before+1 {
		t.Errorf("emulator has %d sessions, want %d", srv.Len(), before+1)
	}
	es, ok := srv.Session(ns["id"].(string))
	if !ok || es.TransactionID != tx || es.RetainFields || es.CopiedFrom != strings.TrimPrefix(ref, "c1/") {
		t.Errorf("emulator's copy: tx %q retain %v from %q", es.TransactionID, es.RetainFields, es.CopiedFrom)
	}
}

// TestListAcrossProviders lists both providers at once, merged and sorted.
func TestListAcrossProviders(t *testing.T) {
	t.Parallel()
	c1 := startConstellation(t, constellationtest.Options{Size: 10})
	dbx, err := dropboxsigntest.NewServer(dropboxsigntest.Options{Seed: 5, Size: 10, APIKeys: []string{dbxToken}, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dbx.Close)
	h := newHarness(t, c1Config("c1", c1)+fmt.Sprintf(`  - name: acme
    provider: dropboxsign
    base_url: %s
    team: true
`, dbx.URL))
	h.env["SIGNDECK_TOKEN_C1"] = c1Token
	h.env["SIGNDECK_TOKEN_ACME"] = dbxToken
	h.secrets = []string{c1Token, dbxToken}

	all := listJSON(t, h)
	n := map[string]int{}
	var prev time.Time
	for i, s := range all {
		n[s["provider"].(string)]++
		ct, _ := time.Parse(time.RFC3339, s["created_at"].(string))
		if i > 0 && ct.After(prev) {
			t.Errorf("not sorted newest first at %d", i)
		}
		prev = ct
	}
	if n["dropboxsign"] != 10 || n["constellation1"] == 0 {
		t.Errorf("sessions per provider: %v", n)
	}
	only := listJSON(t, h, "--account", "acme")
	if len(only) != 10 {
		t.Errorf("--account acme gave %d", len(only))
	}
}

// TestCopyConstellationUnknownOutcomeThenRetry: the copy is made but its
// answer is lost and the search that follows fails, so the outcome is
// unknown (exit 1, hint with the operation id); the retry with
// --operation-id finds the copy and sends nothing.
func TestCopyConstellationUnknownOutcomeThenRetry(t *testing.T) {
	t.Parallel()
	h, srv := newConstellation(t, constellationtest.Options{})
	ref := pick1(t, listJSON(t, h), models.StatusAwaitingSignature)
	before := srv.Len()
	srv.SetFaults(constellationtest.Faults{ResetRate: 1, AfterEffect: true, Ops: []string{"copy", "lite"}})
	r := h.run("", "copy", ref, "--yes", "--signer", "Ana Lima <ana.lima@example.com>")
	r.wantCode(t, ExitFailure)
	m := operationIDRE.FindStringSubmatch(r.stderr)
	if m == nil || !strings.Contains(r.stderr, "may or may not have been made") {
		t.Fatalf("no unknown-outcome hint with an operation id\n%s", r)
	}
	if srv.Len() != before+1 || srv.Count("copy") != 1 {
		t.Fatalf("%d new sessions, %d copy requests", srv.Len()-before, srv.Count("copy"))
	}

	srv.SetFaults(constellationtest.Faults{})
	r = h.run("", "copy", ref, "--yes", "--signer", "Ana Lima <ana.lima@example.com>", "--operation-id", m[1])
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "Copy confirmed by its operation id") {
		t.Errorf("retry\n%s", r)
	}
	if srv.Len() != before+1 || srv.Count("copy") != 1 {
		t.Errorf("the retry sent again: %d new sessions, %d copy requests", srv.Len()-before, srv.Count("copy"))
	}
}

// TestCopyConstellationOneWordName: Constellation1 requires a last name and
// not a first name, so a one-word --signer is sent as the last name (and
// accepted), not refused.
func TestCopyConstellationOneWordName(t *testing.T) {
	t.Parallel()
	h, srv := newConstellation(t, constellationtest.Options{})
	ref := pick1(t, listJSON(t, h), models.StatusAwaitingSignature)
	r := h.run("", "copy", ref, "--yes", "--json", "--signer", "Cher <cher@example.com>")
	r.wantCode(t, ExitOK)
	var ns map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &ns); err != nil {
		t.Fatalf("copy --json: %v\n%s", err, r)
	}
	made, ok := srv.Session(ns["id"].(string))
	if !ok || len(made.Signers) != 1 || made.Signers[0].LastName != "Cher" || made.Signers[0].FirstName != "" {
		t.Errorf("the copy's signers: %+v", made.Signers)
	}
	var body struct {
		Session struct {
			Signers []map[string]any `json:"Signers"`
		} `json:"session"`
	}
	for _, req := range srv.Requests() {
		if req.Op == "copy" {
			if err := json.Unmarshal(req.Body, &body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(body.Session.Signers) != 1 || body.Session.Signers[0]["LastName"] != "Cher" || body.Session.Signers[0]["FirstName"] != nil {
		t.Errorf("copy body signers: %v", body.Session.Signers)
	}
}

// TestListKeepsPartialConstellation (issue 9 item 5): one transaction
// that fails does not hide the others: their rows print, the failure is
// named on stderr, and the exit status is 1.
func TestListKeepsPartialConstellation(t *testing.T) {
	t.Parallel()
	h, srv := newConstellation(t, constellationtest.Options{Size: 30, Transactions: []string{"TX-1", "TX-2", "TX-3"},
		Faults: constellationtest.Faults{MalformedRate: 1, Ops: []string{"lite"}, Limit: 1}})
	r := h.run("", "list", "--json")
	r.wantCode(t, ExitFailure)
	var got []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r)
	}
	want := 0
	for _, s := range srv.Sessions() {
		if s.TransactionID != "TX-1" && s.StatusCode != constellationtest.StatusDeleted &&
			s.StatusCode != constellationtest.StatusPurged && s.StatusCode != constellationtest.StatusArchived {
			want++
		}
	}
	if want == 0 || len(got) != want {
		t.Errorf("%d sessions printed, want the %d of TX-2 and TX-3", len(got), want)
	}
	if !strings.Contains(r.stderr, "signdeck: list c1:") || !strings.Contains(r.stderr, "TX-1") {
		t.Errorf("stderr does not name the failed transaction\n%s", r)
	}
}

// TestCopyConstellationMessageIsAUsageError: the copy call keeps the
// source's message, so --message is refused before anything is sent, with
// exit 2 like every other validation error.
func TestCopyConstellationMessageIsAUsageError(t *testing.T) {
	t.Parallel()
	h, srv := newConstellation(t, constellationtest.Options{})
	ref := pick1(t, listJSON(t, h), models.StatusAwaitingSignature)
	r := h.run("", "copy", ref, "--message", "new text", "--yes")
	r.wantCode(t, ExitUsage)
	if !strings.Contains(r.stderr, "keeps the source's message") || srv.Count("copy") != 0 {
		t.Errorf("copy --message\n%s", r)
	}
}
