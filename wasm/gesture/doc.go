// Package gesture turns raw pointer state (mouse button or touches, polled
// once a frame) into what the player meant: a tap, a drag that pans, a pinch
// that zooms, or a stroke that paints.
//
// Entry points: Recognizer.Update, called once per frame with the pointers
// currently down, appends the Actions they complete; Line lists the boxes a
// painted stroke crosses; ClassifyWheel tells a wheel notch (zoom) from a
// trackpad scroll (pan); WheelZoomFactor scales a zooming wheel event, at
// the browser's own rate for a trackpad pinch.
//
// Rules: a press that moves no farther than Slop before it lifts is a Tap; a
// press that moves farther pans and never taps; a second pointer turns any
// gesture into a pinch (and cancels the tap); a press begun in paint mode
// paints every point it moves through instead of panning.
//
// A Recognizer is not safe for concurrent use; the game loop owns it.
package gesture
