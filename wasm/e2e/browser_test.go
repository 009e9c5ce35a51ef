//go:build !js

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The browser window: fixed size and scale, so pixels are predictable.
// Small on purpose: SwiftShader draws every pixel on the CPU, and at
// 1000×800 on a busy 2-core machine the client manages 1–2 frames a second
// (and a screenshot takes seconds); at 640×480 it is several times faster.
const (
	screenW = 640
	screenH = 480
)

const chromium = "/usr/bin/chromium"

// browser is one headless Chromium with a fresh profile.
type browser struct {
	t   testing.TB
	ctx context.Context
}

// newBrowser starts Chromium with the options below plus extra.
func newBrowser(t testing.TB, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s: %v (run `make deps`)", chromium, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(screenW, screenH),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		// WebGL without a GPU: ANGLE on SwiftShader.
		chromedp.Flag("use-angle", "swiftshader"),
		chromedp.Flag("enable-unsafe-swiftshader", true),
		chromedp.Flag("force-device-scale-factor", "1"),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		// Two pages animate side by side: neither may be throttled as
		// hidden or in the background.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
	}
	opts = append(opts, extra...)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	// The first Run starts the browser; it lives as long as bctx.
	if err := chromedp.Do(bctx); err != nil {
		bcancel()
		acancel()
		t.Fatalf("starting chromium: %v", err)
	}
	t.Cleanup(func() {
		bcancel()
		acancel()
	})
	return &browser{t: t, ctx: bctx}
}

// hooks mirrors window.checkgrid, the client's test hooks.
type hooks struct {
	Ready    bool      `json:"ready"`
	State    string    `json:"state"`
	Seq      float64   `json:"seq"`
	Checked  int       `json:"checked"`
	Online   int       `json:"online"`
	Frames   int       `json:"frames"`
	Rejected int       `json:"rejected"`
	Message  string    `json:"message"`
	Limit    string    `json:"limit"` // whose limit the message names
	Live     bool      `json:"live"`
	Zoom     float64   `json:"zoom"`
	X        int       `json:"x"` // the box at the centre of the view
	Y        int       `json:"y"`
	CX       float64   `json:"cx"` // the world point at the centre
	CY       float64   `json:"cy"`
	Draw     bool      `json:"draw"`
	Keyboard bool      `json:"keyboard"`
	Cursor   int       `json:"cursor"`
	Missing  string    `json:"missing"` // runes printed without a glyph
	Budget   float64   `json:"budget"`  // the click budget left, 0 to 1
	Time     timeHooks `json:"time"`    // the time machine (timemachine_test.go)
	Away     awayHooks `json:"away"`    // while you were away (timemachine_test.go)
	// HoverInfo is the hover label's history line (hover_test.go).
	HoverInfo string  `json:"hoverInfo"`
	Op        opHooks `json:"op"` // the operator console (operator_test.go)
}

// page is one tab (in its own window, so it gets animation frames).
type page struct {
	t      testing.TB
	name   string
	ctx    context.Context
	opened time.Time
	mu     lockedBuffer // console and exceptions
	last   shot
	// onEvent, if set, sees every event of the page too (a benchmark's
	// network log); it runs on chromedp's goroutine.
	onEvent atomic.Pointer[func(ev any)]
}

// open loads url in a new tab with the desktop viewport (screenW ×
// screenH at scale 1).
func (b *browser) open(name, url string) *page {
	b.t.Helper()
	return b.openIn(name, url, viewport{W: screenW, H: screenH, Scale: 1})
}

