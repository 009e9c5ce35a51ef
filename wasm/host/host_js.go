//go:build js

package host

import (
	"fmt"
	"syscall/js"
	"time"

	"checkgrid/wasm/deeplink"
)

// Load reads the server URL from the page's origin (ws for http, wss for
// https, path /ws) and the view from the URL fragment, or else from the
// place the page's first frame showed (window.checkgridFirst, a fragment).
func Load() (Config, error) {
	loc := js.Global().Get("location")
	scheme := "ws://"
	if loc.Get("protocol").String() == "https:" {
		scheme = "wss://"
	}
	cfg := Config{Server: scheme + loc.Get("host").String() + "/ws"}
	var hash string
	cfg.AdminToken, hash = adminToken(loc.Get("hash").String())
	if v, err := deeplink.Parse(hash); err == nil {
		cfg.View = &v
	} else if f := js.Global().Get("checkgridFirst"); f.Type() == js.TypeString {
		// The page painted the landing place already (index.html's first
		// frame): start exactly there, so the handover does not jump.
		if v, err := deeplink.Parse(f.String()); err == nil {
			cfg.View = &v
		}
	}
	return cfg, nil
}

// Page timing.
const (
	// fragmentEvery throttles history.replaceState: browsers rate-limit it
	// (Safari throws past 100 calls in 30 s) and nobody shares a link
	// mid-pan.
	fragmentEvery = 300 * time.Millisecond
	// announceEvery spaces out the live region's counter updates: a screen
	// reader reads each one aloud, and the counters change every tick.
	// Connection changes are announced at once.
	announceEvery = 15 * time.Second
	// toolbarGapCSS is the space between the toolbar and the HUD above it.
	toolbarGapCSS = 8
)

// canvasLabel is what a screen reader says for the game's canvas.
const canvasLabel = "A shared grid of a million checkboxes. Press K (or Space) for keyboard mode: " +
	"the arrow keys move a box cursor, Space checks or unchecks its box, Enter jumps to a box number."

// Page is the browser page: window.checkgrid and the URL fragment.
type Page struct {
	obj      js.Value
	get      js.Func
	onHash   js.Func
	onWheel  js.Func
	pinch    bool // a wheel event since the last WheelPinch had ctrlKey
	links    chan deeplink.View
	fragment string
	lastSet  time.Duration
	wrote    string // the fragment we wrote last, to ignore its hashchange

	commands  chan Command
	funcs     []js.Func // the toolbar's listeners, alive as long as the page
	toolbar   js.Value  // null when the page has none
	fit, draw js.Value
	keys      js.Value
	live      js.Value // the aria-live region
	budget    js.Value // the click budget's <meter>
	labelled  bool
	last      Published
	announced string    // the live region's counter text
	saidAnn   string    // the operator's announcement last said there
	spoken    time.Time // when it was last updated
	toolbarH  float64   // CSS pixels the toolbar takes at the bottom
	coarse    bool      // the primary pointer is a finger
	fine      bool      // some pointer is a mouse or a pen: likely a keyboard too
	tm        timeUI    // the time machine's panel (time_js.go)
	op        opUI      // the operator console's panel (operator_js.go)
}

// NewPage publishes window.checkgrid (its get(i) answers displayed(i))
// and wires the page's toolbar, jump form and live region, if it has them.
// The server is the page's own origin, whose localStorage keeps the seq
// seen (seen_js.go), so its URL is not needed here.
func NewPage(displayed func(uint32) bool, _ string) *Page {
	p := &Page{obj: js.Global().Get("Object").New(), links: make(chan deeplink.View, 1), commands: make(chan Command, 8)}
	p.get = js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) < 1 {
			return 0
		}
		i := args[0].Int()
		if i < 0 || i >= 1000*1000 || !displayed(uint32(i)) {
			return 0
		}
		return 1
	})
	p.obj.Set("get", p.get)
	p.obj.Set("ready", false)
	js.Global().Set("checkgrid", p.obj)
	// A player editing the fragment (or following a link on the page)
	// jumps there.
	p.onHash = js.FuncOf(func(js.Value, []js.Value) any {
		h := js.Global().Get("location").Get("hash").String()
		if h == p.wrote {
			return nil
		}
		if v, err := deeplink.Parse(h); err == nil {
			select {
			case p.links <- v:
			default:
			}
		}
		return nil
	})
	js.Global().Call("addEventListener", "hashchange", p.onHash)
	// Browsers report a trackpad pinch as wheel events with ctrlKey set
	// and no key down; Ebiten passes on only the deltas. Passive and on
	// the capture phase: it only looks, so it never delays scrolling or
	// misses an event Ebiten's own listener stops.
	p.onWheel = js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) > 0 && args[0].Get("ctrlKey").Truthy() {
			p.pinch = true
		}
		return nil
	})
	opts := js.Global().Get("Object").New()
	opts.Set("passive", true)
	opts.Set("capture", true)
	js.Global().Get("document").Call("addEventListener", "wheel", p.onWheel, opts)
	p.fine = true
	if mq := js.Global().Get("matchMedia"); mq.Truthy() {
		p.coarse = js.Global().Call("matchMedia", "(pointer: coarse)").Get("matches").Truthy()
		p.fine = js.Global().Call("matchMedia", "(any-pointer: fine)").Get("matches").Truthy()
	}
	p.wireToolbar()
	return p
}

