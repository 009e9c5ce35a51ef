// Package zone decides which version-2 clients a tick's changes concern:
// a spatial index from subscribed areas to clients, the per-tick split of
// a tick's flipped boxes by area, and the presence map.
//
// Entry points: New builds an Index; Subscribe, Unsubscribe and Area keep
// it up to date as clients move (all from one goroutine, the hub's tick
// loop); Tick takes one tick's flips and hands each affected client its
// AreaDelta wire frame; Presence returns the viewer map's frame when it
// changed.
//
// Flow, one tick:
//
//	flips (sorted) ─► for each flip: the groups registered in its zone
//	  (a 25×25-box cell of the grid) whose area contains it get the flip
//	  ─► each touched group (clients with the same area) encodes one
//	  AreaDelta and one wire frame ─► each member gets a copy with its own
//	  prev seq patched in (8 bytes), all copies of a group in one
//	  allocation ─► emit(client, wire)
//
// Work per tick is proportional to the flips times the groups that
// overlap each flip's zone, plus the bytes delivered: a client whose area
// had no flip costs nothing and gets no frame. Clients that subscribe to
// the whole grid are not indexed at all: they share the tick's Delta,
// which the hub sends as in version 1.
//
// Presence counts, per 40-box cell, the clients whose area is centred in
// it; it is kept up to date on every Subscribe and Unsubscribe (O(1)) and
// encoded at most once per call, only when it changed.
//
// Concurrency: an Index is not safe for concurrent use; its owner (the tick
// loop) serialises every call. Wire frames passed to emit are never
// modified afterwards and may be handed to writers.
package zone
