package hub

import (
	"net/netip"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/limits"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// areaPlayer is a version-2 test client: it follows its frames into a
// Replica through protocol.Follower, exactly as the real client does, and
// counts what it gets.
type areaPlayer struct {
	t        *testing.T
	conn     *memConn
	rep      protocol.Replica
	follow   *protocol.Follower // of rep
	ended    chan struct{}
	welcome  protocol.Welcome
	counts   map[protocol.FrameType]int
	presence protocol.Presence
	stats    protocol.Stats
	resyncs  []protocol.ResyncReason
}

func (th *testHub) areaClient(t *testing.T, key string, outFrames int, area protocol.Area, gate ...chan struct{}) *areaPlayer {
	t.Helper()
	v := &areaPlayer{t: t, conn: newMemConn(outFrames), ended: make(chan struct{}), counts: map[protocol.FrameType]int{}}
	v.follow = protocol.NewFollower(&v.rep)
	if len(gate) > 0 {
		v.conn.gate = gate[0]
	}
	th.Go(v.conn, key, netip.MustParsePrefix("192.0.2.2/32"), Admission{Version: protocol.Version2, Area: area}, func() { close(v.ended) })
	return v
}

func (v *areaPlayer) next() []byte {
	v.t.Helper()
	select {
	case f := <-v.conn.out:
		return f
	case <-time.After(5 * time.Second):
		v.t.Fatal("no frame from the hub")
		return nil
	}
}

// apply follows one frame through the client's protocol.Follower; a gap,
// a box outside the area, a bad frame or a delta between a Resync and its
// snapshot fails the test.
func (v *areaPlayer) apply(f []byte) protocol.FrameType {
	v.t.Helper()
	st, err := v.follow.Handle(f)
	if err != nil || st.Skipped {
		v.t.Fatalf("%v: %v (skipped %v)", st.Head.Type, err, st.Skipped)
	}
	typ := st.Head.Type
	v.counts[typ]++
	v.welcome, _ = v.follow.Welcome()
	v.presence, _ = v.follow.Presence()
	v.stats = v.follow.Stats()
	if typ == protocol.TypeResync {
		v.resyncs = append(v.resyncs, protocol.ResyncReason(st.Head.Reason))
	}
	return typ
}

func (v *areaPlayer) until(want protocol.FrameType) []byte {
	v.t.Helper()
	for {
		if f := v.next(); v.apply(f) == want {
			return f
		}
	}
}

// drain applies whatever arrives within d.
func (v *areaPlayer) drain(d time.Duration) {
	v.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case f := <-v.conn.out:
			v.apply(f)
		case <-deadline:
			return
		}
	}
}

func (v *areaPlayer) viewport(a protocol.Area) {
	v.conn.in <- protocol.AppendViewport(nil, protocol.Viewport{Area: a})
}

// equalInside checks the viewer's area against the hub's published grid.
func (v *areaPlayer) equalInside(th *testHub) {
	v.t.Helper()
	want := snapshotNow(v.t, th)
	a := v.rep.Area
	if a.W == 0 {
		v.t.Fatal("viewer holds no area")
	}
	for i := uint32(0); i < protocol.Boxes; i++ {
		if a.Contains(i) && v.rep.Grid.Get(i) != want.Grid.Get(i) {
			v.t.Fatalf("box %d differs inside %+v", i, a)
		}
	}
}

var corner = protocol.Area{X: 0, Y: 0, W: 40, H: 25}
var farCorner = protocol.Area{X: 960, Y: 975, W: 40, H: 25}

