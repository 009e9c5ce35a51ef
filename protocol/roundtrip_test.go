package protocol

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomIndexes returns k distinct sorted boxes drawn uniformly.
func randomIndexes(r *rand.Rand, k int) []uint32 {
	seen := make(map[uint32]bool, k)
	out := make([]uint32, 0, k)
	for len(out) < k {
		i := uint32(r.IntN(Boxes))
		if !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return out
}

// lineIndexes returns the boxes of a horizontal run of n boxes from (x, y),
// wrapping to following rows: what a player drawing a line sends.
func lineIndexes(x, y, n int) []uint32 {
	out := make([]uint32, n)
	for i := range out {
		out[i] = uint32(y*GridWidth + x + i)
	}
	return out
}

func TestDeltaRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := [][]uint32{{0}, {Boxes - 1}, {0, Boxes - 1}, {5, 6, 7, 8}, lineIndexes(10, 500, 300)}
	for _, k := range []int{1, 2, 3, 10, 100, 1000, 10000, 100000, 500000} {
		for range 3 {
			cases = append(cases, randomIndexes(r, k))
		}
	}
	all := make([]uint32, Boxes)
	for i := range all {
		all[i] = uint32(i)
	}
	cases = append(cases, all)
	var buf []byte
	var got []uint32
	for _, idx := range cases {
		seq := r.Uint64() | 1
		var err error
		buf, err = AppendDelta(buf[:0], seq, idx)
		if err != nil {
			t.Fatalf("encode %d boxes: %v", len(idx), err)
		}
		if ty, err := PeekType(buf); err != nil || ty != TypeDelta {
			t.Fatalf("PeekType = %v, %v", ty, err)
		}
		d, err := DecodeDelta(buf)
		if err != nil {
			t.Fatalf("decode %d boxes: %v", len(idx), err)
		}
		if d.Seq != seq || d.Count != len(idx) {
			t.Fatalf("header = %d/%d, want %d/%d", d.Seq, d.Count, seq, len(idx))
		}
		got, err = d.AppendIndexes(got[:0])
		if err != nil {
			t.Fatalf("indexes of %d boxes: %v", len(idx), err)
		}
		if !slices.Equal(got, idx) {
			t.Fatalf("round trip of %d boxes differs", len(idx))
		}
	}
}

func TestDeltaEncodeRejects(t *testing.T) {
	for _, tc := range []struct {
		idx  []uint32
		want error
	}{
		{nil, ErrCount},
		{[]uint32{3, 3}, ErrOrder},
		{[]uint32{4, 3}, ErrOrder},
		{[]uint32{Boxes}, ErrIndex},
		{[]uint32{1, Boxes + 5}, ErrIndex},
	} {
		dst := []byte{9}
		out, err := AppendDelta(dst, 1, tc.idx)
		if !errors.Is(err, tc.want) {
			t.Errorf("AppendDelta(%v) error = %v, want %v", tc.idx, err, tc.want)
		}
		if len(out) != 1 {
			t.Errorf("AppendDelta(%v) left %d bytes, want dst unchanged", tc.idx, len(out))
		}
	}
}

func TestSetRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var buf []byte
	var got []Change
	for _, k := range []int{1, 2, 7, 64, 500, MaxSetBoxes} {
		for range 5 {
			idx := randomIndexes(r, k)
			ch := make([]Change, k)
			for i, x := range idx {
				ch[i] = Change{Index: x, Value: r.IntN(2) == 1}
			}
			var err error
			buf, err = AppendSet(buf[:0], ch)
			if err != nil {
				t.Fatal(err)
			}
			if len(buf) > MaxClientMessage {
				t.Fatalf("set of %d boxes is %d bytes, over MaxClientMessage", k, len(buf))
			}
			s, err := DecodeSet(buf)
			if err != nil {
				t.Fatalf("decode set of %d: %v", k, err)
			}
			got, err = s.AppendChanges(got[:0])
			if err != nil {
				t.Fatalf("changes of %d: %v", k, err)
			}
			if !slices.Equal(got, ch) {
				t.Fatalf("set round trip of %d differs", k)
			}
		}
	}
	if _, err := AppendSet(nil, make([]Change, MaxSetBoxes+1)); !errors.Is(err, ErrCount) {
		t.Fatalf("oversized set: %v", err)
	}
}

func TestRejectRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, k := range []int{1, 3, 100, MaxSetBoxes} {
		idx := randomIndexes(r, k)
		buf, err := AppendReject(nil, RejectAddressRate, 1234, idx)
		if err != nil {
			t.Fatal(err)
		}
		rj, err := DecodeReject(buf)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rj.AppendIndexes(nil)
		if err != nil || !slices.Equal(got, idx) || rj.Reason != RejectAddressRate || rj.RetryAfterMS != 1234 {
			t.Fatalf("reject round trip: %+v %v", rj, err)
		}
	}
}

func TestFixedFramesRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 100 {
		w := Welcome{Version: Version1, Width: GridWidth, Height: GridHeight, Epoch: r.Uint64(),
			MaxSetBoxes: uint16(1 + r.IntN(MaxSetBoxes)), SetRate: uint16(r.Uint32()), SetBurst: uint16(r.Uint32()), MaxMessage: r.Uint32()}
		if got, err := DecodeWelcome(AppendWelcome(nil, w)); err != nil || got != w {
			t.Fatalf("welcome %+v -> %+v %v", w, got, err)
		}
		w.Version, w.AddrRate, w.AddrBurst, w.MaxConnsPerAddr, w.ViewportInterval = Version2,
			uint16(r.Uint32()), uint16(r.Uint32()), uint16(r.Uint32()), uint16(r.Uint32())
		if b := AppendWelcome(nil, w); len(b) != WelcomeV2Size {
			t.Fatalf("welcome v2 is %d bytes", len(b))
		} else if got, err := DecodeWelcome(b); err != nil || got != w {
			t.Fatalf("welcome %+v -> %+v %v", w, got, err)
		}
		s := Stats{Checked: uint32(r.IntN(Boxes + 1)), Online: r.Uint32(), Toggles: r.Uint64()}
		if got, err := DecodeStats(AppendStats(nil, s)); err != nil || got != s {
			t.Fatalf("stats %+v -> %+v %v", s, got, err)
		}
		rs := Resync{Reason: ResyncReason(r.Uint32())}
		if got, err := DecodeResync(AppendResync(nil, rs)); err != nil || got != rs {
			t.Fatalf("resync %+v -> %+v %v", rs, got, err)
		}
		rr := ResyncRequest{HaveSeq: r.Uint64()}
		if got, err := DecodeResyncRequest(AppendResyncRequest(nil, rr)); err != nil || got != rr {
			t.Fatalf("resync request %+v -> %+v %v", rr, got, err)
		}
		x, y := r.IntN(GridWidth), r.IntN(GridHeight)
		v := Viewport{Area{X: uint16(x), Y: uint16(y), W: uint16(1 + r.IntN(GridWidth-x)), H: uint16(1 + r.IntN(GridHeight-y))}}
		if got, err := DecodeViewport(AppendViewport(nil, v)); err != nil || got != v {
			t.Fatalf("viewport %+v -> %+v %v", v, got, err)
		}
	}
}

// densityGrid returns a grid with each box checked with probability p.
func densityGrid(r *rand.Rand, p float64) *Bitset {
	g := new(Bitset)
	for i := range uint32(Boxes) {
		if r.Float64() < p {
			g.Put(i, true)
		}
	}
	return g
}

// pixelArt returns a grid with filled shapes and outlines, like players draw.
func pixelArt() *Bitset {
	g := new(Bitset)
	for y := 0; y < GridHeight; y++ {
		for x := 0; x < GridWidth; x++ {
			dx, dy := x-500, y-500
			in := dx*dx+dy*dy < 200*200 && dx*dx+dy*dy > 150*150  // ring
			in = in || (x > 100 && x < 300 && y > 100 && y < 180) // block
			in = in || (y%50 == 0 && x > 600)                     // lines
			in = in || ((x/8+y/8)%2 == 0 && x > 700 && y > 700)   // checkerboard
			if in {
				g.Put(uint32(y*GridWidth+x), true)
			}
		}
	}
	return g
}

func TestSnapshotRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	grids := map[string]*Bitset{"empty": new(Bitset), "art": pixelArt()}
	for _, p := range []float64{0.001, 0.01, 0.5, 0.99} {
		grids[string(rune('a'+int(p*100)))] = densityGrid(r, p)
	}
	full := new(Bitset)
	for i := range full {
		full[i] = ^uint64(0)
	}
	grids["full"] = full
	for name, g := range grids {
		buf := AppendSnapshot(nil, 77, 99, g)
		s, err := DecodeSnapshot(buf)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.Epoch != 77 || s.Seq != 99 || int(s.Checked) != g.Count() {
			t.Fatalf("%s: header %+v", name, s)
		}
		if s.PayloadSize() > BitsetBytes {
			t.Fatalf("%s: payload %d larger than raw", name, s.PayloadSize())
		}
		var got Bitset
		if err := s.Bits(&got); err != nil {
			t.Fatalf("%s: bits: %v", name, err)
		}
		if got != *g {
			t.Fatalf("%s: grid differs after round trip", name)
		}
	}
}
