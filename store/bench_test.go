package store

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
)

// go test ./store -run '^$' -bench 100k -benchmem

const benchN = 100_000

// cpuClock reports the CPU time (user+system) the benchmark's process
// spent per operation, as "cpu-ms/op": on a machine shared with other work
// the wall time (ns/op) also counts the time spent waiting for a core.
type cpuClock struct{ start, total time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (c *cpuClock) resume() { c.start = cpuNow() }
func (c *cpuClock) pause()  { c.total += cpuNow() - c.start }
func (c *cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(c.total.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkPut100k stores 100,000 sessions (two signers each) into an
// empty cache: the first sync of a large account.
func BenchmarkPut100k(b *testing.B) {
	ss := sampleSessions("acme", benchN)
	ctx := context.Background()
	dir := b.TempDir()
	var cpu cpuClock
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		db, err := Open(filepath.Join(dir, fmt.Sprintf("put%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cpu.resume()
		if err := db.PutSessions(ctx, "acme", ss); err != nil {
			b.Fatal(err)
		}
		cpu.pause()
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	cpu.report(b)
}

// BenchmarkPut100kUnchanged stores the same 100,000 sessions again: a
// refresh that finds nothing new writes nothing.
func BenchmarkPut100kUnchanged(b *testing.B) {
	ss := sampleSessions("acme", benchN)
	ctx := context.Background()
	db := openT(b, filepath.Join(b.TempDir(), "s.db"))
	if err := db.PutSessions(ctx, "acme", ss); err != nil {
		b.Fatal(err)
	}
	var cpu cpuClock
	cpu.resume()
	for b.Loop() {
		if err := db.PutSessions(ctx, "acme", ss); err != nil {
			b.Fatal(err)
		}
	}
	cpu.pause()
	cpu.report(b)
}

// BenchmarkLoad100k loads 100,000 cached sessions with their signers: the
// dashboard's warm start.
func BenchmarkLoad100k(b *testing.B) {
	ctx := context.Background()
	db := openT(b, filepath.Join(b.TempDir(), "s.db"))
	if err := db.PutSessions(ctx, "acme", sampleSessions("acme", benchN)); err != nil {
		b.Fatal(err)
	}
	var cpu cpuClock
	cpu.resume()
	for b.Loop() {
		n := 0
		if err := db.LoadSessions(ctx, "", func(s models.Session) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != benchN {
			b.Fatalf("loaded %d", n)
		}
	}
	cpu.pause()
	cpu.report(b)
}
