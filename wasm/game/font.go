package game

import (
	"fmt"
	"slices"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
)

// fonts are the Go fonts (golang.org/x/image/font/gofont): a clear
// humanist sans with the punctuation the HUD prints (… · – −),
// rasterised by x/image's opentype package at the device's pixel size, so
// text is crisp at any device scale. A label is drawn on the CPU only when
// its text changes and uploaded as one small texture. (Ebiten's text/v2
// would do the same through go-text/typesetting's shaper, which the HUD's
// Latin text does not need and which cost 1 MB of the compressed wasm:
// 3.64 MB against 2.65 MB, where this costs 0.3 MB.) Faces are cached by
// size; the HUD uses a handful.
type fonts struct {
	regular, bold *opentype.Font
	// glyphs answers which runes the font has (both weights cover the
	// same set), so a string with a missing glyph is caught, not drawn
	// as a blank.
	glyphs  *sfnt.Font
	buf     sfnt.Buffer
	faces   map[faceKey]font.Face
	missing []rune // runes asked for that the font lacks, sorted
}

type faceKey struct {
	bold bool
	px   float64 // device pixels
}

func newFonts() (*fonts, error) {
	reg, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("game: Go Regular: %w", err)
	}
	bold, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, fmt.Errorf("game: Go Bold: %w", err)
	}
	return &fonts{regular: reg, bold: bold, glyphs: reg, faces: map[faceKey]font.Face{}}, nil
}

// face is the face for a style at dpr device pixels per CSS pixel.
func (f *fonts) face(st textStyle, dpr float64) font.Face {
	k := faceKey{st.bold, st.size * dpr}
	if fc := f.faces[k]; fc != nil {
		return fc
	}
	src := f.regular
	if st.bold {
		src = f.bold
	}
	// Full hinting: stems snap to device pixels, crisp at small sizes.
	xf, err := opentype.NewFace(src, &opentype.FaceOptions{Size: k.px, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		// Unreachable for a parsed font and a positive size.
		panic(fmt.Sprintf("game: font face at %.1f px: %v", k.px, err))
	}
	f.faces[k] = xf
	return xf
}

// check records the runes of s the font has no glyph for.
func (f *fonts) check(s string) {
	for _, r := range s {
		if r == '\n' || r == ' ' {
			continue
		}
		if g, err := f.glyphs.GlyphIndex(&f.buf, r); (err != nil || g == 0) && !slices.Contains(f.missing, r) {
			f.missing = append(f.missing, r)
			slices.Sort(f.missing)
		}
	}
}

// Missing lists the runes printed so far that the font lacks ("" if none):
// the test hooks report it, so an e2e run catches a blank glyph.
func (f *fonts) Missing() string { return string(f.missing) }
