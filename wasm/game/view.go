package game

import (
	"fmt"
	"image/color"
	"math"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"checkgrid/protocol"
	"checkgrid/wasm/wording"
)

// Version 2 on screen: the session is told what the screen shows (it keeps
// the subscribed area around it); boxes outside the area the board follows
// are dimmed, since they show only their last known state and cannot be
// set; the minimap carries the presence map as a heat layer, and the HUD
// says how many players look nearby.

var (
	// unknownShade covers boxes outside the followed area: the grid stays
	// readable underneath (it is the last known state), clearly not live.
	unknownShade = color.RGBA{0x20, 0x21, 0x24, 0xb0}
	// heatSome and heatMany are the presence layer's colours, premultiplied:
	// a cell with "some" viewers is a faint warm tint, a busy one a strong
	// orange, by the log of its count.
	heatSome = color.RGBA{0x60, 0x30, 0x00, 0x60}
	heatMany = color.RGBA{0xff, 0x8c, 0x00, 0xff}
)

// setView tells the session the boxes on screen at now, every update (the
// session tells pans from a still view by it).
func (g *Game) setView(now time.Duration) {
	if !g.scr.sized {
		return
	}
	x0, y0, x1, y1 := g.cam.Visible()
	ax0, ay0 := int(math.Floor(x0)), int(math.Floor(y0))
	ax1, ay1 := int(math.Ceil(x1)), int(math.Ceil(y1))
	if ax1 <= ax0 || ay1 <= ay0 {
		return
	}
	g.sess.SetView(protocol.Area{X: uint16(ax0), Y: uint16(ay0), W: uint16(ax1 - ax0), H: uint16(ay1 - ay0)}, now)
}

// drawUnknown dims the visible boxes outside the area the board follows.
func (g *Game) drawUnknown(dst *ebiten.Image) {
	a := g.board.Area()
	if !g.board.Synced() || a.Whole() {
		return // unsynced has its own (frozen) look; the whole grid is all known
	}
	x0, y0, x1, y1 := g.cam.Visible()
	sx0, sy0 := g.cam.ToScreen(x0, y0)
	sx1, sy1 := g.cam.ToScreen(x1, y1)
	ax0, ay0 := g.cam.ToScreen(float64(a.X), float64(a.Y))
	ax1, ay1 := g.cam.ToScreen(float64(a.X)+float64(a.W), float64(a.Y)+float64(a.H))
	ax0, ay0 = math.Max(ax0, sx0), math.Max(ay0, sy0)
	ax1, ay1 = math.Min(ax1, sx1), math.Min(ay1, sy1)
	fill := func(x0, y0, x1, y1 float64) {
		if x1 > x0 && y1 > y0 {
			vector.FillRect(dst, float32(x0), float32(y0), float32(x1-x0), float32(y1-y0), unknownShade, false)
		}
	}
	if ax1 <= ax0 || ay1 <= ay0 { // the area is off screen: all unknown
		fill(sx0, sy0, sx1, sy1)
		return
	}
	fill(sx0, sy0, sx1, ay0) // above
	fill(sx0, ay1, sx1, sy1) // below
	fill(sx0, ay0, ax0, ay1) // left
	fill(ax1, ay0, sx1, ay1) // right
}

// drawPresence paints the presence map over the minimap.
func (g *Game) drawPresence(dst *ebiten.Image) {
	cell, counts, ok := g.sess.Presence()
	if !ok {
		return
	}
	x, y, s := minimapRect(&g.cam)
	cols := protocol.GridWidth / cell
	k := s / float64(cols)
	for i, c := range counts {
		if c == 0 {
			continue
		}
		col := heatSome
		if c != protocol.PresenceSome {
			// 3 viewers → half way, 100 and more → full.
			t := math.Min(1, 0.5+0.5*math.Log(float64(c)/3)/math.Log(100.0/3))
			col = lerp(heatSome, heatMany, t)
		}
		cx, cy := float64(i%cols), float64(i/cols)
		vector.FillRect(dst, float32(x+cx*k), float32(y+cy*k), float32(math.Ceil(k)), float32(math.Ceil(k)), col, false)
	}
}

func lerp(a, b color.RGBA, t float64) color.RGBA {
	m := func(p, q uint8) uint8 { return uint8(float64(p) + (float64(q)-float64(p))*t) }
	return color.RGBA{m(a.R, b.R), m(a.G, b.G), m(a.B, b.B), m(a.A, b.A)}
}

// nearText is the HUD's line about players nearby, "" before a presence
// map arrives (version 1, or the first second).
func (g *Game) nearText() string {
	if _, _, ok := g.sess.Presence(); !ok {
		return ""
	}
	n, more := g.sess.Near()
	switch {
	case n == 0 && more:
		return wording.NearSome
	case n == 0:
		return wording.NearNone
	case more:
		return fmt.Sprintf(wording.NearMoreFmt, n)
	case n == 1:
		return wording.NearOne
	}
	return fmt.Sprintf(wording.NearFmt, n)
}

// viewKey is what of version 2 changes the picture: the followed area and
// the presence map.
type viewKey struct {
	area     protocol.Area
	presence int
}

func (g *Game) viewKey() viewKey {
	return viewKey{area: g.board.Area(), presence: g.sess.PresenceGen()}
}
