package constellation

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/constellation/constellationtest"
)

func keys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

// copySource picks a sent session with at least two signers and returns
// it with a spec that keeps signer 0, changes signer 1's email and adds a
// new signer.
func copySource(t *testing.T, e *env) (constellationtest.Session, models.CopySpec) {
	t.Helper()
	src := e.find(func(s constellationtest.Session) bool {
		return s.StatusCode == constellationtest.StatusSent && len(s.Signers) >= 2
	})
	a, b := src.Signers[0], src.Signers[1]
	spec := models.CopySpec{
		Source: models.Ref{Account: "brokerage", ID: src.ID},
		Signers: []models.CopySigner{
			{ID: a.ID, FirstName: a.FirstName, LastName: a.LastName, Email: a.Email, Order: a.Sequence},
			{ID: b.ID, FirstName: b.FirstName, LastName: b.LastName, Email: "new." + b.Email, Order: b.Sequence},
			{Name: "Dana Whitaker", Email: "dana.whitaker@example.org", Role: "Buyer 2"},
		},
	}
	return src, spec
}

func TestCopyWireFormat(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 41})
	src, spec := copySource(t, e)
	title := "Copy - " + src.Title
	spec.Title = &title
	spec.Options = models.CopyOptions{RetainFields: false, TransactionID: "TX-1008"}
	before := e.srv.Len()
	res, err := e.c.Copy(e.ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	reqs := e.requests("copy")
	if len(reqs) != 1 {
		t.Fatalf("%d copy requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/rest/v1/sessions/copy" || r.RawQuery != "" {
		t.Errorf("%s %s?%s", r.Method, r.Path, r.RawQuery)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	if got := keys(body); !slices.Equal(got, []string{"copyOptions", "session"}) {
		t.Fatalf("top-level keys %v, want camelCase copyOptions and session", got)
	}
	opts := body["copyOptions"].(map[string]any)
	if got := keys(opts); !slices.Equal(got, []string{"RetainFields", "Version"}) {
		t.Errorf("copyOptions keys %v", got)
	}
	if opts["Version"] != 0.0 || opts["RetainFields"] != false {
		t.Errorf("copyOptions %v", opts)
	}
	sess := body["session"].(map[string]any)
	if got := keys(sess); !slices.Equal(got, []string{"SessionInfo", "Signers", "SigningSessionId"}) {
		t.Errorf("session keys %v", got)
	}
	if sess["SigningSessionId"] != src.ID {
		t.Errorf("SigningSessionId %v", sess["SigningSessionId"])
	}
	info := sess["SessionInfo"].(map[string]any)
	// Title is the documented member; TransactionTitle is what the vendor's
	// copy sample sends: both carry the edited title.
	if got := keys(info); !slices.Equal(got, []string{"Title", "TransactionId", "TransactionTitle"}) {
		t.Errorf("SessionInfo keys %v", got)
	}
	if info["TransactionId"] != "TX-1008" || info["Title"] != title || info["TransactionTitle"] != title {
		t.Errorf("SessionInfo %v", info)
	}
	signers := sess["Signers"].([]any)
	if len(signers) != 3 {
		t.Fatalf("%d signers", len(signers))
	}
	kept, changed, added := signers[0].(map[string]any), signers[1].(map[string]any), signers[2].(map[string]any)
	if got := keys(kept); !slices.Equal(got, []string{"SignerId"}) || kept["SignerId"] != src.Signers[0].ID {
		t.Errorf("kept signer %v, want only SignerId", kept)
	}
	if got := keys(changed); !slices.Equal(got, []string{"EmailAddress", "FirstName", "LastName", "Sequence", "SignerId"}) {
		t.Errorf("changed signer keys %v", got)
	}
	if changed["SignerId"] != src.Signers[1].ID || changed["EmailAddress"] != "new."+src.Signers[1].Email ||
		changed["LastName"] != src.Signers[1].LastName {
		t.Errorf("changed signer %v", changed)
	}
	if got := keys(added); !slices.Equal(got, []string{"EmailAddress", "FirstName", "LastName", "Sequence", "SignerRole"}) {
		t.Errorf("new signer keys %v", got)
	}
	if added["FirstName"] != "Dana" || added["LastName"] != "Whitaker" || added["EmailAddress"] != "dana.whitaker@example.org" ||
		added["Sequence"] != 3.0 || added["SignerRole"] != "Buyer 2" {
		t.Errorf("new signer %v", added)
	}

	// The result is the new draft session, as the emulator made it.
	if res.Recovered || res.OperationID == "" {
		t.Errorf("result %+v", res)
	}
	s := res.Session
	if s.Ref.ID == "" || s.Ref.ID == src.ID || s.Status != models.StatusDraft || s.TransactionID != "TX-1008" ||
		s.Title != title || !s.Complete {
		t.Errorf("new session %+v", s)
	}
	var emails []string
	for _, g := range s.Signers {
		emails = append(emails, g.Email)
		if g.Status != models.SignerPending {
			t.Errorf("signer %s status %q, want pending", g.Email, g.Status)
		}
	}
	want := []string{src.Signers[0].Email, "new." + src.Signers[1].Email, "dana.whitaker@example.org"}
	if !slices.Equal(emails, want) {
		t.Errorf("signers %v, want %v", emails, want)
	}
	made, ok := e.srv.Session(s.Ref.ID)
	if !ok || made.CopiedFrom != src.ID || made.RetainFields || made.StatusCode != constellationtest.StatusDraft ||
		made.Title != title {
		t.Errorf("emulator session %+v (title want %q)", made, title)
	}
	if e.srv.Len() != before+1 {
		t.Errorf("%d sessions, want %d", e.srv.Len(), before+1)
	}
	if got, _ := e.srv.Session(src.ID); got.StatusCode != constellationtest.StatusSent {
		t.Error("the source changed without CancelOriginal")
	}
}

func TestCopyDefaultsFromSource(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 42})
	src := e.find(withStatus(constellationtest.StatusCompleted))
	got, err := e.c.Get(e.ctx, src.ID)
	if err != nil {
		t.Fatal(err)
	}
	spec := models.CopySpec{Source: got.Ref, Signers: models.CopySignersFrom(&got), Options: models.CopyOptions{RetainFields: true}}
	res, err := e.c.Copy(e.ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		CopyOptions struct{ RetainFields bool } `json:"copyOptions"`
		Session     struct {
			SessionInfo map[string]any
			Signers     []map[string]any
		} `json:"session"`
	}
	if err := json.Unmarshal(e.requests("copy")[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if !body.CopyOptions.RetainFields {
		t.Error("RetainFields not sent as true")
	}
	if body.Session.SessionInfo["TransactionId"] != src.TransactionID || body.Session.SessionInfo["Title"] != src.Title ||
		body.Session.SessionInfo["TransactionTitle"] != src.Title {
		t.Errorf("SessionInfo %v: want the source's transaction and title", body.Session.SessionInfo)
	}
	for i, g := range body.Session.Signers {
		if got := keys(g); !slices.Equal(got, []string{"SignerId"}) {
			t.Errorf("signer %d keys %v: every signer is kept", i, got)
		}
	}
	if made, _ := e.srv.Session(res.Session.Ref.ID); !made.RetainFields || made.TransactionID != src.TransactionID {
		t.Errorf("emulator session %+v", made)
	}
}

func TestCopyRejectedBeforeSending(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 43})
	src, spec := copySource(t, e)
	for _, tc := range []struct {
		name string
		mod  func(*models.CopySpec)
		path string
	}{
		{"missing last name", func(s *models.CopySpec) {
			s.Signers[2] = models.CopySigner{FirstName: "Dana", Email: "dana@example.org"}
		}, "signers[2].last_name"},
		{"bad email", func(s *models.CopySpec) { s.Signers[2].Email = "dana(at)example.org" }, "signers[2].email"},
		{"no signers", func(s *models.CopySpec) { s.Signers = nil }, "signers"},
		{"subject", func(s *models.CopySpec) { sub := "Hello"; s.Subject = &sub }, "subject"},
		{"other account", func(s *models.CopySpec) { s.Source.Account = "other" }, "source"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.srv.ClearRequests()
			sp := spec
			sp.Signers = slices.Clone(spec.Signers)
			tc.mod(&sp)
			_, err := e.c.Copy(e.ctx, sp)
			if !errors.Is(err, providers.ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q does not name %s", err, tc.path)
			}
			if n := len(e.srv.Requests()); n != 0 || e.srv.Count("copy") != 0 {
				t.Errorf("%d requests were sent for an invalid copy", n)
			}
		})
	}
	// The field errors are reachable for the form.
	sp := spec
	sp.Signers = []models.CopySigner{{FirstName: "Dana", Email: "dana@example.org"}}
	_, err := e.c.Copy(e.ctx, sp)
	var ve models.ValidationErrors
	if !errors.As(err, &ve) || len(ve.For("signers[0].last_name")) != 1 {
		t.Errorf("got %v; want ValidationErrors naming signers[0].last_name", err)
	}
	var pe *providers.Error
	if !errors.As(err, &pe) || pe.Path != "signers[0].last_name" {
		t.Errorf("Path %q", pe.Path)
	}

	// A signer id that is not the source's is caught after reading the
	// source, still before the copy is sent.
	e.srv.ClearRequests()
	sp = spec
	sp.Signers = []models.CopySigner{{ID: "not-a-signer", Name: "Ann Lee", Email: "ann@example.com"}}
	_, err = e.c.Copy(e.ctx, sp)
	if !errors.Is(err, providers.ErrInvalid) || !strings.Contains(err.Error(), "signers[0].id") || e.srv.Count("copy") != 0 {
		t.Errorf("unknown signer id: %v, %d copy requests", err, e.srv.Count("copy"))
	}
	if got, _ := e.srv.Session(src.ID); got.StatusCode != constellationtest.StatusSent {
		t.Error("the source changed")
	}
}

