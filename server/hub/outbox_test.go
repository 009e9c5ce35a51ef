package hub

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"checkgrid/protocol"
)

// scriptConn is a Conn whose socket the test drives: TryWrite takes up to
// room bytes, WriteAll parks until the test lets it write (or fails it),
// and every byte written and every close is recorded.
type scriptConn struct {
	mu      sync.Mutex
	room    int    // bytes TryWrite takes now
	tryErr  error  // TryWrite's error, if set
	wrote   []byte // every byte the socket took, in order
	code    protocol.CloseCode
	closes  int // close handshakes
	nows    int // CloseNow calls
	closed  chan struct{}
	parked  chan []byte // WriteAll announces what it waits to write
	release chan error  // WriteAll returns after one of these (nil: written)
}

var errScriptClosed = errors.New("script: closed")

func newScriptConn(room int) *scriptConn {
	return &scriptConn{room: room, closed: make(chan struct{}), parked: make(chan []byte, 1), release: make(chan error)}
}

func (c *scriptConn) Read(ctx context.Context) ([]byte, error) { return nil, errScriptClosed }
func (c *scriptConn) SetControl(func(Control, []byte))         {}

func (c *scriptConn) TryWrite(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tryErr != nil {
		return 0, c.tryErr
	}
	n := min(c.room, len(b))
	c.room -= n
	c.wrote = append(c.wrote, b[:n]...)
	return n, nil
}

func (c *scriptConn) WriteAll(b []byte) error {
	c.parked <- b
	select {
	case err := <-c.release:
		if err == nil {
			c.mu.Lock()
			c.wrote = append(c.wrote, b...)
			c.mu.Unlock()
		}
		return err
	case <-c.closed:
		return errScriptClosed
	}
}

func (c *scriptConn) Close(code protocol.CloseCode, _ string) error {
	c.mu.Lock()
	c.code, c.closes = code, c.closes+1
	c.mu.Unlock()
	return nil
}

func (c *scriptConn) CloseNow() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nows++; c.nows == 1 {
		close(c.closed)
	}
	return nil
}

// scriptOwner counts the goroutines an outbox starts and its lagged calls.
type scriptOwner struct {
	wg   sync.WaitGroup
	lags atomic.Int32
}

func (w *scriptOwner) spawn(f func()) {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		f()
	}()
}

func (w *scriptOwner) lagged() { w.lags.Add(1) }

// current is o's state now.
func (o *outbox) current() outboxState {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.state
}

// outboxRun is one table test's world: an outbox of limit 2 on a script.
type outboxRun struct {
	t    *testing.T
	o    *outbox
	conn *scriptConn
	own  *scriptOwner
}

func (r *outboxRun) write(f string, want writeResult) {
	r.t.Helper()
	if got := r.o.write([]byte(f)); got != want {
		r.t.Fatalf("write %q: %v, want %v", f, got, want)
	}
}

// park waits for the flusher to wait in WriteAll with want.
func (r *outboxRun) park(want string) {
	r.t.Helper()
	select {
	case b := <-r.conn.parked:
		if string(b) != want {
			r.t.Fatalf("flusher writes %q, want %q", b, want)
		}
	case <-time.After(5 * time.Second):
		r.t.Fatalf("flusher did not write %q", want)
	}
}

// drain lets the parked flusher write, then waits for the next WriteAll
// of each of more.
func (r *outboxRun) drain(first string, more ...string) {
	r.t.Helper()
	r.park(first)
	r.conn.release <- nil
	for _, f := range more {
		r.park(f)
		r.conn.release <- nil
	}
}

// settle waits for every goroutine the outbox started.
func (r *outboxRun) settle() {
	r.t.Helper()
	done := make(chan struct{})
	go func() {
		r.own.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		r.t.Fatal("outbox goroutines did not end")
	}
}

func (r *outboxRun) state(want outboxState) {
	r.t.Helper()
	if got := r.o.current(); got != want {
		r.t.Fatalf("state %v, want %v", got, want)
	}
}

