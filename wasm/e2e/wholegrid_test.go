//go:build !js

package e2e

import (
	"fmt"
	"math"
	"testing"
	"time"

	"checkgrid/protocol"
)

// The whole grid shows what is there (issue 24): at Fit a box is under
// half a pixel, yet a lone checked box and a small drawing must show, in
// the main view and on the minimap.

// ring is the outline of the size×size square whose top-left box is
// (x0, y0): a drawing with a hole, so the test sees its shape, not a blot.
func ring(x0, y0, size int) []protocol.Change {
	var cs []protocol.Change
	for y := y0; y < y0+size; y++ {
		for x := x0; x < x0+size; x++ {
			if x == x0 || y == y0 || x == x0+size-1 || y == y0+size-1 {
				cs = append(cs, on(x, y))
			}
		}
	}
	return cs
}

// pixelOf is the screen pixel under the middle of box (x, y).
func (v view) pixelOf(x, y int) (int, int) {
	sx, sy := v.centre(x, y)
	return int(math.Floor(sx)), int(math.Floor(sy))
}

// minimapPixel is the minimap's pixel in the middle of the cell (8×8
// boxes, one texel of the minimap) holding box (x, y), on the desktop
// viewport (the client's minimapRect: 30% of the shorter side at most
// 160 px, 12 px from the bottom-right corner).
func minimapPixel(x, y int) (int, int) {
	size := min(160, int(float64(min(screenW, screenH))*0.3))
	mx, my := screenW-size-12, screenH-size-12
	const cell = 8
	k := float64(size) / (protocol.GridWidth / cell)
	return mx + int((float64(x/cell)+0.5)*k), my + int((float64(y/cell)+0.5)*k)
}

// TestFitShowsSparse: a single checked box and a drawn 10×10 ring are
// visible at Fit, where a box is under half a pixel, on the main view
// (the ring with its hole) and on the minimap; the grid around them stays
// unchecked.
func TestFitShowsSparse(t *testing.T) {
	srv := startServer(t)
	w := srv.watch(t)
	const lx, ly = 300, 650 // the lone box
	const rx, ry = 600, 400 // the ring's top-left box
	w.set(append(ring(rx, ry, 10), on(lx, ly))...)
	w.waitBox(box(lx, ly), true, 5*time.Second)

	p := newBrowser(t).open("page", srv.URL+"/")
	p.waitReady()
	p.press("F")
	h := p.waitHooks("the whole grid", 5*time.Second, func(h hooks) bool { return h.Zoom > 0 && h.Zoom < 1 })
	v := viewOf(h, screenW, screenH, 1)
	var want []expect
	for _, c := range ring(rx, ry, 10) {
		want = append(want, expect{int(c.Index % protocol.GridWidth), int(c.Index / protocol.GridWidth), lookChecked})
	}
	want = append(want,
		expect{lx, ly, lookChecked},
		expect{rx + 5, ry + 5, lookUnchecked},                  // the ring's hole
		expect{lx + 10, ly, lookUnchecked},                     // ~5 px right of the lone box
		expect{lx, ly - 10, lookUnchecked},                     // and above it
		expect{rx + 25, ry + 5, lookUnchecked},                 // right of the ring
		expect{int(h.CX) + 100, int(h.CY) + 30, lookUnchecked}) // an empty place
	p.waitPixels("the lone box and the ring at Fit, main view and minimap", time.Now(), 10*time.Second, func(s shot) string {
		var bad []string
		for _, e := range want {
			x, y := v.pixelOf(e.X, e.Y)
			if got := s.at(x, y); got != e.Look {
				r, g, b := s.rgb(x, y)
				bad = append(bad, fmt.Sprintf("main view: box (%d,%d) at pixel (%d,%d) is %v (%.0f,%.0f,%.0f), want %v", e.X, e.Y, x, y, got, r, g, b, e.Look))
			}
		}
		for _, e := range []expect{{lx, ly, lookChecked}, {rx, ry, lookChecked}, {rx + 9, ry + 9, lookChecked}, {lx + 40, ly, lookUnchecked}} {
			x, y := minimapPixel(e.X, e.Y)
			if got := s.at(x, y); got != e.Look {
				r, g, b := s.rgb(x, y)
				bad = append(bad, fmt.Sprintf("minimap: box (%d,%d) at pixel (%d,%d) is %v (%.0f,%.0f,%.0f), want %v", e.X, e.Y, x, y, got, r, g, b, e.Look))
			}
		}
		if len(bad) > 0 {
			return fmt.Sprint(bad)
		}
		return ""
	})
}
