package protocol

import (
	"errors"
	"math/rand/v2"
	"testing"
)

func FuzzDecodeDeltaRange(f *testing.F) {
	packedFrame[DeltaRange, uint32]{
		decode: DecodeDeltaRange, unpack: DeltaRange.AppendIndexes, check: inOrder[DeltaRange],
		encode: func(d DeltaRange, idx []uint32) ([]byte, error) { return AppendDeltaRange(nil, d.Seq, d.Prev, idx) },
		head:   func(d DeltaRange) any { return [2]uint64{d.Seq, d.Prev} },
	}.fuzz(f)
}

// A passive follower's life: a DeltaRange applies only to the whole grid
// at exactly its prev; it carries the net change of the ticks it spans,
// an empty one only moves the seq, and one that does not follow leaves
// the replica unchanged.
func TestReplicaFollowsDeltaRanges(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var live, follower Replica
	live.Reset(1, 10, new(Bitset))
	follower.Reset(1, 10, new(Bitset))
	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Groups of 3 ticks: the live replica takes every Delta, the follower
	// one DeltaRange of the net change per group.
	for group := 0; group < 50; group++ {
		prev := live.Seq
		var net Bitset
		for range 3 {
			idx := randomIndexes(r, 1+r.IntN(30))
			if group%7 == 0 { // the same boxes back and forth: the net change is empty
				idx = []uint32{1, 2, 3}
			}
			if _, err := live.Apply(must(AppendDelta(nil, live.Seq+1, idx))); err != nil {
				t.Fatal(err)
			}
			for _, i := range idx {
				net.Put(i, !net.Get(i))
			}
		}
		var flips []uint32
		for i := uint32(0); i < Boxes; i++ {
			if net.Get(i) {
				flips = append(flips, i)
			}
		}
		frame := must(AppendDeltaRange(nil, live.Seq, prev, flips))
		if _, err := follower.Apply(frame); err != nil {
			t.Fatalf("group %d: %v", group, err)
		}
		if follower.Seq != live.Seq || follower.Grid != live.Grid {
			t.Fatalf("group %d: follower at %d differs from live at %d", group, follower.Seq, live.Seq)
		}
		// Applied twice, it no longer follows.
		if _, err := follower.Apply(frame); !errors.Is(err, ErrGap) || follower.Seq != live.Seq {
			t.Fatalf("group %d: a repeated DeltaRange: %v", group, err)
		}
	}
	// Only the whole grid follows DeltaRanges.
	var area Replica
	area.Area, area.Seq = Area{0, 0, 10, 10}, 4
	if _, err := area.Apply(must(AppendDeltaRange(nil, 6, 4, []uint32{5}))); !errors.Is(err, ErrGap) {
		t.Fatalf("an area replica applied a DeltaRange: %v", err)
	}
	if h, err := ReadHead(must(AppendDeltaRange(nil, 6, 4, []uint32{5}))); err != nil || h.Seq != 6 || h.Prev != 4 || h.Count != 1 {
		t.Fatalf("ReadHead: %+v %v", h, err)
	}
}
