package game

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"checkgrid/protocol"
	"checkgrid/wasm/fetch"
	"checkgrid/wasm/gesture"
	"checkgrid/wasm/host"
	"checkgrid/wasm/operator"
	"checkgrid/wasm/wording"
)

// The operator console (issue 23): the game opened on the admin listener
// with the operator token (SetOperator). Its figures panel sits at the top
// right under the page's operator panel (the buttons); the moderation tool
// is on the grid itself: Select, then a drag selects a rectangle (outlined
// in yellow); Preview shows the rectangle now and at the moment typed (or
// the time machine's) side by side under the figures, with the count of
// boxes a rollback would change (now is the grid the page shows, then
// the history API's Snapshot at that seq); Roll back, Clear, Fill, Freeze and
// Unfreeze act on it. Every request runs on a goroutine of its own and
// hands its answer to Update through results; one action at a time. The
// token is checked by the first figures request: a refused one shows no
// tool at all.

// Console tuning.
const (
	// opPollEvery is how often the figures are read: live enough to
	// watch a raid, two of the admin API's 10 requests a second at most.
	opPollEvery = 2 * time.Second
	// opTimeout bounds one request (an action waits for its Delta).
	opTimeout = 15 * time.Second
	// opTopN is the lines of each top list shown: the panel stays short.
	opTopN = 2
	// opKeyLen cuts a player's key (a long signed identity) to what tells
	// two apart on screen.
	opKeyLen = 14
	// opPreviewCSS is the longer side of each preview image, CSS pixels.
	opPreviewCSS = 150
	// opLineCSS is the selection's outline width, CSS pixels.
	opLineCSS = 2
)

var (
	opBG         = color.RGBA{0x17, 0x2b, 0x22, 0xf0} // dark green: the operator's, unlike any player's panel
	opSelect     = color.RGBA{0xfb, 0xbc, 0x04, 0xff}
	boxOn        = color.RGBA{0x1f, 0x6f, 0xeb, 0xff} // a checked box, as the grid draws it
	boxOff       = color.RGBA{0xf4, 0xf4, 0xf4, 0xff}
	styleOpTitle = textStyle{size: 15, bold: true, fg: color.RGBA{0xce, 0xea, 0xd6, 0xff}}
)

// opKind says what a console request delivered.
type opKind uint8

const (
	opFigures opKind = iota // the figures and top lists
	opPreview               // a rollback preview with its two images
	opAction                // an action's outcome
)

func (k opKind) String() string {
	switch k {
	case opFigures:
		return "figures"
	case opPreview:
		return "preview"
	case opAction:
		return "action"
	}
	return fmt.Sprintf("opKind(%d)", uint8(k))
}

type opResult struct {
	kind    opKind
	stats   operator.Stats
	top     operator.Top
	topErr  error
	at      time.Duration
	preview operator.Preview
	area    protocol.Area
	then    *protocol.Bitset // the grid at the preview's seq
	said    string
	seq     uint64 // an action's: the seq by which every player has it
	err     error
}

// console is the operator console's state; cl is nil for a player.
type console struct {
	cl      *operator.Client
	results chan opResult
	checked bool // the token was accepted
	refused bool // the token was refused
	polling bool
	pollAt  time.Duration

	prev, cur     operator.Stats
	prevAt, curAt time.Duration
	readings      int
	top           operator.Top

	selecting, dragging bool
	from                uint32
	area                protocol.Area
	hasArea             bool

	preview   *operator.Preview
	now, then *ebiten.Image
	busy      bool
	done      int
	said      string
	seq       uint64 // the last action's seq
	gen       int    // bumped when the preview images change
}

// consoleKey is what a retained frame depends on of the console.
type consoleKey struct {
	area      protocol.Area
	has       bool
	selecting bool
	gen       int
}

// SetOperator makes the game the operator's console, calling the admin API
// at base (the page's own origin) with token.
func (g *Game) SetOperator(base, token string) {
	g.op.cl = &operator.Client{Base: base, Token: token, HTTP: fetch.New(opTimeout)}
	g.op.results = make(chan opResult, 4)
}

func (c *console) on() bool { return c.cl != nil && c.checked && !c.refused }

