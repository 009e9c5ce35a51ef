package limits

import (
	"errors"
	"math"
	"net"
	"net/netip"
	"sync"
	"syscall"
)

// ErrNoFD means a capped connection's underlying connection has no file
// descriptor to offer (it is not a socket).
var ErrNoFD = errors.New("limits: connection has no file descriptor")

// Listener caps the open connections per address (AddressKey) accepted
// from the listener it wraps. A connection over the cap is closed as soon
// as it is accepted, before a byte is read, so one address cannot hold
// more than its share of the process's file descriptors with idle or
// trickling HTTP connections; connections hijacked for WebSockets stay
// counted until they are closed. Safe for concurrent use.
type Listener struct {
	net.Listener
	conns   *Conns
	refused func() // called once per refused connection; may be nil
}

// CapListener wraps ln so that each address keeps at most perAddr
// connections open. refused, if not nil, is called for each connection
// closed for being over the cap.
func CapListener(ln net.Listener, perAddr int, refused func()) *Listener {
	return &Listener{Listener: ln, conns: NewConns(perAddr, math.MaxInt), refused: refused}
}

// Accept returns the next connection within its address's cap, closing
// those over it. Addresses it cannot parse (not TCP) are not capped.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ap, perr := netip.ParseAddrPort(c.RemoteAddr().String())
		if perr != nil {
			return c, nil
		}
		key := AddressKey(ap.Addr())
		if l.conns.Acquire(key) != nil {
			c.Close()
			if l.refused != nil {
				l.refused()
			}
			continue
		}
		return &cappedConn{Conn: c, conns: l.conns, key: key}, nil
	}
}

// cappedConn gives its slot back when closed, once however often Close is
// called (net/http and a hijacker may both close it). It holds its slot's
// key itself rather than a closure over it: one allocation per connection,
// not two.
type cappedConn struct {
	net.Conn
	once  sync.Once
	conns *Conns
	key   netip.Prefix
}

// SyscallConn passes on the socket's raw connection, so the wrapper does
// not hide the fd that non-blocking writes (wsconn.TryWrite) need.
func (c *cappedConn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, ErrNoFD
}

func (c *cappedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.conns.Release(c.key) })
	return err
}
