// Package game is the Ebiten side of the client: it reads input, feeds the
// session, and draws the grid, the minimap and the HUD. All game logic
// lives in the pure packages (session, board, camera, gesture, throttle,
// deeplink); this package only wires them to Ebiten.
//
// Entry point: New returns an ebiten.Game for a session and a page.
//
// The first minute: the first frame shows real checkboxes (realZoom: 20
// CSS px a box, 36 for a finger) where the page's first frame showed them
// (index.html paints the landing place from /api/grid.png before the game
// is loaded, and passes its view as a deep link), or at the centre until
// the first Snapshot moves the view to the busiest place (raster.Busiest,
// the same rule) unless a deep link or the player moved it; a one-line hint stays until the player's first change. Below
// minToggleZoom a tap zooms in there instead of toggling a box too small
// to see. Keyboard mode (K, or Space) shows a box cursor the arrows move;
// Space toggles it, Enter opens the jump prompt. While the connection is
// down after the first sync the grid is drawn greyed (the shader's Frozen),
// a banner says so and the counters are marked stale. The operator's
// announcement (announce.go) is a violet banner on top of the stack until
// clicked or tapped, expired or withdrawn. Text is the Go fonts
// (font.go), rasterised at the device's pixel size.
//
// Flow per update (Ebiten's Update, 60 a second; the server's "tick" is
// its broadcast period, a different thing): the page's commands, keys,
// wheel and pointers → gesture actions → camera moves and session toggles
// → session.Update (the session pumps its own link, so a toggle leaves in
// this update's Set: this package never touches the network) → board
// changes and refusals to the raster → publish status and the URL
// fragment. Per frame (Draw): if nothing on screen changed, leave the
// retained screen as it is, and if only a fade (the glow of recent
// changes) did, at most 20 times a second (redraw.go); else upload the
// raster's changed rows to the state texture and its minimap cells to the
// minimap texture, and draw the visible part of the
// grid as one quad with the grid shader (so the cost does not depend on how
// many boxes are on screen), the minimap (one pixel per 8×8 boxes, a lone
// checked box visible), and the HUD panels, each a small cached image
// re-rendered only when its text changes. Presses on a HUD panel are
// ignored; presses on the minimap jump there; the page's own controls
// (the browser's toolbar) arrive as host.Commands.
//
// Game's fields are grouped by owner (game.go), the step of Update or Draw
// that writes them: the screen (screen.go: LayoutF, resize), the pointers
// (pointer.go), the toolbar's and the keys' modes (controls.go), the time
// machine, "while you were away", the hover's history line, the operator
// console, the board's news on its way to the raster (feed.go) and the
// frame on screen (draw.go); the camera is moved by the input steps and
// read by Draw. Update only calls the steps in order.
//
// Ebiten calls Update, Draw and Layout on one goroutine; nothing here is
// shared with another.
//
// Version 2 (view.go): each update tells the session the boxes on screen;
// boxes outside the area the board follows are dimmed (last known, not
// settable); the minimap carries the presence map as a heat layer (a faint
// tint for "some", orange by the log of the count from 3 on), and the HUD
// says how many players look nearby. Zoomed far out (presence.go) the
// same cells are outlined on the main view too, fading in from 3 CSS px a
// box to full at 1, so the whole grid shows where people are looking.
//
// The time machine (timemachine.go, timeinput.go; issue 21): the page's
// Time control (or T on the desktop) shows the past in place of the live
// grid, read-only (taps, strokes and Space change nothing; a violet panel
// says so and names the moment), at the moment the scrubber is moved to
// (the latest position, fetched one at a time on a goroutine), played
// forward by playback frames on another goroutine that hands each over
// when the playhead reaches its time; Live refills the raster from the
// board, which kept following the server meanwhile. The moment is in the
// URL (t=), and a link with one opens there. While you were away (away.go):
// the last seq seen is kept in the page's storage; a returning player's
// first sync fetches the net change since, rings the changed boxes on
// screen in teal, counts them, and Replay plays the time away. The hover
// label (boxinfo.go) adds when the box last changed and how often, asked
// of history once the pointer rests on a box and kept until it changes.
//
// The operator console (console.go; issue 23): opened on the admin
// listener with the operator token (SetOperator), the game reads the
// admin API's figures every 2 s into a panel at the top right, and the
// page's operator buttons turn a drag on the grid into a selected
// rectangle, previewed (now and then side by side, the count of boxes)
// and rolled back, cleared, filled, frozen or unfrozen through the API.
// Requests run on goroutines and hand their answers to Update.
package game
