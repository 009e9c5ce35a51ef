package wsconn

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Sockets out of Go's poller.
//
// Go's runtime keeps every socket it opened in its own epoll set,
// edge-triggered, and a thread waits there whenever the process is idle:
// every packet a client sends wakes that thread, whether or not anyone
// reads the socket then. For a player who clicks, that wake-up cost more
// than reading and handling the click (BENCHMARKS.md, "Sockets out of
// Go's poller"). So once a socket is upgraded (a plain one, or the TCP
// socket under a TLS connection: cipherSocket.own), the Poller takes it
// out (Poller.own): it keeps a duplicate of the fd and closes the
// runtime's, which takes the socket out of the runtime's set (the socket
// itself lives on in the duplicate: closing one of two fds sends
// nothing). From then on nothing is woken by the socket's packets: the
// Poller looks at the sockets parked in its set on its own beat
// (poller.go).
//
// A goroutine that must wait for the socket (the library's close
// handshake, a reader resumed in the middle of a frame, a write to a full
// socket) arms the socket in the Poller's wait set, one shot for what it
// waits for, and sleeps until the Poller's watcher, which waits on that
// set in Go's poller, wakes it: only sockets someone waits on wake anyone.
//
// The fd is guarded against its close, and its number's reuse by another
// socket, by a read-write lock: every call on it holds the lock shared,
// and Close holds it alone.

// ownedSocket is a plain TCP socket's fd owned by this package, out of
// Go's poller. It is a net.Conn for coder/websocket and the hijacked
// reader, and its SyscallConn a syscall.RawConn for this package's
// non-blocking reads and writes. Safe for concurrent use.
type ownedSocket struct {
	p            *Poller
	id           uint64 // in the Poller's wait set and owned map
	local, peer  net.Addr
	fallbackWait time.Duration // for a wait after the Poller's watcher has ended

	mu     sync.RWMutex // shared across each call on fd; alone in Close
	fd     int
	closed bool

	// Guarded by p.waitMu.
	want  uint32 // epoll events goroutines wait for (readEvents, writeEvents)
	armed bool   // in the wait set (armed or spent: EPOLLONESHOT)
	ready [2]chan struct{}
}

// What a waiting goroutine waits for: indexes into ownedSocket.ready.
type waitFor uint8

const (
	waitRead waitFor = iota
	waitWrite
)

func (w waitFor) String() string {
	switch w {
	case waitRead:
		return "read"
	case waitWrite:
		return "write"
	}
	return "waitFor(?)"
}

// events is what epoll reports for w: a closed or failed socket ends
// every wait.
func (w waitFor) events() uint32 {
	if w == waitRead {
		return syscall.EPOLLIN | syscall.EPOLLRDHUP
	}
	return syscall.EPOLLOUT
}

// wakes reports whether epoll events ev end a wait for w.
func (w waitFor) wakes(ev uint32) bool {
	return ev&(w.events()|syscall.EPOLLERR|syscall.EPOLLHUP) != 0
}

// Owned-socket constants.
const (
	// fallbackPoll is how long one wait lasts, in poll(2) on a thread,
	// once the Poller has closed (a socket still open at shutdown): the
	// waiter then looks again, in case the socket was closed meanwhile
	// (poll(2) does not end at a close).
	fallbackPoll = 10 * time.Millisecond
)

// ErrOwned means a socket could not be taken out of Go's poller.
var ErrOwned = errors.New("wsconn: owning a socket")

// own takes c's socket out of Go's poller and returns it as an
// ownedSocket, or returns an error and leaves c as it was.
func (p *Poller) own(c net.Conn) (*ownedSocket, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("%w: %T has no fd", ErrOwned, c)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOwned, err)
	}
	fd := -1
	var dupErr error
	if err := raw.Control(func(orig uintptr) { fd, dupErr = dupCloexec(orig) }); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOwned, err)
	}
	if dupErr != nil {
		return nil, fmt.Errorf("%w: dup: %w", ErrOwned, dupErr)
	}
	s := &ownedSocket{p: p, local: c.LocalAddr(), peer: c.RemoteAddr(), fd: fd, fallbackWait: fallbackPoll}
	// The duplicate shares the socket's flags (O_NONBLOCK, set by Go's
	// net); closing the runtime's fd drops it from the runtime's set.
	_ = c.Close()
	p.waitMu.Lock()
	p.nextOwned++
	s.id = p.nextOwned
	p.owned[s.id] = s
	p.waitMu.Unlock()
	return s, nil
}

