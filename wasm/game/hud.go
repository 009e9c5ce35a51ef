package game

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"slices"
	"strings"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// HUD geometry, in CSS pixels.
const (
	padCSS = 8
	// margin keeps panels off the screen's edge (and matches the minimap's).
	margin = minimapMargin
	// barH is the cooldown bar's height: thin enough to sit under the
	// message, thick enough to see it shrink.
	barH = 4
	// stackGap separates the panels stacked at the top centre.
	stackGap = 6
	// narrowCSS is the width below which the centre stack goes under the
	// title panel instead of beside it (a phone held upright).
	narrowCSS = 720
	// lineGap is the space between lines, as a share of the font size.
	lineGap = 1.3
	// budgetSteps quantises the click budget's meter: smooth enough to see
	// it refill, and a redraw only when it moves a step (about 18 a second
	// while it refills at 4 clicks a second over a burst of 7).
	budgetSteps = 32
)

// Text styles, sizes in CSS pixels: the title and counters large enough to
// read at a glance, help and hover small.
var (
	styleTitle   = textStyle{size: 20, bold: true, fg: color.RGBA{0xff, 0xff, 0xff, 0xff}}
	styleCounter = textStyle{size: 16, fg: color.RGBA{0xe8, 0xea, 0xed, 0xff}}
	styleStale   = textStyle{size: 16, fg: color.RGBA{0x9a, 0xa0, 0xa6, 0xff}}
	styleSmall   = textStyle{size: 13, fg: color.RGBA{0xbd, 0xc1, 0xc6, 0xff}}
	styleWarn    = textStyle{size: 13, bold: true, fg: color.RGBA{0xfd, 0xd6, 0x63, 0xff}}
	styleBanner  = textStyle{size: 17, bold: true, fg: color.RGBA{0x20, 0x21, 0x24, 0xff}}
	styleBanner2 = textStyle{size: 14, fg: color.RGBA{0x20, 0x21, 0x24, 0xff}}
	styleQuip    = textStyle{size: 16, bold: true, fg: color.RGBA{0xff, 0xff, 0xff, 0xff}}
	styleWhy     = textStyle{size: 13, fg: color.RGBA{0xff, 0xe4, 0xe0, 0xff}}
	styleHint    = textStyle{size: 16, bold: true, fg: color.RGBA{0x20, 0x21, 0x24, 0xff}}
	stylePrompt  = textStyle{size: 16, fg: color.RGBA{0xff, 0xff, 0xff, 0xff}}
)

var (
	panelBG    = color.RGBA{0x20, 0x21, 0x24, 0xe0}
	messageBG  = color.RGBA{0xb3, 0x26, 0x1e, 0xf0}
	bannerBG   = color.RGBA{0xf9, 0xab, 0x00, 0xff} // amber: unmissable, and not the rate limit's red
	hintBG     = color.RGBA{0xfe, 0xf7, 0xe0, 0xff}
	cooldownFG = color.RGBA{0xff, 0xd0, 0x60, 0xff}
	meterFG    = color.RGBA{0x8a, 0xb4, 0xf8, 0xff} // the click budget: light blue, calm, not a warning
)

// textStyle is how one line is set.
type textStyle struct {
	size float64 // CSS pixels
	bold bool
	fg   color.RGBA
}

// line is one line of a label.
type line struct {
	text  string
	style textStyle
}

// label is one HUD panel: lines of text on a background. It is rendered
// into its own image at device resolution only when its content, width or
// device scale changes, so text is crisp on any display and a frame costs
// one small quad per panel.
type label struct {
	lines []line
	bg    color.RGBA
	dpr   float64
	maxW  float64       // wrap width, device pixels (0: none)
	img   *ebiten.Image // only grows; the panel is its top-left w×h
	w, h  int           // device pixels; 0×0 when the label is empty
	pix   *image.RGBA   // CPU side of the panel, reused
}

