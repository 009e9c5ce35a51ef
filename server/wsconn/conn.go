package wsconn

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"syscall"

	"checkgrid/protocol"
	"checkgrid/server/hub"

	"github.com/coder/websocket"
)

// Message buffer sizes. A connection that sent a message keeps a buffer of
// at most idleReadBuf for the next: client messages are mostly tens of
// bytes, and a big Set is a burst whose buffer is dropped after it rather
// than kept for the connection's life. The first is firstReadBuf, a
// click's Set and then some; it grows by append as a message needs.
// (bytes.Buffer.ReadFrom grew every message to 1.5 KB, over idleReadBuf,
// so each click allocated its buffer anew: BenchmarkReadClick.)
const (
	idleReadBuf  = 512
	firstReadBuf = 64
)

// Conn is an accepted WebSocket connection. Its methods follow hub.Socket's
// contract.
type Conn struct {
	// TryWrite's, first: the senders write to every connection each tick,
	// and this way the fd is in the line they load anyway (BENCHMARKS.md,
	// "Sockets out of Go's poller").
	fdw  fdWrite       // the plain socket's fd (rawsys.go); its Close goes through it
	sock *cipherSocket // tls's socket, if TLS

	ws      *websocket.Conn
	rd      *readConn     // the hijacked socket under ws; writes go straight to it
	br      *bufio.Reader // ws's reader over rd (its buffered bytes come before rd's)
	waits   bool          // WaitReadable has been used: Read may return hub.ErrIdle (idle.go)
	closeMu sync.Mutex    // orders Close's start with the reader's look at buffered bytes
	closing bool          // Close has been called; guarded by closeMu
	tls     *tls.Conn     // set if raw is TLS from TLSListener: frames are sealed, then written
	owed    int           // bytes TryWrite reported short while ciphertext was kept (tls.go)
	msg     []byte        // the last message read (Read)
	control func(hub.Control, []byte)
}

var _ hub.Socket = (*Conn)(nil)

// Options are what Accept needs from the server's configuration.
type Options struct {
	// Origins are extra allowed Origin host patterns; the request's own
	// host is always allowed (coder/websocket's rule).
	Origins []string
	// Poller, if not nil, reads connections parked without a goroutine
	// (Park, poller.go).
	Poller *Poller
}

// Accept upgrades r to a WebSocket. On error it has written the HTTP
// response (bad origin, not a WebSocket request) and there is nothing to
// close.
func Accept(w http.ResponseWriter, r *http.Request, opt Options) (*Conn, error) {
	c := &Conn{}
	sb := &smallBuffers{ResponseWriter: w, poller: opt.Poller, fdw: &c.fdw}
	ws, err := websocket.Accept(sb, r, &websocket.AcceptOptions{
		OriginPatterns:  opt.Origins,
		CompressionMode: websocket.CompressionDisabled, // frames are already near entropy
		// The hub answers pings itself, through the same queue as its data
		// frames: a pong the library wrote could land inside a data frame
		// the hub is halfway through writing to a full socket.
		OnPingReceived: func(_ context.Context, p []byte) bool {
			c.report(hub.ControlPing, p)
			return false
		},
		OnPongReceived: func(_ context.Context, p []byte) { c.report(hub.ControlPong, p) },
	})
	if err != nil {
		return nil, fmt.Errorf("wsconn: accept: %w", err)
	}
	ws.SetReadLimit(protocol.MaxClientMessage)
	c.ws, c.rd, c.br = ws, sb.conn, sb.br
	under := sb.conn.Conn
	if tc, ok := under.(*tls.Conn); ok {
		if s, ok := tc.NetConn().(*cipherSocket); ok && s.rc != nil {
			if opt.Poller != nil {
				s.own(opt.Poller)
			}
			c.tls, c.sock = tc, s
			sb.conn.tc, sb.conn.sock = tc, s
			sb.conn.poller, sb.conn.report = opt.Poller, c.report
		}
		return c, nil
	}
	if sb.conn.rc != nil {
		sb.conn.poller, sb.conn.report = opt.Poller, c.report
	}
	return c, nil
}

