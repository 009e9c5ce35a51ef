//go:build js

package host

import (
	"fmt"
	"syscall/js"

	"checkgrid/wasm/timeline"
)

// The time machine's panel (index.html: #time in the toolbar opens
// #timepanel with #when, the #scrub range, #play, #speed and #live). A
// range input is the scrubber because the browser makes it work with a
// mouse, a finger, the keyboard and a screen reader alike.

// scrubKeyShare is the share of the span an arrow key moves the scrubber
// (a page key ten times as far): the range's own step is a second, which
// on a day of history is no step at all.
const scrubKeyShare = 100

// timeUI is the panel's elements and what the player did to them since
// the game last asked.
type timeUI struct {
	button, panel, when, scrub, play, speed js.Value
	replay                                  js.Value // "while you were away": replay it
	dragging                                bool     // a pointer holds the scrubber
	seek                                    int64    // the moment the scrubber was moved to, Unix ms
	seekSet                                 bool
}

// wireTime connects the panel, if the page has one.
func (p *Page) wireTime(doc js.Value, on func(js.Value, string, func(js.Value)), send func(Command)) {
	byID := func(id string) js.Value { return doc.Call("getElementById", id) }
	t := &p.tm
	t.button, t.panel = byID("time"), byID("timepanel")
	if t.button.IsNull() || t.panel.IsNull() {
		t.button = js.Null()
		return
	}
	t.when, t.scrub, t.play, t.speed = byID("when"), byID("scrub"), byID("play"), byID("speed")
	for _, sp := range timeline.Speeds { // the game's ladder, one source
		o := doc.Call("createElement", "option")
		o.Set("textContent", sp.Label)
		t.speed.Call("appendChild", o)
	}
	on(t.button, "click", func(js.Value) { send(Command{Kind: CommandTime}) })
	if t.replay = byID("replay"); !t.replay.IsNull() {
		on(t.replay, "click", func(js.Value) { send(Command{Kind: CommandReplay}) })
	}
	on(byID("golive"), "click", func(js.Value) { send(Command{Kind: CommandLive}) })
	on(t.play, "click", func(js.Value) { send(Command{Kind: CommandPlay}) })
	on(t.speed, "change", func(js.Value) {
		send(Command{Kind: CommandSpeed, Value: int64(t.speed.Get("selectedIndex").Int())})
	})
	// Every movement of the thumb: the game shows the latest one it has
	// not fetched yet, so a fast drag costs a few fetches, not one each.
	on(t.scrub, "input", func(js.Value) {
		t.seek, t.seekSet = int64(t.scrub.Get("valueAsNumber").Float()), true
	})
	on(t.scrub, "pointerdown", func(js.Value) { t.dragging = true })
	on(t.scrub, "pointerup", func(js.Value) { t.dragging = false })
	on(t.scrub, "pointercancel", func(js.Value) { t.dragging = false })
	on(t.scrub, "keydown", func(ev js.Value) {
		lo, hi := t.scrub.Get("min").Float(), t.scrub.Get("max").Float()
		v, step := t.scrub.Get("valueAsNumber").Float(), (hi-lo)/scrubKeyShare
		switch ev.Get("key").String() {
		case "ArrowLeft", "ArrowDown":
			v -= step
		case "ArrowRight", "ArrowUp":
			v += step
		case "PageDown":
			v -= 10 * step
		case "PageUp":
			v += 10 * step
		default:
			return // Home, End, Tab: the browser's own
		}
		ev.Call("preventDefault")
		v = min(max(v, lo), hi)
		t.scrub.Set("value", v)
		t.seek, t.seekSet = int64(v), true
	})
}

// TakeSeek returns the moment the player last moved the scrubber to, once.
func (p *Page) TakeSeek() (int64, bool) {
	v, ok := p.tm.seek, p.tm.seekSet
	p.tm.seekSet = false
	return v, ok
}

// publishAway shows the Replay button while there is something to replay.
func (p *Page) publishAway(s, last AwayStatus) {
	o := js.Global().Get("Object").New()
	o.Set("since", float64(s.Since))
	o.Set("seen", float64(s.Seen))
	o.Set("changed", s.Changed)
	o.Set("inView", s.InView)
	p.obj.Set("away", o)
	if p.tm.replay.Truthy() && (s.Changed > 0) != (last.Changed > 0) {
		p.tm.replay.Set("hidden", s.Changed <= 0)
	}
}

// publishTime keeps the panel on the game's time machine.
func (p *Page) publishTime(s, last TimeStatus) {
	t := &p.tm
	o := js.Global().Get("Object").New()
	o.Set("mode", s.Mode)
	o.Set("at", float64(s.At))
	o.Set("start", float64(s.Start))
	o.Set("end", float64(s.End))
	o.Set("seq", float64(s.Seq))
	o.Set("speed", s.Speed)
	o.Set("shown", s.Shown)
	p.obj.Set("time", o)
	if t.button.IsNull() || s == last {
		return
	}
	past := s.Mode != "live"
	if past != (last.Mode != "live") || last.Mode == "" {
		t.button.Call("setAttribute", "aria-pressed", fmt.Sprint(past))
		t.panel.Set("hidden", !past)
	}
	if s.Start != last.Start || s.End != last.End {
		t.scrub.Set("min", float64(s.Start))
		t.scrub.Set("max", float64(s.End))
		t.scrub.Set("disabled", s.End <= s.Start)
	}
	if s.At != last.At && !t.dragging && !t.seekSet {
		t.scrub.Set("value", float64(s.At))
	}
	if s.Label != last.Label {
		t.when.Set("textContent", s.Label)
	}
	if s.Mode != last.Mode {
		playing := s.Mode == "playing"
		label := "Play"
		if playing {
			label = "Pause"
		}
		t.play.Set("textContent", label)
		t.play.Call("setAttribute", "aria-pressed", fmt.Sprint(playing))
	}
	if s.Speed != last.Speed || last.Mode == "" {
		t.speed.Set("selectedIndex", s.Speed)
	}
}
