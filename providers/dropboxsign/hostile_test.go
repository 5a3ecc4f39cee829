package dropboxsign

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/providers"
)

// TestHostileAnswers feeds the client malformed and hostile answers from a
// small server: wrong types, arrays for objects, nulls, deep nesting,
// truncation, HTML pages, control characters, oversized bodies. Nothing
// may panic, every failure must be a specific typed error that names what
// was wrong, and no error may carry the API key or escape sequences.
func TestHostileAnswers(t *testing.T) {
	const key = "hostile-test-key-81c2"
	deep := strings.Repeat(`{"a":`, 20000) + `1` + strings.Repeat(`}`, 20000)
	cases := []struct {
		name   string
		status int
		ctype  string
		body   string
		kind   error  // nil: Get succeeds
		want   string // in the error, or in the title when Get succeeds
	}{
		{"number for a string", 200, "application/json", `{"signature_request":{"signature_request_id":"x","title":123}}`,
			providers.ErrResponse, `field "signature_request.title" has the wrong type`},
		{"object for an array", 200, "application/json", `{"signature_request":{"signature_request_id":"x","signatures":{"a":1}}}`,
			providers.ErrResponse, `field "signature_request.signatures" has the wrong type`},
		{"array for an object", 200, "application/json", `{"signature_request":{"signature_request_id":"x","metadata":[1]}}`,
			providers.ErrResponse, `field "signature_request.metadata" has the wrong type`},
		{"string for a time", 200, "application/json", `{"signature_request":{"signature_request_id":"x","created_at":"2024-01-01"}}`,
			providers.ErrResponse, `field "signature_request.created_at" has the wrong type`},
		{"null object", 200, "application/json", `{"signature_request":null}`,
			providers.ErrResponse, "no signature_request object"},
		{"top-level array", 200, "application/json", `[1,2]`,
			providers.ErrResponse, "a JSON array where an object was expected: [1,2]"},
		{"deeply nested metadata", 200, "application/json", `{"signature_request":{"signature_request_id":"x","metadata":{"k":` + deep + `}}}`,
			providers.ErrResponse, "nested too deeply"},
		{"truncated", 200, "application/json", `{"signature_request":{"signature_request_id":"x","tit`,
			providers.ErrResponse, "(truncated)"},
		{"empty 200", 200, "application/json", ``,
			providers.ErrResponse, "empty where JSON was expected"},
		{"HTML login page", 200, "text/html", `<html><head><title>Sign in</title></head></html>`,
			providers.ErrResponse, `an HTML page titled "Sign in"`},
		{"HTML 502 with escapes", 502, "text/html", "<html><head><title>Bad \x1b]0;pwned\x07Gateway</title></head></html>",
			providers.ErrUnavailable, `an HTML page titled "Bad Gateway" instead of an API error`},
		{"error fields of the wrong type", 400, "application/json", `{"error":{"error_msg":5,"error_name":["x"]}}`,
			providers.ErrInvalid, "not the documented JSON error"},
		{"error as a string", 404, "application/json", `{"error":"nope"}`,
			providers.ErrNotFound, "not the documented JSON error"},
		{"error echoing the key and escapes", 401, "application/json",
			`{"error":{"error_msg":"key ` + key + ` refused \u001b[2J\u001b]8;;http://x\u0007","error_name":"unauthorized"}}`,
			providers.ErrUnauthorized, "refused"},
		{"oversized body", 200, "application/json", `{"signature_request":{"title":"` + strings.Repeat("a", 2<<20) + `"}}`,
			providers.ErrResponse, "too large"},
		{"control characters in a title", 200, "application/json",
			`{"signature_request":{"signature_request_id":"x","title":"a\u0000b\u001b[31mc"}}`, nil, "a\x00b\x1b[31mc"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ctype)
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			c, err := New(Config{Account: "a", BaseURL: srv.URL, APIKey: key, Tune: func(cc *providers.ClientConfig) {
				cc.MaxRetries, cc.MaxBody, cc.BackoffBase = -1, 1<<20, time.Millisecond
			}})
			if err != nil {
				t.Fatal(err)
			}
			s, err := c.Get(context.Background(), "x")
			if tc.kind == nil {
				// Stored as sent: the front ends clean text for display.
				if err != nil || s.Title != tc.want {
					t.Fatalf("Get = %q, %v", s.Title, err)
				}
				return
			}
			var pe *providers.Error
			if !errors.Is(err, tc.kind) || !errors.As(err, &pe) {
				t.Fatalf("err = %v, want %v", err, tc.kind)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q lacks %q", msg, tc.want)
			}
			if strings.Contains(msg, key) || strings.ContainsAny(msg, "\x1b\x07\x00") {
				t.Errorf("error %q holds the key or control characters", msg)
			}
			if n := len([]rune(msg)); n > 700 {
				t.Errorf("error is %d characters long", n)
			}
		})
	}
}

