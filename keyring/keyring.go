// Package keyring stores and resolves the API tokens signdeck uses for each
// configured account.
//
// A token comes from, in order:
//
//  1. the environment variable SIGNDECK_TOKEN_<ACCOUNT> (see [EnvName]);
//  2. a [Store]: the OS keyring ([NewOS], the freedesktop Secret Service on
//     Linux, via github.com/zalando/go-keyring) or an in-memory store
//     ([NewMemory]) for the demo and tests.
//
// [Tokens] puts the two together. Errors from this package never contain a
// token: they name the account, the operation and, for keyring failures,
// what to do about it.
package keyring

import (
	"context"
	"errors"
	"strings"

	"github.com/signdeck/signdeck/models"
)

// Source says where a token came from.
type Source string

// The places a token can come from.
const (
	SourceKeyring Source = "keyring"
	SourceEnv     Source = "env"
	SourceMemory  Source = "memory"
	SourceNone    Source = "none"
)

// Service is the keyring service name signdeck's tokens are stored under;
// the keyring user name is the account name.
const Service = "signdeck"

// EnvPrefix starts the name of every token environment variable.
const EnvPrefix = "SIGNDECK_TOKEN_"

// Sentinel errors; test for them with errors.Is. The errors actually
// returned are more specific ([*UnavailableError], [*TimeoutError]) and carry
// a message that tells the user what to do.
var (
	// ErrNotFound: no token is stored for the account.
	ErrNotFound = errors.New("keyring: no token stored for the account")
	// ErrUnavailable: no Secret Service / OS keyring could be reached.
	ErrUnavailable = errors.New("keyring: no OS keyring (Secret Service) is reachable")
	// ErrTimeout: the keyring did not answer in time; an unlock prompt may
	// be pending.
	ErrTimeout = errors.New("keyring: the OS keyring did not answer in time")
	// ErrInvalidSecret: Tokens.Set was given an empty, multi-line or
	// otherwise unusable token.
	ErrInvalidSecret = errors.New("keyring: invalid token")
	// ErrTooBig: the keyring refused the token as too large.
	ErrTooBig = errors.New("keyring: token too large for the OS keyring")
)

// Store is a secret backend keyed by account name.
type Store interface {
	// Get returns the secret stored for account, or an error matching
	// ErrNotFound when there is none.
	Get(ctx context.Context, account string) (string, error)
	// Set stores secret for account, replacing any previous one.
	Set(ctx context.Context, account, secret string) error
	// Delete removes account's secret, or returns an error matching
	// ErrNotFound when there is none.
	Delete(ctx context.Context, account string) error
	// Source is where tokens from this store come from.
	Source() Source
}

// EnvName is the environment variable that holds account's token:
// "SIGNDECK_TOKEN_" followed by the account name upper-cased, with every
// character outside A-Z and 0-9 turned into '_'. For example "c1-stage"
// gives "SIGNDECK_TOKEN_C1_STAGE".
//
// Distinct accounts can share a variable ("a.b" and "a-b" both give
// SIGNDECK_TOKEN_A_B); such a variable applies to both.
func EnvName(account string) string {
	var b strings.Builder
	b.Grow(len(EnvPrefix) + len(account))
	b.WriteString(EnvPrefix)
	for _, r := range account {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// validateAccount checks account against models.ValidateAccountName and
// prefixes the error with the operation.
func validateAccount(op, account string) error {
	if err := models.ValidateAccountName(account); err != nil {
		return &opError{op: op, err: err}
	}
	return nil
}

// opError prefixes an error with the keyring operation that failed.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return "keyring: " + e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }
