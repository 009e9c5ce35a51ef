package protocol

import (
	"fmt"

	"checkgrid/protocol/bitio"
)

// A Delta is one tick of the grid: the boxes whose value flipped between
// seq-1 and seq, so a client holding the grid at seq-1 XORs them in to hold
// the grid at seq. Flips, not values, because the client's state at seq-1 is
// exact by the seq invariant, and a flip costs no value bit.
//
//	offset size field
//	0      1    type = 0x03
//	1      8    seq (≥ 1), exactly one more than the previous Delta's
//	9      4    k, number of flipped boxes (1..Boxes)
//	13     …    packed index set of the k boxes, zero-padded to a byte
//
// Bytes 0..12 are the fixed header; the rest is the payload measured
// against the entropy bound in BENCHMARKS.md.
type Delta struct {
	Seq    uint64
	Count  int
	packed []byte
}

// DeltaHeaderSize is the fixed part of a Delta frame.
const DeltaHeaderSize = 13

// AppendDelta appends a Delta frame for seq with the flipped boxes idx, which
// must be strictly increasing and inside the grid (else ErrOrder or
// ErrIndex, and dst is returned unchanged).
func AppendDelta(dst []byte, seq uint64, idx []uint32) ([]byte, error) {
	if len(idx) == 0 || len(idx) > Boxes {
		return dst, fmt.Errorf("%w: delta of %d boxes", ErrCount, len(idx))
	}
	n := len(dst)
	dst = append(dst, byte(TypeDelta))
	dst = le.AppendUint64(dst, seq)
	dst = le.AppendUint32(dst, uint32(len(idx)))
	bw := bitio.NewWriter(dst)
	if err := appendIndexSet(&bw, idx); err != nil {
		return dst[:n], err
	}
	return bw.Flush(), nil
}

// DecodeDelta checks a Delta frame's header and that its payload is long
// enough for the count it claims. The boxes are decoded, and fully checked,
// by AppendIndexes. The Delta aliases b.
func DecodeDelta(b []byte) (Delta, error) {
	if err := header(b, TypeDelta, DeltaHeaderSize); err != nil {
		return Delta{}, err
	}
	d := Delta{Seq: le.Uint64(b[1:]), Count: int(le.Uint32(b[9:])), packed: b[DeltaHeaderSize:]}
	if d.Seq == 0 {
		return Delta{}, errField("seq", 0)
	}
	if d.Count == 0 || d.Count > Boxes {
		return Delta{}, fmt.Errorf("%w: delta of %d boxes", ErrCount, d.Count)
	}
	if err := checkPackedSize(d.packed, d.Count, 0); err != nil {
		return Delta{}, err
	}
	return d, nil
}

// PayloadSize is the number of bytes after the fixed header.
func (d Delta) PayloadSize() int { return len(d.packed) }

// AppendIndexes decodes the flipped boxes, strictly increasing, appending
// them to dst. On error dst may hold a prefix of the boxes; the frame must
// then be treated as corrupt as a whole.
func (d Delta) AppendIndexes(dst []uint32) ([]uint32, error) {
	br := bitio.NewReader(d.packed)
	dst, err := readIndexSet(&br, d.Count, 0, dst)
	if err != nil {
		return dst, err
	}
	return dst, finish(&br, TypeDelta)
}

// checkPackedSize rejects a packed index set that cannot hold count boxes
// plus extra bits, before anything is allocated for it.
func checkPackedSize(packed []byte, count, extra int) error {
	if len(packed) == 0 {
		return fmt.Errorf("%w: no payload", ErrShort)
	}
	b := int(packed[0] >> (8 - riceParamBits))
	if b > maxRiceParam {
		return fmt.Errorf("%w: %d", ErrParam, b)
	}
	if need := minPackedBits(count, uint(b)) + extra; need > 8*len(packed) {
		return fmt.Errorf("%w: %d boxes need at least %d bits, have %d", ErrShort, count, need, 8*len(packed))
	}
	return nil
}
