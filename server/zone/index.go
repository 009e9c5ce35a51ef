package zone

import (
	"checkgrid/protocol"
	"checkgrid/server/wsframe"
)

// Zone geometry. A zone only narrows the groups a flip must be checked
// against: 25×25 boxes makes a typical zoomed-in area (80×50) span 6–12
// zones, and a zone hold few groups, while 1,600 zones cost 38 KB.
const (
	ZoneSide  = 25
	zoneCols  = protocol.GridWidth / ZoneSide
	zoneRows  = protocol.GridHeight / ZoneSide
	zoneCount = zoneCols * zoneRows
)

// WideArea is the largest area served as an area: bigger ones are widened
// to the whole grid (PROTOCOL.md, "Areas"), where the shared Delta costs
// less than filtering, and an AreaSnapshot could exceed a Snapshot.
const WideArea = protocol.Boxes / 4

// Widen returns the area the server serves for a requested one: a itself,
// or the whole grid for an area larger than WideArea.
func Widen(a protocol.Area) protocol.Area {
	if a.Boxes() > WideArea {
		return protocol.WholeGrid
	}
	return a
}

// Index maps subscribed areas to clients. C is the hub's client handle.
type Index[C comparable] struct {
	zones   [zoneCount][]*group[C]
	groups  map[protocol.Area]*group[C]
	members map[C]*member[C]
	touched []*group[C]
	wire    []byte // scratch: one group's wire frame
	dropped []C    // clients emit refused during a Tick
	presence
}

// group is every client subscribed to one area. Its frame for a tick is
// encoded once.
type group[C comparable] struct {
	area    protocol.Area
	members []*member[C]
	zones   []int32 // zones the group is registered in
	zpos    []int32 // its position in each zone's list
	flips   []uint32
	touched bool
}

type member[C comparable] struct {
	c    C
	g    *group[C]
	i    int    // position in g.members
	last uint64 // seq of the last area frame sent
}

// New returns an empty Index whose presence map has cells of cell boxes
// (see protocol.PresenceCells; 40 gives 25×25 cells).
func New[C comparable](cell int) (*Index[C], error) {
	p, err := newPresence(cell)
	if err != nil {
		return nil, err
	}
	return &Index[C]{
		groups:   make(map[protocol.Area]*group[C]),
		members:  make(map[C]*member[C]),
		presence: p,
	}, nil
}

// Len returns the number of clients indexed.
func (x *Index[C]) Len() int { return len(x.members) }

// Groups returns the number of distinct areas indexed.
func (x *Index[C]) Groups() int { return len(x.groups) }

// Each calls f for every indexed client, in no particular order; f may
// unsubscribe the client it is called for, nothing else.
func (x *Index[C]) Each(f func(c C)) {
	for c := range x.members {
		f(c)
	}
}

// Area returns c's indexed area, if any.
func (x *Index[C]) Area(c C) (protocol.Area, bool) {
	m := x.members[c]
	if m == nil {
		return protocol.Area{}, false
	}
	return m.g.area, true
}

// Subscribe indexes c for area a (valid, not wider than WideArea; see
// Widen) as of seq, the seq of the AreaSnapshot the caller sends c: its
// next AreaDelta follows seq. A client already indexed is moved.
func (x *Index[C]) Subscribe(c C, a protocol.Area, seq uint64) {
	x.Unsubscribe(c)
	g := x.groups[a]
	if g == nil {
		g = &group[C]{area: a}
		x.groups[a] = g
		x.register(g)
	}
	m := &member[C]{c: c, g: g, i: len(g.members), last: seq}
	g.members = append(g.members, m)
	x.members[c] = m
	x.presence.add(a, 1)
}

// Unsubscribe removes c from the index, if it is there.
func (x *Index[C]) Unsubscribe(c C) {
	m := x.members[c]
	if m == nil {
		return
	}
	delete(x.members, c)
	g := m.g
	last := len(g.members) - 1
	g.members[m.i] = g.members[last]
	g.members[m.i].i = m.i
	g.members[last] = nil
	g.members = g.members[:last]
	x.presence.add(g.area, -1)
	if len(g.members) == 0 {
		x.unregister(g)
		delete(x.groups, g.area)
	}
}

// register adds g to every zone its area overlaps.
func (x *Index[C]) register(g *group[C]) {
	a := g.area
	for zy := int(a.Y) / ZoneSide; zy <= (int(a.Y)+int(a.H)-1)/ZoneSide; zy++ {
		for zx := int(a.X) / ZoneSide; zx <= (int(a.X)+int(a.W)-1)/ZoneSide; zx++ {
			z := zy*zoneCols + zx
			g.zones = append(g.zones, int32(z))
			g.zpos = append(g.zpos, int32(len(x.zones[z])))
			x.zones[z] = append(x.zones[z], g)
		}
	}
}

// unregister removes g from its zones, moving each zone's last group into
// its place.
func (x *Index[C]) unregister(g *group[C]) {
	for k, z := range g.zones {
		list := x.zones[z]
		p, last := g.zpos[k], len(list)-1
		moved := list[last]
		list[p] = moved
		for j, mz := range moved.zones {
			if mz == z {
				moved.zpos[j] = p
				break
			}
		}
		list[last] = nil
		x.zones[z] = list[:last]
	}
	g.zones, g.zpos = nil, nil
}

// Tick hands every indexed client whose area holds some of flips (one
// tick's flipped boxes, strictly increasing) its AreaDelta for seq, as a
// wire frame, through emit; clients with no flip in their area get
// nothing. A client's next frame follows seq. emit returns false for a
// client that could not take its frame: Tick unsubscribes it once done
// (emit itself must not call back into x). It returns the number of frames
// emitted.
func (x *Index[C]) Tick(seq uint64, flips []uint32, emit func(c C, wire []byte) bool) int {
	for _, i := range flips {
		z := int(i/protocol.GridWidth/ZoneSide)*zoneCols + int(i%protocol.GridWidth/ZoneSide)
		for _, g := range x.zones[z] {
			if !g.area.Contains(i) {
				continue
			}
			if !g.touched {
				g.touched = true
				x.touched = append(x.touched, g)
			}
			g.flips = append(g.flips, i)
		}
	}
	sent := 0
	var frame []byte
	for _, g := range x.touched {
		var err error
		frame, err = protocol.AppendAreaDelta(frame[:0], seq, seq-1, g.flips)
		g.flips, g.touched = g.flips[:0], false
		if err != nil {
			continue // cannot happen: flips are sorted, in the grid, non-empty
		}
		// One allocation for all of the group's copies; each member's
		// slice is capped so that nothing appends into its neighbour's.
		one := wsframe.Append(x.wire[:0], frame)
		x.wire = one
		off := len(one) - len(frame) + 9 // prev, inside the wire frame
		all := make([]byte, len(one)*len(g.members))
		for k, m := range g.members {
			w := all[k*len(one) : (k+1)*len(one) : (k+1)*len(one)]
			copy(w, one)
			putUint64(w[off:], m.last)
			m.last = seq
			if emit(m.c, w) {
				sent++
			} else {
				x.dropped = append(x.dropped, m.c)
			}
		}
	}
	clear(x.touched)
	x.touched = x.touched[:0]
	for _, c := range x.dropped {
		x.Unsubscribe(c)
	}
	clear(x.dropped)
	x.dropped = x.dropped[:0]
	return sent
}

func putUint64(b []byte, v uint64) {
	_ = b[7]
	for i := range 8 {
		b[i] = byte(v >> (8 * i))
	}
}
