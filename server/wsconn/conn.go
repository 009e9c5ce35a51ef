package wsconn

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"

	"checkgrid/protocol"
	"checkgrid/server/hub"

	"github.com/coder/websocket"
)

// idleReadBuf is the read buffer a connection keeps between messages:
// client frames are mostly tens of bytes, and a big Set is a burst whose
// buffer is dropped after it rather than kept for the connection's life.
const idleReadBuf = 512

// Conn is an accepted WebSocket connection. Its methods follow hub.Conn's
// contract.
type Conn struct {
	ws  *websocket.Conn
	raw net.Conn // the hijacked socket under ws; Write goes straight to it
	buf bytes.Buffer
}

var _ hub.Conn = (*Conn)(nil)

// Options are what Accept needs from the server's configuration.
type Options struct {
	// Origins are extra allowed Origin host patterns; the request's own
	// host is always allowed (coder/websocket's rule).
	Origins []string
}

// Accept upgrades r to a WebSocket. On error it has written the HTTP
// response (bad origin, not a WebSocket request) and there is nothing to
// close.
func Accept(w http.ResponseWriter, r *http.Request, opt Options) (*Conn, error) {
	sb := &smallBuffers{ResponseWriter: w}
	ws, err := websocket.Accept(sb, r, &websocket.AcceptOptions{
		OriginPatterns:  opt.Origins,
		CompressionMode: websocket.CompressionDisabled, // frames are already near entropy
	})
	if err != nil {
		return nil, fmt.Errorf("wsconn: accept: %w", err)
	}
	ws.SetReadLimit(protocol.MaxClientMessage)
	return &Conn{ws: ws, raw: sb.conn}, nil
}

// Read returns the next client message (valid until the next Read).
func (c *Conn) Read(ctx context.Context) ([]byte, error) {
	if c.buf.Cap() > idleReadBuf {
		c.buf = bytes.Buffer{}
	}
	typ, r, err := c.ws.Reader(ctx)
	if err != nil {
		if code := websocket.CloseStatus(err); code != -1 {
			return nil, fmt.Errorf("%w", hub.PeerClose{Code: int(code)})
		}
		return nil, err
	}
	c.buf.Reset()
	if _, err := c.buf.ReadFrom(r); err != nil {
		return nil, err
	}
	if typ != websocket.MessageBinary {
		return nil, fmt.Errorf("%w of %d bytes", hub.ErrText, c.buf.Len())
	}
	return c.buf.Bytes(), nil
}

// Write writes one pre-encoded frame to the socket.
func (c *Conn) Write(wire []byte) error {
	_, err := c.raw.Write(wire)
	return err
}

// Ping sends a ping and waits for the pong.
func (c *Conn) Ping(ctx context.Context) error { return c.ws.Ping(ctx) }

// Close does the close handshake.
func (c *Conn) Close(code protocol.CloseCode, reason string) error {
	return c.ws.Close(websocket.StatusCode(code), reason)
}

// CloseNow closes the socket at once.
func (c *Conn) CloseNow() error { return c.ws.CloseNow() }