// set gives the label its content and reports whether it changed. No
// lines hides the label. Lines wider than maxW device pixels wrap at
// spaces.
func (l *label) set(f *fonts, dpr, maxW float64, bg color.RGBA, lines ...line) bool {
	if bg == l.bg && dpr == l.dpr && maxW == l.maxW && slices.Equal(lines, l.lines) && (len(lines) > 0) == (l.w > 0) {
		return false
	}
	l.bg, l.dpr, l.maxW = bg, dpr, maxW
	l.lines = append(l.lines[:0], lines...)
	if len(lines) == 0 {
		l.w, l.h = 0, 0
		return true
	}
	pad := padCSS * dpr
	var set []line
	for _, ln := range lines {
		f.check(ln.text)
		set = append(set, wrap(f, ln, dpr, maxW-2*pad)...)
	}
	wmax, hsum := 0.0, 0.0
	for _, ln := range set {
		wmax = math.Max(wmax, advance(f.face(ln.style, dpr), ln.text))
		hsum += ln.style.size * lineGap * dpr
	}
	l.w, l.h = int(math.Ceil(wmax+2*pad)), int(math.Ceil(hsum+pad))
	if l.img == nil || l.img.Bounds().Dx() < l.w || l.img.Bounds().Dy() < l.h {
		if l.img != nil {
			l.img.Deallocate()
		}
		// Room to grow a little: counters change width as they count.
		l.img = ebiten.NewImage(l.w+int(40*dpr), l.h+int(8*dpr))
	}
	r := image.Rect(0, 0, l.w, l.h)
	if l.pix == nil || l.pix.Bounds() != r {
		l.pix = image.NewRGBA(r)
	}
	draw.Draw(l.pix, r, image.NewUniform(bg), image.Point{}, draw.Src)
	y := pad / 2
	for _, ln := range set {
		face := f.face(ln.style, dpr)
		lh := ln.style.size * lineGap * dpr
		m := face.Metrics()
		// Centre the line's ascent+descent in its line height.
		asc, desc := float64(m.Ascent)/64, float64(m.Descent)/64
		base := math.Round(y + (lh-(asc+desc))/2 + asc)
		d := font.Drawer{Dst: l.pix, Src: image.NewUniform(ln.style.fg), Face: face,
			Dot: fixed.P(int(math.Round(pad)), int(base))}
		d.DrawString(ln.text)
		y += lh
	}
	l.img.SubImage(r).(*ebiten.Image).WritePixels(l.pix.Pix)
	return true
}

// advance is the width of s in face, in device pixels.
func advance(face font.Face, s string) float64 {
	return float64(font.MeasureString(face, s)) / 64
}

// wrap breaks ln at spaces into lines no wider than maxW device pixels
// (a single word wider than that stays whole).
func wrap(f *fonts, ln line, dpr, maxW float64) []line {
	face := f.face(ln.style, dpr)
	if maxW <= 0 || advance(face, ln.text) <= maxW {
		return []line{ln}
	}
	var out []line
	cur := ""
	for _, w := range strings.Fields(ln.text) {
		next := w
		if cur != "" {
			next = cur + " " + w
		}
		if cur != "" && advance(face, next) > maxW {
			out = append(out, line{cur, ln.style})
			next = w
		}
		cur = next
	}
	return append(out, line{cur, ln.style})
}

// rect is where the label sits with its top-left at (x, y) device pixels.
func (l *label) rect(x, y float64) image.Rectangle {
	return image.Rect(int(x), int(y), int(x)+l.w, int(y)+l.h)
}

// draw draws the label with its top-left at (x, y) device pixels.
func (l *label) draw(dst *ebiten.Image, x, y float64) {
	if l.w == 0 {
		return
	}
	var op ebiten.DrawImageOptions
	op.GeoM.Translate(math.Round(x), math.Round(y))
	dst.DrawImage(l.img.SubImage(image.Rect(0, 0, l.w, l.h)).(*ebiten.Image), &op)
}

// hud is the text around the grid: the title and counters top-left; the
// alerts, the connection banner, the rate-limit message with its countdown
// bar, the jump prompt and the first-time hint stacked at the top centre
// (under the title on a narrow screen); help bottom-left, above the
// browser's toolbar. The canvas centre stays clear: that is where the
// player aims.
type hud struct {
	title, alert, banner, message, prompt, hint, help label
	// hover is the hovered box's lines on a narrow screen, bottom-left
	// above help: in the title panel there, they pushed the centre stack
	// (the announcement with it) down under a resting pointer. On a wide
	// screen they are the title panel's last lines.
	hover label
	// announce is the operator's announcement (announce.go), first in
	// the stack.
	announce   label
	past, away label // the time machine's and "while you were away" (timeinput.go, away.go)
	// op is the operator console's figures (console.go), top right under
	// the page's operator panel, opTop CSS pixels tall.
	op    label
	opTop float64
	// cooldown is the fraction of the cooldown bar shown, 0 for none.
	cooldown float64
	// budget is the click budget left (0 to 1) the meter under the title
	// shows, in steps of 1/budgetSteps; negative hides it (not synced yet).
	budget float64

	// Where each part was placed by the last layout, device pixels: what
	// draw draws and what hit tests.
	placed []placedLabel
	bar    image.Rectangle
	meter  image.Rectangle
}

