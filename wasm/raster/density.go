package raster

import (
	"math"

	"checkgrid/protocol"
)

// Minimap geometry: the cells are the landing place's (protocol.CellCounts),
// so the client finds the busiest place from counts it keeps anyway.
const (
	// Cell is the side, in boxes, of one minimap cell (protocol.LandingCell):
	// 125×125 cells, about one per CSS pixel of the client's 160 px
	// minimap, and a count fits a byte.
	Cell   = protocol.LandingCell
	CellsX = protocol.LandingCellsX
	CellsY = protocol.LandingCellsY
	// cellBoxes is the number of boxes in a cell.
	cellBoxes = Cell * Cell
	// densityFloor is how far towards the checked colour a cell with a
	// single checked box is tinted: an average would make it 1/64 and
	// invisible, so a lone drawing would vanish from the minimap.
	densityFloor = 0.5
)

// Palette of the minimap, the same as the grid shader's: unchecked
// #f4f4f4 and checked #1f6feb.
var (
	uncheckedRGB = [3]float64{0xf4, 0xf4, 0xf4}
	checkedRGB   = [3]float64{0x1f, 0x6f, 0xeb}
)

// Shade is the minimap colour of a cell with n of its Cell×Cell boxes
// checked: unchecked when none is, else at least densityFloor of the way
// to checked, darker as more are (square root, so sparse drawings stand
// out and full blocks are fully checked).
func Shade(n int) (r, g, b uint8) {
	if n <= 0 {
		return uint8(uncheckedRGB[0]), uint8(uncheckedRGB[1]), uint8(uncheckedRGB[2])
	}
	t := densityFloor + (1-densityFloor)*math.Sqrt(float64(min(n, cellBoxes))/cellBoxes)
	mix := func(i int) uint8 { return uint8(uncheckedRGB[i] + (checkedRGB[i]-uncheckedRGB[i])*t + 0.5) }
	return mix(0), mix(1), mix(2)
}

// density counts the checked boxes of each cell and keeps the minimap's
// pixels (RGBA, CellsX×CellsY, one per cell) in step with the counts.
type density struct {
	count protocol.CellCounts
	pix   []byte
	dirty bool
}

func (d *density) init() {
	d.pix = make([]byte, CellsX*CellsY*4)
	for c := range d.count {
		d.shade(c)
	}
	d.dirty = true
}

// cellOf is the cell holding box i.
func cellOf(i uint32) int {
	x, y := int(i%Width), int(i/Width)
	return y/Cell*CellsX + x/Cell
}

// add changes box i's cell count by +1 or -1.
func (d *density) add(i uint32, delta int) {
	c := cellOf(i)
	d.count[c] = uint8(int(d.count[c]) + delta)
	d.shade(c)
	d.dirty = true
}

func (d *density) shade(c int) {
	r, g, b := Shade(int(d.count[c]))
	d.pix[4*c], d.pix[4*c+1], d.pix[4*c+2], d.pix[4*c+3] = r, g, b, 255
}

// recount recomputes every cell from the raster's R channel.
func (d *density) recount(pix []byte) {
	d.count = protocol.CellCounts{}
	for i := 0; i < Width*Height; i++ {
		if pix[4*i] != 0 {
			d.count[cellOf(uint32(i))]++
		}
	}
	for c := range d.count {
		d.shade(c)
	}
	d.dirty = true
}

// Minimap calls upload with the minimap's pixels (RGBA, CellsX×CellsY, a
// colour per cell from Shade) if they changed since the last call, and
// reports whether they had. upload must not keep the slice.
func (r *Raster) Minimap(upload func(pix []byte)) bool {
	if !r.mini.dirty {
		return false
	}
	upload(r.mini.pix)
	r.mini.dirty = false
	return true
}

// CellCount is the number of checked boxes shown in cell (cx, cy).
func (r *Raster) CellCount(cx, cy int) int { return int(r.mini.count[cy*CellsX+cx]) }

// Busiest returns the centre of the busiest n×n-cell window and how many
// boxes are checked in it (protocol.CellCounts.Busiest), from the counts
// the minimap keeps.
func (r *Raster) Busiest(n int) (x, y, checked int) { return r.mini.count.Busiest(n) }
