package game

import (
	"fmt"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"checkgrid/protocol"
	"checkgrid/wasm/link"
)

// setHUD gives the HUD's panels this frame's text and reports whether any
// of it changed (so the frame must be redrawn).
func (g *Game) setHUD(now time.Duration) bool {
	h := &g.hud
	st := g.sess.Status()
	changed := false

	state := st.State.String()
	switch {
	case st.State == link.Connected && !st.Synced:
		state = "syncing"
	case st.State == link.Reconnecting && st.Synced:
		state = "reconnecting (showing last state)"
	}
	box := "box -"
	if g.hoverOK {
		box = fmt.Sprintf("box #%s (%d,%d)", thousands(int(g.hover)), g.hover%protocol.GridWidth, g.hover/protocol.GridWidth)
	}
	changed = h.stats.set(panelBG,
		"checked "+thousands(st.Checked),
		"online  "+thousands(st.Online),
		box,
		state,
	) || changed

	switch f := g.sess.Fatal(); {
	case f != "":
		changed = h.alert.set(messageBG, f) || changed
	case st.State == link.Failed:
		changed = h.alert.set(messageBG, "Disconnected. Please reload the page.") || changed
	default:
		changed = h.alert.set(messageBG) || changed
	}

	cooldown := 0.0
	if msg := g.sess.Message(now); msg != "" {
		if cd := g.sess.Cooldown(now); cd > 0 {
			msg = fmt.Sprintf("%s  (%.1fs)", msg, cd.Seconds())
			cooldown = min(1, cd.Seconds()/3)
		}
		changed = h.message.set(messageBG, msg) || changed
	} else {
		changed = h.message.set(messageBG) || changed
	}
	if cooldown != h.cooldown {
		h.cooldown, changed = cooldown, true
	}

	if g.jump.open {
		changed = h.prompt.set(panelBG, "jump to box: "+string(g.jump.text)+"_   (N or x,y; Enter)") || changed
	} else {
		changed = h.prompt.set(panelBG) || changed
	}

	mode := "drag: pan  shift+drag or P: draw"
	if g.paintMode {
		mode = "DRAW MODE (P to stop)"
	}
	help := mode + "  wheel/pinch/+-: zoom  F: fit  G: jump  F3: debug"
	if g.debug {
		changed = h.help.set(panelBG,
			fmt.Sprintf("fps %.1f  tps %.1f  update %.2f ms  draw %.2f ms", ebiten.ActualFPS(), ebiten.ActualTPS(), ms(g.updateCost), ms(g.drawCost)),
			fmt.Sprintf("seq %d  frames in %d  bytes in %s", st.Seq, st.Frames, thousands(int(st.Bytes))),
			fmt.Sprintf("pending %d  highlights %d  zoom %.2f css px/box  dpr %.2f", st.Pending, g.ras.Highlighted(), g.cam.Zoom(), g.dpr),
			help,
		) || changed
	} else {
		changed = h.help.set(panelBG, help) || changed
	}
	return changed
}

// ms is d in milliseconds, for the debug overlay.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
