package game

import (
	"fmt"
	"image/color"
	"math"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"checkgrid/protocol"
	"checkgrid/wasm/board"
	"checkgrid/wasm/camera"
	"checkgrid/wasm/deeplink"
	"checkgrid/wasm/gesture"
	"checkgrid/wasm/host"
	"checkgrid/wasm/raster"
	"checkgrid/wasm/session"
)

var background = color.RGBA{0x20, 0x21, 0x24, 0xff}

// Game is the client's ebiten.Game.
type Game struct {
	page  *host.Page
	sess  *session.Session
	board *board.Board
	ras   *raster.Raster
	grid  *gridView
	mini  *minimapView
	hud   hud
	fonts *fonts
	cam   camera.Camera
	rec   gesture.Recognizer
	input input
	jump  prompt
	start time.Time

	w, h int // screen, device pixels (from Layout)
	dpr  float64
	// initial is the deep-linked view, applied once the screen size is known.
	initial *deeplink.View
	sized   bool

	debug      bool
	paintMode  bool
	paintValue bool
	hover      uint32
	hoverOK    bool
	// touchMode: the player uses a finger (no hover label, gesture help);
	// it starts from the page's primary pointer and follows the input.
	touchMode bool
	keyboard  keyboard
	mark      marker      // the last jump's target, marked for a moment
	tm        timeMachine // the past shown instead of the live grid (timemachine.go)
	away      away        // what changed while the player was away (away.go)
	boxInfo   boxInfos    // the hover label's history line (boxinfo.go)
	op        console     // the operator console, if opened with the token (console.go)
	// firstView: the camera is still where the game put it before the
	// first Snapshot, so the first sync may move it to the busiest place.
	firstView    camera.Camera
	firstViewSet bool

	changed    []uint32
	refused    []uint32
	actions    []gesture.Action
	line       []uint32
	drawn      int // Draw calls: frames, repainted or retained
	syncedAt   int // drawn when the first Snapshot was applied; -1 before
	everSync   bool
	lastUpdate time.Duration
	updateCost time.Duration
	drawCost   time.Duration

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

// New returns the game for session s and page p, starting at view (nil
// for the whole grid). The session owns the connection; the game only
// draws and turns input into the session's actions.
func New(p *host.Page, s *session.Session, view *deeplink.View) (*Game, error) {
	gv, err := newGridView()
	if err != nil {
		return nil, fmt.Errorf("game: grid shader: %w", err)
	}
	f, err := newFonts()
	if err != nil {
		return nil, err
	}
	g := &Game{
		page: p, sess: s, board: s.Board(), fonts: f,
		ras: raster.New(), grid: gv, mini: newMinimapView(), start: time.Now(),
		initial: view, syncedAt: -1, dpr: 1, touchMode: p.Coarse(),
	}
	// Draw repaints only frames that differ (see Draw), so Ebiten must keep
	// the screen between frames; an unchanged frame is then not presented
	// at all, which on a software-rendered WebGL is most of the CPU.
	ebiten.SetScreenClearedEveryFrame(false)
	return g, nil
}

// LayoutF makes the screen as many device pixels as the window has, so the
// grid is drawn at the display's native resolution (crisp on HiDPI).
func (g *Game) LayoutF(w, h float64) (float64, float64) {
	dpr := ebiten.Monitor().DeviceScaleFactor()
	if dpr <= 0 {
		dpr = 1
	}
	g.dpr = dpr
	g.w, g.h = int(math.Ceil(w*dpr)), int(math.Ceil(h*dpr))
	return float64(g.w), float64(g.h)
}

// Layout is never called (LayoutF is), but ebiten.Game requires it.
func (g *Game) Layout(w, h int) (int, int) {
	fw, fh := g.LayoutF(float64(w), float64(h))
	return int(fw), int(fh)
}

func (g *Game) now() time.Duration { return time.Since(g.start) }

// Update runs one update of game logic (Ebiten calls it 60 times a second;
// "tick" is the server's word for its broadcast period); see the package doc.
func (g *Game) Update() error {
	t0 := time.Now()
	now := g.now()
	g.resize()
	select {
	case v := <-g.page.Links():
		g.cam.LookAt(v.X, v.Y, v.Zoom)
		g.linkMoment(v.At, now)
	default:
	}
	g.handleInput(now)
	g.updateTime(now)
	g.updateAway(now)
	g.updateConsole(now)
	g.setView(now)
	// After input, so a toggle leaves in this frame's Set.
	g.sess.Update(now)

	var all bool
	g.changed, all = g.board.Drain(g.changed[:0])
	if g.tm.past() {
		// The live grid waits: going live refills the raster from the board.
	} else if all {
		g.ras.Fill(g.board)
	} else if len(g.changed) > 0 {
		g.ras.Update(g.board, g.changed, now)
	}
	g.updateBoxInfo(now, g.changed, all)
	g.refused = g.sess.DrainRefused(g.refused[:0])
	g.ras.Refuse(g.refused, now)
	g.ras.Expire(now)
	g.firstSync()

	g.publish(now)
	g.updateCost = time.Since(t0)
	g.lastUpdate = now
	return nil
}

// resize keeps the camera on the current screen size.
func (g *Game) resize() {
	if g.w == 0 || g.h == 0 {
		return
	}
	if !g.sized {
		g.cam = camera.New(g.w, g.h, g.dpr)
		if g.initial != nil {
			g.cam.LookAt(g.initial.X, g.initial.Y, g.initial.Zoom)
			if g.initial.At != 0 {
				g.linkMoment(g.initial.At, g.now())
			}
		} else {
			// Real checkboxes from the first frame, at the centre until
			// the Snapshot says where the grid is busiest.
			g.cam.LookAt(500, 500, g.realZoom())
			g.firstView, g.firstViewSet = g.cam, true
		}
		g.rec.Slop = tapSlopCSS * g.dpr
		g.sized = true
		return
	}
	if w, h := g.cam.Size(); int(w) != g.w || int(h) != g.h || g.cam.DPR() != g.dpr {
		g.cam.Resize(g.w, g.h, g.dpr)
		g.rec.Slop = tapSlopCSS * g.dpr
	}
}

// firstSync moves the first view to the busiest place once the first
// Snapshot is in, unless the player followed a deep link or has already
// moved the view.
func (g *Game) firstSync() {
	if !g.firstViewSet || !g.board.Synced() {
		return
	}
	g.firstViewSet = false
	if g.cam != g.firstView {
		return
	}
	// The same place the server names with the first image (PROTOCOL.md,
	// /api/grid.png), from the counts the minimap keeps.
	if x, y, n := g.ras.Busiest(protocol.LandingWindow); n > 0 {
		g.cam.LookAt(x, y, g.realZoom())
	}
}

// publish reports the status to the page and keeps the URL on the view.
func (g *Game) publish(now time.Duration) {
	st := g.sess.Status()
	if st.Synced && !g.everSync {
		g.everSync, g.syncedAt = true, g.drawn
	}
	cx, cy := g.cam.CentreBox()
	wx, wy := g.cam.Centre()
	g.page.Publish(host.Published{
		Ready:    g.everSync && g.drawn > g.syncedAt,
		State:    st.State.String(),
		Live:     g.live(),
		Seq:      st.Seq,
		Checked:  st.Checked,
		Online:   st.Online,
		Frames:   g.drawn,
		Rejected: st.Rejected,
		Message:  g.sess.Message(now),
		Limit:    g.sess.Limit(now).Source.String(),
		Zoom:     g.cam.Zoom(),
		CentreX:  cx,
		CentreY:  cy,
		WorldX:   wx,
		WorldY:   wy,
		Draw:     g.paintMode,
		Keyboard: g.keyboard.on,
		Cursor:   g.keyboard.y*1000 + g.keyboard.x,
		Missing:  g.fonts.Missing(),
		Budget:   max(g.hud.budget, 0),
		Announcement: func() string {
			text, _ := g.sess.Announcement(now)
			return text
		}(),
		Time:      g.timeStatus(now),
		Away:      g.awayStatus(),
		HoverInfo: g.boxInfoLine(),
		Operator:  g.consoleStatus(),
	})
	if g.sized {
		x, y := g.cam.CentreBox()
		g.page.SetView(deeplink.View{X: x, Y: y, Zoom: g.cam.Zoom(), At: g.linkAt(now)}, now)
	}
}

// Draw renders the frame; it changes no game state. A frame equal to the
// one on screen (same view, no box or HUD text changed, no highlight or
// cooldown animating) is skipped: the screen is retained.
func (g *Game) Draw(screen *ebiten.Image) {
	t0 := time.Now()
	now := g.now()
	g.drawn++
	if !g.sized {
		screen.Fill(background)
		return
	}
	hudChanged := g.setHUD(now)
	frozen := g.everSync && !g.live()
	key := frameKey{screen: screen, w: g.w, h: g.h, cam: g.cam, frozen: frozen, keyboard: g.keyboard, view: g.viewKey(), op: g.consoleKey()}
	animating := g.ras.Highlighted() > 0 || g.hud.cooldown > 0 || g.debug || g.mark.active(now)
	if !g.repaint(key, g.ras.TakeChanged(), hudChanged, animating, now) {
		return
	}
	// Rows wait for a painted frame (redraw.go): an expired glow's row
	// alone is not worth a texture upload.
	g.grid.upload(g.ras)
	g.mini.upload(g.ras)
	g.shown, g.shownAt, g.shownOnce = key, now, true

	screen.Fill(background)
	x0, y0, x1, y1 := g.cam.Visible()
	sx0, sy0 := g.cam.ToScreen(x0, y0)
	sx1, sy1 := g.cam.ToScreen(x1, y1)
	g.grid.draw(screen, sx0, sy0, sx1, sy1, x0, y0, x1, y1, g.cam.Scale(), now, frozen)
	if !g.tm.past() { // the past is the whole grid, all known
		g.drawUnknown(screen)
	}
	g.drawPresenceOnGrid(screen)
	g.drawMarkers(screen, now)
	g.drawAway(screen)
	g.drawSelection(screen)
	g.mini.draw(screen, &g.cam)
	g.drawPresence(screen)
	g.hud.opTop = g.page.OperatorCSS()
	g.hud.layout(g.w, g.h, g.dpr, g.page.ToolbarCSS())
	g.hud.draw(screen)
	g.drawPreview(screen)
	g.drawCost = time.Since(t0)
}
