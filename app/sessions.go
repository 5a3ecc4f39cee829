package app

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/signdeck/signdeck/models"
)

// SessionStore is what the session cache needs of the store. *store.DB
// implements it.
type SessionStore interface {
	PutSessions(ctx context.Context, account string, ss []models.Session) error
	DeleteSessions(ctx context.Context, account string, ids []string) error
	LoadSessions(ctx context.Context, account string, fn func(models.Session) error) error
	ClearSessions(ctx context.Context) error
	SyncState(ctx context.Context, account, key string) (string, time.Time, error)
	SetSyncState(ctx context.Context, account, key, value string) error
}

// Sync state keys.
const (
	// syncListed: when a listing of the account last completed (its time
	// is the "cached N min ago" of the dashboard).
	syncListed = "listed"
	// syncFull: when a full listing of the account last completed.
	syncFull = "full"
	// syncEndpoint: the base URL the account's cache was filled from.
	syncEndpoint = "endpoint"
)

// SessionCache is the write-through session cache over the store: front
// ends hand it every listed page (Put, which never blocks: one background
// writer stores the pages in order, one transaction per page) and open
// from it (Load).
//
// A lite row (Session.Complete false, Constellation1's list summaries)
// never overwrites the detail (signers, expiry) of a full row of the same
// session while the row has not changed (same status and update time):
// see MergeLite.
type SessionCache struct {
	db  SessionStore
	log *slog.Logger

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []cacheJob
	busy    bool
	closed  bool
	done    chan struct{}
	lastErr error
	// full holds the last full Constellation1 session of each ref whose
	// detail is cached, for MergeLite. Dropbox Sign lists full rows and
	// needs none.
	full map[models.Ref]models.Session
}

type cacheJob struct {
	account string
	put     []models.Session
	del     []string
	state   map[string]string
}

// NewSessionCache starts the cache's writer. Close stops it.
func NewSessionCache(db SessionStore, lg *slog.Logger) *SessionCache {
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	c := &SessionCache{db: db, log: lg, done: make(chan struct{}), full: map[models.Ref]models.Session{}}
	c.cond = sync.NewCond(&c.mu)
	go c.writer()
	return c
}

// Put queues a page of account's sessions for storing and returns at
// once. Lite rows are merged with the cached detail first.
func (c *SessionCache) Put(account string, ss []models.Session) {
	if c == nil || len(ss) == 0 {
		return
	}
	c.enqueue(cacheJob{account: account, put: slices.Clone(ss)})
}

// Delete queues the removal of account's sessions ids.
func (c *SessionCache) Delete(account string, ids []string) {
	if c == nil || len(ids) == 0 {
		return
	}
	c.enqueue(cacheJob{account: account, del: slices.Clone(ids)})
}

// Listed records, after the pages queued before it, that a listing of
// account completed (full: every session was listed).
func (c *SessionCache) Listed(account string, full bool, at time.Time) {
	if c == nil {
		return
	}
	v := at.UTC().Format(time.RFC3339Nano)
	st := map[string]string{syncListed: v}
	if full {
		st[syncFull] = v
	}
	c.enqueue(cacheJob{account: account, state: st})
}

func (c *SessionCache) enqueue(j cacheJob) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.queue = append(c.queue, j)
	c.cond.Broadcast()
}

func (c *SessionCache) writer() {
	defer close(c.done)
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && !c.closed {
			c.cond.Wait()
		}
		if len(c.queue) == 0 {
			c.mu.Unlock()
			return
		}
		j := c.queue[0]
		c.queue[0] = cacheJob{}
		c.queue = c.queue[1:]
		c.busy = true
		c.mu.Unlock()

		err := c.apply(j)

		c.mu.Lock()
		c.busy = false
		if err != nil {
			c.lastErr = err
			c.log.Warn("session cache write failed", "account", models.CleanText(j.account), "err", models.CleanText(err.Error()))
		}
		c.cond.Broadcast()
		c.mu.Unlock()
	}
}