// dupCloexec duplicates fd, close-on-exec.
func dupCloexec(fd uintptr) (int, error) {
	for {
		r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
		switch errno {
		case 0:
			return int(r), nil
		case syscall.EINTR:
			continue
		}
		return -1, errno
	}
}

// call runs f on the fd, under the lock that keeps it open: net.ErrClosed
// once Close has begun.
func (s *ownedSocket) call(f func(fd uintptr) bool) (done bool, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false, net.ErrClosed
	}
	return f(uintptr(s.fd)), nil
}

// writeNow is fdWrite's write on an owned socket: b[from:] until the
// kernel takes no more; net.ErrClosed once Close has begun.
func (s *ownedSocket) writeNow(b []byte, from int) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return from, net.ErrClosed
	}
	return writeNow(uintptr(s.fd), b, from)
}

// rw is Read and Write: op on the fd until it takes or gives something,
// waiting for w while the kernel says EAGAIN.
func (s *ownedSocket) rw(op func(uintptr, []byte) (int, syscall.Errno), b []byte, w waitFor) (int, error) {
	for {
		s.mu.RLock()
		if s.closed {
			s.mu.RUnlock()
			return 0, net.ErrClosed
		}
		n, errno := op(uintptr(s.fd), b)
		s.mu.RUnlock()
		switch errno {
		case 0:
			return n, nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if err := s.await(w); err != nil {
				return 0, err
			}
			continue
		}
		return 0, errno
	}
}

// Read reads what the socket holds, waiting until it holds something;
// io.EOF at its end.
func (s *ownedSocket) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, err := s.rw(sysRead, b, waitRead)
	if err == nil && n == 0 {
		return 0, io.EOF
	}
	return n, err
}

// Write writes all of b, waiting while the socket is full.
func (s *ownedSocket) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := s.rw(sysWrite, b[done:], waitWrite)
		done += n
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// Close closes the socket and wakes whoever waits on it.
func (s *ownedSocket) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return net.ErrClosed
	}
	s.closed = true
	err := syscall.Close(s.fd) // also takes it out of every epoll set
	s.mu.Unlock()
	s.p.disown(s)
	return err
}

func (s *ownedSocket) LocalAddr() net.Addr  { return s.local }
func (s *ownedSocket) RemoteAddr() net.Addr { return s.peer }

// Deadlines are not kept: nothing that reads or writes an upgraded socket
// sets one (the hub and coder/websocket end waits by closing).
func (s *ownedSocket) SetDeadline(time.Time) error      { return errors.ErrUnsupported }
func (s *ownedSocket) SetReadDeadline(time.Time) error  { return errors.ErrUnsupported }
func (s *ownedSocket) SetWriteDeadline(time.Time) error { return errors.ErrUnsupported }

// SyscallConn returns the socket as a syscall.RawConn whose Read and
// Write wait in the Poller's wait set.
func (s *ownedSocket) SyscallConn() (syscall.RawConn, error) { return ownedRaw{s}, nil }

// ownedRaw is an ownedSocket's syscall.RawConn.
type ownedRaw struct{ s *ownedSocket }

func (r ownedRaw) Control(f func(fd uintptr)) error {
	_, err := r.s.call(func(fd uintptr) bool { f(fd); return true })
	return err
}

func (r ownedRaw) Read(f func(fd uintptr) bool) error  { return r.s.loop(f, waitRead) }
func (r ownedRaw) Write(f func(fd uintptr) bool) error { return r.s.loop(f, waitWrite) }

// loop is RawConn.Read and Write: f until it says done, waiting for w
// each time it says not.
func (s *ownedSocket) loop(f func(fd uintptr) bool, w waitFor) error {
	for {
		done, err := s.call(f)
		if err != nil || done {
			return err
		}
		if err := s.await(w); err != nil {
			return err
		}
	}
}

// await waits until the socket may be ready for w (or is closed): the
// caller tries again, and may find it is not (a wake-up may be early).
func (s *ownedSocket) await(w waitFor) error {
	ch, err := s.p.arm(s, w)
	if errors.Is(err, errWatchEnded) {
		return s.pollWait(w)
	}
	if err != nil {
		return err
	}
	<-ch
	return nil
}

