package admin

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"checkgrid/protocol"
)

// ErrArea means an area is not "x,y,w,h" inside the grid.
var ErrArea = errors.New("admin: bad area")

// ParseArea reads "x,y,w,h" (decimal columns and rows: the rectangle of
// columns x … x+w-1 of rows y … y+h-1), which must lie inside the grid.
func ParseArea(s string) (protocol.Area, error) {
	parts := strings.Split(s, ",")
	var f [4]uint16
	if len(parts) != len(f) {
		return protocol.Area{}, fmt.Errorf("%w: %q, want x,y,w,h", ErrArea, s)
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return protocol.Area{}, fmt.Errorf("%w: %q, want x,y,w,h in decimal", ErrArea, s)
		}
		f[i] = uint16(n)
	}
	a := protocol.Area{X: f[0], Y: f[1], W: f[2], H: f[3]}
	if err := a.Valid(); err != nil {
		return protocol.Area{}, fmt.Errorf("%w: %w", ErrArea, err)
	}
	return a, nil
}

// FormatArea is ParseArea's inverse.
func FormatArea(a protocol.Area) string {
	return fmt.Sprintf("%d,%d,%d,%d", a.X, a.Y, a.W, a.H)
}

// eachBox calls f for every box of a, row by row.
func eachBox(a protocol.Area, f func(i uint32)) {
	for y := uint32(a.Y); y < uint32(a.Y)+uint32(a.H); y++ {
		row := y * protocol.GridWidth
		for x := uint32(a.X); x < uint32(a.X)+uint32(a.W); x++ {
			f(row + x)
		}
	}
}
