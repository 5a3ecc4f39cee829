package cli

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers/constellation/constellationtest"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

// TestDebugSessionLeaksNoCredential runs a whole --debug session over both
// providers (list, show, cancel, copy, a refused token, lost answers) and
// then looks for every credential form in the output, the debug log and
// the audit log: the API keys, the Dropbox Sign Basic form, and every
// Authorization value the Constellation1 emulator saw (the encrypted key
// and each token).
func TestDebugSessionLeaksNoCredential(t *testing.T) {
	t.Parallel()
	dbx, err := dropboxsigntest.NewServer(dropboxsigntest.Options{Seed: 9, Size: 12, APIKeys: []string{dbxToken},
		RateLimit: -1, SendRateLimit: -1, TestModeRateLimit: -1, CancelDelay: time.Hour, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dbx.Close)
	// The first token is issued already expired: the client refreshes.
	c1 := startConstellation(t, constellationtest.Options{Faults: constellationtest.Faults{ExpiredTokens: 1}})
	h := newHarness(t, fmt.Sprintf(`accounts:
  - name: acme
    provider: dropboxsign
    base_url: %s
    test_mode: true
    team: true
  - name: c1
    provider: constellation1
    base_url: %s
    username: %s
    transactions: [%s]
`, dbx.URL, c1.URL(), c1.Username(), strings.Join(c1.Transactions(), ", ")))
	h.env["SIGNDECK_TOKEN_ACME"] = dbxToken
	h.env["SIGNDECK_TOKEN_C1"] = c1Token
	basic := base64.StdEncoding.EncodeToString([]byte(dbxToken + ":"))
	h.secrets = []string{dbxToken, basic}

	all := listJSON(t, h, "--account", "acme")
	dref := pick(t, dbx, all, models.StatusAwaitingSignature)
	cref := pick1(t, listJSON(t, h, "--account", "c1"), models.StatusAwaitingSignature)
	var outputs []string
	run := func(args ...string) {
		r := h.run("", append([]string{"--debug"}, args...)...)
		outputs = append(outputs, r.stdout, r.stderr)
	}
	run("list")
	run("show", dref)
	run("show", cref)
	run("copy", dref, "--yes", "--signer", "Ana Lima <ana.lima@example.com>")
	run("copy", cref, "--yes", "--signer", "Ana Lima <ana.lima@example.com>")
	// Lost answers and failed searches put transport errors in the log.
	dbx.SetFaults(dropboxsigntest.Faults{ResetRate: 1, Ops: []string{"POST /v3/signature_request/send"}})
	run("copy", dref, "--yes")
	c1.SetFaults(constellationtest.Faults{ResetRate: 1, Ops: []string{"copy", "lite"}})
	run("copy", cref, "--yes")
	c1.SetFaults(constellationtest.Faults{})
	run("cancel", dref, cref, "--yes")
	// A wrong key: the refusal is logged and printed.
	h.env["SIGNDECK_TOKEN_C1"] = "wrong-key-5d1f20"
	run("show", cref)

	for _, r := range c1.Requests() {
		if v := r.Header.Get("Authorization"); len(v) >= 4 {
			h.secrets = append(h.secrets, v)
		}
	}
	h.secrets = append(h.secrets, c1.IssuedTokens()...)
	h.secrets = append(h.secrets, c1Token)
	if len(h.secrets) < 6 {
		t.Fatalf("only %d credentials collected", len(h.secrets))
	}
	h.checkNoSecrets(outputs...)
	log := h.readState("signdeck.log")
	if !strings.Contains(log, "level=DEBUG") || !strings.Contains(log, "gettoken") {
		t.Errorf("the debug log lacks the requests:\n%s", log)
	}
}