// updateConsole takes the answers in and asks for the figures when due.
func (g *Game) updateConsole(now time.Duration) {
	c := &g.op
	if c.cl == nil {
		return
	}
	for range 4 {
		select {
		case r := <-c.results:
			g.consoleResult(r)
			continue
		default:
		}
		break
	}
	if c.refused || c.polling || now < c.pollAt {
		return
	}
	c.polling, c.pollAt = true, now+opPollEvery
	go func(cl *operator.Client, results chan<- opResult) {
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		r := opResult{kind: opFigures, at: now}
		r.stats, r.err = cl.Stats(ctx)
		if r.err == nil {
			r.top, r.topErr = cl.Top(ctx, opTopN) // 501 in cluster mode: no lists
		}
		results <- r
	}(c.cl, c.results)
}

func (g *Game) consoleResult(r opResult) {
	c := &g.op
	switch r.kind {
	case opFigures:
		c.polling = false
		switch {
		case errors.Is(r.err, operator.ErrToken), errors.Is(r.err, operator.ErrNoConsole):
			c.refused = true
			return
		case r.err != nil:
			return // the next reading may work; the panel keeps the last
		}
		c.checked = true
		c.prev, c.prevAt = c.cur, c.curAt
		c.cur, c.curAt = r.stats, r.at
		c.readings++
		if r.topErr == nil {
			c.top = r.top
		}
		return
	}
	c.busy = false
	c.done++
	if r.err != nil {
		c.said = fmt.Sprintf(wording.OpFailedFmt, r.err)
		return
	}
	c.said = r.said
	if r.kind == opAction {
		c.seq = r.seq
		c.setPreview(nil, nil, nil)
		return
	}
	c.setPreview(&r.preview, areaImage(r.area, g.board.Displayed), areaImage(r.area, r.then.Get))
}

// setPreview replaces the preview and its images.
func (c *console) setPreview(p *operator.Preview, now, then *image.RGBA) {
	for _, img := range []*ebiten.Image{c.now, c.then} {
		if img != nil {
			img.Deallocate()
		}
	}
	c.preview, c.now, c.then = p, nil, nil
	if now != nil && then != nil {
		c.now, c.then = ebiten.NewImageFromImage(now), ebiten.NewImageFromImage(then)
	}
	c.gen++
}

