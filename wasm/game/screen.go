package game

import (
	"math"

	"github.com/hajimehoshi/ebiten/v2"

	"checkgrid/protocol"
	"checkgrid/wasm/camera"
	"checkgrid/wasm/deeplink"
)

// screen is the screen's size as Ebiten lays it out, and where the first
// view goes once the size is known.
type screen struct {
	w, h int // device pixels (from LayoutF)
	dpr  float64
	// initial is the deep-linked view, applied once the screen size is known.
	initial *deeplink.View
	sized   bool
	// firstView: the camera is still where the game put it before the
	// first Snapshot, so the first sync may move it to the busiest place.
	firstView    camera.Camera
	firstViewSet bool
}

// LayoutF makes the screen as many device pixels as the window has, so the
// grid is drawn at the display's native resolution (crisp on HiDPI).
func (g *Game) LayoutF(w, h float64) (float64, float64) {
	dpr := ebiten.Monitor().DeviceScaleFactor()
	if dpr <= 0 {
		dpr = 1
	}
	g.scr.dpr = dpr
	g.scr.w, g.scr.h = int(math.Ceil(w*dpr)), int(math.Ceil(h*dpr))
	return float64(g.scr.w), float64(g.scr.h)
}

// Layout is never called (LayoutF is), but ebiten.Game requires it.
func (g *Game) Layout(w, h int) (int, int) {
	fw, fh := g.LayoutF(float64(w), float64(h))
	return int(fw), int(fh)
}

// resize keeps the camera on the current screen size.
func (g *Game) resize() {
	s := &g.scr
	if s.w == 0 || s.h == 0 {
		return
	}
	if !s.sized {
		g.cam = camera.New(s.w, s.h, s.dpr)
		if s.initial != nil {
			g.cam.LookAt(s.initial.X, s.initial.Y, s.initial.Zoom)
			if s.initial.At != 0 {
				g.linkMoment(s.initial.At, g.now())
			}
		} else {
			// Real checkboxes from the first frame, at the centre until
			// the Snapshot says where the grid is busiest.
			g.cam.LookAt(500, 500, g.realZoom())
			s.firstView, s.firstViewSet = g.cam, true
		}
		s.sized = true
		return
	}
	if w, h := g.cam.Size(); int(w) != s.w || int(h) != s.h || g.cam.DPR() != s.dpr {
		g.cam.Resize(s.w, s.h, s.dpr)
	}
}

// firstSync moves the first view to the busiest place once the first
// Snapshot is in, unless the player followed a deep link or has already
// moved the view.
func (g *Game) firstSync() {
	s := &g.scr
	if !s.firstViewSet || !g.board.Synced() {
		return
	}
	s.firstViewSet = false
	if g.cam != s.firstView {
		return
	}
	// The same place the server names with the first image (PROTOCOL.md,
	// /api/grid.png), from the counts the minimap keeps.
	if x, y, n := g.ras.Busiest(protocol.LandingWindow); n > 0 {
		g.cam.LookAt(x, y, g.realZoom())
	}
}
