// Command signdeck is a keyboard-driven terminal dashboard for triaging
// e-signature sessions across providers (Dropbox Sign, Constellation1).
// Run `signdeck --help` for the commands.
package main

import (
	"os"

	"github.com/signdeck/signdeck/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