// A version-2 client zoomed into one corner gets a version-2 Welcome, an
// AreaSnapshot, and then frames only for ticks that change its area: a
// change in the opposite corner sends it nothing, until it moves there.
func TestAreaClientGetsOnlyItsArea(t *testing.T) {
	th := startHub(t, Config{PlayerRate: limits.Rate{Per: 10000, Burst: 10000}, ViewportInterval: 20 * time.Millisecond})
	v := th.areaClient(t, "v", 256, corner)
	if v.apply(v.next()) != protocol.TypeWelcome || v.welcome.Version != protocol.Version2 || v.welcome.ViewportInterval != 20 || v.welcome.AddrBurst != 900 {
		t.Fatalf("welcome %+v", v.welcome)
	}
	v.until(protocol.TypeAreaSnapshot)
	if v.rep.Area != corner {
		t.Fatalf("area %+v", v.rep.Area)
	}
	p := th.join(t, "p", 1024)
	p.untilSeq(0)
	far := uint32(999*protocol.GridWidth + 999)
	for i := range 20 {
		p.set(protocol.Change{Index: far - uint32(i), Value: true})
		p.until(protocol.TypeDelta)
	}
	p.set(protocol.Change{Index: 1001, Value: true}) // inside the corner
	p.until(protocol.TypeDelta)
	if v.until(protocol.TypeAreaDelta); !v.rep.Grid.Get(1001) {
		t.Fatal("the change in the area did not arrive")
	}
	v.drain(50 * time.Millisecond)
	if v.counts[protocol.TypeAreaDelta] != 1 || v.counts[protocol.TypeDelta] != 0 {
		t.Fatalf("got %v for 21 ticks of which one touched the area", v.counts)
	}
	if v.rep.Grid.Get(far) {
		t.Fatal("a far box is known")
	}
	v.viewport(farCorner)
	v.until(protocol.TypeAreaSnapshot)
	if v.rep.Area != farCorner || !v.rep.Grid.Get(far) || !v.rep.Known(far) || v.rep.Known(1001) {
		t.Fatalf("after moving: area %+v, far box %v", v.rep.Area, v.rep.Grid.Get(far))
	}
	p.set(protocol.Change{Index: far, Value: false})
	v.until(protocol.TypeAreaDelta)
	v.equalInside(th)
	// Zoomed out past a quarter of the grid: the shared Snapshot and Deltas.
	v.viewport(protocol.Area{X: 0, Y: 0, W: 1000, H: 600})
	v.until(protocol.TypeSnapshot)
	if !v.rep.Area.Whole() {
		t.Fatalf("wide area served as %+v", v.rep.Area)
	}
	p.set(protocol.Change{Index: 5, Value: true})
	v.until(protocol.TypeDelta)
	v.equalInside(th)
	// The version-1 client followed every Delta to the same grid.
	p.untilSeq(v.rep.Seq)
	if p.rep.Grid != v.rep.Grid {
		t.Fatal("the whole-grid viewer and the version-1 client differ")
	}
}

// A viewer whose outbox overflows is resynced with its area, never sent a
// gap, and follows its area again.
func TestAreaLaggingIsResyncedWithItsArea(t *testing.T) {
	th := startHub(t, Config{OutboxFrames: 4, PlayerRate: limits.Rate{Per: 100000, Burst: 100000}})
	gate := make(chan struct{})
	v := th.areaClient(t, "slow", 1, corner, gate)
	p := th.join(t, "p", 1024)
	p.untilSeq(0)
	for i := range 40 {
		p.set(protocol.Change{Index: uint32(i), Value: true}) // row 0: inside the corner
		p.until(protocol.TypeDelta)
	}
	close(gate)
	for !v.rep.Synced() || v.rep.Seq < p.rep.Seq {
		v.apply(v.next())
	}
	if len(v.resyncs) == 0 || v.resyncs[0] != protocol.ResyncLagging {
		t.Fatalf("resyncs %v", v.resyncs)
	}
	if v.rep.Area != corner {
		t.Fatalf("resynced to %+v", v.rep.Area)
	}
	v.equalInside(th)
	if n := testutil.ToFloat64(th.m.Drops.WithLabelValues("outbox_full_area_delta")); n < 1 {
		t.Fatalf("outbox_full_area_delta drops: %v", n)
	}
	p.set(protocol.Change{Index: 39, Value: false})
	v.until(protocol.TypeAreaDelta)
	v.equalInside(th)
}

