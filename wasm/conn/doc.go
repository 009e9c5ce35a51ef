// Package conn keeps a WebSocket to the server's /ws open: it dials,
// reads frames off the game loop, writes the game's frames, and reconnects
// with jittered exponential backoff when the server or the network drops
// it, unless the close code says retrying cannot help.
//
// Entry points: Open starts the connection's goroutine and returns a Conn,
// which is the session's Link; Events delivers, in order, state changes and
// every frame received (as link.Event values); Send queues a frame; Drop
// closes the current connection and reconnects (after a frame the client
// cannot decode); Close stops everything and waits.
//
// Flow: Open → Connecting → (dial) → Connected → frames … → (close or error)
// → Reconnecting → backoff → dial → Connected → …, or Failed on a close code
// that forbids reconnecting (protocol.CloseCode.Reconnect). Every new
// connection starts with the server's Welcome and Snapshot, which is how
// the client converges after a drop.
//
// Concurrency: the Conn's goroutines are its own and end by Close. Events is
// read by one goroutine (the session's Update, without blocking); Send and Drop
// may be called from any goroutine and never block. Works the same under
// GOOS=js, on the browser's WebSocket (socket_js.go; coder/websocket on
// the desktop, socket_notjs.go: socket.go says why).
package conn
