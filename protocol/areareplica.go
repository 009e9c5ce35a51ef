package protocol

import (
	"errors"
	"fmt"
)

// Area replica errors.
var (
	// ErrAreaGap means a Delta or AreaDelta does not follow the last frame
	// the replica applied (a frame was missed or repeated), or a Delta came
	// while the replica follows a smaller area than the whole grid. The
	// replica is unchanged; its holder must resync.
	ErrAreaGap = errors.New("protocol: area frame out of sequence")
	// ErrOutside means an AreaDelta flipped a box outside the area the
	// replica follows.
	ErrOutside = errors.New("protocol: box outside the subscribed area")
)

// AreaReplica is what a version-2 client knows of the grid: the boxes of
// its subscribed Area exact at Seq, every other box as last known (from an
// earlier area or snapshot, possibly stale). It applies Snapshot, Delta,
// AreaSnapshot and AreaDelta frames in order and reports a gap instead of
// applying a frame that does not follow.
//
// An AreaReplica is about 125 KB: keep it by pointer. It has no locking;
// its owner serialises access. The zero value knows nothing.
type AreaReplica struct {
	Grid  Bitset // last known value of every box
	Area  Area   // where Grid is exact at Seq; zero: nowhere
	Epoch uint64
	Seq   uint64

	idx []uint32
}

// Synced reports whether the replica holds an exact area.
func (r *AreaReplica) Synced() bool { return r.Area.W != 0 }

// Unsync forgets the exact area until the next snapshot; Grid stays as
// last known.
func (r *AreaReplica) Unsync() { r.Area = Area{} }

// Known reports whether box i is exact: inside the area of a synced
// replica.
func (r *AreaReplica) Known(i uint32) bool { return r.Area.Contains(i) }

// Apply decodes server frame b and applies it if it is a Snapshot, Delta,
// AreaSnapshot or AreaDelta; other frames are ignored (ok false). It returns
// the boxes that flipped, for a Delta or AreaDelta (the slice is r's, valid
// until the next call). On any error r is unsynced and must be resynced.
func (r *AreaReplica) Apply(b []byte) (flipped []uint32, ok bool, err error) {
	t, err := PeekType(b)
	if err != nil {
		r.Unsync()
		return nil, false, err
	}
	switch t {
	case TypeSnapshot:
		s, err := DecodeSnapshot(b)
		if err == nil {
			err = r.ApplySnapshot(s)
		}
		return nil, true, r.fail(err)
	case TypeAreaSnapshot:
		s, err := DecodeAreaSnapshot(b)
		if err == nil {
			err = r.ApplyAreaSnapshot(s)
		}
		return nil, true, r.fail(err)
	case TypeDelta:
		d, err := DecodeDelta(b)
		if err == nil {
			flipped, err = r.ApplyDelta(d)
		}
		return flipped, true, r.fail(err)
	case TypeAreaDelta:
		d, err := DecodeAreaDelta(b)
		if err == nil {
			flipped, err = r.ApplyAreaDelta(d)
		}
		return flipped, true, r.fail(err)
	}
	return nil, false, nil
}

func (r *AreaReplica) fail(err error) error {
	if err != nil {
		r.Unsync()
	}
	return err
}

// ApplySnapshot makes the whole grid exact at s.Seq. On error r is
// unsynced.
func (r *AreaReplica) ApplySnapshot(s Snapshot) error {
	if err := s.Bits(&r.Grid); err != nil {
		r.Unsync()
		return err
	}
	r.Area, r.Epoch, r.Seq = WholeGrid, s.Epoch, s.Seq
	return nil
}

// ApplyAreaSnapshot makes s.Area exact at s.Seq; boxes outside keep their
// last known value. On error r is unsynced.
func (r *AreaReplica) ApplyAreaSnapshot(s AreaSnapshot) error {
	var err error
	if r.idx, err = s.Apply(&r.Grid, r.idx[:0]); err != nil {
		r.Unsync()
		return err
	}
	r.Area, r.Epoch, r.Seq = s.Area, s.Epoch, s.Seq
	return nil
}

// ApplyDelta applies a whole-grid Delta: r must follow the whole grid and
// d.Seq must be r.Seq+1, else ErrAreaGap and r is unchanged.
func (r *AreaReplica) ApplyDelta(d Delta) ([]uint32, error) {
	if !r.Area.Whole() || d.Seq != r.Seq+1 {
		return nil, fmt.Errorf("%w: delta %d, have seq %d of area %+v", ErrAreaGap, d.Seq, r.Seq, r.Area)
	}
	idx, err := d.AppendIndexes(r.idx[:0])
	r.idx = idx[:0]
	if err != nil {
		return nil, err
	}
	r.flip(idx)
	r.Seq = d.Seq
	return idx, nil
}

// ApplyAreaDelta applies an AreaDelta: d.Prev must be r.Seq (else
// ErrAreaGap) and every box inside r.Area (else ErrOutside); in both cases
// r is unchanged.
func (r *AreaReplica) ApplyAreaDelta(d AreaDelta) ([]uint32, error) {
	if !r.Synced() || d.Prev != r.Seq {
		return nil, fmt.Errorf("%w: area delta %d after %d, have seq %d", ErrAreaGap, d.Seq, d.Prev, r.Seq)
	}
	idx, err := d.AppendIndexes(r.idx[:0])
	r.idx = idx[:0]
	if err != nil {
		return nil, err
	}
	for _, i := range idx {
		if !r.Area.Contains(i) {
			return nil, fmt.Errorf("%w: box %d, area %+v", ErrOutside, i, r.Area)
		}
	}
	r.flip(idx)
	r.Seq = d.Seq
	return idx, nil
}

func (r *AreaReplica) flip(idx []uint32) {
	for _, i := range idx {
		r.Grid[i>>6] ^= 1 << (i & 63)
	}
}
