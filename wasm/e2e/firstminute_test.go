//go:build !js

package e2e

import (
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"checkgrid/protocol"
)

// The first minute of a new player (issue 13): what the first frame shows,
// what a click at whole-grid zoom does, the phone's controls, the
// disconnected state and keyboard play. All on pixels and the server.

// rgb reads screen pixel (x, y).
func (s shot) rgb(x, y int) (r, g, b float64) {
	bnd := s.img.Bounds()
	R, G, B, _ := s.img.At(bnd.Min.X+x, bnd.Min.Y+y).RGBA()
	return float64(R >> 8), float64(G >> 8), float64(B >> 8)
}

// near counts the pixels of rect within tol of colour (r, g, b).
func (s shot) near(rect image.Rectangle, r, g, b, tol float64) int {
	n := 0
	rect = rect.Intersect(s.img.Bounds().Sub(s.img.Bounds().Min))
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			R, G, B := s.rgb(x, y)
			if math.Abs(R-r) <= tol && math.Abs(G-g) <= tol && math.Abs(B-b) <= tol {
				n++
			}
		}
	}
	return n
}

// hintPixels counts the hint panel's cream (#fef7e0) in the top half.
func hintPixels(s shot) int {
	w, h := s.size()
	return s.near(image.Rect(0, 0, w, h/2), 0xfe, 0xf7, 0xe0, 3)
}

// bannerPixels counts the connection banner's amber (#f9ab00) in the top
// half.
func bannerPixels(s shot) int {
	w, h := s.size()
	return s.near(image.Rect(0, 0, w, h/2), 0xf9, 0xab, 0x00, 10)
}

// outlined reports whether box (x, y), unchecked, shows a checkbox: a
// dark border along the line through its middle, inside a light fill.
func (s shot) outlined(v view, x, y int) string {
	ox, oy := v.boxOrigin(x, y)
	my := int(math.Floor(oy + v.Zoom/2))
	darkest := 255.0
	for px := int(math.Floor(ox)); px < int(math.Floor(ox+v.Zoom/2)); px++ {
		r, g, b := s.rgb(px, my)
		darkest = math.Min(darkest, 0.299*r+0.587*g+0.114*b)
	}
	if l, detail := s.boxLook(v, x, y); l != lookUnchecked || darkest > 175 {
		return fmt.Sprintf("box (%d,%d) is no outlined checkbox: darkest %.0f on its middle line; %s", x, y, darkest, detail)
	}
	return ""
}

// saturation is the spread of the RGB channels in the middle of box (x, y):
// near 0 when the grid is drawn frozen (grey), large for checked blue.
func (s shot) saturation(v view, x, y int) float64 {
	cx, cy := v.centre(x, y)
	r, g, b := s.rgb(int(cx), int(cy-v.Zoom*0.23))
	return max(r, g, b) - min(r, g, b)
}

// docShot saves the screenshot as docs/<name> when E2E_DOCS names the
// docs folder (make screenshots), so the README shows what the tests saw.
func docShot(t *testing.T, s shot, name string) {
	dir := os.Getenv("E2E_DOCS")
	if dir == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), s.png, 0o644); err != nil {
		t.Errorf("saving %s: %v", name, err)
	}
}

// viewOf is the view the page reports (centre box and CSS zoom) on a
// w×h-device-pixel screen at scale dpr: where the test aims, not what it
// checks.
func viewOf(h hooks, w, hh int, dpr float64) view {
	return view{X: h.X, Y: h.Y, Zoom: h.Zoom * dpr, W: w, H: hh, CX: h.CX, CY: h.CY}
}

