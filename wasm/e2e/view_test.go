//go:build !js

package e2e

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"checkgrid/protocol"
	"checkgrid/server/hub"
	"checkgrid/wasm/session"
)

// Version 2 in the browser (issue 11): a page gets only what happens in
// the area it looks at, counted on its WebSocket, and sees where the
// others are on its minimap.

// socket records what the page's WebSocket received, followed.
type socket struct {
	mu     sync.Mutex
	follow *protocol.Follower
	frames map[protocol.FrameType]int
	boxes  map[uint32]int // box → Delta/AreaDelta frames that flipped it
	areas  []protocol.Area
	bytes  int
}

func (s *socket) listen(ev any) {
	e, ok := ev.(*network.EventWebSocketFrameReceived)
	if !ok || e.Response == nil || e.Response.Opcode != 2 {
		return
	}
	b := e.Response.PayloadData
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bytes += len(b)
	st, err := s.follow.Handle(b) // as the page's session follows them
	t := st.Head.Type
	if t == 0 {
		return // not even a header
	}
	s.frames[t]++
	switch {
	case err != nil:
	case t == protocol.TypeDelta || t == protocol.TypeAreaDelta:
		for _, i := range st.Boxes {
			s.boxes[i]++
		}
	case t == protocol.TypeSnapshot || t == protocol.TypeAreaSnapshot:
		s.areas = append(s.areas, s.follow.Area())
	}
}

// lastArea is the area of the last snapshot the page received.
func (s *socket) lastArea() protocol.Area {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.areas) == 0 {
		return protocol.Area{}
	}
	return s.areas[len(s.areas)-1]
}

func (s *socket) snapshot() (frames map[protocol.FrameType]int, boxes map[uint32]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	frames, boxes = map[protocol.FrameType]int{}, map[uint32]int{}
	for k, v := range s.frames {
		frames[k] = v
	}
	for k, v := range s.boxes {
		boxes[k] = v
	}
	return frames, boxes
}

// openCounted is open with the page's WebSocket frames counted.
func (b *browser) openCounted(name, url string) (*page, *socket) {
	b.t.Helper()
	s := &socket{follow: protocol.NewFollower(new(protocol.Replica)), frames: map[protocol.FrameType]int{}, boxes: map[uint32]int{}}
	p := &page{t: b.t, name: name}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(func(ev any) {
		p.listen(ev)
		s.listen(ev)
	}))
	p.ctx = ctx
	b.t.Cleanup(func() {
		if b.t.Failed() {
			p.saveFailure()
		}
		cancel()
	})
	p.opened = time.Now()
	if err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{})
			return err
		}),
		chromedp.EmulateViewport(screenW, screenH, chromedp.EmulateScale(1)),
		chromedp.Navigate(url),
	); err != nil {
		b.t.Fatalf("%s: opening %s: %v", name, url, err)
	}
	return p, s
}