// listen keeps the page's console and uncaught exceptions for the
// artifacts.
func (p *page) listen(ev any) {
	if f := p.onEvent.Load(); f != nil {
		(*f)(ev)
	}
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range e.Args {
			if len(a.Value) > 0 {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		p.mu.WriteString(fmt.Sprintf("%s console.%s: %s\n", time.Now().Format("15:04:05.000"), e.Type, strings.Join(parts, " ")))
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		p.mu.WriteString(fmt.Sprintf("%s exception: %s\n", time.Now().Format("15:04:05.000"), msg))
	}
}

// saveFailure saves what the player saw and what the page said.
func (p *page) saveFailure() {
	if s, err := p.screenshot(); err == nil {
		p.t.Logf("%s: final screenshot: %s", p.name, saveArtifact(p.t, p.name+"-final.png", s.png))
	}
	if p.last.png != nil {
		p.t.Logf("%s: last polled screenshot: %s", p.name, saveArtifact(p.t, p.name+"-last.png", p.last.png))
	}
	h, err := p.hooks()
	log := fmt.Sprintf("hooks: %+v (err %v)\n%s", h, err, p.mu.String())
	p.t.Logf("%s: console: %s", p.name, saveArtifact(p.t, p.name+"-console.log", []byte(log)))
}

// fail saves a screenshot of the moment and fails the test, naming it.
func (p *page) fail(format string, args ...any) {
	p.t.Helper()
	msg := fmt.Sprintf(format, args...)
	where := ""
	if s, err := p.screenshot(); err == nil {
		where = saveArtifact(p.t, p.name+"-failure.png", s.png)
	}
	dir, _ := artifacts()
	p.t.Fatalf("%s: %s\nscreenshot: %s (artifacts in %s)", p.name, msg, where, dir)
}

// hooks reads window.checkgrid (nil fields if it is not there yet).
func (p *page) hooks() (hooks, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	js, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.checkgrid || {})`))
	var h hooks
	if err == nil {
		err = json.Unmarshal([]byte(js), &h)
	}
	return h, err
}

// waitHooks polls window.checkgrid until cond holds.
func (p *page) waitHooks(what string, timeout time.Duration, cond func(hooks) bool) hooks {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		h, err := p.hooks()
		if err == nil && cond(h) {
			return h
		}
		if time.Now().After(deadline) {
			p.fail("%s: not within %v (hooks %+v, err %v)", what, timeout, h, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// waitReady waits for the first Snapshot to be applied and drawn, and
// returns the time from opening the page.
func (p *page) waitReady() time.Duration {
	p.t.Helper()
	var booted, connected time.Duration
	p.waitHooks("window.checkgrid.ready", 120*time.Second, func(h hooks) bool {
		if booted == 0 && h.State != "" {
			booted = time.Since(p.opened) // Go's main is running
		}
		if connected == 0 && h.State == "connected" {
			connected = time.Since(p.opened)
		}
		return h.Ready
	})
	ready := time.Since(p.opened)
	p.t.Logf("%s: wasm running after %v, connected after %v, first frame after %v", p.name,
		booted.Round(time.Millisecond), connected.Round(time.Millisecond), ready.Round(time.Millisecond))
	return ready
}

// screenshot captures the viewport as the compositor shows it.
func (p *page) screenshot() (shot, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return shot{}, err
	}
	return decodeShot(b)
}

// waitPixels polls screenshots until cond returns "" (all good). Only
// screenshots started within timeout of since count; it returns when the
// one that matched was started and finished, relative to since. On timeout
// it fails with cond's last answer and saves that screenshot.
func (p *page) waitPixels(what string, since time.Time, timeout time.Duration, cond func(shot) string) (from, to time.Duration) {
	p.t.Helper()
	deadline := since.Add(timeout)
	why := "no screenshot taken"
	for {
		start := time.Now()
		if start.After(deadline) {
			path := "(none)"
			if p.last.png != nil {
				path = saveArtifact(p.t, p.name+"-mismatch.png", p.last.png)
			}
			dir, _ := artifacts()
			p.t.Fatalf("%s: %s: not within %v: %s\nlast screenshot: %s (artifacts in %s)", p.name, what, timeout, why, path, dir)
		}
		s, err := p.screenshot()
		if err != nil {
			p.fail("%s: screenshot: %v", what, err)
		}
		p.last = s
		if why = cond(s); why == "" {
			return start.Sub(since), time.Since(since)
		}
	}
}

// click presses the left button at (x, y), holds it for two frames and
// releases it, as a person does: a press and release inside one frame
// would never be seen by a game that polls the button each frame.
// It returns when the button was released, which is when a tap acts.
func (p *page) click(x, y float64) time.Time {
	p.t.Helper()
	p.mouseButtons(chromedp.MouseMoved, x, y, 0, 0)
	p.waitFrames(2)
	p.mouseButtons(chromedp.MousePressed, x, y, 1, 0)
	p.waitFrames(2)
	released := time.Now()
	p.mouseButtons(chromedp.MouseReleased, x, y, 0, 0)
	p.waitFrames(2)
	return released
}

// drag presses at (x0, y0), moves to (x1, y1) in steps frame by frame, and
// releases, with Shift held throughout if shift is set.
func (p *page) drag(x0, y0, x1, y1 float64, steps int, shift bool) {
	p.t.Helper()
	var mods int64
	if shift {
		mods = 8 // Shift, in CDP's modifier bits
		p.shiftKey(input.DispatchKeyEventTypeRawKeyDown)
	}
	p.mouseButtons(chromedp.MouseMoved, x0, y0, 0, mods)
	p.waitFrames(2)
	p.mouseButtons(chromedp.MousePressed, x0, y0, 1, mods)
	p.waitFrames(2)
	for i := 1; i <= steps; i++ {
		f := float64(i) / float64(steps)
		p.mouseButtons(chromedp.MouseMoved, x0+(x1-x0)*f, y0+(y1-y0)*f, 1, mods)
		p.waitFrames(1)
	}
	p.waitFrames(1)
	p.mouseButtons(chromedp.MouseReleased, x1, y1, 0, mods)
	p.waitFrames(2)
	if shift {
		p.shiftKey(input.DispatchKeyEventTypeKeyUp)
	}
}

// mouseButtons sends one mouse event; buttons is the held set (1 = left).
func (p *page) mouseButtons(typ input.DispatchMouseEventType, x, y float64, buttons, mods int64) {
	p.t.Helper()
	ev := input.DispatchMouseEventParams{Type: typ, X: x, Y: y, Buttons: buttons, Modifiers: mods, Button: input.MouseButtonNone}
	if typ != chromedp.MouseMoved {
		ev.Button, ev.ClickCount = input.MouseButtonLeft, 1
	}
	err := chromedp.Do(p.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.DispatchMouseEvent, ev)
		return err
	}))
	if err != nil {
		p.fail("mouse %s at (%.0f,%.0f): %v", typ, x, y, err)
	}
}

// shiftKey presses or releases the left Shift key.
func (p *page) shiftKey(typ input.DispatchKeyEventType) {
	p.t.Helper()
	ev := input.DispatchKeyEventParams{Type: typ, Key: "Shift", Code: "ShiftLeft", WindowsVirtualKeyCode: 16, NativeVirtualKeyCode: 16}
	if typ != input.DispatchKeyEventTypeKeyUp {
		ev.Modifiers = 8
	}
	err := chromedp.Do(p.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, ev)
		return err
	}))
	if err != nil {
		p.fail("Shift %s: %v", typ, err)
	}
}

// waitFrames waits until the client has drawn n more frames.
func (p *page) waitFrames(n int) {
	p.t.Helper()
	h, err := p.hooks()
	if err != nil {
		p.fail("reading hooks: %v", err)
	}
	from := h.Frames
	p.waitHooks(fmt.Sprintf("%d more frames after %d", n, from), 10*time.Second, func(h hooks) bool { return h.Frames >= from+n })
}

// setHash follows a deep link in the page without reloading it.
func (p *page) setHash(frag string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](fmt.Sprintf("location.hash = %q", frag))(ctx, t)
		return err
	})); err != nil {
		p.fail("setting location.hash: %v", err)
	}
}

// displayed asks the client whether box i shows checked (get(i)); only for
// explaining failures and cross-checking, never instead of pixels.
func (p *page) displayed(i uint32) int {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](fmt.Sprintf("window.checkgrid.get(%d)", i)))
	if err != nil {
		p.fail("window.checkgrid.get(%d): %v", i, err)
	}
	return v
}

// viewport is a page's emulated screen: CSS size, device scale, and
// whether it is a phone (mobile layout, touch events).
type viewport struct {
	W, H  int64
	Scale float64
	Phone bool
}

// openIn loads url in a new tab with viewport vp, after running the
// actions before (network throttling) in it.
func (b *browser) openIn(name, url string, vp viewport, before ...chromedp.Action[chromedp.Void]) *page {
	b.t.Helper()
	p := &page{t: b.t, name: name}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(p.listen))
	p.ctx = ctx
	b.t.Cleanup(func() {
		if b.t.Failed() {
			p.t = b.t // a subtest that borrowed the page has ended
			p.saveFailure()
		}
		cancel()
	})
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(vp.Scale)}
	if vp.Phone {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	p.opened = time.Now()
	actions := append([]chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(vp.W, vp.H, opts...)}, before...)
	if err := chromedp.Do(ctx, append(actions, chromedp.Navigate(url))...); err != nil {
		b.t.Fatalf("%s: opening %s: %v", name, url, err)
	}
	return p
}

// keyCodes are the DOM code, key and Windows virtual key code of the keys
// the tests press (Ebiten reads the code).
var keyCodes = map[string]struct {
	code, key string
	vk        int64
}{
	"K": {"KeyK", "k", 75}, "F": {"KeyF", "f", 70}, "Space": {"Space", " ", 32}, "Enter": {"Enter", "Enter", 13},
	"Right": {"ArrowRight", "ArrowRight", 39}, "Left": {"ArrowLeft", "ArrowLeft", 37},
	"Up": {"ArrowUp", "ArrowUp", 38}, "Down": {"ArrowDown", "ArrowDown", 40}, "Minus": {"Minus", "-", 189},
}

// press presses and releases a key, holding it for two frames like a
// person (the game polls keys once a frame).
func (p *page) press(name string) {
	p.t.Helper()
	k, ok := keyCodes[name]
	if !ok {
		p.t.Fatalf("no key %q", name)
	}
	send := func(typ input.DispatchKeyEventType) {
		ev := input.DispatchKeyEventParams{Type: typ, Code: k.code, Key: k.key, WindowsVirtualKeyCode: k.vk, NativeVirtualKeyCode: k.vk}
		if typ == input.DispatchKeyEventTypeKeyDown && len(k.key) == 1 {
			ev.Text = k.key
		}
		if typ == input.DispatchKeyEventTypeKeyDown && name == "Enter" {
			ev.Text = "\r" // what submits a form
		}
		err := chromedp.Do(p.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, ev)
			return err
		}))
		if err != nil {
			p.fail("key %s %s: %v", name, typ, err)
		}
	}
	send(input.DispatchKeyEventTypeKeyDown)
	p.waitFrames(2)
	send(input.DispatchKeyEventTypeKeyUp)
	p.waitFrames(2)
}

// insertText types s into the focused element, as a phone's keyboard does.
func (p *page) insertText(s string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: s})
		return err
	})); err != nil {
		p.fail("typing %q: %v", s, err)
	}
}

// touch dispatches one real touch event (Input.dispatchTouchEvent) with
// fingers at pts, in CSS px; none for the end of a touch.
func (p *page) touch(typ input.DispatchTouchEventType, pts ...*input.TouchPoint) {
	p.t.Helper()
	if pts == nil {
		pts = []*input.TouchPoint{} // the protocol wants an array, not null
	}
	err := chromedp.Do(p.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: typ, TouchPoints: pts})
		return err
	}))
	if err != nil {
		var at []string
		for _, pt := range pts {
			at = append(at, fmt.Sprintf("(%.0f,%.0f)", pt.X, pt.Y))
		}
		p.fail("touch %s at %v: %v", typ, at, err)
	}
}

// tap touches (x, y) CSS px with one finger and lifts it, holding for two
// frames.
func (p *page) tap(x, y float64) {
	p.t.Helper()
	p.touch(input.DispatchTouchEventTypeTouchStart, &input.TouchPoint{X: x, Y: y})
	p.waitFrames(2)
	p.touch(input.DispatchTouchEventTypeTouchEnd)
	p.waitFrames(2)
}

// rect is an element's box in CSS pixels.
type rect struct{ X, Y, W, H float64 }

// elementRect returns the bounding box of the element with id; layout
// only, for aiming and for checking sizes.
func (p *page) elementRect(id string) rect {
	p.t.Helper()
	js := fmt.Sprintf(`(() => { const r = document.getElementById(%q).getBoundingClientRect(); return JSON.stringify({X: r.x, Y: r.y, W: r.width, H: r.height}); })()`, id)
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](js))
	var r rect
	if err == nil {
		err = json.Unmarshal([]byte(s), &r)
	}
	if err != nil {
		p.fail("#%s's rectangle: %v", id, err)
	}
	return r
}

// focused is the id of the element with focus ("" for none).
func (p *page) focused() string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
	if err != nil {
		p.fail("document.activeElement: %v", err)
	}
	return s
}
