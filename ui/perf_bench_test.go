package ui

// The dashboard's speed and memory goals at 1,000, 10,000 and 100,000
// sessions, and the same work done by charm.land/bubbles/v2's table and
// list on the same rows at 140x40. A figure at 100,000 sessions is also
// reported under a unit of the form "RESULT:<name>:<unit>", which
// scripts/bench-results.sh turns into the "RESULT <name> <value> <unit>"
// lines `make bench` ends with: a new goal is one benchmark calling
// reportResult.

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/list"
	"charm.land/bubbles/v2/table"
	tea "charm.land/bubbletea/v2"

	"github.com/signdeck/signdeck/models"
)

var benchSizes = []int{1_000, 10_000, 100_000}

// reportResult reports a figure; at 100,000 sessions it is also a RESULT
// line of make bench.
func reportResult(b *testing.B, n int, name string, v float64, unit string) {
	b.Helper()
	b.ReportMetric(v, unit)
	if n == 100_000 {
		b.ReportMetric(v, "RESULT:"+name+"_100k:"+unit)
	}
}

func forSizes(b *testing.B, f func(b *testing.B, n int)) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { f(b, n) })
	}
}

// perOp is the mean wall time of one of ops operations per loop iteration.
func perOp(b *testing.B, ops int) time.Duration {
	return b.Elapsed() / time.Duration(max(1, b.N*ops))
}

// filterKeys is a filter typed and erased again, one key at a time; the
// texts are what the input holds after each key. Each round starts a new
// typing session: the dashboard's recent filters (Model.snaps) are
// dropped, so erasing a key reuses only what this round typed.
var filterKeys = []string{"o", "a", "k", "space", "1", "backspace", "backspace", "backspace", "backspace", "backspace"}

func filterTexts() []string {
	var out []string
	cur := ""
	for _, k := range filterKeys {
		switch k {
		case "backspace":
			cur = cur[:len(cur)-1]
		case "space":
			cur += " "
		default:
			cur += k
		}
		out = append(out, cur)
	}
	return out
}

// filterKeystroke is one key typed into the open filter input until the
// filtered frame is rendered. Above liveFilterLimit the preview waits for
// a pause in typing; the preview message that pause delivers is sent here
// at once, so the figure is the work, not the pause.
func filterKeystroke(m *Model, k string) {
	m.Update(keyMsg(k))
	if len(m.rows) > liveFilterLimit {
		m.Update(filterPreviewMsg{seq: m.filterSeq})
	}
	_ = m.View()
}

func BenchmarkRenderFrame(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		m := benchModel(b, n)
		m.Update(keyMsg("j"))
		b.ReportAllocs()
		for b.Loop() {
			_ = m.View()
		}
		reportResult(b, n, "render_frame", float64(perOp(b, 1).Nanoseconds())/1e3, "us")
	})
}

func BenchmarkCursorMove(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		m := benchModel(b, n)
		down, up := keyMsg("j"), keyMsg("k")
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			// Down through two screens, then back: the window scrolls.
			k := down
			if i%160 >= 80 {
				k = up
			}
			m.Update(k)
			_ = m.View()
			i++
		}
		reportResult(b, n, "cursor_move", float64(perOp(b, 1).Nanoseconds())/1e3, "us")
	})
}

func BenchmarkFilterKeystroke(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		m := benchModel(b, n)
		m.Update(keyMsg("/"))
		b.ReportAllocs()
		for b.Loop() {
			m.snaps = nil // a new typing session: no filter typed a moment ago
			for _, k := range filterKeys {
				filterKeystroke(m, k)
			}
		}
		if m.filterInput.Value() != "" || !m.filtering {
			b.Fatalf("filter input %q, focused %v", m.filterInput.Value(), m.filtering)
		}
		reportResult(b, n, "filter_keystroke", float64(perOp(b, len(filterKeys)).Nanoseconds())/1e6, "ms")
	})
}

// BenchmarkViewSwitch: v pressed through the views over the active rows
// (active, expiring, stalled, back to active), each until its frame is
// rendered with the counts in the header. The lenses filter the sorted
// indices; expiring and stalled bring their own sort.
func BenchmarkViewSwitch(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		m := benchModel(b, n)
		_ = m.View()
		const switches = 3
		b.ReportAllocs()
		for b.Loop() {
			for range switches {
				m.Update(keyMsg("v"))
				_ = m.View()
			}
		}
		if m.viewID() != "" {
			b.Fatalf("view %q after a round", m.viewID())
		}
		reportResult(b, n, "view_switch", float64(perOp(b, switches).Nanoseconds())/1e6, "ms")
	})
}

