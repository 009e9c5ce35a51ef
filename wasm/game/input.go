package game

import (
	"math"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"

	"checkgrid/protocol"
	"checkgrid/wasm/deeplink"
	"checkgrid/wasm/gesture"
)

// Input tuning.
const (
	// tapSlopCSS is how far a press may move and still toggle: more than
	// finger jitter, less than a deliberate drag.
	tapSlopCSS = 8
	// keyPanCSS is the arrow/WASD pan per update: 600 CSS px a second.
	keyPanCSS = 10
	// keyZoom is the zoom step of +/- (five steps double and a bit).
	keyZoom = 1.15
	// wheelPanNotch is the desktop trackpad's pan per wheel unit, in CSS px.
	wheelPanNotch = 20
	// mousePointer is the mouse's Pointer ID; touch IDs are ≥ 0... or any
	// other value Ebiten gives, which never collides with this one in
	// practice because a frame has either touches or a mouse.
	mousePointer = -1 << 30
)

// input holds per-frame input buffers.
type input struct {
	touches  []ebiten.TouchID
	pointers []gesture.Pointer
	minimap  bool // the current press started on the minimap
	hud      bool // the current press started on a HUD panel: ignored
}

// handleInput reads keys, wheel and pointers and acts on them.
func (g *Game) handleInput(now time.Duration) {
	if !g.sized {
		return
	}
	g.keys(now)
	g.wheel()
	g.pointers(now)
	mx, my := ebiten.CursorPosition()
	g.hover, g.hoverOK = g.cam.BoxAt(float64(mx), float64(my))
}

func (g *Game) keys(now time.Duration) {
	if s, ok := g.jump.update(); ok {
		if v, err := deeplink.ParseJump(s); err == nil {
			g.cam.LookAt(v.X, v.Y, math.Max(g.cam.Zoom(), v.Zoom))
		}
		return
	}
	if g.jump.open {
		return
	}
	pressed := inpututil.IsKeyJustPressed
	switch {
	case pressed(ebiten.KeyG), pressed(ebiten.KeyJ):
		g.jump.show()
	case pressed(ebiten.KeyF3):
		g.debug = !g.debug
	case pressed(ebiten.KeyF), pressed(ebiten.Key0), pressed(ebiten.KeyNumpad0):
		g.cam.Fit()
	case pressed(ebiten.KeyP):
		g.paintMode = !g.paintMode
	}
	w, h := g.cam.Size()
	if repeat(ebiten.KeyEqual) || repeat(ebiten.KeyNumpadAdd) {
		g.cam.ZoomAt(w/2, h/2, keyZoom)
	}
	if repeat(ebiten.KeyMinus) || repeat(ebiten.KeyNumpadSubtract) {
		g.cam.ZoomAt(w/2, h/2, 1/keyZoom)
	}
	step := keyPanCSS * g.dpr
	var dx, dy float64
	if held(ebiten.KeyArrowLeft, ebiten.KeyA) {
		dx += step
	}
	if held(ebiten.KeyArrowRight, ebiten.KeyD) {
		dx -= step
	}
	if held(ebiten.KeyArrowUp, ebiten.KeyW) {
		dy += step
	}
	if held(ebiten.KeyArrowDown, ebiten.KeyS) {
		dy -= step
	}
	if dx != 0 || dy != 0 {
		g.cam.Pan(dx, dy)
	}
}

// repeat reports a key press, repeating while held like typing does.
func repeat(k ebiten.Key) bool {
	d := inpututil.KeyPressDuration(k)
	return d == 1 || d > 20 && d%4 == 0
}

func held(keys ...ebiten.Key) bool {
	for _, k := range keys {
		if ebiten.IsKeyPressed(k) {
			return true
		}
	}
	return false
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
		k := g.dpr
		if !browser {
			k *= wheelPanNotch
		}
		g.cam.Pan(dx*k, dy*k)
	}
}

func (g *Game) pointers(now time.Duration) {
	ps := g.input.pointers[:0]
	g.input.touches = ebiten.AppendTouchIDs(g.input.touches[:0])
	for _, id := range g.input.touches {
		x, y := ebiten.TouchPosition(id)
		ps = append(ps, gesture.Pointer{ID: int(id), X: float64(x), Y: float64(y)})
	}
	if len(ps) == 0 && ebiten.IsMouseButtonPressed(ebiten.MouseButtonLeft) {
		x, y := ebiten.CursorPosition()
		ps = append(ps, gesture.Pointer{ID: mousePointer, X: float64(x), Y: float64(y)})
	}
	g.input.pointers = ps

	// A press that starts on the minimap drives the minimap until it ends;
	// one that starts on a HUD panel does nothing (the player meant the
	// panel, not the box under it).
	if len(ps) == 0 {
		g.input.minimap, g.input.hud = false, false
	} else if len(ps) == 1 && !g.input.minimap && !g.input.hud && g.rec.Idle() {
		_, _, g.input.minimap = minimapHit(&g.cam, ps[0].X, ps[0].Y)
		g.input.hud = !g.input.minimap && g.hud.hit(ps[0].X, ps[0].Y, g.dpr)
	}
	if g.input.hud {
		return
	}
	if g.input.minimap {
		if wx, wy, ok := minimapHit(&g.cam, ps[0].X, ps[0].Y); ok {
			g.cam.LookAt(int(wx), int(wy), g.cam.Zoom())
		}
		return
	}

	paint := g.paintMode || ebiten.IsKeyPressed(ebiten.KeyShift)
	g.actions = g.rec.Update(ps, paint, g.actions[:0])
	for _, a := range g.actions {
		switch a.Kind {
		case gesture.Tap:
			if i, ok := g.cam.BoxAt(a.X, a.Y); ok {
				g.sess.Toggle(i, now)
			}
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

// paint sets every box along a stroke segment to the stroke's value: the
// opposite of the box the stroke started on, like a paint program.
func (g *Game) paint(a gesture.Action, now time.Duration) {
	fx, fy := g.cam.ToWorld(a.FromX, a.FromY)
	tx, ty := g.cam.ToWorld(a.X, a.Y)
	if a.First {
		i, ok := g.cam.BoxAt(a.X, a.Y)
		g.paintValue = !ok || !g.board.Displayed(i)
	}
	clampCell := func(v float64, n int) int { return min(max(int(math.Floor(v)), 0), n-1) }
	if (fx < 0 || fx >= protocol.GridWidth || fy < 0 || fy >= protocol.GridHeight) &&
		(tx < 0 || tx >= protocol.GridWidth || ty < 0 || ty >= protocol.GridHeight) {
		return
	}
	g.line = gesture.Line(
		clampCell(fx, protocol.GridWidth), clampCell(fy, protocol.GridHeight),
		clampCell(tx, protocol.GridWidth), clampCell(ty, protocol.GridHeight),
		protocol.GridWidth, g.line[:0])
	for _, i := range g.line {
		g.sess.Paint(i, g.paintValue, now)
	}
}
