// Package peer is a plain protocol client: it speaks checkgrid's wire
// protocol over a real WebSocket and follows the grid through
// protocol.Follower, the same code the client uses. The integration
// tests, the crash test and the load generator use it; it has no game
// logic and draws nothing.
//
// Entry points: Dial connects (version 1, or any /ws URL) and reads the
// Welcome and the first snapshot; DialArea connects as a version-2 client
// of one area (Move sends a Viewport); Next reads and applies one frame;
// Set sends one Set frame. A Peer is used by one goroutine, except Set,
// Move and WriteRaw, which may be called concurrently with Next.
package peer
