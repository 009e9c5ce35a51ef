//go:build js

package host

import (
	"syscall/js"
	"time"

	"checkgrid/wasm/deeplink"
)

// Load reads the server URL from the page's origin (ws for http, wss for
// https, path /ws) and the view from the URL fragment.
func Load() (Config, error) {
	loc := js.Global().Get("location")
	scheme := "ws://"
	if loc.Get("protocol").String() == "https:" {
		scheme = "wss://"
	}
	cfg := Config{Server: scheme + loc.Get("host").String() + "/ws"}
	if v, err := deeplink.Parse(loc.Get("hash").String()); err == nil {
		cfg.View = &v
	}
	return cfg, nil
}

// fragmentEvery throttles history.replaceState: browsers rate-limit it
// (Safari throws past 100 calls in 30 s) and nobody shares a link mid-pan.
const fragmentEvery = 300 * time.Millisecond

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
}

// NewPage publishes window.checkgrid; its get(i) answers displayed(i).
func NewPage(displayed func(uint32) bool) *Page {
	p := &Page{obj: js.Global().Get("Object").New(), links: make(chan deeplink.View, 1)}
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
	return p
}

// WheelPinch reports whether the wheel events since the last call were a
// trackpad pinch (or Ctrl+wheel): the browser flags both with ctrlKey.
func (p *Page) WheelPinch() bool {
	v := p.pinch
	p.pinch = false
	return v
}

// Browser reports whether this is the browser build.
func (p *Page) Browser() bool { return true }

// Publish updates window.checkgrid.
func (p *Page) Publish(s Published) {
	o := p.obj
	o.Set("ready", s.Ready)
	o.Set("state", s.State)
	o.Set("seq", float64(s.Seq))
	o.Set("checked", s.Checked)
	o.Set("online", s.Online)
	o.Set("frames", s.Frames)
	o.Set("rejected", s.Rejected)
	o.Set("message", s.Message)
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
