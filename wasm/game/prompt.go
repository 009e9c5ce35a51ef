package game

import (
	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"
)

// promptMax bounds the jump prompt's text ("999,999" or "999999").
const promptMax = 12

// prompt is the "jump to box" text field opened by G or J.
type prompt struct {
	open  bool
	text  []rune
	chars []rune
}

// update reads typed characters while the prompt is open. It returns the
// text and true when the player pressed Enter.
func (p *prompt) update() (string, bool) {
	if !p.open {
		return "", false
	}
	p.chars = ebiten.AppendInputChars(p.chars[:0])
	for _, c := range p.chars {
		if (c >= '0' && c <= '9' || c == ',' || c == ' ') && len(p.text) < promptMax {
			p.text = append(p.text, c)
		}
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyBackspace) && len(p.text) > 0 {
		p.text = p.text[:len(p.text)-1]
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyEscape) {
		p.close()
		return "", false
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyEnter) || inpututil.IsKeyJustPressed(ebiten.KeyNumpadEnter) {
		s := string(p.text)
		p.close()
		return s, true
	}
	return "", false
}

func (p *prompt) show() {
	p.open = true
	p.text = p.text[:0]
}

func (p *prompt) close() { p.open = false }
