package wsconn

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
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
		defer p.Close()
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
	defer ts.Close()
	nc, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write([]byte(upgradeRequest(ts.Listener.Addr().String()))); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.ReadResponse(bufio.NewReader(nc), nil); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
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
		select {
		case <-ch:
		case err := <-errs:
			t.Fatalf("waiting for %s: the reader ended: %v", what, err)
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s within 5 s", what)
		}
	}
	wantControl := func(want controlEvent) {
		t.Helper()
		select {
		case got := <-ctl:
			if got != want {
				t.Fatalf("control frame %+v, want %+v", got, want)
			}
		case err := <-errs:
			t.Fatalf("waiting for %+v: the reader ended: %v", want, err)
		case <-time.After(5 * time.Second):
			t.Fatalf("control frame %+v not reported within 5 s", want)
		}
	}
	wantMessage := func(want string) {
		t.Helper()
		select {
		case got := <-msgs:
			if got != want {
				t.Fatalf("message %q, want %q", got, want)
			}
		case err := <-errs:
			t.Fatalf("waiting for %q: the reader ended: %v", want, err)
		case <-time.After(5 * time.Second):
			t.Fatalf("message %q not read within 5 s", want)
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
	select {
	case err := <-errs:
		if err == nil {
			t.Fatal("the reader ended without an error after CloseNow")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("CloseNow did not end the wait")
	}
}

// A TLS connection cannot wait at the socket (crypto/tls may hold a record
// no peek sees): WaitReadable says so, and Read blocks as before.
func TestTLSReaderDoesNotWait(t *testing.T) {
	addr, cfg, conns := tlsServer(t)
	nc, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write([]byte(upgradeRequest(addr))); err != nil {
		t.Fatal(err)
	}
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
	defer ts.Close()
	nc, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write([]byte(upgradeRequest(ts.Listener.Addr().String()))); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.ReadResponse(bufio.NewReader(nc), nil); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
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
	select {
	case <-resumed:
	case err := <-errs:
		t.Fatal(err)
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not resume the parked connection")
	}
	if _, err := nc.Write(frame(0x82, "after")); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-msgs:
		if m != "after" {
			t.Fatalf("message %q, want %q", m, "after")
		}
	case err := <-errs:
		t.Fatal(err)
	case <-time.After(5 * time.Second):
		t.Fatal("no message after the poller closed")
	}
}