type placedLabel struct {
	l    *label
	x, y float64
}

// narrow reports whether a w-device-pixel screen at dpr puts the centre
// stack under the title panel rather than beside it.
func narrow(w int, dpr float64) bool { return float64(w)/dpr < narrowCSS }

// stackWidth is the widest a centre-stack panel may be on a w-device-pixel
// screen: beside the title panel when there is room, else the full width.
func (h *hud) stackWidth(w int, dpr float64) float64 {
	if narrow(w, dpr) {
		return float64(w) - 2*margin*dpr
	}
	return float64(w) - 2*(float64(h.title.w)+2*margin*dpr)
}

// layout places the panels on a w×h device-pixel screen at dpr; bottom is
// the CSS height kept free at the bottom-left (the browser's toolbar).
func (h *hud) layout(w, hh int, dpr, bottom float64) {
	m := margin * dpr
	h.placed = h.placed[:0]
	place := func(l *label, x, y float64) {
		if l.w > 0 {
			h.placed = append(h.placed, placedLabel{l, x, y})
		}
	}
	place(&h.title, m, m)
	h.meter = image.Rectangle{}
	if h.budget >= 0 && h.title.w > 0 {
		// Under the title panel, as wide: the narrow stack's gap below it
		// (stackGap) leaves room.
		h.meter = image.Rect(int(m), int(m)+h.title.h, int(m)+h.title.w, int(m)+h.title.h+int(barH*dpr))
	}
	helpY := float64(hh) - m - bottom*dpr - float64(h.help.h)
	place(&h.help, m, helpY)
	if h.help.w > 0 {
		helpY -= stackGap * dpr
	}
	place(&h.hover, m, helpY-float64(h.hover.h))
	place(&h.op, float64(w)-m-float64(h.op.w), m+h.opTop*dpr)

	y := m
	if narrow(w, dpr) {
		y += float64(h.title.h) + stackGap*dpr
	}
	centre := func(pw int) float64 { return math.Round((float64(w) - float64(pw)) / 2) }
	h.bar = image.Rectangle{}
	for _, l := range []*label{&h.announce, &h.alert, &h.banner, &h.past, &h.away, &h.message, &h.prompt, &h.hint} {
		if l.w == 0 {
			continue
		}
		place(l, centre(l.w), y)
		y += float64(l.h)
		if l == &h.message && h.cooldown > 0 {
			x := centre(l.w)
			h.bar = image.Rect(int(x), int(y), int(x)+l.w, int(y+barH*dpr))
			y += barH * dpr
		}
		y += stackGap * dpr
	}
}

// draw draws the placed panels and the cooldown bar.
func (h *hud) draw(dst *ebiten.Image) {
	for _, p := range h.placed {
		p.l.draw(dst, p.x, p.y)
	}
	if !h.meter.Empty() {
		b := h.meter
		vector.FillRect(dst, float32(b.Min.X), float32(b.Min.Y), float32(b.Dx()), float32(b.Dy()), panelBG, false)
		vector.FillRect(dst, float32(b.Min.X), float32(b.Min.Y), float32(float64(b.Dx())*h.budget), float32(b.Dy()), meterFG, false)
	}
	if !h.bar.Empty() {
		b := h.bar
		vector.FillRect(dst, float32(b.Min.X), float32(b.Min.Y), float32(b.Dx()), float32(b.Dy()), panelBG, false)
		vector.FillRect(dst, float32(b.Min.X), float32(b.Min.Y), float32(float64(b.Dx())*h.cooldown), float32(b.Dy()), cooldownFG, false)
	}
}

// hit reports whether device-pixel point (x, y) lies on a panel drawn by
// the last layout: a press there belongs to the HUD, not the grid. The
// hint is not a panel to aim at: a tap on it reaches the grid.
func (h *hud) hit(x, y float64) bool {
	p := image.Pt(int(math.Floor(x)), int(math.Floor(y)))
	for _, pl := range h.placed {
		// The hint and the hover lines take no press: both show over the
		// grid, the hover lines wherever the pointer is.
		if pl.l != &h.hint && pl.l != &h.hover && p.In(pl.l.rect(pl.x, pl.y)) {
			return true
		}
	}
	return p.In(h.bar) || p.In(h.meter)
}

// thousands formats n with comma separators.
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
