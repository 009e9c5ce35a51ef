package wording

import (
	"testing"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"

	"checkgrid/wasm/throttle"
)

// TestGlyphs: the Go fonts the HUD uses (package game) have a glyph for
// every rune the client prints, in both weights: the fixed strings, every
// quip, and the digits and separators numbers are printed with.
func TestGlyphs(t *testing.T) {
	texts := append(All(), "0123456789,.-_%()")
	q := throttle.NewQuips(1)
	for range q.Len() {
		texts = append(texts, q.Next())
	}
	for name, ttf := range map[string][]byte{"Go Regular": goregular.TTF, "Go Bold": gobold.TTF} {
		f, err := sfnt.Parse(ttf)
		if err != nil {
			t.Fatal(err)
		}
		var buf sfnt.Buffer
		for _, s := range texts {
			for _, r := range s {
				if r == ' ' {
					continue
				}
				if g, err := f.GlyphIndex(&buf, r); err != nil || g == 0 {
					t.Errorf("%s has no glyph for %q (U+%04X) in %q", name, r, r, s)
				}
			}
		}
	}
}
