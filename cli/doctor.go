package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/keyring"
)

// verifyTimeout bounds each account's verify call in doctor.
const verifyTimeout = 30 * time.Second

func (a *app) doctorCmd() *cobra.Command {
	var offline bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the setup: config, state files, keyring, each account's token",
		Long: `Report what signdeck would use and whether it works, the way gh auth status
and k9s info do: the config file (and its problems), the state directory,
the log, the store (session cache and journal), whether the OS keyring answers,
and for each account where its token comes from and (unless --offline)
whether the provider accepts it. Tokens are never printed.

Exit status: 0 when everything checked is fine, 1 when a check failed
(no token, a token the provider refuses, an unreachable keyring), 2 when
the config file has problems.`,
		Example: `  signdeck doctor
  signdeck doctor --offline`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.doctor(cmd.Context(), offline)
		},
	}
	cmd.Flags().BoolVar(&offline, "offline", false, "do not call the providers (skip the verify calls)")
	return cmd
}

func (a *app) doctor(ctx context.Context, offline bool) error {
	w := a.stdout
	failed := false
	line := func(mark, what, detail string) {
		fmt.Fprintf(w, "%s %-14s %s\n", mark, what, detail)
	}
	ok := func(what, detail string) { line("✓", what, detail) }
	bad := func(what, detail string) { line("✗", what, detail); failed = true }
	note := func(what, detail string) { line("-", what, detail) }

	v := buildVersion()
	fmt.Fprintf(w, "signdeck %s (%s %s/%s)\n\n", v.version, v.goVersion, runtime.GOOS, runtime.GOARCH)

	path, _ := config.ResolvePath(a.configFlag)
	cfg, cfgErr := a.readConfig()
	switch {
	case cfgErr == nil:
		ok("config", fmt.Sprintf("%s (%d account%s)", path, len(cfg.Accounts), pluralS(len(cfg.Accounts))))
		for _, warn := range cfg.Warnings {
			line("!", "", clean(warn))
		}
	case errors.Is(cfgErr, config.ErrNotFound):
		bad("config", fmt.Sprintf("%s does not exist; create one with: signdeck config init", path))
	default:
		bad("config", path+" has problems:")
		for _, l := range splitLines(cfgErr.Error()) {
			fmt.Fprintf(w, "                 %s\n", clean(l))
		}
	}

	dir := a.stateDir()
	switch st, err := os.Stat(dir); {
	case errors.Is(err, fs.ErrNotExist):
		note("state dir", dir+" (not created yet; made on first use)")
	case err != nil:
		bad("state dir", clean(err.Error()))
	case !st.IsDir():
		bad("state dir", dir+" is not a directory")
	default:
		ok("state dir", fmt.Sprintf("%s (mode %04o)", dir, st.Mode().Perm()))
	}
	for _, f := range []struct{ what, path string }{
		{"log", filepath.Join(dir, logFileName)},
		{"store", a.storePath()}, // the session cache and the journal of every action
	} {
		switch st, err := os.Lstat(f.path); {
		case errors.Is(err, fs.ErrNotExist):
			note(f.what, f.path+" (not written yet)")
		case err != nil:
			bad(f.what, clean(err.Error()))
		case st.Mode()&fs.ModeSymlink != 0:
			bad(f.what, f.path+" is a symlink; signdeck does not write through one")
		default:
			ok(f.what, fmt.Sprintf("%s (%d bytes)", f.path, st.Size()))
		}
	}

	ks := a.keyStore()
	pctx, cancel := context.WithTimeout(ctx, keyringTimeout)
	probeErr := keyring.Probe(pctx, ks)
	cancel()
	tok := a.tokens()
	if probeErr != nil {
		bad("keyring", clean(probeErr.Error()))
		tok = &keyring.Tokens{LookupEnv: a.lookupEnv}
	} else {
		ok("keyring", storeLabel(ks.Source())+" answers")
	}

	if cfg != nil {
		fmt.Fprintln(w)
		if len(cfg.Accounts) == 0 {
			fmt.Fprintln(w, "no accounts configured")
		}
		for _, acct := range cfg.Accounts {
			head := fmt.Sprintf("%s (%s)", acct.Name, acct.Provider.Label())
			token, src, err := tok.Get(ctx, acct.Name)
			switch {
			case errors.Is(err, keyring.ErrNotFound):
				bad(head, "no token; run: signdeck auth login "+acct.Name+" (or set "+keyring.EnvName(acct.Name)+")")
				continue
			case err != nil:
				bad(head, clean(err.Error()))
				continue
			}
			where := "token from " + string(src)
			if src == keyring.SourceEnv {
				where += " (" + keyring.EnvName(acct.Name) + ")"
			}
			where += ", " + clean(acct.BaseURL)
			if offline {
				ok(head, where+"; not verified (--offline)")
				continue
			}
			p, err := a.provider(acct, token)
			if err != nil {
				bad(head, where+"; "+reason(err))
				continue
			}
			vctx, cancel := context.WithTimeout(ctx, verifyTimeout)
			info, err := p.Verify(vctx)
			cancel()
			if err != nil {
				bad(head, where+"; verify failed: "+reason(err))
				continue
			}
			who := clean(info.Who)
			if who == "" {
				who = "ok"
			}
			ok(head, where+"; verified: "+who)
		}
	}

	switch {
	case cfgErr != nil && !errors.Is(cfgErr, config.ErrNotFound):
		return &exitError{code: ExitUsage, silent: true}
	case failed:
		return errFailed
	}
	return nil
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
