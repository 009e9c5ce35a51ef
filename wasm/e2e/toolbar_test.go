//go:build !js

package e2e

import (
	"context"
	"fmt"
	"image"
	"math"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The toolbar and the phone (issue 24): buttons give the keyboard back,
// Fit always fits and + zooms in, the phone has no keyboard-only controls,
// finger-sized boxes, and a jump to a corner keeps the view on the grid.

// clickID clicks the middle of the element with id, with the mouse.
func (p *page) clickID(id string) {
	p.t.Helper()
	r := p.elementRect(id)
	p.click(r.X+r.W/2, r.Y+r.H/2)
}

// text is the element's textContent.
func (p *page) text(id string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.getElementById(%q).textContent`, id)))
	if err != nil {
		p.fail("#%s's text: %v", id, err)
	}
	return s
}

// TestToolbarGivesKeysBack: after clicking Draw twice with the mouse, K
// starts keyboard mode (it went to the button, and Space pressed Draw
// again); after clicking Fit, Space starts keyboard mode too.
func TestToolbarGivesKeysBack(t *testing.T) {
	srv := startServer(t)
	p := newBrowser(t).open("page", srv.URL+"/"+browserView(500, 500, 24).link())
	p.waitReady()
	p.clickID("draw")
	p.waitHooks("draw mode on", 5*time.Second, func(h hooks) bool { return h.Draw })
	p.clickID("draw")
	p.waitHooks("draw mode off", 5*time.Second, func(h hooks) bool { return !h.Draw })
	if f := p.focused(); f == "draw" {
		t.Errorf("after a mouse click the Draw button keeps the keyboard focus")
	}
	p.press("K")
	p.waitHooks("K starts keyboard mode after clicking Draw", 5*time.Second, func(h hooks) bool { return h.Keyboard && !h.Draw })
	p.press("K")
	p.waitHooks("K leaves keyboard mode", 5*time.Second, func(h hooks) bool { return !h.Keyboard })

	p.clickID("fit")
	p.waitHooks("the whole grid", 5*time.Second, func(h hooks) bool { return h.Zoom < 1 })
	p.press("Space")
	h := p.waitHooks("Space starts keyboard mode after clicking Fit", 5*time.Second, func(h hooks) bool { return h.Keyboard })
	if h.Draw {
		t.Error("Space turned on Draw")
	}
}

// TestFitAlwaysFits: zoomed out past the whole grid (the camera allows half
// of it), the Fit button still says Fit and fits (it turned into "Zoom" and
// zoomed in); + zooms in, twice as near a press.
func TestFitAlwaysFits(t *testing.T) {
	srv := startServer(t)
	p := newBrowser(t).open("page", srv.URL+"/"+browserView(500, 500, 24).link())
	p.waitReady()
	p.clickID("fit")
	fit := p.waitHooks("the whole grid", 5*time.Second, func(h hooks) bool { return h.Zoom < 1 }).Zoom
	for range 4 {
		p.press("Minus")
	}
	p.waitHooks("zoomed out past the whole grid", 5*time.Second, func(h hooks) bool { return h.Zoom < fit*0.7 })
	if l := p.text("fit"); l != "Fit" {
		t.Errorf("past the whole grid the Fit button says %q", l)
	}
	p.clickID("fit")
	p.waitHooks("Fit fits again", 5*time.Second, func(h hooks) bool { return math.Abs(h.Zoom-fit) < 1e-9 })
	p.clickID("fit")
	p.waitFrames(3)
	if h, _ := p.hooks(); math.Abs(h.Zoom-fit) > 1e-9 {
		t.Errorf("Fit at the whole grid changed the zoom to %v (fit is %v)", h.Zoom, fit)
	}
	p.clickID("zoomin")
	p.waitHooks("+ zooms in twice as near", 5*time.Second, func(h hooks) bool { return math.Abs(h.Zoom-2*fit) < 1e-9 })
}

// TestPhoneControls: a 390×844 phone at scale 3 with touch. The first
// view's boxes are finger-sized (36 CSS px); there is no Keys button (the
// others' size is TestPhoneJump's); a jump to the last box keeps the
// screen on the grid, with box 999999 in its bottom-right corner.
func TestPhoneControls(t *testing.T) {
	srv := startServer(t)
	const cssW, cssH, dpr = 390, 844, 3
	p := newBrowser(t).openIn("phone", srv.URL+"/", viewport{W: cssW, H: cssH, Scale: dpr, Phone: true})
	p.waitReady()
	if h, _ := p.hooks(); h.Zoom < 36 {
		t.Errorf("the first view on a phone is %.0f CSS px a box, want a fingertip's 36", h.Zoom)
	}
	if r := p.elementRect("keys"); r.W != 0 || r.H != 0 {
		t.Errorf("a phone shows a Keys button (%.0f×%.0f CSS px)", r.W, r.H)
	}

	r := p.elementRect("jump")
	p.tap(r.X+r.W/2, r.Y+r.H/2)
	p.waitHooks("the jump field has focus", 5*time.Second, func(hooks) bool { return p.focused() == "jumpto" })
	p.insertText("999999")
	p.press("Enter")
	h := p.waitHooks("the view at box 999999", 5*time.Second, func(h hooks) bool { return h.X > 950 && h.Y > 950 })
	v := viewOf(h, cssW*dpr, cssH*dpr, dpr)
	// The box sits in the bottom-right corner, and the right and bottom
	// edges of the screen show grid, not background (above the minimap
	// and right of the toolbar).
	if x, y := v.boxOrigin(999, 999); math.Abs(x+v.Zoom-cssW*dpr) > 1 || math.Abs(y+v.Zoom-cssH*dpr) > 1 {
		t.Errorf("box 999999 ends at (%.0f,%.0f), want the screen's bottom-right corner (%d,%d)", x+v.Zoom, y+v.Zoom, cssW*dpr, cssH*dpr)
	}
	p.waitPixels("grid to the screen's right and bottom edges", time.Now(), 15*time.Second, func(s shot) string {
		w, hh := s.size()
		right := image.Rect(w-30, hh/3, w-2, hh/2)
		bottom := image.Rect(w/2, hh-20, w/2+90, hh-2)
		for _, r := range []image.Rectangle{right, bottom} {
			if f := s.share(r, lookBackground); f > 0.05 {
				return fmt.Sprintf("%v is %.0f%% background", r, 100*f)
			}
		}
		return ""
	})
}

// meterPixels counts the click budget meter's light blue (#8ab4f8) in the
// top-left corner, under the title panel.
func meterPixels(s shot) int {
	return s.near(image.Rect(0, 0, 400, 200), 0x8a, 0xb4, 0xf8, 6)
}

// budgetProbe records, every animation frame, the lowest click budget the
// game has published (the value its meter draws) in window.__minBudget.
const budgetProbe = `(() => {
  window.__minBudget = 1;
  const f = () => {
    if (window.checkgrid) window.__minBudget = Math.min(window.__minBudget, window.checkgrid.budget);
    requestAnimationFrame(f);
  };
  requestAnimationFrame(f);
})()`

// TestClickBudgetShown: the click budget is on screen at all times, as a
// meter under the title: full at first; long strokes spend it (the value
// the meter draws reaches 0 while the limit refuses) and the meter shows
// less; it refills; the page's <meter> says the same to screen readers.
func TestClickBudgetShown(t *testing.T) {
	srv := startServer(t)
	p := newBrowser(t).open("page", srv.URL+"/"+browserView(500, 500, 4).link())
	p.waitReady()
	full := 0
	p.waitPixels("the meter full", time.Now(), 10*time.Second, func(s shot) string {
		if full = meterPixels(s); full < 400 {
			return fmt.Sprintf("%d meter pixels, want a full meter (≥ 400)", full)
		}
		return ""
	})
	if v := p.meterValue(); v != 1 {
		t.Errorf("the page's <meter> says %v, want 1 (full)", v)
	}
	if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[any](budgetProbe)); err != nil {
		t.Fatal(err)
	}
	// Strokes of 150 boxes at 4 CSS px a box until the meter has read
	// empty: three are far more than the budget (a burst of about 54 and
	// 18 a second), but on a loaded machine a stroke's mouse events can
	// arrive so slowly that the budget refills between them, so up to six.
	minBudget := func() float64 {
		m, err := chromedp.Run(p.ctx, chromedp.Evaluate[float64](`window.__minBudget`))
		if err != nil {
			t.Fatalf("window.__minBudget: %v", err)
		}
		return m
	}
	for i, y := range []float64{200, 230, 260, 290, 320, 350} {
		p.drag(20, y, 620, y, 20, true)
		if i >= 2 && minBudget() <= 0.05 {
			break
		}
	}
	p.waitPixels("the meter down", time.Now(), 5*time.Second, func(s shot) string {
		if n := meterPixels(s); n > full*8/10 {
			return fmt.Sprintf("%d meter pixels of %d full", n, full)
		}
		return ""
	})
	if m := minBudget(); m > 0.05 {
		t.Errorf("the meter's lowest value during six strokes was %v, want empty", m)
	}
	p.waitHooks("the budget refilled", 20*time.Second, func(h hooks) bool { return h.Budget == 1 })
	p.waitPixels("the meter full again", time.Now(), 10*time.Second, func(s shot) string {
		if n := meterPixels(s); n < full*95/100 {
			return fmt.Sprintf("%d meter pixels of %d full", n, full)
		}
		return ""
	})
	if v := p.meterValue(); v != 1 {
		t.Errorf("the page's <meter> says %v after the refill, want 1", v)
	}
}

// meterValue is the page's click budget <meter>'s value.
func (p *page) meterValue() float64 {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[float64](`document.getElementById("budget").value`))
	if err != nil {
		p.fail("#budget's value: %v", err)
	}
	return v
}
