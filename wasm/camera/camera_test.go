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
		{1600, 1200, 2, 0, 0, 40, [2]float64{0, 0}, box(0, 0), true},
		{1600, 1200, 2, 0, 0, 40, [2]float64{-21, 0}, 0, false},
		{1600, 1200, 2, 0, 0, 40, [2]float64{19, 21}, box(0, 1), true},
		{1000, 1000, 1.5, 999, 999, 10, [2]float64{-10, -10}, box(998, 998), true},
		{801, 601, 1, 123, 456, 3, [2]float64{0, 0}, box(123, 456), true},
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
	if x, y := c.Centre(); x != 0 || y != 0 {
		t.Errorf("centre %v,%v after panning far away", x, y)
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