func TestCopyVendorRefusal(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 44})
	src, spec := copySource(t, e)
	e.srv.SetStatus(src.ID, constellationtest.StatusPurged)
	_, err := e.c.Copy(e.ctx, spec)
	if err == nil || errors.Is(err, providers.ErrAmbiguous) || !strings.Contains(err.Error(), "purged") {
		t.Fatalf("got %v, want the vendor's refusal (not ambiguous)", err)
	}
	if e.srv.Count("copy") != 1 || e.srv.Count("lite") != 1 {
		t.Errorf("%d copy and %d lite requests, want 1 and 1 (the snapshot, no search)", e.srv.Count("copy"), e.srv.Count("lite"))
	}
}

func TestCopyAmbiguousRecovered(t *testing.T) {
	for _, f := range []constellationtest.Faults{
		{ResetRate: 1},
		{ErrorRate: 1, ErrorStatus: 502},
		{TruncateRate: 1},
		{MalformedRate: 1},
	} {
		f.Ops, f.AfterEffect = []string{"copy"}, true
		e := newEnv(t, constellationtest.Options{Seed: 45, Faults: f})
		src, spec := copySource(t, e)
		before := e.srv.Len()
		res, err := e.c.Copy(e.ctx, spec)
		if err != nil {
			t.Fatalf("faults %+v: %v", f, err)
		}
		if e.srv.Count("copy") != 1 {
			t.Errorf("faults %+v: %d copy requests, want 1", f, e.srv.Count("copy"))
		}
		if !res.Recovered || e.srv.Len() != before+1 {
			t.Errorf("faults %+v: Recovered=%v, %d sessions (want %d)", f, res.Recovered, e.srv.Len(), before+1)
		}
		made, ok := e.srv.Session(res.Session.Ref.ID)
		if !ok || made.CopiedFrom != src.ID || len(res.Session.Signers) != 3 {
			t.Errorf("faults %+v: found %+v, which is not the copy", f, res.Session)
		}
	}
}

