package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print signdeck's version, Go version and commit",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			_, err := io.WriteString(a.stdout, versionText())
			return err
		},
	}
}

// versionText is what `signdeck version` and `signdeck --version` print.
func versionText() string {
	var b strings.Builder
	v := buildVersion()
	fmt.Fprintf(&b, "signdeck %s\n", v.version)
	fmt.Fprintf(&b, "go %s %s/%s\n", v.goVersion, runtime.GOOS, runtime.GOARCH)
	if v.commit != "" {
		c := v.commit
		if v.modified {
			c += " (modified)"
		}
		if v.time != "" {
			c += " " + v.time
		}
		fmt.Fprintf(&b, "commit %s\n", c)
	}
	return b.String()
}

type versionInfo struct {
	version, goVersion, commit, time string
	modified                         bool
}

// buildVersion combines Version/Commit (set by -ldflags) with what the Go
// toolchain recorded in the binary.
func buildVersion() versionInfo {
	v := versionInfo{version: Version, goVersion: runtime.Version(), commit: Commit}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.GoVersion != "" {
		v.goVersion = bi.GoVersion
	}
	if v.version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v.version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if v.commit == "" {
				v.commit = s.Value
			}
		case "vcs.modified":
			v.modified = s.Value == "true" && Commit == ""
		case "vcs.time":
			if Commit == "" {
				v.time = s.Value
			}
		}
	}
	return v
}
