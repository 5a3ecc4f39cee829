package ui

import (
	"charm.land/lipgloss/v2"

	"github.com/signdeck/signdeck/models"
)

// Themes (Options.Theme, ui.theme in the config):
//
//	auto, dark, ""  the terminal's own ANSI palette (readable on either
//	                background, as the terminal's theme defines it)
//	light           darker colours in place of yellow and cyan, which
//	                many light terminal themes render too pale
//	none            no colour at all, as with NO_COLOR
func themeStyles(theme string) styles {
	switch theme {
	case "none":
		return newStyles(true)
	case "light":
		st := newStyles(noColorEnv())
		if st.noColor {
			return st
		}
		fg := func(s lipgloss.Style, idx int) lipgloss.Style { return s.Foreground(lipgloss.ANSIColor(idx)) }
		// Yellow (3) becomes magenta (5), cyan (6) becomes blue (4).
		st.Header, st.Key = fg(st.Header, 4), fg(st.Key, 4)
		st.Warn, st.Changed, st.ReadOnly = fg(st.Warn, 5), fg(st.Changed, 5), fg(st.ReadOnly, 5)
		for _, s := range []models.Status{models.StatusOnHold, models.StatusPaused} {
			st.status[s] = fg(st.status[s], 5)
		}
		st.signer[models.SignerOnHold] = fg(st.signer[models.SignerOnHold], 5)
		st.signer[models.SignerViewed] = fg(st.signer[models.SignerViewed], 4)
		return st
	}
	return newStyles(noColorEnv())
}
