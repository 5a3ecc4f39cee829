package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
	"github.com/signdeck/signdeck/ui"
)

// dbxToken is the emulator's API key in these tests; it must never show.
const dbxToken = "dbx-test-key-5be1c0a7d2"

// newDropboxSign starts a Dropbox Sign emulator and a harness whose config
// has one account, acme, pointing at it, with the token in the
// environment.
func newDropboxSign(t *testing.T, opts dropboxsigntest.Options) (*harness, *dropboxsigntest.Server) {
	t.Helper()
	if opts.Size == 0 {
		opts.Size = 30
	}
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	opts.APIKeys = []string{dbxToken}
	opts.RateLimit, opts.SendRateLimit, opts.TestModeRateLimit = -1, -1, -1
	if opts.CancelDelay == 0 {
		opts.CancelDelay = time.Hour // cancels stay pending unless a test says otherwise
	}
	opts.Now = time.Now
	srv, err := dropboxsigntest.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	h := newHarness(t, fmt.Sprintf(`accounts:
  - name: acme
    provider: dropboxsign
    base_url: %s
    test_mode: true
    team: true
`, srv.URL))
	h.env["SIGNDECK_TOKEN_ACME"] = dbxToken
	h.secrets = []string{dbxToken}
	return h, srv
}

// listJSON runs list --json and decodes it.
func listJSON(t *testing.T, h *harness, args ...string) []map[string]any {
	t.Helper()
	r := h.run("", append([]string{"list", "--json"}, args...)...)
	r.wantCode(t, ExitOK)
	var out []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("list --json: %v\n%s", err, r)
	}
	return out
}

// pick returns the ref of the first session in status st that the
// account itself sent (a team member's request cannot be canceled).
func pick(t *testing.T, srv *dropboxsigntest.Server, sessions []map[string]any, st models.Status) string {
	t.Helper()
	for _, s := range sessions {
		sr, _ := srv.Get(s["id"].(string))
		// A source nobody signed yet: a copy by file refuses a signed one.
		signed := false
		for _, g := range sr.Signatures {
			signed = signed || g.StatusCode == "signed"
		}
		if s["status"] == string(st) && sr.RequesterEmailAddress != nil && *sr.RequesterEmailAddress == srv.Owner() && (!signed || st != models.StatusAwaitingSignature) {
			return s["ref"].(string)
		}
	}
	t.Fatalf("no %s session in the emulator's data", st)
	return ""
}

var sessionKeys = []string{"account", "created_at", "expires_at", "id", "provider", "ref", "signers", "status", "title", "url"}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func checkSessionJSON(t *testing.T, s map[string]any) {
	t.Helper()
	if got := keysOf(s); !slices.Equal(got, sessionKeys) {
		t.Errorf("session keys = %v, want %v", got, sessionKeys)
	}
	if s["ref"] != s["account"].(string)+"/"+s["id"].(string) {
		t.Errorf("ref %v is not account/id", s["ref"])
	}
	if !models.Status(s["status"].(string)).Valid() {
		t.Errorf("status %v is not a neutral status", s["status"])
	}
	if s["provider"] != "dropboxsign" && s["provider"] != "constellation1" {
		t.Errorf("provider %v", s["provider"])
	}
	for _, k := range []string{"created_at", "expires_at"} {
		if v, ok := s[k].(string); ok {
			if _, err := time.Parse(time.RFC3339, v); err != nil {
				t.Errorf("%s = %q is not RFC 3339", k, v)
			}
		} else if s[k] != nil {
			t.Errorf("%s = %v, want a string or null", k, s[k])
		}
	}
	signers, ok := s["signers"].([]any)
	if !ok {
		t.Fatalf("signers = %v, want an array", s["signers"])
	}
	for _, g := range signers {
		m := g.(map[string]any)
		if got := keysOf(m); !slices.Equal(got, []string{"email", "name", "order", "status"}) {
			t.Errorf("signer keys = %v", got)
		}
	}
}

