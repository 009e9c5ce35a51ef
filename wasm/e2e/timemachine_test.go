//go:build !js

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"checkgrid/protocol"
)

// The time machine (issue 21): the Time control opens a scrubber; dragging
// it shows the grid of that moment (pixel-checked against a pattern the
// test drew then), read-only; Play carries it forward; Live returns to the
// grid as it is now, with a change made meanwhile; a deep link carries the
// moment.

// timeHooks mirrors window.checkgrid.time.
type timeHooks struct {
	Mode  string  `json:"mode"` // live, paused, playing
	At    float64 `json:"at"`   // the playhead, Unix ms
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	Seq   float64 `json:"seq"`
	Speed int     `json:"speed"`
	Shown int     `json:"shown"` // playback frames shown (playback_bench_test.go)
}

// awayHooks mirrors window.checkgrid.away.
type awayHooks struct {
	Since   float64 `json:"since"`
	Seen    float64 `json:"seen"`
	Changed int     `json:"changed"` // -1 until known
	InView  int     `json:"inView"`
}

// historyExtent is what the tests read of GET /api/history.
type historyExtent struct {
	LastSeq  uint64    `json:"last_seq"`
	LastTime time.Time `json:"last_time"`
}

func (s *server) history() historyExtent {
	s.t.Helper()
	var ex historyExtent
	if err := json.Unmarshal(s.get("/api/history"), &ex); err != nil {
		s.t.Fatalf("GET /api/history: %v", err)
	}
	return ex
}

// commit sets changes through w, waits until w has seen the last of them,
// and returns the seq and commit time history gives them.
func commit(t *testing.T, srv *server, w *watcher, changes ...protocol.Change) historyExtent {
	t.Helper()
	w.set(changes...)
	last := changes[len(changes)-1]
	w.waitBox(last.Index, last.Value, 5*time.Second)
	return srv.history()
}

// waitHistoryTime waits until the wall clock is past t: moments the test
// scrubs between must be apart in time, and history's time is the clock's.
func waitHistoryTime(t time.Time) {
	time.Sleep(time.Until(t))
}

// pastPixels counts the past panel's violet (#5b3cc4, nearly opaque) in
// the top half.
func pastPixels(s shot) int {
	w, h := s.size()
	return s.near(image.Rect(0, 0, w, h/2), 0x5b, 0x3c, 0xc4, 12)
}

// patternA and patternB are the two moments the test draws, apart in time:
// A a small triangle, then B a line under it with A cleared.
var (
	patternA = []expect{{300, 300, lookChecked}, {301, 300, lookUnchecked}, {302, 300, lookChecked}, {301, 301, lookChecked}, {301, 302, lookUnchecked}}
	patternB = []expect{{300, 300, lookUnchecked}, {302, 300, lookUnchecked}, {301, 301, lookUnchecked}, {300, 302, lookChecked}, {301, 302, lookChecked}, {302, 302, lookChecked}}
)

// drawHistory draws the first record far away, then A, then B, each some
// seconds apart; it returns A's and B's commits.
func drawHistory(t *testing.T, srv *server, w *watcher) (a, b historyExtent) {
	t.Helper()
	first := commit(t, srv, w, on(900, 900))
	waitHistoryTime(first.LastTime.Add(1500 * time.Millisecond))
	a = commit(t, srv, w, on(300, 300), on(302, 300), on(301, 301))
	waitHistoryTime(a.LastTime.Add(3 * time.Second))
	b = commit(t, srv, w,
		protocol.Change{Index: box(300, 300)}, protocol.Change{Index: box(302, 300)}, protocol.Change{Index: box(301, 301)},
		on(300, 302), on(301, 302), on(302, 302))
	return a, b
}

// scrubTo drags the scrubber's thumb from where it is to the moment at.
func (p *page) scrubTo(at time.Time, touch bool) {
	p.t.Helper()
	h := p.waitHooks("the scrubber knows its span", 10*time.Second, func(h hooks) bool { return h.Time.End > h.Time.Start })
	r := p.elementRect("scrub")
	// Chromium's range thumb is about 16 CSS px: its centre runs from
	// half a thumb in from the left to half a thumb in from the right.
	const thumb = 16
	x := func(ms float64) float64 {
		f := (ms - h.Time.Start) / (h.Time.End - h.Time.Start)
		return r.X + thumb/2 + min(max(f, 0), 1)*(r.W-thumb)
	}
	y := r.Y + r.H/2
	from, to := x(h.Time.At), x(float64(at.UnixMilli()))
	if touch {
		p.swipe(from, y, to, y, 10)
	} else {
		p.slide(from, y, to, y, 10)
	}
}

