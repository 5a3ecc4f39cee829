package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/constellation/constellationtest"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
	"github.com/signdeck/signdeck/store"
)

func ptrS(s string) *string { return &s }

// dbxOpen adds an open Dropbox Sign request of the owner with the signers.
func dbxOpen(e *env, title string, sigs ...dropboxsigntest.Signature) models.Ref {
	id := e.dbx.Add(dropboxsigntest.SignatureRequest{Title: title, RequesterEmailAddress: ptrS(e.dbx.Owner()), Signatures: sigs})
	return models.Ref{Account: e.acct.Name, ID: id}
}

func dbxSigner(email, name string) dropboxsigntest.Signature {
	return dropboxsigntest.Signature{SignerEmailAddress: email, SignerName: ptrS(name), StatusCode: "awaiting_signature"}
}

// checkOp checks the journal's record of an action's operation.
func (e *env) checkOp(id, action, outcome string, sent bool) store.Op {
	e.t.Helper()
	if id == "" {
		e.t.Fatalf("%s: no operation id", action)
	}
	op := e.op(id)
	if op.Action != action || op.Outcome != outcome || op.Account != e.acct.Name || (op.Attempts > 0) != sent {
		e.t.Errorf("journal: %s %s outcome %q attempts %d, want %s %s sent=%v (%s)", op.Action, op.Account, op.Outcome, op.Attempts, action, outcome, sent, op.Reason)
	}
	return op
}

func TestRemindDropboxSignOutcomes(t *testing.T) {
	t.Parallel()
	e := dbxEnv(t, dropboxsigntest.Options{Seed: 1, Size: 1})
	ctx := context.Background()
	recent := time.Now().Add(-10 * time.Minute).Unix()
	c := dbxSigner("c@example.com", "Cal")
	c.LastRemindedAt = &recent
	ref := dbxOpen(e, "Offer", dbxSigner("b@example.com", "Bo"), c)

	// One reminded, one within the hour: ok overall, the second skipped
	// with when the next reminder is allowed.
	o := e.svc.Remind(ctx, e.acct, ref, "")
	if o.Outcome != app.OutcomeOK || len(o.Signers) != 2 {
		t.Fatalf("remind: %+v", o)
	}
	// The reason says who was reminded first, then who was not and why.
	if !strings.HasPrefix(o.Reason, "reminded b@example.com; c@example.com: reminded within the last hour") {
		t.Errorf("reason %q", o.Reason)
	}
	if g := o.Signers[0]; g.Outcome != app.OutcomeOK || g.NextRemind.IsZero() {
		t.Errorf("b: %+v", g)
	}
	next := time.Unix(recent, 0).Add(time.Hour)
	if g := o.Signers[1]; g.Outcome != app.OutcomeSkipped || !g.NextRemind.Equal(next) ||
		!strings.Contains(g.Reason, "next reminder is allowed at "+next.Local().Format("2006-01-02 15:04")) {
		t.Errorf("c: %+v", g)
	}
	e.checkOp(o.OpID, app.ActionRemind, app.OutcomeOK, true)
	if n := e.dbx.Count("POST", "/v3/signature_request/remind/"); n != 1 {
		t.Errorf("%d reminders sent, want 1", n)
	}

	// Now both are within the hour: skipped, nothing sent.
	o = e.svc.Remind(ctx, e.acct, ref, "b@example.com")
	if o.Outcome != app.OutcomeSkipped || !strings.Contains(o.Reason, "next reminder is allowed") {
		t.Errorf("again: %+v", o)
	}
	e.checkOp(o.OpID, app.ActionRemind, app.OutcomeSkipped, false)

	// A signer not on the request: failed.
	o = e.svc.Remind(ctx, e.acct, ref, "zed@example.com")
	if o.Outcome != app.OutcomeFailed || !strings.Contains(o.Reason, "zed@example.com") {
		t.Errorf("unknown signer: %+v", o)
	}
	e.checkOp(o.OpID, app.ActionRemind, app.OutcomeFailed, false)

	// A closed request: skipped with the reason.
	done := e.dbx.Add(dropboxsigntest.SignatureRequest{Title: "Done", IsComplete: true, RequesterEmailAddress: ptrS(e.dbx.Owner()),
		Signatures: []dropboxsigntest.Signature{{SignerEmailAddress: "a@example.com", SignerName: ptrS("A"), StatusCode: "signed"}}})
	o = e.svc.Remind(ctx, e.acct, models.Ref{Account: "acme", ID: done}, "")
	if o.Outcome != app.OutcomeSkipped || !strings.Contains(o.Reason, "only open requests") {
		t.Errorf("closed: %+v", o)
	}

	// The answer is lost after the vendor sent it: unknown.
	ref2 := dbxOpen(e, "Listing", dbxSigner("d@example.com", "Di"))
	e.dbx.SetFaults(dropboxsigntest.Faults{ResetRate: 1, AfterEffect: true, Ops: []string{"POST /v3/signature_request/remind"}, Limit: 1})
	o = e.svc.Remind(ctx, e.acct, ref2, "")
	if o.Outcome != app.OutcomeUnknown || !strings.Contains(o.Reason, "may or may not") {
		t.Errorf("lost answer: %+v", o)
	}
	e.checkOp(o.OpID, app.ActionRemind, app.OutcomeUnknown, true)
}

