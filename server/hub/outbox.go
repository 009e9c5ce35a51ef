package hub

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"checkgrid/protocol"
)

// Writing without a goroutine per client.
//
// A frame for a client goes through its outbox: while the socket takes
// writes, write puts the frame on it at once with a non-blocking TryWrite,
// on the caller's goroutine (a sender of the pool, or the client's reader
// for a Reject or a pong). Only when the socket is full does the unsent
// remainder stay in the outbox's bounded queue, and a flusher goroutine
// parks in WriteAll (Go's poller wakes it when the socket drains), writes
// the queue out in order and exits. So a broadcast to 10,000 ready clients
// is 10,000 write(2) calls from a couple of goroutines, with no wake-ups,
// and the only goroutines besides readers belong to clients that are
// behind.
//
// A queue that overflows (Config.OutboxFrames) makes write report
// writeOverflow: the caller drops the client from what it follows, and
// once the flusher has drained what was queued the outbox calls its
// owner's lagged, which asks the publisher for Resync + Snapshot
// (resync.go).

// outboxState is where an outbox is in its life. Every transition is made
// under outbox.mu:
//
//	open ──socket full──► flushing ──drained──► open
//	open ──close──► closing (the handshake at once) ──► dead
//	flushing ──close──► closing (the handshake after the queue) ──► dead
//	any ──socket error or abandon──► dead
type outboxState uint8

const (
	// outboxOpen: frames go straight to the socket; nothing is queued.
	outboxOpen outboxState = iota
	// outboxFlushing: the socket is full; frames queue (up to the limit)
	// behind the one a flusher goroutine is writing with WriteAll.
	outboxFlushing
	// outboxClosing: closed; no frame is taken. One goroutine (the
	// flusher, or the one close started) writes out what stays queued and
	// then does the close handshake.
	outboxClosing
	// outboxDead: the socket is gone or the handshake is done; every
	// frame is dropped.
	outboxDead
)

func (s outboxState) String() string {
	switch s {
	case outboxOpen:
		return "open"
	case outboxFlushing:
		return "flushing"
	case outboxClosing:
		return "closing"
	case outboxDead:
		return "dead"
	}
	return fmt.Sprintf("outboxState(%d)", uint8(s))
}

// writeResult is what write did with a frame.
type writeResult uint8

const (
	writeOK       writeResult = iota + 1 // written, or queued behind a full socket
	writeOverflow                        // not taken: the queue is full; a resync follows the drain
	writeEnded                           // not taken: the outbox is closing or dead
)

func (r writeResult) String() string {
	switch r {
	case writeOK:
		return "ok"
	case writeOverflow:
		return "overflow"
	case writeEnded:
		return "ended"
	}
	return fmt.Sprintf("writeResult(%d)", uint8(r))
}

// outbox is one connection's write side: the bounded queue behind a full
// socket, the flusher that drains it, and the close handshake after it.
// Frames are shared between clients and never modified or kept past
// their write.
//
// Memory: an open outbox holds no buffer (queue is nil) and no goroutine.
type outbox struct {
	conn  Socket
	limit int // frames the queue holds, the one being written included
	owner outboxOwner

	// blocked is when the socket filled up (unix ns), 0 while it takes
	// writes; the publisher's sweep ends a client stuck too long.
	blocked atomic.Int64

	mu       sync.Mutex
	state    outboxState
	queue    [][]byte // flushing, closing: queue[0][off:] goes next
	off      int
	overflow bool // flushing: a frame was refused; lagged follows the drain
	code     protocol.CloseCode
	why      string
}

// outboxOwner is what an outbox needs from the connection it belongs to
// (a Client; an interface, not two func fields, so that an idle
// connection costs no closures).
type outboxOwner interface {
	// spawn runs f on a goroutine of its own: a flusher, or a close
	// handshake (the hub counts them for shutdown).
	spawn(f func())
	// lagged is called from the flusher once a queue that overflowed has
	// drained.
	lagged()
}

func (o *outbox) init(conn Socket, limit int, owner outboxOwner) {
	o.conn, o.limit, o.owner = conn, limit, owner
}

