package ui

import (
	"bytes"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/signdeck/signdeck/models"
)

func startProgram(t *testing.T) (*teatest.TestModel, *fakeProvider, *fakeProvider) {
	t.Helper()
	dbx, c1 := fixture()
	dbx.pageSize, c1.pageSize = 0, 0 // one page each: both titles seen = both loaded
	svc, _ := testService(t)
	m, err := New(Options{
		Service: svc,
		Accounts: []Account{
			{Name: "acme", Kind: models.DropboxSign, Provider: dbx, TokenSource: "keyring"},
			{Name: "prod", Kind: models.Constellation1, Provider: c1, TokenSource: "env"},
		},
		Now: fixedNow, CancelPollFirst: 5 * time.Millisecond, CancelPollMax: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	m.newOp = func() string { return "op-flow" }
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	waitOut(t, tm, "Addendum B", "Disclosure packet")
	return tm, dbx, c1
}

// waitOut waits until the output read in this call holds every string.
func waitOut(t *testing.T, tm *teatest.TestModel, all ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, s := range all {
			if !bytes.Contains(b, []byte(s)) {
				return false
			}
		}
		return true
	},
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

func sendKeys(tm *teatest.TestModel, keys ...string) {
	for _, k := range keys {
		tm.Send(keyMsg(k))
	}
}

func TestProgramMarkTwoAndCancel(t *testing.T) {
	tm, dbx, _ := startProgram(t)
	dbx.mu.Lock()
	dbx.cancelResult = models.StatusCanceled // done at once: the summary is the last flash
	dbx.mu.Unlock()
	// a1 is first; mark it (space moves down to p1), go to a3 and mark it.
	sendKeys(tm, "g", "space", "j", "j", "space", "x")
	waitOut(t, tm, "Cancel 2 sessions?")
	sendKeys(tm, "y")
	waitOut(t, tm, "2 canceled")
	sendKeys(tm, "q")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	dbx.mu.Lock()
	cancels := slices.Clone(dbx.cancels)
	dbx.mu.Unlock()
	slices.Sort(cancels)
	if !slices.Equal(cancels, []string{"a1", "a3"}) {
		t.Errorf("cancels = %v", cancels)
	}
	for _, id := range []string{"a1", "a3"} {
		r := fm.rowByRef(models.Ref{Account: "acme", ID: id})
		if r == nil || (r.s.Status != models.StatusCanceled && r.s.Status != models.StatusCancelPending) {
			t.Errorf("%s not canceled in the final model", id)
		}
	}
	if !fm.quitting {
		t.Errorf("not quitting")
	}
}

func TestProgramAsyncCancelConfirms(t *testing.T) {
	tm, dbx, _ := startProgram(t)
	dbx.mu.Lock()
	dbx.statusSeq = map[string][]models.Status{"a1": {models.StatusCancelPending, models.StatusCanceled}}
	dbx.mu.Unlock()
	sendKeys(tm, "g", "x", "y")
	waitOut(t, tm, "(confirmed)")
	sendKeys(tm, "q")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if r := fm.rowByRef(models.Ref{Account: "acme", ID: "a1"}); r == nil || r.s.Status != models.StatusCanceled {
		t.Error("a1 not canceled after confirmation")
	}
	if len(fm.pending) != 0 {
		t.Error("still polling")
	}
}

func TestProgramCopyFlow(t *testing.T) {
	tm, dbx, _ := startProgram(t)
	sendKeys(tm, "g", "c")
	waitOut(t, tm, "[+ add signer]")
	sendKeys(tm, "ctrl+n")
	tm.Type("Zed Ray")
	sendKeys(tm, "tab")
	tm.Type("zed@example.com")
	sendKeys(tm, "ctrl+s")
	waitOut(t, tm, "Send this copy?")
	sendKeys(tm, "y", "y") // the second y must not send again
	waitOut(t, tm, "Copied Lease renewal 12 Oak St to copy-1")
	sendKeys(tm, "q")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	dbx.mu.Lock()
	copies := slices.Clone(dbx.copies)
	dbx.mu.Unlock()
	if len(copies) != 1 {
		t.Fatalf("copies = %d", len(copies))
	}
	if n := len(copies[0].Signers); n != 4 || copies[0].Signers[3].Email != "zed@example.com" || !strings.HasPrefix(copies[0].OperationID, "sdop") {
		t.Errorf("spec = %+v", copies[0])
	}
	if r := fm.current(); r == nil || r.s.Ref.ID != "copy-1" {
		t.Error("the new session is not selected")
	}
	if fm.copyOv() != nil {
		t.Error("form still open")
	}
}

// TestProgramQuitLeavesNoGoroutines checks that quitting stops the
// dashboard's goroutines: listings, and timers such as a pending flash
// or the automatic refresh.
func TestProgramQuitLeavesNoGoroutines(t *testing.T) {
	dbx, c1 := fixture()
	svc, _ := testService(t)
	m, err := New(Options{
		Service: svc,
		Accounts: []Account{
			{Name: "acme", Kind: models.DropboxSign, Provider: dbx},
			{Name: "prod", Kind: models.Constellation1, Provider: c1},
		},
		Now: fixedNow, RefreshInterval: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	waitOut(t, tm, "Addendum B")
	sendKeys(tm, "x", "esc") // "Cancel aborted": a flash timer
	waitOut(t, tm, "Cancel aborted")
	sendKeys(tm, "q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
	var left string
	for i := 0; i < 100; i++ {
		buf := make([]byte, 1<<20)
		left = ""
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, "bubbletea/v2.Tick") || strings.Contains(g, "signdeck/ui.(*Model)") ||
				strings.Contains(g, "signdeck/ui.waitLoad") {
				left += g + "\n\n"
			}
		}
		if left == "" {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("goroutines left after quit:\n%s", left)
}
