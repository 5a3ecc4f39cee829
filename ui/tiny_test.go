package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// TestTinyTerminalsRenderEveryViewWithoutPanic renders every view and
// prompt at tiny sizes: no panic, and exactly height lines of width cells.
func TestTinyTerminalsRenderEveryViewWithoutPanic(t *testing.T) {
	scenes := map[string]func(d *driver){
		"table":    func(d *driver) {},
		"detail":   func(d *driver) { d.moveTo("p1"); d.press("enter") },
		"help":     func(d *driver) { d.press("?") },
		"accounts": func(d *driver) { d.press("a") },
		"login":    func(d *driver) { d.press("a", "l") },
		"logout":   func(d *driver) { d.press("a", "L") },
		"cancel":   func(d *driver) { d.press("x") },
		"bulk":     func(d *driver) { d.press("space", "space", "space", "space", "space", "space", "space", "x") },
		"copy":     func(d *driver) { d.press("c") },
		"review":   func(d *driver) { d.press("c", "ctrl+s") },
		"filter":   func(d *driver) { d.press("/"); d.typeText("status:nope") },
		"nomatch":  func(d *driver) { d.press("/"); d.typeText("zzzz"); d.press("enter") },
		"flash":    func(d *driver) { d.m.setFlash(flashErr, strings.Repeat("long reason ", 30)) },
	}
	for name, sc := range scenes {
		for _, w := range []int{1, 2, 5, 12, 20, 33} {
			for _, h := range []int{1, 2, 3, 4, 5, 8} {
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("%s %dx%d: panic %v", name, w, h, r)
						}
					}()
					d, _, _ := fixtureDriver(t, nil)
					sc(d)
					d.send(tea.WindowSizeMsg{Width: w, Height: h})
					lines := strings.Split(stripView(d.m.render()), "\n")
					if len(lines) != h {
						t.Errorf("%s %dx%d: %d lines", name, w, h, len(lines))
					}
					for i, l := range lines {
						if sw := stringWidth(l); sw != w {
							t.Errorf("%s %dx%d: line %d is %d wide: %q", name, w, h, i, sw, l)
							break
						}
					}
					// keys at that size
					d.press("j", "k", "G", "g", "ctrl+d")
					_ = d.m.render()
				}()
			}
		}
	}
}