// TestFirstView: a newcomer's first frame shows real checkboxes at a
// comfortable size, centred on the busiest place, and the hint; the hint
// goes after the first toggle.
func TestFirstView(t *testing.T) {
	srv := startServer(t)
	w := srv.watch(t)
	// A drawing far from the centre: the busiest place.
	var drawing []protocol.Change
	for x := 700; x < 706; x++ {
		drawing = append(drawing, on(x, 300))
	}
	w.set(drawing...)
	w.waitBox(box(705, 300), true, 5*time.Second)

	p := newBrowser(t).open("page", srv.URL+"/")
	ttff := p.waitReady()
	t.Logf("time to first frame: %v", ttff.Round(time.Millisecond))
	h := p.waitHooks("the first view", 5*time.Second, func(h hooks) bool { return h.Zoom > 0 })
	if h.Zoom < 16 || h.Zoom > 32 || math.Abs(float64(h.X-703)) > 25 || math.Abs(float64(h.Y-300)) > 25 {
		t.Errorf("first view centred on (%d,%d) at %.1f CSS px a box; want near the drawing at (700..705,300), 16..32 px", h.X, h.Y, h.Zoom)
	}
	v := viewOf(h, screenW, screenH, 1)
	var first shot
	p.waitPixels("the first frame: outlined checkboxes, the drawing and the hint", time.Now(), 10*time.Second, func(s shot) string {
		first = s
		if why := s.check(v, []expect{{700, 300, lookChecked}, {705, 300, lookChecked}, {703, 301, lookUnchecked}}); why != "" {
			return why
		}
		for _, b := range [][2]int{{v.X, v.Y + 3}, {v.X - 4, v.Y + 2}, {v.X + 5, v.Y - 3}} {
			if why := s.outlined(v, b[0], b[1]); why != "" {
				return why
			}
		}
		if n := hintPixels(s); n < 2000 {
			return fmt.Sprintf("hint panel: %d cream pixels, want ≥ 2000", n)
		}
		return ""
	})
	docShot(t, first, "first-view.png")
	if h, _ := p.hooks(); h.Missing != "" {
		t.Errorf("the page printed runes its font has no glyph for: %q", h.Missing)
	}

	// The first toggle: the hint goes.
	before, _ := srv.snapshot()
	cx, cy := v.centre(v.X, v.Y+3)
	p.click(cx, cy)
	waitFlip(t, srv, before, box(v.X, v.Y+3))
	p.waitPixels("hint gone after the first toggle", time.Now(), 5*time.Second, func(s shot) string {
		if n := hintPixels(s); n > 50 {
			return fmt.Sprintf("%d cream pixels left", n)
		}
		return ""
	})
}

// TestWholeGridClickZooms: at whole-grid zoom a box is under a pixel, so a
// click zooms in there and changes nothing; at the new zoom, clicks toggle.
func TestWholeGridClickZooms(t *testing.T) {
	srv := startServer(t)
	p := newBrowser(t).open("page", srv.URL+"/")
	p.waitReady()
	p.press("F")
	p.waitPixels("whole grid after F", time.Now(), 10*time.Second, wholeGrid)

	before, _ := srv.snapshot()
	// Aim at box (600, 400) of the fitted grid.
	h, _ := p.hooks()
	fit := viewOf(h, screenW, screenH, 1)
	ax, ay := fit.centre(600, 400)
	p.click(ax, ay)
	h = p.waitHooks("zoomed in by the click", 5*time.Second, func(h hooks) bool { return h.Zoom >= 16 })
	// The tapped point stays under the pointer: the box there is the one
	// aimed at (within the ±1 box a pixel of the fitted grid covers), now
	// as a real checkbox.
	v := viewOf(h, screenW, screenH, 1)
	tx := int(math.Floor(v.CX + (ax-float64(v.W)/2)/v.Zoom))
	ty := int(math.Floor(v.CY + (ay-float64(v.H)/2)/v.Zoom))
	if math.Abs(float64(tx-600)) > 2 || math.Abs(float64(ty-400)) > 2 {
		t.Errorf("after the zoom box (%d,%d) is under the click, want about (600,400)", tx, ty)
	}
	p.waitPixels("real boxes after the zoom", time.Now(), 10*time.Second, func(s shot) string {
		return s.outlined(v, tx, ty)
	})
	// Nothing was toggled: the next click's change is the first the
	// server sees (one connection, applied in order).
	bx, by := v.centre(tx, ty)
	p.click(bx, by)
	waitFlip(t, srv, before, box(tx, ty))
}

// TestPhoneJump: a 390×844 phone at device scale 3. The toolbar's buttons
// are finger-sized; tapping Jump with real touch events and typing a
// number centres that box.
func TestPhoneJump(t *testing.T) {
	srv := startServer(t)
	w := srv.watch(t)
	const X, Y = 456, 123 // box 123456
	w.set(on(X, Y), on(X+1, Y+1))
	w.waitBox(box(X+1, Y+1), true, 5*time.Second)

	const cssW, cssH, dpr = 390, 844, 3
	p := newBrowser(t).openIn("phone", srv.URL+"/", viewport{W: cssW, H: cssH, Scale: dpr, Phone: true})
	p.waitReady()
	for _, id := range []string{"jump", "fit", "zoomin", "draw"} {
		if r := p.elementRect(id); r.W < 44 || r.H < 44 {
			t.Errorf("#%s is %.0f×%.0f CSS px, want at least 44×44", id, r.W, r.H)
		}
	}
	s, err := p.screenshot()
	if err != nil {
		t.Fatal(err)
	}
	docShot(t, s, "phone.png")

	r := p.elementRect("jump")
	p.tap(r.X+r.W/2, r.Y+r.H/2)
	p.waitHooks("the jump field has focus", 5*time.Second, func(hooks) bool {
		return p.focused() == "jumpto"
	})
	p.insertText("123456")
	p.press("Enter")
	h := p.waitHooks("the view centred on box 123456", 5*time.Second, func(h hooks) bool { return h.X == X && h.Y == Y })
	v := viewOf(h, cssW*dpr, cssH*dpr, dpr)
	p.waitPixels("box 123456 centred", time.Now(), 15*time.Second, func(s shot) string {
		return s.check(v, []expect{{X, Y, lookChecked}, {X + 1, Y, lookUnchecked}, {X - 1, Y, lookUnchecked}, {X + 1, Y + 1, lookChecked}})
	})
	// The target is really at the centre of the screen.
	if cx, cy := v.centre(X, Y); math.Abs(cx-cssW*dpr/2) > v.Zoom || math.Abs(cy-cssH*dpr/2) > v.Zoom {
		t.Errorf("box 123456 at (%.0f,%.0f), screen centre (%d,%d)", cx, cy, cssW*dpr/2, cssH*dpr/2)
	}
}