func (c *Conn) report(k hub.Control, p []byte) {
	if c.control != nil {
		c.control(k, p)
	}
}

// SetControl registers the hub's handler for pings and pongs.
func (c *Conn) SetControl(f func(hub.Control, []byte)) { c.control = f }

// Read returns the next client message (valid until the next Read). Once
// WaitReadable has returned true, it returns hub.ErrIdle instead of
// waiting for the client at a frame boundary (idle.go).
func (c *Conn) Read(ctx context.Context) ([]byte, error) {
	if cap(c.msg) > idleReadBuf {
		c.msg = nil
	}
	if c.waits {
		c.rd.noWait.Store(true)
	}
	typ, r, err := c.ws.Reader(ctx)
	if c.waits {
		c.rd.noWait.Store(false)
	}
	if err != nil {
		if errors.Is(err, errIdle) {
			return nil, hub.ErrIdle
		}
		if code := websocket.CloseStatus(err); code != -1 {
			return nil, fmt.Errorf("%w", hub.PeerClose{Code: int(code)})
		}
		return nil, err
	}
	if c.msg, err = readMessage(r, c.msg[:0]); err != nil {
		return nil, err
	}
	if typ != websocket.MessageBinary {
		return nil, fmt.Errorf("%w of %d bytes", hub.ErrText, len(c.msg))
	}
	return c.msg, nil
}

// readMessage appends what r holds to its end (the library's reader
// enforces the read limit) to b, growing b only when it is full.
func readMessage(r io.Reader, b []byte) ([]byte, error) {
	if cap(b) == 0 {
		b = make([]byte, 0, firstReadBuf)
	}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// TryWrite writes what the socket takes now with write(2) on its
// non-blocking fd; a TLS socket from TLSListener seals the whole frame and
// writes its ciphertext so (tls.go). Any other socket takes nothing here
// and everything in WriteAll.
func (c *Conn) TryWrite(b []byte) (int, error) {
	if c.sock != nil {
		return c.trySeal(b)
	}
	return c.fdw.write(b, 0)
}

// trySeal is TryWrite for TLS: the frame is sealed whole; if some of its
// ciphertext had to be kept, the frame is reported one byte short, and
// WriteAll of that byte writes what was kept.
func (c *Conn) trySeal(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	sealed := false
	kept, err := c.sock.seal(func() error {
		sealed = true
		_, err := c.tls.Write(b)
		return err
	})
	switch {
	case err != nil:
		return 0, err
	case !sealed: // ciphertext of an earlier frame is still waiting
		return 0, nil
	case kept:
		c.owed = 1
		return len(b) - 1, nil
	}
	return len(b), nil
}

// writeNow writes b[from:] to the non-blocking fd until the kernel takes no
// more, and returns how far it got.
func writeNow(fd uintptr, b []byte, from int) (int, error) {
	for from < len(b) {
		n, errno := sysWrite(fd, b[from:])
		switch errno {
		case 0:
			from += n
		case syscall.EINTR:
		case syscall.EAGAIN:
			return from, nil
		default:
			return from, errno
		}
	}
	return from, nil
}

// WriteAll writes b, parked in Go's poller while the socket is full. On
// TLS, the bytes TryWrite reported short are already sealed: they are
// skipped, and the kept ciphertext is written in their place.
func (c *Conn) WriteAll(b []byte) error {
	if c.owed > 0 {
		skip := min(c.owed, len(b))
		c.owed -= skip
		b = b[skip:]
		if err := c.sock.drain(); err != nil {
			return err
		}
	}
	if len(b) == 0 {
		return nil
	}
	_, err := c.rd.Write(b)
	return err
}

// Close does the close handshake.
func (c *Conn) Close(code protocol.CloseCode, reason string) error {
	c.closeMu.Lock()
	c.closing = true // from here the handshake may read (idle.go, readable)
	c.closeMu.Unlock()
	if p := c.rd.poller; p != nil {
		p.unpark(c.rd, true) // the poller reads the socket no more
	}
	return c.ws.Close(websocket.StatusCode(code), reason)
}

// CloseNow closes the socket at once.
func (c *Conn) CloseNow() error { return c.ws.CloseNow() }