// TestOutboxTransitions drives every transition of outboxState against a
// scripted socket: what is written, in which order, when the resync is
// asked for, which close (if any) the peer sees.
func TestOutboxTransitions(t *testing.T) {
	tests := []struct {
		name string
		room int // bytes the socket takes before it is full
		run  func(r *outboxRun)
		// after the run and its goroutines: the state, the bytes on the
		// wire, the handshake's code (0: none), CloseNow called, lagged calls.
		state  outboxState
		wrote  string
		code   protocol.CloseCode
		now    bool
		lagged int32
	}{
		{name: "open: written at once", room: 100,
			run:   func(r *outboxRun) { r.write("aa", writeOK); r.write("bb", writeOK); r.state(outboxOpen) },
			state: outboxOpen, wrote: "aabb"},
		{name: "socket full: flushing, then open again", room: 3,
			run: func(r *outboxRun) {
				r.write("aaaa", writeOK)
				r.state(outboxFlushing)
				if r.o.blockedSince() == 0 {
					r.t.Fatal("blockedSince not set while flushing")
				}
				r.write("bb", writeOK)
				r.drain("a", "bb") // the rest of the first frame, then the queue
				r.settle()
				if r.o.blockedSince() != 0 {
					r.t.Fatal("blockedSince set after the drain")
				}
				r.conn.mu.Lock()
				r.conn.room = 100
				r.conn.mu.Unlock()
				r.write("cc", writeOK) // direct again
			},
			state: outboxOpen, wrote: "aaaabbcc"},
		{name: "overflow: refused, resync once drained", room: 0,
			run: func(r *outboxRun) {
				r.write("aa", writeOK)
				r.write("bb", writeOK)
				r.write("cc", writeOverflow) // limit 2, the one being written included
				r.write("dd", writeOverflow)
				if r.own.lags.Load() != 0 {
					r.t.Fatal("lagged before the queue drained")
				}
				r.drain("aa", "bb")
			},
			state: outboxOpen, wrote: "aabb", lagged: 1},
		{name: "answers queue past the full queue, no resync for them", room: 0,
			run: func(r *outboxRun) {
				r.write("aa", writeOK)
				r.write("bb", writeOK)
				r.write("cc", writeOverflow) // a Delta: refused, resynced later
				if got := r.o.answer([]byte("RR")); got != writeOK {
					r.t.Fatalf("answer on a full queue: %v, want ok", got)
				}
				r.drain("aa", "bb", "RR")
			},
			state: outboxOpen, wrote: "aabbRR", lagged: 1},
		{name: "answers past the slack: overflow, the caller ends the client", room: 0,
			run: func(r *outboxRun) {
				r.write("aa", writeOK)
				r.write("bb", writeOK)
				for range answerSlack {
					if got := r.o.answer([]byte("R")); got != writeOK {
						r.t.Fatalf("answer within the slack: %v", got)
					}
				}
				if got := r.o.answer([]byte("X")); got != writeOverflow {
					r.t.Fatalf("answer past the slack: %v, want overflow", got)
				}
				r.o.close(protocol.CloseTooSlow, "rejects not taken", false)
				r.drain("aa")
			},
			state: outboxDead, wrote: "aa", code: protocol.CloseTooSlow},
		{name: "answer while open: written at once", room: 100,
			run: func(r *outboxRun) {
				if got := r.o.answer([]byte("RR")); got != writeOK {
					r.t.Fatalf("answer: %v", got)
				}
			},
			state: outboxOpen, wrote: "RR"},
		{name: "stall: close 4001 drops the queue, CloseNow frees the stuck write", room: 0,
			run: func(r *outboxRun) {
				r.write("aa", writeOK)
				r.write("bb", writeOK)
				r.park("aa")
				r.o.close(protocol.CloseTooSlow, "writer stalled", false)
				r.state(outboxClosing)
				r.write("cc", writeEnded)
				_ = r.conn.CloseNow() // what kill's WriteTimeout timer does
			},
			state: outboxDead, wrote: "", now: true},
		{name: "close while flushing: the frame being written, then the handshake", room: 0,
			run: func(r *outboxRun) {
				r.write("aa", writeOK)
				r.write("bb", writeOK)
				r.o.close(protocol.CloseTooSlow, "too slow", false)
				r.drain("aa")
			},
			state: outboxDead, wrote: "aa", code: protocol.CloseTooSlow},
		{name: "close while flushing at shutdown: the whole queue, then the handshake", room: 0,
			run: func(r *outboxRun) {
				r.write("aa", writeOK)
				r.write("bb", writeOK)
				r.o.close(protocol.CloseGoingAway, "shutting down", true)
				r.write("cc", writeEnded)
				r.o.close(protocol.CloseAbuse, "second close", false) // only the first counts
				r.drain("aa", "bb")
			},
			state: outboxDead, wrote: "aabb", code: protocol.CloseGoingAway},
		{name: "close while open: handshake at once", room: 100,
			run: func(r *outboxRun) {
				r.write("aa", writeOK)
				r.o.close(protocol.CloseProtocol, "bad frame", false)
				r.write("bb", writeEnded)
			},
			state: outboxDead, wrote: "aa", code: protocol.CloseProtocol},
		{name: "write after dead: dropped, no handshake", room: 100,
			run: func(r *outboxRun) {
				r.o.abandon()
				r.write("aa", writeEnded)
				r.o.close(protocol.CloseTooSlow, "late", false)
			},
			state: outboxDead, wrote: "", now: true},
		{name: "abandoned while flushing: the flusher stops", room: 0,
			run: func(r *outboxRun) {
				r.write("aa", writeOK)
				r.park("aa")
				r.o.abandon()
			},
			state: outboxDead, wrote: "", now: true},
		{name: "socket error on a write: dead", room: 100,
			run: func(r *outboxRun) {
				r.conn.tryErr = errScriptClosed
				r.write("aa", writeEnded)
				r.conn.tryErr = nil
				r.write("bb", writeEnded)
			},
			state: outboxDead, wrote: "", now: true},
		{name: "socket error while flushing: dead, no handshake", room: 0,
			run: func(r *outboxRun) {
				r.write("aa", writeOK)
				r.write("bb", writeOK)
				r.o.close(protocol.CloseGoingAway, "shutting down", true)
				r.park("aa")
				r.conn.release <- errScriptClosed
			},
			state: outboxDead, wrote: "", now: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &outboxRun{t: t, conn: newScriptConn(tc.room), own: new(scriptOwner)}
			r.o = new(outbox)
			r.o.init(r.conn, 2, r.own)
			tc.run(r)
			r.settle()
			r.state(tc.state)
			c := r.conn
			c.mu.Lock()
			defer c.mu.Unlock()
			if !bytes.Equal(c.wrote, []byte(tc.wrote)) {
				t.Errorf("socket got %q, want %q", c.wrote, tc.wrote)
			}
			if wantCloses := map[bool]int{true: 1}[tc.code != 0]; c.closes != wantCloses || c.code != tc.code {
				t.Errorf("handshakes %d with %v, want %d with %v", c.closes, c.code, wantCloses, tc.code)
			}
			if (c.nows > 0) != tc.now {
				t.Errorf("CloseNow called %d times, want any: %v", c.nows, tc.now)
			}
			if got := r.own.lags.Load(); got != tc.lagged {
				t.Errorf("lagged %d times, want %d", got, tc.lagged)
			}
			if r.o.queue != nil {
				t.Errorf("queue kept after the run: %q", r.o.queue)
			}
		})
	}
}
