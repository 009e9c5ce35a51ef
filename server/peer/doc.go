// Package peer is a plain protocol client: it speaks checkgrid's wire
// protocol over a real WebSocket and keeps an exact copy of the grid. The
// integration tests, the crash test and the load generator use it; it has
// no game logic and draws nothing.
//
// Entry points: Dial connects and reads Welcome and the first Snapshot; Next
// reads and applies one frame; Set sends one Set frame. A Peer is used by one
// goroutine, except Set, which may be called concurrently with Next.
// DialView connects a version-2 Viewer, which follows one area (Move sends
// a Viewport) through a protocol.Replica and counts what it receives.
package peer
