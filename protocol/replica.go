package protocol

import (
	"errors"
	"fmt"
)

// Replica errors.
var (
	// ErrGap means a Delta is not the one after the replica's seq: a Delta
	// was missed (or repeated). The replica is unchanged; its holder must
	// resync from a Snapshot.
	ErrGap = errors.New("protocol: delta out of sequence")
	// ErrUnsynced means a Delta arrived before any Snapshot.
	ErrUnsynced = errors.New("protocol: delta before a snapshot")
)

// Replica is the grid at a seq of one history (epoch): a Snapshot(S) and
// then exactly the Deltas S+1, S+2, … applied in order. It is the one
// implementation of "check seq+1, apply the flips" that the server's
// recovery, the test peers, the crash test and the client board all use.
//
// A Replica is about 125 KB: keep it by pointer. It has no locking; its
// owner serialises access. The zero value is unsynced.
type Replica struct {
	Grid   Bitset
	Epoch  uint64
	Seq    uint64
	Synced bool // a Snapshot (or Reset) has been applied

	idx []uint32 // the last Delta's boxes, reused
}

// Reset makes r the grid g at seq of epoch (g is copied).
func (r *Replica) Reset(epoch, seq uint64, g *Bitset) {
	r.Grid, r.Epoch, r.Seq, r.Synced = *g, epoch, seq, true
}

// Unsync marks r as not holding a known state, until the next Snapshot:
// Deltas are refused with ErrUnsynced.
func (r *Replica) Unsync() { r.Synced = false }

// ApplySnapshot replaces r's state with s (any epoch). On a decoding error r
// is left unsynced with its grid cleared.
func (r *Replica) ApplySnapshot(s Snapshot) error {
	if err := s.Bits(&r.Grid); err != nil {
		clear(r.Grid[:])
		r.Synced = false
		return err
	}
	r.Epoch, r.Seq, r.Synced = s.Epoch, s.Seq, true
	return nil
}

// Apply decodes Delta frame b and applies it (ApplyDelta).
func (r *Replica) Apply(b []byte) ([]uint32, error) {
	d, err := DecodeDelta(b)
	if err != nil {
		return nil, err
	}
	return r.ApplyDelta(d)
}

// ApplyDelta flips d's boxes into the grid if d.Seq is exactly r.Seq+1, and
// returns them (strictly increasing; the slice is r's and valid until the
// next call). A Delta out of sequence returns ErrGap, one before any
// Snapshot ErrUnsynced, a corrupt one the decoder's error; in every error
// case r is unchanged.
func (r *Replica) ApplyDelta(d Delta) ([]uint32, error) {
	if !r.Synced {
		return nil, fmt.Errorf("%w: delta %d", ErrUnsynced, d.Seq)
	}
	if d.Seq != r.Seq+1 {
		return nil, fmt.Errorf("%w: have %d, got %d", ErrGap, r.Seq, d.Seq)
	}
	idx, err := d.AppendIndexes(r.idx[:0])
	r.idx = idx[:0]
	if err != nil {
		return nil, fmt.Errorf("delta %d: %w", d.Seq, err)
	}
	for _, i := range idx {
		r.Grid[i>>6] ^= 1 << (i & 63)
	}
	r.Seq = d.Seq
	return idx, nil
}
