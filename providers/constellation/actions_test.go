package constellation

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/constellation/constellationtest"
)

// sentSession makes a seeded session a sent one with four signers: one
// completed, one invited, one in progress, one not invited yet.
func sentSession(e *env) constellationtest.Session {
	e.t.Helper()
	ss := e.find(withStatus(constellationtest.StatusSent))
	e.srv.ModifySession(ss.ID, func(s *constellationtest.Session) {
		s.Signers = []constellationtest.Signer{
			{ID: "11111111-1111-4111-8111-111111111111", FirstName: "Ann", LastName: "Lee", Email: "ann@example.com", Sequence: 1, StatusCode: constellationtest.SignerCompleted},
			{ID: "22222222-2222-4222-8222-222222222222", FirstName: "Bo", LastName: "Park", Email: "bo@example.com", Sequence: 2, StatusCode: constellationtest.SignerInvited},
			{ID: "33333333-3333-4333-8333-333333333333", FirstName: "Cy", LastName: "Ng", Email: "cy@example.com", Sequence: 2, StatusCode: constellationtest.SignerInProgress},
			{ID: "44444444-4444-4444-8444-444444444444", FirstName: "Di", LastName: "Roe", Email: "di@example.com", Sequence: 3, StatusCode: constellationtest.SignerPendingInvite},
		}
	})
	s, _ := e.srv.Session(ss.ID)
	return s
}

func TestRemindSendsInvitesPerSigner(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 4})
	ss := sentSession(e)
	res, err := e.c.RemindSigners(e.ctx, ss.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Signers) != 4 {
		t.Fatalf("results: %+v", res)
	}
	if res.Signers[0].Skipped == "" || res.Signers[3].Skipped == "" || !res.Signers[1].OK() || !res.Signers[2].OK() {
		t.Errorf("results: %+v", res.Signers)
	}
	inv := e.requests("invite")
	if len(inv) != 2 {
		t.Fatalf("%d invite calls, want 2", len(inv))
	}
	r := inv[0]
	if r.Method != "PUT" || r.Path != "/rest/v1/signers/invite" {
		t.Errorf("sent %s %s", r.Method, r.Path)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &body); err != nil || len(body) != 3 {
		t.Fatalf("body %s", r.Body)
	}
	var list []map[string]any
	_ = json.Unmarshal(body["signerList"], &list)
	if string(body["signingSessionId"]) != `"`+ss.ID+`"` || string(body["returnURL"]) != `"`+DefaultReturnURL+`"` || len(list) != 1 ||
		list[0]["SignerId"] != ss.Signers[1].ID || list[0]["EmailAddress"] != "bo@example.com" || list[0]["LastName"] != "Park" ||
		list[0]["StatusCode"] != float64(1) || list[0]["StateCode"] != float64(0) || list[0]["Sequence"] != float64(2) {
		t.Errorf("body %s", r.Body)
	}
	after, _ := e.srv.Session(ss.ID)
	if after.Signers[1].Invites != 1 || after.Signers[2].Invites != 1 || after.Signers[3].Invites != 0 {
		t.Errorf("the emulator's invites: %+v", after.Signers)
	}

	// By email; an unknown one is a per-signer error.
	res, err = e.c.RemindSigners(e.ctx, ss.ID, []string{"BO@example.com", "x@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Signers) != 2 || !errors.Is(res.Signers[0].Err, providers.ErrNotFound) || !res.Signers[1].OK() {
		t.Errorf("by email: %+v", res.Signers)
	}

	// A draft must be sent first; a vendor refusal is per signer.
	draft := e.find(withStatus(constellationtest.StatusDraft))
	_, err = e.c.RemindSigners(e.ctx, draft.ID, nil)
	if !errors.Is(err, providers.ErrConflict) || !strings.Contains(err.Error(), "draft") {
		t.Errorf("draft: %v", err)
	}
	e.srv.SetFaults(constellationtest.Faults{ErrorRate: 1, Ops: []string{"invite"}, Limit: 1, ErrorStatus: 500})
	res, err = e.c.RemindSigners(e.ctx, ss.ID, []string{"bo@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Signers[0].Err; !errors.Is(err, providers.ErrAmbiguous) || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a 500: %v", err)
	}
}

