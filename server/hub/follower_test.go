package hub

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/metrics"
	"checkgrid/server/pipeline"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// memUpstream is an in-memory Upstream (server/cluster is the real one):
// the test plays the sequencer, committing Deltas into feed and reading
// what the hub's players submitted from sets.
type memUpstream struct {
	feed     chan pipeline.Committed
	sets     chan []protocol.Change
	lost     chan func([]protocol.Change) // each taken Submit's lost callback
	writable atomic.Bool
	others   int64 // players on other nodes
}

func (u *memUpstream) Feed() <-chan pipeline.Committed { return u.feed }
func (u *memUpstream) Writable() bool                  { return u.writable.Load() }
func (u *memUpstream) Submit(ch []protocol.Change, lost func([]protocol.Change)) (int, bool) {
	select {
	case u.sets <- append([]protocol.Change(nil), ch...):
		u.lost <- lost
		return 0, true
	default:
		return 0, false
	}
}
func (u *memUpstream) Online(local int64) int64 { return local + u.others }

func startFollower(t *testing.T) (*testHub, *memUpstream) {
	t.Helper()
	u := &memUpstream{feed: make(chan pipeline.Committed, 16), sets: make(chan []protocol.Change, 16),
		lost: make(chan func([]protocol.Change), 16), others: 41}
	u.writable.Store(true)
	m := metrics.New()
	h := New(Config{Tick: 5 * time.Millisecond}, u, 77, m, nil)
	ctx, cancel := context.WithCancel(context.Background())
	th := &testHub{Hub: h, m: m, cancel: cancel, done: make(chan error, 1)}
	go func() { th.done <- h.Run(ctx) }()
	t.Cleanup(func() { th.stop(t) })
	return th, u
}

// step is the committed Delta seq flipping idx, as an upstream emits it.
func step(t *testing.T, seq, toggles uint64, idx ...uint32) pipeline.Committed {
	t.Helper()
	return pipeline.Committed{Seq: seq, Toggles: toggles, Frame: deltaFrame(t, seq, idx...), Boxes: idx}
}

