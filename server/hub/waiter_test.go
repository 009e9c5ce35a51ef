package hub

import (
	"context"
	"net/netip"
	"runtime"
	"sync/atomic"
	"testing"

	"checkgrid/protocol"
)

// waitConn is a memConn that is also a Waiter, as wsconn's plain sockets
// are: WaitReadable blocks until the client sent a message (or the
// connection closed), and Read returns ErrIdle when nothing is there. It
// is read by one goroutine at a time (the hub's reader, which hands over
// to a fresh goroutine when idle), so held needs no lock.
type waitConn struct {
	*memConn
	parks     bool // Park parks (else it says it cannot)
	held      []byte
	has       bool
	waits     atomic.Int64 // WaitReadable calls
	parked    atomic.Int64 // Park calls that parked
	delivered atomic.Int64 // messages handed to Park's deliver
}

// Park, if the conn parks, hands each message the client sends to
// deliver from a goroutine of its own (wsconn's is its Poller's), until
// deliver says no more, the client closes (a nil message, left for Read)
// or the conn closes: then it resumes, once.
func (c *waitConn) Park(deliver func([]byte) bool, resume func()) bool {
	if !c.parks || c.has {
		return false
	}
	c.parked.Add(1)
	go func() {
		defer resume()
		for {
			select {
			case m := <-c.in:
				if m == nil {
					c.held, c.has = nil, true
					return
				}
				c.delivered.Add(1)
				if !deliver(m) {
					return
				}
			case <-c.closed:
				return
			}
		}
	}()
	return true
}

func (c *waitConn) WaitReadable() bool {
	c.waits.Add(1)
	if c.has {
		return true
	}
	select {
	case m := <-c.in:
		c.held, c.has = m, true
	case <-c.closed:
	}
	return true
}

func (c *waitConn) Read(context.Context) ([]byte, error) {
	if !c.has {
		select {
		case <-c.closed:
			return nil, errMemClosed
		default:
			return nil, ErrIdle
		}
	}
	m := c.held
	c.held, c.has = nil, false
	if m == nil {
		return nil, PeerClose{Code: 1000}
	}
	return m, nil
}

// A connection whose reader waits (a Waiter) is served like any other
// across the reader's hand-over after the join, parked (no goroutine until
// it sends) or to a fresh goroutine: its Sets are applied, it sees every
// Delta, an ErrIdle is not an error, and it ends once, both when the
// client closes and when the hub shuts down while it is parked.
func TestWaitingReaderServedAcrossHandOver(t *testing.T) {
	for _, parks := range []bool{false, true} {
		name := "fresh goroutine"
		if parks {
			name = "parked"
		}
		t.Run(name, func(t *testing.T) { testWaitingReader(t, parks) })
	}
}

func testWaitingReader(t *testing.T, parks bool) {
	th := startHub(t, Config{})
	join := func(key string) (*player, *waitConn) {
		p := &player{t: t, conn: newMemConn(256), ended: make(chan struct{})}
		p.follow = protocol.NewFollower(&p.rep)
		wc := &waitConn{memConn: p.conn, parks: parks}
		th.Go(wc, key, netip.MustParsePrefix("192.0.2.1/32"), Admission{Version: protocol.Version1}, func() { close(p.ended) })
		return p, wc
	}
	a, wa := join("a")
	b := th.join(t, "b", 256)
	a.untilSeq(0)
	b.untilSeq(0)
	for i := range 5 {
		a.set(protocol.Change{Index: uint32(100 + i), Value: true})
		a.until(protocol.TypeDelta)
	}
	b.set(protocol.Change{Index: 7, Value: true})
	for !a.rep.Grid.Get(7) {
		a.until(protocol.TypeDelta)
	}
	want := snapshotNow(t, th)
	b.untilSeq(want.Seq)
	a.untilSeq(want.Seq)
	if a.rep.Grid != want.Grid || b.rep.Grid != want.Grid || !want.Grid.Get(104) {
		t.Fatalf("grids differ from the hub's at seq %d (or box 104 is not set)", want.Seq)
	}
	if parks {
		// Parked at its first wait, and read by the poller from then on.
		if n, d := wa.waits.Load(), wa.delivered.Load(); n != 0 || d != 5 {
			t.Fatalf("WaitReadable called %d times and %d messages delivered while parked, want 0 and the 5 Sets", n, d)
		}
	} else if n := wa.waits.Load(); n < 6 {
		t.Fatalf("WaitReadable called %d times, want one before each of the 6 messages at least", n)
	}
	if n := wa.parked.Load(); parks != (n > 0) {
		t.Fatalf("parked %d times; the conn parks: %v", n, parks)
	}

	// A bad message ends the connection with CloseProtocol, read by the
	// poller or not.
	d, _ := join("d")
	d.untilSeq(want.Seq)
	d.conn.in <- []byte{0xee}
	d.waitEnded()
	if got := d.conn.closeCode(); got != protocol.CloseProtocol {
		t.Fatalf("closed with %v after a bad message, want protocol", got)
	}

	// The client closes: its reader ends, once.
	a.conn.in <- nil
	a.waitEnded()

	// A waiting reader still idle (parked) at shutdown ends with the hub.
	c, wc := join("c")
	c.untilSeq(want.Seq)
	for parks && wc.parked.Load() == 0 {
		runtime.Gosched() // the reader parks at its first wait, after the join
	}
	th.stop(t)
	c.waitEnded()
	if got := c.conn.closeCode(); got != protocol.CloseGoingAway {
		t.Fatalf("closed with %v at shutdown, want going_away", got)
	}
}
