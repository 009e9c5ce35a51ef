package session

import (
	"math"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/wasm/link"
)

func welcomeV2(interval uint16) []byte {
	return protocol.AppendWelcome(nil, protocol.Welcome{
		Version: protocol.Version2, Width: protocol.GridWidth, Height: protocol.GridHeight,
		Epoch: 7, MaxSetBoxes: 256, SetRate: 20, SetBurst: 300, MaxMessage: protocol.MaxClientMessage,
		ViewportInterval: interval,
	})
}

func areaSnapshot(t *testing.T, seq uint64, a protocol.Area, checked ...uint32) []byte {
	t.Helper()
	var g protocol.Bitset
	for _, i := range checked {
		g.Put(i, true)
	}
	f, _, err := protocol.AppendAreaSnapshot(nil, 7, seq, a, &g, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func viewports(t *testing.T, frames [][]byte) []protocol.Area {
	t.Helper()
	var out []protocol.Area
	for _, f := range frames {
		if typ, _ := protocol.PeekType(f); typ == protocol.TypeViewport {
			v, err := protocol.DecodeViewport(f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v.Area)
		}
	}
	return out
}

// A version-2 session subscribes to the view plus the still margin,
// throttled, asks again when the view leaves the area, refuses to set
// boxes outside it, resyncs on a gap, and reads presence.
func TestSessionFollowsItsArea(t *testing.T) {
	p := newPipe()
	s := New(1, p)
	s.SetView(protocol.Area{X: 100, Y: 100, W: 64, H: 40}, 0) // before the connection: remembered
	s.setLink(link.Connected, nil)
	handle(t, s, welcomeV2(200))
	handle(t, s, protocol.AppendSnapshot(nil, 7, 10, new(protocol.Bitset)))
	got := viewports(t, s.viewport(nil, 0))
	want := protocol.Area{X: 97, Y: 97, W: 70, H: 46}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("viewports %v, want [%v]", got, want)
	}
	// A nudge within the margin, long ago: nothing to ask.
	s.SetView(protocol.Area{X: 102, Y: 99, W: 64, H: 40}, 10*time.Second)
	if got := viewports(t, s.viewport(nil, 12*time.Second)); len(got) != 0 {
		t.Fatalf("a nudge inside the margin asked %v", got)
	}
	// Jumps out of it: asked, but not twice within the interval.
	s.SetView(protocol.Area{X: 500, Y: 500, W: 64, H: 40}, 12*time.Second)
	if got := viewports(t, s.viewport(nil, 12*time.Second)); len(got) != 1 || got[0] != (protocol.Area{X: 497, Y: 497, W: 70, H: 46}) {
		t.Fatalf("after a jump %v", got)
	}
	s.SetView(protocol.Area{X: 300, Y: 100, W: 64, H: 40}, 12*time.Second+50*time.Millisecond)
	if got := viewports(t, s.viewport(nil, 12*time.Second+150*time.Millisecond)); len(got) != 0 {
		t.Fatalf("asked within the interval: %v", got)
	}
	if got := viewports(t, s.viewport(nil, 12*time.Second+200*time.Millisecond)); len(got) != 1 || got[0] != (protocol.Area{X: 297, Y: 97, W: 70, H: 46}) {
		t.Fatalf("after the interval %v", got)
	}
	a := protocol.Area{X: 297, Y: 97, W: 70, H: 46}
	inside, outside := uint32(100*protocol.GridWidth+300), uint32(5)
	handle(t, s, areaSnapshot(t, 12, a, inside))
	if !s.Known(inside) || s.Known(outside) || !s.Board().Displayed(inside) {
		t.Fatal("the area snapshot did not take")
	}
	if r := s.Toggle(outside, 0); r != Unknown {
		t.Fatalf("toggle outside the area: %v", r)
	}
	if r := s.Toggle(inside, 0); r != Accepted {
		t.Fatalf("toggle inside the area: %v", r)
	}
	d, _ := protocol.AppendAreaDelta(nil, 14, 12, []uint32{inside + 1})
	handle(t, s, d)
	d, _ = protocol.AppendAreaDelta(nil, 16, 15, []uint32{inside + 2}) // prev 15: 14 → 16 lost a frame
	handle(t, s, d)
	if s.Board().Synced() || s.Status().Gaps != 1 || s.Board().Displayed(inside+2) {
		t.Fatal("a gap was applied or not noticed")
	}
	out := s.outbox(nil)
	if len(out) == 0 {
		t.Fatal("no ResyncRequest after a gap")
	}
	if typ, _ := protocol.PeekType(out[0]); typ != protocol.TypeResyncRequest {
		t.Fatalf("first frame after a gap is %v", typ)
	}
	// Presence: this player and two others in its cell, three more beside.
	viewers := make([]uint32, 25*25)
	me := protocol.CellOf(40, 300+32, 100+20)
	viewers[me], viewers[me+1] = 3, 3
	viewers[0] = 1 // far away
	pf, _ := protocol.AppendPresence(nil, 40, viewers)
	handle(t, s, areaSnapshot(t, 16, a))
	handle(t, s, pf)
	if n, more := s.Near(); n != 5 || more {
		t.Fatalf("near %d (more %v), want 5 others", n, more)
	}
	// A new connection starts over on the whole grid and asks again.
	s.setLink(link.Connected, nil)
	handle(t, s, welcomeV2(200))
	if got := viewports(t, s.viewport(nil, 10*time.Second)); len(got) != 1 {
		t.Fatalf("after reconnecting: %v", got)
	}
}

// A version-1 server gets no Viewport and every box stays settable.
func TestSessionOnVersion1SendsNoViewport(t *testing.T) {
	s := started(t, "x...", 256, 20, 60)
	s.SetView(protocol.Area{X: 0, Y: 0, W: 10, H: 10}, 0)
	if got := viewports(t, s.viewport(nil, time.Hour)); len(got) != 0 {
		t.Fatalf("viewports to a version-1 server: %v", got)
	}
	if r := s.Toggle(999999, 0); r != Accepted {
		t.Fatalf("toggle on version 1: %v", r)
	}
}

func TestURLAsksForTheVersion(t *testing.T) {
	if got := URL("ws://h/ws"); got != "ws://h/ws?v=3" {
		t.Fatal(got)
	}
	if got := URL("ws://h/ws?x=1"); got != "ws://h/ws?x=1&v=3" {
		t.Fatal(got)
	}
}

// frame is the game's update period: SetView and viewport run once each.
const frame = time.Second / 60

// player drives a version-2 session as the game does: a camera at a
// fractional position, its visible boxes rounded outwards (game.setView),
// one SetView and one viewport per frame. asks records every Viewport.
type player struct {
	t          *testing.T
	s          *Session
	now        time.Duration
	x, y, w, h float64 // the camera's top-left corner and size, in boxes
	asks       []ask
}

type ask struct {
	at            time.Duration
	area, visible protocol.Area // asked for, and on screen when it was
}

// newPlayer is a synced version-2 session (viewport interval 200 ms)
// whose camera shows w×h boxes from (x, y), at rest since long ago: its
// first area has been asked for.
func newPlayer(t *testing.T, x, y, w, h float64) *player {
	t.Helper()
	s := New(1, newPipe())
	s.setLink(link.Connected, nil)
	handle(t, s, welcomeV2(200))
	handle(t, s, protocol.AppendSnapshot(nil, 7, 10, new(protocol.Bitset)))
	p := &player{t: t, s: s, x: x, y: y, w: w, h: h}
	p.frame()
	p.still(2 * time.Second)
	return p
}

func (p *player) visible() protocol.Area {
	x0, y0 := max(math.Floor(p.x), 0), max(math.Floor(p.y), 0)
	x1, y1 := min(math.Ceil(p.x+p.w), protocol.GridWidth), min(math.Ceil(p.y+p.h), protocol.GridHeight)
	return protocol.Area{X: uint16(x0), Y: uint16(y0), W: uint16(x1 - x0), H: uint16(y1 - y0)}
}

func (p *player) frame() {
	v := p.visible()
	p.s.SetView(v, p.now)
	for _, a := range viewports(p.t, p.s.viewport(nil, p.now)) {
		p.asks = append(p.asks, ask{at: p.now, area: a, visible: v})
	}
}

// pan moves the camera at (vx, vy) boxes a second for d, a frame at a
// time, calling each (if not nil) after every frame.
func (p *player) pan(vx, vy float64, d time.Duration, each func()) {
	for end := p.now + d; p.now < end; {
		p.now += frame
		p.x += vx * frame.Seconds()
		p.y += vy * frame.Seconds()
		p.frame()
		if each != nil {
			each()
		}
	}
}

func (p *player) still(d time.Duration) { p.pan(0, 0, d, nil) }

// asksSince returns the asks made at or after at.
func (p *player) asksSince(at time.Duration) []ask {
	for i, a := range p.asks {
		if a.at >= at {
			return p.asks[i:]
		}
	}
	return nil
}

// arrived is the area the board follows at now if each asked area
// reaches it delay after it was asked for.
func (p *player) arrived(delay time.Duration) protocol.Area {
	a := p.asks[0].area
	for _, k := range p.asks {
		if k.at+delay <= p.now {
			a = k.area
		}
	}
	return a
}

func inside(v, a protocol.Area) bool {
	return v.X >= a.X && v.Y >= a.Y && v.X+v.W <= a.X+a.W && v.Y+v.H <= a.Y+a.H
}

// margins is how far a reaches beyond v on the left, right, top and bottom.
func margins(v, a protocol.Area) [4]int {
	return [4]int{int(v.X) - int(a.X), int(a.X+a.W) - int(v.X+v.W), int(v.Y) - int(a.Y), int(a.Y+a.H) - int(v.Y+v.H)}
}

// A still view subscribes to itself plus StillMargin on every side,
// clamped to the grid; the load generator's viewers ask for the same.
func TestStillViewHasTheStillMargin(t *testing.T) {
	p := newPlayer(t, 400, 300, 64, 40)
	if len(p.asks) != 1 || p.asks[0].area != (protocol.Area{X: 397, Y: 297, W: 70, H: 46}) {
		t.Fatalf("a still 64×40 view asked %+v", p.asks)
	}
	p = newPlayer(t, 0, 960, 64, 40)
	if len(p.asks) != 1 || p.asks[0].area != (protocol.Area{X: 0, Y: 957, W: 67, H: 43}) {
		t.Fatalf("a still view in the corner asked %+v", p.asks)
	}
	for _, v := range []protocol.Area{{X: 400, Y: 300, W: 64, H: 40}, {X: 0, Y: 960, W: 64, H: 40}} {
		if got := Subscription(v, 0, 0); got != newPlayer(t, float64(v.X), float64(v.Y), 64, 40).asks[0].area {
			t.Errorf("Subscription(%v) = %v, not what the session asks", v, got)
		}
	}
}

// Panning, the leading side(s) get a lead of about the speed times
// leadTime; the trailing ones and the sides along the motion keep the
// still margin.
func TestPanLeadsOnTheLeadingSide(t *testing.T) {
	p := newPlayer(t, 400, 300, 64, 40)
	start := p.now
	p.pan(60, 0, time.Second, nil) // rightwards, about a screen a second
	lead := int(60 * leadTime.Seconds())
	asks := p.asksSince(start + 300*time.Millisecond)
	if len(asks) < 2 {
		t.Fatalf("panning for a second asked only %+v", p.asksSince(start))
	}
	for _, a := range asks {
		m := margins(a.visible, a.area)
		if m[0] != StillMargin || m[2] != StillMargin || m[3] != StillMargin ||
			m[1] < StillMargin+lead*8/10 || m[1] > StillMargin+lead+1 {
			t.Errorf("at %v panning right: margins left, right, top, bottom %v, want %d, ~%d, %d, %d", a.at-start, m, StillMargin, StillMargin+lead, StillMargin, StillMargin)
		}
	}
	p.still(2 * time.Second)
	start = p.now
	p.pan(-40, -30, time.Second, nil) // up and to the left
	for _, a := range p.asksSince(start + 300*time.Millisecond) {
		m := margins(a.visible, a.area)
		if m[1] != StillMargin || m[3] != StillMargin ||
			m[0] < StillMargin+int(40*leadTime.Seconds())*8/10 || m[2] < StillMargin+int(30*leadTime.Seconds())*8/10 {
			t.Errorf("at %v panning up-left: margins %v", a.at-start, m)
		}
	}
}

// Panning steadily, a new area is asked for before the view reaches the
// edge of the last one, at most once per viewport interval, and early
// enough that it arrives in time: with each area reaching the board 0.3 s
// after it was asked for (the worst case subscription.go allows for), no frame
// shows an unknown box once the pan is under way. (From rest the lead
// cannot be known in advance: for its first few tenths of a second a pan
// has only the still margin ahead.)
func TestPanReasksBeforeTheEdge(t *testing.T) {
	const delay = 300 * time.Millisecond
	for _, c := range []struct {
		name   string
		vx, vy float64
	}{
		{"right 20/s", 20, 0}, {"right 60/s", 60, 0}, {"left 100/s", -100, 0},
		{"down 50/s", 0, 50}, {"up-left 40/s", -30, -25},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newPlayer(t, 500, 500, 64, 40)
			start := p.now
			last := p.asks[len(p.asks)-1]
			p.pan(c.vx, c.vy, 3*time.Second, func() {
				if k := p.asks[len(p.asks)-1]; k != last {
					if k.at-last.at < 200*time.Millisecond {
						t.Fatalf("asked %v after the last ask", k.at-last.at)
					}
					if k.at-start > time.Second && !inside(k.visible, last.area) {
						t.Fatalf("at %v asked only after the view left %v (view %v)", k.at-start, last.area, k.visible)
					}
					last = k
				}
				if v, a := p.visible(), p.arrived(delay); p.now-start > 2*leadTime && !inside(v, a) {
					t.Fatalf("at %v the view %v shows boxes outside the area arrived %v (margins %v)", p.now-start, v, a, margins(v, a))
				}
			})
			if n := len(p.asksSince(start)); n > 15 {
				t.Errorf("%d asks in 3 s", n)
			}
			t.Logf("%d asks in 3 s; the last %v for a view %v", len(p.asksSince(start)), last.area, last.visible)
		})
	}
}