func TestListDropboxSign(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{})
	all := listJSON(t, h)
	if len(all) != srv.Len() {
		t.Fatalf("list --json gave %d sessions, the emulator has %d", len(all), srv.Len())
	}
	var prev time.Time
	for i, s := range all {
		checkSessionJSON(t, s)
		if s["account"] != "acme" || s["provider"] != "dropboxsign" {
			t.Errorf("session %d: account %v provider %v", i, s["account"], s["provider"])
		}
		ct, _ := time.Parse(time.RFC3339, s["created_at"].(string))
		if i > 0 && ct.After(prev) {
			t.Errorf("session %d is newer than the one before: not sorted newest first", i)
		}
		prev = ct
	}

	// --status keeps only that status; prefixes work.
	awaiting := listJSON(t, h, "--status", "awaiting")
	if len(awaiting) == 0 || len(awaiting) == len(all) {
		t.Fatalf("--status awaiting kept %d of %d sessions", len(awaiting), len(all))
	}
	for _, s := range awaiting {
		if s["status"] != "awaiting_signature" {
			t.Errorf("--status awaiting kept a %v session", s["status"])
		}
	}
	both := listJSON(t, h, "--status", "awaiting,completed")
	nCompleted := len(listJSON(t, h, "--status", "completed"))
	if len(both) != len(awaiting)+nCompleted {
		t.Errorf("--status awaiting,completed gave %d, want %d+%d", len(both), len(awaiting), nCompleted)
	}

	// --account selects; an empty result is an empty array.
	if got := listJSON(t, h, "--account", "acme"); len(got) != len(all) {
		t.Errorf("--account acme gave %d sessions, want %d", len(got), len(all))
	}
	r := h.run("", "list", "--json", "--status", "archived")
	r.wantCode(t, ExitOK)
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("an empty list is %q, want []", r.stdout)
	}

	// Human form: a header and one aligned row per session, no colour.
	r = h.run("", "list")
	r.wantCode(t, ExitOK)
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != len(all)+1 {
		t.Fatalf("%d lines, want a header and %d rows\n%s", len(lines), len(all), r)
	}
	if !regexp.MustCompile(`^REF\s+PROVIDER\s+STATUS\s+SIGNED\s+CREATED\s+EXPIRES\s+TITLE$`).MatchString(lines[0]) {
		t.Errorf("header = %q", lines[0])
	}
	col := strings.Index(lines[0], "STATUS")
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "acme/") || !strings.Contains(l, "Dropbox Sign") {
			t.Errorf("row %q", l)
		}
		if l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("row %q is not aligned with the STATUS column", l)
		}
	}
	if strings.Contains(r.stdout, "\x1b") {
		t.Error("colour codes in output to a non-terminal")
	}
}

func TestListColourOnTerminalHonoursNoColor(t *testing.T) {
	t.Parallel()
	h, _ := newDropboxSign(t, dropboxsigntest.Options{Size: 5})
	h.stdoutTT = true
	r := h.run("", "list")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("no colour on a terminal\n%s", r)
	}
	h.env["NO_COLOR"] = "1"
	r = h.run("", "list")
	if strings.Contains(r.stdout, "\x1b") {
		t.Errorf("colour despite NO_COLOR\n%s", r)
	}
}

func TestListOneAccountFailsOthersPrint(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{Size: 8})
	// A second account on the same emulator with a wrong token.
	h.writeConfig(fmt.Sprintf(`accounts:
  - name: acme
    provider: dropboxsign
    base_url: %[1]s
    team: true
  - name: broken
    provider: dropboxsign
    base_url: %[1]s
`, srv.URL))
	h.env["SIGNDECK_TOKEN_BROKEN"] = "wrong-token-0b7e11"
	h.secrets = append(h.secrets, "wrong-token-0b7e11")
	r := h.run("", "list", "--json")
	r.wantCode(t, ExitFailure)
	var got []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r)
	}
	if len(got) != 8 {
		t.Errorf("%d sessions printed, want acme's 8", len(got))
	}
	if !strings.Contains(r.stderr, "signdeck: list broken:") || !strings.Contains(r.stderr, "unauthorized") {
		t.Errorf("stderr does not report broken's failure\n%s", r)
	}
}

