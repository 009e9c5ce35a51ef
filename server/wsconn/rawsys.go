package wsconn

import (
	"io"
	"net"
	"sync"
	"syscall"
	"unsafe"
)

// Socket calls without the scheduler's bookkeeping.
//
// syscall.Read and syscall.Write tell the scheduler the call may block
// (entersyscall, exitsyscall), and the first such call after the process
// went idle wakes the runtime's sysmon thread with a futex. Every socket
// this package reads or writes is non-blocking (Go's net sets O_NONBLOCK),
// so these calls cannot block, and a raw syscall skips both costs. A
// server that goes idle between clicks paid the wake-up on nearly every
// click's read (BENCHMARKS.md, "Staggered pacing and raw socket calls").
//
// Only for non-blocking fds: a raw call that blocked would hold its P.

// sysRead is read(2) on a non-blocking fd.
func sysRead(fd uintptr, b []byte) (int, syscall.Errno) {
	n, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	return int(n), errno
}

// sysWrite is write(2) on a non-blocking fd.
func sysWrite(fd uintptr, b []byte) (int, syscall.Errno) {
	n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	return int(n), errno
}

// sysPeek is recvfrom(2) of one byte with MSG_PEEK|MSG_DONTWAIT into *b:
// whether the socket holds anything, without taking it. (recvfrom itself,
// not syscall.Recvfrom: its address buffer would make the frame, the
// deepest a waiting reader reaches, 112 bytes bigger.)
func sysPeek(fd uintptr, b *byte) syscall.Errno {
	_, _, errno := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(b)), 1,
		syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
	return errno
}

// fdRead is one socket's read(2) through its RawConn with sysRead, for
// the one goroutine that reads it. Its state passes to the callback
// without a closure allocation per call.
type fdRead struct {
	park bool // this read's: a socket that holds nothing waits in Go's poller, or errIdle
	buf  []byte
	n    int
	err  error
	fn   func(fd uintptr) bool
}

func (r *fdRead) init() { r.fn = r.some }

// read reads what the socket holds into b (io.EOF at its end). When it
// holds nothing, read parks until it does, or returns errIdle if !park.
func (r *fdRead) read(rc syscall.RawConn, b []byte, park bool) (int, error) {
	r.buf, r.park = b, park
	err := rc.Read(r.fn)
	n, rerr := r.n, r.err
	r.buf, r.err = nil, nil
	switch {
	case err != nil:
		return 0, err // closed, or past a deadline
	case rerr != nil:
		return 0, rerr
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// some is read's callback.
func (r *fdRead) some(fd uintptr) bool {
	for {
		n, errno := sysRead(fd, r.buf)
		switch errno {
		case 0:
			r.n, r.err = n, nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if r.park {
				return false
			}
			r.n, r.err = 0, errIdle
		default:
			r.n, r.err = 0, errno
		}
		return true
	}
}

// fdWrite is one socket's write(2) straight on its fd with sysWrite, for
// the writes that never wait (TryWrite): RawConn.Write's per-call locking
// and poller bookkeeping cost a tenth of a broadcast's write (BENCHMARKS.md,
// "Clicks read by the poller"). Its own lock keeps the fd from being
// closed, and its number reused by another socket, during a write: the
// socket's Close goes through close, which waits for writes in progress
// and stops later ones. Writes may run at once (the lock is shared);
// every close of the socket must go through close. A socket out of Go's
// poller (owned.go) guards its own fd with the same rule, so for one
// fdWrite only hands the write to it.
type fdWrite struct {
	owned *ownedSocket // if set, the socket's; the fields below are unused

	mu     sync.RWMutex
	fd     int
	hasFD  bool // set by init; without it (the zero value) write takes nothing
	closed bool
}

// init takes the fd of rc (nil: no fd), or its owned socket.
func (w *fdWrite) init(rc syscall.RawConn) {
	if o, ok := rc.(ownedRaw); ok {
		w.owned = o.s
		return
	}
	if rc != nil {
		_ = rc.Control(func(fd uintptr) { w.fd, w.hasFD = int(fd), true })
	}
}

// write writes b[from:] until the kernel takes no more, and returns how
// far it got; net.ErrClosed once the socket is closing.
func (w *fdWrite) write(b []byte, from int) (int, error) {
	if w.owned != nil {
		return w.owned.writeNow(b, from)
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return from, net.ErrClosed
	}
	if !w.hasFD {
		return from, nil
	}
	return writeNow(uintptr(w.fd), b, from)
}

// close stops writes, once those in progress have ended, and then closes
// the socket with closeSocket.
func (w *fdWrite) close(closeSocket func() error) error {
	if w.owned != nil {
		return closeSocket() // the owned socket's Close waits for its calls
	}
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	return closeSocket()
}