func deltaFrame(t *testing.T, seq uint64, idx ...uint32) []byte {
	t.Helper()
	f, err := protocol.AppendDelta(nil, seq, idx)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// A follower's players get the committed Delta's exact bytes; their Sets
// go to the upstream and change nothing until committed.
func TestFollowerSendsCommittedBytesAndForwardsSets(t *testing.T) {
	th, u := startFollower(t)
	var g protocol.Bitset
	g.Put(3, true)
	u.feed <- pipeline.Committed{Seq: 5, Toggles: 9, Grid: &g}
	p := th.join(t, "p", 64)
	p.untilSeq(5)
	if p.rep.Epoch != 77 || !p.rep.Grid.Get(3) {
		t.Fatalf("joined at epoch %d, box 3 %v", p.rep.Epoch, p.rep.Grid.Get(3))
	}
	if !th.Stats().StorageOK {
		t.Fatal("not accepting Sets after the first reset with a writable upstream")
	}
	p.set(protocol.Change{Index: 10, Value: true})
	select {
	case got := <-u.sets:
		if len(got) != 1 || got[0] != (protocol.Change{Index: 10, Value: true}) {
			t.Fatalf("submitted %v", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the Set never reached the upstream")
	}
	if snapshotNow(t, th).Grid.Get(10) {
		t.Fatal("a Set was applied before it was committed")
	}
	frame := deltaFrame(t, 6, 10)
	u.feed <- pipeline.Committed{Seq: 6, Toggles: 10, Frame: frame, Boxes: []uint32{10}}
	got := p.until(protocol.TypeDelta)
	if string(got) != string(frame) {
		t.Fatal("the player's Delta is not the committed frame")
	}
	if !p.rep.Grid.Get(10) || p.rep.Seq != 6 {
		t.Fatal("player did not apply the committed Delta")
	}
	st := th.Stats()
	if st.Seq != 6 || st.Toggles != 10 || st.Checked != 2 || st.Online != 42 {
		t.Fatalf("stats %+v", st)
	}
}

// While the upstream cannot commit, Sets get Reject storage and reach
// nothing; reads go on.
func TestFollowerRefusesSetsWhileNotWritable(t *testing.T) {
	th, u := startFollower(t)
	u.feed <- pipeline.Committed{Seq: 1, Grid: new(protocol.Bitset)}
	p := th.join(t, "p", 64)
	p.untilSeq(1)
	u.writable.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for th.Stats().StorageOK {
		if time.Now().After(deadline) {
			t.Fatal("hub still accepting")
		}
		time.Sleep(time.Millisecond)
	}
	p.set(protocol.Change{Index: 1, Value: true})
	f := p.until(protocol.TypeReject)
	if r, err := protocol.DecodeReject(f); err != nil || r.Reason != protocol.RejectStorage {
		t.Fatalf("reject %+v %v", r, err)
	}
	if len(u.sets) != 0 {
		t.Fatal("a refused Set reached the upstream")
	}
	u.feed <- step(t, 2, 0, 500)
	p.untilSeq(2)
}

// A reset (the node's replica jumped to a snapshot) starts every player
// over: Resync(storage), then the Snapshot at the new seq. A step out of
// order is refused and counted, never passed on as a gap.
func TestFollowerResetAndBadStep(t *testing.T) {
	th, u := startFollower(t)
	u.feed <- pipeline.Committed{Seq: 1, Grid: new(protocol.Bitset)}
	p := th.join(t, "p", 64)
	p.untilSeq(1)
	// The join may have raced the first reset (a Resync then); only what
	// follows counts.
	p.resyncs = nil
	u.feed <- step(t, 3, 0, 7) // 2 is missing
	// The frame's seq is not the step's:
	u.feed <- pipeline.Committed{Seq: 2, Frame: deltaFrame(t, 3, 8), Boxes: []uint32{8}}
	var g protocol.Bitset
	g.Put(99, true)
	u.feed <- pipeline.Committed{Seq: 50, Grid: &g}
	p.untilSeq(50)
	if len(p.resyncs) != 1 || p.resyncs[0] != protocol.ResyncStorage || !p.rep.Grid.Get(99) || p.deltas != 0 {
		t.Fatalf("resyncs %v, box 99 %v, deltas %d", p.resyncs, p.rep.Grid.Get(99), p.deltas)
	}
	if n := testutil.ToFloat64(th.m.BadFrames.WithLabelValues("feed")); n != 2 {
		t.Fatalf("bad feed steps counted: %v, want 2", n)
	}
}

// Boxes the upstream took but could not commit come back to their player
// as Reject storage (PROTOCOL.md: every accepted box is committed or
// refused), and to no one else.
func TestFollowerRejectsWhatTheUpstreamLost(t *testing.T) {
	th, u := startFollower(t)
	u.feed <- pipeline.Committed{Seq: 1, Grid: new(protocol.Bitset)}
	p := th.join(t, "p", 64)
	other := th.join(t, "other", 64)
	p.untilSeq(1)
	other.untilSeq(1)
	p.set(protocol.Change{Index: 7, Value: true}, protocol.Change{Index: 9, Value: true})
	got := <-u.sets
	lost := <-u.lost
	lost(got)
	r, err := protocol.DecodeReject(p.until(protocol.TypeReject))
	if err != nil || r.Reason != protocol.RejectStorage {
		t.Fatalf("reject %+v %v", r, err)
	}
	idx, err := r.AppendIndexes(nil)
	if err != nil || len(idx) != 2 || idx[0] != 7 || idx[1] != 9 {
		t.Fatalf("rejected boxes %v %v, want [7 9]", idx, err)
	}
	// The other player hears nothing of it: its next frame is the next Delta.
	u.feed <- step(t, 2, 1, 3)
	if f := other.until(protocol.TypeDelta); f == nil {
		t.Fatal("no Delta")
	}
	if other.rejects != 0 {
		t.Fatalf("another player got %d Rejects", other.rejects)
	}
}
