package keyring

import (
	"context"
	"maps"
	"slices"
	"sync"
)

// Memory is a concurrency-safe in-memory Store, for the demo and tests.
// Its Source is SourceMemory. The zero value is an empty, usable store.
type Memory struct {
	mu      sync.Mutex
	secrets map[string]string
}

var _ Store = (*Memory)(nil)

// NewMemory returns a Memory holding a copy of initial (which may be nil).
func NewMemory(initial map[string]string) *Memory {
	m := &Memory{secrets: make(map[string]string, len(initial))}
	for k, v := range initial {
		m.secrets[k] = v
	}
	return m
}

// Get returns account's secret, or a NotFoundError.
func (m *Memory) Get(ctx context.Context, account string) (string, error) {
	if err := validateAccount("read token", account); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.secrets[account]
	if !ok {
		return "", &NotFoundError{Account: account, Where: SourceMemory}
	}
	return s, nil
}

// Set stores secret for account.
func (m *Memory) Set(ctx context.Context, account, secret string) error {
	if err := validateAccount("save token", account); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.secrets == nil {
		m.secrets = make(map[string]string)
	}
	m.secrets[account] = secret
	return nil
}

// Delete removes account's secret, or returns a NotFoundError.
func (m *Memory) Delete(ctx context.Context, account string) error {
	if err := validateAccount("delete token", account); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.secrets[account]; !ok {
		return &NotFoundError{Account: account, Where: SourceMemory}
	}
	delete(m.secrets, account)
	return nil
}

// Source returns SourceMemory.
func (m *Memory) Source() Source { return SourceMemory }

// Accounts returns the accounts that have a secret, sorted.
func (m *Memory) Accounts() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.secrets))
}
