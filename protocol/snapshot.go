package protocol

import (
	"bytes"
	"errors"
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
	case EncodingPacked:
		return "packed"
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
		if err := rawSize(len(s.payload), BitsetBytes); err != nil {
			return Snapshot{}, err
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

// decodeRoaring parses a portable roaring serialization (RoaringFormatSpec)
// straight into g, checking every field as it goes: keys strictly
// increasing and inside the grid, array values strictly increasing, runs
// ordered and disjoint, cardinalities matching, offsets (when present)
// pointing where the containers are, and nothing left over. It is linear in
// the payload; the library's own Validate is quadratic on run containers,
// which made a drawn grid cost 20+ ms to decode.
func decodeRoaring(p []byte, g *Bitset) error {
	clear(g[:])
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrRoaring}, args...)...)
	}
	if len(p) < 4 {
		return bad("%d bytes", len(p))
	}
	cookie := le.Uint32(p)
	var n, pos int
	var runs []byte // run-container flags, one bit per container
	hasOffsets := true
	switch {
	case cookie == roaringCookieNoRuns:
		if len(p) < 8 {
			return bad("%d bytes", len(p))
		}
		n, pos = int(le.Uint32(p[4:])), 8
	case cookie&0xffff == roaringCookieRuns:
		n, pos = int(cookie>>16)+1, 4
		nb := (n + 7) / 8
		if len(p) < pos+nb {
			return bad("run flags cut short")
		}
		runs, pos = p[pos:pos+nb], pos+nb
		hasOffsets = n >= roaringNoOffsetThreshold
	default:
		return bad("cookie 0x%08x", cookie)
	}
	if n > roaringMaxContainers {
		return bad("%d containers, at most %d", n, roaringMaxContainers)
	}
	desc := pos
	pos += 4 * n
	offsets := pos
	if hasOffsets {
		pos += 4 * n
	}
	if len(p) < pos {
		return bad("headers cut short")
	}
	prevKey := -1
	for i := 0; i < n; i++ {
		key := int(le.Uint16(p[desc+4*i:]))
		card := int(le.Uint16(p[desc+4*i+2:])) + 1
		if key <= prevKey || key > (Boxes-1)>>16 {
			return bad("container %d has key %d after %d", i, key, prevKey)
		}
		prevKey = key
		if hasOffsets && int(le.Uint32(p[offsets+4*i:])) != pos {
			return bad("container %d offset %d, data at %d", i, le.Uint32(p[offsets+4*i:]), pos)
		}
		base := uint32(key) << 16
		limit := min(uint32(Boxes)-base, 1<<16) // values allowed in this container
		var err error
		switch {
		case runs != nil && runs[i/8]>>(i%8)&1 != 0:
			pos, err = decodeRunContainer(p, pos, base, limit, card, g)
		case card <= roaringArrayMax:
			pos, err = decodeArrayContainer(p, pos, base, limit, card, g)
		default:
			pos, err = decodeBitmapContainer(p, pos, base, limit, card, g)
		}
		if err != nil {
			return bad("container %d (key %d): %v", i, key, err)
		}
	}
	if pos != len(p) {
		return fmt.Errorf("%w: %d bytes after roaring bitmap", ErrTrailing, len(p)-pos)
	}
	return nil
}

// Roaring format constants (RoaringFormatSpec).
const (
	roaringNoOffsetThreshold = 4    // run-cookie bitmaps with fewer containers omit offsets
	roaringArrayMax          = 4096 // larger cardinalities use a bitmap container
	roaringBitmapBytes       = 8192
)

var (
	errRoaringShort = errors.New("container data cut short")
	errRoaringRange = errors.New("value outside the grid")
	errRoaringOrder = errors.New("values not strictly increasing")
	errRoaringCard  = errors.New("cardinality mismatch")
)

func decodeArrayContainer(p []byte, pos int, base, limit uint32, card int, g *Bitset) (int, error) {
	if len(p) < pos+2*card {
		return pos, errRoaringShort
	}
	prev := -1
	for j := 0; j < card; j++ {
		v := int(le.Uint16(p[pos+2*j:]))
		if v <= prev {
			return pos, errRoaringOrder
		}
		if uint32(v) >= limit {
			return pos, errRoaringRange
		}
		prev = v
		x := base + uint32(v)
		g[x>>6] |= 1 << (x & 63)
	}
	return pos + 2*card, nil
}

func decodeBitmapContainer(p []byte, pos int, base, limit uint32, card int, g *Bitset) (int, error) {
	if len(p) < pos+roaringBitmapBytes {
		return pos, errRoaringShort
	}
	got := 0
	for j := 0; j < roaringBitmapBytes/8; j++ {
		w := le.Uint64(p[pos+8*j:])
		if w == 0 {
			continue
		}
		if uint32(j*64) >= limit || (uint32(j*64+64) > limit && w>>(limit-uint32(j*64)) != 0) {
			return pos, errRoaringRange
		}
		got += bits.OnesCount64(w)
		g[(base>>6)+uint32(j)] = w // base is a multiple of 65536, so words align
	}
	if got != card {
		return pos, errRoaringCard
	}
	return pos + roaringBitmapBytes, nil
}

func decodeRunContainer(p []byte, pos int, base, limit uint32, card int, g *Bitset) (int, error) {
	if len(p) < pos+2 {
		return pos, errRoaringShort
	}
	nruns := int(le.Uint16(p[pos:]))
	pos += 2
	if len(p) < pos+4*nruns {
		return pos, errRoaringShort
	}
	got := 0
	next := uint32(0) // smallest start the next run may have
	for j := 0; j < nruns; j++ {
		start := uint32(le.Uint16(p[pos+4*j:]))
		last := start + uint32(le.Uint16(p[pos+4*j+2:]))
		if start < next {
			return pos, errRoaringOrder
		}
		if last >= limit {
			return pos, errRoaringRange
		}
		putRange(g, base+start, base+last, true)
		got += int(last-start) + 1
		next = last + 1
	}
	if got != card {
		return pos, errRoaringCard
	}
	return pos + 4*nruns, nil
}

// putRange gives boxes lo..hi inclusive the value v, a word at a time.
func putRange(g *Bitset, lo, hi uint32, v bool) {
	for lo <= hi {
		w := lo >> 6
		first := lo & 63
		last := uint32(63)
		if hi>>6 == w {
			last = hi & 63
		}
		mask := (^uint64(0) >> (63 - last)) &^ (1<<first - 1)
		if v {
			g[w] |= mask
		} else {
			g[w] &^= mask
		}
		lo = w<<6 + last + 1
	}
}
