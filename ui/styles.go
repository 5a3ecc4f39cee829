package ui

import (
	"os"

	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"

	"github.com/signdeck/signdeck/models"
)

// Glyphs used across the UI. Colour is never the only cue: every status has
// a symbol and a word.
const (
	glyphCursor  = "›"
	glyphMark    = "◆"
	glyphOK      = "✓"
	glyphErr     = "✗"
	glyphNoToken = "–"
	glyphWait    = "⏸"
	glyphAsc     = "▲"
	glyphDesc    = "▼"
	ellipsis     = "…"
)

// spinnerFrames animate loading indicators.
var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// statusSymbol returns the symbol shown before a session status label.
func statusSymbol(s models.Status) string {
	switch s {
	case models.StatusDraft:
		return "○"
	case models.StatusAwaitingSignature:
		return "●"
	case models.StatusOnHold:
		return "◐"
	case models.StatusPaused:
		return "‖"
	case models.StatusCompleted:
		return "✓"
	case models.StatusDeclined:
		return "✗"
	case models.StatusCancelPending:
		return "◌"
	case models.StatusCanceled:
		return "⊘"
	case models.StatusExpired:
		return "◷"
	case models.StatusError:
		return "!"
	case models.StatusDeleted:
		return "×"
	case models.StatusArchived:
		return "▤"
	}
	return "?"
}

// signerSymbol returns the symbol shown before a signer status label.
func signerSymbol(s models.SignerStatus) string {
	switch s {
	case models.SignerPending:
		return "○"
	case models.SignerAwaiting:
		return "●"
	case models.SignerViewed:
		return "◐"
	case models.SignerSigned:
		return "✓"
	case models.SignerDeclined:
		return "✗"
	case models.SignerOnHold:
		return "‖"
	case models.SignerCanceled:
		return "⊘"
	case models.SignerExpired:
		return "◷"
	case models.SignerDelegated:
		return "↪"
	case models.SignerError:
		return "!"
	}
	return "?"
}

// styles holds every lipgloss style of the UI. Colours are ANSI-16 palette
// indices so they follow the user's terminal theme (readable on light and
// dark backgrounds); with NO_COLOR no colour is set at all and only
// attributes (bold, reverse, faint) and symbols remain.
type styles struct {
	noColor bool

	Header     lipgloss.Style
	HeaderDim  lipgloss.Style
	ColHeader  lipgloss.Style
	Cursor     lipgloss.Style // the cursor row
	Mark       lipgloss.Style
	Dim        lipgloss.Style
	Bold       lipgloss.Style
	Title      lipgloss.Style // pane and modal titles
	Err        lipgloss.Style
	Warn       lipgloss.Style
	OK         lipgloss.Style
	Info       lipgloss.Style
	Key        lipgloss.Style // key names in hints and help
	Desc       lipgloss.Style
	Modal      lipgloss.Style // modal box
	Danger     lipgloss.Style // modal box of a destructive action
	Pane       lipgloss.Style // detail pane border
	InputLabel lipgloss.Style
	Focus      lipgloss.Style // focused form row marker
	Added      lipgloss.Style
	Removed    lipgloss.Style
	Changed    lipgloss.Style
	ReadOnly   lipgloss.Style

	status map[models.Status]lipgloss.Style
	signer map[models.SignerStatus]lipgloss.Style
}

// noColorEnv reports whether NO_COLOR asks for no colour (any non-empty value).
func noColorEnv() bool { return os.Getenv("NO_COLOR") != "" }

