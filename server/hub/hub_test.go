package hub

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/limits"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// snapshotNow is the hub's published state, decoded.
func snapshotNow(t *testing.T, th *testHub) *protocol.Replica {
	t.Helper()
	info, err := th.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s, err := protocol.DecodeSnapshot(info.Frame)
	if err != nil {
		t.Fatal(err)
	}
	r := new(protocol.Replica)
	if err := r.ApplySnapshot(s); err != nil {
		t.Fatal(err)
	}
	return r
}

// A client sees Welcome, then Snapshot(S), then exactly S+1, S+2, …; one that
// joins later starts from a later S and converges to the same grid.
func TestJoinOrder(t *testing.T) {
	th := startHub(t, Config{})
	a := th.join(t, "a", 256)
	if typ := a.apply(a.next()); typ != protocol.TypeWelcome {
		t.Fatalf("first frame %v, want Welcome", typ)
	}
	if typ := a.apply(a.next()); typ != protocol.TypeSnapshot || a.rep.Seq != 0 {
		t.Fatalf("second frame %v at seq %d, want Snapshot at 0", typ, a.rep.Seq)
	}
	for i := range 5 {
		a.set(protocol.Change{Index: uint32(1000 * i), Value: true})
		a.until(protocol.TypeDelta)
	}
	b := th.join(t, "b", 256)
	if b.apply(b.next()) != protocol.TypeWelcome || b.apply(b.next()) != protocol.TypeSnapshot || b.rep.Seq != a.rep.Seq {
		t.Fatalf("late joiner: snapshot at %d, the first client is at %d", b.rep.Seq, a.rep.Seq)
	}
	b.set(protocol.Change{Index: 7, Value: true})
	a.until(protocol.TypeDelta)
	b.until(protocol.TypeDelta)
	want := snapshotNow(t, th)
	if a.rep.Seq != want.Seq || b.rep.Seq != want.Seq || a.rep.Grid != want.Grid || b.rep.Grid != want.Grid {
		t.Fatalf("clients at %d/%d, hub at %d; grids equal: %v %v", a.rep.Seq, b.rep.Seq, want.Seq, a.rep.Grid == want.Grid, b.rep.Grid == want.Grid)
	}
	if !want.Grid.Get(7) || !want.Grid.Get(4000) {
		t.Fatal("the hub's grid lacks the boxes set")
	}
}

// A client whose outbox overflows is never sent a gap: it leaves the
// broadcast set, and once its writer has drained what was queued it gets
// Resync(lagging) and a fresh Snapshot, then Deltas again.
func TestLaggingClientIsResynced(t *testing.T) {
	th := startHub(t, Config{OutboxFrames: 4, PlayerRate: limits.Rate{Per: 100000, Burst: 100000}})
	gate := make(chan struct{})
	slow := th.join(t, "slow", 1, gate)
	fast := th.join(t, "fast", 1024)
	fast.untilSeq(0)
	for i := range 40 { // 40 ticks' worth of Deltas against an outbox of 4
		fast.set(protocol.Change{Index: uint32(i), Value: true})
		fast.until(protocol.TypeDelta)
	}
	close(gate) // the reader wakes up and reads everything
	seq := fast.rep.Seq
	slow.untilSeq(seq)
	if len(slow.resyncs) == 0 || slow.resyncs[0] != protocol.ResyncLagging {
		t.Fatalf("slow client's resyncs: %v, want lagging", slow.resyncs)
	}
	if slow.rep.Grid != fast.rep.Grid {
		t.Fatal("the resynced client's grid differs")
	}
	if n := testutil.ToFloat64(th.m.Drops.WithLabelValues("outbox_full_delta")); n < 1 {
		t.Fatalf("outbox_full_delta drops counted: %v", n)
	}
	// And it follows live Deltas again.
	fast.set(protocol.Change{Index: 999, Value: true})
	slow.untilSeq(seq + 1)
}

