package game

import (
	"image"
	"image/color"
	"math"
	"time"

	"checkgrid/wasm/wording"
)

// The operator's announcement (version 3, session.Announcement): a banner
// at the top of the centre stack, above everything else there, in a colour
// no other panel uses, until the player clicks or taps it (which dismisses
// it), its time runs out or the server withdraws it.

var (
	announceBG    = color.RGBA{0x5b, 0x2c, 0x8f, 0xff} // violet: the operator's voice, unlike any game message
	styleAnnounce = textStyle{size: 17, bold: true, fg: color.RGBA{0xff, 0xff, 0xff, 0xff}}
	styleDismiss  = textStyle{size: 13, fg: color.RGBA{0xe4, 0xd7, 0xf5, 0xff}}
)

// setAnnouncement gives the announcement panel this frame's text and
// reports whether it changed.
func (g *Game) setAnnouncement(now time.Duration, width float64) bool {
	text, ok := g.sess.Announcement(now)
	if !ok {
		return g.frame.hud.announce.set(g.fonts, g.scr.dpr, width, announceBG)
	}
	dismiss := wording.AnnounceDismiss
	if g.ptr.touchMode {
		dismiss = wording.AnnounceDismissTouch
	}
	return g.frame.hud.announce.set(g.fonts, g.scr.dpr, width, announceBG, line{text, styleAnnounce}, line{dismiss, styleDismiss})
}

// announcementHit reports whether device-pixel point (x, y) lies on the
// announcement banner as last laid out.
func (h *hud) announcementHit(x, y float64) bool {
	p := image.Pt(int(math.Floor(x)), int(math.Floor(y)))
	for _, pl := range h.placed {
		if pl.l == &h.announce {
			return p.In(pl.l.rect(pl.x, pl.y))
		}
	}
	return false
}
