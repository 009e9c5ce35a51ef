package game

import (
	"fmt"
	"math"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"checkgrid/protocol"
	"checkgrid/wasm/link"
	"checkgrid/wasm/throttle"
	"checkgrid/wasm/wording"
)

// live reports whether the grid on screen is the server's, now: connected
// and synced. Anything else after the first sync is shown frozen.
func (g *Game) live() bool {
	st := g.sess.Status()
	return st.State == link.Connected && st.Synced
}

// setHUD gives the HUD's panels this frame's text and reports whether any
// of it changed (so the frame must be redrawn).
func (g *Game) setHUD(now time.Duration) bool {
	h := &g.frame.hud
	f, dpr := g.fonts, g.scr.dpr
	st := g.sess.Status()
	changed := false
	w := float64(g.scr.w)
	full := w - 2*margin*dpr

	counters := line{fmt.Sprintf(wording.CountersFmt, thousands(st.Checked), thousands(st.Online)), styleCounter}
	lines := []line{{wording.Title, styleTitle}, counters}
	switch {
	case st.State == link.Connected && st.Synced:
	case !g.sync.ever && st.State == link.Connected:
		lines = append(lines, line{wording.StateSyncing, styleWarn})
	case !g.sync.ever:
		lines = append(lines, line{wording.StateConnecting, styleWarn})
	default:
		lines[1].style = styleStale
		lines = append(lines, line{wording.Stale, styleWarn})
	}
	if near := g.nearText(); near != "" {
		lines = append(lines, line{near, styleSmall})
	}
	var hover []line
	if g.ptr.hoverOK && !g.ptr.touchMode {
		hover = append(hover, line{fmt.Sprintf(wording.HoverFmt, g.ptr.hover, g.ptr.hover%protocol.GridWidth, g.ptr.hover/protocol.GridWidth), styleSmall})
		if info := g.boxInfoLine(); info != "" {
			hover = append(hover, line{info, styleSmall})
		}
	}
	if narrow(g.scr.w, dpr) {
		changed = h.hover.set(f, dpr, full, panelBG, hover...) || changed
	} else {
		lines = append(lines, hover...)
		changed = h.hover.set(f, dpr, full, panelBG) || changed
	}
	changed = h.title.set(f, dpr, full, panelBG, lines...) || changed
	stack := h.stackWidth(g.scr.w, dpr)
	changed = g.setAnnouncement(now, stack) || changed

	switch fatal := g.sess.Fatal(); {
	case fatal != "":
		changed = h.alert.set(f, dpr, stack, messageBG, line{fatal, styleQuip}) || changed
	case st.State == link.Failed:
		changed = h.alert.set(f, dpr, stack, messageBG, line{wording.Failed, styleQuip}) || changed
	default:
		changed = h.alert.set(f, dpr, stack, messageBG) || changed
	}
	if g.sync.ever && st.State != link.Connected && st.State != link.Failed {
		changed = h.banner.set(f, dpr, stack, bannerBG, line{wording.Lost, styleBanner}, line{wording.Lost2, styleBanner2}) || changed
	} else {
		changed = h.banner.set(f, dpr, stack, bannerBG) || changed
	}

	budget := -1.0
	if g.sync.ever {
		budget = math.Round(g.sess.ClickBudget(now)*budgetSteps) / budgetSteps
	}
	if budget != h.budget {
		h.budget, changed = budget, true
	}

	cooldown := 0.0
	if lim := g.sess.Limit(now); lim.Source != throttle.None {
		msg := []line{{lim.Quip, styleQuip}}
		switch lim.Source {
		case throttle.Connecting:
		case throttle.Frozen, throttle.Banned:
			msg = append(msg, line{lim.Why, styleWhy}) // the operator's: no countdown to promise
		default:
			when := wording.GoAhead
			if lim.Remaining > 0 {
				// Rounded up, so it never shows 0.0 while still refusing.
				when = fmt.Sprintf(wording.BackInFmt, float64((lim.Remaining+99*time.Millisecond)/(100*time.Millisecond))/10)
			}
			msg = append(msg, line{lim.Why + " " + when, styleWhy})
			if lim.Total > 0 {
				cooldown = float64(lim.Remaining) / float64(lim.Total)
			}
		}
		changed = h.message.set(f, dpr, stack, messageBG, msg...) || changed
	} else {
		changed = h.message.set(f, dpr, stack, messageBG) || changed
	}
	if cooldown != h.cooldown {
		h.cooldown, changed = cooldown, true
	}

	changed = g.setPastLabel(now) || changed
	changed = g.setAwayLabel() || changed
	changed = g.setConsoleLabel() || changed
	if g.ctl.jump.open {
		changed = h.prompt.set(f, dpr, stack, panelBG,
			line{fmt.Sprintf(wording.JumpFmt, string(g.ctl.jump.text)), stylePrompt}, line{wording.PromptHelp, styleSmall}) || changed
	} else {
		changed = h.prompt.set(f, dpr, stack, panelBG) || changed
	}

	if st.Mine == 0 && !g.ctl.jump.open && !g.tm.past() { // the past is read-only: no "click a box"
		hint := wording.HintMouse
		switch {
		case g.cam.Zoom() < minToggleZoom && g.ptr.touchMode:
			hint = wording.HintZoomT
		case g.cam.Zoom() < minToggleZoom:
			hint = wording.HintZoom
		case g.ptr.touchMode:
			hint = wording.HintTouch
		}
		changed = h.hint.set(f, dpr, stack, hintBG, line{hint, styleHint}) || changed
	} else {
		changed = h.hint.set(f, dpr, stack, hintBG) || changed
	}

	var help []line
	if g.ctl.debug {
		help = append(help,
			line{fmt.Sprintf("fps %.1f  tps %.1f  update %.2f ms  draw %.2f ms", ebiten.ActualFPS(), ebiten.ActualTPS(), ms(g.updateCost), ms(g.frame.drawCost)), styleSmall},
			line{fmt.Sprintf("seq %d  frames in %d  bytes in %s", st.Seq, st.Frames, thousands(int(st.Bytes))), styleSmall},
			line{fmt.Sprintf("pending %d  highlights %d  zoom %.2f css px/box  dpr %.2f", st.Pending, g.ras.Highlighted(), g.cam.Zoom(), g.scr.dpr), styleSmall})
	}
	style := styleSmall
	if g.ctl.paintMode && !g.ctl.keyboard.on {
		style = styleWarn
	}
	help = append(help, line{wording.Help(g.ctl.keyboard.on, g.ctl.paintMode, g.ptr.touchMode), style})
	x0, _, _ := minimapRect(&g.cam)
	changed = h.help.set(f, dpr, x0-2*margin*dpr, panelBG, help...) || changed
	return changed
}

// ms is d in milliseconds, for the debug overlay.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
