package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/adrg/xdg"
	"github.com/spf13/cobra"
)

func (a *app) downloadCmd() *cobra.Command {
	var dir, format string
	cmd := &cobra.Command{
		Use:   "download ACCOUNT/ID...",
		Short: "Download the documents of sessions",
		Long: `Download the documents of one or more sessions into a directory (default:
your download directory, $XDG_DOWNLOAD_DIR or ~/Downloads; created when
missing). An existing file is never replaced: a new one is named
"Title (1).pdf", "Title (2).pdf" ... The path of each file written is
printed on stdout; a progress line is shown on stderr when it is a
terminal.

--format: Dropbox Sign pdf (one merged PDF, the default) or zip (one file
per document); Constellation1 downloads each document as it is (documents).
Dropbox Sign answers 409 while it prepares the files: signdeck waits and
asks again.

Downloads change nothing at the provider and are not journaled; they
work in read-only mode. Exit status 1 when any download failed.`,
		Example: `  signdeck download acme/fa5c8a0b0f49
  signdeck download acme/fa5c8a0b0f49 c1-prod/123456 --output ./signed --format zip`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.download(cmd.Context(), args, dir, format)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&dir, "output", "o", "", "directory to write into (default: the XDG download directory)")
	f.StringVar(&format, "format", "", "pdf or zip (Dropbox Sign; default pdf)")
	return cmd
}

// downloadDir is the default directory: the XDG download directory.
func downloadDir() string {
	return xdg.UserDirs.Download
}

func (a *app) download(ctx context.Context, args []string, dir, format string) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	ts, accts, err := a.targets(cfg, args)
	if err != nil {
		return err
	}
	format = strings.ToLower(strings.TrimSpace(format))
	if dir == "" {
		dir = downloadDir()
	}
	if dir == "" {
		return usageErrorf("no download directory: give --output DIR")
	}
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	byName := a.appAccounts(ctx, accts)
	for _, t := range ts {
		aa := byName[t.acct.Name]
		if aa.Provider == nil || format == "" {
			continue
		}
		caps := aa.Provider.Capabilities()
		if caps.Download && !slices.Contains(caps.DownloadFormats, format) {
			return usageErrorf("--format %s: %s offers %s (account %s)", clean(format), t.acct.Provider.Label(),
				strings.Join(caps.DownloadFormats, ", "), t.acct.Name)
		}
	}
	showProgress := a.isTerminal(a.stderr)
	failed := false
	for _, t := range ts {
		if ctx.Err() != nil {
			// Interrupted: nothing more is started.
			fmt.Fprintf(a.stderr, "signdeck: download %s: not started (interrupted)\n", clean(t.ref.String()))
			failed = true
			continue
		}
		var progress func(done, total int64)
		if showProgress {
			label := clean(t.ref.String())
			progress = func(done, total int64) {
				if total > 0 {
					fmt.Fprintf(a.stderr, "\r\x1b[Kdownloading %s: %s / %s (%d%%)", label, byteSize(done), byteSize(total), done*100/total)
				} else {
					fmt.Fprintf(a.stderr, "\r\x1b[Kdownloading %s: %s", label, byteSize(done))
				}
			}
		}
		o := svc.Download(ctx, byName[t.acct.Name], t.ref, dir, format, progress)
		if showProgress {
			fmt.Fprint(a.stderr, "\r\x1b[K")
		}
		for _, p := range o.Paths {
			fmt.Fprintln(a.stdout, clean(p))
		}
		if o.Outcome != "ok" {
			failed = true
			fmt.Fprintf(a.stderr, "signdeck: download %s: %s\n", clean(t.ref.String()), clean(o.Reason))
		}
	}
	if failed {
		return errFailed
	}
	return nil
}

// byteSize is n in B, KB or MB.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
