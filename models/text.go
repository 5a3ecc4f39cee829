package models

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// CleanText makes a string that came from an API safe to show on a
// terminal or write to a log: it removes ANSI/VT escape sequences (CSI, OSC,
// DCS, APC, PM, SOS and two-byte ESC sequences, in their 7-bit and C1 forms),
// every other control character, invalid UTF-8, bidirectional controls and
// every invisible or width-confusing character (the format characters:
// zero-width space, joiners and non-joiner, word joiner, BOM, soft hyphen,
// tag characters and the like; the combining grapheme joiner and the
// Hangul fillers), and turns tabs, newlines and the Unicode line and
// paragraph separators (U+2028, U+2029) into single spaces. Printable text
// is kept.
//
// Dropping the zero-width joiner splits a joined emoji (a ZWJ sequence)
// into its parts, which every terminal and the rendering library measure
// alike; a joined one is one glyph to some and several to others, and
// shifts the columns after it.
func CleanText(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			i++
			continue
		}
		switch {
		case r == 0x1b: // ESC
			i = skipEscape(s, i+size)
			continue
		case r == 0x9b: // C1 CSI
			i = skipCSI(s, i+size)
			continue
		case r == 0x9d || r == 0x90 || r == 0x9e || r == 0x9f || r == 0x98: // C1 OSC, DCS, PM, APC, SOS
			i = skipString(s, i+size)
			continue
		case r == '\t' || r == '\n' || r == '\r' || r == 0x2028 || r == 0x2029:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), " ") {
				b.WriteByte(' ')
			}
		case unicode.IsControl(r), isBidi(r), isInvisible(r):
			// dropped
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c >= 0x80 {
			return false
		}
	}
	return true
}

// isInvisible reports a character that shows nothing (or nothing a reader
// can see as itself) yet takes part in how text is measured or compared:
// the format characters (Unicode category Cf: zero-width space and joiners,
// word joiner, invisible operators, BOM, soft hyphen, tag characters,
// Arabic and other prepended marks), the combining grapheme joiner and the
// Hangul fillers. Variation selectors are kept: they choose how an emoji
// looks, and the rendering library measures them.
func isInvisible(r rune) bool {
	switch r {
	case 0x034f, 0x115f, 0x1160, 0x3164, 0xffa0, 0x180b, 0x180c, 0x180d, 0x180f:
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

func isBidi(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// skipEscape skips the sequence after an ESC at s[i-1].
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', '^', '_', 'X':
		return skipString(s, i+1)
	}
	// ESC followed by intermediate bytes then a final byte.
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) {
		i++
	}
	return i
}

// skipCSI skips parameter and intermediate bytes up to and including the final byte.
func skipCSI(s string, i int) int {
	for i < len(s) {
		c := s[i]
		i++
		if c >= 0x40 && c <= 0x7e {
			return i
		}
		if c < 0x20 && c != 0x1b {
			continue
		}
		if c == 0x1b {
			return i - 1
		}
	}
	return i
}

// skipString skips an OSC/DCS/PM/APC/SOS body up to BEL, ST (ESC \) or C1 ST.
func skipString(s string, i int) int {
	for i < len(s) {
		if s[i] == 0x07 {
			return i + 1
		}
		if s[i] == 0x1b {
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i + 1
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == 0x9c {
			return i + size
		}
		i += size
	}
	return i
}
