package wsconn

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"

	"checkgrid/server/hub"
)

// Buffer sizes for hijacked WebSocket connections, kept for the
// connection's life. net/http hands a hijacker 4 KB for reading and 4 KB
// for writing: 8 KB of an idle player's memory budget. Client frames are
// mostly tens of bytes (a click's Set is about 20 with its header, a pong
// 14); 128 B still reads several of them per read(2), and a payload at
// least as long as the buffer is read straight into its destination by
// bufio, so a big Set costs no extra reads either. The library writes only
// its close frame through the write buffer (everything else the hub
// writes to the socket itself), once per connection: bufio's smallest
// buffer, with which the frame goes out in two writes.
const (
	hijackReadBuf  = 128
	hijackWriteBuf = 16
)

// smallBuffers wraps a ResponseWriter so that Hijack returns smaller
// buffers. It keeps the hijacked socket, which Conn.Write writes
// pre-encoded frames to.
type smallBuffers struct {
	http.ResponseWriter
	poller *Poller       // if not nil, takes a plain socket out of Go's poller (owned.go)
	fdw    *fdWrite      // the Conn's (never nil), set up by Hijack for a plain socket
	conn   *readConn     // set by Hijack
	br     *bufio.Reader // the library's reader over conn, set by Hijack
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
	if _, ok := c.(*tls.Conn); !ok {
		if w.poller != nil {
			if s, err := w.poller.own(c); err == nil {
				rc.Conn = s // out of Go's poller (owned.go)
			}
		}
		if sc, ok := rc.Conn.(syscall.Conn); ok {
			if raw, err := sc.SyscallConn(); err == nil {
				rc.rc = raw
				rc.fdw = w.fdw
				rc.fdw.init(raw)
				rc.waitFn = rc.wait
				rc.fdRead.init()
			}
		}
	}
	w.conn = rc
	w.br = bufio.NewReaderSize(rc, hijackReadBuf)
	return rc, bufio.NewReadWriter(w.br, bufio.NewWriterSize(rc, hijackWriteBuf)), nil
}

// readConn is the hijacked socket as the library reads it: first pending,
// then the socket's own bytes, all of them through the gate, which stops
// the stream at a frame header the server refuses. Only the connection's
// reader reads it; writes go to the socket unchanged.
//
// While noWait is set, a read at a frame boundary does not block
// (idle.go).
type readConn struct {
	net.Conn
	pending []byte
	gate    gate

	// Reading without blocking (idle.go); rc is nil on TLS or a socket
	// without an fd, and then every read blocks.
	rc syscall.RawConn
	// noWait is set by Conn.Read until the library has a data frame's
	// header. Atomic: the library's close handshake may read the socket
	// (under the library's read lock) while the reader sets it, waiting
	// for that lock.
	noWait atomic.Bool
	woken  bool // WaitReadable's wait has been woken by the poller
	peek   [1]byte
	waitFn func(fd uintptr) bool // wait, without a closure allocation per call
	fdRead fdRead                // readNow's (rawsys.go): never parks

	// fdw is Conn.TryWrite's (rawsys.go), if the socket has an fd; Close
	// goes through it.
	fdw *fdWrite

	// TLS (set by Accept): Conn is tc, over sock. drained says the last
	// read without waiting found nothing: crypto/tls holds no whole record
	// (readNow), so the connection may park. Owned by the reader.
	tc      *tls.Conn
	sock    *cipherSocket
	drained bool

	// Parking without a goroutine (poller.go); poller is nil if the
	// connection cannot park. The rest is guarded by poller's lock, or
	// owned by the one who took the connection out of its parked set.
	poller          *Poller
	parkID          uint64
	deliver         func([]byte) bool         // the hub's, for binary messages read while parked
	resume          func()                    // the hub's, run once when the parking ends
	reading         bool                      // the poller is reading it (readParked), outside the lock
	closedWhileRead bool                      // its socket was closed while the poller read it
	report          func(hub.Control, []byte) // the Conn's pings and pongs to the hub (set once, at Accept)
}

// Close closes the socket and resumes the connection if it is parked, so
// that its reader finds the end.
func (r *readConn) Close() error {
	var err error
	if r.fdw != nil {
		err = r.fdw.close(r.Conn.Close)
	} else {
		err = r.Conn.Close()
	}
	if r.poller != nil {
		r.poller.unpark(r, false)
	}
	return err
}

func (r *readConn) Read(b []byte) (int, error) {
	if r.gate.err != nil {
		return 0, r.gate.err
	}
	var n int
	var err error
	switch {
	case len(r.pending) > 0:
		n = copy(b, r.pending)
		r.pending = r.pending[n:]
		if len(r.pending) == 0 {
			r.pending = nil
		}
	case r.gate.atBoundary() && r.noWait.Load():
		n, err = r.readNow(b, true)
	default:
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
