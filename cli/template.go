package cli

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"text/template"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// templateHelp documents the --template helpers (signdeck help formatting).
const templateHelp = `--template takes a Go template (https://pkg.go.dev/text/template) that is
run on the command's JSON output: a list for list and auth status, an
object for show. --json=FIELD,... narrows the data first.

Helpers, as in gh:
  tablerow CELL...        add a row to an aligned table (colour codes are
                          not counted in the width)
  tablerender             print the rows added so far (done at the end too)
  timeago TIME            "3 hours ago", "in 2 days" (TIME is RFC 3339)
  timefmt LAYOUT TIME     format TIME with a Go layout, in local time
  color STYLE TEXT        colour TEXT: red, green, yellow, blue, magenta,
                          cyan, white, gray, black, bold, underline; join
                          styles with + (red+bold)
  autocolor STYLE TEXT    as color, only when stdout is a terminal and
                          NO_COLOR is unset
  join SEP LIST           join a list of strings
  pluck FIELD LIST        the FIELD of each object of LIST
  truncate N TEXT         shorten TEXT to N cells with an ellipsis

--jq takes a jq expression (gojq); each result is printed on its own line,
strings without quotes, other values as compact JSON.

Examples:
  signdeck list --json=ref,status
  signdeck list --jq '.[] | select(.status == "declined") | .ref'
  signdeck list --template '{{range .}}{{tablerow .ref (autocolor "yellow" .status) (timeago .created_at)}}{{end}}'
  signdeck show acme/ID --template '{{join ", " (pluck "email" .signers)}}'
`

// tableState collects tablerow rows until tablerender.
type tableState struct {
	out *bytes.Buffer
	t   *templateTable
}

type templateTable struct{ rows [][]string }

// flush writes the rows aligned, two spaces between columns, and forgets
// them.
func (t *templateTable) flush(w *bytes.Buffer) {
	if len(t.rows) == 0 {
		return
	}
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], ansi.StringWidth(c))
		}
	}
	for _, r := range t.rows {
		for i, c := range r {
			w.WriteString(c)
			if i < len(r)-1 {
				w.WriteString(strings.Repeat(" ", widths[i]-ansi.StringWidth(c)+2))
			}
		}
		w.WriteByte('\n')
	}
	t.rows = nil
}

// templateFuncs are the helpers; ts is nil when only parsing.
func (o *outputFlags) templateFuncs(ts *tableState) template.FuncMap {
	return template.FuncMap{
		"tablerow": func(cells ...any) string {
			if ts != nil {
				r := make([]string, len(cells))
				for i, c := range cells {
					r[i] = textOf(c)
				}
				ts.t.rows = append(ts.t.rows, r)
			}
			return ""
		},
		"tablerender": func() string {
			if ts != nil {
				ts.t.flush(ts.out)
			}
			return ""
		},
		"timeago": func(v any) (string, error) {
			t, ok, err := timeOf(v)
			if !ok || err != nil {
				return "", err
			}
			return timeAgo(o.now().Sub(t)), nil
		},
		"timefmt": func(layout string, v any) (string, error) {
			t, ok, err := timeOf(v)
			if !ok || err != nil {
				return "", err
			}
			return t.Local().Format(layout), nil
		},
		"color": func(style string, v any) (string, error) { return colorize(style, textOf(v)) },
		"autocolor": func(style string, v any) (string, error) {
			if o.colorOK == nil || !o.colorOK() {
				if _, err := colorize(style, ""); err != nil {
					return "", err
				}
				return textOf(v), nil
			}
			return colorize(style, textOf(v))
		},
		"join": func(sep string, v any) string {
			list, _ := v.([]any)
			parts := make([]string, len(list))
			for i, e := range list {
				parts[i] = textOf(e)
			}
			return strings.Join(parts, sep)
		},
		"pluck": func(field string, v any) []any {
			list, _ := v.([]any)
			out := make([]any, 0, len(list))
			for _, e := range list {
				if m, ok := e.(map[string]any); ok {
					out = append(out, m[field])
				}
			}
			return out
		},
		"truncate": func(n int, v any) string { return ansi.Truncate(textOf(v), n, "…") },
	}
}

// textOf is a value as template text: nil is empty.
func textOf(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// timeOf reads an RFC 3339 time; ok is false for null or "".
func timeOf(v any) (time.Time, bool, error) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, false, nil
	case time.Time:
		return x, !x.IsZero(), nil
	case string:
		if x == "" {
			return time.Time{}, false, nil
		}
		t, err := time.Parse(time.RFC3339, x)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("not an RFC 3339 time: %q", clean(x))
		}
		return t, true, nil
	}
	return time.Time{}, false, fmt.Errorf("not a time: %v", v)
}

// timeAgo says how long ago d was ("in ..." for the future).
func timeAgo(d time.Duration) string {
	future := d < 0
	if future {
		d = -d
	}
	unit := func(n float64, name string) string {
		k := int(math.Floor(n))
		if k != 1 {
			name += "s"
		}
		if future {
			return fmt.Sprintf("in %d %s", k, name)
		}
		return fmt.Sprintf("%d %s ago", k, name)
	}
	switch {
	case d < time.Minute:
		if future {
			return "in less than a minute"
		}
		return "less than a minute ago"
	case d < time.Hour:
		return unit(d.Minutes(), "minute")
	case d < 24*time.Hour:
		return unit(d.Hours(), "hour")
	case d < 30*24*time.Hour:
		return unit(d.Hours()/24, "day")
	case d < 365*24*time.Hour:
		return unit(d.Hours()/24/30, "month")
	}
	return unit(d.Hours()/24/365, "year")
}

var styleCodes = map[string]string{
	"black": "30", "red": "31", "green": "32", "yellow": "33", "blue": "34", "magenta": "35", "cyan": "36",
	"white": "37", "gray": "90", "grey": "90", "bold": "1", "underline": "4",
}

// colorize wraps text in the ANSI codes of style ("red", "red+bold").
func colorize(style, text string) (string, error) {
	var codes []string
	for _, s := range strings.Split(style, "+") {
		c, ok := styleCodes[strings.ToLower(strings.TrimSpace(s))]
		if !ok {
			return "", fmt.Errorf("unknown colour or style %q (want black, red, green, yellow, blue, magenta, cyan, white, gray, bold or underline)", clean(s))
		}
		codes = append(codes, c)
	}
	return "\x1b[" + strings.Join(codes, ";") + "m" + text + "\x1b[0m", nil
}