func TestRemindConstellation(t *testing.T) {
	t.Parallel()
	e := c1Env(t, constellationtest.Options{Seed: 4})
	ctx := context.Background()
	s := e.open()
	id := s.Ref.ID
	e.c1.ModifySession(id, func(ss *constellationtest.Session) {
		ss.Signers = []constellationtest.Signer{
			{ID: "11111111-1111-4111-8111-111111111111", FirstName: "Ann", LastName: "Lee", Email: "ann@example.com", Sequence: 1, StatusCode: constellationtest.SignerCompleted},
			{ID: "22222222-2222-4222-8222-222222222222", FirstName: "Bo", LastName: "Park", Email: "bo@example.com", Sequence: 2, StatusCode: constellationtest.SignerInvited},
		}
	})
	o := e.svc.Remind(ctx, e.acct, s.Ref, "")
	if o.Outcome != app.OutcomeOK || len(o.Signers) != 2 || o.Signers[0].Outcome != app.OutcomeSkipped || o.Signers[1].Outcome != app.OutcomeOK {
		t.Fatalf("remind: %+v", o)
	}
	e.checkOp(o.OpID, app.ActionRemind, app.OutcomeOK, true)
	if after, _ := e.c1.Session(id); after.Signers[1].Invites != 1 {
		t.Errorf("invites: %+v", after.Signers)
	}
	// Only the signer who signed: skipped, nothing sent.
	o = e.svc.Remind(ctx, e.acct, s.Ref, "ann@example.com")
	if o.Outcome != app.OutcomeSkipped || !strings.Contains(o.Reason, "has signed") {
		t.Errorf("signed: %+v", o)
	}
	e.checkOp(o.OpID, app.ActionRemind, app.OutcomeSkipped, false)
}