// areaImage is area a of a grid, one pixel a box in the grid's colours
// (/api/grid.png's palette).
func areaImage(a protocol.Area, checked func(i uint32) bool) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, int(a.W), int(a.H)))
	for y := range int(a.H) {
		for x := range int(a.W) {
			c := boxOff
			if checked(uint32((int(a.Y)+y)*protocol.GridWidth + int(a.X) + x)) {
				c = boxOn
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// consoleCommand carries out a press of the operator panel's buttons.
func (g *Game) consoleCommand(cmd host.Command) {
	c := &g.op
	if !c.on() {
		return
	}
	if cmd.Text == "select" {
		c.selecting, c.dragging = !c.selecting, false
		if c.selecting {
			c.said = wording.OpSelecting
		}
		return
	}
	if c.busy {
		return
	}
	if !c.hasArea {
		c.said = wording.OpNoArea
		return
	}
	seq := uint64(cmd.Value)
	if seq == 0 && g.tm.past() && g.tm.shown {
		seq = g.tm.seq // the moment the time machine shows
	}
	a, cl := c.area, c.cl
	var run func(ctx context.Context) opResult
	switch cmd.Text {
	case "preview", "rollback":
		if seq == 0 {
			c.said = wording.OpNoMoment
			return
		}
		if cmd.Text == "preview" {
			run = func(ctx context.Context) opResult { return preview(ctx, cl, a, seq) }
			break
		}
		run = func(ctx context.Context) opResult {
			res, err := cl.Rollback(ctx, a, seq)
			return opResult{kind: opAction, err: err, seq: res.Seq, said: fmt.Sprintf(wording.OpRolledFmt, thousands(res.Boxes), res.To, res.Seq)}
		}
	case "clear", "fill":
		value := cmd.Text == "fill"
		run = func(ctx context.Context) opResult {
			res, err := cl.Fill(ctx, a, value)
			format := wording.OpClearedFmt
			if value {
				format = wording.OpFilledFmt
			}
			return opResult{kind: opAction, err: err, seq: res.Seq, said: fmt.Sprintf(format, thousands(res.Boxes), res.Seq)}
		}
	case "freeze":
		run = func(ctx context.Context) opResult {
			f, err := cl.Freeze(ctx, a, wording.OpFreezeReason)
			return opResult{kind: opAction, err: err, said: fmt.Sprintf(wording.OpFrozenFmt, f.ID)}
		}
	case "unfreeze":
		run = func(ctx context.Context) opResult {
			n, err := cl.Unfreeze(ctx, a)
			return opResult{kind: opAction, err: err, said: fmt.Sprintf(wording.OpUnfrozenFmt, n)}
		}
	default:
		return
	}
	c.busy = true
	go func(results chan<- opResult) {
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		results <- run(ctx)
	}(c.results)
}

// preview asks for the count and the two images of a rollback of a to seq.
func preview(ctx context.Context, cl *operator.Client, a protocol.Area, seq uint64) opResult {
	r := opResult{kind: opPreview, area: a}
	if r.preview, r.err = cl.Preview(ctx, a, seq); r.err != nil {
		return r
	}
	if r.then, r.err = cl.GridAt(ctx, seq); r.err != nil {
		return r
	}
	r.said = fmt.Sprintf(wording.OpPreviewFmt, r.preview.To, thousands(r.preview.Boxes))
	return r
}

// selectArea turns the pointer into the selected rectangle while Select is
// on: the press's box to the current one, clamped to the grid; the release
// ends the selection.
func (g *Game) selectArea(ps []gesture.Pointer) {
	c := &g.op
	if len(ps) == 0 {
		if c.dragging {
			c.dragging, c.selecting = false, false
			c.said = fmt.Sprintf(wording.OpAreaFmt, c.area.W, c.area.H, c.area.X, c.area.Y)
		}
		return
	}
	wx, wy := g.cam.ToWorld(ps[0].X, ps[0].Y)
	x := min(max(int(math.Floor(wx)), 0), protocol.GridWidth-1)
	y := min(max(int(math.Floor(wy)), 0), protocol.GridHeight-1)
	i := uint32(y*protocol.GridWidth + x)
	if !c.dragging {
		c.dragging, c.from = true, i
		c.setPreview(nil, nil, nil)
	}
	fx, fy := int(c.from%protocol.GridWidth), int(c.from/protocol.GridWidth)
	c.area = protocol.Area{X: uint16(min(fx, x)), Y: uint16(min(fy, y)), W: uint16(abs(x-fx) + 1), H: uint16(abs(y-fy) + 1)}
	c.hasArea = true
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// setConsoleLabel gives the figures panel this frame's text and reports
// whether it changed.
func (g *Game) setConsoleLabel() bool {
	c := &g.op
	f, dpr := g.fonts, g.scr.dpr
	width := math.Min(float64(g.scr.w)/2, 420*dpr)
	switch {
	case c.cl == nil:
		return false
	case c.refused:
		return g.frame.hud.op.set(f, dpr, width, messageBG, line{wording.OpRefused, styleWhy})
	case !c.checked:
		return g.frame.hud.op.set(f, dpr, width, opBG, line{wording.OpTitle, styleOpTitle}, line{wording.OpChecking, styleSmall})
	}
	s := c.cur
	lines := []line{
		{wording.OpTitle, styleOpTitle},
		{fmt.Sprintf(wording.OpFiguresFmt, thousands(int(s.Players)), thousands(int(s.Connections)), thousands(int(s.Bots))), styleCounter},
	}
	if c.readings > 1 {
		r := operator.RatesBetween(c.prev, c.cur, c.curAt-c.prevAt)
		rates := fmt.Sprintf(wording.OpRatesNone, r.TogglesPerSec)
		if r.FanoutOK {
			rates = fmt.Sprintf(wording.OpRatesFmt, r.TogglesPerSec, r.FanoutP99)
		}
		lines = append(lines, line{rates, styleSmall})
	}
	lines = append(lines, line{fmt.Sprintf(wording.OpDiskFmt, bytes(uint64(s.DataBytes)), bytes(s.DiskFree), bytes(s.DiskSize)), styleSmall})
	top := func(head string, players, addrs []operator.Entry) {
		if len(players)+len(addrs) == 0 {
			return
		}
		lines = append(lines, line{head, styleSmall})
		for _, l := range []struct {
			kind string
			es   []operator.Entry
		}{{"player", players}, {"address", addrs}} {
			for _, e := range l.es {
				key := e.Key
				if len(key) > opKeyLen {
					key = key[:opKeyLen] + "…"
				}
				lines = append(lines, line{fmt.Sprintf(wording.OpTopLineFmt, l.kind, key, e.Toggled, e.Refused), styleSmall})
			}
		}
	}
	top(wording.OpTopToggled, c.top.PlayersByToggled, c.top.AddressesByToggled)
	top(wording.OpTopRefused, c.top.PlayersByRefused, c.top.AddressesByRefused)
	if c.busy {
		lines = append(lines, line{wording.OpBusy, styleWarn})
	} else if c.said != "" {
		lines = append(lines, line{c.said, styleWarn})
	}
	return g.frame.hud.op.set(f, dpr, width, opBG, lines...)
}

// bytes is n in the largest unit that keeps it at least 1.
func bytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, u := float64(n), 0
	for v >= unit && u < 4 {
		v /= unit
		u++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGT"[u-1])
}

// consoleKey is the console's part of the frame key.
func (g *Game) consoleKey() consoleKey {
	c := &g.op
	return consoleKey{area: c.area, has: c.hasArea, selecting: c.selecting, gen: c.gen}
}

// drawSelection outlines the selected rectangle on the grid.
func (g *Game) drawSelection(screen *ebiten.Image) {
	c := &g.op
	if !c.on() || !c.hasArea {
		return
	}
	a := c.area
	x0, y0 := g.cam.ToScreen(float64(a.X), float64(a.Y))
	x1, y1 := g.cam.ToScreen(float64(a.X)+float64(a.W), float64(a.Y)+float64(a.H))
	vector.StrokeRect(screen, float32(x0), float32(y0), float32(x1-x0), float32(y1-y0), float32(opLineCSS*g.scr.dpr), opSelect, false)
}

// drawPreview draws the preview's two images (now, then) under the
// figures panel, over the rest of the HUD (the minimap's corner).
func (g *Game) drawPreview(screen *ebiten.Image) {
	c := &g.op
	if !c.on() || c.now == nil || c.then == nil {
		return
	}
	b := c.now.Bounds()
	k := opPreviewCSS * g.scr.dpr / float64(max(b.Dx(), b.Dy()))
	iw, ih := float64(b.Dx())*k, float64(b.Dy())*k
	gap := stackGap * g.scr.dpr
	x := float64(g.scr.w) - margin*g.scr.dpr - 2*iw - gap
	y := margin*g.scr.dpr + g.frame.hud.opTop*g.scr.dpr + float64(g.frame.hud.op.h) + gap
	vector.FillRect(screen, float32(x-gap), float32(y-gap), float32(2*iw+3*gap), float32(ih+2*gap), opBG, false)
	for i, img := range []*ebiten.Image{c.now, c.then} {
		var op ebiten.DrawImageOptions
		op.GeoM.Scale(k, k)
		op.GeoM.Translate(math.Round(x+float64(i)*(iw+gap)), math.Round(y))
		screen.DrawImage(img, &op) // nearest: a box stays a crisp square
	}
}

// consoleStatus is what the page is told of the console.
func (g *Game) consoleStatus() host.OperatorStatus {
	c := &g.op
	if c.cl == nil {
		return host.OperatorStatus{Preview: -1}
	}
	s := host.OperatorStatus{On: c.on(), Refused: c.refused, Selecting: c.selecting, Preview: -1, Busy: c.busy, Done: c.done, Said: c.said, Seq: c.seq}
	if c.hasArea {
		s.Area = operator.FormatArea(c.area)
	}
	if c.preview != nil {
		s.Preview, s.To = c.preview.Boxes, c.preview.To
	}
	return s
}
