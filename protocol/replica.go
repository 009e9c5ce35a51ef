package protocol

import (
	"errors"
	"fmt"
)

// ErrGap means a Delta or AreaDelta does not follow what a Replica holds:
// a frame was missed or repeated, it came before any snapshot, a Delta came
// while the replica follows an area smaller than the whole grid, or an
// AreaDelta flipped a box outside the replica's area (it belongs to another
// subscription). The replica is unchanged; its holder must resync from a
// snapshot (PROTOCOL.md, Flow, invariants 1 and 2).
var ErrGap = errors.New("protocol: frame out of sequence")

// Replica is what a follower of one history (epoch) knows of the grid: the
// boxes of its Area exact at Seq, every other box as last known (from an
// earlier area or snapshot, possibly stale). The whole grid is an area: a
// Snapshot (or Reset) makes every box exact, and then exactly the Deltas
// Seq+1, Seq+2, … apply; an AreaSnapshot makes its area exact, and then
// each AreaDelta whose prev is Seq applies. A frame that does not follow is
// reported (ErrGap), never applied.
//
// It is the one implementation of "check the seq, apply the flips": the
// client's board, the protocol Follower (test clients, peers, the crash
// test), the server's recovery and history, and the cluster's feed all
// hold one.
//
// A Replica is about 125 KB: keep it by pointer. It has no locking; its
// owner serialises access. The zero value knows nothing.
type Replica struct {
	Grid  Bitset // last known value of every box
	Area  Area   // where Grid is exact at Seq; the zero Area: nowhere
	Epoch uint64
	Seq   uint64

	idx []uint32 // the last frame's boxes, reused
}

// Synced reports whether the replica holds an exact area.
func (r *Replica) Synced() bool { return r.Area.W != 0 }

// Known reports whether box i is exact: inside the area of a synced
// replica.
func (r *Replica) Known(i uint32) bool { return r.Area.Contains(i) }

// Unsync forgets the exact area until the next snapshot (after a gap or a
// Resync); Grid stays as last known.
func (r *Replica) Unsync() { r.Area = Area{} }

// Reset makes r the whole grid g at seq of epoch (g is copied).
func (r *Replica) Reset(epoch, seq uint64, g *Bitset) {
	r.Grid, r.Area, r.Epoch, r.Seq = *g, WholeGrid, epoch, seq
}

// Apply decodes server frame b, which must be a Snapshot, AreaSnapshot,
// Delta, AreaDelta or DeltaRange (else ErrType), and applies it. It
// returns the boxes a Delta, AreaDelta or DeltaRange flipped (strictly increasing; the slice is r's and
// valid until the next call). Errors are as the Apply methods below.
func (r *Replica) Apply(b []byte) ([]uint32, error) {
	t, err := PeekType(b)
	if err != nil {
		return nil, err
	}
	switch t {
	case TypeSnapshot:
		s, err := DecodeSnapshot(b)
		if err != nil {
			return nil, err
		}
		return nil, r.ApplySnapshot(s)
	case TypeAreaSnapshot:
		s, err := DecodeAreaSnapshot(b)
		if err != nil {
			return nil, err
		}
		return nil, r.ApplyAreaSnapshot(s)
	case TypeDelta:
		d, err := DecodeDelta(b)
		if err != nil {
			return nil, err
		}
		return r.ApplyDelta(d)
	case TypeDeltaRange:
		d, err := DecodeDeltaRange(b)
		if err != nil {
			return nil, err
		}
		return r.ApplyDeltaRange(d)
	case TypeAreaDelta:
		d, err := DecodeAreaDelta(b)
		if err != nil {
			return nil, err
		}
		return r.ApplyAreaDelta(d)
	}
	return nil, fmt.Errorf("%w: a replica applies no %v", ErrType, t)
}

// ApplySnapshot makes the whole grid exact at s.Seq of s.Epoch (any epoch:
// a new one replaces everything). On a decoding error r is left unsynced
// with its grid cleared.
func (r *Replica) ApplySnapshot(s Snapshot) error {
	if err := s.Bits(&r.Grid); err != nil {
		clear(r.Grid[:])
		r.Unsync()
		return err
	}
	r.Area, r.Epoch, r.Seq = WholeGrid, s.Epoch, s.Seq
	return nil
}

