// Package operator is the console's side of the admin API (PROTOCOL.md,
// "Operator API"): the client opened on the admin listener with the
// operator token calls it to preview and apply moderation over a
// rectangle and to read the figures its panel shows. Pure Go over
// wasm/fetch (the page's fetch in WebAssembly, net/http's client on the
// desktop), no Ebiten.
//
// Entry points: Client (one method per endpoint, the token in the
// Authorization header on every request, never a cookie); FormatArea;
// Rates (toggles/s and the fan-out p99 over the interval between two
// Stats readings). Errors: ErrToken for a token the server refuses and
// ErrNoConsole for a listener without the admin API (the console then
// shows no tool), ErrRefused wrapping any other non-2xx
// answer with the server's reason.
//
// A Client is safe for concurrent use; the game calls it from worker
// goroutines and hands the answers to Update over a channel.
package operator
