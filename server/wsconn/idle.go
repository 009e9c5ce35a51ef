package wsconn

import (
	"errors"
	"syscall"
)

// Waiting for a client on little stack.
//
// Most connections are idle: they read nothing for seconds or hours but a
// pong every ping period. A reader parked inside coder/websocket's read
// path sits twenty frames deep, so the runtime gives every reader
// goroutine a 4 KB stack (it starts goroutines at the average stack in
// use, and shrinks one only below a quarter of its size). So the hub
// parks a connection whenever it has nothing to read, with no goroutine
// at all (Park; its Poller reads it meanwhile, poller.go); where it cannot
// park, WaitReadable waits instead in Go's poller through
// syscall.RawConn.Read, a few frames below the hub's reader loop, until
// the socket holds bytes, and the hub hands a connection that stays idle
// to a fresh goroutine, which needs no more than the 2 KB minimum while it
// waits (hub.Waiter).
//
// For that the library must give control back at a frame boundary: after
// a pong it goes on to read the next frame header,
// blocking deep. So once the reader has waited, Read marks the read
// "at a boundary, do not block": a read of the socket that finds the gate
// at a frame boundary (every byte the library was given ends a frame, and
// it has used them all, or it would not be reading) is made without
// blocking, and if the socket holds nothing the library's header read
// fails with errIdle, which Read returns as hub.ErrIdle. The library keeps
// no state from a failed header read that it had not started (its bufio
// reader hands the error back once; its read lock is released), so the
// next Read starts clean. The mark is dropped as soon as the library has
// a data frame's header: payload bytes and the continuation frames of a
// fragmented message are read blocking, as before.
//
// Over TLS, crypto/tls may hold a record it read with the previous one,
// which no peek at the socket sees: so nothing waits on the socket. A read
// that would wait gives control back instead (cipherSocket.readPlain:
// crypto/tls keeps its state across a temporary error), Read returns
// hub.ErrIdle, and the hub parks the connection, which the Poller then
// reads through crypto/tls the same way. Without a Poller, a TLS reader
// blocks in the library (WaitReadable returns false).

// errIdle is the socket read's answer at a frame boundary when the socket
// holds nothing and the reader asked not to block.
var errIdle = errors.New("wsconn: nothing to read now")

// WaitReadable blocks until the client has sent bytes the next Read can
// use, or the connection failed (the next Read tells which), parked in
// Go's poller with the caller's stack; over TLS with a Poller, it returns
// true at once (see above). It returns false at once if this connection
// cannot wait so (TLS without a Poller, or no fd); Read then blocks as
// hub.Socket says. After it has returned true once, Read returns hub.ErrIdle
// when the client sent nothing but control frames. CloseNow unblocks it.
func (c *Conn) WaitReadable() bool {
	rd := c.rd
	if rd != nil && rd.sock != nil {
		// crypto/tls may hold a record no look at the socket sees: there
		// is no waiting here. With a Poller, Read returns hub.ErrIdle at
		// once when there is nothing to read, and the hub parks the
		// connection; without one, Read blocks in the library.
		if rd.poller == nil || !rd.poller.open() {
			return false
		}
		c.waits = true
		return true
	}
	if rd == nil || rd.rc == nil {
		return false
	}
	c.waits = true
	if c.readable() {
		return true
	}
	rd.woken = false
	_ = rd.rc.Read(rd.waitFn) // a closed socket ends the wait; Read reports it
	return true
}

// Park hands the connection to the Poller given to Accept (poller.go):
// until resume runs, no goroutine of the hub reads it; the poller reads
// the whole binary messages (to deliver), pings and pongs the client
// sends (to the Control function), and runs resume once the client sends
// anything else or the connection ends. It returns false, and neither
// runs, if the connection cannot park now (no poller, bytes already
// buffered, over TLS a read that has not yet found crypto/tls empty, or
// the socket closing). Like WaitReadable, it makes Read
// return hub.ErrIdle from then on.
func (c *Conn) Park(deliver func([]byte) bool, resume func()) bool {
	rd := c.rd
	if rd.poller == nil {
		return false
	}
	// Under closeMu, so that a close handshake starting now either finds
	// the connection parked (and takes it out: Close) or keeps it from
	// parking: from then on only the library reads the socket.
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	if c.readableLocked() || !rd.gate.atBoundary() || rd.sock != nil && !rd.drained {
		return false
	}
	c.waits = true
	return rd.poller.park(rd, deliver, resume)
}

// readable reports whether the next Read has something to read without
// the socket: bytes the library's reader holds, bytes behind the upgrade
// or kept by the poller, the gate's error; or the close handshake has
// begun (Read then waits for it and reports the end). Those belong to
// whoever holds the library's read lock, which the close handshake takes
// to read the client's close frame: closeMu orders this look with the
// handshake's start.
func (c *Conn) readable() bool {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	return c.readableLocked()
}

// readableLocked is readable with closeMu held.
func (c *Conn) readableLocked() bool {
	rd := c.rd
	return c.closing || c.br.Buffered() > 0 || len(rd.pending) > 0 || rd.gate.err != nil
}

// wait is WaitReadable's callback, run by RawConn.Read with the fd held:
// the first call peeks, and false parks the goroutine until the poller
// says the socket is readable; the call after that reports ready without
// a peek (a spurious wake costs one non-blocking read that finds nothing).
func (r *readConn) wait(fd uintptr) bool {
	if r.woken {
		return true
	}
	r.woken = true
	for {
		switch sysPeek(fd, &r.peek[0]) {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		return true // bytes, the end of the stream or an error: Read tells which
	}
}

// readNow reads what the socket holds now into b, without blocking:
// errIdle if it holds nothing. Over TLS, the plaintext crypto/tls holds
// or can decrypt now (cipherSocket.readPlain); first starts a round of
// such reads (readPlain's).
func (r *readConn) readNow(b []byte, first bool) (int, error) {
	if r.sock == nil {
		return r.fdRead.read(r.rc, b, false)
	}
	n, err := r.sock.readPlain(r.tc, b, first)
	r.drained = errors.Is(err, errIdle)
	return n, err
}

// raw is the socket under the connection, for the Poller's epoll set:
// under crypto/tls for TLS.
func (r *readConn) raw() syscall.RawConn {
	if r.sock != nil {
		return r.sock.rc
	}
	return r.rc
}
