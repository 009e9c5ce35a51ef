//go:build !js

// Package e2e proves checkgrid works the way a player meets it: the real
// server binary, the real client in a real headless Chromium (WebGL through
// SwiftShader), and the native desktop client in a real X window under Xvfb.
//
// What it proves, each on pixels of a screenshot and on the server's own
// state (GET /api/snapshot and a plain protocol client, server/peer):
//
//   - the page loads, the wasm boots and the grid is drawn, at the whole-grid
//     view and at a deep link (#x=X&y=Y&z=Z centres box (X,Y) at Z CSS px a
//     box); time to first frame is logged;
//   - a box another client sets shows up checked in the page within a second;
//   - a click on the canvas toggles exactly the box under it, at two zooms;
//   - a drag pans and toggles nothing; Shift+drag paints exactly the stroke;
//   - two pages see each other's clicks;
//   - after a server restart (same port, same data) the page reconnects by
//     itself and shows the persisted and the new state;
//   - a burst the server refuses (a tiny -addr-burst) shows the rate-limit
//     message and reverts the refused box, sooner than the client's own
//     pending timeout would; clicking six times a second meets the
//     client's own click budget, whose message names it, before the
//     server refuses anything;
//   - a page reconnects after a close that allows it and stops, in the
//     failed state, after one that forbids it (closecode_test.go: a proxy
//     closes /ws with going away, then version);
//   - the desktop build starts under Xvfb, connects, draws the grid, and a
//     synthetic X click toggles a box on the server;
//   - version 2 (view_test.go): a page zoomed into a corner never receives
//     a change made in the far corner (counted on its WebSocket) and shows
//     it after panning there; a dragged page subscribes ahead of the pan
//     (the still margin behind, a lead in front) and back to the still
//     area once the view has settled; three pages see each other's places
//     warm on the minimap, and a place cools when its page leaves; at Fit
//     the places plain protocol viewers look at are outlined on the main
//     view, an empty place not, and the outline goes when they leave
//     (presence_test.go);
//   - the first minute (firstminute_test.go): the first frame shows
//     outlined checkboxes at the busiest place and the hint, which goes
//     after the first toggle; a click at whole-grid zoom zooms in and
//     changes no box; on a 390×844 phone at scale 3 the toolbar's buttons
//     are at least 44 CSS px and tapping Jump with real touch events and
//     typing a number centres that box; killing the server draws the
//     banner and a greyed grid, which go when it returns; a keyboard-only
//     player toggles a box with K, the arrows and Space; the desktop build
//     without a display prints usage for -h and a clear message otherwise;
//   - the whole grid (wholegrid_test.go): at Fit, where a box is under half
//     a pixel, a lone checked box and a drawn 10×10 ring show on the main
//     view (the ring with its hole) and on the minimap;
//   - the first second (firstpaint_test.go): over a link throttled by
//     DevTools to 10 Mbit/s and 40 ms, the page paints the boxes of its
//     landing place from /api/grid.png, pixel-checked against the server,
//     before the wasm has downloaded; the progress bar advances; every
//     screenshot until the game has taken over shows the same boxes in the
//     same place (no blank frame, no jump);
//   - the toolbar and the phone (toolbar_test.go): after a mouse click on
//     Draw or Fit, K and Space reach the game; Fit fits even when zoomed
//     out past the whole grid, and + zooms in; a phone has no Keys button,
//     starts at 36 CSS px a box, and a jump to box 999999 leaves no
//     background at the screen's edges; the click budget's meter is full,
//     empties under a long stroke and refills (pixels and the <meter>);
//   - the desktop window on a 1024×768 screen fits it, minimap whole
//     (desktop_test.go);
//   - the operator's announcement (announce_test.go) shows as a violet
//     banner on an open page and on one opened afterwards, is said in the
//     live region, and goes from a page whose player clicks it (the
//     click toggles no box);
//   - the time machine (timemachine_test.go): the test draws A, then some
//     seconds later B; the Time control's scrubber dragged between them
//     shows A (pixels) under the violet read-only panel, with t= in the URL,
//     and a click there toggles nothing; Play at real time reaches B; a
//     change made meanwhile is not in the past, and Live shows it; a deep
//     link with t= opens at A; a returning page (same browser, so the same
//     storage) rings in teal exactly the boxes changed while it was away
//     and counts them, and Replay plays the time away; on a phone with
//     touch, Time, a swipe of the scrubber to A, Play to B and Live.
//
// BenchmarkTabCPU measures what a tab costs: Chromium's main-thread and
// script time (Performance.getMetrics) and the CPU of every Chromium
// process, idle, at Fit, and at Fit under 2,000 toggles a second from a
// protocol client on loopback (make tabcpu; BENCHMARKS.md).
//
// BenchmarkFirstFrame measures navigation to first drawn frame and the
// bytes on the wire, against an older server binary in the same run with
// E2E_BASELINE_SERVER (BENCHMARKS.md).
//
// With E2E_DOCS=<dir> the first-view, phone and disconnected screenshots
// are saved there (make screenshots writes docs/).
//
// Each test starts its own server (fresh data directory, free loopback
// port) and its own Chromium (fresh profile); pages are 640×480 at device
// scale 1, small because SwiftShader renders on the CPU. Waits poll a
// condition against a deadline; nothing sleeps in place of a check.
//
// The client's test hooks (window.checkgrid: ready, state, frames, rejected,
// message, get) are used only to wait and to explain failures; every
// assertion is on pixels or on the server.
//
// Run it (after `make wasm`, which builds assets/checkgrid.wasm that the
// server embeds; `make test` does both):
//
//	go test ./wasm/e2e/ -v
//	go test ./wasm/e2e/ -run TestDesktop -v
//
// It needs /usr/bin/chromium, Xvfb, xdotool, ImageMagick's import and the X
// and GL headers (`make deps` installs them). On failure it saves
// screenshots, client and server logs to $E2E_ARTIFACTS, or to a fresh
// checkgrid-e2e-<time> folder under the system temp dir, and names the folder
// in the failure message.
package e2e
