package config

import (
	"encoding/json"

	"github.com/signdeck/signdeck/models"
)

// The definitions below are the one source of the keys the parser accepts
// (topKeys, accountKeys, uiKeys, the provider-only lists) and of the JSON
// Schema (Schema). A test parses a sample of every key through Parse and
// compares the schema with the parser's lists.

// valueKind is the shape of a setting's value.
type valueKind int

const (
	kindString valueKind = iota
	kindBool
	kindURL
	kindEmail
	kindDuration
	kindIDList
	kindEnum
	kindAccountName
	kindProvider
	kindDays
)

// setting is one key of a mapping.
type setting struct {
	name string
	kind valueKind
	desc string
	// provider, when set, is the only provider whose accounts take the key.
	provider models.ProviderKind
	enum     []string
	// sample is a valid YAML value, for the schema test.
	sample string
}

// Themes are the accepted values of ui.theme.
var Themes = []string{"auto", "dark", "light", "none"}

// SchemaURL is where the published schema lives (config/config.schema.json
// in the repository); `signdeck config init` points editors at it.
const SchemaURL = "https://raw.githubusercontent.com/signdeck/signdeck/main/config/config.schema.json"

var topSettings = []setting{
	{name: "accounts", desc: "The provider accounts to show, each with a unique name."},
	{name: "ui", desc: "Dashboard settings."},
	{name: "keys", desc: "Key rebinding: action name to a key or a list of keys. Actions not listed keep their default keys."},
	{name: "views", desc: "Saved filters shown as views in the dashboard (v cycles through them) and in `signdeck list --view NAME`: each a unique name and a filter in the dashboard's filter language."},
	{name: "cache", kind: kindBool, desc: "Keep listed sessions (titles, statuses, dates, signers' names and emails) in the local store so the dashboard opens at once; false turns the session cache off.", sample: "false"},
}

var accountSettings = []setting{
	{name: "name", kind: kindAccountName, desc: "Unique account name: letters, digits, '.', '_' and '-'. Used in refs (ACCOUNT/ID) and in SIGNDECK_TOKEN_<ACCOUNT>.", sample: "acme"},
	{name: "provider", kind: kindProvider, desc: "The e-signature provider.", sample: "dropboxsign"},
	{name: "base_url", kind: kindURL, desc: "The provider's API root; https:// (http:// only for loopback). Defaults to the production URL.", sample: "https://api.hellosign.com/v3"},
	{name: "test_mode", kind: kindBool, provider: models.DropboxSign, desc: "Copies are sent as test requests.", sample: "true"},
	{name: "team", kind: kindBool, provider: models.DropboxSign, desc: "List the whole team's requests (account_id=all).", sample: "false"},
	{name: "username", kind: kindEmail, provider: models.Constellation1, desc: "The agent's sign-in email (required for constellation1).", sample: "agent@example.com"},
	{name: "transactions", kind: kindIDList, provider: models.Constellation1, desc: "The transaction ids whose sessions are listed (required for constellation1).", sample: "[TX-1001]"},
	{name: "return_url", kind: kindURL, provider: models.Constellation1, desc: "Where signers land after signing; defaults to " + DefaultReturnURL + ".", sample: "https://example.com/done"},
}

var uiSettings = []setting{
	{name: "refresh_interval", kind: kindDuration, desc: "Auto refresh period, like 60s; 0 turns auto refresh off; at least 5s otherwise.", sample: "30s"},
	{name: "readonly", kind: kindBool, desc: "Hide and refuse every action that changes a session.", sample: "true"},
	{name: "mouse", kind: kindBool, desc: "Mouse support in the dashboard: a click selects a row, the wheel scrolls. Off by default because it takes over the terminal's text selection.", sample: "true"},
	{name: "theme", kind: kindEnum, enum: Themes, desc: "Colours: auto (follow the terminal's background), dark, light, or none (no colour).", sample: "light"},
	{name: "expiring_days", kind: kindDays, desc: "The expiring view shows sessions awaiting signature that expire within this many days (default 7).", sample: "14"},
	{name: "stalled_days", kind: kindDays, desc: "The stalled view shows sessions awaiting signature with no signer activity (a signature, or the request being sent) for this many days (default 7).", sample: "10"},
}

func names(ss []setting) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.name
	}
	return out
}

func onlyFor(ss []setting, p models.ProviderKind) []string {
	var out []string
	for _, s := range ss {
		if s.provider == p {
			out = append(out, s.name)
		}
	}
	return out
}