// pollWait waits for w in poll(2), on a thread of its own, at most
// fallbackWait: only once the Poller's watcher has ended.
func (s *ownedSocket) pollWait(w waitFor) error {
	_, err := s.call(func(fd uintptr) bool {
		pfd := struct {
			fd              int32
			events, revents int16
		}{fd: int32(fd), events: int16(w.events() & 0xffff)}
		ts := syscall.NsecToTimespec(int64(s.fallbackWait))
		_, _, _ = syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		return true
	})
	return err
}

// errWatchEnded is arm's answer once the watcher has ended (Close).
var errWatchEnded = errors.New("wsconn: the poller's watcher has ended")

// arm adds w to what s's waiters wait for and arms s in the wait set for
// all of it, one shot; it returns the channel the watcher signals when w
// may be ready. Arming checks readiness now (epoll_ctl does), so a socket
// ready before the call is reported at once.
func (p *Poller) arm(s *ownedSocket, w waitFor) (<-chan struct{}, error) {
	p.waitMu.Lock()
	defer p.waitMu.Unlock()
	if s.ready[w] == nil {
		s.ready[w] = make(chan struct{}, 1)
	}
	s.want |= w.events()
	if err := p.ctlWait(s); err != nil {
		s.want &^= w.events()
		return nil, err
	}
	return s.ready[w], nil
}

// ctlWait arms s in the wait set for s.want, one shot. Under waitMu, which
// orders it with the set's close.
func (p *Poller) ctlWait(s *ownedSocket) error {
	if p.watchEnd {
		return errWatchEnded
	}
	op := syscall.EPOLL_CTL_MOD
	if !s.armed {
		op = syscall.EPOLL_CTL_ADD
	}
	ev := syscall.EpollEvent{Events: s.want | syscall.EPOLLONESHOT}
	setParkID(&ev, s.id)
	var ctlErr error
	if _, err := s.call(func(fd uintptr) bool {
		ctlErr = syscall.EpollCtl(p.waitfd, op, int(fd), &ev)
		return true
	}); err != nil {
		return err
	}
	if ctlErr != nil {
		return fmt.Errorf("%w: epoll_ctl: %w", ErrOwned, ctlErr)
	}
	s.armed = true
	return nil
}

// disown forgets a closed socket and wakes its waiters, who find it
// closed.
func (p *Poller) disown(s *ownedSocket) {
	p.waitMu.Lock()
	defer p.waitMu.Unlock()
	delete(p.owned, s.id)
	s.wakeAll()
}

// wakeAll ends every wait on s: its waiters look again. Under waitMu.
func (s *ownedSocket) wakeAll() {
	s.want = 0
	s.signal(waitRead)
	s.signal(waitWrite)
}

// signal wakes w's waiter, if any. Under waitMu.
func (s *ownedSocket) signal(w waitFor) {
	if ch := s.ready[w]; ch != nil {
		select {
		case ch <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
}

// watch wakes the waiters of the sockets in the wait set as they become
// ready, waiting on the set in Go's poller, until Close closes the set.
// Then every waiter is woken, and waits from then on fall back to
// poll(2) (ownedSocket.pollWait).
func (p *Poller) watch() {
	defer p.done.Done()
	defer p.endWatch()
	events := make([]syscall.EpollEvent, parkEvents)
	var n int
	var werr error
	wait := func(fd uintptr) bool {
		n, werr = epollWaitNow(fd, events)
		return n > 0 || werr != nil // else park in Go's poller until the set is readable
	}
	for {
		if err := p.waitRC.Read(wait); err != nil || werr != nil {
			return
		}
		p.waitMu.Lock()
		for _, ev := range events[:n] {
			s := p.owned[parkID(&ev)]
			if s == nil {
				continue // closed since
			}
			for _, w := range [...]waitFor{waitRead, waitWrite} {
				if s.want&w.events() != 0 && w.wakes(ev.Events) {
					s.want &^= w.events()
					s.signal(w)
				}
			}
			if s.want != 0 {
				_ = p.ctlWait(s) // a closed socket's waiters were woken by disown
			}
		}
		p.waitMu.Unlock()
	}
}

// endWatch wakes every waiter for the last time from the watcher.
func (p *Poller) endWatch() {
	p.waitMu.Lock()
	defer p.waitMu.Unlock()
	p.watchEnd = true
	for _, s := range p.owned {
		s.wakeAll()
	}
}