// TestTimeMachine: Time opens the scrubber at now; dragging it to a moment
// between A and B shows A (pixels), read-only, the violet panel and the
// moment in the URL; Play at real time reaches B; a change made meanwhile
// is not in the past; Live shows it, and a click in the past had toggled
// nothing.
func TestTimeMachine(t *testing.T) {
	srv := startServer(t)
	w := srv.watch(t)
	a, b := drawHistory(t, srv, w)

	v := browserView(301, 301, 24)
	p := newBrowser(t).open("page", srv.URL+"/"+v.link())
	p.waitReady()
	p.waitPixels("B live", time.Now(), 10*time.Second, func(s shot) string { return s.check(v, patternB) })

	p.clickID("time")
	p.waitHooks("the time machine open at the end", 10*time.Second, func(h hooks) bool {
		return h.Time.Mode == "paused" && h.Time.End >= float64(b.LastTime.UnixMilli())
	})
	mid := a.LastTime.Add(1500 * time.Millisecond)
	p.scrubTo(mid, false)
	h := p.waitHooks("the grid at A's seq", 10*time.Second, func(h hooks) bool { return uint64(h.Time.Seq) == a.LastSeq })
	if d := time.Duration(h.Time.At-float64(mid.UnixMilli())) * time.Millisecond; d < -time.Second || d > time.Second {
		t.Errorf("the scrubber landed %v from the moment aimed at", d)
	}
	_, took := p.waitPixels("A drawn in the past, with the violet panel", time.Now(), 10*time.Second, func(s shot) string {
		if n := pastPixels(s); n < 2000 {
			return fmt.Sprintf("%d violet pixels of the past panel, want ≥ 2000", n)
		}
		return s.check(v, patternA)
	})
	t.Logf("the past drawn %v after the drag", took.Round(time.Millisecond))
	if frag := p.hash(); !strings.Contains(frag, "&t=") {
		t.Errorf("in the past the URL is %q: no moment (t=)", frag)
	}

	// Read-only: a click on (306,301) in the past.
	cx, cy := v.centre(306, 301)
	p.click(cx, cy)

	// Play at real time: from between A and B to B takes 1.5 s.
	p.selectSpeed(0)
	p.clickID("play")
	p.waitHooks("playing", 5*time.Second, func(h hooks) bool { return h.Time.Mode == "playing" })
	p.waitPixels("B reached by playing", time.Now(), 15*time.Second, func(s shot) string { return s.check(v, patternB) })
	p.waitHooks("paused at the end of history", 15*time.Second, func(h hooks) bool {
		return h.Time.Mode == "paused" && uint64(h.Time.Seq) == b.LastSeq
	})

	// A change made meanwhile: not in the past on screen.
	commit(t, srv, w, on(304, 300))
	before, _ := srv.snapshot()
	p.waitFrames(5)
	if s, err := p.screenshot(); err == nil {
		if why := s.check(v, []expect{{304, 300, lookUnchecked}}); why != "" {
			t.Errorf("a live change shows in the past: %s", why)
		}
	}

	p.clickID("golive")
	p.waitPixels("live again: B and the change made meanwhile, no panel", time.Now(), 10*time.Second, func(s shot) string {
		if n := pastPixels(s); n > 0 {
			return fmt.Sprintf("%d violet pixels left", n)
		}
		return s.check(v, append([]expect{{304, 300, lookChecked}}, patternB...))
	})
	if frag := p.hash(); strings.Contains(frag, "t=") {
		t.Errorf("live, the URL is %q: still a moment", frag)
	}
	// The click in the past toggled nothing: the first change the server
	// sees is this live one.
	cx, cy = v.centre(307, 301)
	p.click(cx, cy)
	waitFlip(t, srv, before, box(307, 301))
}

// TestTimeDeepLink: a link with a moment opens the past there.
func TestTimeDeepLink(t *testing.T) {
	srv := startServer(t)
	w := srv.watch(t)
	a, _ := drawHistory(t, srv, w)
	v := browserView(301, 301, 24)
	at := a.LastTime.Add(1500 * time.Millisecond).UTC().Format(time.RFC3339)
	p := newBrowser(t).open("page", srv.URL+"/"+v.link()+"&t="+url.QueryEscape(at))
	p.waitReady()
	p.waitHooks("the past at A", 20*time.Second, func(h hooks) bool { return uint64(h.Time.Seq) == a.LastSeq })
	p.waitPixels("A drawn from the link, with the violet panel", time.Now(), 10*time.Second, func(s shot) string {
		if n := pastPixels(s); n < 2000 {
			return fmt.Sprintf("%d violet pixels of the past panel, want ≥ 2000", n)
		}
		return s.check(v, patternA)
	})
}

