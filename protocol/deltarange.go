package protocol

import (
	"fmt"

	"checkgrid/protocol/bitio"
)

// A DeltaRange is the net change of the whole grid over several ticks
// (version 3): the boxes whose value differs between prev and seq, sent
// instead of every Delta to a passive whole-grid player (PROTOCOL.md,
// "Pacing"). A box flipped an even number of times in the range is not in
// it, so k may be 0: the frame then only moves the player from prev to
// seq. A client applies it only when it holds the whole grid at exactly
// prev (else it resyncs), and then holds it at seq.
//
//	offset size field
//	0      1    type = 0x0b
//	1      8    seq (≥ 1)
//	9      8    prev: the seq the client must hold (< seq)
//	17     4    k, number of flipped boxes (0..Boxes)
//	21     …    packed index set of the k boxes, zero-padded to a byte;
//	            absent when k = 0
type DeltaRange struct {
	Seq    uint64
	Prev   uint64
	Count  int
	packed []byte
}

// DeltaRangeHeaderSize is the fixed part of a DeltaRange frame.
const DeltaRangeHeaderSize = 21

// AppendDeltaRange appends a DeltaRange frame from prev to seq with the
// flipped boxes idx (strictly increasing, inside the grid; else ErrOrder
// or ErrIndex, and dst is returned unchanged). It returns ErrField unless
// 1 ≤ seq and prev < seq.
func AppendDeltaRange(dst []byte, seq, prev uint64, idx []uint32) ([]byte, error) {
	if seq == 0 || prev >= seq {
		return dst, fmt.Errorf("%w: delta range seq %d after %d", ErrField, seq, prev)
	}
	if len(idx) > Boxes {
		return dst, fmt.Errorf("%w: delta range of %d boxes", ErrCount, len(idx))
	}
	n := len(dst)
	dst = append(dst, byte(TypeDeltaRange))
	dst = le.AppendUint64(dst, seq)
	dst = le.AppendUint64(dst, prev)
	dst = le.AppendUint32(dst, uint32(len(idx)))
	if len(idx) == 0 {
		return dst, nil
	}
	bw := bitio.NewWriter(dst)
	if err := appendIndexSet(&bw, idx); err != nil {
		return dst[:n], err
	}
	return bw.Flush(), nil
}

// DecodeDeltaRange checks a DeltaRange frame's header and that its payload
// is long enough for its count; AppendIndexes decodes the boxes. The
// DeltaRange aliases b.
func DecodeDeltaRange(b []byte) (DeltaRange, error) {
	if err := header(b, TypeDeltaRange, DeltaRangeHeaderSize); err != nil {
		return DeltaRange{}, err
	}
	d := DeltaRange{Seq: le.Uint64(b[1:]), Prev: le.Uint64(b[9:]), Count: int(le.Uint32(b[17:])), packed: b[DeltaRangeHeaderSize:]}
	if d.Seq == 0 || d.Prev >= d.Seq {
		return DeltaRange{}, fmt.Errorf("%w: delta range seq %d after %d", ErrField, d.Seq, d.Prev)
	}
	if d.Count > Boxes {
		return DeltaRange{}, fmt.Errorf("%w: delta range of %d boxes", ErrCount, d.Count)
	}
	if d.Count == 0 {
		if len(d.packed) > 0 {
			return DeltaRange{}, fmt.Errorf("%w: %d bytes after an empty delta range", ErrTrailing, len(d.packed))
		}
		return d, nil
	}
	if err := checkPackedSize(d.packed, d.Count, 0); err != nil {
		return DeltaRange{}, err
	}
	return d, nil
}

// PayloadSize is the number of bytes after the fixed header.
func (d DeltaRange) PayloadSize() int { return len(d.packed) }

// AppendIndexes decodes the flipped boxes, strictly increasing, appending
// them to dst. On error the frame is corrupt as a whole.
func (d DeltaRange) AppendIndexes(dst []uint32) ([]uint32, error) {
	if d.Count == 0 {
		return dst, nil
	}
	br := bitio.NewReader(d.packed)
	dst, err := readIndexSet(&br, d.Count, 0, dst)
	if err != nil {
		return dst, err
	}
	return dst, finish(&br, TypeDeltaRange)
}
