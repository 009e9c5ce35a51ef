package protocol

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"checkgrid/protocol/bitio"
)

func randomArea(r *rand.Rand) Area {
	x, y := r.IntN(GridWidth), r.IntN(GridHeight)
	return Area{uint16(x), uint16(y), uint16(1 + r.IntN(min(GridWidth-x, 300))), uint16(1 + r.IntN(min(GridHeight-y, 300)))}
}

// naiveArea returns a's checked boxes in g the slow, obvious way.
func naiveArea(a Area, g *Bitset) []uint32 {
	var out []uint32
	for i := uint32(0); i < Boxes; i++ {
		if a.Contains(i) && g.Get(i) {
			out = append(out, i)
		}
	}
	return out
}

func TestAreaSnapshotRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	grids := []*Bitset{new(Bitset), densityGrid(r, 0.001), densityGrid(r, 0.5), densityGrid(r, 0.99), pixelArt()}
	areas := []Area{WholeGrid, {0, 0, 1, 1}, {999, 999, 1, 1}, {0, 0, 1000, 1}, {3, 0, 1, 1000}, {63, 1, 65, 3}}
	for range 20 {
		areas = append(areas, randomArea(r))
	}
	var scratch []uint32
	encodings := map[SnapshotEncoding]int{}
	for gi, g := range grids {
		for _, a := range areas {
			var b []byte
			var err error
			b, scratch, err = AppendAreaSnapshot(nil, 3, 77, a, g, scratch)
			if err != nil {
				t.Fatalf("grid %d area %+v: %v", gi, a, err)
			}
			s, err := DecodeAreaSnapshot(b)
			if err != nil || s.Area != a || s.Epoch != 3 || s.Seq != 77 {
				t.Fatalf("grid %d area %+v: decode %+v %v", gi, a, s, err)
			}
			encodings[s.Encoding]++
			if raw := (a.Boxes() + 7) / 8; s.PayloadSize() > raw {
				t.Errorf("area %+v: payload %d bytes, raw is %d", a, s.PayloadSize(), raw)
			}
			// Outside the area the target keeps what it had.
			got := densityGrid(rand.New(rand.NewPCG(1, 1)), 0.5)
			before := *got
			if _, err := s.Apply(got, nil); err != nil {
				t.Fatalf("grid %d area %+v: apply %v", gi, a, err)
			}
			for i := uint32(0); i < Boxes; i += 997 {
				want := before.Get(i)
				if a.Contains(i) {
					want = g.Get(i)
				}
				if got.Get(i) != want {
					t.Fatalf("grid %d area %+v: box %d is %v", gi, a, i, got.Get(i))
				}
			}
			if gi < 3 && len(areas) > 0 && a.Boxes() < 100000 {
				if want := naiveArea(a, g); !slices.Equal(a.appendIndexes(nil, g), want) {
					t.Fatalf("area %+v: appendIndexes differs from the naive scan", a)
				}
			}
		}
	}
	if encodings[EncodingRaw] == 0 || encodings[EncodingPacked] == 0 {
		t.Errorf("both encodings should occur: %v", encodings)
	}
}