func TestUpdateDropboxSign(t *testing.T) {
	t.Parallel()
	e := dbxEnv(t, dropboxsigntest.Options{Seed: 1, Size: 1})
	ctx := context.Background()
	ref := dbxOpen(e, "Offer", dbxSigner("b@exmaple.com", "Bo"))

	o := e.svc.UpdateSigner(ctx, e.acct, ref, []providers.SignerUpdate{{Signer: "b@exmaple.com", Email: "b@example.com", Name: "Bo Berg"}})
	if o.Outcome != app.OutcomeOK || len(o.Signers) != 1 || o.Signers[0].Signer.Email != "b@example.com" {
		t.Fatalf("update: %+v", o)
	}
	op := e.checkOp(o.OpID, app.ActionUpdate, app.OutcomeOK, true)
	if !strings.Contains(string(op.Intent), "b@exmaple.com") {
		t.Errorf("intent %s", op.Intent)
	}
	r, _ := e.dbx.Get(ref.ID)
	if r.Signatures[0].SignerEmailAddress != "b@example.com" || *r.Signatures[0].SignerName != "Bo Berg" {
		t.Errorf("emulator: %+v", r.Signatures[0])
	}

	// Expiry: extended (rounded down to the hour by the vendor).
	at := time.Now().Add(20 * 24 * time.Hour)
	o = e.svc.ExtendExpiry(ctx, e.acct, ref, at)
	if o.Outcome != app.OutcomeOK || o.ExpiryOutcome != app.OutcomeOK || o.ExpiresAt.IsZero() || at.Sub(o.ExpiresAt) >= time.Hour {
		t.Fatalf("extend: %+v", o)
	}
	e.checkOp(o.OpID, app.ActionUpdate, app.OutcomeOK, true)

	// A new email and a new expiry at once (the new email changes the
	// signer's signature_id).
	at2 := time.Now().Add(30 * 24 * time.Hour)
	o = e.svc.Update(ctx, e.acct, ref, providers.UpdateSpec{ExpiresAt: at2,
		Signers: []providers.SignerUpdate{{Signer: "b@example.com", Email: "bo@example.com"}}})
	if o.Outcome != app.OutcomeOK || o.ExpiryOutcome != app.OutcomeOK || at2.Sub(o.ExpiresAt) >= time.Hour {
		t.Fatalf("email and expiry: %+v", o)
	}

	// Too far ahead: refused before sending.
	o = e.svc.ExtendExpiry(ctx, e.acct, ref, time.Now().Add(200*24*time.Hour))
	if o.Outcome != app.OutcomeFailed || !strings.Contains(o.Reason, "90 days") {
		t.Errorf("200 days: %+v", o)
	}
	e.checkOp(o.OpID, app.ActionUpdate, app.OutcomeFailed, false)

	// An appended signature page: refused by the vendor, said clearly.
	ref2 := dbxOpen(e, "No fields", dbxSigner("c@example.com", "Cy"))
	e.dbx.Modify(ref2.ID, func(r *dropboxsigntest.SignatureRequest) { r.AppendedSignaturePage = true })
	o = e.svc.UpdateSigner(ctx, e.acct, ref2, []providers.SignerUpdate{{Signer: "c@example.com", Email: "cy@example.com"}})
	if o.Outcome != app.OutcomeFailed || !strings.Contains(o.Reason, "appended signature page") || !strings.Contains(o.Reason, "Copy the request") {
		t.Errorf("appended page: %+v", o)
	}
	e.checkOp(o.OpID, app.ActionUpdate, app.OutcomeFailed, true)

	// The signer already has these values: skipped.
	o = e.svc.UpdateSigner(ctx, e.acct, ref, []providers.SignerUpdate{{Signer: "bo@example.com", Name: "Bo Berg"}})
	if o.Outcome != app.OutcomeSkipped || !strings.Contains(o.Reason, "already has these values") {
		t.Errorf("same values: %+v", o)
	}
}

func TestUpdateConstellationAndExpiryRefused(t *testing.T) {
	t.Parallel()
	e := c1Env(t, constellationtest.Options{Seed: 4})
	ctx := context.Background()
	s := e.open()
	old := s.Signers[0]
	o := e.svc.UpdateSigner(ctx, e.acct, s.Ref, []providers.SignerUpdate{{Signer: old.Email, Email: "fixed@example.com", Name: "Fixed Person"}})
	if o.Outcome != app.OutcomeOK {
		t.Fatalf("update: %+v", o)
	}
	e.checkOp(o.OpID, app.ActionUpdate, app.OutcomeOK, true)
	after, _ := e.c1.Session(s.Ref.ID)
	if after.Signers[0].Email != "fixed@example.com" || after.Signers[0].LastName != "Person" {
		t.Errorf("emulator: %+v", after.Signers[0])
	}
	// Constellation1 cannot change the expiry: refused, nothing sent.
	n := len(e.c1.Requests())
	o = e.svc.ExtendExpiry(ctx, e.acct, s.Ref, time.Now().Add(48*time.Hour))
	if o.Outcome != app.OutcomeFailed || !strings.Contains(o.Reason, "expiry") || len(e.c1.Requests()) != n {
		t.Errorf("expiry: %+v", o)
	}
	e.checkOp(o.OpID, app.ActionUpdate, app.OutcomeFailed, false)
}

