package store

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"

	"checkgrid/protocol"
	"checkgrid/protocol/bitio"
)

// TestRecordLengthCheck: for every body length a record can have, every
// single flipped bit of its length varint and check (followed by body
// bytes, as on disk) fails the check as recovery reads it, so a damaged
// length is never taken for a torn tail's.
func TestRecordLengthCheck(t *testing.T) {
	for n := uint64(3); n <= maxRecordBody; n++ {
		h := binary.AppendUvarint(nil, n)
		h = binary.LittleEndian.AppendUint16(h, lenCheck(h))
		h = append(h, 0xc0, 0xf0, 0xf5, 0x0b) // a body's first bytes
		for bit := range 8 * (len(h) - 4) {
			d := slices.Clone(h)
			d[bit/8] ^= 1 << (bit % 8)
			m, w := binary.Uvarint(d[:maxLenVarint])
			if w > 0 && binary.LittleEndian.Uint16(d[w:]) == lenCheck(d[:w]) {
				t.Fatalf("length %d with bit %d flipped reads as length %d and passes its check", n, bit, m)
			}
		}
	}
}

// TestRunSetRoundTrip: sets of every shape (single boxes, lines, the
// grid's ends, the whole grid) run-code and decode to themselves, and the
// store picks the shorter coding.
func TestRunSetRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(70, 70))
	all := make([]uint32, protocol.Boxes)
	for i := range all {
		all[i] = uint32(i)
	}
	sets := [][]uint32{{0}, {protocol.Boxes - 1}, {0, 1, 2, protocol.Boxes - 1}, all}
	for range 200 {
		var idx []uint32
		for range 1 + rng.IntN(50) {
			x, n := rng.IntN(protocol.Boxes), 1+rng.IntN(30)
			for i := range n {
				if x+i < protocol.Boxes {
					idx = append(idx, uint32(x+i))
				}
			}
		}
		slices.Sort(idx)
		sets = append(sets, slices.Compact(idx))
	}
	for _, idx := range sets {
		b := appendRunSet(nil, idx)
		got, err := readRunSet(b, nil)
		if err != nil || !slices.Equal(got, idx) {
			t.Fatalf("%d boxes from %d: %v", len(idx), idx[0], err)
		}
	}
	// The whole grid is one run: a few bytes.
	if n := len(appendRunSet(nil, all)); n > 9 {
		t.Fatalf("the whole grid run-codes to %d bytes", n)
	}
}

// TestRecordKinds: a record takes the shorter of its codings, and always
// rebuilds the frame it was handed, including one the protocol's encoder
// would not have made (a Rice parameter other than the best).
func TestRecordKinds(t *testing.T) {
	line := make([]uint32, 40)
	for i := range line {
		line[i] = uint32(5000 + i)
	}
	spread := make([]uint32, 60)
	for i := range spread {
		spread[i] = uint32(i*16_661 + 3)
	}
	odd, err := protocol.AppendDelta(nil, 1, []uint32{10, 20})
	if err != nil {
		t.Fatal(err)
	}
	// The same two boxes packed with b = 0 by hand: 5 bits of b, 20 of the
	// first box, then the gap 9 in unary (nine one bits and a zero).
	var bw bitio.Writer
	bw.Write(0, 5)
	bw.Write(10, 20)
	bw.Unary(9)
	hand := append(odd[:protocol.DeltaHeaderSize:protocol.DeltaHeaderSize], bw.Flush()...)
	if _, err := protocol.DecodeDelta(hand); err != nil || string(hand) == string(odd) {
		t.Fatalf("hand-made frame %x: %v", hand, err)
	}
	for _, c := range []struct {
		name  string
		frame []byte
		want  bodyKind
	}{
		{"line", must(protocol.AppendDelta(nil, 1, line)), kindRuns},
		{"spread", must(protocol.AppendDelta(nil, 1, spread)), kindPacked},
		{"not the encoder's", hand, kindPacked},
	} {
		var enc recordEncoder
		rec := enc.appendRecord(nil, prevRecord{}, 40, 9, c.frame)
		_, w := binary.Uvarint(rec)
		body := rec[w+recordLenCheckSize : len(rec)-recordCRCSize]
		if k := bodyKind(body[2]); k != c.want {
			t.Errorf("%s: kind %v, want %v", c.name, k, c.want)
		}
		var dec recordDecoder
		r, err := dec.decodeBody(prevRecord{}, body)
		if err != nil || string(r.deltaFrame()) != string(c.frame) || r.toggles != 40 || r.time != 9 || r.seq != 1 {
			t.Errorf("%s: decoded %+v, %v", c.name, r, err)
		}
	}
}
