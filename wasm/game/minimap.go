package game

import (
	"image/color"
	"math"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"checkgrid/protocol"
	"checkgrid/wasm/camera"
	"checkgrid/wasm/raster"
)

// Minimap geometry, in CSS pixels.
const (
	minimapSize   = 160 // big enough to aim at a region, small enough to stay out of the way
	minimapMargin = 12
	// minimapShare caps the minimap at this share of the screen's shorter
	// side, so on a phone it leaves the grid room.
	minimapShare = 0.3
	// minimapMarkCSS is the smallest the view's mark on the minimap gets:
	// zoomed far in, the view's rectangle would shrink to a dot.
	minimapMarkCSS = 12
)

var (
	minimapFrame   = color.RGBA{0x5f, 0x63, 0x68, 0xff}
	minimapOutline = color.RGBA{0xff, 0x45, 0x45, 0xff}
	minimapCross   = color.RGBA{0xff, 0x45, 0x45, 0x90}
)

// minimapRect is where the minimap sits: the bottom-right corner, away
// from the canvas centre. All values are device pixels.
func minimapRect(cam *camera.Camera) (x, y, size float64) {
	w, h := cam.Size()
	dpr := cam.DPR()
	size = math.Min(minimapSize*dpr, math.Floor(math.Min(w, h)*minimapShare))
	return w - size - minimapMargin*dpr, h - size - minimapMargin*dpr, size
}

// minimapHit returns the world point under screen point (sx, sy) if it lies
// on the minimap.
func minimapHit(cam *camera.Camera, sx, sy float64) (wx, wy float64, ok bool) {
	x, y, s := minimapRect(cam)
	if sx < x || sy < y || sx >= x+s || sy >= y+s {
		return 0, 0, false
	}
	return (sx - x) / s * protocol.GridWidth, (sy - y) / s * protocol.GridHeight, true
}

// minimapView is the minimap's texture: one pixel per raster.Cell×Cell
// block, coloured by raster.Shade. Unlike the grid shader's zoomed-out
// average, a lone checked box tints its cell, so a small drawing shows;
// and it changes only when a box does, so it costs nothing per frame.
type minimapView struct {
	img *ebiten.Image
	op  ebiten.DrawImageOptions
}

func newMinimapView() *minimapView {
	return &minimapView{img: ebiten.NewImage(raster.CellsX, raster.CellsY)}
}

// upload copies the raster's minimap pixels if they changed.
func (m *minimapView) upload(r *raster.Raster) {
	r.Minimap(m.img.WritePixels)
}

// draw draws the whole grid small, with the view outlined.
func (m *minimapView) draw(dst *ebiten.Image, cam *camera.Camera) {
	x, y, s := minimapRect(cam)
	dpr := float32(cam.DPR())
	vector.FillRect(dst, float32(x)-2*dpr, float32(y)-2*dpr, float32(s)+4*dpr, float32(s)+4*dpr, minimapFrame, false)
	m.op = ebiten.DrawImageOptions{Filter: ebiten.FilterNearest}
	m.op.GeoM.Scale(s/raster.CellsX, s/raster.CellsY)
	m.op.GeoM.Translate(x, y)
	dst.DrawImage(m.img, &m.op)
	vx0, vy0, vx1, vy1 := cam.Visible()
	k := s / protocol.GridWidth
	rx, ry, rw, rh := x+vx0*k, y+vy0*k, (vx1-vx0)*k, (vy1-vy0)*k
	if mark := minimapMarkCSS * float64(dpr); rw < mark || rh < mark {
		// Zoomed far in: cross-hairs through the view's centre and a
		// square of a fixed size, so "you are here" stays visible.
		cx, cy := rx+rw/2, ry+rh/2
		vector.StrokeLine(dst, float32(x), float32(cy), float32(x+s), float32(cy), dpr, minimapCross, true)
		vector.StrokeLine(dst, float32(cx), float32(y), float32(cx), float32(y+s), dpr, minimapCross, true)
		rx, ry, rw, rh = cx-mark/2, cy-mark/2, mark, mark
	}
	vector.StrokeRect(dst, float32(rx), float32(ry), float32(rw), float32(rh), 2*dpr, minimapOutline, true)
}