// When the view stops, the lead stays until it has been still for
// settleTime, then the area shrinks back to the still one: one Viewport.
func TestSettleShrinksToTheStillArea(t *testing.T) {
	p := newPlayer(t, 400, 300, 64, 40)
	p.pan(60, 0, time.Second, nil)
	stop := p.now
	p.still(3 * time.Second)
	asks := p.asksSince(stop + frame)
	want := Subscription(p.visible(), 0, 0)
	if len(asks) != 1 || asks[0].area != want {
		t.Fatalf("after the pan stopped: %+v, want one ask of %v", asks, want)
	}
	if at := asks[0].at - stop; at < settleTime || at > settleTime+2*frame {
		t.Fatalf("shrunk %v after the pan stopped, want after %v", at, settleTime)
	}
}

// Jumps are not pans: a minimap click or a zoom out after a fast pan gets
// the still margin, a zoom in waits for the view to settle (or shrinks at
// once when the area is far too large).
func TestJumpsGetTheStillMargin(t *testing.T) {
	p := newPlayer(t, 400, 300, 64, 40)
	p.pan(80, 0, time.Second, nil)
	p.x, p.y = 100, 800 // a minimap click
	jumped := p.now + frame
	p.still(100 * time.Millisecond)
	if asks := p.asksSince(jumped); len(asks) != 1 || asks[0].area != Subscription(p.visible(), 0, 0) {
		t.Fatalf("after a jump: %+v, want the still area of %v", asks, p.visible())
	}
	p.still(2 * time.Second)
	// Zoom out around the centre: 64×40 → 80×50.
	p.x, p.y, p.w, p.h = p.x-8, p.y-5, 80, 50
	zoomed := p.now + frame
	p.still(300 * time.Millisecond)
	if asks := p.asksSince(zoomed); len(asks) != 1 || asks[0].area != Subscription(p.visible(), 0, 0) {
		t.Fatalf("after a zoom out: %+v, want the still area of %v", asks, p.visible())
	}
	// Zoom in a little: the area still holds the view; it shrinks once
	// the view settles.
	p.still(2 * time.Second)
	p.x, p.y, p.w, p.h = p.x+16, p.y+10, 48, 30
	zoomed = p.now + frame
	p.still(2 * time.Second)
	asks := p.asksSince(zoomed)
	if len(asks) != 1 || asks[0].area != Subscription(p.visible(), 0, 0) || asks[0].at-zoomed < settleTime-frame {
		t.Fatalf("after a zoom in: %+v, want the still area of %v after %v", asks, p.visible(), settleTime)
	}
	// Zoom in far: more than shrinkFactor times too large, narrowed at once.
	p.x, p.y, p.w, p.h = p.x+16, p.y+10, 16, 10
	p.still(2 * time.Second)
	p.x, p.y, p.w, p.h = p.x-40, p.y-25, 96, 60
	p.still(2 * time.Second)
	p.x, p.y, p.w, p.h = p.x+40, p.y+25, 16, 10
	zoomed = p.now + frame
	p.still(100 * time.Millisecond)
	if asks := p.asksSince(zoomed); len(asks) != 1 || asks[0].area != Subscription(p.visible(), 0, 0) {
		t.Fatalf("after a zoom in to a sixth: %+v, want the still area of %v at once", asks, p.visible())
	}
}