func TestShowDropboxSign(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{})
	ref := pick(t, srv, listJSON(t, h), models.StatusAwaitingSignature)

	r := h.run("", "show", ref, "--json")
	r.wantCode(t, ExitOK)
	var d map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatal(err)
	}
	for _, k := range append(slices.Clone(sessionKeys), "subject", "message", "updated_at", "signer_details", "action_log", "warnings") {
		if _, ok := d[k]; !ok {
			t.Errorf("show --json lacks %q", k)
		}
	}
	if d["ref"] != ref || d["status"] != "awaiting_signature" {
		t.Errorf("show --json = ref %v status %v", d["ref"], d["status"])
	}
	signers := d["signers"].([]any)
	if len(signers) == 0 {
		t.Fatal("no signers")
	}
	first := signers[0].(map[string]any)

	r = h.run("", "show", ref)
	r.wantCode(t, ExitOK)
	for _, want := range []string{"Ref:", ref, "Provider:", "Dropbox Sign", "Status:", "Awaiting (awaiting_signature)",
		"Signers:", first["email"].(string)} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q\n%s", want, r)
		}
	}

	r = h.run("", "show", "acme/0000000000000000000000000000000000000000")
	r.wantCode(t, ExitFailure)
	if !strings.Contains(r.stderr, "not found") {
		t.Errorf("missing session: %s", r)
	}
}

func TestCancelDropboxSign(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{})
	all := listJSON(t, h)
	open := pick(t, srv, all, models.StatusAwaitingSignature)
	done := pick(t, srv, all, models.StatusCompleted)

	r := h.run("", "cancel", open, done, "--yes", "--json")
	r.wantCode(t, ExitOK)
	var got []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("cancel --json: %v\n%s", err, r)
	}
	want := []map[string]any{
		{"ref": open, "ok": true, "status": "cancel_pending", "error": nil, "skipped": false, "outcome": "pending"},
		{"ref": done, "ok": false, "status": "completed", "error": "session already completed", "skipped": true, "outcome": "skipped"},
	}
	if !jsonEqual(withoutOpIDs(t, got), want) {
		t.Errorf("cancel --json =\n%v\nwant\n%v", got, want)
	}
	if n := srv.Count("POST", "/v3/signature_request/cancel/"); n != 1 {
		t.Errorf("%d cancel requests sent, want 1 (the completed one is skipped)", n)
	}
	id := strings.TrimPrefix(open, "acme/")
	if sr, _ := srv.Get(id); sr.CancelRequestedAt.IsZero() {
		t.Error("the emulator has no cancel queued")
	}
	audit := strings.Join(h.auditLines(), "\n")
	for _, want := range []string{
		`"action":"cancel","account":"acme","provider":"dropboxsign","ref":"` + open + `"`,
		`"outcome":"pending","status":"cancel_pending"`,
		`"ref":"` + done + `"`,
		`"outcome":"skipped","status":"completed","reason":"session already completed"`,
		`"via":"cli"`,
	} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %s\n%s", want, audit)
		}
	}

	// The human table reports a skipped target with its reason.
	r = h.run("", "cancel", done, "--yes")
	r.wantCode(t, ExitOK)
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(done) + `\s+Completed\s+skipped: session already completed$`).MatchString(r.stdout) {
		t.Errorf("human cancel output\n%s", r)
	}
}

func TestCancelWaitConfirms(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{CancelDelay: 300 * time.Millisecond})
	open := pick(t, srv, listJSON(t, h), models.StatusAwaitingSignature)
	start := time.Now()
	r := h.run("", "cancel", open, "--yes", "--wait", "--timeout", "20s")
	r.wantCode(t, ExitOK)
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(open) + `\s+Canceled\s+canceled$`).MatchString(r.stdout) {
		t.Errorf("cancel --wait output\n%s", r)
	}
	if time.Since(start) > 15*time.Second {
		t.Errorf("--wait took %s", time.Since(start))
	}
	if sr, _ := srv.Get(strings.TrimPrefix(open, "acme/")); !sr.Canceled {
		t.Error("the emulator did not cancel it")
	}
	audit := strings.Join(h.auditLines(), "\n")
	if !strings.Contains(audit, `"action":"cancel"`) || !strings.Contains(audit, `"outcome":"ok","status":"canceled"`) {
		t.Errorf("no confirmed cancel in the journal\n%s", audit)
	}
}

