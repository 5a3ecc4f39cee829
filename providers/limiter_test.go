package providers

import (
	"context"
	"errors"
	"testing"
	"time"
)

// take reports whether a call of the given priority gets a token without
// waiting: rate.Limiter refuses at once a wait past the deadline.
func take(l *Limiter, p Priority) bool {
	ctx, cancel := context.WithTimeout(WithPriority(context.Background(), p), 50*time.Millisecond)
	defer cancel()
	return l.WaitTier(ctx, TierStandard) == nil
}

// TestBackgroundUsesItsShare: with a 10-call burst and a share of 0.3,
// background calls get 3 calls at once and then wait, while people's
// calls still get the rest of the budget.
func TestBackgroundUsesItsShare(t *testing.T) {
	l := NewLimiter(10, time.Hour, 10)
	l.SetBackgroundShare(0.3)
	bg := 0
	for i := 0; i < 10 && take(l, PriorityBackground); i++ {
		bg++
	}
	if bg != 3 {
		t.Errorf("background took %d calls, want its share 3", bg)
	}
	people := 0
	for i := 0; i < 10 && take(l, PriorityPeople); i++ {
		people++
	}
	if people != 7 {
		t.Errorf("people took %d calls after the background, want the other 7", people)
	}
}

// TestBackgroundYieldsToPeople: while a person's call waits on the tier
// (held by a 429), background calls wait too; when it is done they go.
func TestBackgroundYieldsToPeople(t *testing.T) {
	l := NewLimiter(1000, time.Second, 100)
	l.BlockTier(TierStandard, time.Now().Add(time.Hour))
	pctx, pcancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.WaitTier(pctx, TierStandard) }()
	for {
		l.mu.Lock()
		n := l.tierLocked(TierStandard).peopleWaiting
		l.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	// Unblock the tier: only the person's waiting holds the background.
	l.mu.Lock()
	l.tierLocked(TierStandard).blocked = time.Time{}
	l.mu.Unlock()
	bctx, bcancel := context.WithTimeout(WithPriority(context.Background(), PriorityBackground), 30*time.Millisecond)
	defer bcancel()
	if err := l.WaitTier(bctx, TierStandard); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("background call while a person waits: %v, want it held", err)
	}
	pcancel()
	<-done
	if !take(l, PriorityBackground) {
		t.Error("background call still held after the person's call ended")
	}
	if l.Budget().BackgroundHeld {
		t.Error("budget says background is held with nothing waiting")
	}
}

// TestBackgroundLeavesPeopleTheReserve: once people's calls have taken the
// bucket down to half its burst, a background call waits (even with its
// share unused and no person's call waiting at that moment), and the
// people's next calls still find their tokens.
func TestBackgroundLeavesPeopleTheReserve(t *testing.T) {
	l := NewLimiter(10, time.Hour, 10)
	for i := range 5 {
		if !take(l, PriorityPeople) {
			t.Fatalf("person's call %d waited", i+1)
		}
	}
	if take(l, PriorityBackground) {
		t.Error("a background call took a token of the people's reserve")
	}
	for i := range 5 {
		if !take(l, PriorityPeople) {
			t.Errorf("person's call %d waited after the background's", i+6)
		}
	}
}

// TestBackgroundHeldOnlyWhenYielding: a background call waiting for its
// own share is at its normal pace, not "paused for the budget"; one that
// waits because a person's call is waiting is.
func TestBackgroundHeldOnlyWhenYielding(t *testing.T) {
	l := NewLimiter(10, time.Hour, 10)
	l.SetBackgroundShare(0.3)
	for range 3 {
		take(l, PriorityBackground)
	}
	ctx, cancel := context.WithCancel(WithPriority(context.Background(), PriorityBackground))
	done := make(chan error, 1)
	go func() { done <- l.WaitTier(ctx, TierStandard) }()
	time.Sleep(20 * time.Millisecond) // it waits for a share token (hours)
	if l.Budget().BackgroundHeld {
		t.Error("a background call at its share's pace reads as paused")
	}
	cancel()
	<-done

	l = NewLimiter(1000, time.Second, 100)
	l.BlockTier(TierStandard, time.Now().Add(time.Hour))
	pctx, pcancel := context.WithCancel(context.Background())
	pdone := make(chan error, 1)
	go func() { pdone <- l.WaitTier(pctx, TierStandard) }()
	for {
		l.mu.Lock()
		n := l.tierLocked(TierStandard).peopleWaiting
		l.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	bctx, bcancel := context.WithCancel(WithPriority(context.Background(), PriorityBackground))
	bdone := make(chan error, 1)
	go func() { bdone <- l.WaitTier(bctx, TierStandard) }()
	held := false
	for range 200 {
		if l.Budget().BackgroundHeld {
			held = true
			break
		}
		time.Sleep(time.Millisecond)
	}
	if !held {
		t.Error("a background call waiting behind a person's call does not read as paused")
	}
	bcancel()
	pcancel()
	<-bdone
	<-pdone
	if l.Budget().BackgroundHeld {
		t.Error("still paused with nothing waiting")
	}
}
