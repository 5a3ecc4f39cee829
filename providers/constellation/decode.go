package constellation

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// The vendor documents only some of its response classes (reference §6)
// and none of its response envelopes (§7 is inference), and its samples
// disagree with each other (§8). So the decoding here is deliberately
// tolerant: member names match case-insensitively (PascalCase as .NET's
// JavaScriptSerializer writes them, camelCase, SignerID or SignerId),
// numbers may come as strings, dates as "\/Date(ms)\/", "\/Date(ms+0000)\/"
// or ISO 8601 with or without a zone, Details as a string, an array or
// null, and unknown members are ignored.

// obj is a decoded JSON object whose member names are folded to lower case.
type obj map[string]json.RawMessage

var errNotJSON = errors.New("not JSON")

// parseBody validates a response body and unwraps the shapes .NET services
// put around an answer: a UTF-8 byte order mark, a JSON string that holds
// JSON, a {"d": ...} (ASP.NET AJAX) or a single {"XxxResult": ...} (WCF
// wrapped body style) member.
func parseBody(body []byte) (json.RawMessage, error) {
	b := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	if len(b) == 0 {
		return nil, errNotJSON
	}
	if !json.Valid(b) {
		return nil, errNotJSON
	}
	raw := json.RawMessage(b)
	for range 3 {
		changed := false
		if raw[0] == '"' {
			s, _ := rawString(raw)
			inner := bytes.TrimSpace([]byte(s))
			if len(inner) > 0 && (inner[0] == '{' || inner[0] == '[') && json.Valid(inner) {
				raw, changed = inner, true
			}
		} else if o, ok := asObj(raw); ok && len(o) == 1 {
			for k, v := range o {
				v = bytes.TrimSpace(v)
				wrapper := k == "d" || (strings.HasSuffix(k, "result") && len(k) > len("result"))
				if wrapper && len(v) > 0 && (v[0] == '{' || v[0] == '[') {
					raw, changed = v, true
				}
			}
		}
		if !changed {
			break
		}
	}
	return raw, nil
}

// asObj decodes raw as an object with folded member names.
func asObj(raw json.RawMessage) (obj, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, false
	}
	o := make(obj, len(m))
	for k, v := range m {
		lk := strings.ToLower(k)
		if prev, dup := o[lk]; dup && !isNull(prev) {
			continue // keep the first non-null spelling
		}
		o[lk] = v
	}
	return o, true
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// get returns the first member present and not null among names.
func (o obj) get(names ...string) json.RawMessage {
	for _, n := range names {
		if v, ok := o[strings.ToLower(n)]; ok && !isNull(v) {
			return v
		}
	}
	return nil
}

// has reports whether any of names is present (even as null).
func (o obj) has(names ...string) bool {
	for _, n := range names {
		if _, ok := o[strings.ToLower(n)]; ok {
			return true
		}
	}
	return false
}

// str returns the first of names that holds a string, number or bool, as
// text, trimmed.
func (o obj) str(names ...string) string {
	for _, n := range names {
		if v := o.get(n); v != nil {
			if s, ok := rawString(v); ok {
				if s = strings.TrimSpace(s); s != "" {
					return s
				}
			}
		}
	}
	return ""
}

// num returns the first of names that holds an integer, written as a
// number or as a numeric string.
func (o obj) num(names ...string) (int64, bool) {
	for _, n := range names {
		if v := o.get(n); v != nil {
			if i, ok := rawInt(v); ok {
				return i, true
			}
		}
	}
	return 0, false
}

// boolean returns the first of names that holds a bool (or "true"/"1").
func (o obj) boolean(names ...string) (bool, bool) {
	for _, n := range names {
		if v := o.get(n); v != nil {
			if s, ok := rawString(v); ok {
				switch strings.ToLower(strings.TrimSpace(s)) {
				case "true", "1", "yes":
					return true, true
				case "false", "0", "no":
					return false, true
				}
			}
		}
	}
	return false, false
}

// time returns the first of names that holds a date parseDate understands.
func (o obj) time(names ...string) time.Time {
	for _, n := range names {
		if v := o.get(n); v != nil {
			if t, ok := rawTime(v); ok {
				return t
			}
		}
	}
	return time.Time{}
}

