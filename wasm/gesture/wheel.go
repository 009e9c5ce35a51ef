package gesture

import "math"

// WheelIntent is what a wheel event asks for.
type WheelIntent uint8

// Wheel intents.
const (
	WheelNone WheelIntent = iota
	WheelZoom             // a mouse wheel notch or a trackpad pinch
	WheelPan              // a trackpad two-finger scroll
)

func (w WheelIntent) String() string {
	switch w {
	case WheelZoom:
		return "zoom"
	case WheelPan:
		return "pan"
	}
	return "none"
}

// notchPixels is the smallest vertical delta, in browser wheel pixels, a
// mouse wheel notch produces (Chrome ~100, Firefox ~50 for one line of
// three); trackpads send many small deltas instead.
const notchPixels = 50

// Wheel zoom rates: the zoom factor is exp(dy × rate).
const (
	// notchZoomBrowser: a Chrome mouse wheel notch (100 px) zooms ~20%.
	notchZoomBrowser = 0.002
	// notchZoomDesktop: a GLFW notch (1) zooms ~20%.
	notchZoomDesktop = 0.18
	// pinchZoom: a trackpad pinch arrives as many small Ctrl+wheel deltas;
	// Chrome's own page zoom scales by exp(-deltaY/100), so the grid follows
	// the fingers as the page would.
	pinchZoom = 0.01
)

// WheelZoomFactor is how much a wheel event that zooms (ClassifyWheel)
// scales the view by: dy is the event's vertical delta (positive away from
// the player, which zooms in), browser as for ClassifyWheel, and pinch says
// the browser flagged the event as a trackpad pinch (Ctrl+wheel).
func WheelZoomFactor(dy float64, browser, pinch bool) float64 {
	switch {
	case browser && pinch:
		return math.Exp(dy * pinchZoom)
	case browser:
		return math.Exp(dy * notchZoomBrowser)
	}
	return math.Exp(dy * notchZoomDesktop)
}

// ClassifyWheel decides whether a wheel event (dx, dy) zooms or pans.
// browser says the deltas are browser pixels (else GLFW notches, where a
// mouse wheel sends whole numbers and a trackpad fractions); zoomKey says
// Ctrl or Meta is held, which browsers also report for trackpad pinches.
// A horizontal component means a trackpad: it pans.
func ClassifyWheel(dx, dy float64, browser, zoomKey bool) WheelIntent {
	switch {
	case dx == 0 && dy == 0:
		return WheelNone
	case zoomKey:
		return WheelZoom
	case dx != 0:
		return WheelPan
	case browser && math.Abs(dy) >= notchPixels:
		return WheelZoom
	case !browser && dy == math.Trunc(dy):
		return WheelZoom
	}
	return WheelPan
}