// A writer stuck in Write (a socket nobody reads) past WriteTimeout is
// closed under it and counted as stalled, while others play on.
func TestStalledWriterIsClosed(t *testing.T) {
	th := startHub(t, Config{OutboxFrames: 2, WriteTimeout: 50 * time.Millisecond, PlayerRate: limits.Rate{Per: 100000, Burst: 100000}})
	stuck := th.join(t, "stuck", 1, make(chan struct{})) // never opens
	other := th.join(t, "other", 1024)
	other.untilSeq(0)
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; ; i++ {
		select {
		case <-stuck.ended:
		default:
			if time.Now().After(deadline) {
				t.Fatal("stuck connection never closed")
			}
			other.set(protocol.Change{Index: uint32(i), Value: true})
			other.until(protocol.TypeDelta)
			continue
		}
		break
	}
	if n := testutil.ToFloat64(th.m.Drops.WithLabelValues("stalled")); n != 1 {
		t.Fatalf("stalled drops %v, want 1", n)
	}
	if n := testutil.ToFloat64(th.m.Disconnects.WithLabelValues(protocol.CloseTooSlow.String())); n != 1 {
		t.Fatalf("too_slow disconnects %v, want 1", n)
	}
	other.set(protocol.Change{Index: 999_999, Value: true})
	other.until(protocol.TypeDelta)
}

// Too many resyncs in the window end the connection with 4001 too_slow;
// asking for them end it with 4006 abuse.
func TestTooManyResyncs(t *testing.T) {
	th := startHub(t, Config{MaxResyncs: 2})
	p := th.join(t, "greedy", 1024)
	p.untilSeq(0)
	req := protocol.AppendResyncRequest(nil, protocol.ResyncRequest{})
	for range 2 {
		p.conn.in <- req
		p.until(protocol.TypeSnapshot)
	}
	if len(p.resyncs) != 2 || p.resyncs[0] != protocol.ResyncRequested {
		t.Fatalf("resyncs: %v, want 2 requested", p.resyncs)
	}
	p.conn.in <- req
	p.waitEnded()
	if got := p.conn.closeCode(); got != protocol.CloseAbuse {
		t.Fatalf("closed with %v, want abuse", got)
	}
}

// A client that keeps sending after every Set was refused is closed with
// 4006; a bad frame closes only its sender with 4000.
func TestAbuseAndBadFramesCloseOnlyTheSender(t *testing.T) {
	th := startHub(t, Config{AbuseRejects: 3, PlayerRate: limits.Rate{Per: 1, Burst: 1}})
	good := th.join(t, "good", 1024)
	good.untilSeq(0)
	abuser := th.join(t, "abuser", 1024)
	abuser.untilSeq(0)
	for i := range 10 {
		abuser.set(protocol.Change{Index: uint32(10 + i), Value: true})
	}
	abuser.waitEnded()
	if got := abuser.conn.closeCode(); got != protocol.CloseAbuse {
		t.Fatalf("abuser closed with %v, want abuse", got)
	}
	garbage := th.join(t, "garbage", 1024)
	garbage.untilSeq(0)
	garbage.conn.in <- []byte{0x10, 0xff, 0xff}
	garbage.waitEnded()
	if got := garbage.conn.closeCode(); got != protocol.CloseProtocol {
		t.Fatalf("bad frame closed with %v, want protocol_error", got)
	}
	good.set(protocol.Change{Index: 5, Value: true})
	for !good.rep.Grid.Get(5) {
		good.until(protocol.TypeDelta)
	}
	if good.rep.Grid.Get(11) {
		t.Fatal("the good client's change is missing, or the abuser's second box got through")
	}
}

