package protocol

import (
	"fmt"

	"checkgrid/protocol/bitio"
)

// EncodingPacked is an AreaSnapshot payload holding the checked boxes as a
// packed index set (PROTOCOL.md "Packed index set"), the count being the
// header's checked field. Snapshot does not use it.
const EncodingPacked SnapshotEncoding = 3

// An AreaSnapshot is the boxes of one Area as of seq (version 2). A client
// replaces those boxes with it, keeps the rest as last known (not exact),
// and then applies exactly the AreaDeltas whose prev chain starts at seq.
//
//	offset size field
//	0      1    type = 0x07
//	1      1    encoding: 1 raw, 3 packed
//	2      8    epoch
//	10     8    seq the area is at
//	18     2    x of the area's left column
//	20     2    y of the area's top row
//	22     2    width in boxes
//	24     2    height in boxes
//	26     4    checked: number of checked boxes in the area (≤ w·h)
//	30     …    payload
//
// raw: ⌈w·h/8⌉ bytes; the area's box j (j = row·w + column, both counted
// inside the area) is bit j%8 (LSB first) of byte j/8; padding bits are 0.
// packed: the packed index set of the checked boxes' grid indexes, every one
// inside the area; no payload when checked is 0.
type AreaSnapshot struct {
	Encoding SnapshotEncoding
	Epoch    uint64
	Seq      uint64
	Area     Area
	Checked  uint32
	payload  []byte
}

// AreaSnapshotHeaderSize is the fixed part of an AreaSnapshot frame.
const AreaSnapshotHeaderSize = 30

// AppendAreaSnapshot appends an AreaSnapshot frame of area a of g at epoch
// and seq, in the smaller encoding (raw on a tie). It returns ErrField, and
// dst unchanged, for an invalid area. scratch is reused space for the
// area's checked boxes and is returned grown, for the caller to keep.
func AppendAreaSnapshot(dst []byte, epoch, seq uint64, a Area, g *Bitset, scratch []uint32) ([]byte, []uint32, error) {
	if err := a.Valid(); err != nil {
		return dst, scratch, err
	}
	idx := a.appendIndexes(scratch[:0], g)
	n := len(dst)
	dst = append(dst, byte(TypeAreaSnapshot), byte(EncodingPacked))
	dst = le.AppendUint64(dst, epoch)
	dst = le.AppendUint64(dst, seq)
	dst = le.AppendUint16(dst, a.X)
	dst = le.AppendUint16(dst, a.Y)
	dst = le.AppendUint16(dst, a.W)
	dst = le.AppendUint16(dst, a.H)
	dst = le.AppendUint32(dst, uint32(len(idx)))
	rawSize := (a.Boxes() + 7) / 8
	if len(idx) > 0 {
		bw := bitio.NewWriter(dst)
		// idx is strictly increasing and inside the grid: no error.
		_ = appendIndexSet(&bw, idx)
		dst = bw.Flush()
	}
	if len(dst)-n-AreaSnapshotHeaderSize < rawSize {
		return dst, idx, nil
	}
	// Raw is no larger: rewrite the payload.
	dst = dst[:n+AreaSnapshotHeaderSize]
	dst[n+1] = byte(EncodingRaw)
	start := len(dst)
	dst = append(dst, make([]byte, rawSize)...)
	raw := dst[start:]
	w := uint32(a.W)
	for _, i := range idx {
		j := (i/GridWidth-uint32(a.Y))*w + i%GridWidth - uint32(a.X)
		raw[j>>3] |= 1 << (j & 7)
	}
	return dst, idx, nil
}

// DecodeAreaSnapshot checks an AreaSnapshot frame's header, its area and
// its payload's size; Apply decodes and fully checks the boxes. The
// AreaSnapshot aliases b.
func DecodeAreaSnapshot(b []byte) (AreaSnapshot, error) {
	if err := header(b, TypeAreaSnapshot, AreaSnapshotHeaderSize); err != nil {
		return AreaSnapshot{}, err
	}
	s := AreaSnapshot{
		Encoding: SnapshotEncoding(b[1]),
		Epoch:    le.Uint64(b[2:]),
		Seq:      le.Uint64(b[10:]),
		Area:     Area{X: le.Uint16(b[18:]), Y: le.Uint16(b[20:]), W: le.Uint16(b[22:]), H: le.Uint16(b[24:])},
		Checked:  le.Uint32(b[26:]),
		payload:  b[AreaSnapshotHeaderSize:],
	}
	if err := s.Area.Valid(); err != nil {
		return AreaSnapshot{}, err
	}
	if int(s.Checked) > s.Area.Boxes() {
		return AreaSnapshot{}, fmt.Errorf("%w: %d checked in an area of %d boxes", ErrField, s.Checked, s.Area.Boxes())
	}
	switch s.Encoding {
	case EncodingRaw:
		if err := rawSize(len(s.payload), (s.Area.Boxes()+7)/8); err != nil {
			return AreaSnapshot{}, err
		}
	case EncodingPacked:
		if s.Checked == 0 {
			if len(s.payload) != 0 {
				return AreaSnapshot{}, fmt.Errorf("%w: %d payload bytes with nothing checked", ErrTrailing, len(s.payload))
			}
			break
		}
		if err := checkPackedSize(s.payload, int(s.Checked), 0); err != nil {
			return AreaSnapshot{}, err
		}
	default:
		return AreaSnapshot{}, fmt.Errorf("%w: %d", ErrEncoding, s.Encoding)
	}
	return s, nil
}

// PayloadSize is the number of bytes after the fixed header.
func (s AreaSnapshot) PayloadSize() int { return len(s.payload) }

// Apply writes the area's boxes into g, leaving every box outside the area
// as it was. It checks that each box is inside the area, that the count
// matches Checked and that padding is zero. scratch is reused space
// returned for the caller to keep. On error the area's boxes in g hold
// garbage and must not be used.
func (s AreaSnapshot) Apply(g *Bitset, scratch []uint32) ([]uint32, error) {
	s.Area.clearIn(g)
	a := s.Area
	switch s.Encoding {
	case EncodingRaw:
		w, n := uint32(a.W), uint32(a.Boxes())
		got := 0
		for j := uint32(0); j < n; j++ {
			if s.payload[j>>3]>>(j&7)&1 == 0 {
				if j&7 == 0 && s.payload[j>>3] == 0 {
					j += 7 // skip an empty byte
				}
				continue
			}
			i := (uint32(a.Y)+j/w)*GridWidth + uint32(a.X) + j%w
			g[i>>6] |= 1 << (i & 63)
			got++
		}
		if pad := n & 7; pad != 0 && s.payload[len(s.payload)-1]>>pad != 0 {
			return scratch, fmt.Errorf("%w: non-zero padding bits", ErrTrailing)
		}
		if got != int(s.Checked) {
			return scratch, fmt.Errorf("%w: header says %d, bits hold %d", ErrChecked, s.Checked, got)
		}
		return scratch, nil
	case EncodingPacked:
		if s.Checked == 0 {
			return scratch, nil
		}
		br := bitio.NewReader(s.payload)
		idx, err := readIndexSet(&br, int(s.Checked), 0, scratch[:0])
		if err != nil {
			return idx, err
		}
		if err := finish(&br, TypeAreaSnapshot); err != nil {
			return idx, err
		}
		for _, i := range idx {
			if !a.Contains(i) {
				return idx, fmt.Errorf("%w: box %d is outside the area", ErrIndex, i)
			}
			g[i>>6] |= 1 << (i & 63)
		}
		return idx, nil
	}
	return scratch, fmt.Errorf("%w: %d", ErrEncoding, s.Encoding)
}