func TestCancelWaitTimesOut(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{}) // cancels take an hour
	open := pick(t, srv, listJSON(t, h), models.StatusAwaitingSignature)
	r := h.run("", "cancel", open, "--yes", "--wait", "--timeout", "300ms", "--json")
	r.wantCode(t, ExitFailure)
	var got []cancelJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].OK || got[0].Status != "cancel_pending" || got[0].Error == nil ||
		!strings.Contains(*got[0].Error, "not confirmed within 300ms") {
		t.Errorf("cancel --wait timeout = %+v", got)
	}
	if !strings.Contains(r.stderr, "signdeck: cancel "+open+": cancel requested but not confirmed within 300ms") {
		t.Errorf("stderr\n%s", r)
	}
}

func TestCancelAsksOnTerminal(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{})
	open := pick(t, srv, listJSON(t, h), models.StatusAwaitingSignature)
	h.stdinTTY = true
	for _, answer := range []string{"\n", "n\n", "nope\n", ""} {
		r := h.run(answer, "cancel", open)
		r.wantCode(t, ExitFailure)
		if !strings.Contains(r.stderr, "About to cancel 1 session:") || !strings.Contains(r.stderr, "Cancel 1 session? [y/N]") ||
			!strings.Contains(r.stderr, "aborted; nothing was sent") {
			t.Errorf("answer %q:\n%s", answer, r)
		}
	}
	if n := srv.Count("POST", "/v3/signature_request/cancel/"); n != 0 {
		t.Fatalf("%d cancels sent without a yes", n)
	}
	r := h.run("YES\n", "cancel", open)
	r.wantCode(t, ExitOK)
	if n := srv.Count("POST", "/v3/signature_request/cancel/"); n != 1 {
		t.Errorf("%d cancels sent after yes, want 1", n)
	}
}

func TestCopyDropboxSign(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{})
	all := listJSON(t, h)
	// A source without templates, so any signer list can be sent.
	var src map[string]any
	for _, s := range all {
		id := s["id"].(string)
		if sr, _ := srv.Get(id); len(sr.TemplateIDs) == 0 && s["status"] == "awaiting_signature" && len(s["signers"].([]any)) >= 2 &&
			*sr.RequesterEmailAddress == srv.Owner() && signedCount(sr) == 0 {
			src = s
			break
		}
	}
	if src == nil {
		t.Fatal("no suitable source session")
	}
	ref := src["ref"].(string)
	srcSigners := src["signers"].([]any)
	before := srv.Len()

	// Kept signers.
	r := h.run("", "copy", ref, "--yes", "--json", "--title", "Copy of the lease")
	r.wantCode(t, ExitOK)
	var ns map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &ns); err != nil {
		t.Fatalf("copy --json: %v\n%s", err, r)
	}
	checkSessionJSON(t, ns)
	if ns["ref"] == ref || ns["title"] != "Copy of the lease" {
		t.Errorf("new session ref %v title %v", ns["ref"], ns["title"])
	}
	if got := emails(ns["signers"].([]any)); !slices.Equal(got, emails(srcSigners)) {
		t.Errorf("kept signers = %v, want %v", got, emails(srcSigners))
	}
	if srv.Len() != before+1 {
		t.Errorf("the emulator has %d requests, want %d", srv.Len(), before+1)
	}
	// The diff went to stderr (stdout is JSON), every signer kept.
	if n := strings.Count(r.stderr, "= kept"); n != len(srcSigners) {
		t.Errorf("%d kept lines in the diff, want %d\n%s", n, len(srcSigners), r)
	}

	// A new signer list, in order: the first source signer kept (renamed),
	// one added, the others removed.
	keep := srcSigners[0].(map[string]any)["email"].(string)
	r = h.run("", "copy", ref, "--yes", "--json",
		"--signer", "Newly Added <new.person@example.com>",
		"--signer", "Renamed Person <"+strings.ToUpper(keep)+">")
	r.wantCode(t, ExitOK)
	if err := json.Unmarshal([]byte(r.stdout), &ns); err != nil {
		t.Fatal(err)
	}
	got := ns["signers"].([]any)
	if len(got) != 2 || !strings.EqualFold(got[0].(map[string]any)["email"].(string), "new.person@example.com") ||
		!strings.EqualFold(got[1].(map[string]any)["email"].(string), keep) {
		t.Errorf("signers = %v", got)
	}
	if !strings.Contains(r.stderr, "+ added") || !strings.Contains(r.stderr, "~ changed") ||
		strings.Count(r.stderr, "- removed") != len(srcSigners)-1 {
		t.Errorf("diff\n%s", r.stderr)
	}
	audit := strings.Join(h.auditLines(), "\n")
	if strings.Count(audit, `"action":"copy"`) != 2 || !strings.Contains(audit, `"new_ref":"`+ns["ref"].(string)+`"`) ||
		!regexp.MustCompile(`"operation_id":"\w+"`).MatchString(audit) {
		t.Errorf("audit log\n%s", audit)
	}

	// The same copy again within the hour is refused without --again.
	before = srv.Len()
	r = h.run("", "copy", ref, "--yes")
	r.wantCode(t, ExitFailure)
	if srv.Len() != before || !strings.Contains(r.stderr, "an identical copy of "+ref) || !strings.Contains(r.stderr, "--again") {
		t.Errorf("identical copy\n%s", r)
	}
	// Human form: the diff on stdout, then the new session.
	r = h.run("", "copy", ref, "--yes", "--again")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "Copy of "+ref) || !strings.Contains(r.stdout, "Signers:") ||
		!regexp.MustCompile(`(?m)^Copy sent: acme/\w+ `).MatchString(r.stdout) {
		t.Errorf("human copy output\n%s", r)
	}
}

