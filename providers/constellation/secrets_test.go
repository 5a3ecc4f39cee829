package constellation

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
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

// TestEveryUsedTokenIsRedacted: a server refuses every token, so the client
// goes through many (each call fetches a new one), and then echoes the
// first token it issued: it is redacted, however many came after it.
func TestEveryUsedTokenIsRedacted(t *testing.T) {
	var mu sync.Mutex
	var issued, used []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		// A token counts once the client presents it: one issued in an
		// answer the client never read (a timeout under load, then a
		// retry) is unknown to it and cannot be redacted by it.
		for _, tok := range issued {
			if !slices.Contains(used, tok) && (strings.Contains(fmt.Sprint(r.Header), tok) || strings.Contains(r.URL.String(), tok)) {
				used = append(used, tok)
			}
		}
		switch {
		case strings.Contains(r.URL.Path, "/v1/encrypt/"):
			fmt.Fprint(w, `{"ReturnValue":"ENCRYPTED-KEY-VALUE"}`)
		case strings.Contains(r.URL.Path, "/v1/gettoken/"):
			tok := fmt.Sprintf("issued-token-%03d-%s", len(issued), strings.Repeat("z", 20))
			issued = append(issued, tok)
			fmt.Fprintf(w, `{"ReturnValue":%q}`, tok)
		case len(issued) < 30:
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"Message":"Invalid token."}`)
		default:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"Message":"Error: request refused; tokens seen: %s"}`, strings.Join(used, ", "))
		}
	}))
	defer srv.Close()
	c, err := New(Config{Account: "echo", BaseURL: srv.URL + "/rest", APIKey: "an-api-key-value", Username: "u@example.com",
		Transactions: []string{"T"}, Tune: fastTune})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var last error
	for range 40 {
		mu.Lock()
		n := len(issued)
		mu.Unlock()
		if n >= 30 {
			break
		}
		_, last = c.Get(ctx, "S1")
	}
	_, last = c.Get(ctx, "S1")
	mu.Lock()
	all := slices.Clone(used)
	mu.Unlock()
	if len(all) < 25 || last == nil || !strings.Contains(last.Error(), "tokens seen") {
		t.Fatalf("%d tokens issued, last error %v: the test checks nothing", len(all), last)
	}
	for i, tok := range all {
		if strings.Contains(last.Error(), tok) {
			t.Errorf("token %d of %d printed in full: %s", i+1, len(all), last)
			break
		}
	}
}

// TestKeyAtTheCutIsRedacted: the vendor's unreadable answer quotes the
// key so that the 200-character excerpt would cut it; redaction comes
// first, so none of it shows.
func TestKeyAtTheCutIsRedacted(t *testing.T) {
	key := strings.Repeat("K3yZ", 16) // 64 characters
	for _, at := range []int{150, 180, 190, 199, 200} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case strings.Contains(r.URL.Path, "/v1/encrypt/"):
				fmt.Fprint(w, `{"ReturnValue":"ENCRYPTED-KEY-VALUE"}`)
			case strings.Contains(r.URL.Path, "/v1/gettoken/"):
				fmt.Fprint(w, `{"ReturnValue":"a-session-token"}`)
			default:
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, "<html><body>"+strings.Repeat("x", at-len("HTML page: "))+key+" and more text</body></html>")
			}
		}))
		c, err := New(Config{Account: "cut", BaseURL: srv.URL + "/rest", APIKey: key, Username: "u@example.com",
			Transactions: []string{"T"}, Tune: fastTune})
		if err != nil {
			t.Fatal(err)
		}
		_, gerr := c.Get(context.Background(), "S1")
		srv.Close()
		if gerr == nil {
			t.Fatal("no error")
		}
		for i := 0; i+8 <= len(key); i++ {
			if strings.Contains(gerr.Error(), key[i:i+8]) {
				t.Errorf("key at %d: a piece of it survives: %q", at, gerr)
				break
			}
		}
	}
}
