package game

import (
	"math"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"

	"checkgrid/protocol"
	"checkgrid/wasm/deeplink"
	"checkgrid/wasm/gesture"
	"checkgrid/wasm/host"
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
	// minToggleZoom is the smallest zoom, in CSS pixels per box, at which
	// a tap toggles: below it a box is too small to see or aim at, so a
	// tap zooms in there instead of changing a box nobody can see.
	minToggleZoom = 4
	// firstZoom is the zoom of the first view and of a tap that zooms in:
	// real checkboxes, about the size of a page's checkbox with room
	// around it, and still some 60×40 of them on a laptop screen.
	firstZoom = 20
	// touchZoom is firstZoom for a finger: 36 CSS px, about the 7–9 mm a
	// fingertip covers (20 px boxes were smaller than a fingertip), still
	// some 10×20 boxes on a phone.
	touchZoom = 36
	// zoomInStep is the Zoom in button's factor: five presses from the
	// whole grid to real boxes.
	zoomInStep = 2
	// keyboardZoom is the least zoom keyboard mode keeps, so its cursor
	// box is visible.
	keyboardZoom = 12
	// cursorInsetCSS keeps the keyboard cursor this far inside the screen
	// edge; moving past it pans.
	cursorInsetCSS = 80
)

// input holds per-frame input buffers.
type input struct {
	touches  []ebiten.TouchID
	pointers []gesture.Pointer
	minimap  bool // the current press started on the minimap
	hud      bool // the current press started on a HUD panel: ignored
	mx, my   int  // the cursor's last position, to notice the mouse move
	mouse    bool // the mouse has moved: the cursor position means something
}

// keyboard is keyboard mode: a box cursor the arrows move.
type keyboard struct {
	on   bool
	x, y int
}

// handleInput reads keys, wheel, pointers and the page's controls and acts
// on them.
func (g *Game) handleInput(now time.Duration) {
	if !g.sized {
		return
	}
	g.commands(now)
	g.keys(now)
	g.timeInput(now)
	g.wheel()
	g.pointers(now)
	mx, my := ebiten.CursorPosition()
	if len(g.input.touches) > 0 {
		g.touchMode = true
	} else if mx != g.input.mx || my != g.input.my {
		g.touchMode, g.input.mouse = false, true
	}
	g.input.mx, g.input.my = mx, my
	g.hover, g.hoverOK = g.cam.BoxAt(float64(mx), float64(my))
	g.hoverOK = g.hoverOK && g.input.mouse
}

// commands applies what the page's controls asked for (the browser's
// toolbar; the desktop has keys for all of them).
func (g *Game) commands(now time.Duration) {
	for range 8 {
		select {
		case c := <-g.page.Commands():
			switch c.Kind {
			case host.CommandJump:
				g.jumpTo(c.Text, now)
			case host.CommandFit:
				g.cam.Fit()
			case host.CommandZoomIn:
				w, h := g.cam.Size()
				g.cam.ZoomAt(w/2, h/2, zoomInStep)
			case host.CommandDraw:
				g.paintMode = !g.paintMode
			case host.CommandKeyboard:
				g.setKeyboard(!g.keyboard.on)
			case host.CommandOperator:
				g.consoleCommand(c)
			default:
				g.timeCommand(c, now)
			}
		default:
			return
		}
	}
}

// jumpTo centres the box the player typed ("123456" or "456,123") and
// marks it for a moment; text that is not a box does nothing.
func (g *Game) jumpTo(s string, now time.Duration) {
	v, err := deeplink.ParseJump(s)
	if err != nil {
		return
	}
	g.cam.LookAt(v.X, v.Y, math.Max(g.cam.Zoom(), v.Zoom))
	g.mark = marker{box: v.Index(), at: now, on: true}
	if g.keyboard.on {
		g.keyboard.x, g.keyboard.y = v.X, v.Y
	}
}

// realZoom is the zoom of real checkboxes for this player: the first
// view's, and where a tap on a far view zooms to.
func (g *Game) realZoom() float64 {
	if g.touchMode {
		return touchZoom
	}
	return firstZoom
}

func (g *Game) setKeyboard(on bool) {
	g.keyboard.on = on
	if !on {
		return
	}
	g.keyboard.x, g.keyboard.y = g.cam.CentreBox()
	if g.cam.Zoom() < keyboardZoom {
		g.cam.LookAt(g.keyboard.x, g.keyboard.y, firstZoom)
	}
}

