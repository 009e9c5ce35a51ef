//go:build !js

package e2e

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
)

// What a screen pixel shows. The client's colours: background #202124,
// unchecked #f4f4f4, checked #1f6feb; a fresh change is tinted amber for a
// second (unchecked towards ~#fbd079, checked towards ~#a59b75), and the
// rate-limit message sits on #b3261e.
type look int

const (
	lookOther look = iota
	lookBackground
	lookUnchecked
	lookChecked
	lookMessage
)

func (l look) String() string {
	return [...]string{"other", "background", "unchecked", "checked", "message"}[l]
}

// classify separates the looks by brightness, which the amber tint keeps
// apart: the lightest checked shade (luma ~154) is far below the darkest
// unchecked one (~211), and the background is far below both.
func classify(r, g, b uint8) look {
	R, G, B := float64(r), float64(g), float64(b)
	luma := 0.299*R + 0.587*G + 0.114*B
	switch {
	case max(R, G, B) < 70:
		return lookBackground
	case R > 140 && G < 90 && B < 90:
		return lookMessage
	case luma >= 185:
		return lookUnchecked
	case luma >= 60:
		return lookChecked
	}
	return lookOther
}

// shot is one decoded screenshot.
type shot struct {
	img image.Image
	png []byte
}

func decodeShot(b []byte) (shot, error) {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return shot{}, fmt.Errorf("decoding screenshot: %w", err)
	}
	return shot{img: img, png: b}, nil
}

func (s shot) size() (w, h int) {
	r := s.img.Bounds()
	return r.Dx(), r.Dy()
}

func (s shot) at(x, y int) look {
	r := s.img.Bounds()
	c := s.img.At(r.Min.X+x, r.Min.Y+y)
	R, G, B, _ := c.RGBA()
	return classify(uint8(R>>8), uint8(G>>8), uint8(B>>8))
}

// share is the fraction of pixels in rect that look like l.
func (s shot) share(rect image.Rectangle, l look) float64 {
	n, hit := 0, 0
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			n++
			if s.at(x, y) == l {
				hit++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(hit) / float64(n)
}

// view is where a deep link put the camera: box (X, Y) centred in a w×h
// screen at zoom device pixels per box.
type view struct {
	X, Y int
	Zoom float64
	W, H int     // screen size, device pixels
	OffX float64 // screen position of the window (desktop: the root window holds it)
	OffY float64
	// CX, CY is the world point at the screen's centre when it is not box
	// (X, Y)'s middle (after a zoom about the pointer); 0 means it is.
	CX, CY float64
}

// boxOrigin is the screen position of box (x, y)'s top-left corner.
func (v view) boxOrigin(x, y int) (float64, float64) {
	cx, cy := float64(v.X)+0.5, float64(v.Y)+0.5
	if v.CX != 0 || v.CY != 0 {
		cx, cy = v.CX, v.CY
	}
	sx := v.OffX + float64(v.W)/2 + (float64(x)-cx)*v.Zoom
	sy := v.OffY + float64(v.H)/2 + (float64(y)-cy)*v.Zoom
	return sx, sy
}

// centre is the screen point in the middle of box (x, y): where to click.
func (v view) centre(x, y int) (float64, float64) {
	sx, sy := v.boxOrigin(x, y)
	return sx + v.Zoom/2, sy + v.Zoom/2
}

// boxLook reads box (x, y) from the pixels: the majority look of a patch in
// the box's upper middle, which is its fill at every zoom (clear of the gap
// and border around it and of the check mark drawn in it).
func (s shot) boxLook(v view, x, y int) (look, string) {
	ox, oy := v.boxOrigin(x, y)
	cx, cy := ox+0.5*v.Zoom, oy+0.27*v.Zoom
	r := int(math.Floor(0.09 * v.Zoom))
	counts := map[look]int{}
	n := 0
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			counts[s.at(int(math.Floor(cx))+dx, int(math.Floor(cy))+dy)]++
			n++
		}
	}
	best, bestN := lookOther, 0
	for l, c := range counts {
		if c > bestN {
			best, bestN = l, c
		}
	}
	if bestN*10 < n*7 {
		best = lookOther // no clear majority: not a box fill
	}
	return best, fmt.Sprintf("box (%d,%d) at (%.0f,%.0f): %v", x, y, cx, cy, counts)
}

// expect is a box and the look it should have.
type expect struct {
	X, Y int
	Look look
}

// check returns "" if every box looks as expected, else what differs.
func (s shot) check(v view, want []expect) string {
	var bad []string
	for _, e := range want {
		if got, detail := s.boxLook(v, e.X, e.Y); got != e.Look {
			bad = append(bad, fmt.Sprintf("want %v, got %v: %s", e.Look, got, detail))
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprint(bad)
}