// write takes wire and puts what the socket takes on it now. It never
// blocks.
func (o *outbox) write(wire []byte) writeResult {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch o.state {
	case outboxClosing, outboxDead:
		return writeEnded
	case outboxFlushing:
		if len(o.queue) >= o.limit {
			o.overflow = true
			return writeOverflow
		}
		o.queue = append(o.queue, wire)
		return writeOK
	}
	n, err := o.conn.TryWrite(wire)
	if err != nil {
		o.state = outboxDead
		_ = o.conn.CloseNow()
		return writeEnded
	}
	if n < len(wire) {
		o.queue = append(o.queue, wire)
		o.off = n
		o.state = outboxFlushing
		o.blocked.Store(time.Now().UnixNano())
		o.owner.spawn(o.flush)
	}
	return writeOK
}

// answerSlack is how many answers (Rejects: the end of a client's own
// Sets) an outbox queues past its limit. PROTOCOL.md's invariant 7 promises
// every accepted box an end while the connection lasts, so an answer is
// not dropped like a Delta that a resync replaces. A client's answers in
// flight are bounded by its Set budget; 64 more frames than the limit is
// far above what a client that reads at all accumulates in one drain.
const answerSlack = 64

// answer is write for a frame that answers the client's own request:
// while the queue is full it still queues, up to answerSlack frames past
// the limit. writeOverflow from it means the promise cannot be kept on
// this connection: the caller ends it (a closed connection ends what it
// was waiting for).
func (o *outbox) answer(wire []byte) writeResult {
	o.mu.Lock()
	if o.state == outboxFlushing {
		defer o.mu.Unlock()
		if len(o.queue) >= o.limit+answerSlack {
			return writeOverflow
		}
		o.queue = append(o.queue, wire)
		return writeOK
	}
	o.mu.Unlock()
	return o.write(wire)
}

// flush writes the queue out while the socket is slow, then ends: the
// outbox is open again (and lagged is called if it overflowed), or, if it
// was closed meanwhile, the close handshake follows.
func (o *outbox) flush() {
	o.mu.Lock()
	for {
		if o.state == outboxDead {
			o.queue = nil
			o.mu.Unlock()
			return
		}
		if len(o.queue) == 0 {
			o.queue = nil // don't hold the backing array while idle
			o.blocked.Store(0)
			if o.state == outboxClosing {
				o.mu.Unlock()
				o.handshake()
				return
			}
			o.state = outboxOpen
			lagged := o.overflow
			o.overflow = false
			o.mu.Unlock()
			if lagged {
				o.owner.lagged()
			}
			return
		}
		b := o.queue[0][o.off:]
		o.mu.Unlock()
		err := o.conn.WriteAll(b) // unlocked: senders keep queueing meanwhile
		o.mu.Lock()
		if err != nil {
			o.state = outboxDead
			o.queue = nil
			o.mu.Unlock()
			_ = o.conn.CloseNow()
			return
		}
		o.queue[0] = nil
		o.queue, o.off = o.queue[1:], 0
	}
}

// close ends the outbox with code: no frame is taken after it. With
// keepQueued (shutdown: what is queued is durable and the client would
// otherwise miss it) the whole queue is written first; otherwise only the
// frame being written, which must finish for the stream's framing. Then
// the close handshake. It never blocks; only the first call counts, and
// none once the socket is gone.
func (o *outbox) close(code protocol.CloseCode, why string, keepQueued bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch o.state {
	case outboxClosing, outboxDead:
		return
	case outboxFlushing:
		if !keepQueued && len(o.queue) > 1 {
			clear(o.queue[1:])
			o.queue = o.queue[:1]
		}
		o.state, o.code, o.why = outboxClosing, code, why
		return // the flusher does the handshake once the queue is out
	}
	o.state, o.code, o.why = outboxClosing, code, why
	o.owner.spawn(o.handshake)
}

// handshake does the close handshake of a closing outbox whose queue is
// empty, unless the socket went away meanwhile.
func (o *outbox) handshake() {
	o.mu.Lock()
	was := o.state
	o.state = outboxDead
	code, why := o.code, o.why
	o.mu.Unlock()
	if was == outboxClosing {
		_ = o.conn.Close(code, why)
	}
}

// abandon drops everything: the socket is gone (its reader failed) and
// nothing more can be said on it.
func (o *outbox) abandon() {
	o.mu.Lock()
	o.state = outboxDead
	o.queue = nil
	o.mu.Unlock()
	_ = o.conn.CloseNow()
}

// blockedSince is when the socket filled up, 0 while it takes writes.
func (o *outbox) blockedSince() int64 { return o.blocked.Load() }