// Viewports faster than the interval coalesce: the last one wins, and at
// most one area change is applied per interval.
func TestViewportsCoalesce(t *testing.T) {
	const interval = 40 * time.Millisecond
	th := startHub(t, Config{ViewportInterval: interval})
	v := th.areaClient(t, "v", 1024, corner)
	v.until(protocol.TypeAreaSnapshot)
	start := time.Now()
	for i := range 50 {
		v.viewport(protocol.Area{X: uint16(i), Y: 100, W: 40, H: 25})
		time.Sleep(time.Millisecond)
	}
	last := protocol.Area{X: 49, Y: 100, W: 40, H: 25}
	for v.rep.Area != last {
		v.until(protocol.TypeAreaSnapshot)
	}
	v.drain(interval)
	elapsed := time.Since(start)
	if n, most := v.counts[protocol.TypeAreaSnapshot]-1, int(elapsed/interval)+1; n > most || n < 1 {
		t.Fatalf("%d area changes applied in %v, want 1..%d", n, elapsed, most)
	}
}

// Area snapshots come out of a budget: a client flipping between two large
// areas gets its burst, then one change per second or so, never more.
func TestAreaSnapshotBudget(t *testing.T) {
	const interval = 10 * time.Millisecond
	th := startHub(t, Config{ViewportInterval: interval, AreaBudget: limits.Rate{Per: 250_000, Burst: 1_000_000}})
	v := th.areaClient(t, "v", 1024, corner)
	v.until(protocol.TypeAreaSnapshot)
	a := protocol.Area{X: 0, Y: 0, W: 500, H: 500} // 250,000 boxes, the widest area
	b := protocol.Area{X: 500, Y: 500, W: 500, H: 500}
	start := time.Now()
	for i := 0; time.Since(start) < 300*time.Millisecond; i++ {
		if i%2 == 0 {
			v.viewport(a)
		} else {
			v.viewport(b)
		}
		v.drain(interval)
	}
	got := v.counts[protocol.TypeAreaSnapshot] - 1
	// Burst 1,000,000 = 4 areas, then 250,000/s: at most 2 more in 0.3 s
	// (30 asked for).
	if elapsed := time.Since(start); got < 4 || got > 4+int(elapsed/(time.Second/4))+1 {
		t.Fatalf("%d area snapshots of 250,000 boxes in %v, want 4 + one per 250 ms", got, elapsed)
	}
	if n := testutil.ToFloat64(th.m.Drops.WithLabelValues("viewport_deferred")); n < 1 {
		t.Fatalf("deferred viewports: %v", n)
	}
}

// deferred waits until the hub has deferred a Viewport for its budget.
func (th *testHub) deferred(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(th.m.Drops.WithLabelValues("viewport_deferred")) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("no Viewport was deferred for the budget")
		}
		time.Sleep(time.Millisecond)
	}
}

// What an area change costs (PROTOCOL.md, "Areas"): the boxes of the area
// it changes to; nothing for the snapshot after Welcome or after a Resync,
// nothing for a Viewport of the area the client has (B → A → B before A
// was applied sends nothing). The budget refills at one box a second and
// holds B twice and half of C: had the B → A → B Viewport cost B, C would
// wait.
func TestAreaChangeCosts(t *testing.T) {
	const interval = 300 * time.Millisecond // A and B are sent well inside one
	a, c := corner, farCorner               // 1,000 boxes each
	b := protocol.Area{X: 100, Y: 100, W: 40, H: 50}
	th := startHub(t, Config{ViewportInterval: interval, AreaBudget: limits.Rate{Per: 1, Burst: 2*b.Boxes() + c.Boxes()/2}})
	v := th.areaClient(t, "v", 1024, a)
	v.until(protocol.TypeAreaSnapshot) // the join
	v.viewport(b)
	v.until(protocol.TypeAreaSnapshot)
	if v.rep.Area != b {
		t.Fatalf("area %+v, want %+v", v.rep.Area, b)
	}
	v.viewport(a)
	v.viewport(b)                  // within the interval: the latest wins, and it is the current area
	v.drain(interval + interval/2) // the interval ends: nothing is sent
	if n := v.counts[protocol.TypeAreaSnapshot]; n != 2 {
		t.Fatalf("%d AreaSnapshots after B → A → B, want 2 (the join's and B's)", n)
	}
	v.viewport(c)
	v.until(protocol.TypeAreaSnapshot)
	if v.rep.Area != c {
		t.Fatalf("area %+v, want %+v", v.rep.Area, c)
	}
	// The budget is empty now: a Resync's snapshot still comes.
	v.conn.in <- protocol.AppendResyncRequest(nil, protocol.ResyncRequest{HaveSeq: v.rep.Seq})
	v.until(protocol.TypeResync)
	v.until(protocol.TypeAreaSnapshot)
	if v.rep.Area != c {
		t.Fatalf("resynced area %+v, want %+v", v.rep.Area, c)
	}
	v.viewport(b) // half of C is left: a change to B waits for the budget
	th.deferred(t)
}