// c1Draft returns a draft session of the emulator, ready to start.
func (e *env) c1Draft(not ...string) models.Ref {
	e.t.Helper()
	for _, ss := range e.c1.Sessions() {
		if ss.StatusCode == constellationtest.StatusDraft && !strings.Contains(strings.Join(not, ","), ss.ID) {
			e.c1.ModifySession(ss.ID, func(x *constellationtest.Session) {
				if len(x.Documents) == 0 {
					x.Documents = []string{"contract.pdf"}
				}
				for i := range x.Signers {
					if x.Signers[i].LastName == "" {
						x.Signers[i].LastName = "Last"
					}
				}
			})
			return models.Ref{Account: e.acct.Name, ID: ss.ID}
		}
	}
	e.t.Fatal("no draft in the emulator")
	return models.Ref{}
}

func TestStartDraftOutcomes(t *testing.T) {
	t.Parallel()
	e := c1Env(t, constellationtest.Options{Seed: 4, Size: 40})
	ctx := context.Background()
	d := e.c1Draft()
	o := e.svc.StartDraft(ctx, e.acct, d, "Lease")
	if o.Outcome != app.OutcomeOK || o.Status != models.StatusAwaitingSignature {
		t.Fatalf("start: %+v", o)
	}
	op := e.checkOp(o.OpID, app.ActionSend, app.OutcomeOK, true)
	if op.Title != "Lease" || op.Ref != d.String() {
		t.Errorf("journal: %+v", op)
	}
	// Not a draft any more: skipped.
	o = e.svc.StartDraft(ctx, e.acct, d, "")
	if o.Outcome != app.OutcomeSkipped || !strings.Contains(o.Reason, "not a draft") {
		t.Errorf("again: %+v", o)
	}
	e.checkOp(o.OpID, app.ActionSend, app.OutcomeSkipped, false)

	// Reset before the vendor applied it: the session is still a draft,
	// the outcome unknown.
	d2 := e.c1Draft(d.ID)
	e.c1.SetFaults(constellationtest.Faults{ResetRate: 1, Ops: []string{"start"}, Limit: 1})
	o = e.svc.StartDraft(ctx, e.acct, d2, "")
	if o.Outcome != app.OutcomeUnknown {
		t.Errorf("reset: %+v", o)
	}
	e.checkOp(o.OpID, app.ActionSend, app.OutcomeUnknown, true)

	// Dropbox Sign has no drafts: failed, nothing sent.
	x := dbxEnv(t, dropboxsigntest.Options{Seed: 1, Size: 1})
	o = x.svc.StartDraft(ctx, x.acct, models.Ref{Account: "acme", ID: x.dbx.IDs()[0]}, "")
	if o.Outcome != app.OutcomeFailed || !strings.Contains(o.Reason, "no drafts") {
		t.Errorf("dropbox sign: %+v", o)
	}
	x.checkOp(o.OpID, app.ActionSend, app.OutcomeFailed, false)
}

