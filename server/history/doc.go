// Package history serves, verifies and exports the grid's kept history
// (issue 21): the HTTP API of PROTOCOL.md, History, over a store.History
// (the data directory's keyframes and log, read while the store appends).
//
// Entry points: NewHandler (the /api/history routes, wired by web.Config);
// BuildExtent (the extent); NextEntry (decodes the entries of a deltas
// answer); Main (`checkgrid history verify <dir | URL>`: a directory with
// store.History.Verify, a server with VerifyURL).
//
// Flow of a request: parse the query (query.go; every malformed query is
// ErrQuery, a 400 with the reason), wait for one of two turns (a grid at a
// seq costs a keyframe read and up to 2 MiB of replay; the game's tick
// loop shares the cores), read from store.History, answer with a strong
// ETag and, for closed parts of history, Cache-Control immutable.
//
// No goroutines of its own; a Handler is safe for concurrent use.
package history
