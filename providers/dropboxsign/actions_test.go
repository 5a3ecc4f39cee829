package dropboxsign

import (
	"archive/zip"
	"bytes"
	"context"
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
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

// addOpen adds an open request of the owner with the given signers.
func addOpen(e *env, title string, sigs ...dropboxsigntest.Signature) string {
	return e.srv.Add(dropboxsigntest.SignatureRequest{Title: title, RequesterEmailAddress: ptrTo(e.srv.Owner()),
		Signatures: sigs})
}

func awaiting(email, name string) dropboxsigntest.Signature {
	return dropboxsigntest.Signature{SignerEmailAddress: email, SignerName: ptrTo(name), StatusCode: "awaiting_signature"}
}

// sent returns the requests sent to path prefix since mark.
func sent(e *env, mark int, method, prefix string) []dropboxsigntest.Recorded {
	var out []dropboxsigntest.Recorded
	for _, r := range e.srv.Requests()[mark:] {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			out = append(out, r)
		}
	}
	return out
}

func TestRemindSignersPerSignerResults(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 1, Size: 1})
	ctx := context.Background()
	recent := time.Now().Add(-10 * time.Minute).Unix()
	signed := dropboxsigntest.Signature{SignerEmailAddress: "a@example.com", SignerName: ptrTo("Ann"), StatusCode: "signed",
		SignedAt: ptrTo(time.Now().Unix())}
	c := awaiting("c@example.com", "Cal")
	c.LastRemindedAt = &recent
	id := addOpen(e, "Offer - 4 Elm St", signed, awaiting("b@example.com", "Bo"), c, awaiting("d@example.com", "Di"))

	// The signer list shows when each was last reminded.
	s, err := e.c.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Signers[2].LastRemindedAt; got.Unix() != recent {
		t.Fatalf("LastRemindedAt = %v, want %v", got, time.Unix(recent, 0))
	}
	caps := e.c.Capabilities()
	if !caps.Remind || caps.RemindGap != time.Hour {
		t.Fatalf("capabilities: %+v", caps)
	}
	if next := providers.NextReminder(caps, s.Signers[2], time.Now()); next.Unix() != recent+3600 {
		t.Errorf("NextReminder = %v, want an hour after the last", next)
	}

	mark := len(e.srv.Requests())
	res, err := e.c.RemindSigners(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Signers) != 4 {
		t.Fatalf("%d results, want 4: %+v", len(res.Signers), res)
	}
	if r := res.Signers[0]; r.Skipped == "" || r.Err != nil {
		t.Errorf("the signed signer: %+v, want skipped", r)
	}
	for _, i := range []int{1, 3} {
		r := res.Signers[i]
		if !r.OK() || r.Signer.LastRemindedAt.IsZero() || r.NextRemind.Sub(r.Signer.LastRemindedAt) != time.Hour {
			t.Errorf("result %d: %+v, want reminded with the next one an hour later", i, r)
		}
	}
	if r := res.Signers[2]; !errors.Is(r.Err, providers.ErrInvalid) || r.NextRemind.Unix() != recent+3600 {
		t.Errorf("the signer reminded 10 minutes ago: %+v", r)
	}
	if done, failed := res.Signers.Done(); done != 2 || failed != 1 {
		t.Errorf("Done() = %d, %d", done, failed)
	}
	posts := sent(e, mark, "POST", "/v3/signature_request/remind/")
	if len(posts) != 2 || posts[0].Path != "/v3/signature_request/remind/"+id ||
		string(posts[0].Body) != `{"email_address":"b@example.com"}` || string(posts[1].Body) != `{"email_address":"d@example.com"}` {
		t.Fatalf("reminders sent: %+v", posts)
	}
	r, _ := e.srv.Get(id)
	if r.Signatures[1].LastRemindedAt == nil || r.Signatures[3].LastRemindedAt == nil || *r.Signatures[2].LastRemindedAt != recent {
		t.Error("the emulator did not record the reminders")
	}

	// By email, case-insensitively; an unknown email is a per-signer error.
	mark = len(e.srv.Requests())
	res, err = e.c.RemindSigners(ctx, id, []string{"B@example.com", "zed@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Signers) != 2 || !errors.Is(res.Signers[0].Err, providers.ErrNotFound) ||
		!errors.Is(res.Signers[1].Err, providers.ErrInvalid) || res.Signers[1].NextRemind.IsZero() {
		t.Errorf("results: %+v", res.Signers)
	}
	if n := len(sent(e, mark, "POST", "/v3/signature_request/remind/")); n != 0 {
		t.Errorf("%d reminders sent within the hour", n)
	}
	if err := res.Signers.Err(); err == nil || !strings.Contains(err.Error(), "zed@example.com") {
		t.Errorf("Err() = %v", err)
	}

	// A closed request has nobody to remind.
	done := e.srv.Add(dropboxsigntest.SignatureRequest{Title: "Done", IsComplete: true, RequesterEmailAddress: ptrTo(e.srv.Owner()),
		Signatures: []dropboxsigntest.Signature{signed}})
	_, err = e.c.RemindSigners(ctx, done, nil)
	checkErr(t, err, providers.ErrConflict)
	_, err = e.c.RemindSigners(ctx, id, []string{"not an email"})
	checkErr(t, err, providers.ErrInvalid)
}

func TestRemindVendorRefusalSaysWhenNext(t *testing.T) {
	// The client's clock runs two hours ahead, so it lets a reminder the
	// vendor refuses (last one 30 minutes ago by the vendor's clock) go.
	e := newEnv(t, dropboxsigntest.Options{Seed: 1, Size: 1}, tuneClient(func(cc *providers.ClientConfig) {
		cc.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	}))
	last := time.Now().Add(-30 * time.Minute).Unix()
	g := awaiting("b@example.com", "Bo")
	g.LastRemindedAt = &last
	id := addOpen(e, "Listing", g)
	res, err := e.c.RemindSigners(context.Background(), id, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Signers[0]
	pe := checkErr(t, r.Err, providers.ErrInvalid)
	if pe.Name != "invalid_reminder" || !strings.Contains(pe.Message, "one reminder an hour") || r.NextRemind.Unix() != last+3600 {
		t.Errorf("refusal: %+v, next %v", pe, r.NextRemind)
	}
}

func TestRemindAmbiguousIsSafeToRetry(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 1, Size: 1,
		Faults: dropboxsigntest.Faults{ResetRate: 1, AfterEffect: true, Ops: []string{"POST /v3/signature_request/remind"}, Limit: 1}})
	id := addOpen(e, "Listing", awaiting("b@example.com", "Bo"))
	res, err := e.c.RemindSigners(context.Background(), id, nil)
	if err != nil {
		t.Fatal(err)
	}
	pe := checkErr(t, res.Signers[0].Err, providers.ErrAmbiguous)
	if !strings.Contains(pe.Message, "safe") {
		t.Errorf("message: %q", pe.Message)
	}
	// The reminder went out; a retry is refused, not sent twice.
	res, err = e.c.RemindSigners(context.Background(), id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res.Signers[0].Err, providers.ErrInvalid) {
		t.Errorf("retry: %+v", res.Signers[0])
	}
}

