package emulatortest

import (
	"testing"
	"time"
)

func TestInjectorSkipLimitAndOps(t *testing.T) {
	in := NewInjector(Faults{ErrorRate: 1, Skip: 1, Limit: 2, Ops: []string{"send", "POST /v3/signature_request/cancel/"},
		Latency: time.Millisecond, AfterEffect: true}, 1)
	pick := func(op, method, path string) string {
		f, _, _ := in.Pick(op, method, path)
		return f
	}
	if f := pick("list", "GET", "/v3/signature_request/list"); f != "" {
		t.Errorf("an unmatched op got %q", f)
	}
	if f := pick("get", "GET", "/rest/v1/gettoken/x"); f != "" {
		t.Errorf("a name is not a substring match: %q", f)
	}
	got := []string{pick("send", "POST", "/v3/signature_request/send"), pick("cancel", "POST", "/v3/signature_request/cancel/ab"),
		pick("send", "POST", "/v3/signature_request/send"), pick("send", "POST", "/v3/signature_request/send")}
	want := []string{"", FaultError, FaultError, ""} // skipped, two struck, limit reached
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("picks %q, want %q", got, want)
		}
	}
	in.Set(Faults{ResetRate: 1, Ops: []string{"POST"}})
	if f, lat, after := in.Pick("x", "POST", "/a"); f != FaultReset || lat != 0 || after {
		t.Errorf("after Set: %q %v %v", f, lat, after)
	}
	if f := pick("x", "GET", "/a"); f != "" {
		t.Errorf("a method entry matched GET: %q", f)
	}
}

func TestExpiredTokensCountDown(t *testing.T) {
	in := NewInjector(Faults{ExpiredTokens: 2}, 1)
	if !in.TakeExpiredToken() || !in.TakeExpiredToken() || in.TakeExpiredToken() {
		t.Error("want exactly two expired tokens")
	}
}

func TestLog(t *testing.T) {
	type rec struct {
		Op     string
		Status int
	}
	var l Log[rec]
	slot := l.Add(rec{Op: "a"})
	l.Add(rec{Op: "b"})
	l.Finish(slot, rec{Op: "a", Status: 200})
	all := l.All()
	if len(all) != 2 || all[0].Status != 200 || all[1].Op != "b" {
		t.Errorf("log %+v", all)
	}
	if n := l.Count(func(r *rec) bool { return r.Op == "b" }); n != 1 {
		t.Errorf("count %d", n)
	}
	l.Clear()
	l.Finish(slot, rec{Op: "late"}) // a cleared log ignores a late finish
	if len(l.All()) != 0 {
		t.Error("Clear left entries")
	}
}
