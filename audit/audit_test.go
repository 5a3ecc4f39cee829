package audit

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestLogAppendsJSONLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "signdeck", "audit.log")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Log(Event{Action: "cancel", Account: "acme", Ref: "acme/1", Title: "Deed\x1b]0;x\x07", Outcome: "pending"}); err != nil {
		t.Fatal(err)
	}
	l.Log(Event{Action: "copy", Account: "acme", Ref: "acme/1", NewRef: "acme/2", Outcome: "ok"})
	l.Close()
	// Reopening appends.
	l2, _ := Open(path)
	l2.Log(Event{Action: "logout", Account: "acme", Outcome: "ok"})
	l2.Close()

	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v", fi.Mode(), err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	var evs []Event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		evs = append(evs, e)
	}
	if len(evs) != 3 || evs[0].Title != "Deed" || evs[1].NewRef != "acme/2" || evs[2].Action != "logout" || evs[0].Time.IsZero() {
		t.Fatalf("events = %+v", evs)
	}
}

func TestNilAndMemory(t *testing.T) {
	var l *Logger
	if err := l.Log(Event{Action: "x"}); err != nil {
		t.Fatal(err)
	}
	m := NewMemory()
	m.Log(Event{Action: "cancel", Outcome: "ok"})
	if got := m.Events(); len(got) != 1 || got[0].Action != "cancel" {
		t.Fatalf("events = %+v", got)
	}
}

func TestExistingFileTightenedAndEveryFieldCleaned(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	l.Log(Event{Action: "copy", Account: "acme", Ref: "acme/1\x1b[2J", NewRef: "acme/\x1b]0;x\x072",
		Status: "ok\u202e", OperationID: "op\x00", Outcome: "ok"})
	l.Close()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v", fi.Mode(), err)
	}
	b, _ := os.ReadFile(path)
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	if e.Ref != "acme/1" || e.NewRef != "acme/2" || e.Status != "ok" || e.OperationID != "op" {
		t.Errorf("event %+v", e)
	}
}
