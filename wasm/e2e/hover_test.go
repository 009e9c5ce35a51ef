//go:build !js

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"checkgrid/protocol"
	"checkgrid/wasm/wording"
)

// hoverZone is the browser's time zone in TestHoverLabel: half an hour off
// any whole-hour zone, so a label in UTC or in the server's zone is wrong.
const hoverZone = "Asia/Kolkata"

// TestHoverLabel (issue 21: "the hover label says when a box last changed
// and how often"): a box flipped three times, then resting the mouse on
// it shows "last changed <the third flip's commit time, in the browser's
// zone> · 3 changes"; a fourth flip while the mouse rests there updates it
// to 4, the player's own click there to 5; a box never changed says so.
func TestHoverLabel(t *testing.T) {
	zone, err := time.LoadLocation(hoverZone)
	if err != nil {
		t.Fatalf("time zone %s: %v", hoverZone, err)
	}
	srv := startServer(t)
	w := srv.watch(t)
	const x, y = 310, 310
	commit(t, srv, w, on(x, y))
	commit(t, srv, w, protocol.Change{Index: box(x, y)})
	third := commit(t, srv, w, on(x, y))
	label := func(at time.Time, n int) string {
		return fmt.Sprintf(wording.BoxInfoFmt, at.Truncate(time.Second).In(zone).Format(wording.TimeLayout), n)
	}

	b := newBrowser(t, chromedp.Env("TZ="+hoverZone))
	v := browserView(x, y, 24)
	p := b.open("hover", srv.URL+"/"+v.link())
	p.waitReady()
	p.mouseButtons(chromedp.MouseMoved, 100, 100, 0, 0) // the pointer enters…
	cx, cy := v.centre(x, y)
	p.mouseButtons(chromedp.MouseMoved, cx, cy, 0, 0) // …and rests on the box
	want := label(third.LastTime, 3)
	p.waitHooks("the hover label of a box changed 3 times", 20*time.Second, func(h hooks) bool { return h.HoverInfo == want })

	fourth := commit(t, srv, w, protocol.Change{Index: box(x, y)})
	want = label(fourth.LastTime, 4)
	p.waitHooks("the hover label after a 4th change", 20*time.Second, func(h hooks) bool { return h.HoverInfo == want })

	// The player's own click on the box: counted once the server has it.
	p.click(cx, cy)
	w.waitBox(box(x, y), true, 5*time.Second)
	fifth := srv.history()
	want = label(fifth.LastTime, 5)
	p.waitHooks("the hover label after the player's own change", 20*time.Second, func(h hooks) bool { return h.HoverInfo == want })

	nx, ny := v.centre(x+3, y)
	p.mouseButtons(chromedp.MouseMoved, nx, ny, 0, 0)
	p.waitHooks("the hover label of a box never changed", 20*time.Second, func(h hooks) bool { return h.HoverInfo == wording.BoxNever })
}
