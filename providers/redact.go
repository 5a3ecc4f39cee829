package providers

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
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

// minSecret is the shortest secret redacted: shorter values would mangle
// ordinary text. minForm is the shortest derived form (an encoding of a
// secret, or the part of a base64 string only the secret decides) that is
// matched, for the same reason.
const (
	minSecret = 4
	minForm   = 6
)

// Redact removes the given secrets and anything that looks like a
// credential (Authorization headers, URL user info, token=... pairs) from s.
// Each secret is matched in every form it travels in: plain, URL-encoded
// (%20 and + spaces, upper and lower case hex), base64 (standard and URL
// alphabets, padded or not, and inside a longer base64 string at any of the
// three alignments, as in Basic base64(user:secret)), base64 then
// URL-encoded, hex (both cases), JSON-escaped, and its Basic form
// base64(secret:). Secrets shorter than 4 characters are ignored.
//
// Redact before cutting text to a length, never after: a cut secret no
// longer matches (use RedactCut).
func Redact(s string, secrets ...string) string {
	if s == "" {
		return s
	}
	return redactWith(s, indexFor(secrets))
}

// RedactCut redacts s and then cuts it to at most n characters (runes),
// marking a cut with "…". It is the one way to shorten text that may hold a
// secret.
func RedactCut(s string, n int, secrets ...string) string {
	return Cut(Redact(s, secrets...), n)
}

// Cut shortens s to at most n characters (runes, the ellipsis included),
// marking a cut with "…". It never splits a rune. Text that may hold a
// secret must be redacted first (RedactCut).
func Cut(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n == 1 {
		return "…"
	}
	i, k := 0, 0
	for k < n-1 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		k++
	}
	return s[:i] + "…"
}

// Redactor redacts a set of secrets that grows over time (for example
// every token a process has used). Its zero value is ready; it is safe for
// concurrent use. The encoded forms of each secret are computed once.
type Redactor struct {
	mu   sync.RWMutex
	seen map[string]bool
	list []string
	idx  *formIndex // nil until first needed after an Add
}

// NewRedactor returns a Redactor for the given secrets.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add records secrets (those shorter than 4 characters are ignored).
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, sec := range secrets {
		if len(sec) < minSecret || r.seen[sec] {
			continue
		}
		if r.seen == nil {
			r.seen = map[string]bool{}
		}
		r.seen[sec] = true
		r.list = append(r.list, sec)
		r.idx = nil
	}
}

// Secrets returns a copy of the recorded secrets, oldest first.
func (r *Redactor) Secrets() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.list)
}

// Len is how many secrets are recorded.
func (r *Redactor) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.list)
}

// Redact removes the recorded secrets (and extra ones) from s, as Redact.
func (r *Redactor) Redact(s string, extra ...string) string {
	if s == "" {
		return s
	}
	if len(extra) > 0 {
		return redactWith(s, indexFor(append(r.Secrets(), extra...)))
	}
	r.mu.RLock()
	idx := r.idx
	r.mu.RUnlock()
	if idx == nil {
		r.mu.Lock()
		if r.idx == nil {
			r.idx = buildIndex(r.list)
		}
		idx = r.idx
		r.mu.Unlock()
	}
	return redactWith(s, idx)
}

// RedactCut redacts s and then cuts it to n characters.
func (r *Redactor) RedactCut(s string, n int, extra ...string) string {
	return Cut(r.Redact(s, extra...), n)
}

// formIndex finds every form of a set of secrets in one pass over a text:
// forms are filed under their first prefixLen bytes (every form is at
// least that long), so the cost is one map lookup per byte of text,
// whatever the number of secrets.
type formIndex struct {
	byPrefix map[string][]string
}

const prefixLen = minSecret

func buildIndex(secrets []string) *formIndex {
	idx := &formIndex{byPrefix: map[string][]string{}}
	for _, sec := range secrets {
		if len(sec) < minSecret {
			continue
		}
		for _, f := range formsOf(sec) {
			p := f[:prefixLen]
			if !slices.Contains(idx.byPrefix[p], f) {
				idx.byPrefix[p] = append(idx.byPrefix[p], f)
			}
		}
	}
	return idx
}

