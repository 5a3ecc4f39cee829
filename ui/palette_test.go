package ui

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestPaletteRunsAnActionAsItsKeyDoes: marking through the palette does
// what space does (mark the cursor row, move down); the palette closes.
func TestPaletteRunsAnActionAsItsKeyDoes(t *testing.T) {
	byKey, _, _ := fixtureDriver(t, nil)
	byKey.press("space")

	byName, _, _ := fixtureDriver(t, nil)
	byName.press(":")
	if byName.m.ov == nil || !strings.Contains(byName.screen(), ": action or view name") {
		t.Fatalf("no palette:\n%s", byName.screen())
	}
	byName.typeText("mar")
	byName.press("tab") // completes the selected name
	if p := openAs[*paletteOverlay](byName.m); p == nil || p.input.Value() != "mark" {
		t.Fatalf("tab did not complete to mark: %+v", p)
	}
	byName.press("enter")
	if byName.m.ov != nil {
		t.Fatal("the palette stayed open after running")
	}
	if !maps.Equal(byName.m.marks, byKey.m.marks) || len(byKey.m.marks) != 1 ||
		byName.cursorID() != byKey.cursorID() {
		t.Errorf("palette: marks %v cursor %s; key: marks %v cursor %s",
			byName.m.marks, byName.cursorID(), byKey.m.marks, byKey.cursorID())
	}

	// An action that opens a dialog opens the same one.
	byName.press(":")
	byName.typeText("cancel")
	byName.press("enter")
	if byName.m.cancelOv() == nil {
		t.Errorf("cancel through the palette opened no cancel prompt:\n%s", byName.screen())
	}
}

// TestPaletteShowsDisabledWithReasonAndSwitchesViews: a disabled action
// is listed dim after the runnable ones with its reason, and running it
// says why; a view runs by name.
func TestPaletteShowsDisabledWithReasonAndSwitchesViews(t *testing.T) {
	d, _, _ := bucketDriver(t, nil)
	d.press(":")
	d.typeText("scroll")
	p := openAs[*paletteOverlay](d.m)
	if len(p.shown) != 2 || p.shown[0].why == "" || !strings.Contains(d.screen(), "the detail pane is closed") {
		t.Fatalf("scroll items %+v\n%s", p.shown, d.screen())
	}
	d.press("enter")
	if d.m.ov != nil || !strings.HasPrefix(d.flash(), "Scroll") || !strings.Contains(d.flash(), "detail pane is closed") {
		t.Errorf("a disabled action: overlay %v flash %q", d.m.ov, d.flash())
	}

	d.press(":")
	d.typeText("view expired")
	d.press("enter")
	if d.m.curView != "expired" || !slices.Equal(d.visibleIDs(), []string{"e1", "e2"}) {
		t.Errorf("view through the palette: %q %v", d.m.curView, d.visibleIDs())
	}

	d.press(":")
	d.typeText("zzzz")
	if !strings.Contains(d.screen(), "no action or view matches") {
		t.Errorf("no match:\n%s", d.screen())
	}
	d.press("enter") // nothing to run: stays open
	if d.m.ov == nil {
		t.Fatal("enter with no match closed the palette")
	}
	d.press("esc")
	if d.m.ov != nil {
		t.Error("esc did not close the palette")
	}
}