// sub returns the first of names that holds an object.
func (o obj) sub(names ...string) obj {
	for _, n := range names {
		if v := o.get(n); v != nil {
			if s, ok := asObj(v); ok {
				return s
			}
		}
	}
	return nil
}

// list returns the elements of the first of names that holds an array; a
// single object is taken as a one-element list.
func (o obj) list(names ...string) ([]json.RawMessage, bool) {
	for _, n := range names {
		v := o.get(n)
		if v == nil {
			continue
		}
		if els, ok := rawList(v); ok {
			return els, true
		}
		if v[0] == '{' {
			return []json.RawMessage{v}, true
		}
	}
	return nil, false
}

func rawList(raw json.RawMessage) ([]json.RawMessage, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		return nil, false
	}
	var els []json.RawMessage
	if err := json.Unmarshal(raw, &els); err != nil {
		return nil, false
	}
	return els, true
}

// rawString reads a JSON string, number or bool as text.
func rawString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	case 't', 'f':
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return "", false
		}
		return strconv.FormatBool(b), true
	case '{', '[', 'n':
		return "", false
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", false
	}
	return n.String(), true
}

// rawInt reads an integer written as a number ("2", 2, 2.0) or a string.
func rawInt(raw json.RawMessage) (int64, bool) {
	s, ok := rawString(raw)
	if !ok {
		return 0, false
	}
	s = strings.TrimSpace(s)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) {
		return int64(f), true
	}
	return 0, false
}

// rawTime reads a date written as a string (see parseDate) or as a number
// of milliseconds since the Unix epoch.
func rawTime(raw json.RawMessage) (time.Time, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return time.Time{}, false
	}
	if raw[0] != '"' {
		if ms, ok := rawInt(raw); ok {
			return msTime(ms, nil), true
		}
		return time.Time{}, false
	}
	s, _ := rawString(raw)
	return parseDate(s)
}

var msDateRE = regexp.MustCompile(`^/?Date\((-?\d+)(?:([+-])(\d{2})(\d{2}))?\)/?$`)

// .NET's DateTime.MinValue and MaxValue, which the vendor may send for
// "no date".
const (
	dotnetMinMS = -62135596800000
	dotnetMaxMS = 253402300799999
)

// isoLayouts are the ISO-like layouts parseDate accepts, most specific
// first. A fractional second after the seconds is accepted by time.Parse
// on its own (up to 9 digits; .NET writes 7).
var isoLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02",
	"1/2/2006 3:04:05 PM",
	"1/2/2006 15:04:05",
	"1/2/2006",
}

// parseDate reads "/Date(ms)/", "/Date(ms+hhmm)/" (the offset is
// informational: ms is UTC, as in .NET), and ISO 8601 dates with or
// without a zone. A date without a zone is taken as UTC (INFERENCE: the
// vendor does not say; the lite list's CreatedOn is only used for sorting
// and display). .NET's DateTime.MinValue/MaxValue and year-1 dates are
// "absent" (zero time, ok true).
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if m := msDateRE.FindStringSubmatch(s); m != nil {
		ms, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		var loc *time.Location
		if m[2] != "" {
			h, _ := strconv.Atoi(m[3])
			mi, _ := strconv.Atoi(m[4])
			off := h*3600 + mi*60
			if m[2] == "-" {
				off = -off
			}
			if off != 0 {
				loc = time.FixedZone("", off)
			}
		}
		return msTime(ms, loc), true
	}
	for _, layout := range isoLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() <= 1 || t.Year() >= 9999 {
				return time.Time{}, true
			}
			return t, true
		}
	}
	return time.Time{}, false
}

func msTime(ms int64, loc *time.Location) time.Time {
	if ms <= dotnetMinMS || ms >= dotnetMaxMS {
		return time.Time{}
	}
	t := time.UnixMilli(ms).UTC()
	// Year 1 and year 9999 are .NET's MinValue/MaxValue sentinels, read as
	// "absent" like the ISO forms.
	if t.Year() <= 1 || t.Year() >= 9999 {
		return time.Time{}
	}
	if loc != nil {
		t = t.In(loc)
	}
	return t
}

