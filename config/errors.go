package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a config file. It names the file, the position
// (1-based; 0 when unknown) and the key path, like
//
//	config.yaml:7:15: accounts[1].provider: unknown provider "docusign" (want dropboxsign or constellation1)
//
// Msg never holds the value of a secret.
type Error struct {
	File string
	Line int
	Col  int
	Path string // "accounts[1].provider"; empty for problems with the file as a whole
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	if e.File != "" || e.Line > 0 {
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in a config file, in file order. Parse
// returns it when there is more than one problem; a single problem is
// returned as *Error. errors.As finds the first *Error in either case.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the individual errors.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sortErrors puts errors in file order, keeping discovery order for errors
// at the same position.
func sortErrors(es Errors) {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Col < es[j].Col
	})
}

// ErrNotFound matches the error Load returns when the config file does not
// exist (errors.Is(err, ErrNotFound)).
var ErrNotFound = errors.New("config file not found")

// NotFoundError says the config file does not exist. Its message is a
// first-run hint: where signdeck looked, a minimal config, and how to try
// signdeck without an account.
type NotFoundError struct {
	Path string
	// Source says how Path was chosen: "--config", "$SIGNDECK_CONFIG" or
	// "default".
	Source string
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	switch e.Source {
	case SourceFlag:
		fmt.Fprintf(&b, "no config file at %s (given with --config)\n", e.Path)
	case SourceEnv:
		fmt.Fprintf(&b, "no config file at %s (from %s)\n", e.Path, EnvConfig)
	default:
		fmt.Fprintf(&b, "no config file at %s\n", e.Path)
	}
	b.WriteString("\nTo get started, create it with your accounts, for example:\n\n")
	for _, l := range strings.Split(strings.TrimRight(MinimalExample, "\n"), "\n") {
		b.WriteString("    ")
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteString("\nthen store each account's API key with `signdeck auth login ACCOUNT`.\n")
	b.WriteString("\nTo try signdeck without an account:\n")
	b.WriteString("    signdeck demo       the dashboard on built-in local emulators\n")
	b.WriteString("    signdeck sandbox    prints a config for a local sandbox\n")
	return b.String()
}

// Is reports whether target is ErrNotFound.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }
