package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/models"
	"github.com/signdeck/signdeck/providers"
	"github.com/signdeck/signdeck/providers/dropboxsign"
	"github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)

// updFake is the fake provider with Update (providers.Updater): it
// records every call and applies the change to its sessions.
type updFake struct {
	*fakeProvider
	umu     sync.Mutex
	ids     []string
	specs   []providers.UpdateSpec
	signErr map[string]error // a per-signer error, by session id
}

type updateCall struct {
	id   string
	spec providers.UpdateSpec
}

func (f *updFake) calls() []updateCall {
	f.umu.Lock()
	defer f.umu.Unlock()
	out := make([]updateCall, len(f.ids))
	for i := range f.ids {
		out[i] = updateCall{f.ids[i], f.specs[i]}
	}
	return out
}

func (f *updFake) Update(ctx context.Context, id string, spec providers.UpdateSpec) (providers.UpdateResult, error) {
	if err := providers.Dispatch(ctx); err != nil {
		return providers.UpdateResult{}, err
	}
	f.umu.Lock()
	f.ids = append(f.ids, id)
	f.specs = append(f.specs, spec)
	serr := f.signErr[id]
	f.umu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	var res providers.UpdateResult
	for i := range f.sessions {
		s := &f.sessions[i]
		if s.Ref.ID != id {
			continue
		}
		if !spec.ExpiresAt.IsZero() {
			s.ExpiresAt = spec.ExpiresAt.Truncate(time.Hour)
			res.ExpiresAt = s.ExpiresAt
		}
		for _, u := range spec.Signers {
			for j := range s.Signers {
				g := &s.Signers[j]
				if g.ID != u.Signer && !strings.EqualFold(g.Email, u.Signer) {
					continue
				}
				if serr != nil {
					res.Signers = append(res.Signers, providers.SignerResult{Signer: *g, Err: serr})
					break
				}
				if u.Email != "" {
					g.Email = u.Email
				}
				switch {
				case u.FirstName != "" || u.LastName != "":
					g.FirstName, g.LastName = u.FirstName, u.LastName
				case u.Name != "":
					g.Name = u.Name
				}
				res.Signers = append(res.Signers, providers.SignerResult{Signer: *g})
			}
		}
	}
	return res, nil
}

// fixDriver is the fixture with Update: Dropbox Sign fixes signers and
// extends the expiry, Constellation1 fixes signers only.
func fixDriver(t *testing.T, mod func(*Options)) (*driver, *updFake, *updFake) {
	t.Helper()
	dbx, c1 := fixture()
	dbx.caps.UpdateSigner, dbx.caps.ExtendExpiry, dbx.caps.MaxExpiry = true, true, 90*24*time.Hour
	c1.caps.UpdateSigner = true
	ud, uc := &updFake{fakeProvider: dbx}, &updFake{fakeProvider: c1}
	opts := Options{Accounts: []Account{
		{Name: "acme", Kind: models.DropboxSign, Provider: ud, TokenSource: "keyring"},
		{Name: "prod", Kind: models.Constellation1, Provider: uc, TokenSource: "env"},
	}}
	if mod != nil {
		mod(&opts)
	}
	d := newDriver(t, opts)
	d.run(d.m.Init())
	d.send(tea.WindowSizeMsg{Width: 100, Height: 40})
	return d, ud, uc
}

func (d *driver) fixForm() *fixOverlay {
	o, _ := d.m.ov.(*fixOverlay)
	return o
}

// openFix opens the detail of id and the fix form on it.
func openFix(t *testing.T, d *driver, id string) *fixOverlay {
	t.Helper()
	d.moveTo(id)
	if d.m.detailOpen {
		d.press("esc") // enter then loads the detail at once
	}
	d.press("enter", "e")
	o := d.fixForm()
	if o == nil {
		t.Fatalf("the fix form did not open: %q", d.flash())
	}
	return o
}

// TestFixSignerSendsOneUpdate: pick Bob, correct his email, review, y:
// exactly one update, for Bob's signer id, with the new email only; the
// flash and the message log say so and the detail shows the new email.
func TestFixSignerSendsOneUpdate(t *testing.T) {
	d, dbx, _ := fixDriver(t, nil)
	o := openFix(t, d, "a1")
	if o.cursor != 1 {
		t.Errorf("the form starts on signer %d, want 2 (signer 1 has signed)", o.cursor+1)
	}
	if s := d.screen(); !strings.Contains(s, " 2. Bob Stone <bob@example.com>") || !strings.Contains(s, " 1. Ana Lima") {
		t.Errorf("the signers are not listed from 1:\n%s", s)
	}
	d.press("2")
	if o.stage != fixEdit || !o.email.Focused() {
		t.Fatalf("stage %d, email focused %v", o.stage, o.email.Focused())
	}
	setField(d, "bob.stone@example.com")
	d.press("enter")
	if o.stage != fixReview {
		t.Fatalf("no review: %v", o.errs)
	}
	if s := d.screen(); !strings.Contains(s, "~ Bob Stone <bob@example.com> → Bob Stone <bob.stone@example.com>") {
		t.Errorf("review does not show old → new:\n%s", s)
	}
	if n := len(dbx.calls()); n != 0 {
		t.Fatalf("%d updates sent before y", n)
	}
	d.press("y")
	calls := dbx.calls()
	if len(calls) != 1 {
		t.Fatalf("%d updates sent, want 1", len(calls))
	}
	c := calls[0]
	if c.id != "a1" || len(c.spec.Signers) != 1 || !c.spec.ExpiresAt.IsZero() {
		t.Fatalf("update %+v", c)
	}
	if u := c.spec.Signers[0]; u.Signer != "a1-s2" || u.Email != "bob.stone@example.com" || u.Name != "" {
		t.Errorf("signer update %+v", u)
	}
	if d.m.ov != nil {
		t.Error("the form stays open after a successful change")
	}
	if f := d.flash(); !strings.Contains(f, "Fix signer") || !strings.Contains(f, ": ok") {
		t.Errorf("flash %q", f)
	}
	if n := len(d.m.msgLog); n == 0 || d.m.msgLog[n-1].action != "Fix signer" || d.m.msgLog[n-1].outcome != "ok" {
		t.Errorf("message log %+v", d.m.msgLog)
	}
	if s := d.screen(); !strings.Contains(s, "bob.stone@example.com") {
		t.Errorf("the detail was not refreshed:\n%s", s)
	}
	if ops := d.ops("update"); len(ops) != 1 || ops[0].Outcome != "ok" {
		t.Errorf("journal %+v", ops)
	}
}

// TestFixSignerSignedCantBePicked: a signer who signed (or declined) is
// listed but cannot be picked; the form says why and nothing is sent.
func TestFixSignerSignedCantBePicked(t *testing.T) {
	d, dbx, _ := fixDriver(t, nil)
	o := openFix(t, d, "a1")
	d.press("1")
	if o.stage != fixPick || !strings.Contains(o.pickErr, "Signer 1 has signed") {
		t.Fatalf("stage %d, %q", o.stage, o.pickErr)
	}
	if s := d.screen(); !strings.Contains(s, "Signer 1 has signed; only a signer who has not signed or declined can be changed") {
		t.Errorf("the reason is not shown:\n%s", s)
	}
	d.press("k", "enter") // the cursor onto signer 1, then enter
	if o.stage != fixPick {
		t.Error("a signed signer was picked with enter")
	}
	d.press("y", "y")
	if n := len(dbx.calls()); n != 0 {
		t.Errorf("%d updates sent", n)
	}
}

// TestFixSignerValidates: a bad email or a Constellation1 signer without a
// last name is refused in the form, with the copy form's messages.
func TestFixSignerValidates(t *testing.T) {
	d, dbx, c1 := fixDriver(t, nil)
	o := openFix(t, d, "a1")
	d.press("enter") // Bob
	setField(d, "bob@")
	d.press("enter")
	if o.stage != fixEdit || len(o.errs) == 0 || !strings.Contains(d.screen(), "not a valid email address") {
		t.Fatalf("stage %d, errs %v\n%s", o.stage, o.errs, d.screen())
	}
	setField(d, "bob@example.com")
	d.press("enter")
	if o.stage != fixEdit || !strings.Contains(strings.Join(o.errs, " "), "nothing changed") {
		t.Errorf("an unchanged signer went to review: %v", o.errs)
	}
	d.press("esc", "esc")
	if d.m.ov != nil {
		t.Fatal("esc twice does not close the form")
	}

	o = openFix(t, d, "p1")
	if !o.split {
		t.Fatal("Constellation1 has no first/last fields")
	}
	d.press("enter") // Gus Hale
	if o.first.Value() != "Gus" || o.last.Value() != "Hale" {
		t.Fatalf("prefill %q %q", o.first.Value(), o.last.Value())
	}
	d.press("shift+tab") // Last
	setField(d, "")
	d.press("ctrl+s")
	if o.stage != fixEdit || !strings.Contains(strings.Join(o.errs, " "), "a one-word name goes in Last") {
		t.Fatalf("errs %v", o.errs)
	}
	setField(d, "Hale-Ng")
	d.press("ctrl+s", "y")
	calls := c1.calls()
	if len(calls) != 1 || calls[0].spec.Signers[0].LastName != "Hale-Ng" || calls[0].spec.Signers[0].FirstName != "Gus" ||
		calls[0].spec.Signers[0].Email != "" {
		t.Fatalf("c1 updates %+v", calls)
	}
	if n := len(dbx.calls()); n != 0 {
		t.Errorf("%d Dropbox Sign updates", n)
	}
}

// TestFixSignerDisabledReasons: each reason the action can't run is a
// flash, and no form opens.
func TestFixSignerDisabledReasons(t *testing.T) {
	d, _, _ := fixDriver(t, nil)
	d.moveTo("a1")
	d.press("e")
	if d.m.ov != nil || !strings.Contains(d.flash(), "open the detail pane first") {
		t.Errorf("detail closed: %q", d.flash())
	}
	d.moveTo("a2")
	d.press("enter", "e")
	if d.m.ov != nil || !strings.Contains(d.flash(), "the session is completed; only a session awaiting signature") {
		t.Errorf("completed: %q", d.flash())
	}
	d.m.accts[1].Provider.(*updFake).caps.UpdateSigner = false
	d.moveTo("p1")
	d.press("e")
	if d.m.ov != nil || !strings.Contains(d.flash(), "Constellation1 cannot change a signer in place") {
		t.Errorf("capability: %q", d.flash())
	}
}

// TestFixSignerRefusalShownInFull: the vendor's refusal (an appended
// signature page) is shown whole in the form, whatever its length, and
// logged; nothing is retried.
func TestFixSignerRefusalShownInFull(t *testing.T) {
	d, dbx, _ := fixDriver(t, nil)
	d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	why := "Dropbox Sign refuses to change a signer of this request: it was sent without form fields, so it has an " +
		"appended signature page. Copy the request with the corrected signer instead."
	dbx.signErr = map[string]error{"a1": providers.NewError(providers.ErrInvalid, "update a1", 400, "bad_request", why)}
	o := openFix(t, d, "a1")
	d.press("enter")
	setField(d, "bob.stone@example.com")
	d.press("enter", "y")
	if o.stage != fixFailed || d.m.ov != o {
		t.Fatalf("stage %d", o.stage)
	}
	// The box alone, its lines joined: the reason wraps inside it.
	flat := strings.Join(strings.Fields(strings.NewReplacer("│", " ", "╭", " ", "╰", " ", "─", " ", "╮", " ", "╯", " ").Replace(stripView(o.view(d.m)))), " ")
	if !strings.Contains(flat, "appended signature page. Copy the request with the corrected signer instead.") {
		t.Errorf("the refusal is not shown in full:\n%s", d.screen())
	}
	if n := len(d.m.msgLog); n == 0 || d.m.msgLog[n-1].outcome != "failed" || !strings.Contains(d.m.msgLog[n-1].reason, "appended signature page") {
		t.Errorf("message log %+v", d.m.msgLog)
	}
	d.press("esc")
	if d.m.ov != nil || len(dbx.calls()) != 1 {
		t.Errorf("open %v, %d calls", d.m.ov != nil, len(dbx.calls()))
	}
}

