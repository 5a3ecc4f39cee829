package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The helper process: the test binary run again with -test.run selecting
// TestHelperProcess and STORE_HELPER naming what to do.
const helperEnv = "SIGNDECK_STORE_HELPER"

func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("only run as a helper process")
	}
	path := os.Getenv("STORE_PATH")
	if err := runHelper(mode, path); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(3)
	}
	os.Exit(0)
}

func runHelper(mode, path string) error {
	ctx := context.Background()
	switch mode {
	case "writer":
		// Wait until the parent has started every writer, so that they all
		// open the fresh database at the same moment.
		if _, err := io.ReadAll(os.Stdin); err != nil {
			return err
		}
		child, _ := strconv.Atoi(os.Getenv("STORE_CHILD"))
		n, _ := strconv.Atoi(os.Getenv("STORE_N"))
		db, err := Open(path)
		if err != nil {
			return err
		}
		defer db.Close()
		return writeJournal(ctx, db, child, n)
	case "intent-then-kill":
		db, err := Open(path)
		if err != nil {
			return err
		}
		if err := db.RecordIntent(ctx, Op{ID: "killed-op", Action: "copy", Ref: "acme/src",
			Intent: []byte(`{"title":"x"}`)}); err != nil {
			return err
		}
		// No Close, no exit path: the process dies here.
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	return fmt.Errorf("unknown helper mode %q", mode)
}

// writeJournal records n operations for writer w: an intent, an attempt
// and an outcome each; every third is a cancel left pending.
func writeJournal(ctx context.Context, db *DB, w, n int) error {
	for i := range n {
		id := fmt.Sprintf("w%d-op%d", w, i)
		action := "copy"
		if i%3 == 0 {
			action = "cancel"
		}
		if err := db.RecordIntent(ctx, Op{ID: id, Action: action, Account: "acme", Endpoint: "E",
			Ref: fmt.Sprintf("acme/w%d-s%d", w, i), Via: "cli"}); err != nil {
			return err
		}
		if err := db.BumpAttempt(ctx, id); err != nil {
			return err
		}
		o := Outcome{Outcome: OutcomeOK, NewRef: "acme/new-" + id}
		if action == "cancel" {
			o = Outcome{Outcome: OutcomePending, Status: "cancel_pending"}
		}
		if err := db.RecordOutcome(ctx, id, o); err != nil {
			return err
		}
	}
	return nil
}

// checkJournal checks that every operation of writers 0..writers-1 is in
// the journal, complete, with its history.
func checkJournal(t *testing.T, db *DB, writers, n int) {
	t.Helper()
	ctx := context.Background()
	ops, err := db.Ops(ctx, OpFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != writers*n {
		t.Fatalf("journal holds %d operations, want %d", len(ops), writers*n)
	}
	byID := map[string]Op{}
	for _, op := range ops {
		byID[op.ID] = op
	}
	wantPending := 0
	for w := range writers {
		for i := range n {
			id := fmt.Sprintf("w%d-op%d", w, i)
			op, ok := byID[id]
			if !ok {
				t.Fatalf("operation %s lost", id)
			}
			want := OutcomeOK
			if i%3 == 0 {
				want = OutcomePending
				wantPending++
			}
			if op.Outcome != want || op.Attempts != 1 {
				t.Fatalf("operation %s: outcome %q attempts %d", id, op.Outcome, op.Attempts)
			}
			if want == OutcomeOK && op.NewRef != "acme/new-"+id {
				t.Fatalf("operation %s: new ref %q", id, op.NewRef)
			}
		}
	}
	var events int
	if err := db.sql.QueryRow(`SELECT count(*) FROM op_events`).Scan(&events); err != nil || events != 3*writers*n {
		t.Fatalf("%d events, %v; want %d", events, err, 3*writers*n)
	}
	pend, err := db.PendingCancels(ctx, "acme", "E", time.Time{})
	if err != nil || len(pend) != wantPending {
		t.Fatalf("%d pending cancels, %v; want %d", len(pend), err, wantPending)
	}
}

// Eight processes open one fresh database at once and write the journal
// at the same time: nothing is lost.
func TestEightProcessesWriteJournal(t *testing.T) {
	const writers, n = 8, 40
	path := filepath.Join(t.TempDir(), "state", "signdeck.db")
	var cmds []*exec.Cmd
	var stdins []io.WriteCloser
	for w := range writers {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"=writer", "STORE_PATH="+path,
			"STORE_CHILD="+strconv.Itoa(w), "STORE_N="+strconv.Itoa(n))
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		out := &lockedBuf{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, stdins = append(cmds, cmd), append(stdins, in)
		t.Cleanup(func() { _ = cmd.Process.Kill() })
	}
	for _, in := range stdins { // go
		in.Close()
	}
	for w, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer %d: %v\n%s", w, err, cmd.Stdout.(*lockedBuf).String())
		}
	}
	db := openT(t, path)
	checkJournal(t, db, writers, n)
	ops, _ := db.Ops(context.Background(), OpFilter{})
	pids := map[int]bool{}
	for _, op := range ops {
		pids[op.PID] = true
	}
	if len(pids) != writers || pids[os.Getpid()] {
		t.Fatalf("operations recorded by %d processes, want %d writers", len(pids), writers)
	}
}

// The same with goroutines, each with its own *DB handle.
func TestEightHandlesWriteJournal(t *testing.T) {
	const writers, n = 8, 25
	path := filepath.Join(t.TempDir(), "signdeck.db")
	var wg sync.WaitGroup
	errs := make([]error, writers)
	start := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			db, err := Open(path)
			if err != nil {
				errs[w] = err
				return
			}
			defer db.Close()
			errs[w] = writeJournal(context.Background(), db, w, n)
		}()
	}
	close(start)
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", w, err)
		}
	}
	db := openT(t, path)
	checkJournal(t, db, writers, n)
}

// A process killed right after RecordIntent returned leaves the intent in
// the journal.
func TestIntentSurvivesKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signdeck.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"=intent-then-kill", "STORE_PATH="+path)
	out, err := cmd.CombinedOutput()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper did not die by SIGKILL: %v\n%s", err, out)
	}
	db := openT(t, path)
	op, err := db.Get(context.Background(), "killed-op")
	if err != nil || op.Ref != "acme/src" || op.PID != cmd.Process.Pid || op.Outcome != OutcomeNone {
		t.Fatalf("after kill: %+v, %v", op, err)
	}
	unresolved, err := db.Ops(context.Background(), OpFilter{Unresolved: true})
	if err != nil || len(unresolved) != 1 {
		t.Fatalf("unresolved after kill: %v, %v", unresolved, err)
	}
}

type lockedBuf struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}
