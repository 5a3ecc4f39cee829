package app

import (
	"context"
	"errors"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// Incremental refresh (issue 9): an account whose provider can list
// incrementally (Capabilities.Incremental: Dropbox Sign) and whose cache holds
// a full listing younger than SyncOptions.FullEvery is refreshed in tiers
// instead of listing every page again:
//
//  1. new requests: created since the day of the last listing minus
//     SyncOptions.Margin (the search index lags new sends; Dropbox Sign
//     `created:[DAY TO *]`);
//  2. open requests (Dropbox Sign `complete:false AND declined:false`);
//  3. leavers: cached rows that were open and are in neither listing: one
//     GET each (background priority); a 404 or 410 removes them;
//
// and a full sweep, at background priority, when none was made within
// FullEvery (default daily) or when asked (SyncOptions.Full). Every tier
// pages to the end: paging never stops at the first id already seen.
// Other providers list in full each refresh.

// Sync defaults.
const (
	DefaultFullEvery  = 24 * time.Hour
	DefaultSyncMargin = 15 * time.Minute
	// DefaultDetailsPerRefresh bounds the background detail fetches of a
	// refresh (Constellation1 lists lite rows without signers or expiry).
	DefaultDetailsPerRefresh = 50
)

// SyncOptions tune Sync.
type SyncOptions struct {
	// Full forces a full sweep.
	Full bool
	// FullEvery: a full sweep when the last is older (0: DefaultFullEvery).
	FullEvery time.Duration
	// Margin is subtracted from the last listing's time for the new-
	// requests tier (0: DefaultSyncMargin).
	Margin time.Duration
	Now    func() time.Time
	// Endpoint is the account's base URL: when it differs from the one
	// the cache was filled from, the refresh is a full one.
	Endpoint string
	// Details bounds the full sessions fetched per refresh for lite rows
	// whose detail is missing or stale (0: DefaultDetailsPerRefresh; -1:
	// none).
	Details int
	// OnListed, when set, is called once the listing itself is done and
	// before the background fetch of details starts, so a front end can
	// show the account as loaded without waiting for it.
	OnListed func()
}

// SyncResult says what a Sync did.
type SyncResult struct {
	// Full: every session was listed; the rows not listed are gone.
	Full bool
	// Closed are ids that answered 404 or 410 (removed from the cache).
	Closed []string
	// Fetched counts the leavers fetched one by one.
	Fetched int
	// Details counts the full sessions fetched for lite rows.
	Details int
}

// Sync refreshes account's cached sessions from p, calling emit with each
// page of sessions (lite rows already merged with the cached detail) as
// they arrive, and writes them through to the cache.
func (c *SessionCache) Sync(ctx context.Context, account string, p providers.Provider, o SyncOptions,
	emit func([]models.Session) error) (SyncResult, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.FullEvery <= 0 {
		o.FullEvery = DefaultFullEvery
	}
	if o.Margin <= 0 {
		o.Margin = DefaultSyncMargin
	}
	start := o.Now()
	// The sync state of the last refresh may still be queued.
	if err := c.Flush(ctx); err != nil && ctx.Err() != nil {
		return SyncResult{}, err
	}
	listedAt := c.stateTime(ctx, account, syncListed)
	fullAt := c.stateTime(ctx, account, syncFull)
	sameEndpoint := true
	if o.Endpoint != "" {
		was, _, err := c.db.SyncState(ctx, account, syncEndpoint)
		sameEndpoint = err == nil && was == o.Endpoint
		if !sameEndpoint {
			if err := c.db.SetSyncState(ctx, account, syncEndpoint, o.Endpoint); err != nil {
				return SyncResult{}, err
			}
		}
	}
	incremental := !o.Full && sameEndpoint && p.Capabilities().Incremental &&
		!listedAt.IsZero() && !fullAt.IsZero() && start.Sub(fullAt) < o.FullEvery
	if !incremental {
		// The first listing is waited for: it goes at normal priority; a
		// sweep over a cache that shows rows already is background work.
		lctx := ctx
		if !listedAt.IsZero() {
			lctx = providers.WithPriority(ctx, providers.PriorityBackground)
		}
		res, err := c.syncFull(lctx, account, p, start, emit)
		if o.OnListed != nil {
			o.OnListed()
		}
		if err == nil && p.Capabilities().LiteList {
			res.Details, err = c.fetchDetails(ctx, account, p, o.Details, emit)
		}
		return res, err
	}

	seen := map[string]bool{}
	page := func(pg providers.Page) error {
		ss := c.merged(account, pg.Sessions)
		for _, s := range ss {
			seen[s.Ref.ID] = true
		}
		c.Put(account, ss)
		return emit(ss)
	}
	if err := p.List(ctx, providers.ListQuery{CreatedSince: listedAt.Add(-o.Margin)}, page); err != nil {
		return SyncResult{}, err
	}
	if err := p.List(ctx, providers.ListQuery{OpenOnly: true}, page); err != nil {
		return SyncResult{}, err
	}

	// Leavers: open in the cache, in neither listing.
	var leavers []string
	if err := c.db.LoadSessions(ctx, account, func(s models.Session) error {
		if !s.Status.Final() && !seen[s.Ref.ID] {
			leavers = append(leavers, s.Ref.ID)
		}
		return nil
	}); err != nil {
		return SyncResult{}, err
	}
	var res SyncResult
	bg := providers.WithPriority(ctx, providers.PriorityBackground)
	var got []models.Session
	for _, id := range leavers {
		s, err := p.Get(bg, id)
		res.Fetched++
		switch {
		case errors.Is(err, providers.ErrNotFound) || errors.Is(err, providers.ErrGone):
			res.Closed = append(res.Closed, id)
			continue
		case err != nil:
			c.flushLeavers(account, got, res.Closed, emit)
			return res, err
		}
		if s.Ref.Account == "" {
			s.Ref.Account = account
		}
		got = append(got, s)
	}
	if err := c.flushLeavers(account, got, res.Closed, emit); err != nil {
		return res, err
	}
	c.Listed(account, false, start)
	return res, nil
}

func (c *SessionCache) flushLeavers(account string, got []models.Session, closed []string, emit func([]models.Session) error) error {
	c.Delete(account, closed)
	if len(got) == 0 {
		return nil
	}
	c.Put(account, got)
	return emit(got)
}

// syncFull lists every session (at ctx's priority), writes them
// through and drops the cached ones no longer listed.
func (c *SessionCache) syncFull(ctx context.Context, account string, p providers.Provider, start time.Time,
	emit func([]models.Session) error) (SyncResult, error) {
	seen := map[string]bool{}
	err := p.List(ctx, providers.ListQuery{}, func(pg providers.Page) error {
		ss := c.merged(account, pg.Sessions)
		for _, s := range ss {
			seen[s.Ref.ID] = true
		}
		c.Put(account, ss)
		return emit(ss)
	})
	if err != nil {
		return SyncResult{}, err
	}
	var gone []string
	if err := c.db.LoadSessions(ctx, account, func(s models.Session) error {
		if !seen[s.Ref.ID] {
			gone = append(gone, s.Ref.ID)
		}
		return nil
	}); err != nil {
		return SyncResult{}, err
	}
	c.Delete(account, gone)
	c.Listed(account, true, start)
	return SyncResult{Full: true, Closed: gone}, nil
}

// merged returns ss with each lite row merged with the cached detail.
func (c *SessionCache) merged(account string, ss []models.Session) []models.Session {
	out := make([]models.Session, len(ss))
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, s := range ss {
		if s.Ref.Account == "" {
			s.Ref.Account = account
		}
		if !s.Complete {
			if f, ok := c.full[s.Ref]; ok {
				if m, kept := MergeLite(f, s); kept {
					s = m
				}
			}
		}
		out[i] = s
	}
	return out
}

// fetchDetails fetches, at background priority, up to limit full
// sessions of account's cached lite rows (those without a detail, or
// whose detail went stale when the row changed), so that signer: filters
// and expiry sorting work without opening rows. A failed fetch is
// skipped; the next refresh tries again.
func (c *SessionCache) fetchDetails(ctx context.Context, account string, p providers.Provider, limit int,
	emit func([]models.Session) error) (int, error) {
	if limit == 0 {
		limit = DefaultDetailsPerRefresh
	}
	if limit < 0 {
		return 0, nil
	}
	if err := c.Flush(ctx); err != nil && ctx.Err() != nil {
		return 0, err
	}
	var want []string
	err := c.db.LoadSessions(ctx, account, func(s models.Session) error {
		if !s.Complete && len(want) < limit {
			want = append(want, s.Ref.ID)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	bg := providers.WithPriority(ctx, providers.PriorityBackground)
	n := 0
	for _, id := range want {
		s, err := p.Get(bg, id)
		if err != nil {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			c.log.Debug("detail fetch failed", "account", models.CleanText(account), "id", models.CleanText(id),
				"err", models.CleanText(err.Error()))
			continue
		}
		n++
		if s.Ref.Account == "" {
			s.Ref.Account = account
		}
		c.Put(account, []models.Session{s})
		if err := emit([]models.Session{s}); err != nil {
			return n, err
		}
	}
	return n, nil
}
