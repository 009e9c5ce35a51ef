package zone

import (
	"math/rand/v2"
	"slices"
	"testing"

	"checkgrid/protocol"
	"checkgrid/server/wsframe"
)

func randomArea(r *rand.Rand, maxSide int) protocol.Area {
	w, h := 1+r.IntN(maxSide), 1+r.IntN(maxSide)
	return protocol.Area{X: uint16(r.IntN(protocol.GridWidth - w + 1)), Y: uint16(r.IntN(protocol.GridHeight - h + 1)), W: uint16(w), H: uint16(h)}
}

func randomFlips(r *rand.Rand, k int) []uint32 {
	seen := map[uint32]bool{}
	var out []uint32
	for len(out) < k {
		i := uint32(r.IntN(protocol.Boxes))
		if !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return out
}

// TestTickKeepsEveryClientExact plays the hub: a grid flipping every tick,
// clients moving between areas (some sharing one), each client applying
// what Tick emits to its Replica. Inside its area every client equals
// the grid after every tick; a client gets a frame exactly when a flip
// fell in its area.
func TestTickKeepsEveryClientExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x, err := New[int](40)
	if err != nil {
		t.Fatal(err)
	}
	const clients = 60
	var truth protocol.Bitset
	reps := make([]*protocol.Replica, clients)
	shared := protocol.Area{X: 500, Y: 500, W: 80, H: 50}
	var seq uint64
	move := func(c int) {
		a := randomArea(r, 120)
		if c%5 == 0 {
			a = shared // several clients in one group
		}
		snap, _, err := protocol.AppendAreaSnapshot(nil, 1, seq, a, &truth, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := reps[c].ApplyAreaSnapshot(mustArea(t, snap)); err != nil {
			t.Fatal(err)
		}
		x.Subscribe(c, a, seq)
	}
	for c := range reps {
		reps[c] = new(protocol.Replica)
		move(c)
	}
	frames := 0
	for tick := 0; tick < 300; tick++ {
		if tick%7 == 0 {
			for range 5 {
				move(r.IntN(clients))
			}
		}
		flips := randomFlips(r, 1+r.IntN(400))
		if tick%50 == 0 {
			flips = nil // a quiet tick takes no seq in the hub; here it must emit nothing
		}
		if len(flips) > 0 {
			seq++
		}
		for _, i := range flips {
			truth.Flip(i)
		}
		got := map[int]bool{}
		n := x.Tick(seq, flips, func(c int, wire []byte) bool {
			if got[c] {
				t.Fatalf("tick %d: client %d got two frames", tick, c)
			}
			got[c] = true
			payload, err := wsframe.Payload(wire)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := reps[c].Apply(payload); err != nil {
				t.Fatalf("tick %d client %d: %v", tick, c, err)
			}
			return true
		})
		frames += n
		for c, rep := range reps {
			a, _ := x.Area(c)
			want := slices.ContainsFunc(flips, a.Contains)
			if got[c] != want {
				t.Fatalf("tick %d client %d: frame %v, flips in area %v", tick, c, got[c], want)
			}
			for y := a.Y; y < a.Y+a.H; y++ {
				for col := a.X; col < a.X+a.W; col++ {
					i := uint32(y)*protocol.GridWidth + uint32(col)
					if rep.Grid.Get(i) != truth.Get(i) {
						t.Fatalf("tick %d client %d: box %d differs", tick, c, i)
					}
				}
			}
		}
	}
	if frames == 0 {
		t.Fatal("no frames at all")
	}
	checkZones(t, x)
	for c := range clients {
		x.Unsubscribe(c)
	}
	if x.Len() != 0 || x.Groups() != 0 {
		t.Fatalf("after unsubscribing all: %d clients, %d groups", x.Len(), x.Groups())
	}
	for z := range x.zones {
		if len(x.zones[z]) != 0 {
			t.Fatalf("zone %d still lists %d groups", z, len(x.zones[z]))
		}
	}
}

func mustArea(t *testing.T, b []byte) protocol.AreaSnapshot {
	t.Helper()
	s, err := protocol.DecodeAreaSnapshot(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkZones verifies every group is listed in exactly the zones its area
// overlaps, at the positions it records.
func checkZones(t *testing.T, x *Index[int]) {
	t.Helper()
	for _, g := range x.groups {
		want := 0
		for z := range zoneCount {
			zx, zy := z%zoneCols, z/zoneCols
			zone := protocol.Area{X: uint16(zx * ZoneSide), Y: uint16(zy * ZoneSide), W: ZoneSide, H: ZoneSide}
			overlaps := zone.X < g.area.X+g.area.W && g.area.X < zone.X+zone.W && zone.Y < g.area.Y+g.area.H && g.area.Y < zone.Y+zone.H
			if overlaps {
				want++
			}
			if slices.Contains(x.zones[z], g) != overlaps {
				t.Fatalf("group %+v in zone %d: %v, overlaps %v", g.area, z, !overlaps, overlaps)
			}
		}
		if len(g.zones) != want {
			t.Fatalf("group %+v records %d zones, overlaps %d", g.area, len(g.zones), want)
		}
		for k, z := range g.zones {
			if x.zones[z][g.zpos[k]] != g {
				t.Fatalf("group %+v: wrong position in zone %d", g.area, z)
			}
		}
	}
}

func TestWiden(t *testing.T) {
	if a := (protocol.Area{X: 0, Y: 0, W: 500, H: 500}); Widen(a) != a {
		t.Errorf("a quarter of the grid is served as an area")
	}
	if Widen(protocol.Area{X: 0, Y: 0, W: 501, H: 500}) != protocol.WholeGrid {
		t.Errorf("more than a quarter is widened")
	}
}

func TestPresence(t *testing.T) {
	x, _ := New[int](40)
	if _, changed := x.Presence(); !changed {
		t.Fatal("the first map is news")
	}
	if _, changed := x.Presence(); changed {
		t.Fatal("nothing changed")
	}
	at := func(cx, cy int) protocol.Area { // a 20x10 area centred in cell (cx, cy)
		return protocol.Area{X: uint16(cx*40 + 10), Y: uint16(cy*40 + 15), W: 20, H: 10}
	}
	x.Subscribe(1, at(3, 4), 0)
	f, changed := x.Presence()
	p, err := protocol.DecodePresence(f)
	if !changed || err != nil || p.Counts[4*25+3] != protocol.PresenceSome {
		t.Fatalf("one viewer: changed %v, %v, count %d", changed, err, p.Counts[4*25+3])
	}
	x.Subscribe(2, at(3, 4), 0) // 1 -> 2: still "some", nothing to send
	if _, changed := x.Presence(); changed {
		t.Fatal("1 -> 2 viewers is invisible and must not send a frame")
	}
	x.Subscribe(3, at(3, 4), 0)
	x.Subscribe(4, at(20, 20), 0)
	f, changed = x.Presence()
	p, _ = protocol.DecodePresence(f)
	if !changed || p.Counts[4*25+3] != 3 || p.Counts[20*25+20] != protocol.PresenceSome {
		t.Fatalf("three and one: %v %d %d", changed, p.Counts[4*25+3], p.Counts[20*25+20])
	}
	x.Subscribe(4, at(3, 4), 0) // moves
	x.Unsubscribe(1)
	if v := x.Viewers(); v[4*25+3] != 3 || v[20*25+20] != 0 {
		t.Fatalf("viewers %d %d", v[4*25+3], v[20*25+20])
	}
}

// The centre of an area is the box (x + ⌊w/2⌋, y + ⌊h/2⌋) (PROTOCOL.md,
// Presence): for an even side the right (lower) of the two middle boxes.
// The areas here straddle the border between cells 0 and 1 (and rows 0
// and 1) so the rounding decides the cell.
func TestPresenceCentreOfEvenSides(t *testing.T) {
	for _, c := range []struct {
		a    protocol.Area
		cell int
	}{
		{protocol.Area{X: 38, Y: 38, W: 4, H: 4}, 1*25 + 1}, // middle boxes 39, 40: 40
		{protocol.Area{X: 38, Y: 38, W: 3, H: 3}, 0},        // middle box 39
		{protocol.Area{X: 39, Y: 0, W: 2, H: 1}, 1},         // 39, 40: 40; one row: row 0
		{protocol.Area{X: 0, Y: 0, W: 80, H: 80}, 1*25 + 1}, // (40, 40)
		{protocol.Area{X: 0, Y: 0, W: 79, H: 79}, 0},        // (39, 39)
	} {
		x, _ := New[int](40)
		x.Subscribe(1, c.a, 0)
		for i, n := range x.Viewers() {
			if want := uint32(0); i == c.cell {
				want = 1
				if n != want {
					t.Errorf("%+v: counted in cell %d? cell %d has %d", c.a, c.cell, i, n)
				}
			} else if n != want {
				t.Errorf("%+v: counted in cell %d, want %d", c.a, i, c.cell)
			}
		}
	}
}
