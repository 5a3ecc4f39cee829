package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

func TestMouseClickSelectsWheelScrolls(t *testing.T) {
	d, _, _ := fixtureDriver(t, func(o *Options) { o.Mouse = true })
	if d.m.View().MouseMode != tea.MouseModeCellMotion {
		t.Fatal("ui.mouse: true does not turn on mouse reporting")
	}
	if len(d.m.visible) < 4 {
		t.Fatalf("fixture too small: %d rows", len(d.m.visible))
	}
	for _, y := range []int{tableTop + 2, tableTop + 1, tableTop + 3} {
		d.send(tea.MouseClickMsg{X: 10, Y: y, Button: tea.MouseLeft})
		if want := d.m.offset + y - tableTop; d.m.cursor != want {
			t.Errorf("click on line %d: cursor %d, want %d", y, d.m.cursor, want)
		}
		// The clicked screen line is the one that now carries the cursor.
		lines := strings.Split(d.screen(), "\n")
		if !strings.HasPrefix(lines[y], glyphCursor) {
			t.Errorf("click on line %d: the cursor is drawn elsewhere:\n%s", y, d.screen())
		}
	}
	// Clicks outside the rows, and other buttons, do nothing.
	cur := d.m.cursor
	for _, c := range []tea.MouseClickMsg{{X: 1, Y: 0, Button: tea.MouseLeft}, {X: 1, Y: 1, Button: tea.MouseLeft},
		{X: 1, Y: 23, Button: tea.MouseLeft}, {X: 1, Y: tableTop, Button: tea.MouseRight}} {
		d.send(c)
		if d.m.cursor != cur {
			t.Errorf("%v moved the cursor", c)
		}
	}
	d.send(tea.MouseClickMsg{X: 1, Y: tableTop, Button: tea.MouseLeft})
	d.send(tea.MouseWheelMsg{X: 1, Y: 5, Button: tea.MouseWheelDown})
	if d.m.cursor != wheelStep {
		t.Errorf("wheel down: cursor %d, want %d", d.m.cursor, wheelStep)
	}
	d.send(tea.MouseWheelMsg{X: 1, Y: 5, Button: tea.MouseWheelUp})
	if d.m.cursor != 0 {
		t.Errorf("wheel up: cursor %d, want 0", d.m.cursor)
	}
	// Not while a prompt is open.
	d.press("/")
	d.send(tea.MouseClickMsg{X: 1, Y: tableTop + 2, Button: tea.MouseLeft})
	if d.m.cursor != 0 {
		t.Error("a click moved the cursor behind the filter input")
	}
}

func TestMouseOffByDefault(t *testing.T) {
	d, _, _ := fixtureDriver(t, nil)
	if d.m.View().MouseMode != tea.MouseModeNone {
		t.Error("mouse reporting is on without ui.mouse")
	}
	d.send(tea.MouseClickMsg{X: 10, Y: tableTop + 2, Button: tea.MouseLeft})
	d.send(tea.MouseWheelMsg{X: 1, Y: 5, Button: tea.MouseWheelDown})
	if d.m.cursor != 0 {
		t.Errorf("mouse moved the cursor to %d while off", d.m.cursor)
	}
}

func TestThemes(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	auto, light, none := themeStyles("auto"), themeStyles("light"), themeStyles("none")
	if !none.noColor || auto.noColor || light.noColor {
		t.Fatalf("noColor: auto %v light %v none %v", auto.noColor, light.noColor, none.noColor)
	}
	if none.Warn.Render("x") != "x" {
		t.Errorf("none: coloured %q", none.Warn.Render("x"))
	}
	if auto.Warn.Render("x") == light.Warn.Render("x") {
		t.Error("light does not change the yellow warning colour")
	}
	if dark := themeStyles("dark"); dark.Warn.Render("x") != auto.Warn.Render("x") {
		t.Error("dark differs from auto")
	}
}

// CheckKeys finds exactly what newKeyMap refuses, and places it.
func TestCheckKeysAgreesWithKeyMap(t *testing.T) {
	tests := []struct {
		over   map[string][]string
		action string
		index  int
	}{
		{map[string][]string{"cancel": {"x", "ctrl+d"}}, "cancel", 1},
		{map[string][]string{"cancel": {"x", "ctrl+d"}, "scrolldown": {"J"}}, "", 0},
		{map[string][]string{"quit": {"q", "esc"}}, "quit", 1},
		{map[string][]string{"refresh": {"ctrl+r"}}, "", 0},
		{map[string][]string{"login": {"x"}}, "", 0}, // accounts scope only: no clash with cancel
		{map[string][]string{"reverse": {"R"}, "refresh": {"g"}}, "refresh", 0},
		{map[string][]string{"mark": {"space"}, "help": {"enter"}}, "help", 0},
	}
	for _, tt := range tests {
		probs := CheckKeys(tt.over)
		_, err := newKeyMap(tt.over, false)
		if (len(probs) == 0) != (err == nil) {
			t.Errorf("%v: CheckKeys %v, newKeyMap %v", tt.over, probs, err)
			continue
		}
		if tt.action == "" {
			continue
		}
		if len(probs) == 0 || probs[0].Action != tt.action || probs[0].Index != tt.index {
			t.Errorf("%v: got %+v, want %s[%d]", tt.over, probs, tt.action, tt.index)
		}
	}
}
