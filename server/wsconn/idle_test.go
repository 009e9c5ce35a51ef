package wsconn

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

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

// parkedReader reads c as the hub does when it parks every idle
// connection: park; on resume, read until ErrIdle (calling idled), then
// park again (or, if c cannot park now, wait in WaitReadable and read on).
// The read error ends it, on errs.
func parkedReader(c *Conn, idled func(), msg func([]byte), errs chan<- error) {
	var read func()
	read = func() {
		for {
			m, err := c.Read(context.Background())
			if errors.Is(err, hub.ErrIdle) {
				idled()
				if c.Park(func() { go read() }) {
					return
				}
				c.WaitReadable()
				continue
			}
			if err != nil {
				errs <- err
				return
			}
			msg(m)
		}
	}
	if !c.Park(func() { go read() }) {
		errs <- errors.New("a fresh plain connection cannot park")
	}
}

// A waiting reader (the hub's loop over WaitReadable) and a parked one
// (no goroutine until the client sends) get every message and every
// control frame, see ErrIdle after control frames alone and never in the
// middle of a fragmented message, and CloseNow ends the wait.
func TestWaitingReaderAroundControlFrames(t *testing.T) {
	for _, parked := range []bool{false, true} {
		name := "waiting"
		if parked {
			name = "parked"
		}
		t.Run(name, func(t *testing.T) { testAroundControlFrames(t, parked) })
	}
}

func testAroundControlFrames(t *testing.T, parked bool) {
	var opt Options
	if parked {
		p, err := NewIdlePoller()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Close() })
		opt.Idle = p
	}
	ctl, idles, msgs, errs, conns := make(chan controlEvent, 8), make(chan struct{}, 8), make(chan string, 8), make(chan error, 1), make(chan *Conn, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, opt)
		if err != nil {
			errs <- err
			return
		}
		c.SetControl(func(k hub.Control, p []byte) { ctl <- controlEvent{k, string(p)} })
		conns <- c
		idled, msg := func() { idles <- struct{}{} }, func(m []byte) { msgs <- string(m) }
		if parked {
			parkedReader(c, idled, msg, errs)
			return
		}
		errs <- readAll(c, true, idled, msg)
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
	wait := func(what string, ch <-chan struct{}) {
		t.Helper()
		next(t, what, ch, errs)
	}
	wantControl := func(want controlEvent) {
		t.Helper()
		if got := next(t, fmt.Sprintf("control frame %+v", want), ctl, errs); got != want {
			t.Fatalf("control frame %+v, want %+v", got, want)
		}
	}
	wantMessage := func(want string) {
		t.Helper()
		if got := next(t, fmt.Sprintf("message %q", want), msgs, errs); got != want {
			t.Fatalf("message %q, want %q", got, want)
		}
	}

	// A pong alone: reported, then the reader is idle again.
	send(frame(0x8a, "pong-1"))
	wantControl(controlEvent{hub.ControlPong, "pong-1"})
	wait("ErrIdle after a lone pong", idles)

	// A ping and a message in one packet: both, in order.
	send(frame(0x89, "ping-1"), frame(0x82, "set-1"))
	wantControl(controlEvent{hub.ControlPing, "ping-1"})
	wantMessage("set-1")

	// A fragmented message with a ping between its frames, the last frame
	// sent only once the ping was reported: the reader must wait inside the
	// message, not go idle.
	send(frame(0x02, "frag-"), frame(0x89, "ping-2"))
	wantControl(controlEvent{hub.ControlPing, "ping-2"})
	send(frame(0x80, "ment"))
	wantMessage("frag-ment")

	// Idle again after a pong; CloseNow ends the wait.
	send(frame(0x8a, "pong-2"))
	wantControl(controlEvent{hub.ControlPong, "pong-2"})
	wait("ErrIdle after the second pong", idles)
	if err := c.CloseNow(); err != nil {
		t.Fatal(err)
	}
	if err := next(t, "the end of the wait after CloseNow", errs, nil); err == nil {
		t.Fatal("the reader ended without an error after CloseNow")
	}
}

// A TLS connection cannot wait at the socket (crypto/tls may hold a record
// no peek sees): WaitReadable says so, and Read blocks as before.
func TestTLSReaderDoesNotWait(t *testing.T) {
	addr, cfg, conns := tlsServer(t)
	dial(t, addr, cfg)
	c := <-conns
	if c.WaitReadable() {
		t.Fatal("WaitReadable on a TLS connection: true, want false")
	}
	_ = c.CloseNow()
}

// Closing the IdlePoller resumes every connection parked in it, and a
// connection parks no more: its reader waits in a goroutine again and
// still gets what the client sends.
func TestIdlePollerCloseResumesParked(t *testing.T) {
	p, err := NewIdlePoller()
	if err != nil {
		t.Fatal(err)
	}
	resumed, msgs, errs := make(chan struct{}, 1), make(chan string, 1), make(chan error, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, Options{Idle: p})
		if err != nil {
			errs <- err
			return
		}
		if !c.Park(func() {
			resumed <- struct{}{}
			go func() { errs <- readAll(c, true, nil, func(m []byte) { msgs <- string(m) }) }()
		}) {
			errs <- errors.New("a fresh plain connection cannot park")
		}
	}))
	t.Cleanup(ts.Close)
	nc, _ := dial(t, ts.Listener.Addr().String(), nil)
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
