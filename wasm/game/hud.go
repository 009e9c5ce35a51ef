package game

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strings"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/ebitenutil"
	"github.com/hajimehoshi/ebiten/v2/vector"
)

// Text metrics of ebitenutil's debug font, in CSS pixels.
const (
	charW  = 6
	lineH  = 16
	padCSS = 6
	// barW and barH are the cooldown bar's size in CSS pixels: wide enough
	// to see it shrink, thin enough to sit under the message.
	barW = 160
	barH = 4
	// stackGap separates the panels stacked at the top centre, CSS pixels.
	stackGap = 4
)

var (
	panelBG    = color.RGBA{0x20, 0x21, 0x24, 0xd8}
	messageBG  = color.RGBA{0xb3, 0x26, 0x1e, 0xe8}
	cooldownFG = color.RGBA{0xff, 0xd0, 0x60, 0xff}
)

// label is one HUD panel: lines of text on a background. It is rendered
// into its own small image at CSS resolution only when its text changes and
// drawn scaled to device pixels with nearest filtering, so the pixel font
// stays crisp and a frame costs one small quad per panel instead of
// re-rasterising the text and compositing a full-screen layer.
type label struct {
	lines []string
	bg    color.RGBA
	img   *ebiten.Image // only grows; the panel is its top-left w×h
	w, h  int           // CSS pixels; 0×0 when the label is empty
}

// set gives the label its content and reports whether it changed. No
// lines hides the label.
func (l *label) set(bg color.RGBA, lines ...string) bool {
	if bg == l.bg && slices.Equal(lines, l.lines) && (len(lines) > 0) == (l.w > 0) {
		return false
	}
	l.bg = bg
	l.lines = append(l.lines[:0], lines...)
	if len(lines) == 0 {
		l.w, l.h = 0, 0
		return true
	}
	wmax := 0
	for _, s := range lines {
		wmax = max(wmax, len([]rune(s)))
	}
	l.w, l.h = wmax*charW+2*padCSS, len(lines)*lineH+padCSS
	if l.img == nil || l.img.Bounds().Dx() < l.w || l.img.Bounds().Dy() < l.h {
		if l.img != nil {
			l.img.Deallocate()
		}
		// Room to grow a little: the hover and debug lines change width
		// as the numbers in them do.
		l.img = ebiten.NewImage(l.w+8*charW, l.h)
	}
	l.img.Clear()
	vector.FillRect(l.img, 0, 0, float32(l.w), float32(l.h), bg, false)
	ebitenutil.DebugPrintAt(l.img, strings.Join(lines, "\n"), padCSS, padCSS/2)
	return true
}

// rect is where the label sits with its top-left at (x, y) device pixels.
func (l *label) rect(x, y, dpr float64) image.Rectangle {
	return image.Rect(int(x), int(y), int(math.Ceil(x+float64(l.w)*dpr)), int(math.Ceil(y+float64(l.h)*dpr)))
}

// draw draws the label with its top-left at (x, y) device pixels.
func (l *label) draw(dst *ebiten.Image, x, y, dpr float64) {
	if l.w == 0 {
		return
	}
	op := ebiten.DrawImageOptions{Filter: ebiten.FilterNearest}
	op.GeoM.Scale(dpr, dpr)
	op.GeoM.Translate(x, y)
	dst.DrawImage(l.img.SubImage(image.Rect(0, 0, l.w, l.h)).(*ebiten.Image), &op)
}

// hud is the text around the grid: counters top-left, alerts, the
// rate-limit message with its cooldown bar and the jump prompt stacked at
// the top centre, help and debug bottom-left. The canvas centre stays
// clear: that is where the player aims.
type hud struct {
	stats, alert, message, prompt, help label
	// cooldown is the fraction of the cooldown bar shown, 0 for none.
	cooldown float64

	// Where each part was placed by the last layout, device pixels: what
	// draw draws and what hit tests.
	placed []placedLabel
	bar    image.Rectangle
}

type placedLabel struct {
	l    *label
	x, y float64
}

// layout places the panels on a w×h device-pixel screen at dpr.
func (h *hud) layout(w, hh int, dpr float64) {
	snap := func(css float64) float64 { return math.Round(css * dpr) }
	h.placed = h.placed[:0]
	place := func(l *label, x, y float64) {
		if l.w > 0 {
			h.placed = append(h.placed, placedLabel{l, x, y})
		}
	}
	place(&h.stats, snap(minimapMargin), snap(minimapMargin))
	place(&h.help, snap(minimapMargin), float64(hh)-snap(minimapMargin+float64(h.help.h)))

	centre := func(css int) float64 { return math.Round((float64(w) - float64(css)*dpr) / 2) }
	y := float64(minimapMargin)
	h.bar = image.Rectangle{}
	if h.alert.w > 0 {
		place(&h.alert, centre(h.alert.w), snap(y))
		y += float64(h.alert.h + stackGap)
	}
	if h.message.w > 0 {
		place(&h.message, centre(h.message.w), snap(y))
		y += float64(h.message.h)
		if h.cooldown > 0 {
			x := centre(barW)
			h.bar = image.Rect(int(x), int(snap(y)), int(x+snap(barW)), int(snap(y+barH)))
		}
		y += 8
	}
	place(&h.prompt, centre(h.prompt.w), snap(y))
}

// draw draws the placed panels and the cooldown bar.
func (h *hud) draw(dst *ebiten.Image, dpr float64) {
	for _, p := range h.placed {
		p.l.draw(dst, p.x, p.y, dpr)
	}
	if !h.bar.Empty() {
		b := h.bar
		vector.FillRect(dst, float32(b.Min.X), float32(b.Min.Y), float32(b.Dx()), float32(b.Dy()), panelBG, false)
		vector.FillRect(dst, float32(b.Min.X), float32(b.Min.Y), float32(float64(b.Dx())*h.cooldown), float32(b.Dy()), cooldownFG, false)
	}
}

// hit reports whether device-pixel point (x, y) lies on a panel drawn by
// the last layout: a press there belongs to the HUD, not the grid.
func (h *hud) hit(x, y float64, dpr float64) bool {
	p := image.Pt(int(math.Floor(x)), int(math.Floor(y)))
	for _, pl := range h.placed {
		if p.In(pl.l.rect(pl.x, pl.y, dpr)) {
			return true
		}
	}
	return p.In(h.bar)
}

// thousands formats n with thin separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