// wireToolbar connects the page's controls (index.html: #toolbar with
// #jump, #fit, #draw, #keys; #jumpform with #jumpto; #live) to Commands.
// They are plain HTML buttons: big enough for a finger, reachable with Tab,
// named for screen readers, and a real text field brings up a phone's
// keyboard, which a canvas cannot.
func (p *Page) wireToolbar() {
	doc := js.Global().Get("document")
	byID := func(id string) js.Value { return doc.Call("getElementById", id) }
	p.live = byID("live")
	p.budget = byID("budget")
	p.toolbar = byID("toolbar")
	if p.toolbar.IsNull() {
		return
	}
	form, input := byID("jumpform"), byID("jumpto")
	p.fit, p.draw, p.keys = byID("fit"), byID("draw"), byID("keys")
	on := func(el js.Value, event string, f func(ev js.Value)) {
		fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
			f(args[0])
			return nil
		})
		p.funcs = append(p.funcs, fn)
		el.Call("addEventListener", event, fn)
	}
	send := func(c Command) {
		select {
		case p.commands <- c:
		default: // eight presses within one frame: the rest are lost
		}
	}
	focusCanvas := func() {
		if c := doc.Call("querySelector", "canvas"); c.Truthy() {
			c.Call("focus")
		}
	}
	on(byID("jump"), "click", func(js.Value) {
		open := form.Get("hidden").Truthy()
		form.Set("hidden", !open)
		if open {
			input.Set("value", "")
			// In the click's own handler, so a phone shows its keyboard.
			input.Call("focus")
		}
	})
	on(form, "submit", func(ev js.Value) {
		ev.Call("preventDefault")
		send(Command{Kind: CommandJump, Text: input.Get("value").String()})
		form.Set("hidden", true)
		input.Call("blur")
		focusCanvas()
	})
	on(input, "keydown", func(ev js.Value) {
		if ev.Get("key").String() == "Escape" {
			form.Set("hidden", true)
			focusCanvas()
		}
	})
	// A button clicked with a pointer gives the keyboard back to the game
	// (else K went to the button and Space pressed it again); one pressed
	// from the keyboard (Tab, then Enter or Space: a click of detail 0)
	// keeps the focus, so keyboard users stay in the toolbar.
	button := func(el js.Value, kind CommandKind) {
		on(el, "click", func(ev js.Value) {
			send(Command{Kind: kind})
			if kind == CommandKeyboard || ev.Get("detail").Int() > 0 {
				focusCanvas()
			}
		})
	}
	button(p.fit, CommandFit)
	button(byID("zoomin"), CommandZoomIn)
	button(p.draw, CommandDraw)
	button(p.keys, CommandKeyboard)
	p.wireTime(doc, on, send)
	p.wireOperator(doc, on, send)
	// Keyboard mode is for a keyboard: a device whose every pointer is a
	// finger (a phone) is shown no Keys button.
	p.keys.Set("hidden", !p.fine)
	p.toolbar.Set("hidden", false)
	p.toolbarH = p.toolbar.Call("getBoundingClientRect").Get("height").Float() + toolbarGapCSS
}

// Commands delivers what the page's controls asked for.
func (p *Page) Commands() <-chan Command { return p.commands }

