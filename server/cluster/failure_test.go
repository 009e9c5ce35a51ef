package cluster

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/tools/jsserver"
)

// load submits random changes through n every few ms until stop, and
// returns what it submitted successfully, in order, through got.
func load(n *node, seed uint64, stop <-chan struct{}) <-chan int {
	done := make(chan int, 1)
	go func() {
		r := rand.New(rand.NewPCG(seed, 1))
		ok := 0
		for {
			select {
			case <-stop:
				done <- ok
				return
			case <-time.After(3 * time.Millisecond):
			}
			ch := []protocol.Change{{Index: uint32(r.IntN(protocol.Boxes)), Value: r.IntN(2) == 0}}
			if _, taken := n.Submit(ch, func([]protocol.Change) {}); taken {
				ok++
			}
		}
	}()
	return done
}

// settledTail waits until every one of the accepted one-box submits of n
// has ended (committed or refused), then returns the stream's last seq:
// after it, nothing of theirs can be committed.
func settledTail(t *testing.T, n *node, accepted int) uint64 {
	t.Helper()
	deadline := time.Now().Add(AcceptBound + 5*time.Second)
	for n.m.forwarded.Load()+n.m.droppedBoxes.Load() < uint64(accepted) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d of %d accepted boxes ended", n.Name(), n.m.forwarded.Load()+n.m.droppedBoxes.Load(), accepted)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return tail(t, n)
}

func tail(t *testing.T, n *node) uint64 {
	t.Helper()
	info, err := n.h.stream.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.LastSeq
}

// The sequencer's node goes away without giving the lease back (its
// connection just closes): the lease expires, another node takes it and
// continues the same chain; the surviving node's feed has no gap and no
// reset, and every seq it saw is the stream's.
func TestSequencerLossContinuesTheChain(t *testing.T) {
	js := startJS(t)
	a := startNode(t, Config{URLs: urls(js), Node: "a"})
	waitWritable(t, a, 20*time.Second)
	b := startNode(t, Config{URLs: urls(js), Node: "b"})
	waitWritable(t, b, 20*time.Second)
	if !a.Sequencing() {
		t.Fatal("a took the lease first and should hold it")
	}
	var rb replica
	stop := make(chan struct{})
	loaded := load(b, 1, stop)
	rb.until(t, b, 10*time.Second, func() bool { return rb.Seq >= 20 })
	// Crash: no release, no goodbye.
	a.nc.Close()
	killed := time.Now()
	rb.until(t, b, 20*time.Second, func() bool { return b.Sequencing() && rb.Seq > tail(t, b)-1 && rb.Seq >= 40 })
	t.Logf("b sequencing %v after a's connection closed", time.Since(killed).Round(time.Millisecond))
	close(stop)
	accepted := <-loaded
	t.Logf("%d submits accepted", accepted)
	last := settledTail(t, b, accepted)
	rb.until(t, b, 10*time.Second, func() bool { return rb.Seq == last })
	if rb.reset != 1 {
		t.Fatalf("b reset %d times, want only the first", rb.reset)
	}
	for seq, f := range rb.frames {
		if string(streamMsg(t, b, seq).Data) != string(f) {
			t.Fatalf("seq %d seen differs from the stream", seq)
		}
	}
}

