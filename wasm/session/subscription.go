package session

import (
	"math"
	"time"

	"checkgrid/protocol"
)

// Version 2: the session subscribes to the area on screen plus a margin
// that follows the view's motion (Subscription), refuses to set boxes it
// does not know, and reads the presence map its follower keeps.

// URL returns the /ws URL server (ws://host/ws) asking for this client's
// protocol version (PROTOCOL.md, negotiation).
func URL(server string) string { return protocol.Query{Version: protocol.Version}.URL(server) }

// Subscription tuning: the margin follows motion. A still view subscribes
// to itself plus StillMargin; a panning one also gets a lead on its leading
// side(s), sized to how far it moves before a new area can arrive.
const (
	// StillMargin is the margin on every side of a still view, in boxes.
	// The visible area is already rounded outwards to whole boxes, so the
	// margin is not for rounding: it keeps a nudge (the keyboard cursor
	// pushing the view one box, a few pixels of drag, a pinch's ±1 box)
	// from showing unknown boxes, and covers the first ~0.15 s of a pan at
	// up to ~20 boxes a second, before the lead arrives. (Any motion reads
	// as the start of a pan, so a nudge in the game still asks a small
	// lead and, a second later, the still area again: two small
	// AreaSnapshots, a few hundred bytes each.) Each box of margin
	// costs frames: at 2,000 toggles/s and a 10 Hz tick a 64×40 view sees
	// a change in 1−e^(−boxes/5,000) of the ticks, so 3 boxes (a 70×46
	// area) gives ~4.75 tick frames a second, 4 boxes ~5.0 (the goal is
	// ≤ 5) and the old quarter-view margin (96×60) 6.8.
	StillMargin = 3
	// leadTime is how far ahead a pan is covered: the lead on a leading
	// side is the pan speed times leadTime. An area asked for reaches the
	// screen after D: a one-way trip, the server's wait for a tick (it
	// applies area changes on ticks, at most one per viewport interval, so
	// up to two 100 ms ticks), the way back and a frame: ~0.3 s at worst
	// on a 100 ms round trip. A new area is asked for when less than half
	// of the lead is left (want) but at most once per viewport interval I
	// (200 ms), so it covers the pan if max(I, L/2) + D ≤ L: with
	// L = 0.6 s, up to D = 0.3 s (TestPanReasksBeforeTheEdge).
	leadTime = 600 * time.Millisecond
	// velocityTau smooths the pan speed (an exponential average): long
	// enough that a drag's uneven frames and whole-box steps read as one
	// speed, short enough that the lead has grown to ~2/3 of a new pan's
	// speed within 0.1 s. A single step of d boxes reads as a short burst
	// at d/τ and asks a lead of ~6d, which the settle rule then takes back.
	velocityTau = 100 * time.Millisecond
	// settleTime: a view that has not changed for this long is still, and
	// its subscription shrinks back to the still area (one Viewport; the
	// server answers with an AreaSnapshot of it). Longer than the pauses
	// inside one movement (re-gripping a drag, the gap between two
	// trackpad swipes, ~0.3–0.5 s), so a pan is not shrunk and regrown
	// mid-way; short enough that a stopped pan's lead (up to a screen)
	// costs its changes for a second at most.
	settleTime = time.Second
	// shrinkFactor: after zooming in, the subscription is narrowed at once
	// (not only once the view settles) when it holds this many times the
	// boxes the still area needs.
	shrinkFactor = 4
)

// subscription is the area the session subscribes to around the view
// (the camera's visible area) and the view's motion it follows.
type subscription struct {
	visible protocol.Area // what the screen shows, clamped to the grid
	asked   protocol.Area // the area last asked for (zero: none yet)
	sentAt  time.Duration
	sent    bool // a Viewport went out on this connection
	// The view's motion: movedAt is when visible last changed; vx, vy its
	// smoothed pan speed in boxes a second (zero after a jump), measured
	// from ref, the view at refAt.
	movedAt time.Duration
	vx, vy  float64
	ref     protocol.Area
	refAt   time.Duration
}

// SetView tells the session which boxes the screen shows at now (clamped
// to the grid); the game calls it every update, moved or not, so the
// session can tell a pan from a still view. On a version-2 connection the
// session keeps the subscribed area (Subscription) around them: see
// viewport for when it asks for a new one.
func (s *Session) SetView(visible protocol.Area, now time.Duration) {
	if visible.Valid() != nil {
		return
	}
	s.sub.follow(visible, now)
}