func TestCopyAmbiguousNotFound(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 46,
		Faults: constellationtest.Faults{ResetRate: 1, Ops: []string{"copy"}}})
	src, spec := copySource(t, e)
	before := e.srv.Len()
	_, err := e.c.Copy(e.ctx, spec)
	if !errors.Is(err, providers.ErrAmbiguous) {
		t.Fatalf("got %v, want ErrAmbiguous", err)
	}
	for _, want := range []string{"searched the 100 newest sessions of transaction", src.TransactionID, "none matched"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if e.srv.Count("copy") != 1 || e.srv.Len() != before {
		t.Errorf("%d copy requests, %d sessions", e.srv.Count("copy"), e.srv.Len())
	}
	e.assertNoSecrets("error", err.Error())
}

func TestCopyRecoveryIgnoresLookalikes(t *testing.T) {
	// A copy made before the send (same title, same signers) is in the
	// snapshot and is not taken for the lost one.
	e := newEnv(t, constellationtest.Options{Seed: 47})
	_, spec := copySource(t, e)
	if _, err := e.c.Copy(e.ctx, spec); err != nil {
		t.Fatal(err)
	}
	e.srv.SetFaults(constellationtest.Faults{ResetRate: 1, Ops: []string{"copy"}})
	_, err := e.c.Copy(e.ctx, spec)
	if !errors.Is(err, providers.ErrAmbiguous) || !strings.Contains(err.Error(), "none matched") {
		t.Fatalf("got %v; the earlier copy was taken for the lost one", err)
	}
}