// durationPattern matches what the parser reads as a duration: 0, or Go
// duration syntax.
const durationPattern = `^\s*(0|-?([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*)\s*$`

func (s setting) schema() map[string]any {
	m := map[string]any{"description": s.desc}
	switch s.kind {
	case kindString:
		m["type"] = "string"
	case kindBool:
		m["type"] = "boolean"
	case kindURL:
		m["type"] = "string"
		m["format"] = "uri"
		m["pattern"] = "^https?://"
	case kindEmail:
		m["type"] = "string"
		m["format"] = "email"
	case kindDuration:
		m["anyOf"] = []any{
			map[string]any{"type": "string", "pattern": durationPattern},
			map[string]any{"const": 0},
		}
	case kindIDList:
		m["type"] = "array"
		m["minItems"] = 1
		m["uniqueItems"] = true
		m["items"] = map[string]any{"type": "string", "pattern": `^\S+$`}
	case kindEnum:
		m["enum"] = s.enum
	case kindAccountName:
		m["type"] = "string"
		m["pattern"] = `^[A-Za-z0-9._-]+$`
	case kindProvider:
		m["enum"] = []string{string(models.DropboxSign), string(models.Constellation1)}
	case kindDays:
		m["type"] = "integer"
		m["minimum"] = 1
		m["maximum"] = MaxViewDays
	}
	return m
}

func object(ss []setting) map[string]any {
	props := map[string]any{}
	for _, s := range ss {
		props[s.name] = s.schema()
	}
	return map[string]any{"type": "object", "additionalProperties": false, "properties": props}
}

// forbid says that a provider's accounts do not take the given keys.
func forbid(p models.ProviderKind, keys []string, required []string) map[string]any {
	props := map[string]any{}
	for _, k := range keys {
		props[k] = false
	}
	then := map[string]any{"properties": props}
	if len(required) > 0 {
		then["required"] = required
	}
	return map[string]any{
		"if":   map[string]any{"properties": map[string]any{"provider": map[string]any{"const": string(p)}}, "required": []string{"provider"}},
		"then": then,
	}
}

// Schema returns the JSON Schema (draft-07) of the config file, built from
// the definitions the parser uses. Editors with the YAML language server
// read it through the "# yaml-language-server: $schema=" comment that
// `signdeck config init` writes.
func Schema() []byte {
	account := object(accountSettings)
	account["required"] = []string{"name", "provider"}
	account["allOf"] = []any{
		forbid(models.DropboxSign, onlyFor(accountSettings, models.Constellation1), nil),
		forbid(models.Constellation1, onlyFor(accountSettings, models.DropboxSign), []string{"username", "transactions"}),
	}
	keyProps := map[string]any{}
	for _, a := range KeyActions {
		keyProps[a] = map[string]any{"$ref": "#/definitions/keys"}
	}
	top := object(topSettings)
	props := top["properties"].(map[string]any)
	for _, s := range topSettings {
		var m map[string]any
		switch s.name {
		case "accounts":
			m = map[string]any{"type": "array", "items": map[string]any{"$ref": "#/definitions/account"}}
		case "ui":
			m = object(uiSettings)
		case "keys":
			m = map[string]any{"type": "object", "additionalProperties": false, "properties": keyProps}
		case "cache":
			m = map[string]any{"type": "boolean"}
		case "views":
			m = map[string]any{"type": "array", "items": map[string]any{
				"type": "object", "additionalProperties": false, "required": []string{"name", "filter"},
				"properties": map[string]any{
					"name":   map[string]any{"type": "string", "minLength": 1, "description": "The view's name, unique; not active, expiring, stalled, expired, archived or deleted."},
					"filter": map[string]any{"type": "string", "minLength": 1, "description": "A filter, like \"cedar status:awaiting -signer:ana\"."},
				},
			}}
		}
		m["description"] = s.desc
		props[s.name] = m
	}
	doc := map[string]any{
		"$schema": "http://json-schema.org/draft-07/schema#",
		"$id":     SchemaURL,
		"title":   "signdeck config",
		"definitions": map[string]any{
			"account": account,
			"keys": map[string]any{
				"description": "A key (q, ctrl+r, space, enter, ...) or a list of keys.",
				"oneOf": []any{
					map[string]any{"type": "string", "minLength": 1},
					map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"type": "string", "minLength": 1}},
				},
			},
		},
	}
	for k, v := range top {
		doc[k] = v
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err) // only maps, slices and strings: cannot fail
	}
	return append(out, '\n')
}