// TestFixAndExtendReadOnly: read-only mode removes both keys from the
// help; pressing them says why and opens nothing.
func TestFixAndExtendReadOnly(t *testing.T) {
	d, dbx, _ := fixDriver(t, func(o *Options) { o.Readonly = true })
	d.press("?")
	if s := d.screen(); strings.Contains(s, "fix a signer") || strings.Contains(s, "extend expiry") {
		t.Errorf("read-only help lists them:\n%s", s)
	}
	d.press("esc")
	d.moveTo("a1")
	d.press("enter")
	if strings.Contains(d.screen(), "e fix a signer") {
		t.Errorf("the read-only detail points to e:\n%s", d.screen())
	}
	d.press("e")
	if d.m.ov != nil || !strings.Contains(d.flash(), "Fix signer: read-only mode") {
		t.Errorf("e: %q", d.flash())
	}
	d.press("E")
	if d.m.ov != nil || !strings.Contains(d.flash(), "Extend expiry: read-only mode") {
		t.Errorf("E: %q", d.flash())
	}
	if n := len(dbx.calls()); n != 0 {
		t.Errorf("%d updates", n)
	}
	// Not read-only: both are in the help.
	d2, _, _ := fixDriver(t, nil)
	d2.press("?")
	if s := d2.screen(); !strings.Contains(s, "fix a signer's name/email") || !strings.Contains(s, "extend expiry") {
		t.Errorf("help:\n%s", s)
	}
	d2.press("esc")
	d2.moveTo("a1")
	d2.press("enter")
	if !strings.Contains(d2.screen(), "Signers (1/3 signed)  e fix a signer") {
		t.Errorf("the detail does not point to e:\n%s", d2.screen())
	}
}

// TestExtendMarkedRows: three marked rows, one of them not awaiting
// signature: two updates are sent, one row is reported skipped, each in
// the message log, and the table shows the new expiry.
func TestExtendMarkedRows(t *testing.T) {
	d, dbx, _ := fixDriver(t, nil)
	for _, id := range []string{"a1", "a3", "a4"} {
		d.moveTo(id)
		d.press("space")
	}
	d.press("E")
	o, ok := d.m.ov.(*extendOverlay)
	if !ok {
		t.Fatalf("no prompt: %q", d.flash())
	}
	if len(o.rows) != 2 || len(o.skipped) != 1 || !strings.Contains(o.skipped[0], "the session is declined; only a session awaiting signature can be changed") {
		t.Fatalf("rows %d, skipped %v", len(o.rows), o.skipped)
	}
	if s := d.screen(); !strings.Contains(s, "Extend the expiry of 2 sessions") || !strings.Contains(s, "Can't, not sent (1)") {
		t.Errorf("prompt:\n%s", s)
	}
	d.typeText("+7d")
	d.press("enter")
	if !o.confirming {
		t.Fatalf("not confirming: %q", o.err)
	}
	if n := len(dbx.calls()); n != 0 {
		t.Fatalf("%d updates before y", n)
	}
	d.press("y")
	calls := dbx.calls()
	if len(calls) != 2 {
		t.Fatalf("%d updates, want 2", len(calls))
	}
	got := map[string]time.Time{}
	for _, c := range calls {
		if len(c.spec.Signers) != 0 {
			t.Errorf("extend changed signers: %+v", c.spec)
		}
		got[c.id] = c.spec.ExpiresAt
	}
	for _, id := range []string{"a1", "a3"} {
		want := d.row(id).s.ExpiresAt // updated from the answer (the fake rounds to the hour)
		if got[id].IsZero() || got[id].Truncate(time.Hour) != want {
			t.Errorf("%s: sent %v, row shows %v", id, got[id], want)
		}
	}
	if _, sent := got["a4"]; sent {
		t.Error("the declined session was sent")
	}
	if f := d.flash(); !strings.Contains(f, "2 extended") || !strings.Contains(f, "1 skipped") {
		t.Errorf("flash %q", f)
	}
	var logged []string
	for _, e := range d.m.msgLog {
		if e.action == "Extend expiry" {
			logged = append(logged, e.outcome)
		}
	}
	if strings.Join(logged, ",") != "skipped,ok,ok" {
		t.Errorf("message log %v", logged)
	}
	if ops := d.ops("update"); len(ops) != 2 {
		t.Errorf("journal has %d updates", len(ops))
	}
}

