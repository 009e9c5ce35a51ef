package wsconn

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Reading connections that have no reader goroutine.
//
// Most connections wait: an idle player sends a pong a ping period, and
// even one who clicks four times a second waits 250 ms between clicks. A
// goroutine per waiting connection costs memory (2.5 KB at the least: the
// runtime's 2 KB stack and the goroutine's own struct), and waking one
// per message costs the scheduler more than reading the message does
// (BENCHMARKS.md, "Clicks read by the poller"). A parked connection has
// none: its fd is in the Poller's park set (epoll, level-triggered), and
// one goroutine reads that set for all of them.
//
// When a parked connection's socket is readable, the poller reads what it
// holds and handles the whole frames it can by itself (inline.go): each
// binary message goes to the hub's deliver function, each ping and pong
// to its Control function, in order. The first frame it leaves to
// coder/websocket (a close, a text or fragmented message, a header the
// gate refuses, one longer than protocol.MaxClientMessage), the end of
// the stream, or deliver saying no more, ends the parking: the poller
// takes the connection out of the set, keeps the bytes it has not used in
// front of the socket's (readConn.pending), and runs the connection's
// resume function, whose reader goroutine reads on through the library
// and the gate, with their close codes. A frame only partly arrived waits
// in pending for the rest.
//
// Waiting: the Poller looks at its set on a beat, on a timer, and reads
// every parked connection readable by then; nothing waits on the set
// itself. Every upgraded socket is out of Go's poller too (owned.go; for
// TLS, the TCP socket under crypto/tls), so a click wakes no thread: the
// clicks of a beat are read for one timer's wake-up. Waking on each click
// instead, on the set in Go's poller, cost the runtime a thread's wake-up
// per click (BENCHMARKS.md, "Sockets out of Go's poller"). The single
// process's Sequencer also reads the set right before each cut (ReadNow),
// so a click makes the tick it came before however late the beat is, and
// the beat slows to pollEveryCut meanwhile; without cuts (a cluster node
// not sequencing) a click waits at most pollEvery to be read. While
// nothing is parked, run waits without a beat: an idle server wakes for
// nothing.
//
// Every end of a parked connection resumes it: the socket's Close takes it
// out of the set and resumes it, so its reader finds the end; the close
// handshake (Conn.Close) takes it out first, waiting for a read of it in
// progress, so that from then on the library alone reads the socket,
// after the bytes the poller kept. Connections are known to the set by a
// number, never by fd, so a stale event for a closed and reused fd finds
// no one.

// Poller constants.
const (
	// pollEvery is the Poller's beat: what it adds at most to a click's
	// wait for the tick, against one timer wake-up per beat (a tenth of
	// the server's 50 ms tick at its fastest).
	pollEvery = 5 * time.Millisecond
	// pollEveryCut is the beat while a Sequencer reads the set at each of
	// its cuts (ReadNow, in the last cutFresh): every cut reads the set
	// anyway, so the beat is only a backstop for a tick that is late;
	// pongs and the like wait for the next cut (PingTimeout is seconds).
	pollEveryCut = 250 * time.Millisecond
	// cutFresh is how recent the last ReadNow must be for the slow beat:
	// ten ticks at the slowest stretched tick, so a node that stops
	// cutting (a cluster node that lost the lease) is back on the fast
	// beat within a second.
	cutFresh = time.Second
	// parkEvents is how many events one epoll_wait takes.
	parkEvents = 128
	// pollBuf is the poller's read buffer: any client frame the server
	// takes (protocol.MaxClientMessage and its header) fits whole, with
	// room for the frames behind it.
	pollBuf = 16 << 10
)

// ErrPoller means the Poller could not be set up, or has closed.
var ErrPoller = errors.New("wsconn: poller")

// Poller reads connections that have no reader goroutine (Conn.Park).
// Linux only (epoll). Safe for concurrent use.
type Poller struct {
	epfd    int                // the park set, looked at every pollEvery by run
	stop    chan struct{}      // closed by Close: run and watch end
	parking chan struct{}      // a connection parked in an empty set: run beats again (cap 1)
	now     chan chan struct{} // ReadNow's requests, each closed once read
	runEnd  chan struct{}      // closed when run has ended (ReadNow waits no more)
	every   [2]time.Duration   // the beat without and with cuts (pollEvery, pollEveryCut)
	done    sync.WaitGroup
	closed  sync.Once

	buf []byte // owned by run: what it reads from a socket

	mu     sync.Mutex
	idle   *sync.Cond // on mu: run has ended a read of a connection
	parked map[uint64]*readConn
	next   uint64
	ended  bool // run has ended: nothing parks any more, and the park set is closed

	// The wait set (owned.go): owned sockets someone waits on, one shot
	// each, watched by watch in Go's poller.
	waitfd    int
	waitSet   *os.File // waitfd's, in Go's poller
	waitRC    syscall.RawConn
	waitMu    sync.Mutex
	owned     map[uint64]*ownedSocket // guarded by waitMu
	nextOwned uint64                  // guarded by waitMu
	watchEnd  bool                    // guarded by waitMu: watch has ended, waits fall back to poll(2)
}

