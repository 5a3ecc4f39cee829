package constellation

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/constellation/constellationtest"
)

// TestSecretsNeverLeakFromEmulatorFailures drives every call through
// failures, with the debug log captured, and checks neither the log nor
// any error holds the API key (whose encrypt URL holds it), the encrypted
// key or a token. newEnv's cleanup checks the log.
func TestSecretsNeverLeakFromEmulatorFailures(t *testing.T) {
	for _, f := range []constellationtest.Faults{
		{ResetRate: 1, Ops: []string{"encrypt"}},
		{ErrorRate: 1, Ops: []string{"encrypt"}},
		{TruncateRate: 1, Ops: []string{"gettoken"}},
		{MalformedRate: 1, Ops: []string{"gettoken"}},
		{ResetRate: 1},
		{ErrorRate: 1},
		{MalformedRate: 1, Ops: []string{"get", "lite", "bucket", "cancel", "copy", "actionlogs", "users"}},
		{ExpiredTokens: 100},
	} {
		e := newEnv(t, constellationtest.Options{Seed: 51}, func(c *Config) { c.Transactions = c.Transactions[:2] })
		src := e.srv.Sessions()[0]
		got, _ := e.c.Get(e.ctx, src.ID) // fine before the faults, for the copy spec
		e.srv.SetFaults(f)
		var errs []error
		_, err := e.c.Verify(e.ctx)
		errs = append(errs, err)
		errs = append(errs, e.c.List(e.ctx, providers.ListQuery{}, func(providers.Page) error { return nil }))
		errs = append(errs, e.c.List(e.ctx, providers.ListQuery{Bucket: "expired"}, func(providers.Page) error { return nil }))
		_, err = e.c.Get(e.ctx, src.ID)
		errs = append(errs, err)
		_, err = e.c.Cancel(e.ctx, src.ID)
		errs = append(errs, err)
		_, err = e.c.Copy(e.ctx, models.CopySpec{Source: got.Ref, Signers: []models.CopySigner{{Name: "Ann Lee", Email: "ann@example.com"}}})
		errs = append(errs, err)
		failed := 0
		for _, err := range errs {
			if err != nil {
				failed++
				e.assertNoSecrets(fmt.Sprintf("error under %+v", f), err.Error())
				e.assertNoSecrets("wrapped error", fmt.Sprintf("%+v %#v", err, err))
			}
		}
		if failed == 0 {
			t.Errorf("faults %+v made nothing fail: the test checks nothing", f)
		}
	}
}

// TestSecretsRedactedWhenTheVendorEchoesThem uses a server that puts the
// credentials it was sent into its error texts.
func TestSecretsRedactedWhenTheVendorEchoesThem(t *testing.T) {
	const key, enc, tok = "echo key/with+chars", "ENC+KEY/VALUE==", "TOKEN+VALUE/abc=="
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := url.PathUnescape(r.URL.EscapedPath())
		switch {
		case strings.HasPrefix(p, "/rest/v1/encrypt/"):
			fmt.Fprintf(w, `{"ReturnValue":%q}`, enc)
		case strings.HasPrefix(p, "/rest/v1/gettoken/"):
			fmt.Fprintf(w, `{"ReturnValue":%q}`, tok)
		case strings.HasSuffix(p, "/cancel"):
			fmt.Fprintf(w, `{"ReturnValue":"False","Details":"Error: Bad request from %s with %s (key %s, %s)"}`,
				r.URL.String(), r.Header.Get("Authorization"), key, url.PathEscape(key))
		default:
			w.WriteHeader(500)
			fmt.Fprintf(w, "<html><title>Error for token %s</title></html>", r.Header.Get("Authorization"))
		}
	}))
	defer srv.Close()
	logs := &syncBuf{}
	c, err := New(Config{Account: "echo", BaseURL: srv.URL + "/rest", APIKey: key, Username: "u@example.com",
		Transactions: []string{"T"}, Tune: fastTune,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, cerr := c.Cancel(ctx, "S1")
	lerr := c.List(ctx, providers.ListQuery{}, func(providers.Page) error { return nil })
	if cerr == nil || lerr == nil {
		t.Fatalf("errors %v, %v", cerr, lerr)
	}
	for _, text := range []string{cerr.Error(), lerr.Error(), logs.String()} {
		for _, s := range []string{key, url.PathEscape(key), enc, tok} {
			if strings.Contains(text, s) {
				t.Errorf("a credential (%d characters) survived redaction", len(s))
			}
		}
	}
	if !strings.Contains(cerr.Error(), providers.Redacted) || !strings.Contains(lerr.Error(), providers.Redacted) {
		t.Errorf("the echoed credentials were not replaced: %q / %q", cerr, lerr)
	}
	if !strings.Contains(logs.String(), "encrypt") {
		t.Error("the log did not record the encrypt call: the test checks nothing")
	}
}

// TestEncryptURLRedactedInTransportErrors: the encrypt call fails with a
// transport error whose text holds the URL, and so the key.
func TestEncryptURLRedactedInTransportErrors(t *testing.T) {
	e := newEnv(t, constellationtest.Options{Seed: 52,
		Faults: constellationtest.Faults{ResetRate: 1, Ops: []string{"encrypt"}}})
	_, err := e.c.Verify(e.ctx)
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.Contains(err.Error(), "/rest/v1/encrypt/"+providers.Redacted) {
		t.Errorf("error %q: want the URL with the key redacted", err)
	}
	e.assertNoSecrets("error", err.Error())
	if n := e.srv.Count("encrypt"); n != 3 {
		t.Errorf("%d encrypt requests, want 3 (a read is retried)", n)
	}
	if !strings.Contains(e.logs.String(), "encrypt/"+providers.Redacted) {
		t.Error("the log did not record the encrypt path: the test checks nothing")
	}
}
