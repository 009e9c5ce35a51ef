package wsconn

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
)

// Parking idle connections without a goroutine.
//
// Even on the runtime's smallest stack, a goroutine per idle connection
// costs about 2.5 KB (the 2 KB stack and the goroutine's own struct), a
// third of an idle player's budget. A parked connection has none: its fd
// is in an epoll set of the IdlePoller's (EPOLLONESHOT, beside Go's own
// poller, which keeps it too), and one goroutine waits on that set for all
// of them. When the client sends anything (a pong, most often, once a
// ping period), or the connection closes, the connection's resume
// function runs once, and the hub starts a reader goroutine for it again.
//
// Every end of a parked connection resumes it: the socket's Close (by the
// library's close handshake, CloseNow, or the hub) takes it out of the
// set and resumes it, so its reader finds the end and the hub lets it go;
// nothing waits on a socket that is gone. Connections are known to the
// set by a number, never by fd, so a stale event for a closed and reused
// fd finds no one.

// parkStop is the epoll data of the IdlePoller's stop pipe; parked
// connections are numbered from 1.
const parkStop = 0

// parkEvents is how many events one epoll_wait takes.
const parkEvents = 128

// ErrPoller means the IdlePoller could not be set up.
var ErrPoller = errors.New("wsconn: idle poller")

// IdlePoller parks idle connections (Conn.Park) without a goroutine each.
// Linux only (epoll). Safe for concurrent use.
type IdlePoller struct {
	epfd   int
	stopR  int // read end of the stop pipe, in the epoll set
	stopW  int
	done   chan struct{} // closed when the waiting goroutine has ended
	closed sync.Once

	mu     sync.Mutex
	parked map[uint64]*readConn
	next   uint64
	ended  bool // run has ended: nothing parks any more
}

// NewIdlePoller starts an IdlePoller and its goroutine, until Close.
func NewIdlePoller() (*IdlePoller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("%w: epoll_create1: %w", ErrPoller, err)
	}
	var pipe [2]int
	if err := syscall.Pipe2(pipe[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		syscall.Close(epfd)
		return nil, fmt.Errorf("%w: pipe2: %w", ErrPoller, err)
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN}
	setParkID(&ev, parkStop)
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, pipe[0], &ev); err != nil {
		syscall.Close(epfd)
		syscall.Close(pipe[0])
		syscall.Close(pipe[1])
		return nil, fmt.Errorf("%w: epoll_ctl: %w", ErrPoller, err)
	}
	p := &IdlePoller{epfd: epfd, stopR: pipe[0], stopW: pipe[1], done: make(chan struct{}), parked: map[uint64]*readConn{}}
	go p.run()
	return p, nil
}

// Close stops the poller's goroutine and resumes every connection still
// parked (their readers then read as before). It waits for the goroutine.
func (p *IdlePoller) Close() error {
	p.closed.Do(func() {
		_, _ = syscall.Write(p.stopW, []byte{1})
		<-p.done
		syscall.Close(p.stopW)
	})
	return nil
}

// run waits for events until the stop pipe is written (or epoll fails);
// then nothing parks any more, and what is parked is resumed.
func (p *IdlePoller) run() {
	defer close(p.done)
	defer p.resumeAll()
	defer syscall.Close(p.epfd)
	defer syscall.Close(p.stopR)
	events := make([]syscall.EpollEvent, parkEvents)
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return // nothing can be waited on: resume everyone (resumeAll)
		}
		for _, ev := range events[:n] {
			id := parkID(&ev)
			if id == parkStop {
				return
			}
			if r := p.take(id); r != nil {
				r.resumeNow()
			}
		}
	}
}

// resumeAll ends parking and resumes every parked connection.
func (p *IdlePoller) resumeAll() {
	p.mu.Lock()
	p.ended = true
	rest := p.parked
	p.parked = map[uint64]*readConn{}
	p.mu.Unlock()
	for _, r := range rest {
		r.resumeNow()
	}
}

// take removes parked connection id from the set, returning it, or nil if
// it is not parked (resumed already, by an event or its Close).
func (p *IdlePoller) take(id uint64) *readConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.parked[id]
	delete(p.parked, id)
	return r
}

// park puts r in the set with resume, to run once when its socket is
// readable or r is closed. It returns false, and resume never runs, if r
// cannot be parked now (the poller is closed, or the socket is).
func (p *IdlePoller) park(r *readConn, resume func()) bool {
	p.mu.Lock()
	if p.ended {
		p.mu.Unlock()
		return false
	}
	if r.parkID == 0 {
		p.next++
		r.parkID = p.next
	}
	id := r.parkID
	r.resume = resume
	p.parked[id] = r
	op := syscall.EPOLL_CTL_ADD
	if r.inPoller {
		op = syscall.EPOLL_CTL_MOD // EPOLLONESHOT left it in the set, disabled
	}
	// Set before the event can fire: from then on the next reader of r
	// may park it again.
	r.inPoller = true
	p.mu.Unlock()

	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT}
	setParkID(&ev, id)
	var ctlErr error
	err := r.rc.Control(func(fd uintptr) { ctlErr = syscall.EpollCtl(p.epfd, op, int(fd), &ev) })
	if err == nil && ctlErr == nil {
		return true
	}
	// The socket is closing: take r back, unless its Close already took
	// it (and resumed it).
	if p.take(id) != r {
		return true
	}
	r.resume = nil
	if op == syscall.EPOLL_CTL_ADD {
		r.inPoller = false
	}
	return false
}

// unpark resumes r if it is parked: its socket is being closed.
func (p *IdlePoller) unpark(r *readConn) {
	p.mu.Lock()
	id := r.parkID
	p.mu.Unlock()
	if id == 0 {
		return
	}
	if p.take(id) == r {
		r.resumeNow()
	}
}

// resumeNow runs and forgets r's resume function; the caller has taken r
// out of the set, so it runs once.
func (r *readConn) resumeNow() {
	f := r.resume
	r.resume = nil
	if f != nil {
		f()
	}
}

// setParkID and parkID keep a connection's number in an epoll event's
// 64-bit data (syscall.EpollEvent splits it into Fd and Pad).
func setParkID(ev *syscall.EpollEvent, id uint64) {
	ev.Fd, ev.Pad = int32(uint32(id)), int32(uint32(id>>32))
}

func parkID(ev *syscall.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}
