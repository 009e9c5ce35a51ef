package wsconn

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
)

// Buffer sizes for hijacked WebSocket connections. net/http hands a
// hijacker 4 KB for reading and 4 KB for writing, kept for the connection's
// life: 8 KB of an idle player's memory budget. Client frames are at most a
// few KB and mostly tens of bytes, so 512 B of read buffer is plenty. The
// library writes only its close frame (at most 125 bytes of payload) through
// the write buffer: everything else the hub writes to the socket itself.
const (
	hijackReadBuf  = 512
	hijackWriteBuf = 256
)

// smallBuffers wraps a ResponseWriter so that Hijack returns smaller
// buffers. It keeps the hijacked socket, which Conn.Write writes
// pre-encoded frames to.
type smallBuffers struct {
	http.ResponseWriter
	conn net.Conn // set by Hijack
}

func (w *smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("wsconn: flushing before hijack: %w", err)
	}
	// Bytes the client sent right behind its upgrade request (a Set in the
	// same packet) are already in net/http's buffer. They must come first,
	// and they must survive coder/websocket resetting its reader onto the
	// socket it is handed (it keeps only what our reader buffered, which
	// is nothing yet): so the socket itself yields them first.
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		c = &prefixConn{Conn: c, pending: append([]byte(nil), b...)}
	}
	w.conn = c
	return c, bufio.NewReadWriter(bufio.NewReaderSize(c, hijackReadBuf), bufio.NewWriterSize(c, hijackWriteBuf)), nil
}

// prefixConn is a socket whose first reads return pending, then the
// socket's own bytes. Only the connection's reader reads it.
type prefixConn struct {
	net.Conn
	pending []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.pending) > 0 {
		n := copy(b, p.pending)
		p.pending = p.pending[n:]
		if len(p.pending) == 0 {
			p.pending = nil
		}
		return n, nil
	}
	return p.Conn.Read(b)
}
