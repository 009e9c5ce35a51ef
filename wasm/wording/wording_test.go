package wording

import (
	"strings"
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
	texts := append(append(append(All(), TimeAll()...), OperatorAll()...), "0123456789,.-_%()×")
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

// TestTouchHelpNamesNoKeys: with a finger, no help line names a key (the
// phone showed "P or Draw to stop" in draw mode, with no keyboard to
// press P on); with a mouse the keys are named.
func TestTouchHelpNamesNoKeys(t *testing.T) {
	keys := []string{"P ", "P:", "K:", "F:", "G:", "Shift", "Space", "Enter", "Esc", "F3", "arrows"}
	for _, draw := range []bool{false, true} {
		h := Help(false, draw, true)
		for _, k := range keys {
			if strings.Contains(h, k) {
				t.Errorf("touch help (draw %v) %q names the key %q", draw, h, k)
			}
		}
		if m := Help(false, draw, false); !strings.Contains(m, "P") {
			t.Errorf("mouse help (draw %v) %q does not name P", draw, m)
		}
	}
}
