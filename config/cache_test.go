package config

import "testing"

func TestCacheKey(t *testing.T) {
	for _, tc := range []struct {
		src     string
		noCache bool
	}{{"", false}, {"cache: true\n", false}, {"cache: false\n", true}} {
		cfg, err := Parse("config.yaml", []byte(tc.src))
		if err != nil {
			t.Fatalf("%q: %v", tc.src, err)
		}
		if cfg.NoCache != tc.noCache {
			t.Errorf("%q: NoCache %v", tc.src, cfg.NoCache)
		}
	}
	if _, err := Parse("config.yaml", []byte("cache: sometimes\n")); err == nil {
		t.Error("cache: sometimes accepted")
	}
}