func (c *SessionCache) apply(j cacheJob) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if len(j.put) > 0 {
		c.mu.Lock()
		for i := range j.put {
			s := &j.put[i]
			if s.Ref.Account == "" {
				s.Ref.Account = j.account
			}
			c.mergeLocked(s)
		}
		c.mu.Unlock()
		if err := c.db.PutSessions(ctx, j.account, j.put); err != nil {
			return err
		}
	}
	if len(j.del) > 0 {
		c.mu.Lock()
		for _, id := range j.del {
			delete(c.full, models.Ref{Account: j.account, ID: id})
		}
		c.mu.Unlock()
		if err := c.db.DeleteSessions(ctx, j.account, j.del); err != nil {
			return err
		}
	}
	for _, k := range []string{syncListed, syncFull} {
		if v, ok := j.state[k]; ok {
			if err := c.db.SetSyncState(ctx, j.account, k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// mergeLocked merges s with the cached full session of its ref and keeps
// s's detail for later lite rows. Call with c.mu held.
func (c *SessionCache) mergeLocked(s *models.Session) {
	if s.Complete {
		if s.Provider == models.Constellation1 {
			c.full[s.Ref] = detailOf(s)
		}
		return
	}
	if f, ok := c.full[s.Ref]; ok {
		if m, kept := MergeLite(f, *s); kept {
			*s = m
		} else {
			delete(c.full, s.Ref)
		}
	}
}

// detailOf is what MergeLite needs of a full session.
func detailOf(s *models.Session) models.Session {
	return models.Session{Ref: s.Ref, Provider: s.Provider, Status: s.Status, UpdatedAt: s.UpdatedAt,
		ExpiresAt: s.ExpiresAt, Signers: s.Signers, CreatedAt: s.CreatedAt, Requester: s.Requester,
		Complete: s.Complete}
}

// MergeLite merges a lite list row into the full session known for it:
// while the row has not changed (same status, and the same update time
// when both say one), the full session's signers, expiry and sender are
// kept and the row stays Complete. kept is false when the row changed and
// the detail is stale (lite is returned as is).
func MergeLite(full, lite models.Session) (merged models.Session, kept bool) {
	if lite.Complete || !full.Complete && len(full.Signers) == 0 && full.ExpiresAt.IsZero() {
		return lite, false
	}
	if lite.Status != full.Status ||
		(!lite.UpdatedAt.IsZero() && !full.UpdatedAt.IsZero() && !lite.UpdatedAt.Equal(full.UpdatedAt)) {
		return lite, false
	}
	if len(lite.Signers) == 0 {
		lite.Signers = full.Signers
	}
	if lite.ExpiresAt.IsZero() {
		lite.ExpiresAt = full.ExpiresAt
	}
	if lite.Requester == "" {
		lite.Requester = full.Requester
	}
	if lite.CreatedAt.IsZero() {
		lite.CreatedAt = full.CreatedAt
	}
	lite.Complete = full.Complete
	return lite, true
}

// Flush waits until every write queued before it is stored (or ctx ends)
// and returns the last write error, if any.
func (c *SessionCache) Flush(ctx context.Context) error {
	if c == nil {
		return nil
	}
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for (len(c.queue) > 0 || c.busy) && ctx.Err() == nil {
		c.cond.Wait()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.lastErr
}

// Close stores what is queued and stops the writer.
func (c *SessionCache) Close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.done
		return
	}
	c.closed = true
	c.cond.Broadcast()
	c.mu.Unlock()
	<-c.done
}

// CachedAccount is what the cache holds of one account.
type CachedAccount struct {
	Sessions []models.Session
	// ListedAt is when a listing of the account last completed (zero
	// when none did).
	ListedAt time.Time
	// FullAt is when a full listing last completed.
	FullAt time.Time
}

// Load reads every cached session of the given accounts (nil: of every
// account), by account.
func (c *SessionCache) Load(ctx context.Context, accounts []string) (map[string]*CachedAccount, error) {
	out := map[string]*CachedAccount{}
	for _, a := range accounts {
		out[a] = &CachedAccount{}
	}
	var cur *CachedAccount
	curName := ""
	err := c.each(ctx, "", func(s models.Session) error {
		name := s.Ref.Account
		if cur == nil || name != curName {
			curName = name
			cur = out[name]
			if cur == nil && accounts == nil {
				cur = &CachedAccount{}
				out[name] = cur
			}
		}
		if cur != nil {
			cur.Sessions = append(cur.Sessions, s)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for name, ca := range out {
		ca.ListedAt, ca.FullAt = c.ListedAt(ctx, name)
	}
	return out, nil
}

// LoadAccount calls fn with every cached session of account, in id order,
// and remembers their detail for MergeLite. Loads of different accounts
// may run concurrently.
func (c *SessionCache) LoadAccount(ctx context.Context, account string, fn func(models.Session) error) error {
	if account == "" {
		return errors.New("load cached sessions: no account")
	}
	return c.each(ctx, account, fn)
}

// firstLoader is a SessionStore that reads the first sessions of an
// account in an order (store.DB.LoadFirstSessions).
type firstLoader interface {
	LoadFirstSessions(ctx context.Context, account, by string, desc bool, limit int,
		fn func(models.Session) error) (int, error)
}

// LoadAccountFirst calls fn with up to limit cached sessions of account,
// the first in an order ("created" or "expires", desc: newest first;
// sessions without the time last, then by id), and returns how many
// sessions of account are cached, so that a dashboard can show its first
// screen before it loads the rest with LoadAccount. ok is false when the
// store cannot (then nothing was loaded).
func (c *SessionCache) LoadAccountFirst(ctx context.Context, account, by string, desc bool, limit int,
	fn func(models.Session) error) (total int, ok bool, err error) {
	fl, can := c.db.(firstLoader)
	if !can {
		return 0, false, nil
	}
	var fulls []models.Session
	total, err = fl.LoadFirstSessions(ctx, account, by, desc, limit, func(s models.Session) error {
		if s.Complete && s.Provider == models.Constellation1 {
			fulls = append(fulls, detailOf(&s))
		}
		return fn(s)
	})
	if err != nil {
		return 0, true, err
	}
	c.keepFulls(fulls)
	return total, true, nil
}

func (c *SessionCache) each(ctx context.Context, account string, fn func(models.Session) error) error {
	var fulls []models.Session
	err := c.db.LoadSessions(ctx, account, func(s models.Session) error {
		if s.Complete && s.Provider == models.Constellation1 {
			fulls = append(fulls, detailOf(&s))
		}
		return fn(s)
	})
	if err != nil {
		return err
	}
	c.keepFulls(fulls)
	return nil
}

// keepFulls remembers the detail of full Constellation1 sessions loaded
// from the store, for MergeLite (a detail already known is kept).
func (c *SessionCache) keepFulls(fulls []models.Session) {
	c.mu.Lock()
	for _, f := range fulls {
		if _, ok := c.full[f.Ref]; !ok {
			c.full[f.Ref] = f
		}
	}
	c.mu.Unlock()
}

// ListedAt returns when a listing of account last completed and when a
// full one did (zero: never).
func (c *SessionCache) ListedAt(ctx context.Context, account string) (listed, full time.Time) {
	return c.stateTime(ctx, account, syncListed), c.stateTime(ctx, account, syncFull)
}

func (c *SessionCache) stateTime(ctx context.Context, account, key string) time.Time {
	v, _, err := c.db.SyncState(ctx, account, key)
	if err != nil || v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Clear empties the cache (sessions, signers and sync state), after the
// writes already queued.
func (c *SessionCache) Clear(ctx context.Context) error {
	if err := c.Flush(ctx); err != nil && ctx.Err() != nil {
		return err
	}
	c.mu.Lock()
	clear(c.full)
	c.mu.Unlock()
	return c.db.ClearSessions(ctx)
}
