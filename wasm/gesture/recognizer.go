package gesture

import (
	"fmt"
	"math"
	"slices"
)

// Pointer is one pressed pointer (the mouse button or a touch) in screen
// device pixels.
type Pointer struct {
	ID   int
	X, Y float64
}

// Kind is what an Action does.
type Kind uint8

// Action kinds.
const (
	Tap   Kind = iota + 1 // toggle the box at (X, Y)
	Pan                   // move the view by (DX, DY)
	Pinch                 // zoom by Factor about (X, Y), and move by (DX, DY)
	Paint                 // paint the stroke from (FromX, FromY) to (X, Y)
)

func (k Kind) String() string {
	switch k {
	case Tap:
		return "tap"
	case Pan:
		return "pan"
	case Pinch:
		return "pinch"
	case Paint:
		return "paint"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Action is one recognised step of a gesture.
type Action struct {
	Kind         Kind
	X, Y         float64
	FromX, FromY float64 // Paint: where the stroke segment starts
	DX, DY       float64 // Pan, Pinch: movement in device pixels
	Factor       float64 // Pinch: zoom factor since the last frame
	First        bool    // Paint: the first segment of a stroke
}

// state is the recognizer's phase.
type state uint8

const (
	idle     state = iota
	pressed        // one pointer down, still within Slop: may become a tap
	dragging       // panning; never taps
	painting       // a paint stroke
	pinching       // two or more pointers
)

// Recognizer tracks one gesture at a time.
type Recognizer struct {
	// Slop is how far, in device pixels, a press may wander and still be a
	// tap. Set it from the device scale: finger jitter is in CSS pixels.
	Slop float64

	state          state
	id             int     // the tracked pointer (pressed, dragging, painting)
	startX, startY float64 // where the press began
	lastX, lastY   float64 // where it was last frame
	pinchIDs       [2]int
	pinchDist      float64
	sorted         []Pointer
}

// Update advances the gesture to the pointers down this frame and appends
// the resulting actions to dst. paint says whether a press that begins now
// starts a paint stroke (Shift held, or draw mode).
func (r *Recognizer) Update(ps []Pointer, paint bool, dst []Action) []Action {
	r.sorted = append(r.sorted[:0], ps...)
	slices.SortFunc(r.sorted, func(a, b Pointer) int { return a.ID - b.ID })
	ps = r.sorted

	if len(ps) >= 2 {
		return r.pinch(ps, dst)
	}
	if len(ps) == 0 {
		if r.state == pressed {
			dst = append(dst, Action{Kind: Tap, X: r.startX, Y: r.startY})
		}
		r.state = idle
		return dst
	}
	p := ps[0]
	switch r.state {
	case idle:
		r.id, r.startX, r.startY, r.lastX, r.lastY = p.ID, p.X, p.Y, p.X, p.Y
		if paint {
			r.state = painting
			return append(dst, Action{Kind: Paint, X: p.X, Y: p.Y, FromX: p.X, FromY: p.Y, First: true})
		}
		r.state = pressed
	case pressed:
		if p.ID != r.id {
			// A different pointer: the first lifted as another landed.
			// Ambiguous, so neither a tap nor a jump.
			r.toDrag(p)
			return dst
		}
		if math.Hypot(p.X-r.startX, p.Y-r.startY) > r.Slop {
			r.state = dragging
			dst = append(dst, Action{Kind: Pan, DX: p.X - r.startX, DY: p.Y - r.startY})
			r.lastX, r.lastY = p.X, p.Y
		}
	case dragging:
		if p.ID != r.id {
			r.toDrag(p)
			return dst
		}
		if p.X != r.lastX || p.Y != r.lastY {
			dst = append(dst, Action{Kind: Pan, DX: p.X - r.lastX, DY: p.Y - r.lastY})
		}
		r.lastX, r.lastY = p.X, p.Y
	case painting:
		if p.ID != r.id {
			r.toDrag(p)
			return dst
		}
		if p.X != r.lastX || p.Y != r.lastY {
			dst = append(dst, Action{Kind: Paint, X: p.X, Y: p.Y, FromX: r.lastX, FromY: r.lastY})
		}
		r.lastX, r.lastY = p.X, p.Y
	case pinching:
		// One finger of a pinch lifted: keep panning with the other.
		r.toDrag(p)
	}
	return dst
}

// Idle reports whether no gesture is in progress.
func (r *Recognizer) Idle() bool { return r.state == idle }

func (r *Recognizer) toDrag(p Pointer) {
	r.state, r.id, r.lastX, r.lastY = dragging, p.ID, p.X, p.Y
}

// pinch handles two or more pointers: the first two by ID pinch.
func (r *Recognizer) pinch(ps []Pointer, dst []Action) []Action {
	a, b := ps[0], ps[1]
	cx, cy := (a.X+b.X)/2, (a.Y+b.Y)/2
	d := math.Hypot(a.X-b.X, a.Y-b.Y)
	if r.state != pinching || r.pinchIDs != [2]int{a.ID, b.ID} {
		r.state, r.pinchIDs = pinching, [2]int{a.ID, b.ID}
		r.pinchDist, r.lastX, r.lastY = d, cx, cy
		return dst
	}
	f := 1.0
	if r.pinchDist > 0 && d > 0 {
		f = d / r.pinchDist
	}
	if f != 1 || cx != r.lastX || cy != r.lastY {
		dst = append(dst, Action{Kind: Pinch, X: cx, Y: cy, Factor: f, DX: cx - r.lastX, DY: cy - r.lastY})
	}
	r.pinchDist, r.lastX, r.lastY = d, cx, cy
	return dst
}
