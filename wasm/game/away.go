package game

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"slices"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"checkgrid/protocol"
	"checkgrid/wasm/host"
	"checkgrid/wasm/timeline"
	"checkgrid/wasm/wording"
)

// While you were away (issue 21): the page keeps the last seq the player
// saw (host.Page.SetSeen, every awaySaveEvery while live); a returning
// player's first sync asks history for the net change since then
// (timeline.Source.Changed: one playback point), and the boxes that
// changed are ringed in teal where they are on screen, counted in a HUD
// panel (on screen, and in all), and can be replayed: the time machine
// from the moment last seen, playing to now.

// Away tuning.
const (
	// awaySaveEvery spaces out the writes of the seq seen: a player who
	// leaves within it is shown those last changes again, which is harmless.
	awaySaveEvery = 2 * time.Second
	// maxAwayMarks bounds the rings drawn in a frame: past it the count
	// still says how many, and the screen is all rings anyway.
	maxAwayMarks = 4096
	// replayFor is how long a replay of the time away should take at most:
	// the slowest speed that plays it within this is chosen.
	replayFor = 20 * time.Second
)

var (
	awayMark = color.RGBA{0x00, 0xbf, 0xa5, 0xff} // teal: apart from checked blue, highlight amber, the jump's orange
	awayBG   = color.RGBA{0x00, 0x69, 0x5c, 0xff}
	styleAw  = textStyle{size: 15, bold: true, fg: color.RGBA{0xff, 0xff, 0xff, 0xff}}
	styleAw2 = textStyle{size: 13, fg: color.RGBA{0xd0, 0xf5, 0xee, 0xff}}
)

// away is what changed while the player was away.
type away struct {
	loaded  bool
	since   uint64 // the seq last seen on this device (0: none)
	has     bool
	asked   bool
	boxes   []uint32 // sorted; nil until known
	known   bool
	at      time.Time // the commit time of since
	err     error
	results chan awayResult
	seen    uint64 // last recorded as seen
	savedAt time.Duration
	saved   bool
}

type awayResult struct {
	boxes []uint32
	at    time.Time
	err   error
}

// updateAway reads the seq last seen once, asks for the change since at the
// first sync, takes the answer, and records the seq seen now and then.
func (g *Game) updateAway(now time.Duration) {
	a := &g.away
	if !a.loaded {
		a.loaded = true
		a.since, a.has = g.page.LastSeen()
	}
	select {
	case r := <-a.results:
		a.boxes, a.at, a.err, a.known = r.boxes, r.at, r.err, r.err == nil
	default:
	}
	if !g.board.Synced() || g.tm.src == nil {
		return
	}
	if !a.asked {
		a.asked = true
		to := g.board.Seq()
		if a.has && a.since < to {
			a.results = make(chan awayResult, 1)
			src, from, results := g.tm.src, a.since, a.results
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
				defer cancel()
				var r awayResult
				r.boxes, r.err = src.Changed(ctx, from, to, protocol.WholeGrid)
				if r.err == nil && from > 0 {
					r.at, r.err = src.TimeOf(ctx, from)
				}
				results <- r
			}()
		}
	}
	if g.live() && !g.tm.past() && (!a.saved || now-a.savedAt >= awaySaveEvery) && g.board.Seq() != a.seen {
		a.seen, a.savedAt, a.saved = g.board.Seq(), now, true
		g.page.SetSeen(a.seen)
	}
}

// inView counts the changed boxes on screen and calls each (up to max)
// with its box.
func (g *Game) awayInView(max int, each func(i uint32)) int {
	a := &g.away
	if len(a.boxes) == 0 {
		return 0
	}
	x0, y0, x1, y1 := g.cam.Visible()
	bx0, by0 := int(math.Max(0, math.Floor(x0))), int(math.Max(0, math.Floor(y0)))
	bx1, by1 := int(math.Min(protocol.GridWidth, math.Ceil(x1))), int(math.Min(protocol.GridHeight, math.Ceil(y1)))
	n := 0
	for y := by0; y < by1; y++ {
		lo, _ := slices.BinarySearch(a.boxes, uint32(y*protocol.GridWidth+bx0))
		for k := lo; k < len(a.boxes) && a.boxes[k] < uint32(y*protocol.GridWidth+bx1); k++ {
			if n < max && each != nil {
				each(a.boxes[k])
			}
			n++
		}
	}
	return n
}

// drawAway rings the changed boxes on screen (not in the past: the time
// machine shows its own moment).
func (g *Game) drawAway(dst *ebiten.Image) {
	if g.tm.past() || len(g.away.boxes) == 0 {
		return
	}
	scale := g.cam.Scale()
	size := math.Max(scale, 4*g.scr.dpr)
	w := math.Max(1, math.Min(3, scale/8)) * g.scr.dpr
	g.awayInView(maxAwayMarks, func(i uint32) {
		sx, sy := g.cam.ToScreen(float64(i%protocol.GridWidth), float64(i/protocol.GridWidth))
		sx -= (size - scale) / 2
		sy -= (size - scale) / 2
		vector.StrokeRect(dst, float32(sx-w/2), float32(sy-w/2), float32(size+w), float32(size+w), float32(w), awayMark, false)
	})
}

// setAwayLabel gives the HUD's away panel its text: how many boxes
// changed, here and in all, and how to replay them.
func (g *Game) setAwayLabel() bool {
	a := &g.away
	h := &g.frame.hud
	stack := h.stackWidth(g.scr.w, g.scr.dpr)
	if !a.known || len(a.boxes) == 0 || g.tm.past() {
		return h.away.set(g.fonts, g.scr.dpr, stack, awayBG)
	}
	first := fmt.Sprintf(wording.AwayFmt, thousands(g.awayInView(0, nil)), thousands(len(a.boxes)))
	how := wording.AwayReplay
	if g.ptr.touchMode {
		how = wording.AwayReplayTouch
	}
	return h.away.set(g.fonts, g.scr.dpr, stack, awayBG, line{first, styleAw}, line{how, styleAw2})
}

// awayStatus is "while you were away" for the page.
func (g *Game) awayStatus() host.AwayStatus {
	a := &g.away
	s := host.AwayStatus{Since: a.since, Seen: a.seen, Changed: -1}
	if a.known {
		s.Changed, s.InView = len(a.boxes), g.awayInView(0, nil)
	}
	return s
}

// replayAway plays the time away: the past from the moment last seen, at
// the slowest speed that shows it within replayFor.
func (g *Game) replayAway(now time.Duration) {
	a := &g.away
	if !a.known || len(a.boxes) == 0 || g.tm.src == nil {
		return
	}
	from := a.at
	if from.IsZero() { // seen at seq 0 (the empty grid): from the first record
		from = time.Unix(0, 1)
	}
	g.openPast(from, now)
	sp := len(timeline.Speeds) - 1
	for i, s := range timeline.Speeds {
		if time.Since(from) <= time.Duration(float64(replayFor)*s.Factor) {
			sp = i
			break
		}
	}
	g.tm.speed = sp
	g.togglePlay(now)
}
