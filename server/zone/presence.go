package zone

import "checkgrid/protocol"

// presence keeps the number of indexed clients per cell, by the centre of
// their area.
type presence struct {
	cell    int
	viewers []uint32
	dirty   bool   // changed since the last frame
	frame   []byte // last encoded
}

func newPresence(cell int) (presence, error) {
	cols, rows, err := protocol.PresenceCells(cell)
	if err != nil {
		return presence{}, err
	}
	return presence{cell: cell, viewers: make([]uint32, cols*rows), dirty: true}, nil
}

// add counts d more clients looking at area a.
func (p *presence) add(a protocol.Area, d int) {
	i := protocol.CellOf(p.cell, int(a.X)+int(a.W)/2, int(a.Y)+int(a.H)/2)
	before := p.viewers[i]
	p.viewers[i] = uint32(int(before) + d)
	// A change between 1 and 2 is invisible on the wire ("some").
	if !(before >= 1 && before <= 2 && p.viewers[i] >= 1 && p.viewers[i] <= 2) {
		p.dirty = true
	}
}

// Presence returns the Presence frame (protocol payload, not wire) and
// whether it changed since the last call; it encodes only when it did.
// The frame is shared: do not modify it.
func (p *presence) Presence() ([]byte, bool) {
	if !p.dirty {
		return p.frame, false
	}
	p.dirty = false
	f, err := protocol.AppendPresence(nil, p.cell, p.viewers)
	if err != nil {
		return p.frame, false // cannot happen: cell checked by New
	}
	changed := string(f) != string(p.frame)
	p.frame = f
	return f, changed
}

// Viewers returns the exact number of indexed clients in each cell (for
// tests and metrics; never sent as such).
func (p *presence) Viewers() []uint32 { return p.viewers }
