package protocol

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestReplicaFollowsHistory builds a random history, applies it to a
// Replica from a Snapshot in the middle, and checks the grid against a
// direct simulation at every step, plus every error path leaving the
// replica unchanged.
func TestReplicaFollowsHistory(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var truth Bitset
	var frames [][]byte
	var snapAt5 []byte
	for seq := uint64(1); seq <= 12; seq++ {
		idx := make([]uint32, 0, 64)
		for range 1 + rng.IntN(60) {
			idx = append(idx, rng.Uint32N(Boxes))
		}
		slices.Sort(idx)
		idx = slices.Compact(idx)
		f, err := AppendDelta(nil, seq, idx)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, f)
		for _, i := range idx {
			truth.Flip(i)
		}
		if seq == 5 {
			snapAt5 = AppendSnapshot(nil, 77, 5, &truth)
		}
	}
	var r Replica
	if _, err := r.Apply(frames[0]); !errors.Is(err, ErrGap) {
		t.Fatalf("delta before snapshot: %v, want ErrGap", err)
	}
	s, err := DecodeSnapshot(snapAt5)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.ApplySnapshot(s); err != nil || r.Seq != 5 || r.Epoch != 77 || !r.Synced() {
		t.Fatalf("snapshot: %v seq %d epoch %d", err, r.Seq, r.Epoch)
	}
	before := r.Grid
	for _, stale := range []int{3, 4, 6} { // seqs 4, 5 (old), 7 (skips 6)
		if _, err := r.Apply(frames[stale]); !errors.Is(err, ErrGap) || r.Seq != 5 || r.Grid != before {
			t.Fatalf("delta %d at seq 5: %v (seq now %d)", stale+1, err, r.Seq)
		}
	}
	bad := slices.Clone(frames[5])
	bad[len(bad)-1] ^= 0xff
	bad = append(bad, 0xff) // trailing garbage
	if _, err := r.Apply(bad); err == nil || r.Seq != 5 || r.Grid != before {
		t.Fatalf("corrupt delta accepted or changed the replica: %v", err)
	}
	for _, f := range frames[5:] {
		if _, err := r.Apply(f); err != nil {
			t.Fatal(err)
		}
	}
	if r.Seq != 12 || r.Grid != truth {
		t.Fatalf("after replay: seq %d, grid equal %v", r.Seq, r.Grid == truth)
	}
}

func TestReadHead(t *testing.T) {
	var g Bitset
	g.Put(9, true)
	delta, _ := AppendDelta(nil, 42, []uint32{1, 2, 3})
	rej, _ := AppendReject(nil, RejectRate, 100, []uint32{5, 6})
	areaSnap, _, _ := AppendAreaSnapshot(nil, 7, 40, Area{1, 2, 3, 4}, &g, nil)
	areaDelta, _ := AppendAreaDelta(nil, 43, 40, []uint32{1, 2})
	presence, _ := AppendPresence(nil, 250, []uint32{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5})
	for _, c := range []struct {
		frame []byte
		want  Head
	}{
		{AppendWelcome(nil, Welcome{Version: Version1, Width: GridWidth, Height: GridHeight, Epoch: 7, MaxSetBoxes: 512}), Head{Type: TypeWelcome, Ver: 1, Epoch: 7, MaxSet: 512}},
		{AppendWelcome(nil, Welcome{Version: Version2, Width: GridWidth, Height: GridHeight, Epoch: 7, MaxSetBoxes: 512}), Head{Type: TypeWelcome, Ver: 2, Epoch: 7, MaxSet: 512}},
		{areaSnap[:AreaSnapshotHeaderSize], Head{Type: TypeAreaSnapshot, Epoch: 7, Seq: 40, Area: Area{1, 2, 3, 4}}},
		{areaDelta[:AreaDeltaHeaderSize], Head{Type: TypeAreaDelta, Seq: 43, Prev: 40, Count: 2}},
		{presence[:PresenceHeaderSize], Head{Type: TypePresence, Count: 1}},
		{AppendSnapshot(nil, 7, 41, &g)[:SnapshotHeaderSize], Head{Type: TypeSnapshot, Epoch: 7, Seq: 41}},
		{delta[:DeltaHeaderSize], Head{Type: TypeDelta, Seq: 42, Count: 3}},
		{rej, Head{Type: TypeReject, Reason: uint8(RejectRate), Retry: 100, Count: 2}},
		{AppendResync(nil, Resync{Reason: ResyncLagging}), Head{Type: TypeResync, Reason: uint8(ResyncLagging)}},
	} {
		got, err := ReadHead(c.frame)
		if err != nil || got != c.want {
			t.Errorf("ReadHead(%x) = %+v, %v; want %+v", c.frame, got, err, c.want)
		}
		if _, err := ReadHead(c.frame[:len(c.frame)-1]); c.want.Type != TypeReject && !errors.Is(err, ErrShort) {
			t.Errorf("ReadHead of a cut %v header: %v, want ErrShort", c.want.Type, err)
		}
	}
	if _, err := ReadHead(AppendResyncRequest(nil, ResyncRequest{})); !errors.Is(err, ErrType) {
		t.Errorf("client frame: %v, want ErrType", err)
	}
}
