package keyring

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode"
)

// MaxTokenLen is the longest token Tokens.Set accepts, in bytes.
const MaxTokenLen = 8 << 10

// Tokens resolves an account's token: the environment variable
// EnvName(account) wins over the Store.
type Tokens struct {
	// Store holds saved tokens; nil means the environment only.
	Store Store
	// LookupEnv reads the environment; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// ErrNoStore is returned by Tokens.Set and Tokens.Delete when Tokens has
// no Store.
var ErrNoStore = errors.New("keyring: no token store configured")

func (t *Tokens) env(account string) (string, bool) {
	lookup := t.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	v, ok := lookup(EnvName(account))
	if !ok {
		return "", false
	}
	v = strings.TrimSpace(v)
	return v, v != ""
}

// Get returns account's token and where it came from: the environment
// variable EnvName(account) if it is set and not blank (surrounding
// whitespace is trimmed), else the Store. It returns a *NotFoundError
// (ErrNotFound) when neither has one, and the Store's error (for instance
// ErrUnavailable or ErrTimeout) when the Store fails; src is SourceNone
// whenever err is not nil.
func (t *Tokens) Get(ctx context.Context, account string) (token string, src Source, err error) {
	if err := validateAccount("read token", account); err != nil {
		return "", SourceNone, err
	}
	if v, ok := t.env(account); ok {
		return v, SourceEnv, nil
	}
	if t.Store == nil {
		return "", SourceNone, &NotFoundError{Account: account, Where: SourceNone}
	}
	v, err := t.Store.Get(ctx, account)
	if errors.Is(err, ErrNotFound) {
		return "", SourceNone, &NotFoundError{Account: account, Where: SourceNone}
	}
	if err != nil {
		return "", SourceNone, err
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", SourceNone, &NotFoundError{Account: account, Where: SourceNone}
	}
	return v, t.Store.Source(), nil
}

// Source reports where account's token would come from, without returning
// it: SourceEnv, the Store's Source, or SourceNone (with a nil error) when
// there is none. When the Store fails it returns SourceNone and the Store's
// error (for instance ErrUnavailable).
func (t *Tokens) Source(ctx context.Context, account string) (Source, error) {
	_, src, err := t.Get(ctx, account)
	if errors.Is(err, ErrNotFound) {
		return SourceNone, nil
	}
	return src, err
}

// Set saves secret as account's token in the Store, with surrounding
// whitespace trimmed. It refuses (with an error matching ErrInvalidSecret,
// which never contains the secret) a token that is empty or blank, spans
// more than one line, holds other control characters, or is longer than
// MaxTokenLen. The environment is not consulted: a set environment
// variable still wins over the saved token.
func (t *Tokens) Set(ctx context.Context, account, secret string) error {
	if err := validateAccount("save token", account); err != nil {
		return err
	}
	secret = strings.TrimSpace(secret)
	if err := checkSecret(account, secret); err != nil {
		return err
	}
	if t.Store == nil {
		return &opError{op: fmt.Sprintf("save token for account %q", account), err: ErrNoStore}
	}
	return t.Store.Set(ctx, account, secret)
}

// Delete removes account's token from the Store; the error matches
// ErrNotFound when the Store has none. The environment is not affected.
func (t *Tokens) Delete(ctx context.Context, account string) error {
	if err := validateAccount("delete token", account); err != nil {
		return err
	}
	if t.Store == nil {
		return &opError{op: fmt.Sprintf("delete token for account %q", account), err: ErrNoStore}
	}
	return t.Store.Delete(ctx, account)
}

// InvalidSecretError says why a token was refused; it matches
// ErrInvalidSecret and never contains the token.
type InvalidSecretError struct {
	Account string
	Reason  string
}

func (e *InvalidSecretError) Error() string {
	return fmt.Sprintf("keyring: token for account %q not saved: %s", e.Account, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidSecret) true.
func (e *InvalidSecretError) Is(target error) bool { return target == ErrInvalidSecret }

// checkSecret validates an already trimmed secret.
func checkSecret(account, secret string) error {
	reason := ""
	switch {
	case secret == "":
		reason = "it is empty"
	case strings.ContainsAny(secret, "\n\r\u2028\u2029\u0085"):
		reason = "it spans more than one line; paste the token alone, on one line"
	case len(secret) > MaxTokenLen:
		reason = fmt.Sprintf("it is longer than %d bytes", MaxTokenLen)
	case strings.ContainsFunc(secret, unicode.IsControl):
		reason = "it contains control characters"
	}
	if reason == "" {
		return nil
	}
	return &InvalidSecretError{Account: account, Reason: reason}
}
