package admin

import (
	"bytes"
	"image"
	"image/color"
	"image/png"

	"checkgrid/protocol"
)

// areaPalette is /api/grid.png's (PROTOCOL.md, HTTP): the console shows
// an area as every player's page would.
func areaPalette() color.Palette {
	return color.Palette{
		color.RGBA{0xf4, 0xf4, 0xf4, 0xff}, // unchecked
		color.RGBA{0x1f, 0x6f, 0xeb, 0xff}, // checked
	}
}

// areaPNG renders area a of a grid, one pixel a box, as a 1-bit PNG.
func areaPNG(a protocol.Area, checked func(i uint32) bool) ([]byte, error) {
	img := image.NewPaletted(image.Rect(0, 0, int(a.W), int(a.H)), areaPalette())
	eachBox(a, func(i uint32) {
		if checked(i) {
			x, y := int(i%protocol.GridWidth)-int(a.X), int(i/protocol.GridWidth)-int(a.Y)
			img.Pix[y*img.Stride+x] = 1
		}
	})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
