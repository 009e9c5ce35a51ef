package game

import (
	"fmt"
	"image/color"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"checkgrid/wasm/board"
	"checkgrid/wasm/camera"
	"checkgrid/wasm/deeplink"
	"checkgrid/wasm/host"
	"checkgrid/wasm/raster"
	"checkgrid/wasm/session"
)

var background = color.RGBA{0x20, 0x21, 0x24, 0xff}

// Game is the client's ebiten.Game. Its state is grouped by the step of
// Update or Draw that writes it (its owner); the other steps only read a
// group, so what changes a field is found in one file.
type Game struct {
	// Set by New, never replaced: what every group reads.
	page  *host.Page
	sess  *session.Session
	board *board.Board
	ras   *raster.Raster
	fonts *fonts
	start time.Time

	// Owned by LayoutF and resize (screen.go): the screen's size and
	// where the first view goes.
	scr screen
	// cam is the view: placed by resize and firstSync, moved by the input
	// steps below (and a deep link) during Update, read by Draw.
	cam camera.Camera

	// Owned by handleInput's pointer steps (pointer.go): presses,
	// gestures, the hover, touch or mouse.
	ptr pointer
	// Owned by the toolbar's commands and the keys (controls.go): the
	// modes they switch, keyboard mode's cursor, the jump prompt and its
	// marker.
	ctl controls
	// Owned by updateTime and the time controls (timemachine.go,
	// timeinput.go): the past shown instead of the live grid.
	tm timeMachine
	// Owned by updateAway (away.go): what changed while the player was away.
	away away
	// Owned by updateBoxInfo (boxinfo.go): the hover label's history line.
	boxInfo boxInfos
	// Owned by updateConsole and consoleCommand (console.go): the operator
	// console, if opened with the token.
	op console
	// Owned by feed.drain (feed.go): this update's board changes and
	// refusals, on their way to the raster.
	feed feed
	// Owned by publish: when the first sync was drawn.
	sync firstSynced
	// Owned by Update: what it cost, for the debug overlay.
	updateCost time.Duration
	// Owned by Draw (draw.go): the frame on screen and what draws it.
	frame frame
}

// firstSynced is when the player first saw the grid synced.
type firstSynced struct {
	ever bool
	at   int // frame.drawn when the first Snapshot was applied; -1 before
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
		page: p, sess: s, board: s.Board(), fonts: f, ras: raster.New(), start: time.Now(),
		scr:   screen{initial: view, dpr: 1},
		ptr:   pointer{touchMode: p.Coarse()},
		sync:  firstSynced{at: -1},
		frame: frame{grid: gv, mini: newMinimapView()},
	}
	// Draw repaints only frames that differ (see Draw), so Ebiten must keep
	// the screen between frames; an unchanged frame is then not presented
	// at all, which on a software-rendered WebGL is most of the CPU.
	ebiten.SetScreenClearedEveryFrame(false)
	return g, nil
}

func (g *Game) now() time.Duration { return time.Since(g.start) }

// Update runs one update of game logic (Ebiten calls it 60 times a second;
// "tick" is the server's word for its broadcast period); see the package
// doc. Each step owns its group of Game's fields.
func (g *Game) Update() error {
	t0 := time.Now()
	now := g.now()
	g.resize()
	g.followLink(now)
	g.handleInput(now)
	g.updateTime(now)
	g.updateAway(now)
	g.updateConsole(now)
	g.setView(now)
	// After input, so a toggle leaves in this frame's Set.
	g.sess.Update(now)
	changed, all := g.feed.drain(g.sess, g.board, g.ras, g.tm.past(), now)
	g.updateBoxInfo(now, changed, all)
	g.firstSync()
	g.publish(now)
	g.updateCost = time.Since(t0)
	return nil
}

// followLink follows a deep link the page was sent to (a hash change).
func (g *Game) followLink(now time.Duration) {
	select {
	case v := <-g.page.Links():
		g.cam.LookAt(v.X, v.Y, v.Zoom)
		g.linkMoment(v.At, now)
	default:
	}
}

// publish reports the status to the page and keeps the URL on the view.
func (g *Game) publish(now time.Duration) {
	st := g.sess.Status()
	if st.Synced && !g.sync.ever {
		g.sync.ever, g.sync.at = true, g.frame.drawn
	}
	cx, cy := g.cam.CentreBox()
	wx, wy := g.cam.Centre()
	g.page.Publish(host.Published{
		Ready:    g.sync.ever && g.frame.drawn > g.sync.at,
		State:    st.State.String(),
		Live:     g.live(),
		Seq:      st.Seq,
		Checked:  st.Checked,
		Online:   st.Online,
		Frames:   g.frame.drawn,
		Rejected: st.Rejected,
		Message:  g.sess.Message(now),
		Limit:    g.sess.Limit(now).Source.String(),
		Zoom:     g.cam.Zoom(),
		CentreX:  cx,
		CentreY:  cy,
		WorldX:   wx,
		WorldY:   wy,
		Draw:     g.ctl.paintMode,
		Keyboard: g.ctl.keyboard.on,
		Cursor:   g.ctl.keyboard.y*1000 + g.ctl.keyboard.x,
		Missing:  g.fonts.Missing(),
		Budget:   max(g.frame.hud.budget, 0),
		Announcement: func() string {
			text, _ := g.sess.Announcement(now)
			return text
		}(),
		Time:      g.timeStatus(now),
		Away:      g.awayStatus(),
		HoverInfo: g.boxInfoLine(),
		Operator:  g.consoleStatus(),
	})
	if g.scr.sized {
		x, y := g.cam.CentreBox()
		g.page.SetView(deeplink.View{X: x, Y: y, Zoom: g.cam.Zoom(), At: g.linkAt(now)}, now)
	}
}
