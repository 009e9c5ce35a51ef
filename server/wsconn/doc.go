// Package wsconn is the one place that speaks WebSocket on the server: it
// accepts an upgrade with coder/websocket on a socket hijacked with small
// buffers, and serves the result to the hub as a hub.Conn.
//
// Entry point: Accept upgrades an HTTP request and returns a *Conn. From
// then on the hub owns it:
//
//	Read      coder/websocket reads and unmasks client messages, answers
//	          pings and the close handshake, enforces the read limit
//	Write     pre-encoded wire frames (server/wsframe) go straight to the
//	          hijacked socket in one write each: server frames are never
//	          masked, so every client gets the same bytes
//	Ping      the library's ping, waiting for the pong
//	Close     the library's close handshake
//
// Why writing around the library is safe: the hub's writer goroutine is
// the only caller of Write and Ping, so data frames and Pings never
// overlap; the library writes Pongs and Close replies from the reader, each
// as one small frame in one net.Conn.Write, and the kernel never
// interleaves the bytes of two writes on a stream socket (Go's poll.FD
// holds its write lock for a whole Write).
package wsconn