// A node whose NATS server goes away refuses Sets (nothing can commit),
// keeps its replica, and when the server is back catches up by itself;
// here it was away so long that the stream dropped what it missed, so it
// resets to the newest snapshot and still converges exactly.
func TestDisconnectedNodeRefusesThenConvergesPastRetention(t *testing.T) {
	js := startJS(t)
	cfg := Config{URLs: urls(js)[:2], Node: "a", Retain: 16}
	a := startNode(t, cfg)
	var ra replica
	waitWritable(t, a, 20*time.Second)
	c := startNode(t, Config{URLs: urls(js)[2:], OnlyURLs: true, Node: "c", Retain: 16})
	var rc replica
	waitWritable(t, c, 20*time.Second)
	rc.until(t, c, 10*time.Second, func() bool { return rc.reset == 1 })

	opts := js[2].Opts
	js[2].Stop()
	deadline := time.Now().Add(10 * time.Second)
	for c.Writable() {
		if time.Now().After(deadline) {
			t.Fatal("c still writable without its NATS server")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, ok := c.Submit([]protocol.Change{{Index: 1, Value: true}}, mustCommit(t)); ok {
		t.Fatal("c took a Set it cannot commit")
	}
	// Meanwhile the rest of the cluster moves on well past retention.
	stop := make(chan struct{})
	loaded := load(a, 2, stop)
	ra.until(t, a, 20*time.Second, func() bool { return ra.Seq >= 80 })
	close(stop)
	last := settledTail(t, a, <-loaded)
	ra.until(t, a, 10*time.Second, func() bool { return ra.Seq == last })

	s, err := jsserver.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	rc.until(t, c, 30*time.Second, func() bool { return rc.Seq == last })
	if rc.Grid != ra.Grid {
		t.Fatal("c did not converge")
	}
	// Two ways to get there, both exact: reset to a snapshot past the gap
	// (the usual one), or — seen in 2 of about 10 loaded CI runs, not
	// explained yet — every missed Delta in order (rc.apply fails the test
	// on any gap), so the stream still had them when c asked.
	if rc.reset < 2 {
		for seq := uint64(1); seq <= last; seq++ {
			if _, ok := rc.frames[seq]; !ok {
				t.Fatalf("c reset %d times and never had Delta %d: it neither reset past its gap nor applied every Delta", rc.reset, seq)
			}
		}
		t.Logf("c applied every Delta 1..%d in order (resets %d, backfilled %d, gaps %d)", last, c.m.resets.Load(), c.m.backfilled.Load(), c.m.gaps.Load())
	}
	waitWritable(t, c, 10*time.Second)
}

// A node that joins while the grid is busy starts from the newest
// snapshot and the stream after it, and converges exactly.
func TestJoiningNodeConverges(t *testing.T) {
	js := startJS(t)
	a := startNode(t, Config{URLs: urls(js), Node: "a", Retain: 64, SnapshotEvery: 200 * time.Millisecond})
	var ra replica
	waitWritable(t, a, 20*time.Second)
	stop := make(chan struct{})
	loaded := load(a, 3, stop)
	ra.until(t, a, 20*time.Second, func() bool { return ra.Seq >= 60 })
	j := startNode(t, Config{URLs: urls(js), Node: "j", Retain: 64, SnapshotEvery: 200 * time.Millisecond})
	var rj replica
	rj.until(t, j, 20*time.Second, func() bool { return rj.Seq >= ra.Seq+10 })
	close(stop)
	last := settledTail(t, a, <-loaded)
	ra.until(t, a, 10*time.Second, func() bool { return ra.Seq == last })
	rj.until(t, j, 10*time.Second, func() bool { return rj.Seq == last })
	if ra.Grid != rj.Grid {
		t.Fatal("joined node differs")
	}
	if j.m.backfilled.Load() == 0 && rj.reset == 1 && ra.reset == 1 {
		t.Logf("joined from a snapshot at the tail")
	}
}

// A node that joins far behind the newest snapshot (here: no snapshot at
// all, and more Deltas than the feed's queue to the hub holds) comes up:
// it is Ready before anyone reads its feed, as the server's hub starts
// draining only then, and the hub gets the whole catch-up as one reset.
// Before the fix its catch-up filled the queue and waited forever.
func TestNodeFarBehindTheSnapshotComesUp(t *testing.T) {
	js := startJS(t)
	cfg := Config{URLs: urls(js), Tick: 2 * time.Millisecond, SnapshotEvery: time.Hour}
	cfg.Node = "a"
	a := startNode(t, cfg)
	var ra replica
	waitWritable(t, a, 20*time.Second)
	stop := make(chan struct{})
	loaded := load(a, 4, stop)
	ra.until(t, a, 60*time.Second, func() bool { return ra.Seq >= 3*outQueue })
	close(stop)
	last := settledTail(t, a, <-loaded)
	ra.until(t, a, 10*time.Second, func() bool { return ra.Seq == last })
	if a.m.snapshots.Load() != 0 {
		t.Fatalf("%d snapshots written; this test wants none", a.m.snapshots.Load())
	}

	cfg.Node = "j"
	j := startNode(t, cfg)
	select {
	case <-j.Ready():
	case <-time.After(20 * time.Second):
		t.Fatalf("a node %d Deltas behind never came up", last)
	}
	var rj replica
	rj.until(t, j, 10*time.Second, func() bool { return rj.Seq == last })
	if rj.Grid != ra.Grid {
		t.Fatal("joined node differs")
	}
	if rj.reset != 1 || len(rj.frames) != 0 {
		t.Fatalf("the hub got %d resets and %d Deltas, want the catch-up as one reset", rj.reset, len(rj.frames))
	}
}