// indexCache keeps the index of recently used secret lists (callers pass
// the same few lists over and over).
var indexCache struct {
	sync.Mutex
	m map[string]*formIndex
}

const indexCacheMax = 64

func indexFor(secrets []string) *formIndex {
	key := strings.Join(secrets, "\x00")
	indexCache.Lock()
	idx, ok := indexCache.m[key]
	indexCache.Unlock()
	if ok {
		return idx
	}
	idx = buildIndex(secrets)
	indexCache.Lock()
	if indexCache.m == nil || len(indexCache.m) >= indexCacheMax {
		indexCache.m = map[string]*formIndex{}
	}
	indexCache.m[key] = idx
	indexCache.Unlock()
	return idx
}

// redactWith replaces every occurrence of every form (overlapping ones
// merged, so no part of a longer match survives a shorter one found
// first), then the credential patterns.
func redactWith(s string, idx *formIndex) string {
	type span struct{ from, to int }
	var spans []span
	if len(idx.byPrefix) > 0 {
		for i := 0; i+prefixLen <= len(s); i++ {
			for _, f := range idx.byPrefix[s[i:i+prefixLen]] {
				if strings.HasPrefix(s[i:], f) {
					spans = append(spans, span{i, i + len(f)})
				}
			}
		}
	}
	if len(spans) > 0 {
		// spans come in order of their start.
		var b strings.Builder
		b.Grow(len(s))
		last := 0
		for k := 0; k < len(spans); {
			from, to := spans[k].from, spans[k].to
			for k++; k < len(spans) && spans[k].from <= to; k++ {
				to = max(to, spans[k].to)
			}
			b.WriteString(s[last:from])
			b.WriteString(Redacted)
			last = to
		}
		b.WriteString(s[last:])
		s = b.String()
	}
	return redactPatterns(s)
}

// redactPatterns applies the credential patterns, each only when the text
// holds the word it needs (the regular expressions cost far more than the
// look).
func redactPatterns(s string) string {
	lower := strings.ToLower(s)
	if strings.Contains(lower, "authorization") {
		s = credentialPatterns[0].ReplaceAllString(s, "${1}${2}"+Redacted)
	}
	if strings.Contains(s, "://") && strings.Contains(s, "@") {
		s = credentialPatterns[1].ReplaceAllString(s, "${1}"+Redacted+"@")
	}
	for _, w := range []string{"key", "token", "password", "secret"} {
		if strings.Contains(lower, w) {
			s = credentialPatterns[2].ReplaceAllString(s, "${1}${2}"+Redacted)
			break
		}
	}
	return s
}

// formCache keeps the forms of recently seen secrets so that Redact, which
// callers run on every log line, does not re-encode them each time.
var formCache struct {
	sync.Mutex
	m map[string][]string
}

const formCacheMax = 4096

// formsOf returns every form of sec to look for, longest first.
func formsOf(sec string) []string {
	formCache.Lock()
	fs, ok := formCache.m[sec]
	formCache.Unlock()
	if ok {
		return fs
	}
	fs = computeForms(sec)
	formCache.Lock()
	if formCache.m == nil || len(formCache.m) >= formCacheMax {
		formCache.m = make(map[string][]string)
	}
	formCache.m[sec] = fs
	formCache.Unlock()
	return fs
}

func computeForms(sec string) []string {
	set := map[string]bool{sec: true}
	add := func(f string) {
		if len(f) >= minForm {
			set[f] = true
		}
	}
	// URL-encoded, as a query value (+ for space) and a path segment (%20),
	// every byte but the unreserved ones escaped, in both hex cases.
	for _, f := range []string{url.QueryEscape(sec), url.PathEscape(sec), escapeAll(sec)} {
		for _, v := range hexCases(f) {
			add(v)
		}
	}
	// JSON-escaped: Go's form (HTML characters as \u003c), the plain one,
	// and with "/" written as "\/".
	for _, f := range jsonForms(sec) {
		add(f)
		for _, v := range hexCases(url.QueryEscape(f)) {
			add(v)
		}
	}
	// Hex.
	add(hex.EncodeToString([]byte(sec)))
	add(strings.ToUpper(hex.EncodeToString([]byte(sec))))
	// The Basic form, whole: base64(secret:) and base64(:secret).
	for _, raw := range []string{sec + ":", ":" + sec} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			for _, v := range urlVariants(enc.EncodeToString([]byte(raw))) {
				add(v)
			}
		}
	}
	// Base64 at each alignment: the characters that only the secret's bits
	// decide, whatever comes before or after it in the encoded bytes.
	for k := range 3 {
		buf := make([]byte, k+len(sec))
		copy(buf[k:], sec)
		from := (8*k + 5) / 6
		to := (8 * (k + len(sec))) / 6
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			e := enc.EncodeToString(buf)
			if to > len(e) || from >= to {
				continue
			}
			for _, v := range urlVariants(e[from:to]) {
				add(v)
			}
		}
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return out
}