func TestCopyNeverRetriedOn5xxBeforeHandling(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 49,
		Faults: constellationtest.Faults{ErrorRate: 1, Ops: []string{"copy"}}})
	_, spec := copySource(t, e)
	_, err := e.c.Copy(e.ctx, spec)
	if !errors.Is(err, providers.ErrAmbiguous) {
		t.Fatalf("got %v", err)
	}
	if n := e.srv.Count("copy"); n != 1 {
		t.Errorf("%d copy requests, want 1", n)
	}
}

func TestFindCopyFindsTheLostCopy(t *testing.T) {
	// The first attempt makes the copy but its answer is lost, and the
	// search that follows fails too: the error is ErrAmbiguous and carries
	// the operation id.
	e := newEnv(t, constellationtest.Options{Seed: 50,
		Faults: constellationtest.Faults{ResetRate: 1, Ops: []string{"copy", "lite"}, AfterEffect: true}})
	src, spec := copySource(t, e)
	before := e.srv.Len()
	start := time.Now()
	res, err := e.c.Copy(e.ctx, spec)
	if !errors.Is(err, providers.ErrAmbiguous) || !strings.Contains(err.Error(), "looking for it failed") {
		t.Fatalf("first attempt: %v", err)
	}
	if e.srv.Count("copy") != 1 || e.srv.Len() != before+1 || res.OperationID == "" {
		t.Fatalf("first attempt: %d copy requests, %d sessions (want %d), operation %q",
			e.srv.Count("copy"), e.srv.Len(), before+1, res.OperationID)
	}
	// FindCopy, bounded by the attempt's time, finds it.
	e.srv.SetFaults(constellationtest.Faults{})
	spec.OperationID = res.OperationID
	found, ok, err := e.c.FindCopy(e.ctx, spec, providers.FindQuery{Since: start})
	if err != nil || !ok {
		t.Fatalf("find: %v %v", ok, err)
	}
	made, exists := e.srv.Session(found.Ref.ID)
	if !exists || made.CopiedFrom != src.ID || e.srv.Count("copy") != 1 {
		t.Errorf("found %+v (copied from %q), %d copy requests", found.Ref, made.CopiedFrom, e.srv.Count("copy"))
	}
}

func TestFindCopyNothingMade(t *testing.T) {
	// The first attempt is refused before it takes effect: FindCopy finds
	// nothing, and a new send makes the copy.
	e := newEnv(t, constellationtest.Options{Seed: 51,
		Faults: constellationtest.Faults{ResetRate: 1, Ops: []string{"copy"}}})
	_, spec := copySource(t, e)
	before := e.srv.Len()
	start := time.Now()
	res, err := e.c.Copy(e.ctx, spec)
	if !errors.Is(err, providers.ErrAmbiguous) || e.srv.Len() != before {
		t.Fatalf("first attempt: %v, %d sessions", err, e.srv.Len())
	}
	e.srv.SetFaults(constellationtest.Faults{})
	spec.OperationID = res.OperationID
	if _, ok, err := e.c.FindCopy(e.ctx, spec, providers.FindQuery{Since: start}); err != nil || ok {
		t.Fatalf("find: %v %v", ok, err)
	}
	if _, err := e.c.Copy(e.ctx, spec); err != nil || e.srv.Count("copy") != 2 || e.srv.Len() != before+1 {
		t.Fatalf("resend: %v, %d copy requests, %d sessions", err, e.srv.Count("copy"), e.srv.Len())
	}
}

