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
	"runtime"
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
	"login", "logout", "sort", "reverse", "help", "quit", "remind", "send", "download", "yank", "browse", "log", "ages",
	"fixsigner", "extend", "palette"}

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

	// Views are the saved filters shown as views (views:), in file order.
	Views []View

	// NoCache is `cache: false`: sessions are not kept in the local store
	// and the dashboard opens empty.
	NoCache bool

	// Warnings are problems that do not stop the config from being used
	// (Load: a file that other users can read). The CLI prints them on
	// stderr.
	Warnings []string

	// keyPos is where each key of Keys is written, for KeyError.
	keyPos map[string][]pos
}

type pos struct {
	line, col int
	path      string
}

// KeyError returns a config *Error about the i-th key bound to action in
// the keys section, placed at that key in the file (at no position when
// the key is not in the file). Checks that need the dashboard's defaults
// (ui.CheckKeys) report their problems through it.
func (c *Config) KeyError(action string, i int, msg string) *Error {
	e := &Error{File: c.Path, Path: "keys", Msg: msg}
	if action != "" {
		e.Path += "." + action
	}
	if ps := c.keyPos[action]; i >= 0 && i < len(ps) {
		e.Line, e.Col, e.Path = ps[i].line, ps[i].col, ps[i].path
	}
	return e
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
	// Mouse turns on mouse support in the dashboard (click selects, wheel
	// scrolls). Off by default: it takes over the terminal's selection.
	Mouse bool
	// Theme is one of Themes, or "" (the same as "auto") when not set.
	Theme string
	// ExpiringDays and StalledDays are the windows, in days, of the
	// dashboard's "expiring" and "stalled" views and of `list --view`; 0
	// when not set (Expiring and Stalled give the defaults).
	ExpiringDays, StalledDays int
}

// MaxViewDays bounds ui.expiring_days and ui.stalled_days (ten years).
const MaxViewDays = 3650

// Expiring is the expiring view's window in days (ExpiringDays, else
// models.DefaultExpiringDays).
func (u UI) Expiring() int {
	if u.ExpiringDays > 0 {
		return u.ExpiringDays
	}
	return models.DefaultExpiringDays
}

// Stalled is the stalled view's window in days (StalledDays, else
// models.DefaultStalledDays).
func (u UI) Stalled() int {
	if u.StalledDays > 0 {
		return u.StalledDays
	}
	return models.DefaultStalledDays
}

// View is a saved filter shown as a view: a unique name and a filter in
// the dashboard's filter language (models.ParseFilter).
type View struct {
	Name   string
	Filter string
}

// View returns the saved view with the given name (case-insensitive).
func (c *Config) View(name string) (View, bool) {
	for _, v := range c.Views {
		if strings.EqualFold(v.Name, name) {
			return v, true
		}
	}
	return View{}, false
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
	data, warn, err := readFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &NotFoundError{Path: path, Source: src}
		}
		return nil, err
	}
	cfg, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	if warn != "" {
		cfg.Warnings = append(cfg.Warnings, warn)
	}
	return cfg, nil
}

// checkMode applies the permission rules to a config file: one that other
// users can write is refused (they could point base_url at their own host
// and receive the API key), one that they can read gets a warning. It
// does nothing on Windows, where the permission bits mean little.
func checkMode(path string, mode fs.FileMode) (warning string, err error) {
	if goos == "windows" {
		return "", nil
	}
	perm := mode.Perm()
	if perm&0o022 != 0 {
		who := "other users"
		if perm&0o002 == 0 {
			who = "its group"
		}
		return "", &Error{File: path, Msg: fmt.Sprintf("refusing a config file writable by %s (mode %04o): whoever can edit it can send your API key to their own server; fix it with: chmod 600 %s",
			who, perm, shellQuote(path))}
	}
	if perm&0o044 != 0 {
		return fmt.Sprintf("warning: config file %s is readable by other users (mode %04o); fix it with: chmod 600 %s", path, perm, shellQuote(path)), nil
	}
	return "", nil
}

// goos is runtime.GOOS; tests change it.
var goos = runtime.GOOS

// shellQuote quotes p for a command line when it needs it.
func shellQuote(p string) string {
	if p != "" && strings.IndexFunc(p, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '_' || r == '-' || r == '~' || r == '+' || r == ':' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) < 0 {
		return p
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}

func readFile(path string) ([]byte, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, "", fmt.Errorf("read config: %w", err)
	}
	if st.IsDir() {
		return nil, "", fmt.Errorf("config %s is a directory, not a file", path)
	}
	warn, err := checkMode(path, st.Mode())
	if err != nil {
		return nil, "", err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, "", fmt.Errorf("read config: %w", err)
	}
	if len(data) > maxFileSize {
		return nil, "", fmt.Errorf("config %s is larger than %d bytes; is it the right file?", path, maxFileSize)
	}
	return data, warn, nil
}
