package game

import (
	"fmt"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"checkgrid/protocol"
	"checkgrid/wasm/conn"
)

// drawHUD draws the counters (top-left), the messages and prompt (top
// centre), the help line and debug overlay (bottom-left); the minimap has
// the bottom-right. The canvas centre stays clear: that is where the
// player aims (and where the end-to-end tests click).
func (g *Game) drawHUD(screen *ebiten.Image, now time.Duration) {
	h := &g.hud
	h.begin(g.w, g.h, g.dpr)
	st := g.sess.Status()

	state := st.State.String()
	switch {
	case st.State == conn.Connected && !st.Synced:
		state = "syncing"
	case st.State == conn.Reconnecting && st.Synced:
		state = "reconnecting (showing last state)"
	}
	box := "box -"
	if g.hoverOK {
		box = fmt.Sprintf("box #%s (%d,%d)", thousands(int(g.hover)), g.hover%protocol.GridWidth, g.hover/protocol.GridWidth)
	}
	mode := "drag: pan  shift+drag or P: draw"
	if g.paintMode {
		mode = "DRAW MODE (P to stop)"
	}
	h.panel(minimapMargin, minimapMargin, panelBG,
		fmt.Sprintf("checked %s", thousands(st.Checked)),
		fmt.Sprintf("online  %s", thousands(st.Online)),
		box,
		state,
	)

	y := minimapMargin
	if f := g.sess.Fatal(); f != "" {
		y += h.centred(y, messageBG, f) + 4
	} else if st.State == conn.Failed {
		y += h.centred(y, messageBG, "Disconnected. Please reload the page.") + 4
	}
	if msg := g.sess.Message(now); msg != "" {
		line := msg
		if cd := g.sess.Cooldown(now); cd > 0 {
			line = fmt.Sprintf("%s  (%.1fs)", msg, cd.Seconds())
		}
		y += h.centred(y, messageBG, line)
		if cd := g.sess.Cooldown(now); cd > 0 {
			h.bar(y, min(1, cd.Seconds()/3))
		}
		y += 8
	}
	if g.jump.open {
		h.centred(y, panelBG, "jump to box: "+string(g.jump.text)+"_   (N or x,y; Enter)")
	}

	help := []string{mode + "  wheel/pinch/+-: zoom  F: fit  G: jump  F3: debug"}
	if g.debug {
		help = append([]string{
			fmt.Sprintf("fps %.1f  tps %.1f  update %.2f ms", ebiten.ActualFPS(), ebiten.ActualTPS(), float64(g.tickCost.Microseconds())/1000),
			fmt.Sprintf("seq %d  frames in %d  bytes in %s", st.Seq, st.Frames, thousands(int(st.Bytes))),
			fmt.Sprintf("pending %d  highlights %d  zoom %.2f css px/box  dpr %.2f", st.Pending, g.ras.Highlighted(), g.cam.Zoom(), g.dpr),
		}, help...)
	}
	h.panel(minimapMargin, -minimapMargin, panelBG, help...)
	h.end(screen)
}