// TestKeyAtTheCutIsRedacted: the vendor quotes the key where the error's
// message, path or body excerpt is cut. Redaction runs before the cut, so
// no 8-character piece of the key shows.
func TestKeyAtTheCutIsRedacted(t *testing.T) {
	pad := func(n int) string { return strings.Repeat("x", n) }
	var cases []struct{ name, body string }
	for _, at := range []int{100, 190, 199, 290, 299} {
		cases = append(cases,
			struct{ name, body string }{fmt.Sprintf("error_msg at %d", at),
				fmt.Sprintf(`{"error":{"error_msg":%q,"error_name":"bad_request","error_path":%q}}`, pad(at)+testKey+" tail", pad(at%200)+testKey)},
			struct{ name, body string }{fmt.Sprintf("plain body at %d", at), pad(at%200) + testKey + " tail"})
	}
	for _, tc := range cases {
		c, _ := canned(t, 400, http.Header{"Content-Type": {"text/plain"}}, tc.body)
		_, err := c.Get(context.Background(), "abc")
		if err == nil {
			t.Fatalf("%s: no error", tc.name)
		}
		var pe *providers.Error
		errors.As(err, &pe)
		for _, text := range []string{err.Error(), pe.Path} {
			for i := 0; i+8 <= len(testKey); i++ {
				if strings.Contains(text, testKey[i:i+8]) {
					t.Errorf("%s: a piece of the key survives: %q", tc.name, text)
					break
				}
			}
		}
	}
}

// TestEchoedCredentialRedactedInEveryEncoding: a proxy echoes the
// Authorization header it was sent, URL-encoded (both space forms, both
// hex cases), as hex, JSON-escaped and as the bare base64: no 8-character
// piece of the key or of its Basic form reaches the error.
func TestEchoedCredentialRedactedInEveryEncoding(t *testing.T) {
	encodings := map[string]func(string) string{
		"query": url.QueryEscape,
		"path":  url.PathEscape,
		"lower hex": func(s string) string {
			return regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(url.QueryEscape(s), strings.ToLower)
		},
		"hex":        func(s string) string { return hex.EncodeToString([]byte(s)) },
		"json":       func(s string) string { b, _ := json.Marshal(s); return string(b) },
		"base64 url": func(s string) string { return strings.NewReplacer("+", "-", "/", "_").Replace(s) },
	}
	for name, enc := range encodings {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "proxy refused ?h=%s", enc(r.Header.Get("Authorization")))
		}))
		c, err := New(Config{Account: "dbx", BaseURL: srv.URL + "/v3", APIKey: testKey,
			Tune: func(cc *providers.ClientConfig) { cc.MaxRetries = -1 }})
		if err != nil {
			t.Fatal(err)
		}
		_, gerr := c.Get(context.Background(), "abc")
		srv.Close()
		if gerr == nil || !strings.Contains(gerr.Error(), "proxy refused") {
			t.Fatalf("%s: error %v: the test checks nothing", name, gerr)
		}
		// The pieces to look for: the key, its Basic form, and the Basic
		// form as this encoding writes it.
		basic := strings.TrimRight(testKeyB64, "=")
		for _, secret := range []string{testKey, basic, strings.Trim(enc(basic), `"`)} {
			for i := 0; i+8 <= len(secret); i++ {
				if strings.Contains(gerr.Error(), secret[i:i+8]) {
					t.Errorf("%s: a piece of the credential survives: %q", name, gerr)
					break
				}
			}
		}
	}
}
