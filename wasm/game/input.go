package game

import (
	"time"
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

// handleInput reads the page's controls, keys, wheel and pointers and acts
// on them: the toolbar's commands and the keys first (controls.go), then
// the time machine's keys (timeinput.go), then the wheel and the pointers
// (pointer.go).
func (g *Game) handleInput(now time.Duration) {
	if !g.scr.sized {
		return
	}
	g.commands(now)
	g.keys(now)
	g.timeInput(now)
	g.wheel()
	g.pointers(now)
	g.trackCursor()
}
