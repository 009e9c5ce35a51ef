package wsconn

import (
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"syscall"
)

// Writing TLS without a goroutine per frame.
//
// A TLS connection's bytes must be encrypted with its own keys, so the
// pre-encoded frame cannot go to the fd as it is; but once crypto/tls has
// sealed it, the ciphertext can. TLSListener puts a cipherSocket under each
// tls.Conn: while TryWrite runs, the socket writes the records crypto/tls
// hands it with write(2) on the non-blocking fd and keeps what the kernel
// does not take now. So a broadcast to TLS players is one seal and one
// write(2) per player, on the sender's goroutine, as for plain ones.
//
// The hub's port counts bytes of the frame, not of ciphertext: a frame
// whose ciphertext is not all on the socket yet is reported one byte
// short. The hub then starts its flusher, whose WriteAll of that last byte
// writes the kept ciphertext, blocking in Go's poller, instead of sealing
// the byte again. Everything else (the handshake, the library's close
// frame, WriteAll) writes through the socket blocking, after what was kept.
// (A write crypto/tls makes from the reader, such as a TLS 1.3 KeyUpdate
// answer, can thus hold a sender for as long as a full socket takes it;
// browsers do not send KeyUpdate.)

// TLSListener serves TLS with cfg on inner's connections, each on a socket
// whose ciphertext Conn.TryWrite can write without blocking. It replaces
// tls.NewListener for the listener the WebSockets come from.
func TLSListener(inner net.Listener, cfg *tls.Config) net.Listener {
	return &tlsListener{Listener: inner, cfg: cfg}
}

type tlsListener struct {
	net.Listener
	cfg *tls.Config
}

func (l *tlsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	s := &cipherSocket{Conn: c}
	s.fdRead.init()
	if sc, ok := c.(syscall.Conn); ok {
		s.rc, _ = sc.SyscallConn()
	}
	s.fdWrite.init(s.rc)
	return tls.Server(s, l.cfg), nil
}

// own takes the socket out of Go's poller (owned.go), once the handshake
// and the upgrade are done and before anyone else reads or writes it (the
// fd's number changes: fdWrite hands its writes to the owned socket). It stays in Go's
// poller if that fails.
func (s *cipherSocket) own(p *Poller) {
	o, err := p.own(s.Conn)
	if err != nil {
		return
	}
	s.Conn, s.rc = o, ownedRaw{o}
	s.fdWrite.init(s.rc)
}

// cipherSocket is the TCP socket under one tls.Conn.
type cipherSocket struct {
	net.Conn
	rc syscall.RawConn // nil if the socket has no fd: every write blocks

	mu sync.Mutex // crypto/tls writes under its own lock; this orders kept bytes with the rest
	// Owned by mu.
	nonBlocking bool   // set by Conn.TryWrite around its seal
	kept        []byte // ciphertext sealed but not on the socket yet, in order

	// tryWrite's (rawsys.go); Close goes through it.
	fdWrite fdWrite

	// Owned by the reader (crypto/tls reads under its own lock): Read's
	// (rawsys.go), parked in Go's poller while the socket is empty, or,
	// while noWait is set, not waiting at all (readPlain).
	fdRead fdRead
	noWait bool
	// emptied: a read of this round (readPlain) took less than it was
	// offered, so the socket held nothing more then. crypto/tls asks for
	// more after every record, and until the round ends that ask is
	// answered errWouldBlock without a read(2) that would find nothing:
	// one system call less per click. Bytes that came meanwhile keep the
	// socket readable in the Poller's level-triggered set, so the next
	// round reads them.
	emptied bool
}

// errWouldBlock is what a cipherSocket's read says, while the reader asked
// it not to wait, when the socket holds nothing. It is a net.Error that
// says it is temporary, so crypto/tls keeps what it has read of a record
// and takes the read up again next time (crypto/tls conn.go,
// readRecordOrCCS), instead of ending the connection with it.
var errWouldBlock net.Error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "wsconn: the TLS socket holds nothing now" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

// readPlain reads what tc (over s) can give now, without waiting: the
// plaintext crypto/tls holds or can decrypt from what the socket holds.
// errIdle: nothing, and crypto/tls asked the socket for more, so it holds
// no whole record either; what it holds of one waits for bytes that make
// the socket readable. Only the connection's one reader calls it. first
// starts a round: the reads of one round are one look at the socket, so
// once it has been read empty (emptied) it is not asked again.
func (s *cipherSocket) readPlain(tc *tls.Conn, b []byte, first bool) (int, error) {
	if first {
		s.emptied = false
	}
	s.noWait = true
	n, err := tc.Read(b)
	s.noWait = false
	if n == 0 && errors.Is(err, errWouldBlock) {
		return 0, errIdle
	}
	return n, err
}

// Read reads ciphertext for crypto/tls with read(2) on the non-blocking
// fd (rawsys.go), parked in Go's poller while the socket holds nothing, as
// the plain reader does (idle.go): net.Conn.Read would tell the scheduler
// the call may block and wake sysmon after an idle spell, on each click.
func (s *cipherSocket) Read(b []byte) (int, error) {
	if s.rc == nil || len(b) == 0 {
		return s.Conn.Read(b)
	}
	if s.noWait {
		if s.emptied {
			return 0, errWouldBlock
		}
		n, err := s.fdRead.read(s.rc, b, false)
		if errors.Is(err, errIdle) {
			return 0, errWouldBlock
		}
		s.emptied = err == nil && n < len(b)
		return n, err
	}
	return s.fdRead.read(s.rc, b, true)
}

// Write takes ciphertext from crypto/tls. In non-blocking mode it writes
// what the kernel takes now and keeps the rest; otherwise it writes the
// kept bytes and then b, blocking.
func (s *cipherSocket) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nonBlocking {
		if len(s.kept) == 0 {
			n, err := s.tryWrite(b)
			if err != nil {
				return n, err
			}
			b = b[n:]
		}
		s.kept = append(s.kept, b...)
		return len(b), nil
	}
	if err := s.drainLocked(); err != nil {
		return 0, err
	}
	return s.Conn.Write(b)
}

// seal runs write (a tls.Conn.Write) with the socket in non-blocking mode
// and reports whether ciphertext was kept back. Only a socket with an fd
// (rc) is sealed into: Accept leaves any other to WriteAll.
func (s *cipherSocket) seal(write func() error) (kept bool, err error) {
	s.mu.Lock()
	if len(s.kept) > 0 {
		s.mu.Unlock()
		return true, nil
	}
	s.nonBlocking = true
	s.mu.Unlock()
	err = write()
	s.mu.Lock()
	s.nonBlocking = false
	kept = len(s.kept) > 0
	s.mu.Unlock()
	return kept, err
}

// drain writes the kept ciphertext, blocking.
func (s *cipherSocket) drain() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.drainLocked()
}

func (s *cipherSocket) drainLocked() error {
	if len(s.kept) == 0 {
		return nil
	}
	_, err := s.Conn.Write(s.kept)
	s.kept = nil // don't hold the buffer while the player is keeping up
	return err
}

// tryWrite writes what the socket takes now with write(2).
func (s *cipherSocket) tryWrite(b []byte) (int, error) { return s.fdWrite.write(b, 0) }

// Close closes the socket once no write is in progress (fdWrite).
func (s *cipherSocket) Close() error { return s.fdWrite.close(s.Conn.Close) }
