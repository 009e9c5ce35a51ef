package gesture

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// p is a pointer literal: id, x, y.
func p(id int, x, y float64) Pointer { return Pointer{ID: id, X: x, Y: y} }

// describe prints actions compactly so a table can state them.
func describe(as []Action) string {
	var parts []string
	for _, a := range as {
		switch a.Kind {
		case Tap:
			parts = append(parts, fmt.Sprintf("tap %g,%g", a.X, a.Y))
		case Pan:
			parts = append(parts, fmt.Sprintf("pan %g,%g", a.DX, a.DY))
		case Pinch:
			parts = append(parts, fmt.Sprintf("pinch x%g at %g,%g", a.Factor, a.X, a.Y))
		case Paint:
			parts = append(parts, fmt.Sprintf("paint %g,%g-%g,%g", a.FromX, a.FromY, a.X, a.Y))
		}
	}
	return strings.Join(parts, "; ")
}

func TestRecognizer(t *testing.T) {
	tests := []struct {
		name   string
		paint  bool
		frames [][]Pointer
		want   string
	}{
		{"click", false, [][]Pointer{{p(0, 10, 10)}, {p(0, 10, 10)}, nil}, "tap 10,10"},
		{"jitter within slop is still a tap", false, [][]Pointer{{p(0, 10, 10)}, {p(0, 13, 12)}, nil}, "tap 10,10"},
		{"drag pans and never taps", false, [][]Pointer{{p(0, 10, 10)}, {p(0, 30, 10)}, {p(0, 30, 5)}, {p(0, 10, 10)}, nil},
			"pan 20,0; pan 0,-5; pan -20,5"},
		{"second finger pinches, no tap", false, [][]Pointer{{p(1, 100, 100)}, {p(1, 100, 100), p(2, 200, 100)}, {p(1, 50, 100), p(2, 250, 100)}, nil},
			"pinch x2 at 150,100"},
		{"lifting one pinch finger keeps panning", false, [][]Pointer{{p(1, 0, 0), p(2, 100, 0)}, {p(2, 100, 0)}, {p(2, 110, 0)}, nil},
			"pan 10,0"},
		{"paint stroke", true, [][]Pointer{{p(0, 5, 5)}, {p(0, 5, 5)}, {p(0, 25, 5)}, nil},
			"paint 5,5-5,5; paint 5,5-25,5"},
		{"nothing pressed", false, [][]Pointer{nil, nil}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Recognizer{Slop: 5}
			var got []Action
			for _, f := range tc.frames {
				got = r.Update(f, tc.paint, got)
			}
			if d := describe(got); d != tc.want {
				t.Errorf("got %q, want %q", d, tc.want)
			}
		})
	}
}

// draw renders cells of a w×h grid as an ASCII picture.
func draw(cells []uint32, w, h int) string {
	g := make([]byte, 0, (w+1)*h)
	for y := range h {
		for x := range w {
			c := byte('.')
			for _, i := range cells {
				if i == uint32(y*w+x) {
					c = 'x'
				}
			}
			g = append(g, c)
		}
		g = append(g, '\n')
	}
	return strings.TrimSpace(string(g))
}

func TestLine(t *testing.T) {
	tests := []struct {
		x0, y0, x1, y1 int
		want           string
	}{
		{0, 0, 4, 0, "xxxxx\n.....\n....."},
		{0, 0, 4, 2, "x....\n.xx..\n...xx"},
		{4, 2, 0, 0, "xx...\n..xx.\n....x"},
		{2, 0, 2, 2, "..x..\n..x..\n..x.."},
		{3, 1, 3, 1, ".....\n...x.\n....."},
	}
	for _, tc := range tests {
		got := draw(Line(tc.x0, tc.y0, tc.x1, tc.y1, 5, nil), 5, 3)
		if got != tc.want {
			t.Errorf("line %d,%d-%d,%d:\n%s\nwant\n%s", tc.x0, tc.y0, tc.x1, tc.y1, got, tc.want)
		}
	}
}

func TestClassifyWheel(t *testing.T) {
	tests := []struct {
		dx, dy           float64
		browser, zoomKey bool
		want             WheelIntent
	}{
		{0, 0, true, false, WheelNone},
		{0, -100, true, false, WheelZoom}, // Chrome mouse notch
		{0, -3.5, true, false, WheelPan},  // trackpad scroll
		{2, -1, true, false, WheelPan},    // trackpad diagonal
		{0, -3.5, true, true, WheelZoom},  // Ctrl + trackpad
		{0, 1, false, false, WheelZoom},   // GLFW mouse notch
		{0, 0.25, false, false, WheelPan}, // GLFW trackpad
		{0.5, 0, false, false, WheelPan},  // GLFW horizontal
	}
	for _, tc := range tests {
		if got := ClassifyWheel(tc.dx, tc.dy, tc.browser, tc.zoomKey); got != tc.want {
			t.Errorf("%+v: got %v", tc, got)
		}
	}
}

func TestWheelPinch(t *testing.T) {
	// Chrome's trackpad pinch: small vertical deltas, often with a
	// horizontal component, flagged Ctrl. It must zoom, not pan.
	for _, d := range [][2]float64{{0, 3}, {1.5, -2}, {0, -0.5}} {
		if got := ClassifyWheel(d[0], d[1], true, true); got != WheelZoom {
			t.Errorf("ClassifyWheel(%v, %v, browser, ctrl) = %v, want zoom", d[0], d[1], got)
		}
	}
	// Pinch out (dy > 0 in Ebiten's sign) zooms in, at Chrome's own rate:
	// 100 px of pinch scales by e.
	if f := WheelZoomFactor(100, true, true); math.Abs(f-math.E) > 1e-9 {
		t.Errorf("pinch factor for 100 = %v, want e", f)
	}
	if f := WheelZoomFactor(-3, true, true); f >= 1 || f < 0.9 {
		t.Errorf("pinch factor for -3 = %v, want a small zoom out", f)
	}
	// A mouse notch (100 px) zooms about 20%, with or without the flag's
	// help, and a desktop notch the same.
	for _, f := range []float64{WheelZoomFactor(100, true, false), WheelZoomFactor(1, false, false)} {
		if f < 1.15 || f > 1.25 {
			t.Errorf("notch factor %v, want ~1.2", f)
		}
	}
}