// TestExtendDates: +Nd counts from the current expiry (or now when it
// has passed); a date is the end of that day; the past and nonsense are
// refused in the prompt.
func TestExtendDates(t *testing.T) {
	now := testNow
	exp := now.Add(48 * time.Hour)
	for _, c := range []struct {
		in      string
		current time.Time
		want    time.Time
		err     string
	}{
		{"+7d", exp, exp.AddDate(0, 0, 7), ""},
		{"+3", time.Time{}, now.AddDate(0, 0, 3), ""},
		{"+3d", now.Add(-time.Hour), now.AddDate(0, 0, 3), ""},
		{"2026-04-01", exp, time.Date(2026, 4, 1, 23, 59, 59, 0, time.UTC), ""},
		{"2026-03-01", exp, time.Time{}, "in the past"},
		{"+0d", exp, time.Time{}, "want +N"},
		{"next week", exp, time.Time{}, "not a date"},
		{"", exp, time.Time{}, "type a date"},
	} {
		got, err := parseNewExpiry(c.in, c.current, now)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: err %v, want %q", c.in, err, c.err)
		case c.err == "" && (err != nil || !got.Equal(c.want)):
			t.Errorf("%q: %v %v, want %v", c.in, got, err, c.want)
		}
	}
	// In the prompt: the error is inline and nothing is sent.
	d, dbx, _ := fixDriver(t, nil)
	d.moveTo("a1")
	d.press("E")
	d.typeText("2020-01-01")
	d.press("enter")
	if o := d.m.ov.(*extendOverlay); o.confirming || !strings.Contains(d.screen(), "is in the past") {
		t.Errorf("past date:\n%s", d.screen())
	}
	d.press("esc")
	if d.m.ov != nil || len(dbx.calls()) != 0 {
		t.Error("esc did not abort")
	}
	// Constellation1 cannot: the flash says so.
	d.moveTo("p1")
	d.press("E")
	if d.m.ov != nil || !strings.Contains(d.flash(), "Constellation1 cannot change the expiry date") {
		t.Errorf("c1: %q", d.flash())
	}
}