func emails(signers []any) []string {
	var out []string
	for _, g := range signers {
		out = append(out, strings.ToLower(g.(map[string]any)["email"].(string)))
	}
	return out
}

func TestCopyValidationIsExit2AndSendsNothing(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{})
	ref := pick(t, srv, listJSON(t, h), models.StatusAwaitingSignature)
	before := srv.Len()

	r := h.run("", "copy", ref, "--yes",
		"--signer", "Ana Lima <ana@example.com>",
		"--signer", "Ana Again <ANA@example.com>",
		"--signer", "nodomain@localhost",
		"--title", " ")
	r.wantCode(t, ExitUsage)
	for _, want := range []string{
		"signdeck: copy: --title: is empty",
		"signdeck: copy: --signer #2 email: ANA@example.com is already signer 1",
		"signdeck: copy: --signer #3 name: is empty",
		"signdeck: copy: --signer #3 email:",
		"copy not sent",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q\n%s", want, r)
		}
	}
	// An option the provider does not have.
	r = h.run("", "copy", ref, "--yes", "--transaction", "tx-9")
	r.wantCode(t, ExitUsage)
	if !strings.Contains(r.stderr, "--transaction is not a Dropbox Sign option") {
		t.Errorf("stderr\n%s", r)
	}
	if srv.Len() != before || srv.Count("POST", "/v3/signature_request/send") != 0 {
		t.Error("something was sent")
	}
}

func TestAuthLoginVerifiesAgainstProvider(t *testing.T) {
	t.Parallel()
	h, _ := newDropboxSign(t, dropboxsigntest.Options{Size: 1})
	delete(h.env, "SIGNDECK_TOKEN_ACME")

	h.secrets = append(h.secrets, "bad-token-77aa")
	r := h.run("bad-token-77aa\n", "auth", "login", "acme")
	r.wantCode(t, ExitFailure)
	if !strings.Contains(r.stderr, "token not stored") || !strings.Contains(r.stderr, "unauthorized") {
		t.Errorf("stderr\n%s", r)
	}
	if _, err := h.store.Get(context.Background(), "acme"); err == nil {
		t.Error("a refused token was stored")
	}

	r = h.run(dbxToken+"\n", "auth", "login", "acme")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "verified: the token works for "+dropboxsigntest.DefaultOwner) ||
		!strings.Contains(r.stdout, "stored token for acme in the in-memory store") {
		t.Errorf("stdout\n%s", r)
	}
	if got, _ := h.store.Get(context.Background(), "acme"); got != dbxToken {
		t.Error("the token was not stored")
	}
	// The stored token now works for list.
	if got := listJSON(t, h); len(got) != 1 {
		t.Errorf("list with the stored token gave %d sessions", len(got))
	}
	audit := strings.Join(h.auditLines(), "\n")
	if !strings.Contains(audit, `"action":"login","account":"acme","provider":"dropboxsign","ref":"","title":"","outcome":"failed"`) ||
		!strings.Contains(audit, `"action":"login","account":"acme","provider":"dropboxsign","ref":"","title":"","outcome":"ok"`) {
		t.Errorf("audit log\n%s", audit)
	}
}