// waitArea waits until the page's last snapshot is an area around (x, y).
func (s *socket) waitArea(p *page, x, y int) protocol.Area {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a := s.lastArea()
		if !a.Whole() && a.Contains(box(x, y)) {
			return a
		}
		if time.Now().After(deadline) {
			p.fail("no area snapshot around (%d,%d); last area %+v", x, y, a)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A page zoomed into the top-left corner does not receive a change made
// in the bottom-right one (no frame on its socket carries that box), and
// shows it once it pans there.
func TestZoomedPageGetsOnlyItsArea(t *testing.T) {
	srv := startServer(t)
	w := srv.watch(t)
	v := browserView(20, 15, 16)
	p, sock := newBrowser(t).openCounted("corner", srv.URL+"/"+v.link())
	p.waitReady()
	a := sock.waitArea(p, 20, 15)
	t.Logf("subscribed to %+v", a)

	far := [2]int{980, 985}
	near := [2]int{21, 15}
	w.set(on(far[0], far[1]))
	w.waitBox(box(far[0], far[1]), true, 5*time.Second)
	w.set(on(near[0], near[1])) // after the far one: once it shows, the far one has had its chance
	p.waitPixels("the change inside the area", time.Now(), 5*time.Second, func(s shot) string {
		return s.check(v, []expect{{near[0], near[1], lookChecked}})
	})
	frames, boxes := sock.snapshot()
	if boxes[box(far[0], far[1])] != 0 {
		t.Fatalf("the corner page received the far change (frames %v)", frames)
	}
	if boxes[box(near[0], near[1])] != 1 || frames[protocol.TypeDelta] != 0 {
		t.Fatalf("frames %v; the near box came in %d frames", frames, boxes[box(near[0], near[1])])
	}
	t.Logf("socket before panning: %v", frames)

	// Pan there: an area snapshot brings the far box, which then shows.
	p.setHash(browserView(far[0], far[1], 16).link())
	sock.waitArea(p, far[0], far[1])
	// Near the corner the view keeps to the grid, so the box is not quite
	// at the centre: aim by the centre the page reports.
	fv := viewOf(p.waitHooks("the view at the far corner", 5*time.Second, func(h hooks) bool {
		return h.Zoom == 16 && h.X >= far[0]-1 && h.Y >= far[1]-1
	}), screenW, screenH, 1)
	p.waitPixels("the far change after panning", time.Now(), 5*time.Second, func(s shot) string {
		return s.check(fv, []expect{{far[0], far[1], lookChecked}, {far[0] - 1, far[1], lookUnchecked}})
	})
}

// areasSince returns the areas of the snapshots received after the first n.
func (s *socket) areasSince(n int) []protocol.Area {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]protocol.Area(nil), s.areas[min(n, len(s.areas)):]...)
}

// visibleArea is the boxes the page's screen shows, rounded outwards as
// the game does before telling its session (dpr 1, zoom CSS px a box).
func visibleArea(h hooks) protocol.Area {
	hw, hh := screenW/2/h.Zoom, screenH/2/h.Zoom
	x0, y0 := max(math.Floor(h.CX-hw), 0), max(math.Floor(h.CY-hh), 0)
	x1, y1 := min(math.Ceil(h.CX+hw), protocol.GridWidth), min(math.Ceil(h.CY+hh), protocol.GridHeight)
	return protocol.Area{X: uint16(x0), Y: uint16(y0), W: uint16(x1 - x0), H: uint16(y1 - y0)}
}

