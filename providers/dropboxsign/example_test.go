package dropboxsign_test

import (
	"context"
	"fmt"
	"time"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/dropboxsign"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

// A client against the emulator: verify the key, list, cancel and wait
// for the asynchronous cancel to be confirmed.
func Example() {
	srv, err := dropboxsigntest.NewServer(dropboxsigntest.Options{Seed: 1, Size: 150, CancelDelay: 50 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	c, err := dropboxsign.New(dropboxsign.Config{
		Account: "office", BaseURL: srv.URL, APIKey: dropboxsigntest.DefaultAPIKey,
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	info, _ := c.Verify(ctx)
	fmt.Println("key of", info.Who)

	var open []models.Session
	_ = c.List(ctx, providers.ListQuery{Text: "complete:false AND declined:false"}, func(p providers.Page) error {
		for _, s := range p.Sessions {
			if s.Status.Cancelable() && s.Requester == info.Who {
				open = append(open, s)
			}
		}
		return nil
	})
	res, _ := c.Cancel(ctx, open[0].Ref.ID)
	fmt.Println("cancel:", res.Status)
	st, _ := c.CancelStatus(ctx, open[0].Ref.ID)
	for st != models.StatusCanceled {
		time.Sleep(10 * time.Millisecond)
		st, _ = c.CancelStatus(ctx, open[0].Ref.ID)
	}
	fmt.Println("confirmed:", st)
	// Output:
	// key of dana.whitfield@harborlinerealty.com
	// cancel: cancel_pending
	// confirmed: canceled
}
