package game

import (
	"math"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"

	"checkgrid/protocol"
	"checkgrid/wasm/deeplink"
	"checkgrid/wasm/host"
)

// controls are the modes the page's toolbar and the keys switch, and what
// the keys drive: keyboard mode's cursor, the jump prompt and the marker of
// the last jump.
type controls struct {
	keyboard  keyboard
	jump      prompt
	mark      marker // the last jump's target, marked for a moment
	paintMode bool   // a drag paints (Draw, or P)
	debug     bool   // the debug overlay (F3)
}

// keyboard is keyboard mode: a box cursor the arrows move.
type keyboard struct {
	on   bool
	x, y int
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
				g.ctl.paintMode = !g.ctl.paintMode
			case host.CommandKeyboard:
				g.setKeyboard(!g.ctl.keyboard.on)
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
	g.ctl.mark = marker{box: v.Index(), at: now, on: true}
	if g.ctl.keyboard.on {
		g.ctl.keyboard.x, g.ctl.keyboard.y = v.X, v.Y
	}
}

func (g *Game) setKeyboard(on bool) {
	g.ctl.keyboard.on = on
	if !on {
		return
	}
	g.ctl.keyboard.x, g.ctl.keyboard.y = g.cam.CentreBox()
	if g.cam.Zoom() < keyboardZoom {
		g.cam.LookAt(g.ctl.keyboard.x, g.ctl.keyboard.y, firstZoom)
	}
}

func (g *Game) keys(now time.Duration) {
	if s, ok := g.ctl.jump.update(); ok {
		g.jumpTo(s, now)
		return
	}
	if g.ctl.jump.open {
		return
	}
	pressed := inpututil.IsKeyJustPressed
	switch {
	case pressed(ebiten.KeyG), pressed(ebiten.KeyJ):
		g.ctl.jump.show()
	case pressed(ebiten.KeyF3):
		g.ctl.debug = !g.ctl.debug
	case pressed(ebiten.KeyF), pressed(ebiten.Key0), pressed(ebiten.KeyNumpad0):
		g.cam.Fit()
	case pressed(ebiten.KeyP):
		g.ctl.paintMode = !g.ctl.paintMode
	case pressed(ebiten.KeyK):
		g.setKeyboard(!g.ctl.keyboard.on)
	case pressed(ebiten.KeyEscape) && g.ctl.keyboard.on:
		g.setKeyboard(false)
	case pressed(ebiten.KeySpace) && !g.ctl.keyboard.on:
		// A keyboard player's first Space starts keyboard mode at the
		// centre rather than doing nothing.
		g.setKeyboard(true)
		return
	}
	w, h := g.cam.Size()
	zx, zy := w/2, h/2
	if g.ctl.keyboard.on {
		zx, zy = g.cam.ToScreen(float64(g.ctl.keyboard.x)+0.5, float64(g.ctl.keyboard.y)+0.5)
	}
	if repeat(ebiten.KeyEqual) || repeat(ebiten.KeyNumpadAdd) {
		g.cam.ZoomAt(zx, zy, keyZoom)
	}
	if repeat(ebiten.KeyMinus) || repeat(ebiten.KeyNumpadSubtract) {
		g.cam.ZoomAt(zx, zy, 1/keyZoom)
	}
	if g.ctl.keyboard.on {
		g.keyboardKeys(now)
		return
	}
	step := keyPanCSS * g.scr.dpr
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
	k := &g.ctl.keyboard
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
		g.ctl.jump.show()
	}
	if moved {
		g.follow()
	}
}

// follow pans just enough to keep the keyboard cursor inside the screen.
func (g *Game) follow() {
	w, h := g.cam.Size()
	inset := math.Min(cursorInsetCSS*g.scr.dpr, math.Min(w, h)/3)
	sx, sy := g.cam.ToScreen(float64(g.ctl.keyboard.x)+0.5, float64(g.ctl.keyboard.y)+0.5)
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
