package cli

import (
	"strings"
	"testing"

	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

// TestHumanOutputCleansProviderText: titles, names, emails, roles, decline
// reasons, CC addresses, subjects and messages that carry escape
// sequences, control characters and bidi overrides reach no human output
// (list, show, the copy plan, cancel) or the audit log raw.
func TestHumanOutputCleansProviderText(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{Size: -1})
	evil := "Lease \x1b]0;pwned\x07\x1b[2Jrenewal\ttab\nline\r\u202eevil\u0085 \u009b31m \u0090dcs\u009c end"
	name := "Ann \x1b[31mRed\x1b[0m Lee"
	reason := "no \x1b]8;;http://x\x07link"
	role := "Buyer \x1b[5m1"
	owner := srv.Owner()
	order := 0
	id := srv.Add(dropboxsigntest.SignatureRequest{Title: evil, Subject: &evil, Message: &evil, RequesterEmailAddress: &owner,
		CCEmailAddresses: []string{"cc\x1b[1m@example.com"},
		Signatures: []dropboxsigntest.Signature{{SignerName: &name, SignerEmailAddress: "ann@example.com",
			DeclineReason: &reason, SignerRole: &role, Order: &order}}})
	ref := "acme/" + id
	for _, args := range [][]string{
		{"list"},
		{"show", ref},
		{"copy", ref, "--yes", "--signer", "Bob Roy <bob@example.com>", "--title", "Fixed"},
		{"copy", ref, "--yes"}, // refused: the source's signer name holds control characters
		{"cancel", ref, "--yes"},
		{"cancel", ref, "--yes"},
	} {
		r := h.run("", args...)
		for _, out := range []string{r.stdout, r.stderr} {
			if strings.ContainsAny(out, "\x1b\x07\r\t\u202e\u0085\u009b\u0090\u009c") {
				t.Errorf("%v: raw control characters in the output: %q", args, out)
			}
		}
		if args[0] == "show" && !strings.Contains(r.stdout, "Lease renewal tab line evil") {
			t.Errorf("show: the cleaned title is missing\n%s", r)
		}
	}
	for _, l := range h.auditLines() {
		if strings.ContainsAny(l, "\x1b\x07\u202e") || strings.Contains(l, `\u001b`) || strings.Contains(l, `\u0007`) {
			t.Errorf("audit line holds control characters: %s", l)
		}
	}
}
