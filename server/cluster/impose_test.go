package cluster

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
)

// TestImposeThroughTheSequencer: the operator's change made on one node
// goes through the sequencer (wherever the lease is) and is a Delta every
// node's feed yields, at the seq Impose answers; the same change again
// flips nothing; Submit counts against the committed grid; bad operator
// batches are refused with a reason and change nothing.
func TestImposeThroughTheSequencer(t *testing.T) {
	js := startJS(t)
	a := startNode(t, Config{URLs: urls(js)[:1], Node: "a"})
	b := startNode(t, Config{URLs: urls(js)[1:2], Node: "b"})
	waitWritable(t, b, 20*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Each feed's first step is a reset (its catch-up); take it before the
	// change, so that the change reaches the replicas as its Delta.
	var ra, rb replica
	ra.until(t, a, 10*time.Second, func() bool { return ra.reset > 0 })
	rb.until(t, b, 10*time.Second, func() bool { return rb.reset > 0 })

	area := protocol.Area{X: 10, Y: 20, W: 4, H: 4}
	checker := func(i uint32) bool { return (i%protocol.GridWidth+i/protocol.GridWidth)%2 == 0 }
	flipped, seq, err := b.Impose(ctx, area, checker)
	if err != nil || flipped != 8 || seq == 0 {
		t.Fatalf("impose on b: %d boxes at seq %d, %v; want 8", flipped, seq, err)
	}
	want := protocol.Bitset{}
	for y := uint32(area.Y); y < uint32(area.Y+area.H); y++ {
		for x := uint32(area.X); x < uint32(area.X+area.W); x++ {
			want.Put(y*protocol.GridWidth+x, checker(y*protocol.GridWidth+x))
		}
	}
	ra.until(t, a, 10*time.Second, func() bool { return ra.Seq >= seq })
	rb.until(t, b, 10*time.Second, func() bool { return rb.Seq >= seq })
	for _, r := range []*replica{&ra, &rb} {
		if r.Grid != want {
			t.Fatalf("a replica at seq %d is not the imposed area", r.Seq)
		}
		d, err := protocol.DecodeDelta(r.frames[seq])
		var idx []uint32
		if err == nil {
			idx, err = d.AppendIndexes(nil)
		}
		if err != nil || len(idx) != 8 {
			t.Fatalf("the Delta at seq %d holds %v (%v), want the 8 imposed boxes (resets seen: %d)", seq, idx, err, r.reset)
		}
	}

	if again, at, err := a.Impose(ctx, area, checker); err != nil || again != 0 || at < seq {
		t.Errorf("the same change again, on a: %d boxes at seq %d, %v; want none", again, at, err)
	}
	on := area.Y*protocol.GridWidth + area.X // checked by the impose
	if toggled, ok := b.Submit([]protocol.Change{{Index: uint32(on), Value: true}, {Index: uint32(on + 1), Value: true}}, mustCommit(t)); !ok || toggled != 1 {
		t.Errorf("Submit of a checked and an unchecked box: toggled %d (%v), want 1", toggled, ok)
	}
	rb.until(t, b, 10*time.Second, func() bool { return rb.Grid.Get(uint32(on + 1)) })

	seqName := *b.fwd.target.Load() // b's forwarder knows the sequencer
	good, _, err := protocol.AppendAreaSnapshot(nil, b.History, 0, area, new(protocol.Bitset), nil)
	if err != nil {
		t.Fatal(err)
	}
	other, _, _ := protocol.AppendAreaSnapshot(nil, b.History+1, 0, area, new(protocol.Bitset), nil)
	for name, data := range map[string][]byte{"garbage": []byte("not a frame"), "another epoch": other, "cut short": good[:len(good)-1]} {
		reply, err := b.nc.RequestWithContext(ctx, imposePrefix+seqName, data)
		var r imposeReply
		if err == nil {
			err = json.Unmarshal(reply.Data, &r)
		}
		if err != nil || r.Error == "" || r.Boxes != 0 {
			t.Errorf("%s: answered %+v, %v; want a refusal with a reason", name, r, err)
		}
		if name == "another epoch" && !strings.Contains(r.Error, "epoch") {
			t.Errorf("%s: reason %q does not name the epoch", name, r.Error)
		}
	}
}

// TestImposeAcrossSequencerStop: an operator change made while the
// sequencer is going away (stopped, its lease given back) waits for the
// next sequencer and is committed by it, within AcceptBound.
func TestImposeAcrossSequencerStop(t *testing.T) {
	js := startJS(t)
	a := startNode(t, Config{URLs: urls(js)[:1], Node: "a"})
	waitWritable(t, a, 20*time.Second)
	b := startNode(t, Config{URLs: urls(js)[1:2], Node: "b"})
	waitWritable(t, b, 20*time.Second)
	if seq := *b.fwd.target.Load(); seq != "a" {
		t.Fatalf("sequencer %s, want a (started first)", seq)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var rb replica
	rb.until(t, b, 10*time.Second, func() bool { return rb.reset > 0 })

	a.stop()
	start := time.Now()
	area := protocol.Area{X: 500, Y: 500, W: 3, H: 3}
	flipped, seq, err := b.Impose(ctx, area, func(uint32) bool { return true })
	if err != nil || flipped != 9 {
		t.Fatalf("impose on b while a stops: %d boxes at seq %d, %v; want 9", flipped, seq, err)
	}
	if took := time.Since(start); took > AcceptBound {
		t.Errorf("committed %v after the sequencer stopped, past AcceptBound", took)
	}
	rb.until(t, b, 10*time.Second, func() bool { return rb.Seq >= seq })
	for y := uint32(area.Y); y < uint32(area.Y+area.H); y++ {
		for x := uint32(area.X); x < uint32(area.X+area.W); x++ {
			if !rb.Grid.Get(y*protocol.GridWidth + x) {
				t.Fatalf("box %d,%d not set at seq %d", x, y, rb.Seq)
			}
		}
	}
	t.Logf("the operator's change waited %v for the next sequencer (%s)", time.Since(start), *b.fwd.target.Load())
}
