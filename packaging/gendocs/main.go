// Command gendocs writes signdeck's man pages (from the cobra command tree)
// and shell completion scripts, for release archives and packages:
//
//	go run ./packaging/gendocs -out build
//
// writes build/man/signdeck*.1 and build/completions/signdeck.{bash,zsh,fish}.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/signdeck/signdeck/cli"
)

func main() {
	out := flag.String("out", "build", "output directory")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	root := cli.Command()
	root.DisableAutoGenTag = true
	manDir := filepath.Join(out, "man")
	compDir := filepath.Join(out, "completions")
	for _, d := range []string{manDir, compDir} {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	// A fixed date keeps the pages reproducible: SOURCE_DATE_EPOCH when
	// set (as release tooling does), else the epoch of the commit is not
	// known here, so the Unix epoch.
	date := time.Unix(0, 0).UTC()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		var sec int64
		if _, err := fmt.Sscan(s, &sec); err == nil {
			date = time.Unix(sec, 0).UTC()
		}
	}
	hdr := &doc.GenManHeader{Title: "SIGNDECK", Section: "1", Source: "signdeck", Manual: "signdeck manual", Date: &date}
	if err := doc.GenManTree(root, hdr, manDir); err != nil {
		return err
	}
	for name, gen := range map[string]func(*cobra.Command, string) error{
		"signdeck.bash": func(c *cobra.Command, p string) error { return c.GenBashCompletionFileV2(p, true) },
		"signdeck.zsh":  func(c *cobra.Command, p string) error { return c.GenZshCompletionFile(p) },
		"signdeck.fish": func(c *cobra.Command, p string) error { return c.GenFishCompletionFile(p, true) },
	} {
		if err := gen(root, filepath.Join(compDir, name)); err != nil {
			return err
		}
	}
	return nil
}
