package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
)

// errLines parses src and returns the error, one message per line.
func errLines(t *testing.T, src string) []string {
	t.Helper()
	cfg, err := Parse("config.yaml", []byte(src))
	if err == nil {
		t.Fatalf("Parse succeeded, want an error; got %+v", cfg)
	}
	if cfg != nil {
		t.Errorf("Parse returned a config along with the error")
	}
	return strings.Split(err.Error(), "\n")
}

const actions = "up, down, top, bottom, pageup, pagedown, filter, detail, scrollup, scrolldown, mark, clearmarks, cancel, copy, refresh, accounts, view, open, login, logout, sort, reverse, help, quit, remind, send, download, yank, browse, log, ages, fixsigner, extend, palette"

const need = "a constellation1 account needs both username (the agent's sign-in email) and transactions (the transaction ids to list)"

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "unknown provider",
			src: `ui:
  readonly: false
accounts:
  - name: acme
    provider: dropboxsign
  - name: other
    provider: docusign
`,
			want: []string{`config.yaml:7:15: accounts[1].provider: unknown provider "docusign" (want dropboxsign or constellation1)`},
		},
		{
			name: "unknown provider close to a known one",
			src: `accounts:
  - name: acme
    provider: dropbox-sign
`,
			want: []string{`config.yaml:3:15: accounts[0].provider: unknown provider "dropbox-sign" (want dropboxsign or constellation1); did you mean dropboxsign?`},
		},
		{
			name: "unknown account key with suggestion",
			src: `accounts:
  - name: acme
    provider: dropboxsign
    base_ur: https://api.hellosign.com/v3
`,
			want: []string{`config.yaml:4:5: accounts[0].base_ur: unknown key; did you mean base_url?`},
		},
		{
			name: "unknown ui key, truncated",
			src: `ui:
  refresh: 30s
`,
			want: []string{`config.yaml:2:3: ui.refresh: unknown key; did you mean refresh_interval?`},
		},
		{
			name: "unknown top-level key without suggestion",
			src:  "colour: red\n",
			want: []string{`config.yaml:1:1: colour: unknown key; the file takes accounts, ui, keys, views, cache`},
		},
		{
			name: "transactions scalar",
			src: `accounts:
  - name: c1
    provider: constellation1
    username: agent@example.com
    transactions: TX-1
`,
			want: []string{`config.yaml:5:19: accounts[0].transactions: want a list, like [TX-1001, TX-1002], got "TX-1"`},
		},
		{
			name: "transaction ids: duplicate, empty, spaces, mapping",
			src: `accounts:
  - name: c1
    provider: constellation1
    username: agent@example.com
    transactions: [TX-1, TX-1, "", "TX 2", {id: 3}]
`,
			want: []string{
				`config.yaml:5:26: accounts[0].transactions[1]: duplicate transaction id "TX-1" (first at line 5:20)`,
				`config.yaml:5:32: accounts[0].transactions[2]: empty transaction id`,
				`config.yaml:5:36: accounts[0].transactions[3]: transaction id "TX 2" holds spaces or control characters`,
				`config.yaml:5:44: accounts[0].transactions[4]: want a transaction id, got a mapping`,
			},
		},
		{
			name: "readonly not a bool",
			src: `ui:
  readonly: maybe
`,
			want: []string{`config.yaml:2:13: ui.readonly: want true or false, got "maybe"`},
		},
		{
			name: "refresh_interval not a duration",
			src: `ui:
  refresh_interval: soon
`,
			want: []string{`config.yaml:2:21: ui.refresh_interval: want a duration like 60s or 0, got "soon"`},
		},
		{
			name: "refresh_interval without unit",
			src: `ui:
  refresh_interval: 60
`,
			want: []string{`config.yaml:2:21: ui.refresh_interval: want a duration with a unit, like 60s or 0, got 60`},
		},
		{
			name: "refresh_interval negative",
			src: `ui:
  refresh_interval: -5s
`,
			want: []string{`config.yaml:2:21: ui.refresh_interval: must not be negative; use 0 to turn auto refresh off`},
		},
		{
			name: "refresh_interval negative integer",
			src: `ui:
  refresh_interval: -1
`,
			want: []string{`config.yaml:2:21: ui.refresh_interval: must not be negative; use 0 to turn auto refresh off`},
		},
		{
			name: "refresh_interval too short",
			src: `ui:
  refresh_interval: 1s
`,
			want: []string{`config.yaml:2:21: ui.refresh_interval: 1s is too short; use at least 5s, or 0 to turn auto refresh off`},
		},
		{
			name: "ui not a mapping",
			src:  "ui: fast\n",
			want: []string{`config.yaml:1:5: ui: want a mapping with refresh_interval, readonly, mouse, theme, expiring_days, stalled_days, got "fast"`},
		},
		{
			name: "duplicate account name names both lines",
			src: `accounts:
  - name: acme
    provider: dropboxsign
  - name: acme
    provider: dropboxsign
`,
			want: []string{`config.yaml:4:11: accounts[1].name: duplicate account name "acme" (first at line 2:11); names must be unique`},
		},
		{
			name: "account names differing only in case",
			src: `accounts:
  - name: acme
    provider: dropboxsign
  - name: ACME
    provider: dropboxsign
`,
			want: []string{`config.yaml:4:11: accounts[1].name: account name "ACME" differs from "acme" (line 2:11) only in letter case; names must be unique`},
		},
		{
			name: "duplicate mapping key",
			src: `ui:
  readonly: true
  readonly: false
`,
			want: []string{`config.yaml:3:3: ui.readonly: duplicate key (first at line 2:3)`},
		},
		{
			name: "missing name",
			src: `accounts:
  - provider: dropboxsign
`,
			want: []string{`config.yaml:2:5: accounts[0].name: missing; every account needs a unique name`},
		},
		{
			name: "name without value",
			src: `accounts:
  - provider: dropboxsign
    name:
`,
			want: []string{`config.yaml:3:5: accounts[0].name: missing; every account needs a unique name`},
		},
		{
			name: "missing provider",
			src: `accounts:
  - name: acme
`,
			want: []string{`config.yaml:2:5: accounts[0].provider: missing; want dropboxsign or constellation1`},
		},
		{
			name: "invalid account name",
			src: `accounts:
  - name: acme corp
    provider: dropboxsign
`,
			want: []string{`config.yaml:2:11: accounts[0].name: account name "acme corp" may only hold letters, digits, '.', '_' and '-'`},
		},
		{
			name: "name not a string",
			src: `accounts:
  - name: [acme]
    provider: dropboxsign
`,
			want: []string{`config.yaml:2:11: accounts[0].name: want a string, got a list`},
		},
		{
			name: "plain http base URL",
			src: `accounts:
  - name: acme
    provider: dropboxsign
    base_url: http://api.example.com/v3
`,
			want: []string{`config.yaml:4:15: accounts[0].base_url: base URL "http://api.example.com/v3" must use https:// (plain http is only allowed for loopback hosts)`},
		},
		{
			name: "empty base URL",
			src: `accounts:
  - name: acme
    provider: dropboxsign
    base_url: ""
`,
			want: []string{`config.yaml:4:15: accounts[0].base_url: is empty; leave base_url out to use the provider's production URL`},
		},
		{
			name: "dropboxsign setting on a constellation1 account",
			src: `accounts:
  - name: c1
    provider: constellation1
    username: agent@example.com
    transactions: [TX-1]
    team: true
`,
			want: []string{`config.yaml:6:5: accounts[0].team: team is a dropboxsign setting; account c1 uses constellation1`},
		},
		{
			name: "constellation1 setting on a dropboxsign account",
			src: `accounts:
  - name: acme
    provider: dropboxsign
    username: agent@example.com
`,
			want: []string{`config.yaml:4:5: accounts[0].username: username is a constellation1 setting; account acme uses dropboxsign`},
		},
		{
			name: "provider-specific key before the name",
			src: `accounts:
  - return_url: https://example.com/
    provider: dropboxsign
    name: acme
`,
			want: []string{`config.yaml:2:5: accounts[0].return_url: return_url is a constellation1 setting; account acme uses dropboxsign`},
		},
		{
			name: "constellation1 without username and transactions",
			src: `accounts:
  - name: c1
    provider: constellation1
`,
			want: []string{
				`config.yaml:2:5: accounts[0].username: missing; ` + need,
				`config.yaml:2:5: accounts[0].transactions: missing; ` + need,
			},
		},
		{
			name: "constellation1 with empty transactions",
			src: `accounts:
  - name: c1
    provider: constellation1
    username: agent@example.com
    transactions: []
`,
			want: []string{`config.yaml:5:19: accounts[0].transactions: is empty; ` + need},
		},
		{
			name: "constellation1 username not an email",
			src: `accounts:
  - name: c1
    provider: constellation1
    username: agent
    transactions: [TX-1]
`,
			want: []string{`config.yaml:4:15: accounts[0].username: want the agent's sign-in email, like agent@example.com, got "agent"`},
		},
		{
			name: "return URL not https",
			src: `accounts:
  - name: c1
    provider: constellation1
    username: agent@example.com
    transactions: [TX-1]
    return_url: http://example.com/done
`,
			want: []string{`config.yaml:6:17: accounts[0].return_url: return URL "http://example.com/done" must use https:// (plain http is only allowed for loopback hosts)`},
		},
		{
			name: "keys: unknown action with suggestion",
			src: `keys:
  quitt: q
`,
			want: []string{`config.yaml:2:3: keys.quitt: unknown action "quitt"; did you mean quit? The actions are ` + actions},
		},
		{
			name: "keys: unknown action",
			src: `keys:
  launch: l
`,
			want: []string{`config.yaml:2:3: keys.launch: unknown action "launch"; the actions are ` + actions},
		},
		{
			name: "keys: empty key string",
			src: `keys:
  quit: ""
  help: [h, " "]
`,
			want: []string{
				`config.yaml:2:9: keys.quit: empty key; write the key's name, like q, ctrl+r or space`,
				`config.yaml:3:13: keys.help[1]: empty key; write the key's name, like q, ctrl+r or space`,
			},
		},
		{
			name: "keys: empty list and no value",
			src: `keys:
  quit: []
  help:
`,
			want: []string{
				`config.yaml:2:9: keys.quit: empty list; give at least one key (an action cannot be unbound)`,
				`config.yaml:3:3: keys.help: no keys given; want a key or a list of keys, like [q, ctrl+c]`,
			},
		},
		{
			name: "keys: one key bound to two actions",
			src: `keys:
  quit: [q, ctrl+c]
  help: q
`,
			want: []string{`config.yaml:3:9: keys.help: key "q" is already bound to quit (line 2:10)`},
		},
		{
			name: "keys: not a mapping",
			src:  "keys: [q]\n",
			want: []string{`config.yaml:1:7: keys: want a mapping from action to keys, like quit: [q, ctrl+c], got a list`},
		},
		{
			name: "accounts not a list",
			src:  "accounts: acme\n",
			want: []string{`config.yaml:1:11: accounts: want a list of accounts, each starting with "- name:", got "acme"`},
		},
		{
			name: "account not a mapping",
			src: `accounts:
  - acme
`,
			want: []string{`config.yaml:2:5: accounts[0]: want an account (a mapping with name and provider), got "acme"`},
		},
		{
			name: "root not a mapping",
			src:  "- acme\n",
			want: []string{`config.yaml:1:1: want a mapping with the keys accounts, ui and keys, got a list`},
		},
		{
			name: "merge key",
			src: `ui:
  <<: {readonly: true}
`,
			want: []string{`config.yaml:2:3: ui: merge keys (<<) are not supported; write the settings out`},
		},
		{
			name: "second document",
			src: `ui:
  readonly: true
---
ui:
  readonly: false
`,
			want: []string{`config.yaml:3:1: the file holds a second YAML document (after a --- line); signdeck reads only one`},
		},
		{
			name: "several problems are all reported in file order",
			src: `keys:
  quitt: q
accounts:
  - name: acme
    provider: dropboxsign
    team: sometimes
  - name: c1
    provider: constellation1
    test_mode: true
ui:
  refresh_interval: soon
`,
			want: []string{
				`config.yaml:2:3: keys.quitt: unknown action "quitt"; did you mean quit? The actions are ` + actions,
				`config.yaml:6:11: accounts[0].team: want true or false, got "sometimes"`,
				`config.yaml:7:5: accounts[1].username: missing; ` + need,
				`config.yaml:7:5: accounts[1].transactions: missing; ` + need,
				`config.yaml:9:5: accounts[1].test_mode: test_mode is a dropboxsign setting; account c1 uses constellation1`,
				`config.yaml:11:21: ui.refresh_interval: want a duration like 60s or 0, got "soon"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := errLines(t, tt.src)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(tt.want, "\n      "))
			}
		})
	}
}

func TestErrorTypes(t *testing.T) {
	_, err := Parse("config.yaml", []byte("ui:\n  readonly: maybe\n"))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("single problem: want *Error, got %T", err)
	}
	want := Error{File: "config.yaml", Line: 2, Col: 13, Path: "ui.readonly", Msg: `want true or false, got "maybe"`}
	if *e != want {
		t.Errorf("got %+v, want %+v", *e, want)
	}

	_, err = Parse("config.yaml", []byte("ui:\n  readonly: maybe\n  refresh_interval: soon\n"))
	var es Errors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Fatalf("two problems: want Errors of 2, got %T %v", err, err)
	}
	if !errors.As(err, &e) || e.Path != "ui.readonly" {
		t.Errorf("errors.As on Errors should find the first *Error, got %+v", e)
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "c.yaml", Line: 3, Col: 4, Path: "ui", Msg: "bad"}, "c.yaml:3:4: ui: bad"},
		{Error{File: "c.yaml", Line: 3, Msg: "bad"}, "c.yaml:3: bad"},
		{Error{File: "c.yaml", Msg: "bad"}, "c.yaml: bad"},
		{Error{Path: "ui", Msg: "bad"}, "ui: bad"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestSyntaxErrorKeepsLineAndFile(t *testing.T) {
	tests := []struct {
		src      string
		line     int
		contains string
	}{
		// Parser errors: yaml.v3 counts these lines from 0.
		{"accounts:\n  - name: acme\n    provider: [dropboxsign\n", 3, "did not find expected ',' or ']'"},
		{"ui:\n  readonly: true\n- x\n", 3, "did not find expected key"},
		{"ui: [1, 2", 1, "did not find expected ',' or ']'"},
		{"ui:\n  readonly: true\nkeys: {quit: q\n", 3, "did not find expected ',' or '}'"},
		// Scanner errors: already counted from 1.
		{"accounts:\n\t- name: acme\n", 2, "found character that cannot start any token"},
		{"ui:\n  readonly: true\n  x: y\n    z: w\n", 4, "mapping values are not allowed in this context"},
		{"ui:\n  readonly: \"true\n", 2, "found unexpected end of stream"},
	}
	for _, tt := range tests {
		_, err := Parse("my.yaml", []byte(tt.src))
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%q: want *Error, got %T %v", tt.src, err, err)
		}
		if e.File != "my.yaml" || e.Line != tt.line || !strings.Contains(e.Msg, tt.contains) {
			t.Errorf("%q: got %+v, want my.yaml line %d containing %q", tt.src, *e, tt.line, tt.contains)
		}
		if !strings.HasPrefix(err.Error(), "my.yaml:") || strings.Contains(err.Error(), "yaml: line") {
			t.Errorf("%q: message %q should start with the file and not repeat yaml's prefix", tt.src, err)
		}
	}
}

func TestSecretsRefused(t *testing.T) {
	const secret = "sk_live_0123456789abcdef"
	tests := []struct {
		name     string
		src      string
		want     string // Error() prefix: position and path
		login    string
		env      string
		accounts bool
	}{
		{
			name:  "token in an account",
			src:   "accounts:\n  - name: c1-stage\n    provider: dropboxsign\n    token: " + secret + "\n",
			want:  "config.yaml:4:5: accounts[0].token: ",
			login: "`signdeck auth login c1-stage`",
			env:   "SIGNDECK_TOKEN_C1_STAGE",
		},
		{
			name:  "api_key before the name",
			src:   "accounts:\n  - api_key: " + secret + "\n    name: acme\n    provider: dropboxsign\n",
			want:  "config.yaml:2:5: accounts[0].api_key: ",
			login: "`signdeck auth login acme`",
			env:   "SIGNDECK_TOKEN_ACME",
		},
		{
			name:  "apikey at top level",
			src:   "apikey: " + secret + "\n",
			want:  "config.yaml:1:1: apikey: ",
			login: "`signdeck auth login ACCOUNT`",
			env:   "SIGNDECK_TOKEN_<ACCOUNT>",
		},
		{
			name:  "password in ui",
			src:   "ui:\n  password: " + secret + "\n",
			want:  "config.yaml:2:3: ui.password: ",
			login: "`signdeck auth login ACCOUNT`",
			env:   "SIGNDECK_TOKEN_<ACCOUNT>",
		},
		{
			name:  "secret under an unknown key",
			src:   "accounts:\n  - name: acme\n    provider: dropboxsign\n    auth:\n      secret: " + secret + "\n",
			want:  "config.yaml:5:7: accounts[0].auth.secret: ",
			login: "`signdeck auth login acme`",
			env:   "SIGNDECK_TOKEN_ACME",
		},
		{
			name:  "access-token spelling, quoted",
			src:   "accounts:\n  - name: acme\n    provider: dropboxsign\n    Access-Token: \"" + secret + "\"\n",
			want:  "config.yaml:4:5: accounts[0].Access-Token: ",
			login: "`signdeck auth login acme`",
			env:   "SIGNDECK_TOKEN_ACME",
		},
		{
			name:  "secret inside a list value",
			src:   "accounts:\n  - name: acme\n    provider: dropboxsign\n    extra: [{token: " + secret + "}]\n",
			want:  "config.yaml:4:14: accounts[0].extra[0].token: ",
			login: "`signdeck auth login acme`",
			env:   "SIGNDECK_TOKEN_ACME",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("config.yaml", []byte(tt.src))
			if err == nil {
				t.Fatal("a secret in the config was accepted")
			}
			msg := err.Error()
			if strings.Contains(msg, secret) || strings.Contains(msg, secret[:8]) {
				t.Fatalf("the message echoes the secret: %s", msg)
			}
			var line string
			for _, l := range strings.Split(msg, "\n") {
				if strings.HasPrefix(l, tt.want) {
					line = l
				}
			}
			if line == "" {
				t.Fatalf("no error starting %q in:\n%s", tt.want, msg)
			}
			if !strings.Contains(line, tt.login) || !strings.Contains(line, tt.env) {
				t.Errorf("message should point to %s and %s: %s", tt.login, tt.env, line)
			}
		})
	}
}

func TestBaseURLErrorsDoNotEchoCredentials(t *testing.T) {
	for _, u := range []string{
		"https://user:hunter2hunter2@api.example.com/v3",
		"https://api.example.com/v3?api_key=hunter2hunter2",
	} {
		src := "accounts:\n  - name: acme\n    provider: dropboxsign\n    base_url: " + u + "\n"
		_, err := Parse("config.yaml", []byte(src))
		if err == nil {
			t.Fatalf("%s accepted", u)
		}
		if !strings.HasPrefix(err.Error(), "config.yaml:4:15: accounts[0].base_url: ") {
			t.Errorf("%s: wrong position or path: %v", u, err)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: message echoes the credential: %v", u, err)
		}
	}
}

func TestIsSecretKey(t *testing.T) {
	for _, k := range []string{"token", "api_key", "apikey", "password", "secret", "API_KEY", "api-key", "access_token", "client_secret", "passwd"} {
		if !isSecretKey(k) {
			t.Errorf("%q not treated as a secret", k)
		}
	}
	for _, k := range append(append(append([]string{}, accountKeys...), uiKeys...), KeyActions...) {
		if isSecretKey(k) {
			t.Errorf("known key %q treated as a secret", k)
		}
	}
}

func TestEmptyConfigs(t *testing.T) {
	for _, src := range []string{"", "# just a comment\n", "---\n", "accounts: []\n", "accounts:\nui:\nkeys: {}\n", "keys:\n"} {
		cfg, err := Parse("c.yaml", []byte(src))
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		want := &Config{Path: "c.yaml", UI: UI{RefreshInterval: 60 * time.Second}}
		if !reflect.DeepEqual(cfg, want) {
			t.Errorf("%q: got %+v, want %+v", src, cfg, want)
		}
	}
}

func TestDefaults(t *testing.T) {
	src := `accounts:
  - name: acme
    provider: dropboxsign
  - name: c1
    provider: constellation1
    username: agent@example.com
    transactions: [TX-1]
  - name: local
    provider: dropboxsign
    base_url: http://127.0.0.1:8080/v3/
ui:
  readonly: true
`
	cfg, err := Parse("c.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Path: "c.yaml",
		Accounts: []Account{
			{Name: "acme", Provider: models.DropboxSign, BaseURL: "https://api.hellosign.com/v3"},
			{Name: "c1", Provider: models.Constellation1, BaseURL: "https://api.esignonline.net/rest",
				Username: "agent@example.com", Transactions: []string{"TX-1"}, ReturnURL: "https://www.esignonline.net/"},
			{Name: "local", Provider: models.DropboxSign, BaseURL: "http://127.0.0.1:8080/v3"},
		},
		UI: UI{RefreshInterval: 60 * time.Second, Readonly: true},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}
}

func TestRefreshInterval(t *testing.T) {
	tests := map[string]time.Duration{"0": 0, "0s": 0, "5s": 5 * time.Second, "1m30s": 90 * time.Second, `"2m"`: 2 * time.Minute}
	for v, want := range tests {
		cfg, err := Parse("c.yaml", []byte("ui:\n  refresh_interval: "+v+"\n"))
		if err != nil {
			t.Errorf("%s: %v", v, err)
			continue
		}
		if cfg.UI.RefreshInterval != want {
			t.Errorf("%s: got %v, want %v", v, cfg.UI.RefreshInterval, want)
		}
	}
}

func TestKeysStringOrList(t *testing.T) {
	src := `keys:
  quit: [q, ctrl+c]
  help: "?"
  refresh: ctrl+r
`
	cfg, err := Parse("c.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"quit": {"q", "ctrl+c"}, "help": {"?"}, "refresh": {"ctrl+r"}}
	if !reflect.DeepEqual(cfg.Keys, want) {
		t.Errorf("got %v, want %v", cfg.Keys, want)
	}
}

func TestBriefExampleParses(t *testing.T) {
	src := `accounts:
  - name: acme                 # unique
    provider: dropboxsign      # dropboxsign | constellation1
    base_url: https://api.hellosign.com/v3   # optional
    test_mode: true
    team: false
  - name: c1-stage
    provider: constellation1
    base_url: https://api.stage.esignonline.net/rest
    username: agent@example.com
    transactions: [TX-1001, TX-1002]
    return_url: https://example.com/signdeck
ui:
  refresh_interval: 60s        # 0 turns auto refresh off
  readonly: false
keys: {}
`
	cfg, err := Parse("c.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	a, ok := cfg.Account("c1-stage")
	if !ok {
		t.Fatal("Account(c1-stage) not found")
	}
	want := Account{Name: "c1-stage", Provider: models.Constellation1, BaseURL: "https://api.stage.esignonline.net/rest",
		Username: "agent@example.com", Transactions: []string{"TX-1001", "TX-1002"}, ReturnURL: "https://example.com/signdeck"}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("got %+v, want %+v", a, want)
	}
	if a, _ := cfg.Account("acme"); !a.TestMode || a.Team {
		t.Errorf("acme: got %+v", a)
	}
	if _, ok := cfg.Account("nope"); ok {
		t.Error("Account(nope) found")
	}
	if got := cfg.AccountNames(); !reflect.DeepEqual(got, []string{"acme", "c1-stage"}) {
		t.Errorf("AccountNames: %v", got)
	}
}

func TestMinimalExampleParses(t *testing.T) {
	cfg, err := Parse("example", []byte(MinimalExample))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Accounts) != 1 {
		t.Errorf("got %d accounts", len(cfg.Accounts))
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"base_ur", "base_url"},
		{"Base-URL", "base_url"},
		{"testmode", "test_mode"},
		{"transaction", "transactions"},
		{"refresh", "refresh_interval"},
		{"url", ""},
		{"colour", ""},
	}
	known := append(append([]string{}, accountKeys...), uiKeys...)
	for _, tt := range tests {
		if got := suggest(tt.in, known); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