// TestGoldenFix pins the fix-signer form (Dropbox Sign pick, Constellation1
// edit, review) and the extend prompt and its confirmation.
func TestGoldenFix(t *testing.T) {
	scenes := []struct {
		name  string
		setup func(t *testing.T, d *driver)
	}{
		{"fix_pick", func(t *testing.T, d *driver) {
			openFix(t, d, "a1")
			d.press("1")
		}},
		{"fix_edit_c1", func(t *testing.T, d *driver) {
			openFix(t, d, "p1")
			d.press("2")
		}},
		{"fix_review", func(t *testing.T, d *driver) {
			openFix(t, d, "a1")
			d.press("enter")
			setField(d, "bob.stone@example.com")
			d.press("enter")
		}},
		{"extend_prompt", func(t *testing.T, d *driver) {
			for _, id := range []string{"a1", "a3", "a4"} {
				d.moveTo(id)
				d.press("space")
			}
			d.press("E")
			d.typeText("+7d")
		}},
		{"extend_confirm", func(t *testing.T, d *driver) {
			for _, id := range []string{"a1", "a3", "a4"} {
				d.moveTo(id)
				d.press("space")
			}
			d.press("E")
			d.typeText("2026-04-30")
			d.press("enter")
		}},
	}
	for _, sz := range []struct{ w, h int }{{80, 24}, {140, 40}} {
		for _, sc := range scenes {
			t.Run(fmt.Sprintf("%dx%d/%s", sz.w, sz.h, sc.name), func(t *testing.T) {
				d, _, _ := fixDriver(t, nil)
				d.send(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
				sc.setup(t, d)
				plainGolden(t, d)
			})
		}
	}
}

// TestFixAndExtendAgainstEmulator drives both actions through the real
// service and Dropbox Sign client against the emulator: the signer's
// email and the expiry change there, and the journal records both.
func TestFixAndExtendAgainstEmulator(t *testing.T) {
	const key = "emulator-test-key"
	srv, err := dropboxsigntest.NewServer(dropboxsigntest.Options{Seed: 1, Size: -1, APIKeys: []string{key},
		RateLimit: -1, SendRateLimit: -1, TestModeRateLimit: -1, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	owner := srv.Owner()
	name := "Bo Berg"
	exp := time.Now().Add(10 * 24 * time.Hour).Unix()
	id := srv.Add(dropboxsigntest.SignatureRequest{Title: "Offer 5 Bay Rd", RequesterEmailAddress: &owner, ExpiresAt: &exp,
		Signatures: []dropboxsigntest.Signature{{SignerEmailAddress: "bo@exmaple.com", SignerName: &name}}})
	c, err := dropboxsign.New(dropboxsign.Config{Account: "acme", BaseURL: srv.URL, APIKey: key, RecoverWait: -1, FindWindow: -1,
		Tune: func(cc *providers.ClientConfig) { cc.BackoffBase, cc.BackoffMax = time.Millisecond, 5*time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, Options{Now: time.Now, Accounts: []Account{{Name: "acme", Kind: models.DropboxSign, Provider: c, Endpoint: srv.URL}}})
	t.Cleanup(d.m.Close)
	d.run(d.m.Init())
	d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	d.moveTo(id)
	d.press("enter", "e")
	if d.fixForm() == nil {
		t.Fatalf("no form: %q", d.flash())
	}
	d.press("1")
	setField(d, "bo@example.com")
	d.press("enter", "y")
	if f := d.flash(); !strings.Contains(f, "Fix signer Offer 5 Bay Rd: ok") {
		t.Fatalf("flash %q", f)
	}
	r, _ := srv.Get(id)
	if len(r.Signatures) != 1 || r.Signatures[0].SignerEmailAddress != "bo@example.com" {
		t.Errorf("emulator signer %+v", r.Signatures)
	}
	if n := srv.Count("POST", "/v3/signature_request/update/"); n != 1 {
		t.Errorf("%d update requests", n)
	}
	if !strings.Contains(d.screen(), "bo@example.com") {
		t.Errorf("detail not refreshed:\n%s", d.screen())
	}

	day := time.Now().AddDate(0, 0, 30).Format("2006-01-02")
	d.press("E")
	d.typeText(day)
	d.press("enter", "y")
	if f := d.flash(); !strings.Contains(f, "Extend expiry Offer 5 Bay Rd: ok (expires "+day) {
		t.Fatalf("flash %q", f)
	}
	r, _ = srv.Get(id)
	if r.ExpiresAt == nil || time.Unix(*r.ExpiresAt, 0).Local().Format("2006-01-02") != day {
		t.Errorf("emulator expiry %v", r.ExpiresAt)
	}
	if ops := d.ops("update"); len(ops) != 2 || ops[0].Outcome != "ok" || ops[1].Outcome != "ok" {
		t.Errorf("journal %+v", ops)
	}
}

// TestQuitAsksWhileAnExtendIsInFlight: an expiry change sent and not yet
// answered counts as in flight, like a cancel: quit asks first, and the
// answer clears it.
func TestQuitAsksWhileAnExtendIsInFlight(t *testing.T) {
	d, _, _ := fixDriver(t, nil)
	d.moveTo("a1")
	d.press("E")
	d.typeText("+7d")
	d.press("enter")
	_, cmd := d.m.Update(keyMsg("y")) // the update command not run yet: in flight
	d.press("q")
	if d.quit || d.m.quitOv() == nil || !strings.Contains(d.screen(), "1 operation in flight") {
		t.Fatalf("q with an extend in flight:\n%s", d.screen())
	}
	d.press("n")
	msg, ok := findMsg[extendResultMsg](cmd)
	if !ok {
		t.Fatal("no extend result")
	}
	d.m.Update(msg)
	if n := d.m.inflightCount(); n != 0 {
		t.Errorf("%d in flight after the answer", n)
	}
}
