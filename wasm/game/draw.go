package game

import (
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"checkgrid/wasm/camera"
)

// frame is what Draw keeps between frames: the textures and panels it
// draws with, and what the screen shows now (redraw.go).
type frame struct {
	grid     *gridView
	mini     *minimapView
	hud      hud
	drawn    int // Draw calls: frames, repainted or retained
	drawCost time.Duration

	// What the screen shows: Draw repaints only when this or the content
	// changed, or refreshEvery passed.
	shown     frameKey
	shownAt   time.Duration
	shownOnce bool
}

// frameKey is what a retained frame depends on besides the state texture
// and the HUD's text, which report their own changes.
type frameKey struct {
	screen *ebiten.Image // Ebiten's offscreen: a new one starts blank
	w, h   int
	cam    camera.Camera
	frozen bool
	// keyboard: the cursor's box and whether it shows.
	keyboard keyboard
	view     viewKey // version 2: followed area, presence map (view.go)
	op       consoleKey
}

// Draw renders the frame; it changes no game state. A frame equal to the
// one on screen (same view, no box or HUD text changed, no highlight or
// cooldown animating) is skipped: the screen is retained.
func (g *Game) Draw(screen *ebiten.Image) {
	t0 := time.Now()
	now := g.now()
	f := &g.frame
	f.drawn++
	if !g.scr.sized {
		screen.Fill(background)
		return
	}
	hudChanged := g.setHUD(now)
	frozen := g.sync.ever && !g.live()
	key := frameKey{screen: screen, w: g.scr.w, h: g.scr.h, cam: g.cam, frozen: frozen, keyboard: g.ctl.keyboard, view: g.viewKey(), op: g.consoleKey()}
	animating := g.ras.Highlighted() > 0 || f.hud.cooldown > 0 || g.ctl.debug || g.ctl.mark.active(now)
	boxes := g.ras.TakeChanged()
	if !f.repaint(key, g.cam.Zoom() < minToggleZoom, boxes, hudChanged, animating, now) {
		return
	}
	// Rows wait for a painted frame (redraw.go): an expired glow's row
	// alone is not worth a texture upload.
	f.grid.upload(g.ras)
	f.mini.upload(g.ras)
	f.shown, f.shownAt, f.shownOnce = key, now, true

	screen.Fill(background)
	x0, y0, x1, y1 := g.cam.Visible()
	sx0, sy0 := g.cam.ToScreen(x0, y0)
	sx1, sy1 := g.cam.ToScreen(x1, y1)
	f.grid.draw(screen, sx0, sy0, sx1, sy1, x0, y0, x1, y1, g.cam.Scale(), now, frozen)
	if !g.tm.past() { // the past is the whole grid, all known
		g.drawUnknown(screen)
	}
	g.drawPresenceOnGrid(screen)
	g.drawMarkers(screen, now)
	g.drawAway(screen)
	g.drawSelection(screen)
	f.mini.draw(screen, &g.cam)
	g.drawPresence(screen)
	f.hud.opTop = g.page.OperatorCSS()
	f.hud.layout(g.scr.w, g.scr.h, g.scr.dpr, g.page.ToolbarCSS())
	f.hud.draw(screen)
	g.drawPreview(screen)
	f.drawCost = time.Since(t0)
}
