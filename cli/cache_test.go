package cli

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

func refsOf(ss []map[string]any) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s["ref"].(string))
	}
	slices.Sort(out)
	return out
}

// TestListCachedAndCacheClear: a live list writes through to the cache;
// --cached prints it without a request (the same sessions, a canceled
// one gone after the next live list); cache clear empties it; cache:
// false turns it off.
func TestListCachedAndCacheClear(t *testing.T) {
	t.Parallel()
	h, srv := newDropboxSign(t, dropboxsigntest.Options{Size: 12})
	live := listJSON(t, h)

	before := len(srv.Requests())
	cached := listJSON(t, h, "--cached")
	if n := len(srv.Requests()); n != before {
		t.Errorf("--cached sent %d requests", n-before)
	}
	if !slices.Equal(refsOf(cached), refsOf(live)) {
		t.Fatalf("--cached %v, live %v", refsOf(cached), refsOf(live))
	}
	var withSigners int
	for _, s := range cached {
		checkSessionJSON(t, s)
		if sg, _ := s["signers"].([]any); len(sg) > 0 {
			withSigners++
		}
	}
	if withSigners == 0 {
		t.Error("the cache kept no signers")
	}
	if st := listJSON(t, h, "--cached", "--status", "awaiting"); len(st) == 0 || len(st) >= len(cached) {
		t.Errorf("--cached --status awaiting: %d of %d", len(st), len(cached))
	}

	// A request that left the listing leaves the cache at the next list.
	gone := live[0]["id"].(string)
	srv.CancelNow(gone)
	listJSON(t, h)
	if refs := refsOf(listJSON(t, h, "--cached")); len(refs) != len(live)-1 || slices.Contains(refs, "acme/"+gone) {
		t.Errorf("after a cancel: %d cached, contains %s: %v", len(refs), gone, slices.Contains(refs, "acme/"+gone))
	}

	r := h.run("", "cache", "clear")
	r.wantCode(t, ExitOK)
	r = h.run("", "list", "--cached", "--json")
	r.wantCode(t, ExitOK)
	var out []any
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out) != 0 || !strings.Contains(r.stderr, "nothing cached") {
		t.Errorf("after cache clear: %v %s", err, r)
	}

	// cache: false: nothing is written, --cached refuses.
	cfg, _ := readFile(h.cfgPath)
	h.writeConfig("cache: false\n" + cfg)
	listJSON(t, h)
	r = h.run("", "list", "--cached")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "cache: false") {
		t.Errorf("--cached with cache: false: %s", r)
	}
	h.writeConfig(cfg)
	r = h.run("", "list", "--cached", "--json")
	if !strings.Contains(r.stderr, "nothing cached") {
		t.Errorf("cache: false wrote the cache: %s", r)
	}
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
