package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/itchyny/gojq"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// outputFlags is the machine-readable output of a command, gh style:
//
//	--json              every field (what scripts have always read)
//	--json=ref,status   only these fields, in the order given
//	--jq EXPR           filter the JSON with a jq expression (gojq)
//	--template TMPL     format the JSON with a Go template
//
// --jq and --template imply --json. Every problem with the flags (unknown
// field, jq or template syntax) is a usage error (exit 2) reported before
// the command does any work; an expression that fails on the data is also
// exit 2, naming the expression.
type outputFlags struct {
	fields []string // the valid fields, in output order
	flag   *pflag.Flag

	json     string // the --json value: "" when absent, jsonAll for bare --json
	jq       string
	template string

	// Set by check.
	checked  bool
	selected []string // nil: every field
	code     *gojq.Code
	tmpl     *template.Template

	// colorOK reports whether stdout takes colour (autocolor).
	colorOK func() bool
	// now is the clock of timeago (tests fix it).
	now func() time.Time
}

// jsonAll is the value of a bare --json.
const jsonAll = "\x00all"

// addOutputFlags adds --json[=fields], --jq and --template to cmd for
// output built from values whose JSON objects have the given fields (see
// jsonFields). The flags are checked before the command runs.
func (a *app) addOutputFlags(cmd *cobra.Command, fields []string) *outputFlags {
	o := &outputFlags{fields: fields, colorOK: a.color, now: time.Now}
	f := cmd.Flags()
	f.StringVar(&o.json, "json", "", "print JSON; --json=FIELD,... keeps only those fields ("+strings.Join(fields, ", ")+")")
	o.flag = f.Lookup("json")
	o.flag.NoOptDefVal = jsonAll
	f.StringVarP(&o.jq, "jq", "q", "", "filter the JSON output with a jq expression (implies --json)")
	f.StringVarP(&o.template, "template", "t", "", "format the JSON output with a Go template (implies --json; see signdeck help formatting)")
	_ = cmd.RegisterFlagCompletionFunc("json", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return completeFieldList(fields, toComplete), cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	})
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if err := o.check(); err != nil {
			return err
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
	return o
}

// emit writes v as the command's JSON output: through the command's
// --json/--jq/--template when it has them, else plain JSON.
func (a *app) emit(v any) error {
	if a.out != nil {
		return a.out.write(a.stdout, v)
	}
	return writeJSON(a.stdout, v)
}

// on reports whether the command should write JSON (or a filter of it)
// instead of its human output.
func (o *outputFlags) on() bool {
	return o.jsonGiven() || o.jq != "" || o.template != ""
}

func (o *outputFlags) jsonGiven() bool {
	return o.json != "" || (o.flag != nil && o.flag.Changed)
}

// check validates the flags once: field names, the jq expression and the
// template.
func (o *outputFlags) check() error {
	if o.checked {
		return nil
	}
	o.checked = true
	if o.jq != "" && o.template != "" {
		return usageErrorf("--jq and --template cannot be used together")
	}
	if o.jsonGiven() && o.json != jsonAll {
		var bad []string
		for _, name := range strings.Split(o.json, ",") {
			name = strings.TrimSpace(name)
			switch {
			case name == "":
			case slices.Contains(o.fields, name):
				if !slices.Contains(o.selected, name) {
					o.selected = append(o.selected, name)
				}
			default:
				bad = append(bad, clean(name))
			}
		}
		if len(bad) > 0 {
			return usageErrorf("--json: unknown field %s; the fields are: %s", strings.Join(bad, ", "), strings.Join(o.fields, ", "))
		}
		if len(o.selected) == 0 {
			return usageErrorf("--json: no field named; the fields are: %s", strings.Join(o.fields, ", "))
		}
	}
	if o.jq != "" {
		q, err := gojq.Parse(o.jq)
		if err != nil {
			return usageError(jqParseError(o.jq, err))
		}
		code, err := gojq.Compile(q)
		if err != nil {
			return usageErrorf("--jq: %v", err)
		}
		o.code = code
	}
	if o.template != "" {
		t, err := template.New("").Funcs(o.templateFuncs(nil)).Parse(o.template)
		if err != nil {
			return usageErrorf("--template: %s", strings.TrimPrefix(err.Error(), "template: "))
		}
		o.tmpl = t
	}
	return nil
}