func TestDashboardLoginVerifiesThenStores(t *testing.T) {
	t.Parallel()
	h, _ := newDropboxSign(t, dropboxsigntest.Options{Size: 1})
	delete(h.env, "SIGNDECK_TOKEN_ACME")
	h.stdinTTY, h.stdoutTT = true, true
	// The dashboard's login runs while it is open (the store is open).
	h.ui = func(_ context.Context, opts ui.Options) error {
		dashboardLogin(t, h, opts)
		return nil
	}
	h.run("").wantCode(t, ExitOK)
	audit := strings.Join(h.auditLines(), "\n")
	if !strings.Contains(audit, `"action":"login","account":"acme","provider":"dropboxsign","ref":"","title":"","outcome":"failed"`) ||
		!strings.Contains(audit, `"action":"login","account":"acme","provider":"dropboxsign","ref":"","title":"","outcome":"ok"`) ||
		!strings.Contains(audit, `"via":"tui"`) {
		t.Errorf("journal\n%s", audit)
	}
}

func dashboardLogin(t *testing.T, h *harness, opts ui.Options) {
	if a := opts.Accounts[0]; a.Provider != nil || a.TokenSource != "none" {
		t.Fatalf("account without a token = %+v", a)
	}
	ctx := context.Background()
	if p, _, err := opts.Login(ctx, "acme", "bad-token-1234"); err == nil || p != nil {
		t.Errorf("login with a bad token: provider %v, err %v", p, err)
	} else if strings.Contains(err.Error(), "bad-token-1234") {
		t.Errorf("the error shows the token: %v", err)
	}
	if _, err := h.store.Get(ctx, "acme"); err == nil {
		t.Error("a refused token was stored")
	}
	p, src, err := opts.Login(ctx, "acme", dbxToken)
	if err != nil || p == nil || src != "memory" {
		t.Fatalf("login: %v %q %v", p, src, err)
	}
	if got, _ := h.store.Get(ctx, "acme"); got != dbxToken {
		t.Error("the token was not stored")
	}
	if _, err := p.Get(ctx, "nope"); err == nil {
		t.Error("the returned provider is not usable")
	}
}

func TestCopyAsksOnTerminal(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{})
	ref := pick(t, srv, listJSON(t, h), models.StatusAwaitingSignature)
	before := srv.Len()
	h.stdinTTY = true
	r := h.run("n\n", "copy", ref, "--cancel-original")
	r.wantCode(t, ExitFailure)
	if !strings.Contains(r.stderr, "Send this copy and cancel the original? [y/N]") || srv.Len() != before {
		t.Errorf("no: %s", r)
	}
	r = h.run("y\n", "copy", ref, "--cancel-original")
	r.wantCode(t, ExitOK)
	if srv.Len() != before+1 {
		t.Errorf("yes: no copy sent\n%s", r)
	}
	if !strings.Contains(r.stdout, "original: cancel requested") {
		t.Errorf("the original's cancel is not reported\n%s", r)
	}
	audit := strings.Join(h.auditLines(), "\n")
	if !strings.Contains(audit, `"action":"cancel","account":"acme","provider":"dropboxsign","ref":"`+ref+`"`) {
		t.Errorf("the original's cancel is not audited\n%s", audit)
	}
}

func TestCopyAmbiguousSendIsRecovered(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{})
	ref := pick(t, srv, listJSON(t, h), models.StatusAwaitingSignature)
	before := srv.Len()
	// The send takes effect but its answer is lost.
	srv.SetFaults(dropboxsigntest.Faults{ResetRate: 1, AfterEffect: true, Limit: 1, Ops: []string{"POST /v3/signature_request/send"}})
	r := h.run("", "copy", ref, "--yes")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "Copy confirmed by its operation id (the provider's answer was lost; nothing was sent twice): acme/") {
		t.Errorf("stdout\n%s", r)
	}
	if srv.Len() != before+1 {
		t.Errorf("%d requests, want exactly one more", srv.Len()-before)
	}
}

// operationIDRE finds the operation id in the unknown-outcome hint.
var operationIDRE = regexp.MustCompile(`--operation-id (\S+): it looks for the copy first`)