func newStyles(noColor bool) styles {
	c := func(s lipgloss.Style, idx int) lipgloss.Style {
		if noColor {
			return s
		}
		return s.Foreground(lipgloss.ANSIColor(idx))
	}
	base := lipgloss.NewStyle()
	st := styles{
		noColor:    noColor,
		Header:     c(base.Bold(true), 6),
		HeaderDim:  base.Faint(true),
		ColHeader:  base.Bold(true).Underline(true),
		Cursor:     base.Reverse(true),
		Mark:       c(base.Bold(true), 5),
		Dim:        base.Faint(true),
		Bold:       base.Bold(true),
		Title:      c(base.Bold(true), 4),
		Err:        c(base.Bold(true), 1),
		Warn:       c(base, 3),
		OK:         c(base, 2),
		Info:       c(base, 4),
		Key:        c(base.Bold(true), 6),
		Desc:       base,
		InputLabel: c(base.Bold(true), 4),
		Focus:      c(base.Bold(true), 5),
		Added:      c(base, 2),
		Removed:    c(base, 1),
		Changed:    c(base, 3),
		ReadOnly:   c(base.Bold(true).Reverse(true), 3),
	}
	border := base.Border(lipgloss.RoundedBorder()).Padding(0, 1)
	if noColor {
		st.Modal, st.Danger, st.Pane = border, border.Border(lipgloss.DoubleBorder()), base.Border(lipgloss.NormalBorder(), false, false, false, true).PaddingLeft(1)
	} else {
		st.Modal = border.BorderForeground(lipgloss.ANSIColor(4))
		st.Danger = border.Border(lipgloss.DoubleBorder()).BorderForeground(lipgloss.ANSIColor(1))
		st.Pane = base.Border(lipgloss.NormalBorder(), false, false, false, true).BorderForeground(lipgloss.ANSIColor(8)).PaddingLeft(1)
	}
	st.status = map[models.Status]lipgloss.Style{
		models.StatusDraft:             base,
		models.StatusAwaitingSignature: c(base, 4),
		models.StatusOnHold:            c(base, 3),
		models.StatusPaused:            c(base, 3),
		models.StatusCompleted:         c(base, 2),
		models.StatusDeclined:          c(base, 1),
		models.StatusCancelPending:     c(base, 5),
		models.StatusCanceled:          base.Faint(true),
		models.StatusExpired:           base.Faint(true),
		models.StatusError:             c(base.Bold(true), 1),
		models.StatusDeleted:           base.Faint(true),
		models.StatusArchived:          base.Faint(true),
	}
	st.signer = map[models.SignerStatus]lipgloss.Style{
		models.SignerAwaiting: c(base, 4),
		models.SignerViewed:   c(base, 6),
		models.SignerSigned:   c(base, 2),
		models.SignerDeclined: c(base, 1),
		models.SignerOnHold:   c(base, 3),
		models.SignerCanceled: base.Faint(true),
		models.SignerExpired:  base.Faint(true),
		models.SignerError:    c(base.Bold(true), 1),
	}
	return st
}

func (st styles) forStatus(s models.Status) lipgloss.Style {
	if v, ok := st.status[s]; ok {
		return v
	}
	return lipgloss.NewStyle()
}

func (st styles) forSigner(s models.SignerStatus) lipgloss.Style {
	if v, ok := st.signer[s]; ok {
		return v
	}
	return lipgloss.NewStyle()
}

// statusText is the symbol and label of a session status.
func statusText(s models.Status) string { return statusSymbol(s) + " " + s.Label() }

// signerText is the symbol and label of a signer status.
func signerStatusText(s models.SignerStatus) string { return signerSymbol(s) + " " + s.Label() }

// inputStyles are the text input styles: no colour of their own, a faint
// placeholder and a steady (non-blinking) cursor so views stay stable.
func (st styles) inputStyles() textinput.Styles {
	plain := lipgloss.NewStyle()
	state := textinput.StyleState{Text: plain, Placeholder: plain.Faint(true), Suggestion: plain.Faint(true), Prompt: st.InputLabel}
	return textinput.Styles{Focused: state, Blurred: state, Cursor: textinput.CursorStyle{Blink: false}}
}

// newInput returns a text input styled for the UI.
func (st styles) newInput(prompt, placeholder string, width int) textinput.Model {
	in := textinput.New()
	in.Prompt = prompt
	in.Placeholder = placeholder
	in.SetStyles(st.inputStyles())
	if width > 0 {
		in.SetWidth(width)
	}
	return in
}

// setStyles replaces the styles (tests pin colour on or off).
func (m *Model) setStyles(st styles) {
	m.st = st
	m.statusCells = nil
	m.hintCache = hintCache{}
	m.filterInput.SetStyles(st.inputStyles())
}
