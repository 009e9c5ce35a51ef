// Package camera maps between the screen and the grid: where the view is,
// how far it is zoomed, and which box lies under a point.
//
// Entry points: New; Resize when the canvas or its device scale changes;
// Pan, ZoomAt, Fit and LookAt move the view; ToWorld, ToScreen and BoxAt
// convert points; Visible gives the part of the grid on screen.
//
// Units: "world" is box units, box (x, y) covering [x, x+1)×[y, y+1); the
// screen is in device pixels (the canvas's backing store), and Zoom is in CSS
// pixels per box, which is what deep links carry, so a link looks the same
// on any display. The layout is fixed: resizing never reflows the grid.
//
// A Camera is a plain value, not safe for concurrent use.
package camera
