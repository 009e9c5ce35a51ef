package store

import (
	"errors"
	"fmt"
	"path/filepath"
)

// ErrMismatch means history's records do not lead to what a keyframe says
// (its grid, toggles or hash chain): a record or keyframe was changed.
var ErrMismatch = errors.New("store: history does not match its keyframe")

// Verified is what Verify checked.
type Verified struct {
	First, Last   uint64 // seqs: the oldest keyframe, the last record
	Records       int
	Keyframes     int
	Chain         Chain  // the chain at Last
	ChainFrom     uint64 // seq of the keyframe the chain was taken from as given
	ChainFromBase bool   // that keyframe's chain is its own base: history is complete back to it
}

// Verify reads the whole kept history end to end: every keyframe in full,
// every record's checksums and seq, the grid each keyframe holds against
// the records before it, and the hash chain from the first chained
// keyframe (taken as given) through every record and every later keyframe.
// It returns the first failure: a *CorruptError naming the file, offset
// and seq of a bad record or keyframe, or ErrMismatch naming the keyframe
// the records before it do not reach.
func (h *History) Verify() (Verified, error) {
	keys, segs, err := h.list(^uint64(0))
	if err != nil {
		return Verified{}, err
	}
	if len(keys) == 0 {
		return Verified{}, fmt.Errorf("%w: no keyframe in %s", ErrNotKept, h.dir)
	}
	var kf keyframe
	if err := readCheckpoint(filepath.Join(h.dir, checkpointName(keys[0])), &kf); err != nil {
		return Verified{}, err
	}
	v := Verified{First: kf.Seq, Last: kf.Seq, Keyframes: 1}
	epoch, chain, chained := kf.Epoch, kf.chain, kf.chainKnown
	if chained {
		v.ChainFrom, v.ChainFromBase = kf.Seq, kf.chain == ChainBase(kf.Epoch, kf.Seq, kf.Toggles, &kf.Grid)
	}
	var g growingGrid
	g.reset(&kf.State)
	next := 1 // index in keys of the next keyframe to reach
	var ch chainer
	check := func() error {
		for next < len(keys) && keys[next] == g.rep.Seq {
			name := checkpointName(keys[next])
			var k keyframe
			if err := readCheckpoint(filepath.Join(h.dir, name), &k); err != nil {
				return err
			}
			switch {
			case k.Grid != g.rep.Grid:
				return fmt.Errorf("%w: %s: its grid is not the one records %d..%d lead to", ErrMismatch, name, keys[next-1]+1, k.Seq)
			case k.Toggles != g.toggles:
				return fmt.Errorf("%w: %s: toggles %d, the records say %d", ErrMismatch, name, k.Toggles, g.toggles)
			case k.chainKnown && chained && k.chain != chain:
				return fmt.Errorf("%w: %s: its hash chain is not the one records %d..%d lead to", ErrMismatch, name, keys[next-1]+1, k.Seq)
			}
			if k.chainKnown && !chained {
				// The first chained keyframe after version-1 history.
				chain, chained, v.ChainFrom = k.chain, true, k.Seq
				v.ChainFromBase = k.chain == ChainBase(k.Epoch, k.Seq, k.Toggles, &k.Grid)
			}
			epoch = k.Epoch // a new epoch holds for the records after it
			v.Keyframes++
			next++
		}
		return nil
	}
	err = walkSegments(h.dir, segs, kf.Seq+1, ^uint64(0), func(r record) error {
		if err := g.apply(r); err != nil {
			return err
		}
		chain = ch.next(chain, epoch, r.seq, r.time, r.toggles, r.deltaFrame())
		v.Records++
		v.Last = r.seq
		return check()
	})
	if err != nil {
		return v, err
	}
	if next < len(keys) {
		return v, fmt.Errorf("%w: %s: the log ends at seq %d, before it", ErrMismatch, checkpointName(keys[next]), v.Last)
	}
	v.Chain = chain
	return v, nil
}