func TestAreaSnapshotRejects(t *testing.T) {
	g := densityGrid(rand.New(rand.NewPCG(5, 5)), 0.5)
	if _, _, err := AppendAreaSnapshot(nil, 1, 1, Area{999, 0, 2, 1}, g, nil); !errors.Is(err, ErrField) {
		t.Errorf("area past the edge: %v", err)
	}
	good, _, _ := AppendAreaSnapshot(nil, 1, 1, Area{0, 0, 10, 10}, g, nil) // raw at 50%
	cases := map[string]struct {
		b    []byte
		want error
	}{
		"short":        {good[:10], ErrShort},
		"zero width":   {patch(good, 22, 0, 0), ErrField},
		"outside":      {patch(good, 18, 0xe7, 0x03), ErrField},
		"checked high": {patch(good, 26, 101, 0, 0, 0), ErrField},
		"encoding":     {patch(good, 1, 2), ErrEncoding},
		"raw length":   {good[:len(good)-1], ErrShort},
		"raw trailing": {append(slices.Clone(good), 0), ErrTrailing},
	}
	for name, c := range cases {
		if _, err := DecodeAreaSnapshot(c.b); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// Decodes, but the bits disagree with the header or the padding.
	var tmp Bitset
	s, _ := DecodeAreaSnapshot(patch(good, 26, byte(good[26]+1)))
	if _, err := s.Apply(&tmp, nil); !errors.Is(err, ErrChecked) {
		t.Errorf("count mismatch: %v", err)
	}
	odd, _, _ := AppendAreaSnapshot(nil, 1, 1, Area{0, 0, 3, 3}, g, nil) // 9 bits: 7 padding
	odd[len(odd)-1] |= 0x80
	if s, err := DecodeAreaSnapshot(odd); err != nil {
		t.Fatal(err)
	} else if _, err := s.Apply(&tmp, nil); !errors.Is(err, ErrTrailing) {
		t.Errorf("padding bit: %v", err)
	}
	// A packed snapshot naming a box outside its area.
	bad := append([]byte{byte(TypeAreaSnapshot), byte(EncodingPacked)}, make([]byte, 28)...)
	copy(bad[18:], []byte{0, 0, 0, 0, 10, 0, 10, 0, 1, 0, 0, 0})
	bw := bitio.NewWriter(bad)
	_ = appendIndexSet(&bw, []uint32{50000})
	if s, err := DecodeAreaSnapshot(bw.Flush()); err != nil {
		t.Fatal(err)
	} else if _, err := s.Apply(&tmp, nil); !errors.Is(err, ErrIndex) {
		t.Errorf("box outside: %v", err)
	}
}

// patch returns a copy of b with bytes at off replaced.
func patch(b []byte, off int, v ...byte) []byte {
	c := slices.Clone(b)
	copy(c[off:], v)
	return c
}

func TestAreaDeltaRoundTripAndRejects(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, k := range []int{1, 2, 50, 5000} {
		idx := randomIndexes(r, k)
		b, err := AppendAreaDelta(nil, 100, 90, idx)
		if err != nil {
			t.Fatal(err)
		}
		d, err := DecodeAreaDelta(b)
		if err != nil || d.Seq != 100 || d.Prev != 90 || d.Count != k {
			t.Fatalf("%+v %v", d, err)
		}
		if got, err := d.AppendIndexes(nil); err != nil || !slices.Equal(got, idx) {
			t.Fatalf("k=%d: %v", k, err)
		}
	}
	if _, err := AppendAreaDelta(nil, 5, 5, []uint32{1}); !errors.Is(err, ErrField) {
		t.Errorf("prev = seq: %v", err)
	}
	if _, err := AppendAreaDelta(nil, 5, 4, nil); !errors.Is(err, ErrCount) {
		t.Errorf("no boxes: %v", err)
	}
	good, _ := AppendAreaDelta(nil, 5, 4, []uint32{1, 2, 3})
	for name, c := range map[string]struct {
		b    []byte
		want error
	}{
		"short":      {good[:20], ErrShort},
		"seq 0":      {patch(good, 1, 0, 0, 0, 0, 0, 0, 0, 0), ErrField},
		"prev ahead": {patch(good, 9, 9), ErrField},
		"count 0":    {patch(good, 17, 0, 0, 0, 0), ErrCount},
		"count big":  {patch(good, 17, 200), ErrShort},
	} {
		if _, err := DecodeAreaDelta(c.b); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

func TestPresenceRoundTripAndSome(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, cell := range []int{10, 40, 50, 250} {
		cols, rows, err := PresenceCells(cell)
		if err != nil {
			t.Fatal(err)
		}
		viewers := make([]uint32, cols*rows)
		for i := range viewers {
			if r.IntN(4) == 0 {
				viewers[i] = uint32(r.IntN(6))
			}
		}
		viewers[len(viewers)-1] = 1 << 20
		b, err := AppendPresence(nil, cell, viewers)
		if err != nil {
			t.Fatal(err)
		}
		p, err := DecodePresence(b)
		if err != nil || p.Cell != cell {
			t.Fatalf("cell %d: %+v %v", cell, p.Cell, err)
		}
		for i, v := range viewers {
			want := v
			if v == 1 || v == 2 {
				want = PresenceSome
			}
			if p.Counts[i] != want {
				t.Fatalf("cell %d index %d: %d viewers decoded as %d", cell, i, v, p.Counts[i])
			}
		}
	}
	for _, cell := range []int{0, 9, 30, 251} {
		if _, err := AppendPresence(nil, cell, nil); !errors.Is(err, ErrField) {
			t.Errorf("cell %d: %v", cell, err)
		}
	}
	good, _ := AppendPresence(nil, 250, []uint32{0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	for name, c := range map[string]struct {
		b    []byte
		want error
	}{
		"cell":     {patch(good, 1, 33), ErrField},
		"k > 16":   {patch(good, 2, 17), ErrCount},
		"count 2":  {patch(good, 4, 2), ErrField},
		"count 0":  {patch(good, 4, 0), ErrField},
		"overlong": {append(append(slices.Clone(good[:4]), 0x85, 0x00), good[5:]...), ErrField},
		"trailing": {append(slices.Clone(good), 0), ErrTrailing},
		"short":    {good[:6], ErrShort},
	} {
		if _, err := DecodePresence(c.b); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

// TestReplicaFollowsAnAreaServer plays a server: a grid changing every
// tick, a client moving between areas, AreaDeltas only for ticks that touch
// its area. The replica stays equal to the grid inside its area, and a
// dropped frame is reported, never applied.
func TestReplicaFollowsAnAreaServer(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	var g Bitset
	var rep Replica
	if _, err := rep.Apply(AppendSnapshot(nil, 1, 0, &g)); err != nil || !rep.Area.Whole() {
		t.Fatalf("snapshot: %v", err)
	}
	seq, last := uint64(0), uint64(0)
	area := WholeGrid
	dropped, noticed := false, 0
	for tick := 0; tick < 400; tick++ {
		if tick%40 == 0 {
			area = randomArea(r)
			if tick%120 == 0 {
				area = WholeGrid
			}
			var b []byte
			if area.Whole() {
				b = AppendSnapshot(nil, 1, seq, &g)
			} else {
				b, _, _ = AppendAreaSnapshot(nil, 1, seq, area, &g, nil)
			}
			if _, err := rep.Apply(b); err != nil || rep.Area != area || rep.Seq != seq {
				t.Fatalf("tick %d: area snapshot %v", tick, err)
			}
			last, dropped = seq, false // a snapshot heals a drop
		}
		flips := randomIndexes(r, 1+r.IntN(3000))
		seq++
		for _, i := range flips {
			g.Flip(i)
		}
		var frame []byte
		if area.Whole() {
			frame, _ = AppendDelta(nil, seq, flips)
		} else {
			var in []uint32
			for _, i := range flips {
				if area.Contains(i) {
					in = append(in, i)
				}
			}
			if len(in) == 0 {
				continue
			}
			frame, _ = AppendAreaDelta(nil, seq, last, in)
		}
		last = seq
		if tick%97 == 50 {
			dropped = true // lost on the way: the next frame must be refused
			continue
		}
		if !rep.Synced() {
			continue
		}
		_, err := rep.Apply(frame)
		if dropped {
			if !errors.Is(err, ErrGap) {
				t.Fatalf("tick %d: frame after a drop applied: %v", tick, err)
			}
			dropped = false
			noticed++
			rep.Unsync() // as its holder must, until the next snapshot
			continue
		}
		if err != nil {
			t.Fatalf("tick %d: %v", tick, err)
		}
		for i := uint32(0); i < Boxes; i += 61 {
			if rep.Known(i) && rep.Grid.Get(i) != g.Get(i) {
				t.Fatalf("tick %d: box %d differs inside the area", tick, i)
			}
		}
	}
	if noticed == 0 {
		t.Errorf("no drop was tested")
	}
	// A delta with a box outside the area is refused.
	a := Area{10, 10, 5, 5}
	b, _, _ := AppendAreaSnapshot(nil, 1, seq, a, &g, nil)
	if _, err := rep.Apply(b); err != nil {
		t.Fatal(err)
	}
	d, _ := AppendAreaDelta(nil, seq+1, seq, []uint32{0})
	if _, err := rep.Apply(d); !errors.Is(err, ErrGap) || rep.Area != a || rep.Seq != seq {
		t.Errorf("box outside: %v", err)
	}
}
