package game

import (
	"fmt"
	"image/color"
	"math"
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
)

var (
	panelBG    = color.RGBA{0x20, 0x21, 0x24, 0xd8}
	messageBG  = color.RGBA{0xb3, 0x26, 0x1e, 0xe8}
	cooldownFG = color.RGBA{0xff, 0xd0, 0x60, 0xff}
)

// hud draws text panels at CSS resolution into an offscreen image that is
// scaled to device pixels with nearest filtering, so the pixel font stays
// crisp at integer device scales and readable at any.
type hud struct {
	img  *ebiten.Image
	w, h int
	op   ebiten.DrawImageOptions
}

// begin readies the HUD for a frame of a w×h device-pixel screen at dpr.
func (h *hud) begin(w, hh int, dpr float64) {
	cw, ch := int(math.Ceil(float64(w)/dpr)), int(math.Ceil(float64(hh)/dpr))
	if h.img == nil || cw != h.w || ch != h.h {
		if h.img != nil {
			h.img.Deallocate()
		}
		h.img = ebiten.NewImage(max(cw, 1), max(ch, 1))
		h.w, h.h = cw, ch
	}
	h.img.Clear()
	h.op = ebiten.DrawImageOptions{Filter: ebiten.FilterNearest}
	h.op.GeoM.Scale(dpr, dpr)
}

// panel draws lines of text in a box whose top-left is (x, y) CSS pixels;
// a negative x or y anchors the box to the right or bottom edge instead.
// It returns the box's height.
func (h *hud) panel(x, y int, bg color.Color, lines ...string) int {
	wmax := 0
	for _, l := range lines {
		wmax = max(wmax, len([]rune(l)))
	}
	pw, ph := wmax*charW+2*padCSS, len(lines)*lineH+padCSS
	if x < 0 {
		x = h.w + x - pw
	}
	if y < 0 {
		y = h.h + y - ph
	}
	vector.FillRect(h.img, float32(x), float32(y), float32(pw), float32(ph), bg, false)
	ebitenutil.DebugPrintAt(h.img, strings.Join(lines, "\n"), x+padCSS, y+padCSS/2)
	return ph
}

// centred draws one line in a box centred horizontally at row y.
func (h *hud) centred(y int, bg color.Color, line string) int {
	pw := len([]rune(line))*charW + 2*padCSS
	return h.panel((h.w-pw)/2, y, bg, line)
}

// bar draws a cooldown bar of fraction f under a centred box at row y.
func (h *hud) bar(y int, f float64) {
	const bw = 160
	x := (h.w - bw) / 2
	vector.FillRect(h.img, float32(x), float32(y), bw, 4, panelBG, false)
	vector.FillRect(h.img, float32(x), float32(y), float32(bw*f), 4, cooldownFG, false)
}

// end composites the HUD onto the screen.
func (h *hud) end(dst *ebiten.Image) { dst.DrawImage(h.img, &h.op) }

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
