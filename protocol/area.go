package protocol

import "fmt"

// Area is a rectangle of boxes: columns X … X+W-1 of rows Y … Y+H-1. A
// version-2 client subscribes to one Area (the Viewport frame) and receives
// exact state and changes for the boxes inside it only.
type Area struct{ X, Y, W, H uint16 }

// WholeGrid is the Area of every box.
var WholeGrid = Area{0, 0, GridWidth, GridHeight}

// Valid returns an ErrField error unless a lies inside the grid and holds at
// least one box.
func (a Area) Valid() error {
	if a.X >= GridWidth || a.Y >= GridHeight || a.W == 0 || a.H == 0 ||
		int(a.X)+int(a.W) > GridWidth || int(a.Y)+int(a.H) > GridHeight {
		return fmt.Errorf("%w: area x=%d y=%d w=%d h=%d is not inside the %dx%d grid",
			ErrField, a.X, a.Y, a.W, a.H, GridWidth, GridHeight)
	}
	return nil
}

// Boxes is the number of boxes in a.
func (a Area) Boxes() int { return int(a.W) * int(a.H) }

// Whole reports whether a is the whole grid.
func (a Area) Whole() bool { return a == WholeGrid }

// Contains reports whether box i lies inside a. The zero Area contains
// nothing.
func (a Area) Contains(i uint32) bool {
	x, y := i%GridWidth, i/GridWidth
	return i < Boxes && x >= uint32(a.X) && x < uint32(a.X)+uint32(a.W) &&
		y >= uint32(a.Y) && y < uint32(a.Y)+uint32(a.H)
}

// Intersects reports whether a and b share a box.
func (a Area) Intersects(b Area) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

// appendIndexes appends the indexes of a's boxes that are checked in g, in
// increasing order.
func (a Area) appendIndexes(dst []uint32, g *Bitset) []uint32 {
	for y := uint32(a.Y); y < uint32(a.Y)+uint32(a.H); y++ {
		lo := y*GridWidth + uint32(a.X)
		hi := lo + uint32(a.W) // exclusive
		for i := lo; i < hi; {
			w := g[i>>6] >> (i & 63)
			if w == 0 {
				i = (i | 63) + 1
				continue
			}
			if w&1 != 0 {
				dst = append(dst, i)
			}
			i++
		}
	}
	return dst
}

// clearIn unchecks every box of a in g.
func (a Area) clearIn(g *Bitset) {
	for y := uint32(a.Y); y < uint32(a.Y)+uint32(a.H); y++ {
		lo := y*GridWidth + uint32(a.X)
		putRange(g, lo, lo+uint32(a.W)-1, false)
	}
}