// Coarse reports whether the page's primary pointer is a finger.
func (p *Page) Coarse() bool { return p.coarse }

// ToolbarCSS is the height, in CSS pixels, the toolbar takes at the
// bottom-left of the screen (and its gap): the HUD keeps clear of it.
func (p *Page) ToolbarCSS() float64 { return p.toolbarH }

// WheelPinch reports whether the wheel events since the last call were a
// trackpad pinch (or Ctrl+wheel): the browser flags both with ctrlKey.
func (p *Page) WheelPinch() bool {
	v := p.pinch
	p.pinch = false
	return v
}

// Browser reports whether this is the browser build.
func (p *Page) Browser() bool { return true }

// Publish updates window.checkgrid, the toolbar's state and the live
// region.
func (p *Page) Publish(s Published) {
	o := p.obj
	o.Set("ready", s.Ready)
	o.Set("state", s.State)
	o.Set("live", s.Live)
	o.Set("seq", float64(s.Seq))
	o.Set("checked", s.Checked)
	o.Set("online", s.Online)
	o.Set("frames", s.Frames)
	o.Set("rejected", s.Rejected)
	o.Set("message", s.Message)
	o.Set("limit", s.Limit)
	o.Set("zoom", s.Zoom)
	o.Set("x", s.CentreX)
	o.Set("y", s.CentreY)
	o.Set("cx", s.WorldX)
	o.Set("cy", s.WorldY)
	o.Set("draw", s.Draw)
	o.Set("keyboard", s.Keyboard)
	o.Set("cursor", s.Cursor)
	o.Set("missing", s.Missing)
	o.Set("budget", s.Budget)
	o.Set("announcement", s.Announcement)
	o.Set("hoverInfo", s.HoverInfo)
	if s.Budget != p.last.Budget && p.budget.Truthy() {
		p.budget.Set("value", s.Budget)
	}
	if !p.labelled {
		if c := js.Global().Get("document").Call("querySelector", "canvas"); c.Truthy() {
			c.Call("setAttribute", "role", "application")
			c.Call("setAttribute", "aria-label", canvasLabel)
			p.labelled = true
		}
	}
	if p.toolbar.Truthy() {
		if s.Draw != p.last.Draw {
			p.draw.Call("setAttribute", "aria-pressed", fmt.Sprint(s.Draw))
		}
		if s.Keyboard != p.last.Keyboard {
			p.keys.Call("setAttribute", "aria-pressed", fmt.Sprint(s.Keyboard))
		}
	}
	p.publishTime(s.Time, p.last.Time)
	p.publishAway(s.Away, p.last.Away)
	p.publishOperator(s.Operator)
	p.announce(s)
	p.last = s
}

// announce keeps the live region on the counters (at most every
// announceEvery) and the connection (at once).
func (p *Page) announce(s Published) {
	if !p.live.Truthy() || !s.Ready {
		return
	}
	var msg string
	switch {
	case s.Announcement != p.saidAnn:
		// The operator's message, said once, at once.
		p.saidAnn = s.Announcement
		if s.Announcement != "" {
			p.announced, p.spoken = "Announcement: "+s.Announcement, time.Now()
			p.live.Set("textContent", p.announced)
			return
		}
		msg = p.announced
	case s.State == "failed":
		msg = "Disconnected. Please reload the page."
	case !s.Live:
		msg = "Connection lost. The grid is frozen; reconnecting."
	default:
		msg = fmt.Sprintf("%d boxes checked, %d players online.", s.Checked, s.Online)
	}
	stateChanged := s.Live != p.last.Live || s.State != p.last.State
	if msg == p.announced || (!stateChanged && time.Since(p.spoken) < announceEvery) {
		return
	}
	p.announced, p.spoken = msg, time.Now()
	p.live.Set("textContent", msg)
}

// SetView keeps the URL fragment on v, at most every fragmentEvery.
func (p *Page) SetView(v deeplink.View, now time.Duration) {
	f := deeplink.Format(v)
	if f == p.fragment || now-p.lastSet < fragmentEvery {
		return
	}
	p.fragment, p.lastSet, p.wrote = f, now, f
	js.Global().Get("history").Call("replaceState", nil, "", f)
}

// Links delivers views the player navigated to by editing the fragment.
func (p *Page) Links() <-chan deeplink.View { return p.links }
