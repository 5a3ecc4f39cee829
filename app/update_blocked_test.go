package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/signdeck/signdeck/app"
	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

func TestUpdateBlocked(t *testing.T) {
	t.Parallel()
	e := dbxEnv(t, dropboxsigntest.Options{Seed: 1, Size: 1})
	fix := providers.UpdateSpec{Signers: []providers.SignerUpdate{{}}}
	extend := providers.UpdateSpec{ExpiresAt: time.Now().Add(time.Hour)}
	s := models.Session{Status: models.StatusAwaitingSignature}
	for _, spec := range []providers.UpdateSpec{fix, extend} {
		if why := app.UpdateBlocked(e.acct, &s, spec); why != "" {
			t.Errorf("an awaiting request of our own: %q", why)
		}
	}
	teammate := s
	teammate.NotCancelable = "sent by kim@example.com; Dropbox Sign lets only the sender cancel or change it"
	if why := app.UpdateBlocked(e.acct, &teammate, fix); why != teammate.NotCancelable {
		t.Errorf("a teammate's request: %q", why)
	}
	done := s
	done.Status = models.StatusCompleted
	if why := app.UpdateBlocked(e.acct, &done, extend); !strings.Contains(why, "the session is completed") {
		t.Errorf("a completed request: %q", why)
	}
	noToken := e.acct
	noToken.Provider = nil
	if why := app.UpdateBlocked(noToken, &s, fix); !strings.Contains(why, "has no token") {
		t.Errorf("no token: %q", why)
	}
	if why := app.UpdateBlocked(e.acct, nil, fix); why == "" {
		t.Error("a session no longer listed is not blocked")
	}
}