// BenchmarkKeystrokeDuringRefresh: with a filter applied, a full refresh
// of every account streams in (pages of 100 through Update, 1% of the
// sessions changed, the last page ends the listing) and after each page a
// key arrives. A key's latency is counted from the moment the page before
// it started merging (the worst moment for it to arrive) until its frame
// is rendered: page Update + key Update + View.
func BenchmarkKeystrokeDuringRefresh(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		m := benchModel(b, n)
		if err := m.setFilter("oak 1"); err != nil {
			b.Fatal(err)
		}
		byAcct := map[int][]models.Session{}
		for i, r := range m.rows {
			s := r.s
			if i%100 == 7 {
				s.Status = models.AllStatuses[(i/100)%len(models.AllStatuses)]
			}
			byAcct[r.ai] = append(byAcct[r.ai], s)
		}
		const page = 100
		var lat []time.Duration
		keys := []tea.Msg{keyMsg("j"), keyMsg("k")}
		b.ReportAllocs()
		for b.Loop() {
			type stream struct {
				acct string
				gen  uint64
				ss   []models.Session
			}
			var streams []*stream
			for ai := range m.accts {
				m.startLoad(ai) // a new generation; its command is not run
				streams = append(streams, &stream{acct: m.accts[ai].Name, gen: m.accts[ai].gen, ss: byAcct[ai]})
			}
			for k := 0; len(streams) > 0; k++ {
				st := streams[k%len(streams)]
				p := st.ss[:min(page, len(st.ss))]
				st.ss = st.ss[len(p):]
				done := len(st.ss) == 0
				if done {
					streams = slices.DeleteFunc(streams, func(x *stream) bool { return x == st })
				}
				t0 := time.Now()
				m.Update(pagesMsg{acct: st.acct, gen: st.gen, sessions: p, pages: 1, done: done})
				m.Update(keys[k%2])
				_ = m.View()
				lat = append(lat, time.Since(t0))
			}
		}
		if len(m.rows) != n {
			b.Fatalf("%d rows after the refresh, want %d", len(m.rows), n)
		}
		slices.Sort(lat)
		p99 := lat[max(0, (len(lat)*99+99)/100-1)]
		reportResult(b, n, "keystroke_during_refresh_p99", float64(p99.Microseconds())/1e3, "ms")
	})
}

func BenchmarkHeap(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		var mib float64
		for b.Loop() {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			m := benchModel(b, n)
			_ = m.View()
			runtime.GC()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(m)
			mib = (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / (1 << 20)
		}
		reportResult(b, n, "heap", mib, "MiB")
	})
}

// Peers: the same rows in charm.land/bubbles/v2's table and list.

type peerItem struct{ title, desc, filter string }

func (i peerItem) Title() string       { return i.title }
func (i peerItem) Description() string { return i.desc }
func (i peerItem) FilterValue() string { return i.filter }

// peerTable is a bubbles table of the model's rows with the same columns.
func peerTable(m *Model) table.Model {
	cols := m.columns(140)
	var tc []table.Column
	for _, c := range cols {
		tc = append(tc, table.Column{Title: c.title, Width: c.width})
	}
	rows := make([]table.Row, 0, len(m.visible))
	for _, i := range m.visible {
		r := m.rows[i]
		cells := make(table.Row, len(cols))
		for k, c := range cols {
			cells[k] = c.cell(m, r)
		}
		rows = append(rows, cells)
	}
	return table.New(table.WithColumns(tc), table.WithRows(rows), table.WithFocused(true),
		table.WithWidth(140), table.WithHeight(m.tableHeight()+1))
}

// peerList is a bubbles list of the model's rows; an item filters on the
// same text the dashboard's filter searches.
func peerList(m *Model) list.Model {
	items := make([]list.Item, 0, len(m.visible))
	for _, i := range m.visible {
		r := m.rows[i]
		var sig []string
		for _, g := range r.s.Signers {
			sig = append(sig, g.DisplayName(), g.Email)
		}
		filter := strings.Join(append([]string{r.title, r.id, r.s.Ref.Account, string(r.s.Provider), r.acct,
			r.s.Status.Label()}, sig...), " ")
		items = append(items, peerItem{title: r.title, desc: r.acct + " " + r.s.Status.Label(), filter: filter})
	}
	return list.New(items, list.NewDefaultDelegate(), 140, 40)
}

// The speedups time the dashboard and the peer alternately in the same
// loop, so load from elsewhere on the machine falls on both alike; each
// also reports both sides' time per operation (us/move and peer-us/move,
// ms/key and peer-ms/key).

func BenchmarkSpeedupRenderVsBubblesTable(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		m := benchModel(b, n)
		t := peerTable(m)
		down := keyMsg("j")
		var ours, peer time.Duration
		for b.Loop() {
			t0 := time.Now()
			for range 20 {
				m.Update(down)
				_ = m.View()
			}
			t1 := time.Now()
			for range 20 {
				t.MoveDown(1)
				_ = t.View()
			}
			ours, peer = ours+t1.Sub(t0), peer+time.Since(t1)
		}
		b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N*20)/1e3, "us/move")
		b.ReportMetric(float64(peer.Nanoseconds())/float64(b.N*20)/1e3, "peer-us/move")
		reportResult(b, n, "speedup_render_vs_bubbles_table", float64(peer)/float64(ours), "x")
	})
}

func BenchmarkSpeedupFilterVsBubblesList(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		m := benchModel(b, n)
		l := peerList(m)
		m.Update(keyMsg("/"))
		texts := filterTexts()
		var ours, peer time.Duration
		for b.Loop() {
			m.snaps = nil // a new typing session: no filter typed a moment ago
			t0 := time.Now()
			for _, k := range filterKeys {
				filterKeystroke(m, k)
			}
			t1 := time.Now()
			for _, s := range texts {
				l.SetFilterText(s)
				_ = l.View()
			}
			ours, peer = ours+t1.Sub(t0), peer+time.Since(t1)
		}
		b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N*len(texts))/1e6, "ms/key")
		b.ReportMetric(float64(peer.Nanoseconds())/float64(b.N*len(texts))/1e6, "peer-ms/key")
		reportResult(b, n, "speedup_filter_vs_bubbles_list", float64(peer)/float64(ours), "x")
	})
}