// Near counts other players only (issue 24): alone online, the "some" of
// this player's own cell is itself, so no one is near; with a second
// player online, that "some" may be them.
func TestNearCountsOthersOnly(t *testing.T) {
	s := started(t, "x...", 256, 20, 60)
	handle(t, s, welcomeV2(200))
	v := protocol.Area{X: 300, Y: 100, W: 64, H: 40}
	s.SetView(v, 0)
	a := protocol.Area{X: 297, Y: 97, W: 70, H: 46}
	handle(t, s, areaSnapshot(t, 12, a))
	viewers := make([]uint32, 25*25)
	viewers[protocol.CellOf(40, 300+35, 100+23)] = 1 // this player: "some"
	pf, _ := protocol.AppendPresence(nil, 40, viewers)
	handle(t, s, pf)
	handle(t, s, protocol.AppendStats(nil, protocol.Stats{Online: 1}))
	if n, more := s.Near(); n != 0 || more {
		t.Fatalf("alone online: near %d (more %v), want no one", n, more)
	}
	handle(t, s, protocol.AppendStats(nil, protocol.Stats{Online: 2}))
	if n, more := s.Near(); n != 0 || !more {
		t.Fatalf("two online, both in this cell maybe: near %d (more %v), want 0 and maybe more", n, more)
	}
	// Three more in the next cell, but one other online: at most one.
	viewers[protocol.CellOf(40, 300+35, 100+23)+1] = 3
	pf, _ = protocol.AppendPresence(nil, 40, viewers)
	handle(t, s, pf)
	if n, more := s.Near(); n != 1 || more {
		t.Fatalf("near %d (more %v) with 2 online, want 1 (the others online)", n, more)
	}
}
