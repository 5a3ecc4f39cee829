package dropboxsign

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

// nopCloser is a DownloadSpec destination in memory.
type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }

// TestContractTriageActions validates every request the triage actions
// send (remind, update, files) and every answer the emulator gives them
// against the vendor's spec, binary file answers included.
func TestContractTriageActions(t *testing.T) {
	v := newValidator(t)
	ctx := context.Background()
	e := contractEnv(t, v, dropboxsigntest.Options{Seed: 3, Size: 1},
		tuneConfig(func(c *Config) { c.DownloadPollFirst, c.DownloadPollMax = time.Millisecond, time.Millisecond }))
	e.c.SetFilesLimiter(providers.NewLimiter(100000, time.Second, 1000))
	id := addOpen(e, "Purchase Agreement", awaiting("b@example.com", "Bo"), awaiting("c@example.com", "Cal"))

	// Remind: 200 with the echo, then 400 invalid_reminder from the vendor
	// (the client's clock is pushed ahead so it does not refuse first).
	res, err := e.c.RemindSigners(ctx, id, []string{"b@example.com"})
	if err != nil || !res.Signers[0].OK() {
		t.Fatalf("remind: %+v, %v", res, err)
	}
	ahead, err := New(Config{Account: "dbx", BaseURL: e.srv.URL, APIKey: testKey, HTTPClient: e.c.cfg.HTTPClient,
		Tune: func(cc *providers.ClientConfig) {
			cc.Limiter = providers.NewLimiter(100000, time.Second, 1000)
			cc.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
		}})
	if err != nil {
		t.Fatal(err)
	}
	res, err = ahead.RemindSigners(ctx, id, []string{"b@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	checkErr(t, res.Signers[0].Err, providers.ErrInvalid)

	// Update: a signer's email and name, the expiry, and two refusals.
	up, err := e.c.Update(ctx, id, providers.UpdateSpec{
		Signers:   []providers.SignerUpdate{{Signer: "c@example.com", Email: "cal@example.com", Name: "Cal Cole"}},
		ExpiresAt: time.Now().Add(20 * 24 * time.Hour),
	})
	if err != nil || !up.Signers[0].OK() || up.ExpiryErr != nil {
		t.Fatalf("update: %+v, %v", up, err)
	}
	e.srv.Modify(id, func(r *dropboxsigntest.SignatureRequest) { r.AppendedSignaturePage = true })
	up, err = e.c.Update(ctx, id, providers.UpdateSpec{Signers: []providers.SignerUpdate{{Signer: "b@example.com", Name: "Bo B"}}})
	if err != nil {
		t.Fatal(err)
	}
	checkErr(t, up.Signers[0].Err, providers.ErrInvalid)

	// Files: the PDF and the ZIP (binary answers), 409 while preparing,
	// 422 when failed, 404 for an unknown request.
	for _, f := range []string{"pdf", "zip"} {
		var buf bytes.Buffer
		if _, err := e.c.Download(ctx, id, providers.DownloadSpec{Format: f,
			Create: func(string) (io.WriteCloser, error) { return nopCloser{&buf}, nil }}); err != nil || buf.Len() == 0 {
			t.Fatalf("download %s: %d bytes, %v", f, buf.Len(), err)
		}
	}
	e.srv.Modify(id, func(r *dropboxsigntest.SignatureRequest) { r.FilesPending = 1 })
	var buf bytes.Buffer
	if _, err := e.c.Download(ctx, id, providers.DownloadSpec{Create: func(string) (io.WriteCloser, error) { return nopCloser{&buf}, nil }}); err != nil {
		t.Fatal(err)
	}
	e.srv.Modify(id, func(r *dropboxsigntest.SignatureRequest) { r.FilesFailed = true })
	_, err = e.c.Download(ctx, id, providers.DownloadSpec{Create: func(string) (io.WriteCloser, error) { return nopCloser{&buf}, nil }})
	checkErr(t, err, providers.ErrInvalid)

	v.check(t,
		"signatureRequestRemind 200", "signatureRequestRemind 400",
		"signatureRequestUpdate 200", "signatureRequestUpdate 400",
		"signatureRequestFiles 200", "signatureRequestFiles 409", "signatureRequestFiles 422",
	)
}
