package protocol

import (
	"fmt"

	"checkgrid/protocol/bitio"
)

// An AreaDelta is one tick's flips inside a client's subscribed area
// (version 2): the boxes of the area whose value differs between the
// previous frame the client was sent and seq. Ticks with no flip in the
// area send nothing, so seqs skip; Prev lets the client check it missed
// nothing: it must equal the seq of the last AreaSnapshot or AreaDelta the
// client applied, else the client resyncs.
//
//	offset size field
//	0      1    type = 0x08
//	1      8    seq (≥ 1)
//	9      8    prev: seq of the previous area frame sent (< seq)
//	17     4    k, number of flipped boxes (1..Boxes)
//	21     …    packed index set of the k boxes (grid indexes, all inside
//	            the area), zero-padded to a byte
type AreaDelta struct {
	Seq    uint64
	Prev   uint64
	Count  int
	packed []byte
}

// AreaDeltaHeaderSize is the fixed part of an AreaDelta frame.
const AreaDeltaHeaderSize = 21

// AppendAreaDelta appends an AreaDelta frame for seq, following prev, with
// the flipped boxes idx (strictly increasing, inside the grid; else
// ErrOrder or ErrIndex, and dst is returned unchanged). It returns ErrField
// unless 1 ≤ seq and prev < seq.
func AppendAreaDelta(dst []byte, seq, prev uint64, idx []uint32) ([]byte, error) {
	if seq == 0 || prev >= seq {
		return dst, fmt.Errorf("%w: area delta seq %d after %d", ErrField, seq, prev)
	}
	if len(idx) == 0 || len(idx) > Boxes {
		return dst, fmt.Errorf("%w: area delta of %d boxes", ErrCount, len(idx))
	}
	n := len(dst)
	dst = append(dst, byte(TypeAreaDelta))
	dst = le.AppendUint64(dst, seq)
	dst = le.AppendUint64(dst, prev)
	dst = le.AppendUint32(dst, uint32(len(idx)))
	bw := bitio.NewWriter(dst)
	if err := appendIndexSet(&bw, idx); err != nil {
		return dst[:n], err
	}
	return bw.Flush(), nil
}

// DecodeAreaDelta checks an AreaDelta frame's header and that its payload
// is long enough for its count; AppendIndexes decodes the boxes. The area
// is the receiver's to check (Replica does). The AreaDelta aliases b.
func DecodeAreaDelta(b []byte) (AreaDelta, error) {
	if err := header(b, TypeAreaDelta, AreaDeltaHeaderSize); err != nil {
		return AreaDelta{}, err
	}
	d := AreaDelta{Seq: le.Uint64(b[1:]), Prev: le.Uint64(b[9:]), Count: int(le.Uint32(b[17:])), packed: b[AreaDeltaHeaderSize:]}
	if d.Seq == 0 || d.Prev >= d.Seq {
		return AreaDelta{}, fmt.Errorf("%w: area delta seq %d after %d", ErrField, d.Seq, d.Prev)
	}
	if d.Count == 0 || d.Count > Boxes {
		return AreaDelta{}, fmt.Errorf("%w: area delta of %d boxes", ErrCount, d.Count)
	}
	if err := checkPackedSize(d.packed, d.Count, 0); err != nil {
		return AreaDelta{}, err
	}
	return d, nil
}

// PayloadSize is the number of bytes after the fixed header.
func (d AreaDelta) PayloadSize() int { return len(d.packed) }

// AppendIndexes decodes the flipped boxes, strictly increasing, appending
// them to dst. On error the frame is corrupt as a whole.
func (d AreaDelta) AppendIndexes(dst []uint32) ([]uint32, error) {
	br := bitio.NewReader(d.packed)
	dst, err := readIndexSet(&br, d.Count, 0, dst)
	if err != nil {
		return dst, err
	}
	return dst, finish(&br, TypeAreaDelta)
}
