package game

import (
	"image/color"
	"math"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"checkgrid/protocol"
)

// markShown is how long a jump's target stays ringed: long enough to find
// it after the view jumped, short enough not to linger as clutter.
const markShown = 3 * time.Second

var (
	markColor   = color.RGBA{0xff, 0x6d, 0x00, 0xff} // orange: apart from checked blue and highlight amber
	cursorColor = color.RGBA{0x20, 0x21, 0x24, 0xff}
	cursorInner = color.RGBA{0xff, 0xff, 0xff, 0xff}
)

// marker is a box to point out: the target of the last jump.
type marker struct {
	box uint32
	at  time.Duration
	on  bool
}

func (m marker) active(now time.Duration) bool { return m.on && now-m.at < markShown }

// drawMarkers rings the jump target (pulsing, then gone) and the keyboard
// cursor, both outside the box so its own look stays readable.
func (g *Game) drawMarkers(dst *ebiten.Image, now time.Duration) {
	scale := g.cam.Scale()
	ring := func(i uint32, width float64, c color.RGBA, out float64) {
		x, y := float64(i%protocol.GridWidth), float64(i/protocol.GridWidth)
		sx, sy := g.cam.ToScreen(x, y)
		size := math.Max(scale, 6*g.scr.dpr)
		sx -= (size - scale) / 2
		sy -= (size - scale) / 2
		o := out + width/2
		vector.StrokeRect(dst, float32(sx-o), float32(sy-o), float32(size+2*o), float32(size+2*o), float32(width), c, true)
	}
	if g.ctl.mark.active(now) {
		t := float64(now-g.ctl.mark.at) / float64(time.Second)
		w := (2.5 + 1.5*math.Sin(t*2*math.Pi*1.5)) * g.scr.dpr
		ring(g.ctl.mark.box, w, markColor, 2*g.scr.dpr)
	}
	if g.ctl.keyboard.on {
		i := uint32(g.ctl.keyboard.y*protocol.GridWidth + g.ctl.keyboard.x)
		ring(i, 3*g.scr.dpr, cursorColor, 0)
		ring(i, 2*g.scr.dpr, cursorInner, 3*g.scr.dpr)
		ring(i, 2*g.scr.dpr, cursorColor, 5*g.scr.dpr)
	}
}
