//go:build !js

package e2e

import (
	"fmt"
	"image"
	"slices"
	"testing"
	"time"

	"checkgrid/protocol"
)

// box is the index of box (x, y).
func box(x, y int) uint32 { return uint32(y*protocol.GridWidth + x) }

func on(x, y int) protocol.Change { return protocol.Change{Index: box(x, y), Value: true} }

// link is the deep-link fragment for v.
func (v view) link() string { return fmt.Sprintf("#x=%d&y=%d&z=%g", v.X, v.Y, v.Zoom) }

func browserView(x, y int, zoom float64) view {
	return view{X: x, Y: y, Zoom: zoom, W: screenW, H: screenH}
}

// wholeGrid checks the fitted view: a square of unchecked boxes, 96% of the
// shorter side, centred on the background. The HUD and minimap keep to the
// corners (and the hint to the top), so the middle and the side bands
// between the title panel and the help line are clean.
func wholeGrid(s shot) string {
	if w, h := s.size(); w != screenW || h != screenH {
		return fmt.Sprintf("screenshot is %dx%d, want %dx%d", w, h, screenW, screenH)
	}
	side := 0.96 * float64(min(screenW, screenH))
	x0, x1 := int((screenW-side)/2), int((screenW+side)/2)
	cx, cy := screenW/2, screenH/2
	mid := image.Rect(cx-100, cy-100, cx+100, cy+100)
	if f := s.share(mid, lookUnchecked); f < 0.97 {
		return fmt.Sprintf("centre %v is %.1f%% unchecked", mid, 100*f)
	}
	left := image.Rect(8, 130, x0-8, screenH-200)
	right := image.Rect(x1+8, 130, screenW-8, screenH-200) // above the minimap
	for _, r := range []image.Rectangle{left, right} {
		if f := s.share(r, lookBackground); f < 0.97 {
			return fmt.Sprintf("side band %v is %.1f%% background", r, 100*f)
		}
	}
	if s.at(x0+5, cy) != lookUnchecked || s.at(x0-5, cy) != lookBackground ||
		s.at(x1-5, cy) != lookUnchecked || s.at(x1+5, cy) != lookBackground {
		return fmt.Sprintf("grid edges are not at x=%d and x=%d", x0, x1)
	}
	return ""
}

