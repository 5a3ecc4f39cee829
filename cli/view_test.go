package cli

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

func TestListViewRules(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	mk := func(id string, st models.Status, created, expires time.Duration, signed ...time.Duration) models.Session {
		s := models.Session{Ref: models.Ref{Account: "acme", ID: id}, Provider: models.DropboxSign, Title: "deal " + id, Status: st,
			CreatedAt: now.Add(created)}
		if expires != 0 {
			s.ExpiresAt = now.Add(expires)
		}
		for _, d := range signed {
			s.Signers = append(s.Signers, models.Signer{Name: "Ana", Email: "ana@example.com", Status: models.SignerSigned, SignedAt: now.Add(d)})
		}
		return s
	}
	all := []models.Session{
		mk("soon", models.StatusAwaitingSignature, -day, 2*day),
		mk("sooner", models.StatusAwaitingSignature, -day, day),
		mk("later", models.StatusAwaitingSignature, -day, 20*day),
		mk("done", models.StatusCompleted, -day, day),
		mk("old", models.StatusAwaitingSignature, -30*day, 0),
		mk("older", models.StatusAwaitingSignature, -40*day, 0),
		mk("oldbutsigned", models.StatusAwaitingSignature, -40*day, 0, -2*day),
	}
	cfg := &config.Config{UI: config.UI{StalledDays: 10}, Views: []config.View{{Name: "Cedar deals", Filter: "deal -status:completed old"}}}
	ids := func(ss []models.Session) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s.Ref.ID)
		}
		return out
	}
	for _, c := range []struct {
		view string
		want []string
	}{
		{"expiring", []string{"sooner", "soon"}},
		{"stalled", []string{"older", "old"}},
		{"cedar DEALS", []string{"old", "older", "oldbutsigned"}},
		{"", ids(all)},
	} {
		v, err := listView(cfg, c.view, now)
		if err != nil {
			t.Fatalf("%s: %v", c.view, err)
		}
		if got := ids(v.apply(slices.Clone(all))); !slices.Equal(got, c.want) {
			t.Errorf("--view %s = %v, want %v", c.view, got, c.want)
		}
	}
	if _, err := listView(cfg, "nope", now); err == nil || !strings.Contains(err.Error(), `unknown view "nope" (views: expiring, stalled, "Cedar deals")`) {
		t.Errorf("unknown view: %v", err)
	}
}

// list --view expiring against the emulator: the awaiting sessions with an
// expiry inside the window, soonest first.
func TestListViewExpiringEndToEnd(t *testing.T) {
	t.Parallel()
	h, _ := newDropboxSign(t, dropboxsigntest.Options{Size: 20})
	cfg, _ := readFile(h.cfgPath)
	h.writeConfig(cfg + "ui:\n  expiring_days: 3650\n")
	var want []string
	var last string
	for _, s := range listJSON(t, h) {
		if s["status"] == string(models.StatusAwaitingSignature) && s["expires_at"] != nil {
			want = append(want, s["ref"].(string))
		}
	}
	got := listJSON(t, h, "--view", "expiring")
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("--view expiring: %d sessions, want %d", len(got), len(want))
	}
	for _, s := range got {
		if !slices.Contains(want, s["ref"].(string)) {
			t.Errorf("%v is not an expiring session", s["ref"])
		}
		e := s["expires_at"].(string)
		if e < last {
			t.Errorf("not soonest first: %s after %s", e, last)
		}
		last = e
	}
	r := h.run("", "list", "--view", "nope")
	if r.code != ExitUsage || !strings.Contains(r.stderr, `unknown view "nope"`) {
		t.Errorf("unknown view: %s", r)
	}
}

func TestCompleteViews(t *testing.T) {
	t.Parallel()
	h := newHarness(t, twoAccounts+"views:\n  - name: cedar deals\n    filter: cedar\n  - name: Stale ones\n    filter: status:awaiting\n")
	for _, c := range []struct {
		prefix string
		want   []string
	}{
		{"", []string{"expiring", "stalled", "cedar deals", "Stale ones"}},
		{"st", []string{"stalled", "Stale ones"}},
		{"c", []string{"cedar deals"}},
	} {
		got, dir := complete(t, h, nil, "list", "--view", c.prefix)
		if !slices.Equal(got, c.want) || dir != ":4" {
			t.Errorf("--view %q: %q %s, want %q", c.prefix, got, dir, c.want)
		}
	}
}