// NewPoller starts a Poller and its goroutines, until Close.
func NewPoller() (*Poller, error) { return newPoller(pollEvery, pollEveryCut) }

// newPoller is NewPoller with the beats given (tests).
func newPoller(every, everyCut time.Duration) (*Poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("%w: epoll_create1: %w", ErrPoller, err)
	}
	waitfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err == nil {
		err = syscall.SetNonblock(waitfd, true) // Go's poller watches it
	}
	if err != nil {
		syscall.Close(epfd)
		if waitfd >= 0 {
			syscall.Close(waitfd)
		}
		return nil, fmt.Errorf("%w: the wait set: %w", ErrPoller, err)
	}
	waitSet := os.NewFile(uintptr(waitfd), "wsconn-wait")
	waitRC, err := waitSet.SyscallConn()
	if err != nil {
		syscall.Close(epfd)
		waitSet.Close()
		return nil, fmt.Errorf("%w: %w", ErrPoller, err)
	}
	p := &Poller{epfd: epfd, stop: make(chan struct{}), parking: make(chan struct{}, 1),
		now: make(chan chan struct{}), runEnd: make(chan struct{}), every: [2]time.Duration{every, everyCut}, buf: make([]byte, pollBuf),
		parked: map[uint64]*readConn{}, waitfd: waitfd, waitSet: waitSet, waitRC: waitRC, owned: map[uint64]*ownedSocket{}}
	p.idle = sync.NewCond(&p.mu)
	p.done.Add(2)
	go p.run()
	go p.watch()
	return p, nil
}

// Close stops the poller's goroutines and resumes every connection still
// parked (their readers then read as before); an owned socket's waits
// fall back to poll(2). It waits for the goroutines.
func (p *Poller) Close() error {
	p.closed.Do(func() {
		close(p.stop)
		p.waitMu.Lock()
		p.watchEnd = true // no epoll_ctl on the wait set from here on
		p.waitMu.Unlock()
		p.waitSet.Close() // ends watch's wait
		p.done.Wait()
	})
	return nil
}

// run reads the parked connections readable at each beat, and at each
// ReadNow, until Close (or epoll fails); then nothing parks any more, and
// what is parked is resumed.
func (p *Poller) run() {
	defer p.done.Done()
	defer close(p.runEnd)
	defer p.resumeAll()
	events := make([]syscall.EpollEvent, parkEvents)
	beat := time.NewTimer(p.every[0])
	defer beat.Stop()
	var lastCut time.Time
	for {
		// No beat while nothing is parked: an idle server wakes for
		// nothing.
		var beats <-chan time.Time
		if p.anyParked() {
			beats = beat.C
		}
		select {
		case <-p.stop:
			return
		case <-p.parking:
		case read := <-p.now:
			ok := p.round(events)
			close(read)
			if !ok {
				return
			}
			lastCut = time.Now()
		case <-beats:
			if !p.round(events) {
				return
			}
			every := p.every[0]
			if time.Since(lastCut) < cutFresh {
				every = p.every[1]
			}
			beat.Reset(every)
		}
	}
}

// round reads every parked connection readable now; false if the set
// cannot be read (nothing can be waited on: run ends and resumes
// everyone).
func (p *Poller) round(events []syscall.EpollEvent) bool {
	for {
		n, err := epollWaitNow(uintptr(p.epfd), events)
		if err != nil {
			return false
		}
		for _, ev := range events[:n] {
			p.serve(parkID(&ev))
		}
		if n < len(events) {
			return true
		}
	}
}