// follow records the view at now and updates its pan speed. A jump (a
// minimap click, a deep link, a zoom or resize: the size changes by more
// than rounding, or the new view does not overlap the last) is not a pan:
// where the view goes next has nothing to do with where it was, so the
// speed is forgotten and the still margin applies. A zoom in needs no new
// boxes at all; a zoom out shows a strip of unknown boxes at the edges
// until its area arrives, as the old quarter-view margin also did beyond a
// notch or two.
func (u *subscription) follow(vis protocol.Area, now time.Duration) {
	if vis != u.visible {
		u.movedAt = now
	}
	u.visible = vis
	prev, dt := u.ref, now-u.refAt
	switch {
	case prev.W == 0 || jump(prev, vis):
		u.vx, u.vy = 0, 0
	case dt <= 0:
		return // measured from ref at the next call
	default:
		k := 1 - math.Exp(-dt.Seconds()/velocityTau.Seconds())
		u.vx += k * ((centre(vis.X, vis.W)-centre(prev.X, prev.W))/dt.Seconds() - u.vx)
		u.vy += k * ((centre(vis.Y, vis.H)-centre(prev.Y, prev.H))/dt.Seconds() - u.vy)
	}
	u.ref, u.refAt = vis, now
}

// jump reports whether going from a to b is not a pan (see follow).
func jump(a, b protocol.Area) bool {
	d := func(p, q uint16) int { return abs(int(p) - int(q)) }
	return d(a.W, b.W) > 1 || d(a.H, b.H) > 1 ||
		math.Abs(centre(a.X, a.W)-centre(b.X, b.W)) >= float64(a.W) ||
		math.Abs(centre(a.Y, a.H)-centre(b.Y, b.H)) >= float64(a.H)
}

func centre(x, w uint16) float64 { return float64(x) + float64(w)/2 }

func abs(n int) int { return max(n, -n) }

// Subscription is the area a client subscribes to when the screen shows
// visible (within the grid) and the view pans at (vx, vy) boxes a second
// (0, 0 for a still view): visible grown by StillMargin on every side and,
// on each leading side, by a lead of the speed times leadTime (at most the
// view's own width or height: a pan faster than ~1.7 screens a second
// shows unknown boxes briefly rather than subscribing to ever more),
// clamped to the grid. The client and the load generator's viewers both
// ask for exactly this.
func Subscription(visible protocol.Area, vx, vy float64) protocol.Area {
	l, r, t, b := leads(visible, vx, vy)
	x0 := max(int(visible.X)-StillMargin-l, 0)
	y0 := max(int(visible.Y)-StillMargin-t, 0)
	x1 := min(int(visible.X)+int(visible.W)+StillMargin+r, protocol.GridWidth)
	y1 := min(int(visible.Y)+int(visible.H)+StillMargin+b, protocol.GridHeight)
	return protocol.Area{X: uint16(x0), Y: uint16(y0), W: uint16(x1 - x0), H: uint16(y1 - y0)}
}

// leads are the boxes of lead on the left, right, top and bottom of
// visible at speed (vx, vy), beyond the still margin.
func leads(visible protocol.Area, vx, vy float64) (l, r, t, b int) {
	lead := func(v float64, size uint16) (neg, pos int) {
		n := min(int(math.Round(math.Abs(v)*leadTime.Seconds())), int(size))
		if v < 0 {
			return n, 0
		}
		return 0, n
	}
	l, r = lead(vx, visible.W)
	t, b = lead(vy, visible.H)
	return l, r, t, b
}