// TestCopyUnknownOutcomeThenRetryWithOperationID: the send's outcome stays
// unknown (the answer is lost and the search finds nothing), so the copy
// fails with exit 1 and a hint naming the operation id; the retry with
// --operation-id looks first and sends once; a second retry sends nothing.
func TestCopyUnknownOutcomeThenRetryWithOperationID(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{})
	ref := pick(t, srv, listJSON(t, h), models.StatusAwaitingSignature)
	before := srv.Len()
	// The connection drops before the send takes effect: nothing is made,
	// but signdeck cannot know that.
	srv.SetFaults(dropboxsigntest.Faults{ResetRate: 1, Limit: 1, Ops: []string{"POST /v3/signature_request/send"}})
	r := h.run("", "copy", ref, "--yes")
	r.wantCode(t, ExitFailure)
	m := operationIDRE.FindStringSubmatch(r.stderr)
	if m == nil || !strings.Contains(r.stderr, "outcome unknown") || !strings.Contains(r.stderr, "may or may not have been sent") {
		t.Fatalf("no unknown-outcome hint with an operation id\n%s", r)
	}
	opID := m[1]
	if srv.Len() != before || srv.Count("POST", "/v3/signature_request/send") != 1 {
		t.Fatalf("%d new requests, %d sends", srv.Len()-before, srv.Count("POST", "/v3/signature_request/send"))
	}
	audit := strings.Join(h.auditLines(), "\n")
	if !strings.Contains(audit, `"outcome":"unknown"`) || !strings.Contains(audit, `"operation_id":"`+opID+`"`) {
		t.Errorf("audit log\n%s", audit)
	}

	// The retry searches for the operation id, finds nothing, sends once.
	r = h.run("", "copy", ref, "--yes", "--json", "--operation-id", opID)
	r.wantCode(t, ExitOK)
	var ns map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &ns); err != nil {
		t.Fatalf("retry: %v\n%s", err, r)
	}
	if srv.Len() != before+1 || srv.Count("POST", "/v3/signature_request/send") != 2 {
		t.Fatalf("after the retry: %d new requests, %d sends", srv.Len()-before, srv.Count("POST", "/v3/signature_request/send"))
	}
	if sr, _ := srv.Get(ns["id"].(string)); fmt.Sprint(sr.Metadata["signdeck_op"]) != opID {
		t.Errorf("the new request carries operation %v, want %s", sr.Metadata["signdeck_op"], opID)
	}

	// Running it again finds that request and sends nothing.
	r = h.run("", "copy", ref, "--yes", "--operation-id", opID)
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "Copy confirmed by its operation id") || !strings.Contains(r.stdout, ns["ref"].(string)) {
		t.Errorf("second retry\n%s", r)
	}
	if srv.Len() != before+1 || srv.Count("POST", "/v3/signature_request/send") != 2 {
		t.Errorf("the second retry sent again: %d new requests", srv.Len()-before)
	}
}

