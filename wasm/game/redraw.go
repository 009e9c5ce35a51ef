package game

import "time"

// When Draw paints (issue 24: the alive whole grid must cost a phone's
// battery little). Every painted frame runs the grid shader over the whole
// screen (and Ebiten then presents it for a few frames), which on a
// software-rendered WebGL is most of a tab's CPU: `make tabcpu` measured
// about 90 ms of GPU-process CPU for each frame Chromium draws at 1280×800
// on SwiftShader (BENCHMARKS.md). So a frame is painted at once only when what the player did
// or sees changed: the view, the screen, the HUD's text, and, close
// enough to toggle, a box (an own click must answer at once). Otherwise:
//   - a frame that differs only because something fades (the glow of
//     recent changes, a refused box's flash, the budget meter refilling,
//     the jump marker) waits for glowEvery after the last one;
//   - zoomed out below minToggleZoom, where no click toggles a box and a
//     box is a few pixels or less, boxes changing and fading wait for
//     farEvery: under steady traffic at Fit the glow kept every frame
//     repainting the whole screen, as fast as the machine could;
//   - a frame that changes nothing is painted every refreshEvery, so that
//     anything that disturbed the retained screen (a lost and restored GL
//     context) heals.

// Redraw budget.
const (
	// glowEvery is the shortest gap between two frames painted only for a
	// fade, zoomed in: 20 a second, the server's tick (new changes come no
	// faster), which shows a one-second fade smoothly.
	glowEvery = 50 * time.Millisecond
	// farEvery is the shortest gap between two frames painted for boxes
	// changing or fading below minToggleZoom: 10 a second still sparkles,
	// and a change stays lit for a second, so none is missed.
	farEvery = 100 * time.Millisecond
	// refreshEvery bounds how long Draw leaves the screen as it is: long
	// enough that an idle tab paints almost nothing.
	refreshEvery = 5 * time.Second
)

// repaint reports whether Draw must paint a frame with key at now: far
// says the view is zoomed out below minToggleZoom, boxes that a box looks
// different since the frame on screen, hud that the HUD's text changed,
// animating that something on screen is fading.
func (f *frame) repaint(key frameKey, far, boxes, hud, animating bool, now time.Duration) bool {
	if !f.shownOnce || key != f.shown || hud {
		return true
	}
	since := now - f.shownAt
	switch {
	case far && (boxes || animating):
		return since >= farEvery
	case boxes:
		return true
	case animating:
		return since >= glowEvery
	}
	return since >= refreshEvery
}
