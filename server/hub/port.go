package hub

import (
	"context"
	"errors"
	"fmt"

	"checkgrid/protocol"
)

// Conn is the hub's view of one player connection: the few things the hub
// needs from a WebSocket and nothing more. server/wsconn implements it over
// coder/websocket and the hijacked socket; tests implement it in memory.
//
// Concurrency: the hub calls Read from one goroutine (the connection's
// reader) and Write and Ping from one other (its writer), never two of
// either at once; Close is called once, by the writer. CloseNow may be
// called from any goroutine at any time, more than once, and must unblock
// a Read or Write in progress.
type Conn interface {
	// Read blocks until the next message from the client and returns its
	// bytes, which stay valid until the next Read. A text message returns
	// an error wrapping ErrText; a close by the peer, one wrapping a
	// PeerClose; any other failure ends the connection.
	Read(ctx context.Context) ([]byte, error)
	// Write writes wire, one whole frame from wsframe, to the client and
	// returns once it is handed to the kernel. wire is shared with other
	// connections and must not be modified or kept.
	Write(wire []byte) error
	// Ping sends a ping and waits for its pong until ctx ends.
	Ping(ctx context.Context) error
	// Close does the close handshake with code and reason and releases the
	// connection.
	Close(code protocol.CloseCode, reason string) error
	// CloseNow releases the connection at once, with no handshake.
	CloseNow() error
}

// ErrText is what Conn.Read wraps for a text message: checkgrid frames are
// binary, so the hub ends the connection with CloseProtocol.
var ErrText = errors.New("hub: text message")

// PeerClose is the error Conn.Read returns (or wraps) when the client
// closed the connection with a close frame carrying Code.
type PeerClose struct{ Code int }

func (e PeerClose) Error() string { return fmt.Sprintf("hub: closed by the client with %d", e.Code) }
