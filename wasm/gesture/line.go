package gesture

// Line appends to dst the cells of a w-wide grid that the segment from cell
// (x0, y0) to cell (x1, y1) passes through, 8-connected (Bresenham), both
// ends included, so a fast stroke leaves no holes between frames.
func Line(x0, y0, x1, y1, w int, dst []uint32) []uint32 {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	err := dx + dy
	for {
		dst = append(dst, uint32(y0*w+x0))
		if x0 == x1 && y0 == y1 {
			return dst
		}
		e2 := 2 * err
		if e2 >= dy {
			err += dy
			x0 += sx
		}
		if e2 <= dx {
			err += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
