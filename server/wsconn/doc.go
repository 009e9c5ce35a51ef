// Package wsconn is the one place that speaks WebSocket on the server: it
// accepts an upgrade with coder/websocket on a socket hijacked with small
// buffers, and serves the result to the hub as a hub.Socket.
//
// Entry point: Accept upgrades an HTTP request and returns a *Conn. From
// then on the hub owns it:
//
//	Read      coder/websocket reads and unmasks client messages and
//	          enforces the read limit; pings and pongs go to the hub's
//	          Control handler (the library sends no pong itself). Before
//	          the library sees them, the bytes pass a frame-header gate
//	          (gate.go) that stops the stream at a header RFC 6455 makes
//	          the server refuse (unmasked, reserved bits or opcodes, bad
//	          control frames, a length with its top bit set: 1002) or one
//	          longer than the read limit (1009, at the header): Read then
//	          returns a hub.FrameError and the hub closes with its code
//	Park      hands a connection with nothing to read to the Poller:
//	          no goroutine reads it until the client sends something the
//	          Poller does not read itself. The Poller (poller.go, one
//	          epoll set of its own, the park set, and one goroutine
//	          looking at it right before each tick's cut, ReadNow, and on
//	          a beat of a few milliseconds) reads the whole binary
//	          messages, pings and pongs a parked client sends and hands
//	          them to the hub (inline.go); the first other frame, or the
//	          end, resumes the hub's reader, which reads it through the
//	          gate and the library. Accept takes the socket (under TLS,
//	          the TCP socket under crypto/tls) out of Go's poller
//	          (owned.go), so that its packets wake no thread:
//	          a goroutine that must wait for it waits in the Poller's wait
//	          set, which a second goroutine watches in Go's poller
//	WaitReadable  where a connection cannot park: parks the reader in
//	          Go's poller until the client sent bytes, a few frames deep
//	          instead of inside the library, so a waiting reader keeps the
//	          runtime's 2 KB minimum stack (idle.go); Read then returns
//	          hub.ErrIdle when only control frames came. Over TLS nothing
//	          waits on the socket (crypto/tls may hold a record): a read
//	          that would wait gives control back, Read returns
//	          hub.ErrIdle, and the connection parks; the Poller reads it
//	          through crypto/tls the same way
//	TryWrite  pre-encoded wire frames (server/wsframe) go straight to the
//	          hijacked socket's non-blocking fd with write(2), taking what
//	          the kernel takes now: server frames are never masked, so
//	          every client gets the same bytes
//	WriteAll  the rest, parked in Go's poller until the socket drains
//	Close     the library's close handshake
//
// Goroutines: none per connection of its own; a Poller (created once by
// the server and passed in Options) has two until its Close: run reads
// the parked connections on its beat, and watch wakes the goroutines
// waiting on owned sockets.
//
// Why writing around the library is safe: every byte of every frame but
// the final close frame is written by the hub, one writer at a time per
// connection (its per-client lock), so frames never interleave even when a
// frame is written in pieces to a full socket. The library writes only the
// close frame, after the hub has stopped writing to that connection. (It
// may also write a close frame by itself when the client breaks the
// protocol; that connection is ending either way.)
//
// A TLS connection's frames must be sealed with its own keys. TLSListener
// (tls.go) puts a socket under each tls.Conn that writes the ciphertext with
// the same non-blocking write(2), keeping what the kernel does not take
// now for the hub's flusher: a TLS player costs a seal more than a plain
// one, and no goroutine per frame. Kernel TLS would save the copy; this
// server does without it (many kernels, this project's CI box among them,
// do not offer it).
package wsconn