func TestUpdateSignersInPlace(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 4})
	ss := sentSession(e)
	res, err := e.c.Update(e.ctx, ss.ID, providers.UpdateSpec{Signers: []providers.SignerUpdate{
		{Signer: "bo@exAMPLE.com", Email: "bo.park@example.com", Name: "Bo Park-Kim"},
		{Signer: ss.Signers[2].ID, Name: "Cher"},
		{Signer: "ann@example.com", Email: "ann2@example.com"},
		{Signer: "zz@example.com", Name: "Z Z"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	rs := res.Signers
	if !rs[0].OK() || rs[0].Signer.Email != "bo.park@example.com" || rs[0].Signer.LastName != "Park-Kim" || rs[0].Signer.FirstName != "Bo" {
		t.Errorf("bo: %+v", rs[0])
	}
	if !rs[1].OK() || rs[1].Signer.LastName != "Cher" || rs[1].Signer.FirstName != "" {
		t.Errorf("a one-word name is the last name: %+v", rs[1])
	}
	if !errors.Is(rs[2].Err, providers.ErrConflict) || !errors.Is(rs[3].Err, providers.ErrNotFound) {
		t.Errorf("refusals: %v / %v", rs[2].Err, rs[3].Err)
	}
	ups := e.requests("signers")
	if len(ups) != 1 || ups[0].Method != "PUT" || ups[0].Path != "/rest/v1/signers" {
		t.Fatalf("update calls: %+v", ups)
	}
	var body struct {
		Username         string           `json:"username"`
		SigningSessionID string           `json:"signingSessionId"`
		Signers          []map[string]any `json:"signers"`
	}
	if err := json.Unmarshal(ups[0].Body, &body); err != nil || body.Username != e.srv.Username() || body.SigningSessionID != ss.ID ||
		len(body.Signers) != 2 || body.Signers[0]["SignerId"] != ss.Signers[1].ID || body.Signers[0]["EmailAddress"] != "bo.park@example.com" ||
		body.Signers[1]["LastName"] != "Cher" || body.Signers[1]["EmailAddress"] != "cy@example.com" {
		t.Errorf("body %s", ups[0].Body)
	}
	after, _ := e.srv.Session(ss.ID)
	if after.Signers[1].Email != "bo.park@example.com" || after.Signers[2].LastName != "Cher" || after.Signers[0].Email != "ann@example.com" {
		t.Errorf("emulator: %+v", after.Signers)
	}

	// The expiry cannot change: refused before anything is sent.
	n := len(e.srv.Requests())
	_, err = providers.Update(e.ctx, e.c, ss.ID, providers.UpdateSpec{ExpiresAt: time.Now().Add(48 * time.Hour)})
	if !errors.Is(err, providers.ErrUnsupported) || len(e.srv.Requests()) != n {
		t.Errorf("expiry: %v (sent: %v)", err, len(e.srv.Requests()) != n)
	}
	_, err = e.c.Update(e.ctx, ss.ID, providers.UpdateSpec{Signers: []providers.SignerUpdate{{Signer: "cy@example.com", FirstName: "Cy"}}})
	if !errors.Is(err, providers.ErrInvalid) || !strings.Contains(err.Error(), "Last") {
		t.Errorf("first name only: %v", err)
	}

	// A vendor refusal (here of a username it does not know) reaches
	// every signer of the call.
	wrong, err := New(Config{Account: "b", BaseURL: e.srv.URL(), APIKey: testKey, Username: "nobody@example.com", Tune: fastTune})
	if err != nil {
		t.Fatal(err)
	}
	res, err = wrong.Update(e.ctx, ss.ID, providers.UpdateSpec{Signers: []providers.SignerUpdate{
		{Signer: "bo.park@example.com", Name: "Bo Park"}, {Signer: "cy@example.com", Name: "Cy Ng"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Signers {
		if !errors.Is(r.Err, providers.ErrInvalid) || !strings.Contains(r.Err.Error(), "Username not found") {
			t.Errorf("vendor refusal: %+v", r)
		}
	}
	done := e.find(withStatus(constellationtest.StatusCompleted))
	_, err = e.c.Update(e.ctx, done.ID, providers.UpdateSpec{Signers: []providers.SignerUpdate{{Signer: done.Signers[0].Email, Name: "A B"}}})
	if !errors.Is(err, providers.ErrConflict) {
		t.Errorf("completed session: %v", err)
	}
}

func TestUpdateSignersAmbiguousIsSettledByReading(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 4})
	ss := sentSession(e)
	e.srv.SetFaults(constellationtest.Faults{ResetRate: 1, Ops: []string{"signers"}, Limit: 1, AfterEffect: true})
	res, err := e.c.Update(e.ctx, ss.ID, providers.UpdateSpec{Signers: []providers.SignerUpdate{{Signer: "bo@example.com", Email: "bo2@example.com"}}})
	if err != nil || !res.Signers[0].OK() || res.Signers[0].Signer.Email != "bo2@example.com" {
		t.Errorf("lost answer after the change: %+v, %v", res, err)
	}
	e.srv.SetFaults(constellationtest.Faults{ResetRate: 1, Ops: []string{"signers"}, Limit: 1})
	res, err = e.c.Update(e.ctx, ss.ID, providers.UpdateSpec{Signers: []providers.SignerUpdate{{Signer: "bo2@example.com", Email: "bo3@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Signers[0].Err; !errors.Is(err, providers.ErrAmbiguous) || !strings.Contains(err.Error(), "most likely was not made") {
		t.Errorf("lost before the change: %v", err)
	}
}

func TestStartDraftSendsIt(t *testing.T) {
	StartRetryWait = time.Millisecond
	t.Cleanup(func() { StartRetryWait = 2 * time.Second })
	e := newEnv(t, constellationtest.Options{Seed: 4})
	draft := e.find(withStatus(constellationtest.StatusDraft))
	e.srv.ModifySession(draft.ID, func(s *constellationtest.Session) { s.NotReadyStarts = 2 })
	res, err := providers.StartDraft(e.ctx, e.c, draft.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != models.StatusAwaitingSignature {
		t.Errorf("status after the start: %v", res.Status)
	}
	starts := e.requests("start")
	if len(starts) != 3 {
		t.Fatalf("%d start calls, want 3 (two 'not ready')", len(starts))
	}
	if r := starts[0]; r.Method != "PUT" || r.Path != "/rest/v1/sessions/"+draft.ID+"/start" ||
		r.Query.Get("returnUrl") != DefaultReturnURL || len(r.Body) != 0 {
		t.Errorf("sent %s %s ?%s body %q", r.Method, r.Path, r.RawQuery, r.Body)
	}
	after, _ := e.srv.Session(draft.ID)
	if after.StatusCode != constellationtest.StatusSent {
		t.Errorf("emulator status %d", after.StatusCode)
	}
	// Not a draft any more.
	_, err = e.c.StartDraft(e.ctx, draft.ID)
	if !errors.Is(err, providers.ErrConflict) {
		t.Errorf("second start: %v", err)
	}
	// Not ready for longer than the retries: the vendor's text.
	d2 := e.find(func(s constellationtest.Session) bool {
		return s.StatusCode == constellationtest.StatusDraft && s.ID != draft.ID
	})
	e.srv.ModifySession(d2.ID, func(s *constellationtest.Session) { s.NotReadyStarts = 10 })
	_, err = e.c.StartDraft(e.ctx, d2.ID)
	if err == nil || !strings.Contains(err.Error(), "not ready") {
		t.Errorf("never ready: %v", err)
	}
	if n := len(e.requests("start")) - 3; n != StartRetries+1 {
		t.Errorf("%d tries, want %d", n, StartRetries+1)
	}
	// A lost answer after the start took effect is a success.
	d3 := e.find(func(s constellationtest.Session) bool {
		return s.StatusCode == constellationtest.StatusDraft && s.ID != draft.ID && s.ID != d2.ID
	})
	e.srv.SetFaults(constellationtest.Faults{ResetRate: 1, Ops: []string{"start"}, Limit: 1, AfterEffect: true})
	res, err = e.c.StartDraft(e.ctx, d3.ID)
	if err != nil || res.Status != models.StatusAwaitingSignature {
		t.Errorf("lost answer: %+v, %v", res, err)
	}
}

func TestDownloadSignerDocuments(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 4})
	ss := sentSession(e)
	e.srv.ModifySession(ss.ID, func(s *constellationtest.Session) {
		s.Documents = []string{"Purchase Agreement.pdf", "Disclosure.pdf", "../../etc/passwd"}
		s.DocumentSize = 50 << 10
	})
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "Disclosure.pdf"), []byte("keep me"), 0o600)
	var last providers.Progress
	res, err := providers.Download(e.ctx, e.c, ss.ID, providers.DownloadSpec{Create: providers.CreateIn(dir, nil),
		Progress: func(p providers.Progress) { last = p }})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 3 || res.Files[0].Name != "Purchase Agreement.pdf" || res.Files[0].ContentType != "application/pdf" {
		t.Fatalf("files: %+v", res.Files)
	}
	if strings.ContainsAny(res.Files[2].Name, "/\\") {
		t.Errorf("a path in a file name: %q", res.Files[2].Name)
	}
	if last.Done != last.Total || last.Total < 50<<10 {
		t.Errorf("last progress %+v", last)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "Disclosure.pdf")); string(b) != "keep me" {
		t.Error("an existing file was overwritten")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "Disclosure (1).pdf")); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("the second Disclosure: %v", err)
	}
	docs := e.requests("signerdocs")
	if len(docs) != 3 || docs[0].Path != "/rest/v1/signer/docs/"+e.srv.Username()+"/"+ss.ID+"/"+ss.Signers[0].ID+"/0/1" ||
		!strings.HasSuffix(docs[2].Path, "/2/1") || docs[0].Method != "GET" {
		t.Errorf("document calls: %d, first %s", len(docs), docs[0].Path)
	}
	// A purged session's documents are gone: the vendor's text.
	e.srv.ModifySession(ss.ID, func(s *constellationtest.Session) { s.StatusCode = constellationtest.StatusPurged })
	_, err = e.c.Download(e.ctx, ss.ID, providers.DownloadSpec{Create: func(string) (io.WriteCloser, error) { return nil, errors.New("unused") }})
	if err == nil || !strings.Contains(err.Error(), "purged") {
		t.Errorf("purged: %v", err)
	}
	_, err = e.c.Download(e.ctx, ss.ID, providers.DownloadSpec{Format: "zip", Create: providers.CreateIn(dir, nil)})
	if !errors.Is(err, providers.ErrUnsupported) {
		t.Errorf("zip: %v", err)
	}
}

func TestConstellationActionCapabilities(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 4})
	caps := e.c.Capabilities()
	if !caps.Remind || caps.RemindGap != 0 || !caps.UpdateSigner || caps.ExtendExpiry || !caps.Download || !caps.StartDraft || caps.WebURL {
		t.Errorf("caps %+v", caps)
	}
	s, err := e.c.Get(e.ctx, e.find(withStatus(constellationtest.StatusSent)).ID)
	if err != nil {
		t.Fatal(err)
	}
	s.URL = "https://example.com/x"
	if u := providers.WebURL(caps, s); u != "" {
		t.Errorf("WebURL = %q without the capability", u)
	}
	_, err = providers.ExtendExpiry(e.ctx, e.c, s.Ref.ID, time.Now().Add(time.Hour*48))
	if !errors.Is(err, providers.ErrUnsupported) {
		t.Errorf("ExtendExpiry: %v", err)
	}
}