// want returns the area to subscribe to at now and whether to ask for it
// now (throttling aside). A new area is asked for when none was yet, when
// the view has left the one asked for, when the view is still (settleTime)
// and the area is larger than it needs, when a zoom in left it
// shrinkFactor times too large, and, while panning, as soon as less than
// half of the lead is left on a leading side, so the next area arrives
// before the view reaches the edge of the last one.
func (u *subscription) want(now time.Duration) (protocol.Area, bool) {
	vis, a := u.visible, u.asked
	vx, vy := u.vx, u.vy
	settled := now-u.movedAt >= settleTime
	if settled {
		vx, vy = 0, 0
	}
	want := Subscription(vis, vx, vy)
	still := want
	if !settled {
		still = Subscription(vis, 0, 0)
	}
	inside := a.W != 0 && vis.X >= a.X && vis.Y >= a.Y &&
		vis.X+vis.W <= a.X+a.W && vis.Y+vis.H <= a.Y+a.H
	switch {
	case want == a:
		return want, false
	case !inside:
		return want, true
	case settled:
		return want, a.Boxes() > want.Boxes()
	case a.Boxes() > shrinkFactor*still.Boxes():
		return want, true
	}
	l, r, t, b := leads(vis, vx, vy)
	short := func(lead, left int, further bool) bool { return lead > 0 && further && left < StillMargin+lead/2 }
	return want, short(l, int(vis.X)-int(a.X), want.X < a.X) ||
		short(r, int(a.X)+int(a.W)-int(vis.X)-int(vis.W), want.X+want.W > a.X+a.W) ||
		short(t, int(vis.Y)-int(a.Y), want.Y < a.Y) ||
		short(b, int(a.Y)+int(a.H)-int(vis.Y)-int(vis.H), want.Y+want.H > a.Y+a.H)
}

// viewport appends a Viewport frame to dst if a new area is wanted (want)
// and the Welcome's viewport interval since the last one has passed.
func (s *Session) viewport(dst [][]byte, now time.Duration) [][]byte {
	w, welcomed := s.welcome()
	if !welcomed || w.Version < protocol.Version2 || s.sub.visible.W == 0 {
		return dst
	}
	interval := time.Duration(w.ViewportInterval) * time.Millisecond
	if s.sub.sent && now-s.sub.sentAt < interval {
		return dst
	}
	a, ok := s.sub.want(now)
	if !ok {
		return dst
	}
	s.sub.asked, s.sub.sentAt, s.sub.sent = a, now, true
	return append(dst, protocol.AppendViewport(nil, protocol.Viewport{Area: a}))
}

// newConnection forgets what was asked on the last connection: a new one
// starts on the whole grid and asks again.
func (s *Session) newConnection() {
	s.sub.asked, s.sub.sent = protocol.Area{}, false
}

// Presence returns the last presence map (cell side and counts per cell,
// row-major: 0 none, protocol.PresenceSome, or a count ≥ 3), or ok false
// before one arrived. The slice is the session's; do not modify it.
func (s *Session) Presence() (cell int, counts []uint32, ok bool) {
	p, ok := s.follow.Presence()
	return p.Cell, p.Counts, ok
}

// Near returns how many other players look near this one: the viewers of
// the 3×3 presence cells around the view's centre, less this player, and
// whether there may be more ("some" cells hold 1 or 2 viewers). This
// player counts in the cell of its subscribed area's centre (PROTOCOL.md,
// Presence); if that cell says "some", the others there are 0 or 1, which
// the map cannot tell apart, so they count as "maybe" only while someone
// else is online (Stats); and never more than the others online.
func (s *Session) Near() (n int, more bool) {
	p, ok := s.follow.Presence()
	v := s.sub.visible
	if !ok || v.W == 0 {
		return 0, false
	}
	cols := protocol.GridWidth / p.Cell
	own := -1
	if a := s.board.Area(); a.W != 0 && !a.Whole() {
		own = protocol.CellOf(p.Cell, int(a.X)+int(a.W)/2, int(a.Y)+int(a.H)/2)
	}
	others := int(s.follow.Stats().Online) - 1 // -1 before the first Stats: no cap
	maybe := false
	cx, cy := (int(v.X)+int(v.W)/2)/p.Cell, (int(v.Y)+int(v.H)/2)/p.Cell
	for y := max(cy-1, 0); y <= min(cy+1, cols-1); y++ {
		for x := max(cx-1, 0); x <= min(cx+1, cols-1); x++ {
			c := p.Counts[y*cols+x]
			switch {
			case c == 0:
			case y*cols+x == own && c == protocol.PresenceSome:
				maybe = true
			case y*cols+x == own:
				n += int(c) - 1
			case c == protocol.PresenceSome:
				n++
				more = true
			default:
				n += int(c)
			}
		}
	}
	if maybe && others != 0 {
		more = true
	}
	if others >= 0 && n > others {
		n, more = others, false
	}
	return n, more
}

// PresenceGen counts the presence maps received, so a renderer knows when
// to redraw.
func (s *Session) PresenceGen() int { return s.follow.Frames(protocol.TypePresence) }

// Known reports whether box i is exact on the board: only those may be set.
func (s *Session) Known(i uint32) bool { return s.board.Known(i) }
