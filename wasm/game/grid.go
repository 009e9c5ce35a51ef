package game

import (
	"image"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"checkgrid/wasm/raster"
)

// gridView draws the state texture through the grid shader.
type gridView struct {
	shader *ebiten.Shader
	state  *ebiten.Image
	verts  [4]ebiten.Vertex
	opts   ebiten.DrawTrianglesShaderOptions
	uni    map[string]any
}

// quadIndices are the two triangles of a quad.
var quadIndices = []uint16{0, 1, 2, 1, 2, 3}

func newGridView() (*gridView, error) {
	sh, err := newGridShader()
	if err != nil {
		return nil, err
	}
	// Unmanaged: the texture is ours alone, not packed into an atlas, so
	// row uploads touch only it.
	st := ebiten.NewImageWithOptions(image.Rect(0, 0, raster.Width, raster.Height), &ebiten.NewImageOptions{Unmanaged: true})
	g := &gridView{shader: sh, state: st, uni: map[string]any{}}
	g.opts.Images[0] = st
	g.opts.Uniforms = g.uni
	return g, nil
}

// upload copies the raster's changed rows to the texture.
func (g *gridView) upload(r *raster.Raster) {
	r.Dirty(func(y0, y1 int) {
		pix := r.Pix[y0*raster.RowBytes : y1*raster.RowBytes]
		if y0 == 0 && y1 == raster.Height {
			g.state.WritePixels(pix)
			return
		}
		g.state.SubImage(image.Rect(0, y0, raster.Width, y1)).(*ebiten.Image).WritePixels(pix)
	})
}

// draw renders world rectangle [wx0,wx1)×[wy0,wy1) of the grid into the
// screen rectangle [sx0,sx1)×[sy0,sy1) at scale device pixels per box.
func (g *gridView) draw(dst *ebiten.Image, sx0, sy0, sx1, sy1, wx0, wy0, wx1, wy1, scale float64, now time.Duration, frozen bool) {
	if sx1 <= sx0 || sy1 <= sy0 {
		return
	}
	xs := [2]float64{sx0, sx1}
	ys := [2]float64{sy0, sy1}
	us := [2]float64{wx0, wx1}
	vs := [2]float64{wy0, wy1}
	for i := range g.verts {
		g.verts[i] = ebiten.Vertex{
			DstX: float32(xs[i&1]), DstY: float32(ys[i>>1]),
			SrcX: float32(us[i&1]), SrcY: float32(vs[i>>1]),
			ColorR: 1, ColorG: 1, ColorB: 1, ColorA: 1,
		}
	}
	g.uni["Scale"] = float32(scale)
	g.uni["Frozen"] = float32(0)
	if frozen {
		g.uni["Frozen"] = float32(1)
	}
	g.uni["Now"] = float32(float64(now%(256*raster.Stamp)) / float64(raster.Stamp))
	dst.DrawTrianglesShader(g.verts[:], quadIndices, g.shader, &g.opts)
}