// On shutdown every change already applied to the grid reaches every
// client as a Delta before the 1001 close.
func TestShutdownDeliversQueuedBeforeGoingAway(t *testing.T) {
	th := startHub(t, Config{Tick: time.Hour}) // only the shutdown flush publishes
	p := th.join(t, "p", 1024)
	p.untilSeq(0)
	p.set(protocol.Change{Index: 123, Value: true})
	for !th.seq.Box(123) {
		time.Sleep(time.Millisecond)
	}
	th.stop(t)
	p.waitEnded()
	p.untilSeq(1)
	if !p.rep.Grid.Get(123) {
		t.Fatal("the last change did not reach the client before the close")
	}
	if got := p.conn.closeCode(); got != protocol.CloseGoingAway {
		t.Fatalf("closed with %v, want going_away", got)
	}
}

// A peer's close code becomes a metric label only from a fixed set.
func TestPeerCloseLabelsBounded(t *testing.T) {
	for code, want := range map[int]string{1000: "client_1000", 1001: "client_1001", 4006: "client_4006", 3000: "client_other", 4999: "client_other", 65535: "client_other"} {
		if got := peerCloseLabel(code); got != want {
			t.Errorf("peerCloseLabel(%d) = %q, want %q", code, got, want)
		}
	}
}

// Every client gets the very same bytes for a Delta.
func TestDeltaBytesShared(t *testing.T) {
	th := startHub(t, Config{})
	a, b := th.join(t, "a", 64), th.join(t, "b", 64)
	a.untilSeq(0)
	b.untilSeq(0)
	a.set(protocol.Change{Index: 42, Value: true})
	fa, fb := a.until(protocol.TypeDelta), b.until(protocol.TypeDelta)
	if !bytes.Equal(fa, fb) {
		t.Fatal("two clients got different bytes for one Delta")
	}
}

// A tenth of the players stop reading mid-run: the rest get every Delta of
// every tick, in order, with no Resync, while the stuck ones leave the
// broadcast set (a sender never waits on a full socket: if one did, the
// others would stall and this test would time out).
func TestStuckReadersDoNotSlowTheRest(t *testing.T) {
	th := startHub(t, Config{OutboxFrames: 4, WriteTimeout: 200 * time.Millisecond, PlayerRate: limits.Rate{Per: 100000, Burst: 100000}})
	var readers, stuck []*player
	for i := range 20 {
		if i%10 == 0 {
			stuck = append(stuck, th.join(t, fmt.Sprint("stuck", i), 1, make(chan struct{})))
		} else {
			readers = append(readers, th.join(t, fmt.Sprint("r", i), 4096))
		}
	}
	for _, p := range readers {
		p.untilSeq(0)
	}
	driver := readers[0]
	const ticks = 60
	for i := range ticks {
		driver.set(protocol.Change{Index: uint32(i), Value: true})
		driver.until(protocol.TypeDelta)
	}
	for _, p := range readers[1:] {
		p.untilSeq(driver.rep.Seq)
	}
	for i, p := range readers {
		if len(p.resyncs) != 0 || p.rep.Grid != driver.rep.Grid {
			t.Fatalf("reader %d: resyncs %v, grid equal %v", i, p.resyncs, p.rep.Grid == driver.rep.Grid)
		}
	}
	if n := testutil.ToFloat64(th.m.Drops.WithLabelValues("outbox_full_delta")); n != float64(len(stuck)) {
		t.Fatalf("outbox_full_delta drops %v, want one per stuck reader (%d)", n, len(stuck))
	}
}

// Stats ride on the next Delta: while changes flow, a Stats frame costs no
// write of its own but shares the Delta's (ride.go).
func TestStatsRideOnTheDelta(t *testing.T) {
	th := startHub(t, Config{StatsEvery: 20 * time.Millisecond, WriteTimeout: 80 * time.Millisecond, PlayerRate: limits.Rate{Per: 100000, Burst: 100000}})
	p := th.join(t, "p", 4096)
	p.untilSeq(0)
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		p.set(protocol.Change{Index: uint32(i), Value: true})
		p.until(protocol.TypeDelta)
		for _, w := range p.conn.writeTypes() {
			if len(w) == 2 && w[0] == byte(protocol.TypeDelta) && w[1] == byte(protocol.TypeStats) {
				return
			}
		}
	}
	t.Fatalf("none of %d writes carried a Delta and then Stats", len(p.conn.writeTypes()))
}

