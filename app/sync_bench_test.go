package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/dropboxsign"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
	"github.com/signdeck/signdeck/store"
)

// BenchmarkAPICallsPerRefresh (RESULT api_calls_per_refresh_100k): the
// emulator holds 100,000 requests, 5% of them open; after a full sweep
// into the cache, 300 requests are sent; one incremental refresh is
// counted in requests the emulator saw (the first iteration's: later
// ones also list the earlier iterations' sends of the same day, as the
// vendor's day-granular created: search would).
func BenchmarkAPICallsPerRefresh(b *testing.B) {
	const n, open, fresh = 100_000, 5_000, 300
	srv, err := dropboxsigntest.NewServer(dropboxsigntest.Options{Seed: 1, Size: n, APIKeys: []string{token},
		RateLimit: -1, SendRateLimit: -1, TestModeRateLimit: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	ids := srv.IDs()
	for i, id := range ids {
		srv.Modify(id, func(r *dropboxsigntest.SignatureRequest) {
			r.IsDeclined = false
			r.IsComplete = i%(n/open) != 0
		})
	}
	c, err := dropboxsign.New(dropboxsign.Config{Account: "acme", BaseURL: srv.URL, APIKey: token, Team: true,
		RecoverWait: -1, FindWindow: -1, Tune: func(cc *providers.ClientConfig) {
			fastTune(cc)
			// The emulator sends no rate headers here: no pacing, so the
			// setup's full sweep of 1,000 pages does not take 10 minutes.
			cc.Limiter = providers.NewLimiter(1_000_000, time.Minute, 10_000)
		}})
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(store.DefaultPath(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	cache := app.NewSessionCache(db, nil)
	defer cache.Close()
	ctx := context.Background()
	none := func([]models.Session) error { return nil }
	if res, err := cache.Sync(ctx, "acme", c, app.SyncOptions{}, none); err != nil || !res.Full {
		b.Fatalf("full sweep: %+v %v", res, err)
	}
	if err := cache.Flush(ctx); err != nil { // the sweep's rows are stored
		b.Fatal(err)
	}
	owner := srv.Owner()
	first := -1
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		for range fresh {
			srv.Add(dropboxsigntest.SignatureRequest{Title: "New lease", RequesterEmailAddress: &owner})
		}
		srv.ClearRequests()
		b.StartTimer()
		res, err := cache.Sync(ctx, "acme", c, app.SyncOptions{}, none)
		if err != nil || res.Full {
			b.Fatalf("refresh: %+v %v", res, err)
		}
		if first < 0 {
			first = len(srv.Requests())
		}
		if err := cache.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(first), "calls/refresh")
	b.ReportMetric(float64(first), "RESULT:api_calls_per_refresh_100k:calls")
}