// TestCancelPendingCarriesAcrossRuns: Dropbox Sign shows nothing of a
// queued cancel, so signdeck remembers it in the state directory. A later
// run shows the session as cancel pending, does not send the cancel again,
// and --wait confirms it; once confirmed (410), a cancel is skipped as
// already canceled.
func TestCancelPendingCarriesAcrossRuns(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{})
	ref := pick(t, srv, listJSON(t, h), models.StatusAwaitingSignature)
	id := strings.TrimPrefix(ref, "acme/")

	h.run("", "cancel", ref, "--yes").wantCode(t, ExitOK)
	path := filepath.Join(h.env["XDG_STATE_HOME"], "signdeck", "signdeck.db")
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("store: %v %v", st, err)
	}

	// A later run: list and show know of the pending cancel.
	for _, s := range listJSON(t, h) {
		if s["ref"] == ref && s["status"] != "cancel_pending" {
			t.Errorf("list shows %v, want cancel_pending", s["status"])
		}
	}
	r := h.run("", "show", ref)
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "Cancel requested") || !strings.Contains(r.stdout, "cancel queued by signdeck at") {
		t.Errorf("show\n%s", r)
	}

	// Canceling again sends nothing and says why.
	r = h.run("", "cancel", ref, "--yes", "--json")
	r.wantCode(t, ExitOK)
	var got []cancelJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got) != 1 {
		t.Fatalf("cancel --json: %v\n%s", err, r)
	}
	if !got[0].Skipped || got[0].Status != "cancel_pending" || got[0].Error == nil ||
		!strings.Contains(*got[0].Error, "already requested") || !strings.Contains(*got[0].Error, "not sent again") {
		t.Errorf("repeated cancel: %+v", got[0])
	}
	if n := srv.Count("POST", "/v3/signature_request/cancel/"); n != 1 {
		t.Errorf("%d cancel requests, want 1", n)
	}

	// --wait waits for the earlier cancel's confirmation (the emulator
	// completes it while signdeck polls).
	timer := time.AfterFunc(300*time.Millisecond, func() { srv.CancelNow(id) })
	defer timer.Stop()
	r = h.run("", "cancel", ref, "--yes", "--wait", "--timeout", "10s")
	r.wantCode(t, ExitOK)
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(ref) + `\s+Canceled\s+canceled \(requested earlier, now confirmed\)$`).MatchString(r.stdout) {
		t.Errorf("cancel --wait of a pending cancel\n%s", r)
	}
	if n := srv.Count("POST", "/v3/signature_request/cancel/"); n != 1 {
		t.Errorf("%d cancel requests, want 1", n)
	}
	audit := strings.Join(h.auditLines(), "\n")
	if !regexp.MustCompile(`"action":"cancel","account":"acme","provider":"dropboxsign","ref":"`+regexp.QuoteMeta(ref)+`","title":"[^"]*","outcome":"ok","status":"canceled"`).MatchString(audit) ||
		strings.Contains(audit, `"outcome":"failed"`) {
		t.Errorf("journal\n%s", audit)
	}

	// Now gone (410): skipped as already canceled, exit 0.
	r = h.run("", "cancel", ref, "--yes")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "skipped: session already canceled or deleted") {
		t.Errorf("cancel of a canceled request\n%s", r)
	}

	// The markers are per base URL: another emulator's account of the same
	// name (a fresh sandbox) does not inherit them.
	srv2, err := dropboxsigntest.NewServer(dropboxsigntest.Options{Seed: 7, Size: 30, APIKeys: []string{dbxToken},
		RateLimit: -1, SendRateLimit: -1, TestModeRateLimit: -1, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	other := srv2.Add(dropboxsigntest.SignatureRequest{SignatureRequestID: id, Title: "Same id elsewhere",
		RequesterEmailAddress: ptr(srv2.Owner()), Signatures: []dropboxsigntest.Signature{{SignerEmailAddress: "x@example.com", SignerName: ptr("X")}}})
	h.writeConfig(fmt.Sprintf("accounts:\n  - name: acme\n    provider: dropboxsign\n    base_url: %s\n", srv2.URL))
	r = h.run("", "show", "acme/"+other, "--json")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, `"status": "awaiting_signature"`) {
		t.Errorf("another base URL inherited the marker\n%s", r)
	}
}

func ptr[T any](v T) *T { return &v }

// signedCount counts the signers of r who signed.
func signedCount(r dropboxsigntest.SignatureRequest) int {
	n := 0
	for _, g := range r.Signatures {
		if g.StatusCode == "signed" {
			n++
		}
	}
	return n
}

// TestCopySignedSourceNeedsTheFlag: a partially signed source is not
// copied by file without --allow-signed-source; the reason names the
// problem and the flag; with the flag it is copied.
func TestCopySignedSourceNeedsTheFlag(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{})
	var ref string
	for _, s := range listJSON(t, h) {
		sr, _ := srv.Get(s["id"].(string))
		if len(sr.TemplateIDs) == 0 && s["status"] == "awaiting_signature" && *sr.RequesterEmailAddress == srv.Owner() && signedCount(sr) > 0 {
			ref = s["ref"].(string)
			break
		}
	}
	if ref == "" {
		t.Fatal("no partially signed source in the emulator's data")
	}
	before := srv.Len()
	r := h.run("", "copy", ref, "--yes")
	if r.code == ExitOK || !strings.Contains(r.stderr, "already signed") || !strings.Contains(r.stderr, "allow_signed_source") {
		t.Errorf("copy of a signed source without the flag:\n%s", r)
	}
	if srv.Len() != before {
		t.Error("the refused copy was sent")
	}
	r = h.run("", "copy", ref, "--yes", "--allow-signed-source")
	r.wantCode(t, ExitOK)
	if srv.Len() != before+1 {
		t.Error("the confirmed copy was not sent")
	}
}