// hash is the page's URL fragment.
func (p *page) hash() string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`location.hash`))
	if err != nil {
		p.fail("location.hash: %v", err)
	}
	return s
}

// selectSpeed picks speed i in the panel's menu, as choosing it does (a
// change event; a native menu's popup is not in the page to click).
func (p *page) selectSpeed(i int) {
	p.t.Helper()
	js := fmt.Sprintf(`(() => { const s = document.getElementById("speed"); s.selectedIndex = %d; s.dispatchEvent(new Event("change")); return s.selectedIndex; })()`, i)
	if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](js)); err != nil {
		p.fail("choosing speed %d: %v", i, err)
	}
	p.waitHooks(fmt.Sprintf("speed %d", i), 5*time.Second, func(h hooks) bool { return h.Time.Speed == i })
}

// swipe drags one finger from (x0, y0) to (x1, y1) CSS px in steps, frame
// by frame.
func (p *page) swipe(x0, y0, x1, y1 float64, steps int) {
	p.t.Helper()
	p.touch(input.DispatchTouchEventTypeTouchStart, &input.TouchPoint{X: x0, Y: y0})
	p.waitFrames(2)
	for i := 1; i <= steps; i++ {
		f := float64(i) / float64(steps)
		p.touch(input.DispatchTouchEventTypeTouchMove, &input.TouchPoint{X: x0 + (x1-x0)*f, Y: y0 + (y1-y0)*f})
		p.waitFrames(1)
	}
	p.touch(input.DispatchTouchEventTypeTouchEnd)
	p.waitFrames(2)
}

// slide drags with the mouse's left button from (x0, y0) to (x1, y1) in
// steps, frame by frame: as drag, but every move names the button held,
// which a range input's thumb needs to follow (drag's moves name none).
func (p *page) slide(x0, y0, x1, y1 float64, steps int) {
	p.t.Helper()
	send := func(typ input.DispatchMouseEventType, x, y float64, buttons int64) {
		ev := input.DispatchMouseEventParams{Type: typ, X: x, Y: y, Buttons: buttons, Button: input.MouseButtonLeft, ClickCount: 1}
		err := chromedp.Do(p.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, input.DispatchMouseEvent, ev)
			return err
		}))
		if err != nil {
			p.fail("mouse %s at (%.0f,%.0f): %v", typ, x, y, err)
		}
	}
	send(chromedp.MouseMoved, x0, y0, 0)
	p.waitFrames(1)
	send(chromedp.MousePressed, x0, y0, 1)
	p.waitFrames(2)
	for i := 1; i <= steps; i++ {
		f := float64(i) / float64(steps)
		send(chromedp.MouseMoved, x0+(x1-x0)*f, y0+(y1-y0)*f, 1)
		p.waitFrames(1)
	}
	send(chromedp.MouseReleased, x1, y1, 0)
	p.waitFrames(2)
}

// awayPixels counts the teal (#00bfa5) of "while you were away" rings in
// rect.
func awayPixels(s shot, rect image.Rectangle) int {
	return s.near(rect, 0x00, 0xbf, 0xa5, 16)
}

// ringRect is the band just outside box (x, y) where its ring is drawn.
func ringRect(v view, x, y int) image.Rectangle {
	ox, oy := v.boxOrigin(x, y)
	return image.Rect(int(ox)-4, int(oy)-4, int(ox+v.Zoom)+4, int(oy+v.Zoom)+4)
}