// details reads the vendor's error or warning texts from an envelope:
// Details as a string, an array of strings or objects, or null, plus the
// other names .NET services use for an error text.
func details(o obj) []string {
	var out []string
	for _, name := range []string{"Details", "ErrorMessage", "Errors", "Error", "ExceptionMessage"} {
		v := o.get(name)
		if v == nil {
			continue
		}
		out = append(out, texts(v, 0)...)
	}
	return dedupe(out)
}

// texts flattens a string, an array or an object holding a message into
// the texts it holds.
func texts(raw json.RawMessage, depth int) []string {
	if depth > 3 || isNull(raw) {
		return nil
	}
	raw = bytes.TrimSpace(raw)
	switch raw[0] {
	case '[':
		els, _ := rawList(raw)
		var out []string
		for _, e := range els {
			out = append(out, texts(e, depth+1)...)
		}
		return out
	case '{':
		o, _ := asObj(raw)
		for _, n := range []string{"Message", "Description", "Details", "ErrorMessage", "Error", "Text", "Value"} {
			if v := o.get(n); v != nil {
				return texts(v, depth+1)
			}
		}
		return nil
	case 't', 'f':
		return nil // a bool is not a message
	}
	if s, ok := rawString(raw); ok {
		if s = strings.TrimSpace(s); s != "" {
			return []string{s}
		}
	}
	return nil
}

func dedupe(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// envelope is the RequestResponse-like part of any answer: ReturnValue
// and Details.
type envelope struct {
	o           obj
	returnValue string // "" when absent or null
	hasReturn   bool   // ReturnValue is present (maybe null)
	details     []string
}

// readEnvelope reads the envelope of a parsed body. A bare JSON string
// (some .NET endpoints return the value itself) is taken as ReturnValue.
func readEnvelope(raw json.RawMessage) envelope {
	var e envelope
	if o, ok := asObj(raw); ok {
		e.o = o
		e.hasReturn = o.has("ReturnValue")
		e.returnValue = o.str("ReturnValue")
		e.details = details(o)
		return e
	}
	if s, ok := rawString(raw); ok && len(raw) > 0 && raw[0] == '"' {
		e.hasReturn, e.returnValue = true, strings.TrimSpace(s)
	}
	return e
}

// message joins the details, or says what the ReturnValue was.
func (e envelope) message() string {
	if len(e.details) > 0 {
		return strings.Join(e.details, "; ")
	}
	switch {
	case e.returnValue != "":
		return "the provider answered ReturnValue " + strconv.Quote(e.returnValue) + " without details"
	case e.hasReturn:
		return "the provider answered ReturnValue null without details"
	}
	return "the provider's answer holds no result and no details"
}

// truthy reports whether ReturnValue says success.
func (e envelope) truthy() bool {
	return strings.EqualFold(e.returnValue, "true")
}

var (
	tagRE   = regexp.MustCompile(`(?s)<[^>]*>`)
	titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	styleRE = regexp.MustCompile(`(?is)<(script|style)[^>]*>.*?</(script|style)>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// maxExcerpt bounds how much of an answer that could not be understood
// is quoted in an error.
const maxExcerpt = 200

// excerpt describes a body that is not the JSON expected, in at most
// maxExcerpt characters: the title of an HTML page (or its text without
// tags), else the start of the text. redact runs before the cut (a secret
// cut first would no longer match); nil means no secrets to remove.
func excerpt(body []byte, redact func(string) string) string {
	s := string(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	lower := strings.ToLower(s[:min(len(s), 2048)])
	if strings.Contains(lower, "<html") || strings.Contains(lower, "<!doctype") || strings.Contains(lower, "<body") {
		if m := titleRE.FindStringSubmatch(s); m != nil && strings.TrimSpace(m[1]) != "" {
			s = "HTML page: " + m[1]
		} else {
			s = "HTML page: " + tagRE.ReplaceAllString(styleRE.ReplaceAllString(s, " "), " ")
		}
	}
	s = models.CleanText(s)
	s = strings.TrimSpace(spaceRE.ReplaceAllString(s, " "))
	if redact != nil {
		s = redact(s)
	}
	s = providers.Cut(s, maxExcerpt)
	if s == "" {
		return "empty body"
	}
	return s
}