// waitFlip polls the server's snapshot until it differs from before, and
// fails unless exactly box i flipped.
func waitFlip(t *testing.T, srv *server, before *protocol.Bitset, i uint32) *protocol.Bitset {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		g, seq := srv.snapshot()
		if d := flipped(before, g); len(d) > 0 {
			if !slices.Equal(d, []uint32{i}) {
				t.Fatalf("server (seq %d): boxes %v flipped, want only %d", seq, d, i)
			}
			return g
		}
		if time.Now().After(deadline) {
			t.Fatalf("server: box %d did not flip within 5 s (seq %d)", i, seq)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPlayer is one player's session in one page: the page boots and draws
// the whole grid, a deep link shows what the server holds, another client's
// change shows up within a second, and clicks toggle exactly the box under
// the pointer, at two zooms.
func TestPlayer(t *testing.T) {
	srv := startServer(t)
	w := srv.watch(t)
	// A pattern only a client that applied the server's state draws:
	// checked, unchecked, checked, and one checked below.
	w.set(on(500, 500), on(502, 500), on(501, 501))
	w.waitBox(box(501, 501), true, 5*time.Second)

	p := newBrowser(t).open("page", srv.URL+"/")
	ttff := p.waitReady()
	t.Logf("time to first frame (navigate → first snapshot drawn): %v", ttff.Round(time.Millisecond))

	t.Run("WholeGrid", func(t *testing.T) {
		p.t = t
		// The first view is real boxes (TestFirstView); F fits the grid.
		p.press("F")
		p.waitPixels("whole grid drawn", time.Now(), 10*time.Second, wholeGrid)
	})

	v := browserView(501, 500, 24)
	t.Run("DeepLink", func(t *testing.T) {
		p.t = t
		p.setHash(v.link())
		_, took := p.waitPixels("deep-linked pattern", time.Now(), 10*time.Second, func(s shot) string {
			return s.check(v, []expect{
				{500, 500, lookChecked}, {501, 500, lookUnchecked}, {502, 500, lookChecked},
				{501, 501, lookChecked}, {500, 501, lookUnchecked}, {502, 499, lookUnchecked},
			})
		})
		t.Logf("deep link drawn within %v", took.Round(time.Millisecond))
	})

	t.Run("PeerSetAppearsWithinASecond", func(t *testing.T) {
		p.t = t
		x, y := 498, 502
		for _, want := range []bool{true, false} {
			w.set(protocol.Change{Index: box(x, y), Value: want})
			seen := w.waitBox(box(x, y), want, 5*time.Second)
			l := lookUnchecked
			if want {
				l = lookChecked
			}
			from, to := p.waitPixels(fmt.Sprintf("box (%d,%d) %v in the page", x, y, l), seen, time.Second, func(s shot) string {
				return s.check(v, []expect{{x, y, l}, {x + 1, y, lookUnchecked}})
			})
			t.Logf("peer's %v seen in the page's pixels %v–%v after the peer saw its delta", l, from.Round(time.Millisecond), to.Round(time.Millisecond))
		}
	})

	// Two zooms: detailed checkboxes at the centre, and flat 5 px boxes
	// clicked away from the centre (so the screen→box mapping is tested,
	// not just the centre).
	for _, c := range []struct {
		name   string
		v      view
		dx, dy int // the box clicked, relative to the centred one
	}{
		{"Zoom24", browserView(520, 480, 24), 0, 0},
		{"Zoom5", browserView(250, 750, 5), 4, -3},
	} {
		t.Run("ClickToggles"+c.name, func(t *testing.T) {
			p.t = t
			p.setHash(c.v.link())
			bx, by := c.v.X+c.dx, c.v.Y+c.dy
			i := box(bx, by)
			// The view must be drawn before clicking: wait for the
			// centred box's surroundings to be unchecked boxes.
			p.waitPixels("view drawn", time.Now(), 10*time.Second, func(s shot) string {
				return s.check(c.v, []expect{{bx, by, lookUnchecked}, {bx - 1, by, lookUnchecked}, {bx + 1, by, lookUnchecked}})
			})
			before, _ := srv.snapshot()
			for _, want := range []bool{true, false} {
				l := lookUnchecked
				if want {
					l = lookChecked
				}
				cx, cy := c.v.centre(bx, by)
				p.click(cx, cy)
				after := waitFlip(t, srv, before, i)
				w.waitBox(i, want, 5*time.Second)
				p.waitPixels(fmt.Sprintf("clicked box (%d,%d) %v", bx, by, l), time.Now(), 5*time.Second, func(s shot) string {
					return s.check(c.v, []expect{{bx, by, l}, {bx - 1, by, lookUnchecked}, {bx + 1, by, lookUnchecked}, {bx, by - 1, lookUnchecked}, {bx, by + 1, lookUnchecked}})
				})
				if got := p.displayed(i); got != map[bool]int{false: 0, true: 1}[want] {
					t.Errorf("window.checkgrid.get(%d) = %d after the click, want %v", i, got, want)
				}
				before = after
			}
		})
	}
}

// TestDragPansShiftDragPaints: a drag moves the view and toggles nothing;
// Shift+drag paints every box along the stroke, and only those.
func TestDragPansShiftDragPaints(t *testing.T) {
	srv := startServer(t)
	w := srv.watch(t)
	w.set(on(600, 600))
	w.waitBox(box(600, 600), true, 5*time.Second)
	v := browserView(600, 600, 16)
	p := newBrowser(t).open("page", srv.URL+"/"+v.link())
	p.waitReady()
	p.waitPixels("deep link drawn", time.Now(), 10*time.Second, func(s shot) string {
		return s.check(v, []expect{{600, 600, lookChecked}, {601, 600, lookUnchecked}})
	})

	// Drag the grid 5 boxes to the right: the view is then centred on
	// (595, 600), and box (600, 600) is 5 boxes right of the centre.
	before, _ := srv.snapshot()
	x0, y0 := v.centre(600, 600)
	x1, y1 := v.centre(605, 600)
	p.drag(x0, y0, x1, y1, 8, false)
	v2 := browserView(595, 600, 16)
	p.waitPixels("view panned by the drag", time.Now(), 5*time.Second, func(s shot) string {
		return s.check(v2, []expect{{600, 600, lookChecked}, {599, 600, lookUnchecked}, {601, 600, lookUnchecked}, {595, 600, lookUnchecked}})
	})
	// The connection is ordered: had the drag sent a change, the server
	// would apply it before this click's.
	cx, cy := v2.centre(596, 601)
	p.click(cx, cy)
	before = waitFlip(t, srv, before, box(596, 601))

	// Shift+drag across five unchecked boxes paints them checked.
	x0, y0 = v2.centre(590, 598)
	x1, y1 = v2.centre(594, 598)
	p.drag(x0, y0, x1, y1, 8, true)
	var want []uint32
	for x := 590; x <= 594; x++ {
		want = append(want, box(x, 598))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		g, seq := srv.snapshot()
		got := flipped(before, g)
		if slices.Equal(got, want) {
			break
		}
		if time.Now().After(deadline) {
			p.fail("server (seq %d): the stroke flipped %v, want %v", seq, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.waitPixels("painted stroke", time.Now(), 5*time.Second, func(s shot) string {
		return s.check(v2, []expect{
			{589, 598, lookUnchecked}, {590, 598, lookChecked}, {592, 598, lookChecked},
			{594, 598, lookChecked}, {595, 598, lookUnchecked}, {592, 597, lookUnchecked},
		})
	})
}
