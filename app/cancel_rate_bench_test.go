package app_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/dropboxsign"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
	"github.com/signdeck/signdeck/store"
)

// BenchmarkBulkCancelRateUse (RESULT bulk_cancel_rate_use): 200 cancels
// (a bulk cancel, app.Service.RunCancels) while a full Dropbox Sign sweep
// of 30,000 requests runs in the background (SessionCache.Sync over a
// cache listed before, so at background priority), against the emulator
// with a small rate limit (300 requests per 5 s window, real clock) so
// that it runs in seconds. The figure is the cancels per second divided by
// the limit per second: people's actions should spend the budget first
// while the sweep yields. It can pass 1 a little: the client's bucket
// starts with its burst (10 calls) besides the rate; budget-share is the
// cancels over every call the budget allowed in the time (rate plus
// burst). Every cancel must end ok or pending (a 429 never
// reaches the user) and the sweep must still be running when the last
// cancel lands (else nothing competed).
func BenchmarkBulkCancelRateUse(b *testing.B) {
	const (
		size, cancels = 30_000, 200
		limit, window = 300, 5 * time.Second
	)
	perSec := float64(limit) / window.Seconds()
	var ratios, shares []float64
	for b.Loop() {
		b.StopTimer()
		srv, err := dropboxsigntest.NewServer(dropboxsigntest.Options{Seed: 1, Size: size, APIKeys: []string{token},
			RateLimit: limit, RateWindow: window, SendRateLimit: -1, TestModeRateLimit: -1, CancelDelay: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		owner := srv.Owner()
		targets := make([]app.CancelTarget, 0, cancels)
		c, err := dropboxsign.New(dropboxsign.Config{Account: "acme", BaseURL: srv.URL, APIKey: token, Team: true,
			RecoverWait: -1, FindWindow: -1, Tune: func(cc *providers.ClientConfig) {
				fastTune(cc)
				// The provider's pacing, at the emulator's window (the
				// default limiter assumes a minute).
				cc.Limiter = providers.NewLimiter(limit, window, 10)
			}})
		if err != nil {
			b.Fatal(err)
		}
		acct := app.Account{Name: "acme", Kind: models.DropboxSign, Endpoint: srv.URL, Provider: c}
		for i := range cancels {
			id := srv.Add(dropboxsigntest.SignatureRequest{Title: fmt.Sprintf("Lease %d", i), RequesterEmailAddress: &owner})
			s := models.Session{Ref: models.Ref{Account: "acme", ID: id}, Provider: models.DropboxSign,
				Title: fmt.Sprintf("Lease %d", i), Status: models.StatusAwaitingSignature, Complete: true}
			targets = append(targets, app.CancelTarget{Account: acct, Ref: s.Ref, Session: &s})
		}
		db, err := store.Open(store.DefaultPath(b.TempDir()))
		if err != nil {
			b.Fatal(err)
		}
		svc := app.New(app.Options{Journal: db, Via: "tui", Secrets: func() []string { return []string{token} }})
		cache := app.NewSessionCache(db, nil)
		ctx, stop := context.WithCancel(context.Background())
		// A listing before: the sweep is background work over shown rows.
		cache.Listed("acme", false, time.Now().Add(-time.Hour))
		if err := cache.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		listing := make(chan struct{})
		sweepDone := make(chan error, 1)
		pages := 0
		go func() {
			_, err := cache.Sync(ctx, "acme", c, app.SyncOptions{}, func([]models.Session) error {
				if pages++; pages == 3 {
					close(listing)
				}
				return nil
			})
			sweepDone <- err
		}()
		select {
		case <-listing:
		case err := <-sweepDone:
			b.Fatalf("the sweep ended before the cancels: %v", err)
		}
		plan := svc.PlanCancel(ctx, targets, false)
		if len(plan.Eligible) != cancels {
			b.Fatalf("%d of %d cancels eligible: %+v", len(plan.Eligible), cancels, plan.Skipped)
		}
		b.StartTimer()
		t0 := time.Now()
		out := svc.RunCancels(ctx, plan, nil)
		elapsed := time.Since(t0)
		b.StopTimer()
		select {
		case err := <-sweepDone:
			b.Fatalf("the sweep ended (%v) before the last cancel: nothing competed", err)
		default:
		}
		for _, o := range out {
			if !o.OK() {
				b.Fatalf("cancel of %s: %s %s", o.Item.Target.Ref, o.Outcome, o.Reason)
			}
		}
		stop()
		if err := <-sweepDone; err != nil && !errors.Is(err, context.Canceled) {
			b.Fatalf("sweep: %v", err)
		}
		n429, bg := 0, 0
		for _, r := range srv.Requests() {
			if r.Status == 429 && r.Op == "cancel" {
				n429++
			}
			if r.Op == "list" && r.Time.After(t0) && r.Time.Before(t0.Add(elapsed)) {
				bg++
			}
		}
		ratios = append(ratios, float64(cancels)/elapsed.Seconds()/perSec)
		shares = append(shares, float64(cancels)/(elapsed.Seconds()*perSec+10))
		b.ReportMetric(float64(n429), "cancel-429s")
		b.ReportMetric(float64(bg), "sweep-pages-meanwhile")
		svc.Close()
		cache.Close()
		srv.Close()
		db.Close()
		b.StartTimer()
	}
	mean := func(v []float64) float64 {
		sum := 0.0
		for _, x := range v {
			sum += x
		}
		return sum / float64(len(v))
	}
	b.ReportMetric(mean(shares), "budget-share")
	b.ReportMetric(mean(ratios), "ratio")
	b.ReportMetric(mean(ratios), "RESULT:bulk_cancel_rate_use:ratio")
}
