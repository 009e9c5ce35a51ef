// Package timeline is the client's time machine without the drawing: it
// reads the server's history API (PROTOCOL.md, History, Playback) for the
// grid at a moment and for the playback frames that carry it forward, so
// the game can show the past read-only and play it at up to a day a
// minute. It has no Ebiten or browser imports and builds for both.
//
// Entry points: Source.Extent (what history holds), Source.Span (the
// scrubber's ends: seqs and commit times; history that starts at the empty
// grid starts the span at its first record's time, Source.TimeOf), Source.At
// (the grid at a moment: /api/history/snapshot?time=), Source.Play (the
// playback frames from a moment's seq to a later seq, page after page, each
// applied to the moment and checked by its prev), Source.Changed (the net
// change between two seqs: one playback point, for "while you were away"),
// Every (the time step for a playback speed, from a fixed ladder so players
// at the same speed share cached answers), Speeds (real time to a day a
// minute), Clock (the playhead: a moment, moving at a speed while
// playing), Mode (live, paused, playing) and Base (the history API's
// origin for the game's WebSocket URL).
//
// No goroutines; the caller runs each request on its own goroutine (over
// wasm/fetch: the page's fetch in the browser, net/http's client on the
// desktop) and hands results to the game
// (wasm/game's timemachine.go and away.go).
package timeline
