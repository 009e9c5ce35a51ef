package protocol

import (
	"fmt"

	"checkgrid/protocol/bitio"
)

// Change is one box and the value a player wants it to have. Set semantics,
// not toggle: two players checking the same box both succeed.
type Change struct {
	Index uint32
	Value bool
}

// A Set asks the server to give boxes the values a player wants.
//
//	offset size field
//	0      1    type = 0x10
//	1      2    k, number of boxes (1..MaxSetBoxes, and ≤ Welcome's limit)
//	3      …    packed index set of the k boxes, then k value bits in the
//	            same order (1 = checked), zero-padded to a byte
type Set struct {
	Count  int
	packed []byte
}

// SetHeaderSize is the fixed part of a Set frame.
const SetHeaderSize = 3

// AppendSet appends a Set frame for changes, which must be sorted by strictly
// increasing Index (else ErrOrder; dst is returned unchanged).
func AppendSet(dst []byte, changes []Change) ([]byte, error) {
	if len(changes) == 0 || len(changes) > MaxSetBoxes {
		return dst, fmt.Errorf("%w: set of %d boxes", ErrCount, len(changes))
	}
	var idx [MaxSetBoxes]uint32
	for i, c := range changes {
		idx[i] = c.Index
	}
	n := len(dst)
	dst = append(dst, byte(TypeSet))
	dst = le.AppendUint16(dst, uint16(len(changes)))
	bw := bitio.NewWriter(dst)
	if err := appendIndexSet(&bw, idx[:len(changes)]); err != nil {
		return dst[:n], err
	}
	for _, c := range changes {
		v := uint64(0)
		if c.Value {
			v = 1
		}
		bw.Write(v, 1)
	}
	return bw.Flush(), nil
}

// DecodeSet checks a Set frame's header and size; AppendChanges decodes and
// fully checks its boxes. The Set aliases b.
func DecodeSet(b []byte) (Set, error) {
	if err := header(b, TypeSet, SetHeaderSize); err != nil {
		return Set{}, err
	}
	if len(b) > MaxClientMessage {
		return Set{}, fmt.Errorf("%w: set frame of %d bytes", ErrField, len(b))
	}
	s := Set{Count: int(le.Uint16(b[1:])), packed: b[SetHeaderSize:]}
	if s.Count == 0 || s.Count > MaxSetBoxes {
		return Set{}, fmt.Errorf("%w: set of %d boxes", ErrCount, s.Count)
	}
	if err := checkPackedSize(s.packed, s.Count, s.Count); err != nil {
		return Set{}, err
	}
	return s, nil
}

// AppendChanges decodes the Set's boxes, in increasing index order, appending
// them to dst.
func (s Set) AppendChanges(dst []Change) ([]Change, error) {
	var idx [MaxSetBoxes]uint32
	br := bitio.NewReader(s.packed)
	got, err := readIndexSet(&br, s.Count, s.Count, idx[:0])
	if err != nil {
		return dst, err
	}
	for _, i := range got {
		dst = append(dst, Change{Index: i, Value: br.Read(1) == 1})
	}
	if br.Over() {
		return dst, fmt.Errorf("%w: set values", ErrShort)
	}
	return dst, finish(&br, TypeSet)
}
