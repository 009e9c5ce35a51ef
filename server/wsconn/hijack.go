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
	// is nothing yet): so the socket itself yields them first. Everything
	// read goes through the frame-header gate (gate.go).
	rc := &readConn{Conn: c}
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		rc.pending = append([]byte(nil), b...)
	}
	c = rc
	w.conn = c
	return c, bufio.NewReadWriter(bufio.NewReaderSize(c, hijackReadBuf), bufio.NewWriterSize(c, hijackWriteBuf)), nil
}

// readConn is the hijacked socket as the library reads it: first pending,
// then the socket's own bytes, all of them through the gate, which stops
// the stream at a frame header the server refuses. Only the connection's
// reader reads it; writes go to the socket unchanged.
type readConn struct {
	net.Conn
	pending []byte
	gate    gate
}

func (r *readConn) Read(b []byte) (int, error) {
	if r.gate.err != nil {
		return 0, r.gate.err
	}
	var n int
	var err error
	if len(r.pending) > 0 {
		n = copy(b, r.pending)
		r.pending = r.pending[n:]
		if len(r.pending) == 0 {
			r.pending = nil
		}
	} else {
		n, err = r.Conn.Read(b)
	}
	if k := r.gate.scan(b[:n]); k < n {
		if k == 0 {
			return 0, r.gate.err
		}
		return k, nil // the next Read returns the gate's error
	}
	return n, err
}