// TestDisconnectedShown: when the server dies, the page shows a banner and
// a greyed grid within seconds; when it returns, both go.
func TestDisconnectedShown(t *testing.T) {
	srv := startServer(t)
	w := srv.watch(t)
	w.set(on(100, 100))
	w.waitBox(box(100, 100), true, 5*time.Second)
	v := browserView(100, 100, 24)
	p := newBrowser(t).open("page", srv.URL+"/"+v.link())
	p.waitReady()
	p.waitPixels("live: blue box, no banner", time.Now(), 10*time.Second, func(s shot) string {
		if why := s.check(v, []expect{{100, 100, lookChecked}}); why != "" {
			return why
		}
		if sat := s.saturation(v, 100, 100); sat < 120 {
			return fmt.Sprintf("checked box saturation %.0f, want a live blue", sat)
		}
		if n := bannerPixels(s); n > 0 {
			return fmt.Sprintf("%d banner pixels while connected", n)
		}
		return ""
	})

	srv.proc.Kill()
	srv.proc = nil
	t0 := time.Now()
	var frozen shot
	_, took := p.waitPixels("banner and frozen grid after the server died", t0, 20*time.Second, func(s shot) string {
		frozen = s
		if n := bannerPixels(s); n < 3000 {
			return fmt.Sprintf("%d banner pixels, want ≥ 3000", n)
		}
		if sat := s.saturation(v, 100, 100); sat > 30 {
			return fmt.Sprintf("checked box saturation %.0f: the grid still looks live", sat)
		}
		return ""
	})
	t.Logf("disconnected state drawn %v after the kill", took.Round(time.Millisecond))
	docShot(t, frozen, "disconnected.png")

	srv.start()
	_, took = p.waitPixels("banner gone and colour back after the server returned", time.Now(), 40*time.Second, func(s shot) string {
		if n := bannerPixels(s); n > 0 {
			return fmt.Sprintf("%d banner pixels left", n)
		}
		if sat := s.saturation(v, 100, 100); sat < 120 {
			return fmt.Sprintf("checked box saturation %.0f, want the live blue back", sat)
		}
		return s.check(v, []expect{{100, 100, lookChecked}, {101, 100, lookUnchecked}})
	})
	t.Logf("live again within %v of the restart", took.Round(time.Millisecond))
}

// TestKeyboardToggle: a player without a pointer enters keyboard mode,
// moves the box cursor with the arrows and toggles with Space.
func TestKeyboardToggle(t *testing.T) {
	srv := startServer(t)
	v := browserView(300, 300, 24)
	p := newBrowser(t).open("page", srv.URL+"/"+v.link())
	p.waitReady()
	p.press("K")
	p.waitHooks("keyboard mode", 5*time.Second, func(h hooks) bool { return h.Keyboard })
	for _, k := range []string{"Right", "Right", "Down"} {
		p.press(k)
	}
	p.waitHooks("the cursor on (302,301)", 5*time.Second, func(h hooks) bool { return h.Cursor == 301*1000+302 })
	before, _ := srv.snapshot()
	p.press("Space")
	after := waitFlip(t, srv, before, box(302, 301))
	if !after.Get(box(302, 301)) {
		t.Fatal("Space unchecked the box")
	}
	h, _ := p.hooks()
	v = viewOf(h, screenW, screenH, 1)
	p.waitPixels("the toggled box, ringed by the cursor", time.Now(), 5*time.Second, func(s shot) string {
		if why := s.check(v, []expect{{302, 301, lookChecked}, {301, 301, lookUnchecked}, {302, 300, lookUnchecked}}); why != "" {
			return why
		}
		// The cursor's white ring lies just outside the box.
		ox, oy := v.boxOrigin(302, 301)
		ring := image.Rect(int(ox)-6, int(oy)-6, int(ox+v.Zoom)+6, int(oy)-2)
		if n := s.near(ring, 255, 255, 255, 8); n < 20 {
			return fmt.Sprintf("no cursor ring above the box (%d white pixels in %v)", n, ring)
		}
		return ""
	})
	// Space again unchecks it: the cursor stays.
	p.press("Space")
	if g := waitFlip(t, srv, after, box(302, 301)); g.Get(box(302, 301)) {
		t.Fatal("second Space did not uncheck")
	}
}