// A page dragged sideways subscribes ahead of the pan: the areas it gets
// while panning right keep the still margin on the trailing (left) side,
// above and below, and reach further on the leading (right) side; a second
// after the drag ends, the area shrinks back to the still area around the
// view (session.Subscription, the rule the client and the load generator
// share).
func TestPanLeadsThenSettles(t *testing.T) {
	srv := startServer(t)
	v := browserView(300, 500, 16)
	p, sock := newBrowser(t).openCounted("pan", srv.URL+"/"+v.link())
	p.waitReady()
	sock.waitArea(p, 300, 500)
	time.Sleep(1500 * time.Millisecond)
	h0 := p.waitHooks("the deep-linked view", 5*time.Second, func(h hooks) bool { return h.X == 300 && h.Y == 500 })
	start := visibleArea(h0)
	if got, want := sock.lastArea(), session.Subscription(start, 0, 0); got != want {
		t.Fatalf("still view %v subscribed to %v, want %v", start, got, want)
	}
	n := len(sock.areasSince(0))

	// Drag the grid leftwards across most of the screen: the view pans
	// right by 35 boxes in 30 steps, a frame a step (at 5 frames a second
	// still ~6 boxes a second: a lead of 3 or more).
	dragged := time.Now()
	p.drag(screenW-40, screenH/2, 40, screenH/2, 30, false)
	took := time.Since(dragged)
	p.waitFrames(10) // areas asked during the drag arrive
	h1, err := p.hooks()
	if err != nil {
		t.Fatal(err)
	}
	end := visibleArea(h1)
	if end.X < start.X+30 {
		t.Fatalf("the drag moved the view from %v to %v only", start, end)
	}
	panned := sock.areasSince(n)
	t.Logf("view %v → %v in %v; areas while panning: %v", start, end, took.Round(time.Millisecond), panned)
	led := false
	for _, a := range panned {
		if a.X < start.X-session.StillMargin || a.X > end.X-session.StillMargin ||
			int(a.H) != int(start.H)+2*session.StillMargin || a.Y != start.Y-session.StillMargin {
			t.Errorf("area %v while panning right from %v: want the still margin on the left, above and below", a, start)
		}
		led = led || int(a.W) >= int(start.W)+2*session.StillMargin+2
	}
	if !led {
		t.Errorf("no area while panning reached further right than the still margin: %v", panned)
	}

	// Still again: the area shrinks back to the still one.
	want := session.Subscription(end, 0, 0)
	deadline := time.Now().Add(5 * time.Second)
	for sock.lastArea() != want {
		if time.Now().After(deadline) {
			t.Fatalf("after the drag the area is %v, want the still area %v (view %v)", sock.lastArea(), want, end)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// heatAt reads the minimap pixel at the centre of the presence cell of box
// (x, y) and says whether it is warm (orange over the minimap's grey).
func heatAt(s shot, x, y int) (warm bool, detail string) {
	size := min(160, int(float64(min(screenW, screenH))*0.3))
	mx, my := screenW-size-12, screenH-size-12
	k := float64(size) / float64(protocol.GridWidth/hub.PresenceCell)
	cx, cy := x/hub.PresenceCell, y/hub.PresenceCell
	px, py := mx+int((float64(cx)+0.5)*k), my+int((float64(cy)+0.5)*k)
	r, g, b := s.rgb(px, py)
	return r > b+40 && r > g+15, fmt.Sprintf("pixel (%d,%d) = %.0f,%.0f,%.0f", px, py, r, g, b)
}

// Three pages at three places: each one's minimap shows the other two
// places warm (its own cell carries its own cross-hairs), so all three
// warm cells are seen, and a cold cell elsewhere; when a page leaves, its
// cell cools on the others' minimaps.
func TestPresenceOnTheMinimap(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	places := [][2]int{{100, 100}, {500, 540}, {860, 300}}
	var pages []*page
	for i, pl := range places {
		p := b.open(fmt.Sprintf("p%d", i), srv.URL+"/"+browserView(pl[0], pl[1], 16).link())
		pages = append(pages, p)
	}
	for _, p := range pages {
		p.waitReady()
	}
	cold := [2]int{300, 860}
	for i, p := range pages {
		p.waitPixels("the other pages' cells warm", time.Now(), 15*time.Second, func(s shot) string {
			for j, pl := range places {
				if j == i {
					continue
				}
				if warm, d := heatAt(s, pl[0], pl[1]); !warm {
					return fmt.Sprintf("cell of page %d not warm: %s", j, d)
				}
			}
			if warm, d := heatAt(s, cold[0], cold[1]); warm {
				return "an empty cell is warm: " + d
			}
			return ""
		})
	}
	if err := chromedp.Cancel(pages[2].ctx); err != nil { // closes the tab
		t.Fatal(err)
	}
	srv.waitStats("the third page gone", 10*time.Second, func(st stats) bool { return st.Connections == 2 })
	pages[0].waitPixels("the cell of the page that left cools", time.Now(), 15*time.Second, func(s shot) string {
		if warm, d := heatAt(s, places[2][0], places[2][1]); warm {
			return "still warm: " + d
		}
		if warm, d := heatAt(s, places[1][0], places[1][1]); !warm {
			return "the page that stayed went cold: " + d
		}
		return ""
	})
}
