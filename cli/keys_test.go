package cli

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/ui"
)

// The config accepts exactly the actions the dashboard can rebind: every
// name config.KeyActions lets through must be accepted by ui.New, and a
// name the config refuses must be refused by the dashboard too.
func TestConfigKeyActionsMatchTheDashboard(t *testing.T) {
	keys := map[string][]string{}
	for i, a := range config.KeyActions {
		keys[a] = []string{fmt.Sprintf("f%d", i+1)}
	}
	if _, err := ui.New(ui.Options{Keys: keys}); err != nil {
		t.Fatalf("the dashboard refuses an action the config accepts: %v", err)
	}
	_, err := ui.New(ui.Options{Keys: map[string][]string{"frobnicate": {"f1"}}})
	if err == nil || !strings.Contains(err.Error(), "frobnicate") {
		t.Fatalf("unknown action: %v", err)
	}
	// Both lists hold the same names: the dashboard's error for an unknown
	// name lists its actions.
	_, list, ok := strings.Cut(err.Error(), "(actions: ")
	if !ok {
		t.Fatalf("the error does not list the actions: %v", err)
	}
	uiActions := strings.Split(strings.TrimSuffix(list, ")"), ", ")
	slices.Sort(uiActions)
	cfgActions := slices.Sorted(slices.Values(config.KeyActions))
	if !slices.Equal(uiActions, cfgActions) {
		t.Fatalf("dashboard actions %v\nconfig actions    %v", uiActions, cfgActions)
	}
}