func TestCopySendNow(t *testing.T) {
	t.Parallel()
	e := c1Env(t, constellationtest.Options{Seed: 3, Size: 20})
	ctx := context.Background()
	src := e.open()
	e.c1.ModifySession(src.Ref.ID, func(x *constellationtest.Session) {
		if len(x.Documents) == 0 {
			x.Documents = []string{"contract.pdf"}
		}
	})
	spec := models.CopySpec{Source: src.Ref, Signers: models.CopySignersFrom(&src), Options: models.CopyOptions{RetainFields: true}}
	out := e.svc.Copy(ctx, app.CopyRequest{Account: e.acct, Source: src, Spec: spec})
	if out.Outcome != app.OutcomeOK || out.Session.Status != models.StatusDraft || out.Sent != nil {
		t.Fatalf("copy without send: %+v", out)
	}
	out = e.svc.Copy(ctx, app.CopyRequest{Account: e.acct, Source: src, Spec: spec, Again: true, SendNow: true})
	if out.Outcome != app.OutcomeOK || out.Sent == nil || out.Sent.Outcome != app.OutcomeOK || out.Session.Status != models.StatusAwaitingSignature {
		t.Fatalf("copy with send: %+v", out)
	}
	if ss, _ := e.c1.Session(out.Session.Ref.ID); ss.StatusCode == constellationtest.StatusDraft {
		t.Error("the copy is still a draft at the vendor")
	}
	e.checkOp(out.Sent.OpID, app.ActionSend, app.OutcomeOK, true)
	if op := e.op(out.Sent.OpID); op.Ref != out.Session.Ref.String() {
		t.Errorf("send op ref %s, want %s", op.Ref, out.Session.Ref)
	}

	// A send that fails keeps the original live even with "cancel the original".
	e.c1.SetFaults(constellationtest.Faults{ErrorRate: 1, ErrorStatus: 404, Ops: []string{"start"}})
	spec.Options.CancelOriginal = true
	out = e.svc.Copy(ctx, app.CopyRequest{Account: e.acct, Source: src, Spec: spec, Again: true, SendNow: true})
	e.c1.SetFaults(constellationtest.Faults{})
	if out.Outcome != app.OutcomeOK || out.Sent == nil || out.Sent.Outcome == app.OutcomeOK || out.Original == nil ||
		out.Original.Outcome != app.OutcomeSkipped || !strings.Contains(out.Original.Reason, "original was kept") {
		t.Fatalf("failed send: %+v / %+v", out.Sent, out.Original)
	}
	if ss, _ := e.c1.Session(src.Ref.ID); ss.StatusCode == constellationtest.StatusCancelled {
		t.Error("the original was canceled although its copy was not sent")
	}
}

func TestDownloadBothProvidersNeverOverwrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := dbxEnv(t, dropboxsigntest.Options{Seed: 1, Size: 1})
	ref := dbxOpen(e, "Offer 4 Elm", dbxSigner("b@example.com", "Bo"))
	dir := filepath.Join(t.TempDir(), "new")
	var progressed int64
	o := e.svc.Download(ctx, e.acct, ref, dir, "pdf", func(done, total int64) { progressed = done })
	if o.Outcome != app.OutcomeOK || len(o.Paths) != 1 || o.Bytes == 0 || progressed != o.Bytes {
		t.Fatalf("download: %+v (progress %d)", o, progressed)
	}
	o2 := e.svc.Download(ctx, e.acct, ref, dir, "pdf", nil)
	if o2.Outcome != app.OutcomeOK || len(o2.Paths) != 1 || o2.Paths[0] == o.Paths[0] {
		t.Fatalf("second download: %+v", o2)
	}
	for _, p := range append(o.Paths, o2.Paths...) {
		b, err := os.ReadFile(p)
		if err != nil || !strings.HasPrefix(string(b), "%PDF") {
			t.Errorf("%s: %v %.10q", p, err, b)
		}
	}
	if fi, _ := os.Stat(dir); fi == nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v", fi)
	}
	// Reads are not journaled.
	if ops, _ := e.db.Ops(ctx, store.OpFilter{}); len(ops) != 0 {
		t.Errorf("journal has %d operations", len(ops))
	}
	// A request whose files failed: failed, nothing left behind.
	e.dbx.Modify(ref.ID, func(r *dropboxsigntest.SignatureRequest) { r.FilesFailed = true })
	before, _ := os.ReadDir(dir)
	o = e.svc.Download(ctx, e.acct, ref, dir, "pdf", nil)
	after, _ := os.ReadDir(dir)
	if o.Outcome != app.OutcomeFailed || len(o.Paths) != 0 || len(after) != len(before) {
		t.Errorf("failed files: %+v (%d -> %d files)", o, len(before), len(after))
	}

	c := c1Env(t, constellationtest.Options{Seed: 4})
	s := c.open()
	c.c1.ModifySession(s.Ref.ID, func(x *constellationtest.Session) { x.Documents = []string{"a.pdf", "b.pdf"} })
	o = c.svc.Download(ctx, c.acct, s.Ref, dir, "", nil)
	if o.Outcome != app.OutcomeOK || len(o.Paths) != 2 {
		t.Fatalf("constellation1: %+v", o)
	}
}

