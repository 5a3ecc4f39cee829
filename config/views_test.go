package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestViewsAndWindowsParse(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(`ui:
  expiring_days: 14
  stalled_days: 3
views:
  - name: cedar deals
    filter: "cedar status:awaiting"
  - name: Ana
    filter: signer:ana
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.UI.Expiring() != 14 || cfg.UI.Stalled() != 3 {
		t.Errorf("windows %d %d", cfg.UI.Expiring(), cfg.UI.Stalled())
	}
	want := []View{{"cedar deals", "cedar status:awaiting"}, {"Ana", "signer:ana"}}
	if !reflect.DeepEqual(cfg.Views, want) {
		t.Errorf("views %+v", cfg.Views)
	}
	if v, ok := cfg.View("ana"); !ok || v.Filter != "signer:ana" {
		t.Errorf("View(ana) = %+v %v", v, ok)
	}
	// Round trip.
	out, err := Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("c.yaml", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !reflect.DeepEqual(back.Views, cfg.Views) || back.UI != cfg.UI {
		t.Errorf("round trip: %+v %+v\n%s", back.Views, back.UI, out)
	}
	// Defaults.
	def, _ := Parse("c.yaml", nil)
	if def.UI.Expiring() != 7 || def.UI.Stalled() != 7 || def.Views != nil {
		t.Errorf("defaults %d %d %v", def.UI.Expiring(), def.UI.Stalled(), def.Views)
	}
}

func TestViewsErrorsArePlaced(t *testing.T) {
	src := `ui:
  expiring_days: soon
  stalled_days: 0
views:
  - name: cedar
    filter: "status:bogus"
  - name: Cedar
    filter: cedar
  - name: "  "
    filter: x
  - name: stalled
    filter: x
  - filter: x
  - name: nofilter
  - name: extra
    filter: x
    sort: title
  - just a string
`
	got := errLines(t, src)
	want := []string{
		`config.yaml:2:18: ui.expiring_days: want a whole number of days like 7, got "soon"`,
		`config.yaml:3:17: ui.stalled_days: want 1 to 3650 days, got 0`,
		`config.yaml:6:13: views[0].filter: status: unknown status "bogus"; the statuses are`,
		`config.yaml:7:11: views[1].name: duplicate view name "Cedar" (first at line 5:11); names must be unique`,
		`config.yaml:9:11: views[2].name: empty name; every view needs one`,
		`config.yaml:11:11: views[3].name: "stalled" is a built-in view's name`,
		`config.yaml:13:5: views[4]: missing name; every view needs one`,
		`config.yaml:14:5: views[5]: missing filter, like filter: "cedar status:awaiting"`,
		`config.yaml:17:5: views[6].sort: unknown key; a view takes name, filter`,
		`config.yaml:18:5: views[7]: want a view (a mapping with name and filter), got "just a string"`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d errors:\n%s", len(got), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d:\n got: %s\nwant: %s…", i, got[i], want[i])
		}
	}
}