// escapeAll percent-encodes every byte except the URL's unreserved ones.
func escapeAll(s string) string {
	const hexUpper = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&15])
	}
	return b.String()
}

// hexCases returns s and s with its %XX escapes in lower case.
func hexCases(s string) []string {
	if !strings.Contains(s, "%") {
		return []string{s}
	}
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1] = lower(b[i+1])
			b[i+2] = lower(b[i+2])
			i += 2
		}
	}
	return []string{s, string(b)}
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// urlVariants returns a base64 string as is, with "/" JSON-escaped as
// "\/", and with its "+", "/" and "=" percent-encoded (all of them, or "/"
// alone as a path escape does), in both hex cases.
func urlVariants(s string) []string {
	out := []string{s}
	if !strings.ContainsAny(s, "+/=") {
		return out
	}
	if strings.Contains(s, "/") {
		out = append(out, strings.ReplaceAll(s, "/", `\/`))
	}
	all := strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(s)
	slash := strings.ReplaceAll(s, "/", "%2F")
	plus := strings.NewReplacer("+", "%2B", "=", "%3D").Replace(s)
	for _, v := range []string{all, slash, plus} {
		out = append(out, hexCases(v)...)
	}
	return out
}

func jsonForms(s string) []string {
	b, _ := json.Marshal(s)
	goForm := string(b[1 : len(b)-1])
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	plain := strings.TrimSuffix(sb.String(), "\n")
	plain = plain[1 : len(plain)-1]
	return []string{goForm, plain, strings.ReplaceAll(plain, "/", `\/`), strings.ReplaceAll(goForm, "/", `\/`)}
}

// RedactFields redacts, in place, every string a record holds: v is a
// pointer to a struct (or a map or slice), and its string fields,
// []string elements, map[string]string values and nested structs and
// pointers are all passed through Redact. Unexported fields are left
// alone. It is meant for records written to disk (the journal): every
// field, not only the ones expected to hold text from elsewhere, since a
// title or a name may hold a key a user pasted.
func (r *Redactor) RedactFields(v any, extra ...string) {
	redactValue(reflect.ValueOf(v), func(s string) string { return r.Redact(s, extra...) }, 0)
}

// RedactFields is Redactor.RedactFields for a fixed list of secrets.
func RedactFields(v any, secrets ...string) {
	NewRedactor(secrets...).RedactFields(v)
}

func redactValue(v reflect.Value, f func(string) string, depth int) {
	if depth > 16 || !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			e := v.Elem()
			if v.Kind() == reflect.Interface && e.Kind() == reflect.String {
				if v.CanSet() {
					v.Set(reflect.ValueOf(f(e.String())).Convert(e.Type()))
				}
				return
			}
			redactValue(e, f, depth+1)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(f(v.String()))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				redactValue(v.Field(i), f, depth+1)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			redactValue(v.Index(i), f, depth+1)
		}
	case reflect.Map:
		if v.Type().Elem().Kind() == reflect.String {
			for _, k := range v.MapKeys() {
				v.SetMapIndex(k, reflect.ValueOf(f(v.MapIndex(k).String())).Convert(v.Type().Elem()))
			}
			return
		}
		for _, k := range v.MapKeys() {
			e := v.MapIndex(k)
			if e.Kind() == reflect.Pointer || e.Kind() == reflect.Map || e.Kind() == reflect.Slice {
				redactValue(e, f, depth+1)
			}
		}
	}
}
