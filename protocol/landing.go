package protocol

import "math/bits"

// Where a new player lands (PROTOCOL.md, "HTTP", /api/grid.png's
// X-Landing): the centre of the busiest window of LandingWindow×
// LandingWindow cells of LandingCell×LandingCell boxes. The server names it
// with the first image of the grid, and a client without one (the desktop
// build) computes it from its first Snapshot, by the same code.
const (
	// LandingCell is the side, in boxes, of a cell: 8 makes the grid
	// 125×125 cells (one a minimap pixel) and a cell's count fits a byte.
	LandingCell   = 8
	LandingCellsX = GridWidth / LandingCell
	LandingCellsY = GridHeight / LandingCell
	// LandingWindow is the window's side in cells: 5 cells, 40 boxes, is
	// about what a first view shows at 20 CSS px a box on a laptop.
	LandingWindow = 5
)

// CellCounts is the number of checked boxes in each LandingCell×LandingCell
// cell, row-major (LandingCellsX a row).
type CellCounts [LandingCellsX * LandingCellsY]uint8

// Count fills c from g: 8 boxes of a cell row are one byte of the Bitset.
func (c *CellCounts) Count(g *Bitset) {
	*c = CellCounts{}
	for y := range GridHeight {
		row := (y / LandingCell) * LandingCellsX
		for cx := range LandingCellsX {
			i := y*GridWidth + cx*LandingCell // a multiple of 8: one byte
			b := uint8(g[i>>6] >> (i & 63))
			c[row+cx] += uint8(bits.OnesCount8(b))
		}
	}
}

// Busiest returns the centre of the checked boxes in the busiest n×n-cell
// window (the most checked boxes; the first such window in row order on a
// tie), so a drawing lands in the middle of the view rather than at its
// edge, and how many boxes are checked in the window. On an empty grid it
// is the grid's centre with 0. It sums the counts once with a summed-area
// table, so it costs the same at any n: about (LandingCellsX+1)×
// (LandingCellsY+1) additions, plus n² for the centre.
func (c *CellCounts) Busiest(n int) (x, y, checked int) {
	n = min(max(n, 1), LandingCellsX, LandingCellsY)
	const stride = LandingCellsX + 1
	var sat [(LandingCellsX + 1) * (LandingCellsY + 1)]int32
	for cy := range LandingCellsY {
		row := int32(0)
		for cx := range LandingCellsX {
			row += int32(c[cy*LandingCellsX+cx])
			sat[(cy+1)*stride+cx+1] = sat[cy*stride+cx+1] + row
		}
	}
	best, bx, by := int32(0), -1, -1
	for cy := 0; cy+n <= LandingCellsY; cy++ {
		for cx := 0; cx+n <= LandingCellsX; cx++ {
			s := sat[(cy+n)*stride+cx+n] - sat[cy*stride+cx+n] - sat[(cy+n)*stride+cx] + sat[cy*stride+cx]
			if s > best {
				best, bx, by = s, cx, cy
			}
		}
	}
	if bx < 0 {
		return GridWidth / 2, GridHeight / 2, 0
	}
	var sx, sy, sn int
	for cy := by; cy < by+n; cy++ {
		for cx := bx; cx < bx+n; cx++ {
			k := int(c[cy*LandingCellsX+cx])
			sx += k * (cx*LandingCell + LandingCell/2)
			sy += k * (cy*LandingCell + LandingCell/2)
			sn += k
		}
	}
	return sx / sn, sy / sn, int(best)
}
