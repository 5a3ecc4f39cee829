package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// TestMessageLogWrapsAndScrolls: the log takes the table's place, newest
// first; an entry longer than the width wraps instead of being cut; more
// entries than fit scroll with j and say so; M or esc closes it.
func TestMessageLogWrapsAndScrolls(t *testing.T) {
	d, _, _ := fixtureDriver(t, nil)
	d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	for i := range 40 {
		d.m.recordOutcome("Remind", fmt.Sprintf("Lease %02d", i), "ok", "reminded bob@example.com")
	}
	d.m.recordOutcome("Download", "Purchase agreement", "failed",
		"Dropbox Sign could not prepare the file (HTTP 422); try again later or download it from the vendor's site")
	d.press("M")
	s := d.screen()
	if !strings.Contains(s, "Message log") || strings.Contains(s, "ACCOUNT") {
		t.Fatalf("the log does not take the table's place:\n%s", s)
	}
	if !strings.Contains(s, "download it from the vendor's") || !strings.Contains(s, "          site)") {
		t.Errorf("the newest entry is cut instead of wrapped:\n%s", s)
	}
	if !strings.Contains(s, "Lease 39") || strings.Contains(s, "Lease 00") || !strings.Contains(s, "↓ more") {
		t.Errorf("want newest first and a scroll hint:\n%s", s)
	}
	for range 60 {
		d.press("j")
	}
	if s := d.screen(); !strings.Contains(s, "Lease 00") || strings.Contains(s, "↓ more") {
		t.Errorf("scrolled to the end, the oldest entry shows:\n%s", s)
	}
	d.press("M")
	if d.m.ov != nil {
		t.Error("M did not close the log")
	}
}