// TestCopyFirstAttemptNeverSearches is the data-loss blocker: copying a
// copy (same title, same signers as its source) is a first attempt: it
// sends without looking for lookalikes, so a new session is made.
func TestCopyFirstAttemptNeverSearches(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 53})
	_, spec := copySource(t, e)
	res, err := e.c.Copy(e.ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.c.Get(e.ctx, res.Session.Ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.ClearRequests()
	spec2 := models.CopySpec{Source: second.Ref, Signers: models.CopySignersFrom(&second), OperationID: "sdop0123456789abcdef0123456789",
		Options: models.CopyOptions{RetainFields: true}}
	res2, err := e.c.Copy(e.ctx, spec2)
	if err != nil || res2.Recovered || res2.Session.Ref.ID == res.Session.Ref.ID || res2.Session.Ref.ID == second.Ref.ID {
		t.Fatalf("copy of the copy: %+v, %v", res2.Session.Ref, err)
	}
	if n := e.srv.Count("copy"); n != 1 {
		t.Errorf("%d copy requests, want 1", n)
	}
	// Before the send: the source and a snapshot of the transaction's
	// newest sessions (for recovery after an unclear answer), but no
	// session is fetched to be compared with the copy.
	for _, r := range e.apiRequests() {
		if r.Op == "copy" {
			break
		}
		if r.Op == "get" && !strings.Contains(r.Path, second.Ref.ID) {
			t.Errorf("the first attempt fetched %s before sending", r.Path)
		}
	}
}

func TestFindCopyIsBoundedByTheAttemptTime(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 52})
	_, spec := copySource(t, e)
	if _, err := e.c.Copy(e.ctx, spec); err != nil {
		t.Fatal(err)
	}
	// An attempt that started an hour after that copy was made cannot
	// have made it.
	spec.OperationID = "sdop0123456789abcdef0123456789"
	if _, ok, err := e.c.FindCopy(e.ctx, spec, providers.FindQuery{Since: time.Now().Add(time.Hour)}); err != nil || ok {
		t.Fatalf("later attempt: %v %v", ok, err)
	}
	if _, err := e.c.Copy(e.ctx, spec); err != nil {
		t.Fatal(err)
	}
	// Without a time any lookalike counts: two of them are a refusal.
	spec.OperationID = "manual-operation-1"
	_, _, err := e.c.FindCopy(e.ctx, spec, providers.FindQuery{Since: time.Time{}})
	if !errors.Is(err, providers.ErrConflict) || errors.Is(err, providers.ErrAmbiguous) ||
		!strings.Contains(err.Error(), "several match") || !strings.Contains(err.Error(), "nothing was sent") {
		t.Fatalf("untimed find: %v", err)
	}
	// A search that fails is an error, not "not found".
	e.srv.SetFaults(constellationtest.Faults{ErrorRate: 1, Ops: []string{"lite"}})
	_, _, err = e.c.FindCopy(e.ctx, spec, providers.FindQuery{Since: time.Now()})
	if !errors.Is(err, providers.ErrUnavailable) || !strings.Contains(err.Error(), "looking for the earlier attempt's copy failed") {
		t.Fatalf("find with a failing search: %v", err)
	}
	if e.srv.Count("copy") != 2 {
		t.Errorf("%d copy requests, want 2", e.srv.Count("copy"))
	}
}

func TestOperationTime(t *testing.T) {
	now := time.Unix(1_790_000_000, 0)
	id := newOperationID(now)
	got, ok := operationTime(id)
	if !ok || !got.Equal(now) {
		t.Errorf("operationTime(%q) = %v, %v", id, got, ok)
	}
	for _, bad := range []string{"", "sd-", "sd-zz-12", "sd-12", "sdop1234567890", "sd--ab", "sd-ffffffffffffffffff-ab"} {
		if _, ok := operationTime(bad); ok {
			t.Errorf("operationTime(%q) ok", bad)
		}
	}
}
