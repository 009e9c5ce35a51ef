package wsconn

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"checkgrid/server/hub"
)

// controlEvent is a ping or pong the server's Conn reported.
type controlEvent struct {
	kind    hub.Control
	payload string
}

// frame is a masked client frame with the given first byte (FIN, opcode).
func frame(first byte, payload string) []byte {
	b := maskedFrame(first&0x0f, []byte(payload))
	b[0] = first
	return b
}

// A waiting reader (the hub's loop over WaitReadable) and a parked one
// (no goroutine until the client sends something its Poller does not
// read) get every message and every control frame, in order. Waiting,
// the reader sees ErrIdle after control frames alone and never in the
// middle of a fragmented message. Parked, the Poller reads pings, pongs
// and whole binary messages itself, hands a fragmented message to a
// reader goroutine, which reads it through the library and parks again;
// and CloseNow ends either.
func TestWaitingReaderAroundControlFrames(t *testing.T) {
	for _, mode := range []readerMode{modeWaiting, modeParked, modeOwnedWaiting} {
		t.Run(mode.String(), func(t *testing.T) { testAroundControlFrames(t, mode) })
	}
}

// message is a message the server read, and whether its Poller read it.
type message struct {
	payload string
	polled  bool
}

func testAroundControlFrames(t *testing.T, mode readerMode) {
	parked := mode == modeParked
	opt := options(t, mode)
	ctl, idles, msgs, errs, conns := make(chan controlEvent, 8), make(chan struct{}, 8), make(chan message, 8), make(chan error, 1), make(chan *Conn, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, opt)
		if err != nil {
			errs <- err
			return
		}
		c.SetControl(func(k hub.Control, p []byte) { ctl <- controlEvent{k, string(p)} })
		conns <- c
		errs <- readAll(c, mode, func() { idles <- struct{}{} }, nil, func(m []byte, polled bool) { msgs <- message{string(m), polled} })
	}))
	t.Cleanup(ts.Close)
	nc, _ := dial(t, ts.Listener.Addr().String(), nil)
	c := <-conns
	send := func(b ...[]byte) {
		t.Helper()
		var all []byte
		for _, f := range b {
			all = append(all, f...)
		}
		if _, err := nc.Write(all); err != nil {
			t.Fatal(err)
		}
	}
	idle := func(what string) {
		t.Helper()
		if !parked { // parked, the Poller reads control frames: nothing wakes the reader
			next(t, what, idles, errs)
		}
	}
	wantControl := func(want controlEvent) {
		t.Helper()
		if got := next(t, fmt.Sprintf("control frame %+v", want), ctl, errs); got != want {
			t.Fatalf("control frame %+v, want %+v", got, want)
		}
	}
	wantMessage := func(want message) {
		t.Helper()
		if got := next(t, fmt.Sprintf("message %+v", want), msgs, errs); got != want {
			t.Fatalf("message %+v, want %+v", got, want)
		}
	}

	// A pong alone: reported, then the reader is idle again.
	send(frame(0x8a, "pong-1"))
	wantControl(controlEvent{hub.ControlPong, "pong-1"})
	idle("ErrIdle after a lone pong")

	// A ping and a message in one packet: both, in order.
	send(frame(0x89, "ping-1"), frame(0x82, "set-1"))
	wantControl(controlEvent{hub.ControlPing, "ping-1"})
	wantMessage(message{"set-1", parked})

	// A fragmented message with a ping between its frames, the last frame
	// sent only once the ping was reported: the reader must wait inside the
	// message, not go idle. Parked, the first fragment resumes a reader
	// goroutine, which reads the message through the library.
	send(frame(0x02, "frag-"), frame(0x89, "ping-2"))
	wantControl(controlEvent{hub.ControlPing, "ping-2"})
	send(frame(0x80, "ment"))
	wantMessage(message{"frag-ment", false})

	// Idle again after a pong; parked, read by the Poller again, a message
	// too. CloseNow ends the wait.
	send(frame(0x8a, "pong-2"))
	wantControl(controlEvent{hub.ControlPong, "pong-2"})
	idle("ErrIdle after the second pong")
	send(frame(0x82, "set-2"))
	wantMessage(message{"set-2", parked})
	if err := c.CloseNow(); err != nil {
		t.Fatal(err)
	}
	if err := next(t, "the end of the wait after CloseNow", errs, nil); err == nil {
		t.Fatal("the reader ended without an error after CloseNow")
	}
}

// A TLS connection without a Poller cannot wait at the socket (crypto/tls
// may hold a record no peek sees): WaitReadable says so, and Read blocks as
// before.
func TestTLSReaderDoesNotWait(t *testing.T) {
	addr, cfg, conns := tlsServer(t)
	dial(t, addr, cfg)
	c := <-conns
	if c.WaitReadable() {
		t.Fatal("WaitReadable on a TLS connection: true, want false")
	}
	_ = c.CloseNow()
}

// Closing the Poller resumes every connection parked in it, and a
// connection parks no more: its reader waits in a goroutine again and
// still gets what the client sends.
func TestPollerCloseResumesParked(t *testing.T) {
	p, err := NewPoller()
	if err != nil {
		t.Fatal(err)
	}
	parked, resumed, msgs, errs := make(chan struct{}, 1), make(chan struct{}, 1), make(chan string, 1), make(chan error, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, Options{Poller: p})
		if err != nil {
			errs <- err
			return
		}
		deliver := func([]byte) bool {
			errs <- errors.New("read by the Poller after its Close")
			return false
		}
		if !c.Park(deliver, func() {
			resumed <- struct{}{}
			go func() { errs <- readAll(c, modeWaiting, nil, nil, func(m []byte, _ bool) { msgs <- string(m) }) }()
		}) {
			errs <- errors.New("a fresh plain connection cannot park")
			return
		}
		parked <- struct{}{}
	}))
	t.Cleanup(ts.Close)
	nc, _ := dial(t, ts.Listener.Addr().String(), nil)
	next(t, "the connection parked", parked, errs) // before the Poller closes
	select {
	case <-resumed:
		t.Fatal("resumed before anything happened")
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	next(t, "resume of the parked connection after Close", resumed, errs)
	if _, err := nc.Write(frame(0x82, "after")); err != nil {
		t.Fatal(err)
	}
	if m := next(t, "message after the poller closed", msgs, errs); m != "after" {
		t.Fatalf("message %q, want %q", m, "after")
	}
}

// ReadNow reads what parked connections hold before it returns: with
// beats an hour apart, a message is delivered only by ReadNow. It
// returns at once with nothing parked, and once the Poller has closed.
func TestReadNowReadsParked(t *testing.T) {
	p, err := newPoller(time.Hour, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.ReadNow() // nothing parked: answered all the same

	parked, msgs, errs := make(chan struct{}, 1), make(chan string, 4), make(chan error, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, Options{Poller: p})
		if err != nil {
			errs <- err
			return
		}
		errs <- readAll(c, modeParked, nil, func() { parked <- struct{}{} }, func(m []byte, _ bool) { msgs <- string(m) })
	}))
	t.Cleanup(ts.Close)
	nc, _ := dial(t, ts.Listener.Addr().String(), nil)
	next(t, "the connection parked", parked, errs)
	if _, err := nc.Write(frame(0x82, "click")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(within)
	for {
		p.ReadNow()
		select {
		case m := <-msgs:
			if m != "click" {
				t.Fatalf("message %q, want click", m)
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
			p.ReadNow() // the Poller has ended: returns at once
			return
		case err := <-errs:
			t.Fatalf("the reader ended: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("ReadNow did not deliver the parked connection's message within %v", within)
		}
	}
}
