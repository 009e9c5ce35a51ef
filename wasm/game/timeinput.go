package game

import (
	"fmt"
	"image/color"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"

	"checkgrid/wasm/host"
	"checkgrid/wasm/timeline"
	"checkgrid/wasm/wording"
)

// The time machine's controls: the page's panel (host.Command*, and the
// scrubber's latest position from TakeSeek), the desktop's keys (T opens
// it and goes back to live, [ and ] step, Enter plays or pauses, , and .
// change the speed), and a deep link's moment (#…&t=).

// The past's panel: violet, apart from the live grid's blue, the
// highlight's amber, the banner's amber and the rate limit's red.
var (
	pastBG     = color.RGBA{0x5b, 0x3c, 0xc4, 0xff}
	stylePast  = textStyle{size: 17, bold: true, fg: color.RGBA{0xff, 0xff, 0xff, 0xff}}
	stylePast2 = textStyle{size: 13, fg: color.RGBA{0xe8, 0xe0, 0xff, 0xff}}
)

// timeCommand applies one press of the page's time controls.
func (g *Game) timeCommand(c host.Command, now time.Duration) {
	switch c.Kind {
	case host.CommandTime:
		if g.tm.past() {
			g.goLive()
		} else {
			g.openPast(time.Now(), now)
		}
	case host.CommandLive:
		g.goLive()
	case host.CommandPlay:
		g.togglePlay(now)
	case host.CommandSpeed:
		g.setSpeed(int(c.Value), now)
	case host.CommandSeek:
		g.openPast(time.UnixMilli(c.Value), now)
	case host.CommandReplay:
		g.replayAway(now)
	}
}

// timeInput reads the scrubber and the desktop's time keys.
func (g *Game) timeInput(now time.Duration) {
	if ms, ok := g.page.TakeSeek(); ok && g.tm.past() {
		g.seek(time.UnixMilli(ms), now)
	}
	if g.ctl.jump.open || g.tm.src == nil {
		return
	}
	pressed := inpututil.IsKeyJustPressed
	if pressed(ebiten.KeyT) {
		g.timeCommand(host.Command{Kind: host.CommandTime}, now)
		return
	}
	t := &g.tm
	if !t.past() {
		if pressed(ebiten.KeyR) {
			g.replayAway(now)
		}
		return
	}
	step := t.span.End.Sub(t.span.Start) / stepShare
	if ebiten.IsKeyPressed(ebiten.KeyShift) {
		step *= 10
	}
	switch {
	case repeat(ebiten.KeyBracketLeft) && step > 0:
		g.seek(t.span.Clamp(t.playhead(now).Add(-step)), now)
	case repeat(ebiten.KeyBracketRight) && step > 0:
		g.seek(t.span.Clamp(t.playhead(now).Add(step)), now)
	case pressed(ebiten.KeyEnter) && !g.ctl.keyboard.on, pressed(ebiten.KeyNumpadEnter) && !g.ctl.keyboard.on:
		g.togglePlay(now)
	case pressed(ebiten.KeyComma):
		g.setSpeed(t.speed-1, now)
	case pressed(ebiten.KeyPeriod):
		g.setSpeed(t.speed+1, now)
	case pressed(ebiten.KeyL):
		g.goLive()
	}
}

// linkMoment follows a deep link's moment: t= shows the past there, a link
// without one is live.
func (g *Game) linkMoment(at int64, now time.Duration) {
	if at != 0 {
		g.openPast(time.Unix(at, 0), now)
	} else {
		g.goLive()
	}
}

// timeStatus is the time machine's state for the page.
func (g *Game) timeStatus(now time.Duration) host.TimeStatus {
	t := &g.tm
	if !t.past() {
		return host.TimeStatus{Mode: t.mode.String(), Speed: t.speed}
	}
	at := t.playhead(now)
	s := host.TimeStatus{Mode: t.mode.String(), At: at.UnixMilli(), Seq: t.seq, Speed: t.speed,
		Label: at.Local().Format(wording.TimeLayout), Shown: t.played}
	if !t.span.End.IsZero() {
		s.Start, s.End = t.span.Start.UnixMilli(), t.span.End.UnixMilli()
	}
	return s
}

// linkAt is the moment a deep link to the view carries: the playhead in
// whole seconds in the past, 0 live.
func (g *Game) linkAt(now time.Duration) int64 {
	if !g.tm.past() {
		return 0
	}
	return g.tm.playhead(now).Unix()
}

// setPastLabel gives the HUD's past panel its text and reports whether it
// changed: what moment is shown, that it is read-only, and how to leave.
func (g *Game) setPastLabel(now time.Duration) bool {
	t := &g.tm
	h := &g.frame.hud
	stack := h.stackWidth(g.scr.w, g.scr.dpr)
	if !t.past() {
		return h.past.set(g.fonts, g.scr.dpr, stack, pastBG)
	}
	at := t.playhead(now).Local().Format(wording.TimeLayout)
	first := fmt.Sprintf(wording.PastFmt, at)
	switch {
	case !t.shown:
		first = wording.PastLoading
	case t.mode == timeline.Playing:
		first = fmt.Sprintf(wording.PastPlayFmt, at, timeline.Speeds[t.speed].Label)
	}
	lines := []line{{first, stylePast}}
	if g.ptr.touchMode {
		lines = append(lines, line{wording.PastReadTouch, stylePast2})
	} else {
		lines = append(lines, line{wording.PastReadOnly, stylePast2}, line{wording.PastKeys, stylePast2})
	}
	if t.err != nil {
		lines = append(lines, line{fmt.Sprintf(wording.PastErrorFmt, t.err), stylePast2})
	}
	return h.past.set(g.fonts, g.scr.dpr, stack, pastBG, lines...)
}
