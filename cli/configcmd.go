package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/signdeck/signdeck/config"
)

// starterConfig is what `signdeck config init` writes. A test checks that
// it parses and that its schema line names config.SchemaURL.
const starterConfig = `# yaml-language-server: $schema=` + config.SchemaURL + `
#
# signdeck config. Check it with: signdeck config check
# Every key is described in the schema (signdeck config schema) and in the
# README. Tokens never go here: store them with signdeck auth login ACCOUNT
# or set SIGNDECK_TOKEN_<ACCOUNT>.

accounts:
  # A Dropbox Sign account. Rename it, then: signdeck auth login acme
  - name: acme                  # letters, digits, '.', '_' and '-'
    provider: dropboxsign
    test_mode: true             # copies are sent as test requests
    # team: true                # list the whole team's requests
    # base_url: https://api.hellosign.com/v3

  # A Constellation1 eSign account:
  # - name: c1
  #   provider: constellation1
  #   username: agent@example.com          # the agent's sign-in email
  #   transactions: [TX-1001, TX-1002]     # the transaction ids to list
  #   return_url: https://example.com/done # where signers land after signing

ui:
  refresh_interval: 60s         # 0 turns auto refresh off; else at least 5s
  readonly: false               # true removes cancel and copy everywhere
  mouse: false                  # true: click selects a row, the wheel scrolls
  theme: auto                   # auto, dark, light or none

# keys:                         # rebind actions (see signdeck --help, README)
#   refresh: [r, ctrl+r]
#   reverse: R
`

func (a *app) configCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Create, check and describe the config file",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(a.stderr)
			_ = cmd.Help()
			return &exitError{code: ExitUsage, err: errors.New("config needs a command: init, check, schema or path")}
		},
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "init",
			Short: "Write a commented starter config (never overwrites)",
			Long: `Write a commented starter config at the config path (--config, else
$SIGNDECK_CONFIG, else $XDG_CONFIG_HOME/signdeck/config.yaml), readable by
you only (0600). An existing file is never overwritten (exit 2). The first
line points YAML editors at the JSON Schema.`,
			Args: usageArgs(cobra.NoArgs),
			RunE: func(*cobra.Command, []string) error { return a.configInit() },
		},
		&cobra.Command{
			Use:   "check [FILE]",
			Short: "Validate the config file; exit 2 with file:line:col on errors",
			Long: `Validate the config file (FILE, else the usual config path) the way every
command does: syntax, keys, values, secrets, permissions and key-binding
conflicts. Prints every problem as FILE:LINE:COL: KEY: MESSAGE and exits 2
when there is one; prints a summary and exits 0 otherwise.`,
			Args: usageArgs(cobra.MaximumNArgs(1)),
			RunE: func(_ *cobra.Command, args []string) error {
				if len(args) == 1 {
					a.configFlag = args[0]
				}
				return a.configCheck()
			},
		},
		&cobra.Command{
			Use:   "schema",
			Short: "Print the JSON Schema of the config file",
			Args:  usageArgs(cobra.NoArgs),
			RunE: func(*cobra.Command, []string) error {
				_, err := a.stdout.Write(config.Schema())
				return err
			},
		},
		&cobra.Command{
			Use:   "path",
			Short: "Print the path of the config file in use",
			Args:  usageArgs(cobra.NoArgs),
			RunE: func(*cobra.Command, []string) error {
				p, _ := config.ResolvePath(a.configFlag)
				if p == "" {
					_, err := config.DefaultPath()
					return usageError(err)
				}
				fmt.Fprintln(a.stdout, p)
				return nil
			},
		},
	)
	return cmd
}

func (a *app) configInit() error {
	path, _ := config.ResolvePath(a.configFlag)
	if path == "" {
		_, err := config.DefaultPath()
		return usageError(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("config init: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return usageErrorf("config init: %s already exists; not overwriting it (check it with: signdeck config check)", path)
	}
	if err != nil {
		return fmt.Errorf("config init: %w", err)
	}
	if _, err := f.WriteString(starterConfig); err != nil {
		f.Close()
		return fmt.Errorf("config init: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("config init: %w", err)
	}
	fmt.Fprintf(a.stdout, "wrote %s\n", path)
	fmt.Fprintln(a.stdout, "next: edit the accounts, then store each token with: signdeck auth login ACCOUNT")
	return nil
}

func (a *app) configCheck() error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: ok (%d account%s)\n", cfg.Path, len(cfg.Accounts), pluralS(len(cfg.Accounts)))
	return nil
}

func pluralS(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
