package providers

import (
	"regexp"
	"strings"
)

// Redacted replaces a secret wherever one would be shown.
const Redacted = "[REDACTED]"

var credentialPatterns = []*regexp.Regexp{
	// Authorization headers and their common spellings in error text.
	regexp.MustCompile(`(?i)(authorization\s*[:=]\s*)("?)(basic|bearer)?\s*[^\s",;]+`),
	// user:password@ in URLs.
	regexp.MustCompile(`(?i)(://)[^/@\s:]+(:[^/@\s]*)?@`),
	// key=value pairs whose key smells of a credential.
	regexp.MustCompile(`(?i)\b(api[_-]?key|apikey|access[_-]?token|token|password|secret|client[_-]?secret)(["']?\s*[:=]\s*["']?)[^\s"'&,;]+`),
}

// Redact removes the given secret values and anything that looks like a
// credential (Authorization headers, URL user info, token=... pairs) from s.
// Secrets shorter than 4 characters are ignored to avoid mangling text.
func Redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, Redacted)
		}
	}
	s = credentialPatterns[0].ReplaceAllString(s, "${1}${2}"+Redacted)
	s = credentialPatterns[1].ReplaceAllString(s, "${1}"+Redacted+"@")
	s = credentialPatterns[2].ReplaceAllString(s, "${1}${2}"+Redacted)
	return s
}