// ApplyAreaSnapshot makes s.Area exact at s.Seq; boxes outside keep their
// last known value. On a decoding error r is left unsynced.
func (r *Replica) ApplyAreaSnapshot(s AreaSnapshot) error {
	var err error
	if r.idx, err = s.Apply(&r.Grid, r.idx[:0]); err != nil {
		r.Unsync()
		return err
	}
	r.Area, r.Epoch, r.Seq = s.Area, s.Epoch, s.Seq
	return nil
}

// ApplyDelta flips d's boxes if d follows (Follows) and returns them. A
// Delta that does not follow returns ErrGap, a corrupt one the decoder's
// error; in both cases r is unchanged.
func (r *Replica) ApplyDelta(d Delta) ([]uint32, error) {
	if err := Follows(r.Area, r.Seq, Head{Type: TypeDelta, Seq: d.Seq}); err != nil {
		return nil, err
	}
	idx, err := d.AppendIndexes(r.idx[:0])
	r.idx = idx[:0]
	if err != nil {
		return nil, fmt.Errorf("delta %d: %w", d.Seq, err)
	}
	r.flip(idx, d.Seq)
	return idx, nil
}

// ApplyAreaDelta flips d's boxes if d follows (Follows) and every box is
// inside r.Area, and returns them. Otherwise it returns ErrGap (or the
// decoder's error) and r is unchanged.
func (r *Replica) ApplyAreaDelta(d AreaDelta) ([]uint32, error) {
	if err := Follows(r.Area, r.Seq, Head{Type: TypeAreaDelta, Seq: d.Seq, Prev: d.Prev}); err != nil {
		return nil, err
	}
	idx, err := d.AppendIndexes(r.idx[:0])
	r.idx = idx[:0]
	if err != nil {
		return nil, fmt.Errorf("area delta %d: %w", d.Seq, err)
	}
	for _, i := range idx {
		if !r.Area.Contains(i) {
			return nil, fmt.Errorf("%w: area delta %d flips box %d outside area %+v", ErrGap, d.Seq, i, r.Area)
		}
	}
	r.flip(idx, d.Seq)
	return idx, nil
}

// ApplyDeltaRange flips d's boxes if d follows (Follows: r holds the whole
// grid at d.Prev) and returns them; r then holds seq d.Seq. Otherwise it
// returns ErrGap (or the decoder's error) and r is unchanged.
func (r *Replica) ApplyDeltaRange(d DeltaRange) ([]uint32, error) {
	if err := Follows(r.Area, r.Seq, Head{Type: TypeDeltaRange, Seq: d.Seq, Prev: d.Prev}); err != nil {
		return nil, err
	}
	idx, err := d.AppendIndexes(r.idx[:0])
	r.idx = idx[:0]
	if err != nil {
		return nil, fmt.Errorf("delta range %d: %w", d.Seq, err)
	}
	r.flip(idx, d.Seq)
	return idx, nil
}

func (r *Replica) flip(idx []uint32, seq uint64) {
	for _, i := range idx {
		r.Grid[i>>6] ^= 1 << (i & 63)
	}
	r.Seq = seq
}

// Follows is the one rule for whether a Delta, AreaDelta or DeltaRange
// (given by its head) follows a follower that holds area exact at seq (the
// zero Area: it holds nothing): a Delta needs the whole grid and seq+1, an
// AreaDelta any area and prev = seq, a DeltaRange the whole grid and prev
// = seq. It returns nil or ErrGap with detail. Other frame types always
// follow.
func Follows(area Area, seq uint64, h Head) error {
	switch h.Type {
	case TypeDelta:
		if !area.Whole() || h.Seq != seq+1 {
			return fmt.Errorf("%w: delta %d, have seq %d of area %+v", ErrGap, h.Seq, seq, area)
		}
	case TypeAreaDelta:
		if area.W == 0 || h.Prev != seq {
			return fmt.Errorf("%w: area delta %d after %d, have seq %d of area %+v", ErrGap, h.Seq, h.Prev, seq, area)
		}
	case TypeDeltaRange:
		if !area.Whole() || h.Prev != seq {
			return fmt.Errorf("%w: delta range %d after %d, have seq %d of area %+v", ErrGap, h.Seq, h.Prev, seq, area)
		}
	}
	return nil
}
