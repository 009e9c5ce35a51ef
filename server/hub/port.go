package hub

import (
	"context"
	"errors"
	"fmt"

	"checkgrid/protocol"
)

// Socket is the hub's view of one player connection: the few things the hub
// needs from a WebSocket and nothing more. server/wsconn implements it over
// coder/websocket and the hijacked socket; tests implement it in memory.
//
// Writes never block the hub's senders: TryWrite takes what the socket
// takes now, and only a connection whose socket is full gets a goroutine of
// its own, parked in WriteAll until the kernel takes the rest (send.go).
//
// Concurrency: the hub calls Read from one goroutine (the connection's
// reader); TryWrite and WriteAll from at most one goroutine at a time (the
// hub's per-connection write lock orders them); Close once, after its last
// write. CloseNow may be called from any goroutine at any time, more than
// once, and must unblock a Read or WriteAll in progress.
type Socket interface {
	// Read blocks until the next message from the client and returns its
	// bytes, which stay valid until the next Read. A text message returns
	// an error wrapping ErrText; a close by the peer, one wrapping a
	// PeerClose; any other failure ends the connection. Pings and pongs
	// the client sends are reported to the Control function given to
	// SetControl, from inside Read, and are not returned.
	Read(ctx context.Context) ([]byte, error)
	// SetControl registers f for the client's pings and pongs; it is
	// called before the first Read. For a ping, the transport sends no
	// pong itself: the hub queues one (so it is ordered with the data
	// frames the hub writes) and budgets both.
	SetControl(f func(kind Control, payload []byte))
	// TryWrite writes as much of b as the socket takes without blocking
	// and returns how much: n < len(b) with a nil error means the socket is
	// full. b is shared with other connections and must not be modified or
	// kept.
	TryWrite(b []byte) (n int, err error)
	// WriteAll writes all of b, blocking until the socket has taken it.
	WriteAll(b []byte) error
	// Close does the close handshake with code and reason and releases the
	// connection.
	Close(code protocol.CloseCode, reason string) error
	// CloseNow releases the connection at once, with no handshake.
	CloseNow() error
}

// Waiter is what a Socket can add so that a connection costs no goroutine
// while it waits for the client: its reader parks it whenever there is
// nothing to read (Park), and the Socket's poller reads what the client
// then sends; where it cannot park, the reader waits in WaitReadable, a
// few frames above the poller, and an idle connection is handed to a fresh
// goroutine whose stack stays at the runtime's 2 KB minimum (conn.go).
type Waiter interface {
	// WaitReadable blocks until the client has sent bytes the next Read
	// can use, or the connection failed (the next Read says so). It
	// returns false at once if this connection cannot wait so; Read then
	// blocks as Socket says and WaitReadable is not called again. After it
	// has returned true, Read returns ErrIdle where it would wait for the
	// client between messages (when the client sent only control frames,
	// or nothing). CloseNow unblocks it.
	WaitReadable() bool
	// Park hands the connection to the Socket's poller and returns true;
	// until it is resumed, no goroutine of the hub reads it. What the
	// client sends while it is parked and the poller can read by itself
	// (whole binary messages, pings and pongs) is handled on the poller's
	// goroutine, in order: each binary message goes to deliver (its bytes
	// valid during the call), each ping and pong to the Control function.
	// deliver returns false when the connection is not to be read any
	// more. Anything else (a close, a text or fragmented message, framing
	// to refuse, a message longer than the poller reads, the end of the
	// connection, the poller's own end), or deliver returning false, runs
	// resume once, on another goroutine; the next Read starts where the
	// poller stopped. Park returns false, and neither runs, if the
	// connection cannot park now. After it has returned true, Read
	// returns ErrIdle as after WaitReadable. deliver must not call Close
	// (it may call CloseNow).
	Park(deliver func(msg []byte) bool, resume func()) bool
}

// ErrIdle is what a Waiter's Read returns when the client has sent nothing
// more to read now: the reader waits again with WaitReadable.
var ErrIdle = errors.New("hub: nothing to read now")

// Control is a WebSocket control frame kind a client sent.
type Control uint8

// Control frames the transport reports.
const (
	ControlPing Control = 1
	ControlPong Control = 2
)

func (c Control) String() string {
	switch c {
	case ControlPing:
		return "ping"
	case ControlPong:
		return "pong"
	}
	return fmt.Sprintf("Control(%d)", uint8(c))
}

// ErrText is what Conn.Read wraps for a text message: checkgrid frames are
// binary, so the hub ends the connection with CloseProtocol.
var ErrText = errors.New("hub: text message")

// FrameError is what Conn.Read returns (or wraps) when the client broke the
// WebSocket framing itself (RFC 6455), so the stream cannot be read on: the
// hub ends the connection with Code (protocol.CloseFraming or
// protocol.CloseMessageLimit) and counts it as a bad frame.
type FrameError struct {
	Code protocol.CloseCode
	Why  string
}

func (e FrameError) Error() string {
	return fmt.Sprintf("hub: websocket framing (%d): %s", e.Code, e.Why)
}

// PeerClose is the error Conn.Read returns (or wraps) when the client
// closed the connection with a close frame carrying Code.
type PeerClose struct{ Code int }

func (e PeerClose) Error() string { return fmt.Sprintf("hub: closed by the client with %d", e.Code) }