// TestWhileAway: a page records the seq it saw; it leaves; boxes change,
// three on its screen and one far away; the page comes back (same
// browser, so the same storage) and rings the three and not a box away
// from them, counts them (3 here, 4 in all; the ring of a box reaches
// into its neighbours, so the count is what says "exactly"), and Replay
// plays the time away in the past.
func TestWhileAway(t *testing.T) {
	srv := startServer(t)
	w := srv.watch(t)
	commit(t, srv, w, on(300, 301)) // a box that does not change while away
	b := newBrowser(t)
	v := browserView(301, 301, 24)
	p := b.open("first visit", srv.URL+"/"+v.link())
	p.waitReady()
	seen := srv.history().LastSeq
	p.waitHooks("the seq seen recorded", 10*time.Second, func(h hooks) bool { return uint64(h.Away.Seen) == seen })
	if _, err := chromedp.Run(p.ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}

	changed := []protocol.Change{on(300, 300), on(303, 302), on(298, 299), on(900, 900)}
	end := commit(t, srv, w, changed...)

	p = b.open("second visit", srv.URL+"/"+v.link())
	p.waitReady()
	h := p.waitHooks("the change since the last visit", 20*time.Second, func(h hooks) bool { return h.Away.Changed >= 0 })
	if h.Away.Changed != 4 || h.Away.InView != 3 || uint64(h.Away.Since) != seen {
		t.Errorf("away since %v: %d changed, %d in view; want since %d, 4 and 3", h.Away.Since, h.Away.Changed, h.Away.InView, seen)
	}
	p.waitPixels("rings on the three boxes changed, none on the one that did not", time.Now(), 10*time.Second, func(s shot) string {
		for _, c := range changed[:3] {
			x, y := int(c.Index%1000), int(c.Index/1000)
			if n := awayPixels(s, ringRect(v, x, y)); n < 40 {
				return fmt.Sprintf("box (%d,%d): %d teal ring pixels, want ≥ 40", x, y, n)
			}
		}
		if n := awayPixels(s, ringRect(v, 306, 301)); n > 0 {
			return fmt.Sprintf("box (306,301) did not change but has %d teal pixels", n)
		}
		return s.check(v, []expect{{300, 300, lookChecked}, {303, 302, lookChecked}, {300, 301, lookChecked}, {301, 300, lookUnchecked}})
	})

	p.clickID("replay")
	p.waitHooks("the replay played to now", 30*time.Second, func(h hooks) bool {
		return h.Time.Mode == "paused" && uint64(h.Time.Seq) == end.LastSeq
	})
}

// TestTimePhone: on a 390×844 phone at scale 3 with touch, Time opens the
// scrubber; swiping it to a moment between A and B shows A; Play reaches
// B; Live returns.
func TestTimePhone(t *testing.T) {
	srv := startServer(t)
	w := srv.watch(t)
	a, b := drawHistory(t, srv, w)
	const cssW, cssH, dpr = 390, 844, 3
	p := newBrowser(t).openIn("phone", srv.URL+"/#x=301&y=300&z=36", viewport{W: cssW, H: cssH, Scale: dpr, Phone: true})
	p.waitReady()
	for _, id := range []string{"time"} {
		if r := p.elementRect(id); r.W < 44 || r.H < 44 {
			t.Errorf("#%s is %.0f×%.0f CSS px, want at least 44×44", id, r.W, r.H)
		}
	}
	r := p.elementRect("time")
	p.tap(r.X+r.W/2, r.Y+r.H/2)
	p.waitHooks("the time machine open", 10*time.Second, func(h hooks) bool { return h.Time.Mode == "paused" && h.Time.End >= float64(b.LastTime.UnixMilli()) })
	for _, id := range []string{"scrub", "play", "golive"} {
		if r := p.elementRect(id); r.W < 44 || r.H < 44 {
			t.Errorf("#%s is %.0f×%.0f CSS px, want at least 44×44", id, r.W, r.H)
		}
	}
	p.scrubTo(a.LastTime.Add(1500*time.Millisecond), true)
	h := p.waitHooks("the grid at A's seq", 10*time.Second, func(h hooks) bool { return uint64(h.Time.Seq) == a.LastSeq })
	v := viewOf(h, cssW*dpr, cssH*dpr, dpr)
	p.waitPixels("A drawn in the past", time.Now(), 15*time.Second, func(s shot) string { return s.check(v, patternA) })

	r = p.elementRect("play")
	p.tap(r.X+r.W/2, r.Y+r.H/2)
	p.waitHooks("played to B", 20*time.Second, func(h hooks) bool { return h.Time.Mode == "paused" && uint64(h.Time.Seq) == b.LastSeq })
	p.waitPixels("B reached by playing", time.Now(), 15*time.Second, func(s shot) string { return s.check(v, patternB) })

	r = p.elementRect("golive")
	p.tap(r.X+r.W/2, r.Y+r.H/2)
	p.waitHooks("live", 10*time.Second, func(h hooks) bool { return h.Time.Mode == "live" })
}