// Rounds of Stats start at most once per StatsEvery however often the
// counters change (PROTOCOL.md, Stats, "When"): over a run of constant
// change a whole-grid client (Stats riding on Deltas) and an area client
// (a round spread over ticks) each get at most one Stats per period, plus
// one, and they do get them.
func TestStatsAtMostOncePerPeriod(t *testing.T) {
	const every = 100 * time.Millisecond
	start := time.Now()
	th := startHub(t, Config{StatsEvery: every, WriteTimeout: 4 * every, PlayerRate: limits.Rate{Per: 100000, Burst: 100000}})
	p := th.join(t, "p", 4096)
	p.untilSeq(0)
	v := th.areaClient(t, "v", 1024, protocol.Area{X: 0, Y: 0, W: 40, H: 25})
	v.until(protocol.TypeAreaSnapshot)
	for i := 0; time.Since(start) < 10*every; i++ {
		p.set(protocol.Change{Index: uint32(500_000 + i), Value: true}) // outside v's area
		p.until(protocol.TypeDelta)
	}
	most := int(time.Since(start)/every) + 1
	for name, c := range map[string]*memConn{"whole-grid client": p.conn, "area client": v.conn} {
		n := 0
		for _, w := range c.writeTypes() {
			n += bytes.Count(w, []byte{byte(protocol.TypeStats)})
		}
		if n < 2 || n > most {
			t.Errorf("%s: %d Stats, want 2 … %d (one per %v)", name, n, most, every)
		}
	}
}

// A round of Stats starts on the first sweep tick at or after its period,
// however the ticks jitter around their schedule (PROTOCOL.md, Stats,
// "When"), and not on the tick before.
func TestStatsDueOnJitteredTicks(t *testing.T) {
	th := startHub(t, Config{StatsEvery: time.Second, WriteTimeout: 400 * time.Millisecond}) // sweep every 100 ms
	last := time.Unix(1000, 0)
	for _, c := range []struct {
		after time.Duration
		due   bool
	}{
		{time.Second - 300*time.Microsecond, true}, // the tick at the period, a little early
		{time.Second, true},
		{time.Second + 3*time.Millisecond, true},
		{900 * time.Millisecond, false}, // the tick before
	} {
		if got := th.statsDue(last, last.Add(c.after), time.Second); got != c.due {
			t.Errorf("%v after the last round: due %v, want %v", c.after, got, c.due)
		}
	}
}

// frames_received counts each frame a client sends under its type, a
// server→client type sent the wrong way included (it then ends the
// connection as a protocol error); the counters are resolved once, at
// New, for every known type.
func TestFramesReceivedByType(t *testing.T) {
	th := startHub(t, Config{})
	p := th.join(t, "counted", 1024)
	p.untilSeq(0)
	p.set(protocol.Change{Index: 7, Value: true})
	for !p.rep.Grid.Get(7) {
		p.until(protocol.TypeDelta)
	}
	if n := testutil.ToFloat64(th.m.FramesRecv.WithLabelValues("Set")); n != 1 {
		t.Fatalf("frames_received{type=Set} = %v, want 1", n)
	}
	d, err := protocol.AppendDelta(nil, 1, []uint32{3})
	if err != nil {
		t.Fatal(err)
	}
	p.conn.in <- d
	p.waitEnded()
	if got := p.conn.closeCode(); got != protocol.CloseProtocol {
		t.Fatalf("a Delta from a client closed with %v, want protocol_error", got)
	}
	if n := testutil.ToFloat64(th.m.FramesRecv.WithLabelValues("Delta")); n != 1 {
		t.Fatalf("frames_received{type=Delta} = %v, want 1", n)
	}
}