func TestReconcileActions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := dbxEnv(t, dropboxsigntest.Options{Seed: 1, Size: 1})
	ref := dbxOpen(e, "Offer", dbxSigner("b@example.com", "Bo"))
	ref2 := dbxOpen(e, "Other", dbxSigner("c@example.com", "Cy"))
	old := time.Now().Add(-10 * time.Minute)
	intent := func(id, action string, r models.Ref, in string, attempts int) {
		t.Helper()
		if err := e.db.RecordIntent(ctx, store.Op{ID: id, Action: action, Account: "acme", Provider: "dropboxsign", Endpoint: e.acct.Endpoint,
			Ref: r.String(), CreatedAt: old, Intent: []byte(in), PID: 999999}); err != nil {
			t.Fatal(err)
		}
		for range attempts {
			if err := e.db.BumpAttempt(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	// An update the vendor applied before the crash, one it never got,
	// one never sent, and a remind sent.
	e.dbx.Modify(ref.ID, func(r *dropboxsigntest.SignatureRequest) { r.Signatures[0].SignerName = ptrS("Bo Berg") })
	intent("sdopupdateapplied0000000000000", app.ActionUpdate, ref, `{"signers":[{"Signer":"b@example.com","Name":"Bo Berg"}]}`, 1)
	intent("sdopupdatelost00000000000000000", app.ActionUpdate, ref2, `{"signers":[{"Signer":"c@example.com","Email":"cy@example.com"}]}`, 1)
	intent("sdopupdatenotsent00000000000000", app.ActionUpdate, ref2, `{}`, 0)
	intent("sdopremind0000000000000000000000", app.ActionRemind, ref2, `{}`, 1)
	rep := e.svc.Reconcile(ctx, []app.Account{e.acct})
	if rep.Checked != 4 {
		t.Errorf("checked %d", rep.Checked)
	}
	for id, want := range map[string]string{
		"sdopupdateapplied0000000000000":   app.OutcomeOK,
		"sdopupdatelost00000000000000000":  app.OutcomeFailed,
		"sdopupdatenotsent00000000000000":  app.OutcomeNotSent,
		"sdopremind0000000000000000000000": app.OutcomeUnknown,
	} {
		if op := e.op(id); op.Outcome != want {
			t.Errorf("%s: %s (%s), want %s", id, op.Outcome, op.Reason, want)
		}
	}
	if op := e.op("sdopremind0000000000000000000000"); !strings.Contains(op.Reason, "a reminder may have been sent") {
		t.Errorf("remind reason %q", op.Reason)
	}

	// A send: resolved by the session's status.
	c := c1Env(t, constellationtest.Options{Seed: 4, Size: 40})
	d := c.c1Draft()
	d2 := c.c1Draft(d.ID)
	if o := c.svc.StartDraft(ctx, c.acct, d, ""); o.Outcome != app.OutcomeOK {
		t.Fatal(o)
	}
	for id, r := range map[string]models.Ref{"sdopsendstarted0000000000000000": d, "sdopsenddraft00000000000000000000": d2} {
		if err := c.db.RecordIntent(ctx, store.Op{ID: id, Action: app.ActionSend, Account: "c1", Provider: "constellation1",
			Endpoint: c.acct.Endpoint, Ref: r.String(), CreatedAt: old, PID: 999999}); err != nil {
			t.Fatal(err)
		}
		_ = c.db.BumpAttempt(ctx, id)
	}
	c.svc.Reconcile(ctx, []app.Account{c.acct})
	if op := c.op("sdopsendstarted0000000000000000"); op.Outcome != app.OutcomeOK {
		t.Errorf("started: %s %s", op.Outcome, op.Reason)
	}
	if op := c.op("sdopsenddraft00000000000000000000"); op.Outcome != app.OutcomeFailed || !strings.Contains(op.Reason, "still a draft") {
		t.Errorf("draft: %s %s", op.Outcome, op.Reason)
	}
}