// ReadNow reads every parked connection readable now and returns once it
// has (their messages delivered), or at once if the Poller has ended. A
// Sequencer calls it right before each cut (pipeline.Sequencer.BeforeCut),
// so that every click that came before the cut makes that tick; while it
// does, the beat slows to pollEveryCut.
func (p *Poller) ReadNow() {
	read := make(chan struct{})
	select {
	case p.now <- read:
	case <-p.runEnd:
		return
	}
	<-read
}

// epollWaitNow takes the events ready in the set now, without waiting
// (epoll_pwait with a zero timeout; a raw call, as it cannot block).
func epollWaitNow(epfd uintptr, events []syscall.EpollEvent) (int, error) {
	for {
		n, _, errno := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, epfd, uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
		switch errno {
		case 0:
			return int(n), nil
		case syscall.EINTR:
			continue
		}
		return 0, errno
	}
}

// serve reads parked connection id (if it still is) and resumes it if
// its reading ended there or its socket was closed meanwhile.
func (p *Poller) serve(id uint64) {
	p.mu.Lock()
	r := p.parked[id]
	if r == nil {
		p.mu.Unlock()
		return
	}
	r.reading = true
	p.mu.Unlock()

	end := r.readParked(p.buf)

	p.mu.Lock()
	r.reading = false
	if end = end || r.closedWhileRead; end {
		r.closedWhileRead = false
		delete(p.parked, id)
	}
	p.mu.Unlock()
	p.idle.Broadcast()
	if end {
		p.leave(r)
	}
}

// ctl changes r's place in the set (epoll_ctl op), unless the set or r's
// socket is closed: the fd numbers may belong to others by then. Under
// the lock that orders it with the set's close (resumeAll).
func (p *Poller) ctl(op int, r *readConn, ev *syscall.EpollEvent) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return ErrPoller
	}
	var ctlErr error
	if err := r.raw().Control(func(fd uintptr) { ctlErr = syscall.EpollCtl(p.epfd, op, int(fd), ev) }); err != nil {
		return err
	}
	return ctlErr
}

// resumeAll ends parking, closes the set and resumes every parked
// connection.
func (p *Poller) resumeAll() {
	p.mu.Lock()
	p.ended = true
	syscall.Close(p.epfd)
	rest := p.parked
	p.parked = map[uint64]*readConn{}
	p.mu.Unlock()
	for _, r := range rest {
		p.leave(r)
	}
}

// park puts r in the set, to be read by run with deliver, and resume to
// run once when its parking ends. It returns false, and neither runs, if
// r cannot be parked now (the poller is closed, or the socket is).
func (p *Poller) park(r *readConn, deliver func([]byte) bool, resume func()) bool {
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
	r.deliver, r.resume = deliver, resume
	first := len(p.parked) == 0
	p.parked[id] = r
	p.mu.Unlock()
	if first {
		select {
		case p.parking <- struct{}{}:
		default: // run has been told already
		}
	}

	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP}
	setParkID(&ev, id)
	if p.ctl(syscall.EPOLL_CTL_ADD, r, &ev) == nil {
		return true
	}
	// The socket is closing: take r back, unless its Close already took
	// it (and resumed it).
	if p.take(id) != r {
		return true
	}
	r.deliver, r.resume = nil, nil
	return false
}

// anyParked reports whether a connection is parked.
func (p *Poller) anyParked() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.parked) > 0
}

// open reports whether connections may park (run has not ended).
func (p *Poller) open() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.ended
}

// take removes parked connection id from the set, returning it, or nil if
// it is not parked (resumed already).
func (p *Poller) take(id uint64) *readConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.parked[id]
	delete(p.parked, id)
	return r
}

// unpark resumes r if it is parked: its socket is being closed. If run is
// reading it, unpark waits for that read to end when wait is set (the
// close handshake is about to read the socket), and otherwise leaves r to
// run, which resumes it after the read.
func (p *Poller) unpark(r *readConn, wait bool) {
	p.mu.Lock()
	for wait && r.reading {
		p.idle.Wait()
	}
	if r.reading {
		r.closedWhileRead = true
		p.mu.Unlock()
		return
	}
	id := r.parkID
	if id == 0 || p.parked[id] != r {
		p.mu.Unlock()
		return
	}
	delete(p.parked, id)
	p.mu.Unlock()
	p.leave(r)
}

// leave takes r, no longer in the parked map, out of the epoll set and
// runs its resume function. A closed socket left the set with its fd.
func (p *Poller) leave(r *readConn) {
	_ = p.ctl(syscall.EPOLL_CTL_DEL, r, nil)
	f := r.resume
	r.deliver, r.resume = nil, nil
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
