// Package host is everything that differs between the browser and the
// desktop, behind one set of signatures: where the server is, which view
// the player asked for, and where the client reports its state.
//
// Entry points: Load reads the configuration (the page's origin and URL
// fragment in the browser; -server, -x, -y, -z, -n flags on the desktop);
// NewPage returns the Page the game publishes its state to every frame
// (window.checkgrid in the browser, state changes on stderr on the
// desktop) and whose URL fragment follows the view (browser only);
// Page.WheelPinch tells a trackpad pinch (a wheel event the browser flags
// with ctrlKey) from a scroll, which Ebiten's wheel deltas cannot;
// Page.Commands delivers the browser toolbar's presses (Jump, Fit, Draw,
// Keys: HTML buttons in index.html, and a real text field for the jump,
// which brings up a phone's keyboard); Page.Coarse says whether the primary
// pointer is a finger; Publish also keeps the page's aria-live region on
// the counters and the connection and labels the canvas; Page.TakeSeek
// gives the time machine's scrubber position (time_js.go: the #timepanel's
// range, play, speed and Live, and the Replay button); Page.LastSeen and
// SetSeen keep the last seq seen in localStorage (seen_js.go), and on the
// desktop in a file per server in the user's config directory
// (seen_notjs.go), whose Page also prints what changed while away.
//
// The desktop's server: -server, else a URL argument (checkgrid://host,
// https://host, ws://host/ws; its fragment is the view), else
// $CHECKGRID_SERVER, else the build's default (package cli, -ldflags -X);
// Resolve turns each into the WebSocket URL.
//
// Files: host_js.go (GOOS=js) and host_notjs.go implement the same
// functions; host.go holds what they share.
//
// A Page is owned by the game loop. In the browser, window.checkgrid.get is
// called from JavaScript; Go's wasm runtime runs such callbacks only while
// the game loop is parked between frames, so they see a consistent board.
package host
