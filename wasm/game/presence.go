package game

import (
	"image/color"
	"math"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"checkgrid/protocol"
)

// Presence on the main view (issue 24): zoomed far out, where the whole
// grid or most of it is on screen, each presence cell with viewers gets a
// warm outline on the grid itself, so a player sees where the others are
// looking without reading the minimap. An outline, not a fill: the boxes
// inside stay readable (density, glow). Zoomed in, a cell is wider than the
// screen and an outline would be a stray line, so the layer fades out.

// Presence layer geometry and fade, in CSS pixels per box.
const (
	// presenceFull: at or below this the layer is fully drawn (a 40-box
	// cell is at most 40 CSS px, a box no longer shows detail).
	presenceFull = 1.0
	// presenceGone: at or above this nothing is drawn (a cell is 120 CSS
	// px, the boxes are separate squares: the player looks at boxes).
	presenceGone = 3.0
	// presenceStroke is the outline's width, in CSS px: seen at a glance
	// at Fit on a phone, thin beside a 40-box cell at 1 px a box.
	presenceStroke = 2.0
)

var (
	// presenceSomeLine and presenceManyLine are the outline's colours,
	// premultiplied: "some" (1 or 2 viewers) a clear but soft orange, busy
	// cells full orange, by the log of the count as on the minimap.
	presenceSomeLine = color.RGBA{0xb0, 0x58, 0x00, 0xb0}
	presenceManyLine = color.RGBA{0xff, 0x8c, 0x00, 0xff}
)

// presenceFade is how much of the layer shows at dpr device px per CSS px
// and scale device px per box: 1 zoomed far out, 0 zoomed in.
func presenceFade(scale, dpr float64) float64 {
	css := scale / dpr
	return math.Min(1, math.Max(0, (presenceGone-css)/(presenceGone-presenceFull)))
}

// drawPresenceOnGrid outlines the presence cells with viewers on the main
// view, faded by zoom. The player's own cell is left out while it says
// "some": the one or two viewers may be only this player (Session.Near's
// rule); a zoomed-out player counts nowhere (PROTOCOL.md, Presence).
func (g *Game) drawPresenceOnGrid(dst *ebiten.Image) {
	fade := presenceFade(g.cam.Scale(), g.scr.dpr)
	if fade == 0 {
		return
	}
	cell, counts, ok := g.sess.Presence()
	if !ok {
		return
	}
	own := -1
	if a := g.board.Area(); a.W != 0 && !a.Whole() {
		own = protocol.CellOf(cell, int(a.X)+int(a.W)/2, int(a.Y)+int(a.H)/2)
	}
	cols := protocol.GridWidth / cell
	sw := presenceStroke * g.scr.dpr
	for i, c := range counts {
		if c == 0 || (i == own && c == protocol.PresenceSome) {
			continue
		}
		col := presenceSomeLine
		if c != protocol.PresenceSome {
			t := math.Min(1, 0.5+0.5*math.Log(float64(c)/3)/math.Log(100.0/3))
			col = lerp(presenceSomeLine, presenceManyLine, t)
		}
		col = scaleRGBA(col, fade)
		x0, y0 := g.cam.ToScreen(float64(i%cols*cell), float64(i/cols*cell))
		x1, y1 := g.cam.ToScreen(float64(i%cols*cell+cell), float64(i/cols*cell+cell))
		// Inside the cell: neighbours' outlines do not overlap.
		vector.StrokeRect(dst, float32(x0+sw/2), float32(y0+sw/2), float32(x1-x0-sw), float32(y1-y0-sw), float32(sw), col, false)
	}
}

// scaleRGBA fades a premultiplied colour by f.
func scaleRGBA(c color.RGBA, f float64) color.RGBA {
	m := func(v uint8) uint8 { return uint8(math.Round(float64(v) * f)) }
	return color.RGBA{m(c.R), m(c.G), m(c.B), m(c.A)}
}
