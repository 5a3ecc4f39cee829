package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
)

// pollProvider answers CancelStatus from a script.
type pollProvider struct {
	providers.Provider
	answers []models.Status
	errs    []error
	calls   int
}

func (p *pollProvider) CancelStatus(context.Context, string) (models.Status, error) {
	i := p.calls
	p.calls++
	if i >= len(p.answers) {
		i = len(p.answers) - 1
	}
	var err error
	if i < len(p.errs) {
		err = p.errs[i]
	}
	return p.answers[i], err
}

func TestWaitCanceled(t *testing.T) {
	p := &pollProvider{answers: []models.Status{models.StatusCancelPending, models.StatusCancelPending, models.StatusCanceled}}
	st, err := waitCanceled(context.Background(), p, "1", time.Millisecond, 2*time.Millisecond)
	if err != nil || st != models.StatusCanceled || p.calls != 3 {
		t.Fatalf("st=%s err=%v calls=%d", st, err, p.calls)
	}
	// A transient error keeps polling.
	p = &pollProvider{answers: []models.Status{"", models.StatusCanceled}, errs: []error{providers.ErrUnavailable}}
	st, err = waitCanceled(context.Background(), p, "1", time.Millisecond, time.Millisecond)
	if err != nil || st != models.StatusCanceled {
		t.Fatalf("st=%s err=%v", st, err)
	}
	// The session completed before the cancel took effect: stop and say so.
	p = &pollProvider{answers: []models.Status{models.StatusCompleted}}
	st, err = waitCanceled(context.Background(), p, "1", time.Millisecond, time.Millisecond)
	if err != nil || st != models.StatusCompleted {
		t.Fatalf("st=%s err=%v", st, err)
	}
	// A permanent error ends the wait at once.
	p = &pollProvider{answers: []models.Status{""}, errs: []error{providers.ErrUnauthorized}}
	if _, err = waitCanceled(context.Background(), p, "1", time.Millisecond, time.Millisecond); !errors.Is(err, providers.ErrUnauthorized) || p.calls != 1 {
		t.Fatalf("err=%v calls=%d", err, p.calls)
	}
	// The deadline ends the wait with the context's error.
	p = &pollProvider{answers: []models.Status{models.StatusCancelPending}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	st, err = waitCanceled(ctx, p, "1", time.Millisecond, 5*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) || st != models.StatusCancelPending {
		t.Fatalf("st=%s err=%v", st, err)
	}
}
