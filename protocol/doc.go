// Package protocol is checkgrid's wire format: the binary frames that travel
// in WebSocket binary messages between the server and its clients.
//
// The format is specified in PROTOCOL.md; this package is its one
// implementation and imports nothing platform-specific, so the server and the
// wasm and desktop clients share it byte for byte.
//
// Entry points:
//
//   - PeekType reads the type byte of any frame.
//   - AppendWelcome, AppendSnapshot, AppendDelta, AppendStats, AppendReject,
//     AppendResync (server to client) and AppendSet, AppendResyncRequest,
//     AppendViewport (client to server) append one frame to a caller's buffer.
//   - DecodeWelcome, DecodeSnapshot, DecodeDelta, DecodeStats, DecodeReject,
//     DecodeResync, DecodeSet, DecodeResyncRequest, DecodeViewport check a
//     frame and return its fields. Frames that carry many boxes (Delta, Set,
//     Reject) return a view whose AppendIndexes / AppendChanges methods decode
//     the packed boxes into a caller's slice, so the steady state allocates
//     nothing per change.
//   - Version 2 (a client gets only its subscribed Area): AppendViewport
//     (client to server), AppendAreaSnapshot, AppendAreaDelta and
//     AppendPresence (server to client) and their decoders.
//   - Replica is a follower's grid: it applies Snapshot, Delta, AreaSnapshot
//     and AreaDelta in order, knows which boxes are exact (its Area; the
//     whole grid is an area), and reports a frame that does not follow
//     (ErrGap) instead of applying it.
//   - Follower follows one connection's server frames without I/O: Handle
//     takes each frame, applies it to a Replica and returns a Step (the
//     header, flipped or refused boxes, skipped); a gap owes a
//     ResyncRequest (TakeResync). Every client of the server follows
//     through it; NewHeadFollower checks seqs from frame headers only.
//   - Query is the /ws URL's query (version, starting area): Query.URL
//     builds it for every client, ParseQuery reads it for the server by
//     PROTOCOL.md's one rule, QueryClose names the close code of a fault.
//   - Bitset is a whole grid. AppendSnapshot encodes one as the smaller of the
//     raw bitset and the roaring portable serialization; Snapshot.Bits
//     decodes and validates either back into a Bitset.
//
// Contracts: encoders never keep the caller's buffer; decoded views alias the
// frame they were decoded from, so the frame must not be reused while the view
// is. Every decoder checks each length before it allocates, never panics on
// any input, and reports bad bytes with one of the named errors in errors.go
// (wrapped with detail; test with errors.Is). All functions are safe for
// concurrent use; the values they return are not shared.
package protocol
