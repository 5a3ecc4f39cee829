package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/signdeck/signdeck/keyring"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/store"
)

// TokenStore is where login stores a token and logout removes it.
// *keyring.Tokens implements it.
type TokenStore interface {
	Set(ctx context.Context, account, secret string) error
	Delete(ctx context.Context, account string) error
}

// LoginRequest is one login.
type LoginRequest struct {
	Account Account // Name, Kind, Endpoint
	Secret  string
	// Build makes the account's client from a secret.
	Build  func(secret string) (providers.Provider, error)
	Tokens TokenStore
	// NoVerify stores the token without checking it.
	NoVerify bool
}

// LoginOutcome is what a login did.
type LoginOutcome struct {
	OpID     string
	Outcome  string
	Provider providers.Provider // the verified client (nil when not verified or failed)
	Info     providers.AccountInfo
	Verified bool
	Reason   string
	Err      error
}

// ErrNotStored: the token was refused by the provider, so it was not stored.
var ErrNotStored = errors.New("token not stored")

// Login is the one login rule: verify the token with the provider (unless
// NoVerify), then store it; a token that fails verification is never
// stored. The token itself never reaches the journal.
func (s *Service) Login(ctx context.Context, req LoginRequest) LoginOutcome {
	a := req.Account
	op := store.Op{ID: NewOperationID(), Action: ActionLogin, Account: a.Name, Provider: string(a.Kind), Endpoint: a.Endpoint}
	out := LoginOutcome{OpID: op.ID}
	if err := s.record(ctx, op); err != nil {
		out.Outcome, out.Err, out.Reason = OutcomeFailed, err, s.errText(err)
		return out
	}
	fail := func(err error) LoginOutcome {
		out.Outcome, out.Err, out.Reason = OutcomeFailed, err, s.errText(err)
		s.outcome(ctx, op.ID, store.Outcome{Outcome: OutcomeFailed, Reason: out.Reason})
		return out
	}
	p, err := req.Build(req.Secret)
	if err != nil {
		return fail(err)
	}
	if !req.NoVerify {
		info, err := p.Verify(ctx)
		if err != nil {
			return fail(fmt.Errorf("%w: %w", ErrNotStored, err))
		}
		out.Info, out.Verified, out.Provider = info, true, p
	}
	if err := req.Tokens.Set(ctx, a.Name, req.Secret); err != nil {
		out.Provider = nil
		return fail(err)
	}
	if out.Provider == nil {
		out.Provider = p
	}
	out.Outcome = OutcomeOK
	s.outcome(ctx, op.ID, store.Outcome{Outcome: OutcomeOK})
	return out
}

// Logout removes an account's stored token. No stored token is
// keyring.ErrNotFound, and nothing is journaled.
func (s *Service) Logout(ctx context.Context, a Account, tokens TokenStore) (string, error) {
	op := store.Op{ID: NewOperationID(), Action: ActionLogout, Account: a.Name, Provider: string(a.Kind), Endpoint: a.Endpoint}
	if err := s.record(ctx, op); err != nil {
		return "", err
	}
	err := tokens.Delete(ctx, a.Name)
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		s.outcome(ctx, op.ID, store.Outcome{Outcome: OutcomeSkipped, Reason: "no token was stored"})
	case err != nil:
		s.outcome(ctx, op.ID, store.Outcome{Outcome: OutcomeFailed, Reason: s.errText(err)})
	default:
		s.outcome(ctx, op.ID, store.Outcome{Outcome: OutcomeOK})
	}
	return op.ID, err
}