func (g *Game) keys(now time.Duration) {
	if s, ok := g.jump.update(); ok {
		g.jumpTo(s, now)
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
	case pressed(ebiten.KeyK):
		g.setKeyboard(!g.keyboard.on)
	case pressed(ebiten.KeyEscape) && g.keyboard.on:
		g.setKeyboard(false)
	case pressed(ebiten.KeySpace) && !g.keyboard.on:
		// A keyboard player's first Space starts keyboard mode at the
		// centre rather than doing nothing.
		g.setKeyboard(true)
		return
	}
	w, h := g.cam.Size()
	zx, zy := w/2, h/2
	if g.keyboard.on {
		zx, zy = g.cam.ToScreen(float64(g.keyboard.x)+0.5, float64(g.keyboard.y)+0.5)
	}
	if repeat(ebiten.KeyEqual) || repeat(ebiten.KeyNumpadAdd) {
		g.cam.ZoomAt(zx, zy, keyZoom)
	}
	if repeat(ebiten.KeyMinus) || repeat(ebiten.KeyNumpadSubtract) {
		g.cam.ZoomAt(zx, zy, 1/keyZoom)
	}
	if g.keyboard.on {
		g.keyboardKeys(now)
		return
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

// keyboardKeys moves the cursor one box per press (repeating while held),
// toggles its box with Space and opens the jump prompt with Enter; the
// view follows the cursor.
func (g *Game) keyboardKeys(now time.Duration) {
	k := &g.keyboard
	moved := false
	step := func(keys []ebiten.Key, dx, dy int) {
		for _, key := range keys {
			if repeat(key) {
				k.x = min(max(k.x+dx, 0), protocol.GridWidth-1)
				k.y = min(max(k.y+dy, 0), protocol.GridHeight-1)
				moved = true
				return
			}
		}
	}
	step([]ebiten.Key{ebiten.KeyArrowLeft, ebiten.KeyA}, -1, 0)
	step([]ebiten.Key{ebiten.KeyArrowRight, ebiten.KeyD}, 1, 0)
	step([]ebiten.Key{ebiten.KeyArrowUp, ebiten.KeyW}, 0, -1)
	step([]ebiten.Key{ebiten.KeyArrowDown, ebiten.KeyS}, 0, 1)
	if inpututil.IsKeyJustPressed(ebiten.KeySpace) && !g.tm.past() {
		g.sess.Toggle(uint32(k.y*protocol.GridWidth+k.x), now)
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyEnter) || inpututil.IsKeyJustPressed(ebiten.KeyNumpadEnter) {
		g.jump.show()
	}
	if moved {
		g.follow()
	}
}

// follow pans just enough to keep the keyboard cursor inside the screen.
func (g *Game) follow() {
	w, h := g.cam.Size()
	inset := math.Min(cursorInsetCSS*g.dpr, math.Min(w, h)/3)
	sx, sy := g.cam.ToScreen(float64(g.keyboard.x)+0.5, float64(g.keyboard.y)+0.5)
	var dx, dy float64
	if sx < inset {
		dx = inset - sx
	} else if sx > w-inset {
		dx = w - inset - sx
	}
	if sy < inset {
		dy = inset - sy
	} else if sy > h-inset {
		dy = h - inset - sy
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
	} else if len(ps) == 1 && !g.input.minimap && !g.input.hud && g.rec.Idle() && !g.op.dragging {
		_, _, g.input.minimap = minimapHit(&g.cam, ps[0].X, ps[0].Y)
		g.input.hud = !g.input.minimap && g.hud.hit(ps[0].X, ps[0].Y)
		if g.input.hud && g.hud.announcementHit(ps[0].X, ps[0].Y) {
			g.sess.DismissAnnouncement()
		}
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

	if g.op.selecting { // the operator's drag selects a rectangle (console.go)
		g.selectArea(ps)
		return
	}
	// Below minToggleZoom a stroke would paint boxes nobody can see: it
	// pans instead.
	paint := (g.paintMode || ebiten.IsKeyPressed(ebiten.KeyShift)) && g.cam.Zoom() >= minToggleZoom && !g.tm.past()
	g.actions = g.rec.Update(ps, paint, g.actions[:0])
	for _, a := range g.actions {
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
	if g.keyboard.on {
		g.keyboard.x, g.keyboard.y = int(i%protocol.GridWidth), int(i/protocol.GridWidth)
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