// A change to the whole grid costs a full budget (1,000,000 boxes): the
// join's snapshot did not spend, so it is applied; then the budget is
// empty and a change to a small area waits.
func TestWholeGridCostsAFullBudget(t *testing.T) {
	th := startHub(t, Config{ViewportInterval: 10 * time.Millisecond, AreaBudget: limits.Rate{Per: 1, Burst: protocol.Boxes}})
	v := th.areaClient(t, "v", 1024, corner)
	v.until(protocol.TypeAreaSnapshot)
	v.viewport(protocol.Area{X: 0, Y: 0, W: 600, H: 600}) // widened to the whole grid
	v.until(protocol.TypeSnapshot)
	v.viewport(corner)
	th.deferred(t)
}

func (v *areaPlayer) waitEnded() {
	v.t.Helper()
	select {
	case <-v.ended:
	case <-time.After(5 * time.Second):
		v.t.Fatal("connection did not end")
	}
}

// A viewport outside the grid is a protocol error (4000); the hub serves
// others on.
func TestBadViewportCloses(t *testing.T) {
	th := startHub(t, Config{})
	v := th.areaClient(t, "v", 1024, corner)
	v.until(protocol.TypeAreaSnapshot)
	v.conn.in <- []byte{byte(protocol.TypeViewport), 0xe8, 0x03, 0, 0, 1, 0, 1, 0} // x = 1000
	v.waitEnded()
	// The close handshake runs on its own goroutine after the kill.
	deadline := time.Now().Add(5 * time.Second)
	for v.conn.closeCode() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if code := v.conn.closeCode(); code != protocol.CloseProtocol {
		t.Fatalf("closed with %v", code)
	}
	w := th.areaClient(t, "w", 1024, corner)
	w.until(protocol.TypeAreaSnapshot)
}

// After lagging as an area client and being resynced, a viewer still
// moves: to the whole grid (a broadcast member) and back to an area.
func TestAreaClientMovesAfterLagging(t *testing.T) {
	th := startHub(t, Config{OutboxFrames: 4, PlayerRate: limits.Rate{Per: 100000, Burst: 100000}, ViewportInterval: 10 * time.Millisecond})
	gate := make(chan struct{})
	v := th.areaClient(t, "slow", 1, corner, gate)
	p := th.join(t, "p", 1024)
	p.untilSeq(0)
	for i := range 40 {
		p.set(protocol.Change{Index: uint32(i), Value: true})
		p.until(protocol.TypeDelta)
	}
	close(gate)
	for len(v.resyncs) == 0 || !v.rep.Synced() || v.rep.Seq < p.rep.Seq {
		v.apply(v.next())
	}
	v.viewport(protocol.WholeGrid)
	v.until(protocol.TypeSnapshot)
	p.set(protocol.Change{Index: 500000, Value: true})
	v.until(protocol.TypeDelta)
	v.viewport(farCorner)
	v.until(protocol.TypeAreaSnapshot)
	if v.rep.Area != farCorner {
		t.Fatalf("area %+v after moving back", v.rep.Area)
	}
	p.set(protocol.Change{Index: 999999, Value: true})
	v.until(protocol.TypeAreaDelta)
	v.equalInside(th)
}
