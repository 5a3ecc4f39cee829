package dropboxsigntest

import (
	"encoding/json"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"
)

func BenchmarkGenerate100k(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Generate(GenConfig{Seed: int64(i), Size: 100000})
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	enc := func(ds Dataset) string {
		b, err := json.Marshal(ds.Requests)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	a := Generate(GenConfig{Seed: 42, Size: 500})
	b := Generate(GenConfig{Seed: 42, Size: 500})
	c := Generate(GenConfig{Seed: 43, Size: 500})
	if enc(a) != enc(b) {
		t.Error("the same seed gave different data")
	}
	if enc(a) == enc(c) {
		t.Error("different seeds gave the same data")
	}
	if a.Templates[0].ID != b.Templates[0].ID || a.Templates[0].ID == c.Templates[0].ID {
		t.Error("template ids do not follow the seed")
	}
	// A different clock shifts times but keeps the shape.
	d := Generate(GenConfig{Seed: 42, Size: 500, Now: DefaultNow.Add(24 * time.Hour)})
	if d.Requests[0].Title != a.Requests[0].Title || d.Requests[0].CreatedAt != a.Requests[0].CreatedAt+24*3600 {
		t.Errorf("clock shift: %q %d vs %q %d", d.Requests[0].Title, d.Requests[0].CreatedAt, a.Requests[0].Title, a.Requests[0].CreatedAt)
	}
}

var idRE = regexp.MustCompile(`^[0-9a-f]{40}$`)
var titleRE = regexp.MustCompile(`^[A-Z][A-Za-z' .0-9-]+ - \d{3,4} [A-Z][A-Za-z ]+ [A-Za-z]+, [A-Za-z ]+, [A-Z]{2} \d{5}$`)

func TestGenerateIsRealistic(t *testing.T) {
	now := DefaultNow
	ds := Generate(GenConfig{Seed: 9, Size: 10000, Now: now, Team: DefaultTeam})
	count := map[string]int{}
	var templated, withMeta, nested, withCC, ordered, team, testMode, partly int
	seen := map[string]bool{}
	for i, r := range ds.Requests {
		if i > 0 && r.CreatedAt > ds.Requests[i-1].CreatedAt {
			t.Fatal("not sorted newest first")
		}
		if !idRE.MatchString(r.SignatureRequestID) || seen[r.SignatureRequestID] {
			t.Fatalf("id %q (duplicate: %v)", r.SignatureRequestID, seen[r.SignatureRequestID])
		}
		seen[r.SignatureRequestID] = true
		if !titleRE.MatchString(r.Title) {
			t.Fatalf("title %q", r.Title)
		}
		age := now.Sub(time.Unix(r.CreatedAt, 0))
		if age < 0 || age > 120*24*time.Hour {
			t.Fatalf("created %v ago", age)
		}
		if n := len(r.Signatures); n < 1 || n > 4 {
			t.Fatalf("%d signers", n)
		}
		signed := 0
		for _, g := range r.Signatures {
			if a, err := mail.ParseAddress(g.SignerEmailAddress); err != nil || a.Address != g.SignerEmailAddress {
				t.Fatalf("email %q", g.SignerEmailAddress)
			}
			if (g.StatusCode == "signed") != (g.SignedAt != nil) {
				t.Fatalf("signed_at %v with status %s", g.SignedAt, g.StatusCode)
			}
			if g.SignedAt != nil && (*g.SignedAt < r.CreatedAt || *g.SignedAt > now.Unix()) {
				t.Fatalf("signed_at %d outside [%d, %d]", *g.SignedAt, r.CreatedAt, now.Unix())
			}
			if g.StatusCode == "declined" && (g.DeclineReason == nil || *g.DeclineReason == "") {
				t.Fatal("a decline without a reason")
			}
			if g.StatusCode == "signed" {
				signed++
			}
			if (g.SignerRole != nil) != (r.TemplateIDs != nil) {
				t.Fatal("roles and templates disagree")
			}
		}
		switch {
		case r.IsComplete:
			count["completed"]++
			if signed != len(r.Signatures) {
				t.Fatal("completed but not all signed")
			}
		case r.IsDeclined:
			count["declined"]++
		case r.HasError:
			count["error"]++
		case r.Signatures[len(r.Signatures)-1].StatusCode == "expired":
			count["expired"]++
			if r.ExpiresAt == nil || *r.ExpiresAt >= now.Unix() {
				t.Fatal("expired without a past expires_at")
			}
		case strings.HasPrefix(r.Signatures[0].StatusCode, "on_hold"):
			count["on_hold"]++
		default:
			count["awaiting"]++
			if r.ExpiresAt != nil && *r.ExpiresAt <= now.Unix() {
				t.Fatal("awaiting with a past expires_at")
			}
			if signed > 0 {
				partly++
			}
		}
		if r.TemplateIDs != nil {
			templated++
		}
		if len(r.Metadata) > 0 {
			withMeta++
			if _, ok := r.Metadata["property"].(map[string]any); ok {
				nested++
			}
		}
		if len(r.CCEmailAddresses) > 0 {
			withCC++
		}
		if r.Signatures[0].Order != nil {
			ordered++
		}
		if *r.RequesterEmailAddress != DefaultOwner {
			team++
		}
		if r.TestMode {
			testMode++
		}
	}
	pct := func(n int) float64 { return float64(n) * 100 / float64(len(ds.Requests)) }
	within := func(name string, n int, lo, hi float64) {
		if p := pct(n); p < lo || p > hi {
			t.Errorf("%s: %.1f%%, want %.0f-%.0f%%", name, p, lo, hi)
		}
	}
	within("awaiting", count["awaiting"], 38, 52)
	within("completed", count["completed"], 23, 33)
	within("declined", count["declined"], 5, 11)
	within("expired", count["expired"], 6, 12)
	within("error", count["error"], 2, 6)
	within("on hold", count["on_hold"], 3, 9)
	within("partly signed awaiting", partly, 10, 35)
	within("template-based", templated, 10, 35)
	within("with metadata", withMeta, 25, 45)
	within("nested metadata", nested, 8, 20)
	within("with CCs", withCC, 20, 40)
	within("ordered", ordered, 40, 60)
	within("sent by a team member", team, 10, 20)
	within("test mode", testMode, 5, 12)
}