// jqParseError says where in the expression parsing failed: the 1-based
// column and the expression with a caret under it.
func jqParseError(expr string, err error) error {
	var pe *gojq.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("--jq: %v", err)
	}
	// Offset is the number of bytes read when the error was found; point at
	// the start of the offending token.
	off := min(max(pe.Offset-len(pe.Token), 0), len(expr))
	col := len([]rune(expr[:off])) + 1
	line := strings.ReplaceAll(expr, "\n", " ")
	return fmt.Errorf("--jq: %v at column %d\n    %s\n    %s^", err, col, clean(line), strings.Repeat(" ", col-1))
}

// write writes v (a JSON-ready value: a struct or a slice of structs with
// json tags) the way the flags ask.
func (o *outputFlags) write(w io.Writer, v any) error {
	if err := o.check(); err != nil {
		return err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if o.selected != nil {
		if raw, err = selectFields(raw, o.selected); err != nil {
			return err
		}
	}
	switch {
	case o.code != nil:
		return o.runJQ(w, raw)
	case o.tmpl != nil:
		return o.runTemplate(w, raw)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err = w.Write(buf.Bytes())
	return err
}

// decode turns JSON into the plain values jq and templates work on.
func decode(raw []byte) (any, error) {
	var data any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&data); err != nil {
		return nil, err
	}
	return normalizeNumbers(data), nil
}

// normalizeNumbers turns json.Number into int or float64, as gojq wants.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
	}
	return v
}

// runJQ prints each result of the expression on its own line: strings
// raw, everything else as compact JSON (as gh does).
func (o *outputFlags) runJQ(w io.Writer, raw []byte) error {
	data, err := decode(raw)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	iter := o.code.Run(data)
	for {
		v, ok := iter.Next()
		if !ok {
			break
		}
		if err, ok := v.(error); ok {
			var he *gojq.HaltError
			if errors.As(err, &he) && he.Value() == nil {
				break
			}
			w.Write(buf.Bytes())
			return usageErrorf("--jq %s: %s", clean(o.jq), clean(err.Error()))
		}
		if s, ok := v.(string); ok {
			buf.WriteString(clean(s))
		} else {
			b, err := gojq.Marshal(v)
			if err != nil {
				return err
			}
			buf.Write(b)
		}
		buf.WriteByte('\n')
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func (o *outputFlags) runTemplate(w io.Writer, raw []byte) error {
	data, err := decode(raw)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := &templateTable{}
	t, err := o.tmpl.Clone()
	if err != nil {
		return err
	}
	t.Funcs(o.templateFuncs(&tableState{out: &buf, t: tw}))
	if err := t.Execute(&buf, data); err != nil {
		return usageErrorf("--template: %s", strings.TrimPrefix(err.Error(), "template: "))
	}
	tw.flush(&buf)
	_, err = w.Write(buf.Bytes())
	return err
}

// selectFields keeps only the named fields of a JSON object, or of each
// object of a JSON array, in the order given.
func selectFields(raw []byte, fields []string) ([]byte, error) {
	pick := func(obj map[string]json.RawMessage) []byte {
		var b bytes.Buffer
		b.WriteByte('{')
		for i, f := range fields {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(f)
			b.Write(k)
			b.WriteByte(':')
			if v, ok := obj[f]; ok {
				b.Write(v)
			} else {
				b.WriteString("null")
			}
		}
		b.WriteByte('}')
		return b.Bytes()
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var items []map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, err
		}
		var b bytes.Buffer
		b.WriteByte('[')
		for i, it := range items {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(pick(it))
		}
		b.WriteByte(']')
		return b.Bytes(), nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &obj); err != nil {
		return nil, err
	}
	return pick(obj), nil
}

// jsonFields lists the JSON field names of a struct value or type (or of
// a slice's element type), embedded structs included, in order.
func jsonFields(v any) []string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	var out []string
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			name, _, _ := strings.Cut(tag, ",")
			if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
				walk(sf.Type)
				continue
			}
			if !sf.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			out = append(out, name)
		}
	}
	walk(t)
	return out
}

// completeFieldList completes the last field of a comma-separated list.
func completeFieldList(fields []string, toComplete string) []string {
	done, last := "", toComplete
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		done, last = toComplete[:i+1], toComplete[i+1:]
	}
	already := strings.Split(done, ",")
	var out []string
	for _, f := range fields {
		if strings.HasPrefix(f, last) && !slices.Contains(already, f) {
			out = append(out, done+f)
		}
	}
	return out
}
