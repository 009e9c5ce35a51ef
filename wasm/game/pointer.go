package game

import (
	"math"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"checkgrid/protocol"
	"checkgrid/wasm/gesture"
)

// pointer is the mouse, the fingers and the wheel: this update's
// pointers, the gesture they make, where a press started, the hover, and
// whether the player uses a finger.
type pointer struct {
	touches  []ebiten.TouchID
	pointers []gesture.Pointer
	minimap  bool // the current press started on the minimap
	hud      bool // the current press started on a HUD panel: ignored
	mx, my   int  // the cursor's last position, to notice the mouse move
	mouse    bool // the mouse has moved: the cursor position means something

	rec        gesture.Recognizer
	actions    []gesture.Action
	line       []uint32 // a paint stroke's boxes
	paintValue bool     // what the current stroke sets its boxes to
	hover      uint32   // the box under the cursor, if hoverOK
	hoverOK    bool
	// touchMode: the player uses a finger (no hover label, gesture help);
	// it starts from the page's primary pointer and follows the input.
	touchMode bool
}

// trackCursor follows whether the player uses a finger or the mouse, and
// the box the mouse is over.
func (g *Game) trackCursor() {
	p := &g.ptr
	mx, my := ebiten.CursorPosition()
	if len(p.touches) > 0 {
		p.touchMode = true
	} else if mx != p.mx || my != p.my {
		p.touchMode, p.mouse = false, true
	}
	p.mx, p.my = mx, my
	p.hover, p.hoverOK = g.cam.BoxAt(float64(mx), float64(my))
	p.hoverOK = p.hoverOK && p.mouse
}

// realZoom is the zoom of real checkboxes for this player: the first
// view's, and where a tap on a far view zooms to.
func (g *Game) realZoom() float64 {
	if g.ptr.touchMode {
		return touchZoom
	}
	return firstZoom
}

func (g *Game) wheel() {
	dx, dy := ebiten.Wheel()
	browser := g.page.Browser()
	// A trackpad pinch reaches the page as a wheel event flagged with
	// Ctrl, though no key is down, so Ebiten's key state misses it.
	pinch := g.page.WheelPinch()
	zoomKey := pinch || ebiten.IsKeyPressed(ebiten.KeyControl) || ebiten.IsKeyPressed(ebiten.KeyMeta)
	switch gesture.ClassifyWheel(dx, dy, browser, zoomKey) {
	case gesture.WheelZoom:
		mx, my := ebiten.CursorPosition()
		g.cam.ZoomAt(float64(mx), float64(my), gesture.WheelZoomFactor(dy, browser, pinch))
	case gesture.WheelPan:
		k := g.scr.dpr
		if !browser {
			k *= wheelPanNotch
		}
		g.cam.Pan(dx*k, dy*k)
	}
}

func (g *Game) pointers(now time.Duration) {
	// How far a press may move and still be a tap, for this screen's
	// pixels (the dpr changes when the window moves to another display).
	g.ptr.rec.Slop = tapSlopCSS * g.scr.dpr
	ps := g.ptr.pointers[:0]
	g.ptr.touches = ebiten.AppendTouchIDs(g.ptr.touches[:0])
	for _, id := range g.ptr.touches {
		x, y := ebiten.TouchPosition(id)
		ps = append(ps, gesture.Pointer{ID: int(id), X: float64(x), Y: float64(y)})
	}
	if len(ps) == 0 && ebiten.IsMouseButtonPressed(ebiten.MouseButtonLeft) {
		x, y := ebiten.CursorPosition()
		ps = append(ps, gesture.Pointer{ID: mousePointer, X: float64(x), Y: float64(y)})
	}
	g.ptr.pointers = ps

	// A press that starts on the minimap drives the minimap until it ends;
	// one that starts on a HUD panel does nothing (the player meant the
	// panel, not the box under it).
	if len(ps) == 0 {
		g.ptr.minimap, g.ptr.hud = false, false
	} else if len(ps) == 1 && !g.ptr.minimap && !g.ptr.hud && g.ptr.rec.Idle() && !g.op.dragging {
		_, _, g.ptr.minimap = minimapHit(&g.cam, ps[0].X, ps[0].Y)
		g.ptr.hud = !g.ptr.minimap && g.frame.hud.hit(ps[0].X, ps[0].Y)
		if g.ptr.hud && g.frame.hud.announcementHit(ps[0].X, ps[0].Y) {
			g.sess.DismissAnnouncement()
		}
	}
	if g.ptr.hud {
		return
	}
	if g.ptr.minimap {
		if wx, wy, ok := minimapHit(&g.cam, ps[0].X, ps[0].Y); ok {
			g.cam.LookAt(int(wx), int(wy), g.cam.Zoom())
		}
		return
	}

	if g.op.selecting { // the operator's drag selects a rectangle (console.go)
		g.selectArea(ps)
		return
	}
	// Below minToggleZoom a stroke would paint boxes nobody can see: it
	// pans instead.
	paint := (g.ctl.paintMode || ebiten.IsKeyPressed(ebiten.KeyShift)) && g.cam.Zoom() >= minToggleZoom && !g.tm.past()
	g.ptr.actions = g.ptr.rec.Update(ps, paint, g.ptr.actions[:0])
	for _, a := range g.ptr.actions {
		switch a.Kind {
		case gesture.Tap:
			g.tap(a, now)
		case gesture.Pan:
			g.cam.Pan(a.DX, a.DY)
		case gesture.Pinch:
			g.cam.Pan(a.DX, a.DY)
			g.cam.ZoomAt(a.X, a.Y, a.Factor)
		case gesture.Paint:
			g.paint(a, now)
		}
	}
}

// tap toggles the box under a tap, or, below minToggleZoom, zooms in
// there to real boxes (realZoom), keeping the tapped point under the finger.
func (g *Game) tap(a gesture.Action, now time.Duration) {
	if z := g.cam.Zoom(); z < minToggleZoom {
		g.cam.ZoomAt(a.X, a.Y, g.realZoom()/z)
		return
	}
	i, ok := g.cam.BoxAt(a.X, a.Y)
	if !ok || g.tm.past() { // the past is read-only
		return
	}
	g.sess.Toggle(i, now)
	if g.ctl.keyboard.on {
		g.ctl.keyboard.x, g.ctl.keyboard.y = int(i%protocol.GridWidth), int(i/protocol.GridWidth)
	}
}

// paint sets every box along a stroke segment to the stroke's value: the
// opposite of the box the stroke started on, like a paint program.
func (g *Game) paint(a gesture.Action, now time.Duration) {
	fx, fy := g.cam.ToWorld(a.FromX, a.FromY)
	tx, ty := g.cam.ToWorld(a.X, a.Y)
	if a.First {
		i, ok := g.cam.BoxAt(a.X, a.Y)
		g.ptr.paintValue = !ok || !g.board.Displayed(i)
	}
	clampCell := func(v float64, n int) int { return min(max(int(math.Floor(v)), 0), n-1) }
	if (fx < 0 || fx >= protocol.GridWidth || fy < 0 || fy >= protocol.GridHeight) &&
		(tx < 0 || tx >= protocol.GridWidth || ty < 0 || ty >= protocol.GridHeight) {
		return
	}
	g.ptr.line = gesture.Line(
		clampCell(fx, protocol.GridWidth), clampCell(fy, protocol.GridHeight),
		clampCell(tx, protocol.GridWidth), clampCell(ty, protocol.GridHeight),
		protocol.GridWidth, g.ptr.line[:0])
	for _, i := range g.ptr.line {
		g.sess.Paint(i, g.ptr.paintValue, now)
	}
}
