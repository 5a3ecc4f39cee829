package cli

import (
	"strings"
	"testing"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers/constellation/constellationtest"
)

// TestActionCommandsTakeOutputFlags: cancel, audit and auth status take
// --json=FIELDS and --jq like list and show.
func TestActionCommandsTakeOutputFlags(t *testing.T) {
	t.Parallel()
	h, _ := newConstellation(t, constellationtest.Options{})
	ref := pick1(t, listJSON(t, h), models.StatusAwaitingSignature)
	r := h.run("", "cancel", ref, "--yes", "--json=ref,outcome")
	r.wantCode(t, ExitOK)
	if got := strings.Join(strings.Fields(r.stdout), ""); got != `[{"ref":"`+ref+`","outcome":"ok"}]` {
		t.Errorf("cancel --json=ref,outcome: %s", r.stdout)
	}
	r = h.run("", "audit", "--jq", ".[0].outcome")
	r.wantCode(t, ExitOK)
	if strings.TrimSpace(r.stdout) != "ok" {
		t.Errorf("audit --jq: %s", r)
	}
	r = h.run("", "audit", "--jq", ".[0.outcome")
	r.wantCode(t, ExitUsage)
	r = h.run("", "auth", "status", "--json=account")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, `"account": "c1"`) || strings.Contains(r.stdout, "source") {
		t.Errorf("auth status --json=account: %s", r.stdout)
	}
}
