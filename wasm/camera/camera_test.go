package camera

import (
	"math"
	"testing"

	"checkgrid/protocol"
)

func box(x, y int) uint32 { return uint32(y*protocol.GridWidth + x) }

func TestLookAtPutsTheBoxUnderTheCentre(t *testing.T) {
	tests := []struct {
		w, h  int
		dpr   float64
		x, y  int
		zoom  float64
		probe [2]float64 // screen point, relative to the centre, in CSS px
		want  uint32
		ok    bool
	}{
		{800, 600, 1, 500, 500, 1, [2]float64{0, 0}, box(500, 500), true},
		{1600, 1200, 2, 20, 20, 40, [2]float64{0, 0}, box(20, 20), true},
		{1600, 1200, 2, 20, 20, 40, [2]float64{-41, 0}, box(19, 20), true},
		{1600, 1200, 2, 20, 20, 40, [2]float64{19, 21}, box(20, 21), true},
		{1000, 1000, 1.5, 900, 900, 10, [2]float64{-10, -10}, box(899, 899), true},
		{801, 601, 1, 123, 456, 8, [2]float64{0, 0}, box(123, 456), true},
	}
	for _, tc := range tests {
		c := New(tc.w, tc.h, tc.dpr)
		c.LookAt(tc.x, tc.y, tc.zoom)
		sx := float64(tc.w)/2 + tc.probe[0]*tc.dpr
		sy := float64(tc.h)/2 + tc.probe[1]*tc.dpr
		got, ok := c.BoxAt(sx, sy)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%+v: BoxAt = %d, %v; want %d, %v", tc, got, ok, tc.want, tc.ok)
		}
		if z := c.Zoom(); math.Abs(z-tc.zoom) > 1e-9 {
			t.Errorf("%+v: zoom %v", tc, z)
		}
	}
}

func TestZoomAtKeepsThePointUnderThePointer(t *testing.T) {
	c := New(1000, 800, 2)
	c.LookAt(300, 300, 4)
	for _, f := range []float64{1.5, 0.5, 3, 1.1} {
		wx, wy := c.ToWorld(123, 456)
		c.ZoomAt(123, 456, f)
		gx, gy := c.ToWorld(123, 456)
		if math.Abs(gx-wx) > 1e-9 || math.Abs(gy-wy) > 1e-9 {
			t.Fatalf("factor %v moved (%v,%v) to (%v,%v)", f, wx, wy, gx, gy)
		}
	}
}

func TestZoomIsClamped(t *testing.T) {
	c := New(1000, 1000, 2)
	c.ZoomAt(500, 500, 1e9)
	if c.Zoom() != MaxZoom {
		t.Errorf("max zoom %v", c.Zoom())
	}
	c.ZoomAt(500, 500, 1e-9)
	fit := 1000 * fitMargin / 1000 / 2 // CSS px per box of the fitted grid
	if math.Abs(c.Zoom()-fit*minZoomOfFit) > 1e-9 {
		t.Errorf("min zoom %v, want %v", c.Zoom(), fit*minZoomOfFit)
	}
}

func TestFitShowsTheWholeGrid(t *testing.T) {
	c := New(1280, 720, 1)
	c.LookAt(10, 10, 50)
	c.Fit()
	x0, y0, x1, y1 := c.Visible()
	if x0 != 0 || y0 != 0 || x1 != 1000 || y1 != 1000 {
		t.Errorf("visible %v %v %v %v", x0, y0, x1, y1)
	}
	if _, ok := c.BoxAt(640, 360); !ok {
		t.Error("centre is off the grid")
	}
}

func TestPanFollowsTheDragAndStaysOnTheGrid(t *testing.T) {
	c := New(800, 800, 1)
	c.LookAt(500, 500, 10)
	c.Pan(-100, 50) // drag left and down by 10 and 5 boxes
	if x, y := c.CentreBox(); x != 510 || y != 495 {
		t.Errorf("centre box %d,%d, want 510,495", x, y)
	}
	c.Pan(1e7, 1e7)
	// The grid's corner at the screen's: 40 boxes of 10 px to the centre.
	if x, y := c.Centre(); x != 40 || y != 40 {
		t.Errorf("centre %v,%v after panning far away, want the top-left corner in the screen's (40,40)", x, y)
	}
}

// TestViewStaysOnTheGrid: a jump to the last box on a phone shows only
// grid, with that box in the bottom-right corner (issue 24: half the
// screen was background); a grid narrower than the screen is centred.
func TestViewStaysOnTheGrid(t *testing.T) {
	c := New(390*3, 844*3, 3)
	c.LookAt(999, 999, 24)
	x0, y0, x1, y1 := c.Visible()
	if sx, sy := c.ToScreen(x0, y0); sx > 0 || sy > 0 {
		t.Errorf("the grid starts at screen (%v,%v), want it to cover the top-left corner", sx, sy)
	}
	if sx, sy := c.ToScreen(x1, y1); math.Abs(sx-390*3) > 1e-6 || math.Abs(sy-844*3) > 1e-6 {
		t.Errorf("the grid ends at screen (%v,%v), want the bottom-right corner (1170,2532)", sx, sy)
	}
	if b, ok := c.BoxAt(390*3-1, 844*3-1); !ok || b != box(999, 999) {
		t.Errorf("bottom-right pixel shows box %d (%v), want 999999", b, ok)
	}
	c.LookAt(0, 999, 24)
	if b, ok := c.BoxAt(0, 844*3-1); !ok || b != box(0, 999) {
		t.Errorf("bottom-left pixel shows box %d (%v), want box (0,999)", b, ok)
	}
	// At Fit the grid is narrower than the screen: centred, whatever asked.
	c.Fit()
	c.Pan(300, 300)
	if x, y := c.Centre(); x != 500 || y != 500 {
		t.Errorf("a fitted grid panned to %v,%v, want it kept centred", x, y)
	}
}

func TestResizeKeepsCentreAndCSSZoom(t *testing.T) {
	c := New(800, 600, 1)
	c.LookAt(250, 750, 20)
	c.Resize(1600, 1200, 2)
	if x, y := c.CentreBox(); x != 250 || y != 750 || c.Zoom() != 20 || c.Scale() != 40 {
		t.Errorf("after resize: centre %d,%d zoom %v scale %v", x, y, c.Zoom(), c.Scale())
	}
}