func TestUpdateSignerInPlace(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 1, Size: 1})
	ctx := context.Background()
	signed := dropboxsigntest.Signature{SignerEmailAddress: "a@example.com", SignerName: ptrTo("Ann"), StatusCode: "signed",
		SignedAt: ptrTo(time.Now().Unix())}
	id := addOpen(e, "Offer", signed, awaiting("bob@exmaple.com", "Bob Buyer"), awaiting("c@example.com", "Cal"))
	before, _ := e.srv.Get(id)
	oldID := before.Signatures[1].SignatureID
	cID := before.Signatures[2].SignatureID

	mark := len(e.srv.Requests())
	res, err := e.c.Update(ctx, id, providers.UpdateSpec{Signers: []providers.SignerUpdate{
		{Signer: "BOB@exmaple.com", Email: "bob@example.com", Name: "Robert Buyer"},
		{Signer: cID, Name: "Calvin Cole"},
		{Signer: "a@example.com", Name: "Anne"},
		{Signer: "nobody@example.com", Name: "X"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	rs := res.Signers
	if len(rs) != 4 {
		t.Fatalf("results: %+v", rs)
	}
	if !rs[0].OK() || rs[0].Signer.Email != "bob@example.com" || rs[0].Signer.Name != "Robert Buyer" || rs[0].Signer.ID == oldID || rs[0].Signer.ID == "" {
		t.Errorf("email and name change: %+v (a new email gets a new signature id)", rs[0])
	}
	if !rs[1].OK() || rs[1].Signer.Name != "Calvin Cole" || rs[1].Signer.ID != cID {
		t.Errorf("name change by id: %+v", rs[1])
	}
	checkErr(t, rs[2].Err, providers.ErrConflict)
	checkErr(t, rs[3].Err, providers.ErrNotFound)
	posts := sent(e, mark, "POST", "/v3/signature_request/update/")
	if len(posts) != 2 || posts[0].Path != "/v3/signature_request/update/"+id {
		t.Fatalf("updates sent: %+v", posts)
	}
	var b1, b2 map[string]any
	_ = json.Unmarshal(posts[0].Body, &b1)
	_ = json.Unmarshal(posts[1].Body, &b2)
	if len(b1) != 3 || b1["signature_id"] != oldID || b1["email_address"] != "bob@example.com" || b1["name"] != "Robert Buyer" {
		t.Errorf("first body: %s", posts[0].Body)
	}
	if len(b2) != 2 || b2["signature_id"] != cID || b2["name"] != "Calvin Cole" {
		t.Errorf("second body: %s", posts[1].Body)
	}
	after, _ := e.srv.Get(id)
	if after.Signatures[1].SignerEmailAddress != "bob@example.com" || *after.Signatures[2].SignerName != "Calvin Cole" {
		t.Errorf("the emulator's signers: %+v", after.Signatures)
	}

	// Nothing sent for a change that changes nothing, or a bad email.
	mark = len(e.srv.Requests())
	res, err = e.c.Update(ctx, id, providers.UpdateSpec{Signers: []providers.SignerUpdate{{Signer: "c@example.com", Name: "Calvin Cole"}}})
	if err != nil || res.Signers[0].Skipped == "" {
		t.Errorf("no-op change: %+v, %v", res, err)
	}
	_, err = e.c.Update(ctx, id, providers.UpdateSpec{Signers: []providers.SignerUpdate{{Signer: "c@example.com", Email: "Cal <c@x.com>"}}})
	checkErr(t, err, providers.ErrInvalid)
	_, err = e.c.Update(ctx, id, providers.UpdateSpec{})
	checkErr(t, err, providers.ErrInvalid)
	if n := len(sent(e, mark, "POST", "/v3/signature_request/update/")); n != 0 {
		t.Errorf("%d updates sent", n)
	}

	// A completed request cannot be changed.
	done := e.srv.Add(dropboxsigntest.SignatureRequest{Title: "Done", IsComplete: true, RequesterEmailAddress: ptrTo(e.srv.Owner()),
		Signatures: []dropboxsigntest.Signature{signed}})
	_, err = e.c.Update(ctx, done, providers.UpdateSpec{Signers: []providers.SignerUpdate{{Signer: "a@example.com", Name: "A"}}})
	checkErr(t, err, providers.ErrConflict)
}

func TestUpdateRefusedForAppendedSignaturePage(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 1, Size: 1})
	id := addOpen(e, "No fields", awaiting("b@example.com", "Bo"))
	e.srv.Modify(id, func(r *dropboxsigntest.SignatureRequest) { r.AppendedSignaturePage = true })
	res, err := e.c.Update(context.Background(), id, providers.UpdateSpec{Signers: []providers.SignerUpdate{{Signer: "b@example.com", Email: "bo@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	pe := checkErr(t, res.Signers[0].Err, providers.ErrInvalid)
	if !errors.Is(pe, ErrAppendedPage) || !strings.Contains(pe.Message, "appended signature page") ||
		!strings.Contains(pe.Message, "Copy the request") {
		t.Errorf("refusal: %v", pe)
	}
	r, _ := e.srv.Get(id)
	if r.Signatures[0].SignerEmailAddress != "b@example.com" {
		t.Error("the signer changed")
	}
}

func TestUpdateAmbiguousIsSettledByReading(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 1, Size: 1,
		Faults: dropboxsigntest.Faults{ResetRate: 1, AfterEffect: true, Ops: []string{"POST /v3/signature_request/update"}, Limit: 1}})
	id := addOpen(e, "Offer", awaiting("b@example.com", "Bo"))
	res, err := e.c.Update(context.Background(), id, providers.UpdateSpec{Signers: []providers.SignerUpdate{{Signer: "b@example.com", Email: "bo@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Signers[0]; !r.OK() || r.Signer.Email != "bo@example.com" {
		t.Errorf("after a lost answer: %+v", r)
	}

	// Lost before it took effect: the error says it most likely was not made.
	e.srv.SetFaults(dropboxsigntest.Faults{ResetRate: 1, Ops: []string{"POST /v3/signature_request/update"}, Limit: 1})
	res, err = e.c.Update(context.Background(), id, providers.UpdateSpec{Signers: []providers.SignerUpdate{{Signer: "bo@example.com", Name: "Bo B"}}})
	if err != nil {
		t.Fatal(err)
	}
	pe := checkErr(t, res.Signers[0].Err, providers.ErrAmbiguous)
	if !strings.Contains(pe.Message, "most likely was not made") {
		t.Errorf("message: %q", pe.Message)
	}
}

func TestExtendExpiry(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 1, Size: 1})
	ctx := context.Background()
	id := addOpen(e, "Offer", awaiting("b@example.com", "Bo"))
	r0, _ := e.srv.Get(id)
	want := time.Now().Add(30 * 24 * time.Hour)
	mark := len(e.srv.Requests())
	got, err := providers.ExtendExpiry(ctx, e.c, id, want)
	if err != nil {
		t.Fatal(err)
	}
	if got.Unix() != want.Unix()-want.Unix()%3600 {
		t.Errorf("expiry %v, want %v rounded down to the hour", got, want)
	}
	posts := sent(e, mark, "POST", "/v3/signature_request/update/")
	var body map[string]any
	if len(posts) != 1 || json.Unmarshal(posts[0].Body, &body) != nil || body["signature_id"] != r0.Signatures[0].SignatureID ||
		body["expires_at"] != float64(want.Unix()) || len(body) != 2 {
		t.Fatalf("sent: %+v", posts)
	}
	s, _ := e.c.Get(ctx, id)
	if !s.ExpiresAt.Equal(got) {
		t.Errorf("the request expires %v, want %v", s.ExpiresAt, got)
	}
	// Out of range: refused before sending.
	mark = len(e.srv.Requests())
	_, err = providers.ExtendExpiry(ctx, e.c, id, time.Now().Add(100*24*time.Hour))
	checkErr(t, err, providers.ErrInvalid)
	_, err = providers.ExtendExpiry(ctx, e.c, id, time.Now().Add(-time.Hour))
	checkErr(t, err, providers.ErrInvalid)
	if len(e.srv.Requests()) != mark {
		t.Error("an out-of-range expiry was sent")
	}
}

func TestDownloadWaitsWhilePreparing(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 1, Size: 1, SendRateLimit: 25},
		tuneConfig(func(c *Config) { c.DownloadPollFirst, c.DownloadPollMax = time.Millisecond, 5*time.Millisecond }))
	ctx := context.Background()
	id := addOpen(e, "Offer: 4/Elm St", awaiting("b@example.com", "Bo"))
	e.srv.Modify(id, func(r *dropboxsigntest.SignatureRequest) { r.FilesPending, r.FileSize = 2, 200<<10 })
	dir := t.TempDir()
	var paths []string
	var prog []providers.Progress
	mark := len(e.srv.Requests())
	res, err := providers.Download(ctx, e.c, id, providers.DownloadSpec{
		Create:   providers.CreateIn(dir, func(p string) { paths = append(paths, p) }),
		Progress: func(p providers.Progress) { prog = append(prog, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	gets := sent(e, mark, "GET", "/v3/signature_request/files/")
	if len(gets) != 3 || gets[0].RawQuery != "file_type=pdf" {
		t.Fatalf("file requests: %+v (want two 409s then the file)", gets)
	}
	if gets[0].Status != 409 || gets[2].Status != 200 {
		t.Errorf("statuses %d, %d", gets[0].Status, gets[2].Status)
	}
	if len(res.Files) != 1 || res.Files[0].Name != "Offer_ 4_Elm St.pdf" || res.Files[0].ContentType != "application/pdf" {
		t.Fatalf("files: %+v", res.Files)
	}
	data, err := os.ReadFile(paths[0])
	if err != nil || !bytes.HasPrefix(data, []byte("%PDF-")) || int64(len(data)) != res.Files[0].Bytes || len(data) < 200<<10 {
		t.Fatalf("file %s: %d bytes, %v", paths[0], len(data), err)
	}
	lastP := prog[len(prog)-1]
	if len(prog) < 3 || lastP.Done != int64(len(data)) || lastP.Total != int64(len(data)) || prog[0].Done != 0 {
		t.Errorf("progress: %d calls, last %+v", len(prog), lastP)
	}
	// The files tier has its own budget: the standard one did not learn
	// the files' limit of 25.
	if b := e.c.filesLimiter().Budget(); b.Limit != 25 {
		t.Errorf("files budget %+v, want limit 25", b)
	}
	if b := e.c.Budget(); b.Limit == 25 {
		t.Errorf("the standard budget took the files tier's limit: %+v", b)
	}

	// Again: a new name, nothing overwritten; zip.
	res, err = providers.Download(ctx, e.c, id, providers.DownloadSpec{Format: "zip", Create: providers.CreateIn(dir, func(p string) { paths = append(paths, p) })})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(paths[1]) != "Offer_ 4_Elm St.zip" {
		t.Errorf("zip path %s", paths[1])
	}
	zr, err := zip.OpenReader(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 2 {
		t.Errorf("zip holds %d files", len(zr.File))
	}
	_ = zr.Close()
	_, err = providers.Download(ctx, e.c, id, providers.DownloadSpec{Create: providers.CreateIn(dir, func(p string) { paths = append(paths, p) })})
	if err != nil || filepath.Base(paths[2]) != "Offer_ 4_Elm St (1).pdf" {
		t.Errorf("second pdf: %v, %v", paths, err)
	}
	if d, _ := os.ReadFile(paths[0]); !bytes.Equal(d, data) {
		t.Error("the first file was overwritten")
	}
}

func TestDownloadFailures(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 1, Size: 1},
		tuneConfig(func(c *Config) {
			c.DownloadPollFirst, c.DownloadPollMax, c.DownloadWait = time.Millisecond, 2*time.Millisecond, 20*time.Millisecond
		}))
	ctx := context.Background()
	e.c.SetFilesLimiter(providers.NewLimiter(100000, time.Second, 1000))
	dir := t.TempDir()
	create := providers.CreateIn(dir, nil)
	id := addOpen(e, "Offer", awaiting("b@example.com", "Bo"))

	// 422: the request is in an error state.
	e.srv.Modify(id, func(r *dropboxsigntest.SignatureRequest) { r.FilesFailed = true })
	_, err := e.c.Download(ctx, id, providers.DownloadSpec{Create: create})
	pe := checkErr(t, err, providers.ErrInvalid)
	if pe.Status != 422 || !strings.Contains(pe.Message, "error state") {
		t.Errorf("422: %v", pe)
	}
	// 409 for longer than DownloadWait: a bounded wait.
	e.srv.Modify(id, func(r *dropboxsigntest.SignatureRequest) { r.FilesFailed, r.FilesPreparing = false, true })
	mark := len(e.srv.Requests())
	_, err = e.c.Download(ctx, id, providers.DownloadSpec{Create: create})
	pe = checkErr(t, err, providers.ErrConflict)
	if !strings.Contains(pe.Message, "still preparing") {
		t.Errorf("409: %v", pe)
	}
	if n := len(sent(e, mark, "GET", "/v3/signature_request/files/")); n < 2 || n > 30 {
		t.Errorf("%d tries", n)
	}
	// Unknown format, deleted request.
	_, err = e.c.Download(ctx, id, providers.DownloadSpec{Format: "docx", Create: create})
	checkErr(t, err, providers.ErrInvalid)
	e.srv.Modify(id, func(r *dropboxsigntest.SignatureRequest) { r.FilesPreparing = false })
	e.srv.CancelNow(id)
	_, err = e.c.Download(ctx, id, providers.DownloadSpec{Create: create})
	checkErr(t, err, providers.ErrGone)
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("failed downloads left files: %v", ents)
	}

	// A connection reset before the answer is retried (a GET).
	id2 := addOpen(e, "Second", awaiting("b@example.com", "Bo"))
	e.srv.SetFaults(dropboxsigntest.Faults{ResetRate: 1, Ops: []string{"GET /v3/signature_request/files"}, Limit: 1})
	res, err := e.c.Download(ctx, id2, providers.DownloadSpec{Create: create})
	if err != nil || len(res.Files) != 1 {
		t.Fatalf("after a reset: %+v, %v", res, err)
	}

	// A destination that fails is not a provider error; the partial file
	// is removed.
	boom := errors.New("disk full")
	_, err = e.c.Download(ctx, id2, providers.DownloadSpec{Create: func(string) (io.WriteCloser, error) {
		return failingWriter{boom}, nil
	}})
	if !errors.Is(err, boom) || !providers.IsWriteError(err) {
		t.Errorf("write failure: %v", err)
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }
func (f failingWriter) Close() error              { return nil }

func TestActionCapabilitiesAndWebURL(t *testing.T) {
	e := newEnv(t, dropboxsigntest.Options{Seed: 1, Size: 1})
	id := addOpen(e, "Offer", awaiting("b@example.com", "Bo"))
	s, err := e.c.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	caps := e.c.Capabilities()
	if !caps.UpdateSigner || !caps.ExtendExpiry || !caps.Download || caps.StartDraft || !caps.WebURL ||
		strings.Join(caps.DownloadFormats, ",") != "pdf,zip" {
		t.Errorf("caps %+v", caps)
	}
	// The emulator's details_url is loopback http: allowed.
	if u := providers.WebURL(caps, s); u != s.URL || !strings.Contains(u, "/home/manage?guid="+id) {
		t.Errorf("WebURL = %q (URL %q)", u, s.URL)
	}
	s.URL = "javascript:alert(1)"
	if u := providers.WebURL(caps, s); u != "" {
		t.Errorf("WebURL of a hostile URL = %q", u)
	}
	_, err = providers.StartDraft(context.Background(), e.c, id)
	checkErr(t, err, providers.ErrUnsupported)
	_ = models.StatusDraft
}
