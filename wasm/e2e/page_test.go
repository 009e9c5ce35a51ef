//go:build !js

package e2e

import (
	"fmt"
	"image"
	"testing"
	"time"

	"checkgrid/protocol"
)

// box is the index of box (x, y).
func box(x, y int) uint32 { return uint32(y*protocol.GridWidth + x) }

func on(x, y int) protocol.Change  { return protocol.Change{Index: box(x, y), Value: true} }
func off(x, y int) protocol.Change { return protocol.Change{Index: box(x, y), Value: false} }

// link is the deep-link fragment for v.
func (v view) link() string { return fmt.Sprintf("#x=%d&y=%d&z=%g", v.X, v.Y, v.Zoom) }

func browserView(x, y int, zoom float64) view {
	return view{X: x, Y: y, Zoom: zoom, W: screenW, H: screenH}
}

// TestPageBootsAndDraws: the page loads, the wasm boots, the whole grid is
// drawn on the background, and a deep link shows the boxes the server holds.
func TestPageBootsAndDraws(t *testing.T) {
	srv := startServer(t)
	w := srv.watch(t)
	// A pattern only a client that applied the server's state can draw:
	// checked, unchecked, checked, and one checked below.
	w.set(on(500, 500), on(502, 500), on(501, 501))
	w.waitBox(box(501, 501), true, 5*time.Second)

	b := newBrowser(t)
	p := b.open("page", srv.URL+"/")
	ttff := p.waitReady()
	t.Logf("time to first frame (navigate → first snapshot drawn): %v", ttff.Round(time.Millisecond))

	// Whole grid: a square of light boxes (768 px: 96% of the height)
	// centred on the dark background; the HUD and minimap sit at the
	// edges, so the middle and the side bands are clean.
	p.waitPixels("whole grid drawn", 5*time.Second, func(s shot) string {
		if w, h := s.size(); w != screenW || h != screenH {
			return fmt.Sprintf("screenshot is %dx%d, want %dx%d", w, h, screenW, screenH)
		}
		mid := image.Rect(400, 300, 600, 500)
		left := image.Rect(20, 250, 100, 550)
		right := image.Rect(900, 250, 980, 450)
		if f := s.share(mid, lookUnchecked); f < 0.97 {
			return fmt.Sprintf("centre %v is %.1f%% unchecked-white", mid, 100*f)
		}
		for _, r := range []image.Rectangle{left, right} {
			if f := s.share(r, lookBackground); f < 0.97 {
				return fmt.Sprintf("side band %v is %.1f%% background", r, 100*f)
			}
		}
		// The grid's left and right edges are where the fit puts them.
		if s.at(125, 400) != lookUnchecked || s.at(105, 400) != lookBackground ||
			s.at(875, 400) != lookUnchecked || s.at(895, 400) != lookBackground {
			return "grid edges not at x≈116 and x≈884"
		}
		return ""
	})

	// A deep link zooms to the pattern.
	v := browserView(501, 500, 24)
	p.setHash(v.link())
	took := p.waitPixels("deep-linked pattern", 5*time.Second, func(s shot) string {
		return s.check(v, []expect{
			{500, 500, lookChecked}, {501, 500, lookUnchecked}, {502, 500, lookChecked},
			{501, 501, lookChecked}, {500, 501, lookUnchecked}, {502, 499, lookUnchecked},
		})
	})
	t.Logf("deep link drawn in %v", took.Round(time.Millisecond))
}
