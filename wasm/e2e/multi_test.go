//go:build !js

package e2e

import (
	"fmt"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestTwoPagesSeeEachOther: two players, each in their own window, click
// boxes; each sees the other's click, and both agree with the server.
func TestTwoPagesSeeEachOther(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	v := browserView(200, 300, 16)
	a := b.open("a", srv.URL+"/"+v.link())
	c := b.open("b", srv.URL+"/"+v.link())
	a.waitReady()
	c.waitReady()

	steps := []struct {
		who, other *page
		x, y       int
	}{
		{a, c, 200, 300},
		{c, a, 202, 299},
	}
	for n, s := range steps {
		before, _ := srv.snapshot()
		cx, cy := v.centre(s.x, s.y)
		s.who.click(cx, cy)
		waitFlip(t, srv, before, box(s.x, s.y))
		// The other page shows every click so far; and so does the
		// clicker.
		var want []expect
		for _, d := range steps[:n+1] {
			want = append(want, expect{d.x, d.y, lookChecked})
		}
		want = append(want, expect{201, 300, lookUnchecked}, expect{202, 300, lookUnchecked})
		for _, p := range []*page{s.other, s.who} {
			_, took := p.waitPixels(fmt.Sprintf("%s's click on (%d,%d)", s.who.name, s.x, s.y), time.Now(), 5*time.Second, func(sh shot) string {
				return sh.check(v, want)
			})
			t.Logf("%s shows %s's click within %v", p.name, s.who.name, took.Round(time.Millisecond))
		}
	}
}

// TestRestartReconnects: the server restarts on the same port and data
// directory; the page notices, reconnects by itself, and shows both the
// state that survived the restart and a change made after it.
func TestRestartReconnects(t *testing.T) {
	srv := startServer(t)
	v := browserView(700, 100, 16)
	p := newBrowser(t).open("page", srv.URL+"/"+v.link())
	p.waitReady()

	// A change from the page itself, confirmed by the server.
	before, _ := srv.snapshot()
	cx, cy := v.centre(700, 100)
	p.click(cx, cy)
	waitFlip(t, srv, before, box(700, 100))

	srv.stop()
	p.waitHooks("the page notices the server is gone", 15*time.Second, func(h hooks) bool { return h.State != "connected" })
	// Offline, the page keeps showing the last state it had.
	p.waitPixels("last state kept while offline", time.Now(), 5*time.Second, func(s shot) string {
		return s.check(v, []expect{{700, 100, lookChecked}, {701, 100, lookUnchecked}})
	})

	t0 := time.Now()
	srv.start()
	g, _ := srv.snapshot()
	if !g.Get(box(700, 100)) || g.Count() != 1 {
		t.Fatalf("after restart the server has %d boxes checked (box (700,100): %v), want exactly that one", g.Count(), g.Get(box(700, 100)))
	}
	// A change made after the restart, which only a reconnected page can
	// know about.
	w := srv.watch(t)
	w.set(on(702, 100))
	w.waitBox(box(702, 100), true, 5*time.Second)

	p.waitHooks("the page reconnects", 30*time.Second, func(h hooks) bool { return h.State == "connected" })
	srv.waitStats("the page is online again", 10*time.Second, func(s stats) bool { return s.Online >= 2 })
	_, took := p.waitPixels("persisted and new state after reconnecting", time.Now(), 10*time.Second, func(s shot) string {
		return s.check(v, []expect{{700, 100, lookChecked}, {701, 100, lookUnchecked}, {702, 100, lookChecked}})
	})
	t.Logf("page back in sync %v after the restart began (pixels matched within %v of the check)",
		time.Since(t0).Round(time.Millisecond), took.Round(time.Millisecond))
}

// TestRateLimitRevertsRefused: the server allows this address a burst of
// only 3 boxes (the player's own limit, which the client also enforces, is
// generous), so a quick series of clicks is partly refused. The page shows
// the rate-limit message, and the refused box, drawn optimistically,
// reverts: the pixels end up exactly as the server's grid.
func TestRateLimitRevertsRefused(t *testing.T) {
	const burst = 3
	// -addr-rate: one box per 100 s, so however slowly the clicks come,
	// the server takes exactly the burst.
	srv := startServer(t, "-addr-burst", fmt.Sprint(burst), "-addr-rate", "0.01")
	v := browserView(400, 400, 24)
	p := newBrowser(t).open("page", srv.URL+"/"+v.link())
	p.waitReady()

	// Click boxes left to right until the server refuses one.
	var refusedAt time.Time
	clicked := 0
	for k := 0; k < 2*burst && refusedAt.IsZero(); k++ {
		cx, cy := v.centre(400+k, 400)
		at := p.click(cx, cy)
		clicked++
		if h, err := p.hooks(); err == nil && h.Rejected > 0 {
			refusedAt = at
		}
	}
	h := p.waitHooks("a Reject and its message", 10*time.Second, func(h hooks) bool { return h.Rejected > 0 && h.Message != "" })
	t.Logf("client: %d clicks, %d rejects, message %q", clicked, h.Rejected, h.Message)
	if refusedAt.IsZero() {
		t.Fatalf("the Reject came only after all %d clicks", clicked)
	}

	// The server took exactly the burst, in click order.
	g, _ := srv.snapshot()
	var want []expect
	for k := range clicked {
		l := lookUnchecked
		if k < burst {
			l = lookChecked
		}
		if g.Get(box(400+k, 400)) != (k < burst) {
			t.Errorf("server: box (%d,400) checked = %v, want %v", 400+k, g.Get(box(400+k, 400)), k < burst)
		}
		want = append(want, expect{400 + k, 400, l})
	}
	if n := g.Count(); n != burst {
		t.Errorf("server has %d boxes checked, want %d", n, burst)
	}
	// And it says why it refused the rest: the address's rate.
	refused := srv.metric(`checkgrid_rejected_boxes_total{reason="address_rate"}`)
	if refused < 1 || refused > float64(clicked-burst) {
		t.Errorf("server refused %v boxes for address_rate, want 1..%d", refused, clicked-burst)
	}

	// The refused box reverts because of the Reject: well before the
	// client's own fallback (an unconfirmed change reverts after
	// board.PendingTimeout, 5 s), so a client ignoring Rejects fails here.
	_, to := p.waitPixels("refused box reverted", refusedAt, 4*time.Second, func(s shot) string { return s.check(v, want) })
	if to >= 5*time.Second {
		t.Errorf("refused box reverted only %v after the click: that is the pending timeout, not the Reject", to)
	}
	t.Logf("refused box reverted in pixels within %v of the click", to.Round(time.Millisecond))

	// The message is on screen: a red panel at the top centre (under
	// the title panel on a screen this narrow).
	p.waitPixels("rate-limit message drawn", time.Now(), 5*time.Second, func(s shot) string {
		r := image.Rect(screenW/2-150, 12, screenW/2+150, screenH/2)
		if f := s.share(r, lookMessage); f < 0.08 {
			return fmt.Sprintf("top centre %v is %.0f%% message red", r, 100*f)
		}
		return ""
	})
}

// TestFastClickingMeetsOurLimit: clicking as fast as a person can meets
// the client's own click budget (the server's budget is for drawing and
// is never reached by clicking): the message names our limit, the server
// refuses nothing, and it holds exactly the boxes the client let through.
func TestFastClickingMeetsOurLimit(t *testing.T) {
	srv := startServer(t)
	v := browserView(500, 500, 24)
	p := newBrowser(t).open("page", srv.URL+"/"+v.link())
	p.waitReady()
	p.waitPixels("view drawn", time.Now(), 10*time.Second, func(s shot) string {
		return s.check(v, []expect{{500, 500, lookUnchecked}})
	})
	// Click like a fast person, six times a second: held 90 ms, 70 ms
	// apart (long enough for a software-rendered frame to see each press).
	// Through the DevTools protocol each event costs a round trip (about
	// 100 ms on this machine with SwiftShader busy), too slow to click
	// faster than the budget, so the page clicks itself: DOM mouse events
	// on the canvas, which Ebiten reads as it reads real ones. The budget
	// allows 3.6 a second after a burst of 7.
	const clicks = 50
	var pts []string
	for k := range clicks {
		cx, cy := v.centre(490+k%20, 495+k/20)
		pts = append(pts, fmt.Sprintf("[%.1f,%.1f]", cx, cy))
	}
	js := fmt.Sprintf(`(async () => {
		const c = document.querySelector("canvas");
		const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
		for (const [x, y] of [%s]) {
			const at = { clientX: x, clientY: y, bubbles: true, button: 0 };
			c.dispatchEvent(new MouseEvent("mousemove", { ...at, buttons: 0 }));
			c.dispatchEvent(new MouseEvent("mousedown", { ...at, buttons: 1 }));
			await sleep(90);
			c.dispatchEvent(new MouseEvent("mouseup", { ...at, buttons: 0 }));
			await sleep(70);
		}
	})(); 0`, strings.Join(pts, ","))
	if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](js)); err != nil {
		t.Fatalf("clicking: %v", err)
	}
	h := p.waitHooks("our limit's message", 15*time.Second, func(h hooks) bool { return h.Limit == "ours" && h.Message != "" })
	t.Logf("%d clicks at 6 a second met our limit: %q (%s)", clicks, h.Message, h.Limit)
	p.waitPixels("rate-limit message drawn", time.Now(), 5*time.Second, func(s shot) string {
		r := image.Rect(screenW/2-150, 12, screenW/2+150, screenH/2)
		if f := s.share(r, lookMessage); f < 0.08 {
			return fmt.Sprintf("top centre %v is %.0f%% message red", r, 100*f)
		}
		return ""
	})
	// The server took every box the client sent and refused none: once
	// the page's confirmed count and the server's agree, nothing is in
	// flight (refused clicks send nothing).
	srv.waitStats("the server and the page agree", 10*time.Second, func(s stats) bool {
		h, err := p.hooks()
		return err == nil && s.Checked > 0 && int(s.Checked) == h.Checked
	})
	if r := srv.metric(`checkgrid_rejected_boxes_total{reason="rate"}`) + srv.metric(`checkgrid_rejected_boxes_total{reason="address_rate"}`); r != 0 {
		t.Errorf("the server refused %v boxes: the client's own limit should have held first", r)
	}
	g, _ := srv.snapshot()
	if n := g.Count(); n < 5 || n >= clicks {
		t.Errorf("server holds %d boxes after %d clicks, want about the budget's burst (7) and more, fewer than the clicks", n, clicks)
	}
}
