package protocol

import (
	"bytes"
	"fmt"
	"math/bits"

	"github.com/RoaringBitmap/roaring/v2"
)

// SnapshotEncoding names how a Snapshot's payload represents the grid.
type SnapshotEncoding uint8

// Snapshot encodings. The encoder sends whichever is smaller for the grid at
// hand: roaring wins on sparse and on run-heavy (drawn) grids, raw on noise.
const (
	EncodingRaw     SnapshotEncoding = 1 // BitsetBytes bytes, box i is bit i%8 of byte i/8
	EncodingRoaring SnapshotEncoding = 2 // roaring portable serialization, run-optimised
)

func (e SnapshotEncoding) String() string {
	switch e {
	case EncodingRaw:
		return "raw"
	case EncodingRoaring:
		return "roaring"
	}
	return fmt.Sprintf("SnapshotEncoding(%d)", uint8(e))
}

// A Snapshot is the whole grid as of seq. A client applies it, then exactly
// the Deltas seq+1, seq+2, ….
//
//	offset size field
//	0      1    type = 0x02
//	1      1    encoding (SnapshotEncoding)
//	2      8    epoch
//	10     8    seq the grid is at (0 = before any Delta)
//	18     4    checked, the number of set bits (≤ Boxes); checked on decode
//	22     …    payload
type Snapshot struct {
	Encoding SnapshotEncoding
	Epoch    uint64
	Seq      uint64
	Checked  uint32
	payload  []byte
}

// SnapshotHeaderSize is the fixed part of a Snapshot frame.
const SnapshotHeaderSize = 22

// roaring portable-format cookies (RoaringFormatSpec).
const (
	roaringCookieNoRuns = 12346
	roaringCookieRuns   = 12347
	// roaringMaxContainers: boxes < 2^20 use keys 0..15.
	roaringMaxContainers = (Boxes-1)>>16 + 1
)

// AppendSnapshot appends a Snapshot frame of g at epoch and seq, using the
// smaller encoding. It reads g once and does not keep it.
func AppendSnapshot(dst []byte, epoch, seq uint64, g *Bitset) []byte {
	checked := 0
	for _, w := range g {
		checked += bits.OnesCount64(w)
	}
	rb := roaring.FromDense(g[:], false)
	rb.RunOptimize()
	enc := EncodingRaw
	if rb.GetSerializedSizeInBytes() < BitsetBytes {
		enc = EncodingRoaring
	}
	dst = append(dst, byte(TypeSnapshot), byte(enc))
	dst = le.AppendUint64(dst, epoch)
	dst = le.AppendUint64(dst, seq)
	dst = le.AppendUint32(dst, uint32(checked))
	if enc == EncodingRaw {
		for _, w := range g {
			dst = le.AppendUint64(dst, w)
		}
		return dst
	}
	buf := bytes.NewBuffer(dst)
	// Writing to a bytes.Buffer cannot fail.
	_, _ = rb.WriteTo(buf)
	return buf.Bytes()
}

// DecodeSnapshot checks a Snapshot frame's header; Bits decodes and fully
// checks its payload. The Snapshot aliases b.
func DecodeSnapshot(b []byte) (Snapshot, error) {
	if err := header(b, TypeSnapshot, SnapshotHeaderSize); err != nil {
		return Snapshot{}, err
	}
	s := Snapshot{
		Encoding: SnapshotEncoding(b[1]),
		Epoch:    le.Uint64(b[2:]),
		Seq:      le.Uint64(b[10:]),
		Checked:  le.Uint32(b[18:]),
		payload:  b[SnapshotHeaderSize:],
	}
	if s.Checked > Boxes {
		return Snapshot{}, errField("checked", uint64(s.Checked))
	}
	switch s.Encoding {
	case EncodingRaw:
		if len(s.payload) != BitsetBytes {
			return Snapshot{}, fmt.Errorf("%w: raw snapshot of %d bytes, want %d", ErrShort, len(s.payload), BitsetBytes)
		}
	case EncodingRoaring:
		if len(s.payload) >= BitsetBytes {
			return Snapshot{}, fmt.Errorf("%w: roaring payload of %d bytes is not smaller than raw", ErrRoaring, len(s.payload))
		}
	default:
		return Snapshot{}, fmt.Errorf("%w: %d", ErrEncoding, s.Encoding)
	}
	return s, nil
}

// PayloadSize is the number of bytes after the fixed header.
func (s Snapshot) PayloadSize() int { return len(s.payload) }

// Bits decodes the grid into g, overwriting all of it. On error g holds
// garbage and must not be used.
func (s Snapshot) Bits(g *Bitset) error {
	switch s.Encoding {
	case EncodingRaw:
		for i := range g {
			g[i] = le.Uint64(s.payload[8*i:])
		}
	case EncodingRoaring:
		if err := decodeRoaring(s.payload, g); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: %d", ErrEncoding, s.Encoding)
	}
	if n := g.Count(); n != int(s.Checked) {
		return fmt.Errorf("%w: header says %d, bits hold %d", ErrChecked, s.Checked, n)
	}
	return nil
}

// decodeRoaring validates a portable roaring serialization whose values must
// lie in the grid, and writes it densely into g. The container count is
// checked before the library sees the bytes, which bounds what it allocates.
func decodeRoaring(p []byte, g *Bitset) error {
	if len(p) < 8 {
		return fmt.Errorf("%w: %d bytes", ErrRoaring, len(p))
	}
	cookie := le.Uint32(p)
	var containers int
	switch {
	case cookie == roaringCookieNoRuns:
		containers = int(le.Uint32(p[4:]))
	case cookie&0xffff == roaringCookieRuns:
		containers = int(cookie>>16) + 1
	default:
		return fmt.Errorf("%w: cookie 0x%08x", ErrRoaring, cookie)
	}
	if containers > roaringMaxContainers {
		return fmt.Errorf("%w: %d containers, at most %d", ErrRoaring, containers, roaringMaxContainers)
	}
	rb := roaring.New()
	r := bytes.NewReader(p)
	if _, err := rb.ReadFrom(r); err != nil {
		return fmt.Errorf("%w: %v", ErrRoaring, err)
	}
	if r.Len() != 0 {
		return fmt.Errorf("%w: %d bytes after roaring bitmap", ErrTrailing, r.Len())
	}
	if err := rb.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrRoaring, err)
	}
	if !rb.IsEmpty() && rb.Maximum() >= Boxes {
		return fmt.Errorf("%w: box %d outside the grid", ErrIndex, rb.Maximum())
	}
	clear(g[:])
	rb.WriteDenseTo(g[:]) // fits: Maximum < Boxes
	return nil
}
