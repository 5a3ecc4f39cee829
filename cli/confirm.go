package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// stdinIsTerminal reports whether questions can be asked on stdin.
func (a *app) stdinIsTerminal() bool { return a.isTerminal(a.stdin) }

// needConfirmation refuses (exit 2) an action that would need a
// confirmation when stdin is not a terminal. Call it before any network
// call so that a script without --yes fails fast.
func (a *app) needConfirmation(yes bool, verb string) error {
	if yes || a.stdinIsTerminal() {
		return nil
	}
	return usageErrorf("refusing to %s without confirmation: stdin is not a terminal; pass --yes", verb)
}

// confirm asks question on stderr and reads the answer from stdin: only
// "y" or "yes" (any case) confirms.
func (a *app) confirm(question string) (bool, error) {
	fmt.Fprintf(a.stderr, "%s [y/N] ", question)
	line, err := readLine(a.stdin)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	if errors.Is(err, io.EOF) && line == "" {
		fmt.Fprintln(a.stderr)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// readLine reads up to a newline byte by byte, so nothing after it is
// consumed from r.
func readLine(r io.Reader) (string, error) {
	if br, ok := r.(*bufio.Reader); ok {
		s, err := br.ReadString('\n')
		return strings.TrimRight(s, "\r\n"), err
	}
	var b strings.Builder
	buf := make([]byte, 1)
	for b.Len() < 4096 {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				return strings.TrimRight(b.String(), "\r"), nil
			}
			b.WriteByte(buf[0])
		}
		if err != nil {
			return b.String(), err
		}
	}
	return b.String(), nil
}

// errAborted is returned when the user answers no.
var errAborted = &exitError{code: ExitFailure, err: errors.New("aborted; nothing was sent")}
