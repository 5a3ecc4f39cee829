package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/signdeck/signdeck/models"
)

// perRuneWidth measures s the way a terminal that does not join emoji
// sequences does: every rune on its own.
func perRuneWidth(s string) int {
	n := 0
	for _, r := range s {
		n += ansi.StringWidth(string(r))
	}
	return n
}

// TestJoinedEmojiDoesNotShiftColumns renders rows whose titles hold a
// joined emoji (a ZWJ sequence), a soft hyphen, zero-width characters, tag
// characters and a line separator: the status column starts at the same
// cell in every row, whether the terminal joins the emoji or draws its parts.
func TestJoinedEmojiDoesNotShiftColumns(t *testing.T) {
	m, err := New(Options{Now: fixedNow, Accounts: []Account{
		{Name: "acme", Kind: models.DropboxSign, Provider: newFake(models.DropboxSign, "acme")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	m.setStyles(newStyles(false))
	m.Update(tea.WindowSizeMsg{Width: 140, Height: 20})
	titles := []string{
		"Plain lease",
		"Family \U0001F468\u200D\U0001F469\u200D\U0001F467 lease",
		"Soft\u00ADhyphen zero\u200Bwidth\u2060joiner\uFEFF",
		"Tagged \U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F flag",
		"Two\u2028lines\u2029here",
	}
	for i, title := range titles {
		m.upsert(models.Session{Ref: models.Ref{Account: "acme", ID: "id-" + string(rune('a'+i))},
			Provider: models.DropboxSign, Title: title, Status: models.StatusAwaitingSignature,
			CreatedAt: testNow, ExpiresAt: testNow}, 0, 1)
	}
	m.rebuild()
	table := ansi.Strip(m.renderTable(140, 10))
	label := statusText(models.StatusAwaitingSignature)
	want := -1
	rows := 0
	for _, line := range strings.Split(table, "\n")[1:] {
		i := strings.Index(line, label)
		if i < 0 {
			continue
		}
		rows++
		joined, apart := ansi.StringWidth(line[:i]), perRuneWidth(line[:i])
		if joined != apart {
			t.Errorf("row %q: the status starts at cell %d for the rendering library but %d for a terminal that draws each character", line, joined, apart)
		}
		if want < 0 {
			want = joined
		} else if joined != want {
			t.Errorf("row %q: status at cell %d, want %d", line, joined, want)
		}
		for _, r := range line {
			if r == 0x200d || r == 0x00ad || r == 0x200b || r == 0x2060 || r == 0xfeff || r == 0x2028 || r == 0x2029 || (r >= 0xe0000 && r <= 0xe007f) {
				t.Errorf("row %q holds the invisible %U", line, r)
			}
		}
	}
	if rows != len(titles) {
		t.Fatalf("%d rows with a status, want %d:\n%s", rows, len(titles), table)
	}
}
