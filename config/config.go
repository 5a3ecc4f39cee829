// Package config reads signdeck's YAML config file: the accounts to show,
// UI settings and key rebindings.
//
// The file is found with [ResolvePath]: --config, else $SIGNDECK_CONFIG,
// else $XDG_CONFIG_HOME/signdeck/config.yaml. [Parse] walks the YAML node
// tree itself so that every problem is reported with file, line, column
// and key path ([Error]), all of them at once ([Errors]). Secrets are never
// accepted in the file: tokens live in the keyring (`signdeck auth login`)
// or in SIGNDECK_TOKEN_<ACCOUNT>.
package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/signdeck/signdeck/models"
)

// Provider defaults.
const (
	DefaultDropboxSignURL    = "https://api.hellosign.com/v3"
	DefaultConstellation1URL = "https://api.esignonline.net/rest"
	// DefaultReturnURL is where Constellation1 sends a signer after signing
	// when the account sets no return_url. It is a placeholder: the
	// provider requires some URL, and this one is the provider's own site.
	DefaultReturnURL = "https://www.esignonline.net/"
)

// UI defaults and limits.
const (
	DefaultRefreshInterval = 60 * time.Second
	// MinRefreshInterval is the shortest auto refresh accepted (0, which
	// turns auto refresh off, aside), to stay clear of provider rate limits.
	MinRefreshInterval = 5 * time.Second
)

// EnvConfig names the environment variable that points at the config file.
const EnvConfig = "SIGNDECK_CONFIG"

// Sources of the config path, as reported by [NotFoundError].
const (
	SourceFlag    = "--config"
	SourceEnv     = "$" + EnvConfig
	SourceDefault = "default"
)

// maxFileSize bounds what Load reads; a real config is a few kilobytes.
const maxFileSize = 1 << 20

// MinimalExample is a small valid config, shown when no config file exists.
const MinimalExample = `accounts:
  - name: acme
    provider: dropboxsign
    test_mode: true
`

// KeyActions are the TUI actions that the keys section can rebind.
// It matches the dashboard's action names (a cli test checks that the
// dashboard accepts every one).
var KeyActions = []string{"up", "down", "top", "bottom", "pageup", "pagedown", "filter", "detail",
	"scrollup", "scrolldown", "mark", "clearmarks", "cancel", "copy", "refresh", "accounts", "view", "open",
	"login", "logout", "sort", "reverse", "help", "quit", "remind", "send", "download", "yank", "browse", "log"}

// Config is a parsed config file.
type Config struct {
	// Path is the file the config was read from (Load), or the file name
	// given to Parse.
	Path     string
	Accounts []Account
	UI       UI
	// Keys maps an action from KeyActions to the keys bound to it, as
	// written in the file (for example "ctrl+r"). Actions not listed keep
	// their default keys. Nil when the file rebinds nothing.
	Keys map[string][]string
}

// Account is one configured provider account.
type Account struct {
	Name     string
	Provider models.ProviderKind
	// BaseURL is the provider's API root, without a trailing slash;
	// defaulted to DefaultDropboxSignURL or DefaultConstellation1URL.
	BaseURL string

	// Dropbox Sign only.
	TestMode bool // copies are sent as test requests
	Team     bool // list the whole team's requests (account_id=all)

	// Constellation1 only.
	Username     string   // the agent's sign-in email
	Transactions []string // transaction ids whose sessions are listed
	ReturnURL    string   // where signers land after signing; defaulted to DefaultReturnURL
}

// UI holds the dashboard settings.
type UI struct {
	// RefreshInterval is the auto refresh period; 0 turns auto refresh off.
	// Defaulted to DefaultRefreshInterval.
	RefreshInterval time.Duration
	// Readonly hides and refuses every action that changes a session.
	Readonly bool
}

// Default returns the settings of an empty config file.
func Default() *Config {
	return &Config{UI: UI{RefreshInterval: DefaultRefreshInterval}}
}

// Account returns the account with the given name.
func (c *Config) Account(name string) (Account, bool) {
	for _, a := range c.Accounts {
		if a.Name == name {
			return a, true
		}
	}
	return Account{}, false
}

// AccountNames returns the account names in file order.
func (c *Config) AccountNames() []string {
	out := make([]string, len(c.Accounts))
	for i, a := range c.Accounts {
		out[i] = a.Name
	}
	return out
}

// DefaultBaseURL returns the production API root of a provider, or "" for
// an unknown provider.
func DefaultBaseURL(p models.ProviderKind) string {
	switch p {
	case models.DropboxSign:
		return DefaultDropboxSignURL
	case models.Constellation1:
		return DefaultConstellation1URL
	}
	return ""
}

// ResolvePath picks the config file: flag when set, else $SIGNDECK_CONFIG,
// else $XDG_CONFIG_HOME/signdeck/config.yaml (see DefaultPath). explicit is
// false only for that default. A leading "~/" is expanded to the home
// directory. path is empty only when no default can be determined (no
// home directory).
func ResolvePath(flag string) (path string, explicit bool) {
	p, src := resolve(flag)
	return p, src != SourceDefault
}

func resolve(flag string) (path, source string) {
	if flag != "" {
		return expandHome(flag), SourceFlag
	}
	if env := os.Getenv(EnvConfig); env != "" {
		return expandHome(env), SourceEnv
	}
	p, _ := DefaultPath()
	return p, SourceDefault
}

// DefaultPath returns $XDG_CONFIG_HOME/signdeck/config.yaml, reading the
// environment at call time. When XDG_CONFIG_HOME is unset or relative it
// falls back to os.UserConfigDir (~/.config on Linux, ~/Library/Application
// Support on macOS, %AppData% on Windows).
func DefaultPath() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		var err error
		if dir, err = userConfigDir(); err != nil {
			return "", fmt.Errorf("cannot find the config directory (%v); pass --config or set %s", err, EnvConfig)
		}
	}
	return filepath.Join(dir, "signdeck", "config.yaml"), nil
}

// userConfigDir is os.UserConfigDir, except that a relative
// XDG_CONFIG_HOME, which the XDG spec says to ignore, falls back to
// ~/.config instead of failing.
func userConfigDir() (string, error) {
	d, err := os.UserConfigDir()
	if err == nil {
		return d, nil
	}
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" && !filepath.IsAbs(x) {
		if home, herr := os.UserHomeDir(); herr == nil {
			return filepath.Join(home, ".config"), nil
		}
	}
	return "", err
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

// Load reads and parses the config file chosen by ResolvePath(flag). A
// missing file gives a *NotFoundError (errors.Is(err, ErrNotFound)) whose
// message helps a first run; a file with problems gives *Error or Errors.
func Load(flag string) (*Config, error) {
	path, src := resolve(flag)
	if path == "" {
		_, err := DefaultPath()
		return nil, err
	}
	data, err := readFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &NotFoundError{Path: path, Source: src}
		}
		return nil, err
	}
	return Parse(path, data)
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("config %s is a directory, not a file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("config %s is larger than %d bytes; is it the right file?", path, maxFileSize)
	}
	return data, nil
}
