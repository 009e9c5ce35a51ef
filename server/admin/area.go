package admin

import (
	"errors"
	"fmt"

	"checkgrid/protocol"
	"checkgrid/server/moderation"
)

// ErrArea means an area is not "x,y,w,h" inside the grid.
var ErrArea = errors.New("admin: bad area")

// ParseArea reads "x,y,w,h" inside the grid (moderation.ParseArea).
func ParseArea(s string) (protocol.Area, error) {
	a, err := moderation.ParseArea(s)
	if err != nil {
		return protocol.Area{}, fmt.Errorf("%w: %w", ErrArea, err)
	}
	return a, nil
}

// FormatArea is ParseArea's inverse.
func FormatArea(a protocol.Area) string { return moderation.FormatArea(a) }

// eachBox calls f for every box of a, row by row.
func eachBox(a protocol.Area, f func(i uint32)) {
	for y := uint32(a.Y); y < uint32(a.Y)+uint32(a.H); y++ {
		row := y * protocol.GridWidth
		for x := uint32(a.X); x < uint32(a.X)+uint32(a.W); x++ {
			f(row + x)
		}
	}
}
